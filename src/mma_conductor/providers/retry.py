"""When to try a failed request again: exponential backoff with full jitter, and the server's Retry-After."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
 """Retry up to `max_retries` times. The n-th retry (from 0) waits a uniform random time in
 [0, min(max_delay, base_delay * 2**n)] ("full jitter"), or exactly the server's Retry-After when it
 sent one. A Retry-After longer than `max_delay` is not waited for: the call fails at once instead."""

 max_retries: int = 3
 base_delay: float = 0.5
 max_delay: float = 30.0
 rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

 def __post_init__(self) -> None:
  if self.max_retries < 0:
   raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
  if not (self.base_delay >= 0 and self.max_delay >= 0):
   raise ValueError("base_delay and max_delay must be >= 0")

 def delay(self, retry_index: int, retry_after: float | None = None) -> float | None:
  """Seconds to wait before retry number `retry_index` (0-based), or None when it is not worth waiting."""
  if retry_after is not None:
   return retry_after if retry_after <= self.max_delay else None
  cap = min(self.max_delay, self.base_delay * (2**retry_index))
  return self.rng.uniform(0.0, cap)


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
 """The wait a response asks for: `retry-after-ms`, else `retry-after` as seconds or an HTTP date."""
 if not headers:
  return None
 millis = _number(headers.get("retry-after-ms"))
 if millis is not None:
  return millis / 1000.0
 raw = headers.get("retry-after")
 return None if raw is None else _seconds_or_date(raw, now)


def _seconds_or_date(raw: str, now: float | None) -> float | None:
 """A `retry-after` value: seconds, or the HTTP date to wait until."""
 seconds = _number(raw)
 if seconds is not None:
  return seconds
 try:
  when = email.utils.parsedate_to_datetime(raw)
 except (TypeError, ValueError):
  return None
 if when is None:
  return None
 return max(0.0, when.timestamp() - (time.time() if now is None else now))


def google_error_details(body: Any) -> list[Mapping[str, Any]]:
 """The `details` of a Google API error body ({"error": {"details": [...]}} or the inner object)."""
 error = body.get("error", body) if isinstance(body, Mapping) else None
 details = error.get("details") if isinstance(error, Mapping) else None
 if not isinstance(details, list):
  return []
 return [detail for detail in details if isinstance(detail, Mapping)]


def retry_delay_from_google_details(body: Any) -> float | None:
 """The `retryDelay` of a google.rpc.RetryInfo in a Google API error body (e.g. {"error": {"details": [...]}})."""
 for detail in google_error_details(body):
  if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
   raw = detail.get("retryDelay")
   if isinstance(raw, str) and raw.endswith("s"):
    return _number(raw[:-1])
 return None


def _number(raw: object) -> float | None:
 if raw is None:
  return None
 try:
  value = float(str(raw).strip())
 except ValueError:
  return None
 if math.isnan(value) or math.isinf(value) or value < 0:
  return None
 return value
