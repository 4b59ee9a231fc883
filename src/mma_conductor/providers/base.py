"""The call loop shared by every provider: attempts, retries, billed usage of failures, and key hygiene.

A provider subclass implements `_attempt` (one HTTP request, filling an Attempt) and `_describe`
(what an SDK exception means). Everything else (timing, backoff, summing billed usage over attempts,
turning failures into a CallResult or a CallError, keeping the key out of messages) lives here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from ..pricing.usage import Usage, UsageError, raw_usage_blocks, usage_from_response
from .keys import redact, scrub
from .retry import RetryPolicy
from .types import RETRYABLE_KINDS, CallError, CallResult, ErrorKind, TextCallback

log = logging.getLogger("mma_conductor.providers")

_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class CallRequest:
 """One prompt as the conductor sends it."""

 model: str
 system: str
 prompt: str
 max_tokens: int
 stream: bool


@dataclass(frozen=True)
class Failure:
 """What went wrong in one attempt, in provider-neutral terms."""

 kind: ErrorKind
 message: str
 status_code: int | None = None
 request_id: str | None = None
 retry_after: float | None = None


class ProviderFailure(Exception):
 """Raised inside an attempt for a failure the provider code detected itself (e.g. a truncated stream)."""

 def __init__(self, failure: Failure) -> None:
  super().__init__(failure.message)
  self.failure = failure


class _CallbackFailed(Exception):
 """The caller's on_text raised; its exception is re-raised untouched, never classified or retried."""

 def __init__(self, original: BaseException) -> None:
  super().__init__(repr(original))
  self.original = original


class Attempt:
 """What one HTTP attempt has produced so far. Providers fill it while the response arrives."""

 def __init__(self, on_text: TextCallback | None) -> None:
  self._on_text = on_text
  self.parts: list[str] = []
  self.events: list[Any] = []
  self.usage: Usage | None = None
  self.raw_usage: list[dict] = []
  self.usage_error: str | None = None
  self.model: str | None = None
  self.request_id: str | None = None
  self.finish_reason: str | None = None

 @property
 def text(self) -> str:
  """The text received so far."""
  return "".join(self.parts)

 @property
 def has_output(self) -> bool:
  """Whether any answer text arrived (then the attempt was billed and is never retried)."""
  return any(self.parts)

 def add_text(self, text: str | None) -> None:
  """Record text of a complete (non-streamed) response."""
  if text:
   self.parts.append(text)

 def emit(self, delta: str | None) -> None:
  """Record a streamed text delta and pass it to on_text."""
  if not delta:
   return
  self.parts.append(delta)
  if self._on_text is not None:
   try:
    self._on_text(delta)
   except Exception as err:
    raise _CallbackFailed(err) from err

 def settle_usage(self, payload: Any, provider: str) -> None:
  """Read the billed usage from a response or the list of stream events received."""
  try:
   self.usage = usage_from_response(payload, provider)
  except UsageError as err:
   self.usage = None
   self.usage_error = str(err)
  try:
   self.raw_usage = raw_usage_blocks(payload)
  except UsageError:  # an unreadable payload is already reported through usage_error
   self.raw_usage = []


def kind_for_status(status: int) -> ErrorKind:
 """The error kind of an HTTP error status."""
 if status in (401, 402, 403):
  return "auth"
 if status == 429:
  return "rate_limit"
 if status == 408:
  return "timeout"
 if status == 499:
  return "cancelled"
 if status >= 500:
  return "server"
 return "bad_request"


_TIMEOUT_NAMES = frozenset({"TimeoutException", "APITimeoutError", "ServerTimeoutError"})
_CONNECTION_NAMES = frozenset(
 {"TransportError", "APIConnectionError", "StreamError", "ClientConnectionError", "ClientPayloadError"}
)


