"""The result and error types every provider client returns or raises, and the client protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from ..pricing.reply import Reply
from ..pricing.usage import Usage

ErrorKind = Literal["auth", "rate_limit", "server", "timeout", "bad_request", "connection", "cancelled"]
ERROR_KINDS: frozenset[str] = frozenset(ErrorKind.__args__)
RETRYABLE_KINDS: frozenset[str] = frozenset({"rate_limit", "server", "timeout", "connection"})

TextCallback = Callable[[str], None]


@dataclass(frozen=True)
class CallResult:
 """The outcome of one `complete()` call, retries included.

 `status` is "success", or "failed" when the provider started answering (and so billed) before the call
 broke: then `text` is what arrived, `usage` is what the provider reported as billed (None when it billed
 but never said how much) and `error` says what went wrong. Failures before anything was billed raise
 CallError instead. `usage` sums every attempt the provider billed. `model` is the model the API reported,
 else the one requested. `latency_s` is the wall time of the whole call, backoff included. `attempts`
 counts the HTTP requests made. `finish_reason` is "stop", "max_tokens" or the provider's own reason
 in lower case (None when unknown). `raw_usage` holds the provider's own usage objects of the billed
 attempts, as JSON-ready dicts, for the cost ledger. `reply` is what the last attempt's reply was billed for
 beyond its tokens (tool calls, service tier, modalities; see pricing.reply), None when it reported no usage.
 """

 text: str
 usage: Usage | None
 request_id: str | None
 latency_s: float
 model: str
 provider: str
 status: Literal["success", "failed"]
 error: str | None
 attempts: int
 finish_reason: str | None = None
 raw_usage: tuple[dict, ...] = ()
 reply: Reply | None = None

 @property
 def ok(self) -> bool:
  """Whether the call succeeded."""
  return self.status == "success"


class CallError(Exception):
 """A call that failed before the provider billed anything.

 `kind` is one of ERROR_KINDS. The message never contains an API key. `status_code` is the HTTP status
 when there was one, `request_id` the provider's id for the failed request, `attempts` the requests made.
 """

 def __init__(
  self,
  kind: ErrorKind,
  message: str,
  *,
  provider: str | None = None,
  status_code: int | None = None,
  request_id: str | None = None,
  attempts: int = 1,
 ) -> None:
  if kind not in ERROR_KINDS:
   raise ValueError(f"unknown CallError kind {kind!r}; expected one of {sorted(ERROR_KINDS)}")
  super().__init__(message)
  self.kind = kind
  self.message = message
  self.provider = provider
  self.status_code = status_code
  self.request_id = request_id
  self.attempts = attempts

 @property
 def retryable(self) -> bool:
  """Whether the same request may succeed later (rate limits, server errors, timeouts, dropped connections)."""
  return self.kind in RETRYABLE_KINDS

 def __repr__(self) -> str:
  return f"CallError(kind={self.kind!r}, provider={self.provider!r}, status_code={self.status_code!r})"


@runtime_checkable
class LLMClient(Protocol):
 """What the conductor needs from a provider client."""

 provider: str

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
  """Send one system + user prompt and return the answer with its billed usage."""
  ...

 async def aclose(self) -> None:
  """Release connections."""
  ...