def describe_transport_error(exc: BaseException) -> Failure | None:
 """Timeouts and dropped connections of httpx, httpx2, aiohttp or the OS, recognized by class name so
 that no HTTP library needs importing here."""
 names = {cls.__name__ for cls in type(exc).__mro__}
 detail = str(exc) or type(exc).__name__
 if names & _TIMEOUT_NAMES or isinstance(exc, TimeoutError):
  return Failure("timeout", f"request timed out ({detail})")
 if names & _CONNECTION_NAMES or isinstance(exc, ConnectionError | OSError):
  return Failure("connection", f"connection failed ({detail})")
 return None


def truncate(text: str, limit: int = _MESSAGE_LIMIT) -> str:
 """`text` cut to `limit` characters."""
 return text if len(text) <= limit else text[: limit - 1] + "…"


class ProviderClient:
 """Base of all provider clients: one method, `complete`, plus `aclose` and async-with support."""

 provider: str = ""

 def __init__(
  self,
  *,
  api_key: str | None,
  base_url: str | None,
  timeout: float,
  max_retries: int,
  base_delay: float = 0.5,
  max_delay: float = 30.0,
  rng: random.Random | None = None,
 ) -> None:
  if timeout is not None and timeout <= 0:
   raise ValueError(f"timeout must be positive, got {timeout}")
  self.__api_key = api_key
  self.base_url = base_url
  self.timeout = timeout
  self.retry = RetryPolicy(max_retries, base_delay, max_delay, rng or random.Random())

 @property
 def max_retries(self) -> int:
  """Retries after the first attempt."""
  return self.retry.max_retries

 def __repr__(self) -> str:
  return (
   f"{type(self).__name__}(provider={self.provider!r}, base_url={self.base_url!r}, "
   f"api_key={redact(self.__api_key)!r}, timeout={self.timeout!r}, max_retries={self.max_retries!r})"
  )

 __str__ = __repr__

 def __reduce__(self) -> Any:
  raise TypeError(f"{type(self).__name__} holds an API key and cannot be pickled")

 def _scrub(self, text: str) -> str:
  return scrub(text, self.__api_key)

 async def aclose(self) -> None:
  """Release the SDK's connections."""

 async def __aenter__(self) -> ProviderClient:
  return self

 async def __aexit__(self, *exc_info: object) -> None:
  await self.aclose()

 async def complete(
  self,
  *,
  model: str,
  system: str,
  prompt: str,
  max_tokens: int = 2048,
  stream: bool = False,
  on_text: TextCallback | None = None,
 ) -> CallResult:
  """Send `system` and the user `prompt` to `model` and return the answer with its billed usage.

  With `stream`, text arrives incrementally and each delta is passed to `on_text` as it comes;
  without it, `on_text` gets the whole text once.
  Rate limits, 5xx, timeouts and dropped connections are retried (see RetryPolicy), unless answer
  text had already arrived. Raises CallError when the call failed before anything was billed;
  returns a CallResult with status "failed" when it failed after the provider started answering.
  Task cancellation propagates as asyncio.CancelledError. Exceptions raised by `on_text` propagate
  unchanged.
  """
  if not model:
   raise ValueError("model must be a non-empty string")
  if type(max_tokens) is not int or max_tokens <= 0:
   raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
  request = CallRequest(model, system or "", prompt, max_tokens, stream)
  started = time.monotonic()
  billed: Usage | None = None
  billed_raw: list[dict] = []
  attempts = 0
  while True:
   attempts += 1
   attempt = Attempt(on_text if stream else None)
   failure: Failure | None = None
   try:
    await self._attempt(request, attempt)
   except _CallbackFailed as err:
    raise err.original from None
   except Exception as exc:
    failure = self._describe(exc)
    if failure is None:
     raise
   if failure is None:
    result = self._success(request, attempt, billed, attempts, started, billed_raw)
    if on_text is not None and not stream and result.text:
     on_text(result.text)
    return result
   failure = Failure(
    failure.kind,
    truncate(self._scrub(failure.message)),
    failure.status_code,
    failure.request_id or attempt.request_id,
    failure.retry_after,
   )
   billed = _plus(billed, self._billed(attempt))
   billed_raw += attempt.raw_usage
   delay = self._retry_delay(failure, attempt, attempts)
   if delay is None:
    return self._failed(request, attempt, failure, billed, attempts, started, billed_raw)
   log.info(
    "%s %s: %s; retry %d of %d in %.3fs",
    self.provider,
    request.model,
    failure.message,
    attempts,
    self.max_retries,
    delay,
   )
   await asyncio.sleep(delay)

 async def _attempt(self, request: CallRequest, attempt: Attempt) -> None:
  """Make one request and fill `attempt`; raise on failure."""
  raise NotImplementedError

 def _describe(self, exc: Exception) -> Failure | None:
  """What `exc` means, or None for an exception that is a bug rather than a failed call."""
  if isinstance(exc, ProviderFailure):
   return exc.failure
  return describe_transport_error(exc)

 def _billed(self, attempt: Attempt) -> Usage | None:
  if attempt.usage is None and attempt.events:
   attempt.settle_usage(attempt.events, self.provider)
  return attempt.usage

 def _retry_delay(self, failure: Failure, attempt: Attempt, attempts: int) -> float | None:
  if failure.kind not in RETRYABLE_KINDS or attempts > self.max_retries or attempt.has_output:
   return None
  return self.retry.delay(attempts - 1, failure.retry_after)

 def _success(
  self,
  request: CallRequest,
  attempt: Attempt,
  billed: Usage | None,
  attempts: int,
  started: float,
  billed_raw: list[dict],
 ) -> CallResult:
  error = None
  if attempt.usage_error is not None:
   error = f"usage unreadable: {attempt.usage_error}"
  elif attempt.usage is None:
   error = "the provider reported no usage"
  return CallResult(
   text=attempt.text,
   usage=_plus(billed, attempt.usage),
   request_id=attempt.request_id,
   latency_s=time.monotonic() - started,
   model=attempt.model or request.model,
   provider=self.provider,
   status="success",
   error=error,
   attempts=attempts,
   finish_reason=attempt.finish_reason,
   raw_usage=tuple(billed_raw + attempt.raw_usage),
  )

 def _failed(
  self,
  request: CallRequest,
  attempt: Attempt,
  failure: Failure,
  billed: Usage | None,
  attempts: int,
  started: float,
  billed_raw: list[dict],
 ) -> CallResult:
  message = f"{self.provider} {failure.kind}: {failure.message}"
  if attempts > 1:
   message += f" (after {attempts} attempts)"
  if billed is None and not attempt.has_output:
   raise CallError(
    failure.kind,
    message,
    provider=self.provider,
    status_code=failure.status_code,
    request_id=failure.request_id,
    attempts=attempts,
   )
  return CallResult(
   text=attempt.text,
   usage=billed,
   request_id=failure.request_id,
   latency_s=time.monotonic() - started,
   model=attempt.model or request.model,
   provider=self.provider,
   status="failed",
   error=message,
   attempts=attempts,
   finish_reason=None,
   raw_usage=tuple(billed_raw),
  )


class SDKClient(ProviderClient):
 """A client over a provider's official SDK: the shared constructor; subclasses only `_connect`."""

 default_base_url: str | None = None

 def __init__(
  self,
  *,
  api_key: str,
  base_url: str | None = None,
  timeout: float = 60.0,
  max_retries: int = 3,
  **retry_options: Any,
 ) -> None:
  base_url = base_url or self.default_base_url
  super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, **retry_options)
  self._connect(api_key, base_url, timeout)

 def _connect(self, api_key: str, base_url: str | None, timeout: float) -> None:
  """Create the SDK's async client, with the SDK's own retries off (the retries are ours)."""
  raise NotImplementedError


def _plus(a: Usage | None, b: Usage | None) -> Usage | None:
 if a is None:
  return b
 if b is None:
  return a
 return a + b


def normalize_finish_reason(raw: object) -> str | None:
 """ "stop" for a natural end, "max_tokens" for a cut-off answer, else the provider's reason in lower case."""
 if raw is None:
  return None
 value = getattr(raw, "value", raw)
 text = str(value).lower()
 if text in ("end_turn", "stop", "stop_sequence", "finish_reason_unspecified"):
  return "stop"
 if text in ("max_tokens", "length"):
  return "max_tokens"
 return text
