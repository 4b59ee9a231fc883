"""Anthropic Messages API through the official `anthropic` SDK (AsyncAnthropic)."""

from __future__ import annotations

from typing import Any

from .base import (
 Attempt,
 CallRequest,
 Failure,
 ProviderFailure,
 SDKClient,
 kind_for_status,
 normalize_finish_reason,
)
from .retry import retry_after_seconds
from .sdk import import_sdk
from .types import ErrorKind

# `error.type` of an error event inside an otherwise successful (HTTP 200) stream.
_STREAM_ERROR_KINDS: dict[str, ErrorKind] = {
 "authentication_error": "auth",
 "permission_error": "auth",
 "billing_error": "auth",
 "rate_limit_error": "rate_limit",
 "invalid_request_error": "bad_request",
 "not_found_error": "bad_request",
 "request_too_large": "bad_request",
 "timeout_error": "timeout",
}


class AnthropicClient(SDKClient):
 """Claude models via the Messages API. Usage comes from message_start plus the last message_delta."""

 provider = "anthropic"

 def _connect(self, api_key: str, base_url: str | None, timeout: float) -> None:
  self._sdk = import_sdk("anthropic", self.provider, "anthropic")
  self._client = self._sdk.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

 async def aclose(self) -> None:
  """Release the SDK's connections."""
  await self._client.close()

 async def _attempt(self, request: CallRequest, attempt: Attempt) -> None:
  kwargs: dict[str, Any] = {
   "model": request.model,
   "max_tokens": request.max_tokens,
   "messages": [{"role": "user", "content": request.prompt}],
  }
  if request.system:
   kwargs["system"] = request.system
  if not request.stream:
   message = await self._client.messages.create(**kwargs)
   attempt.request_id = getattr(message, "_request_id", None) or message.id
   attempt.model = message.model
   for block in message.content:
    if block.type == "text":
     attempt.add_text(block.text)
   attempt.finish_reason = normalize_finish_reason(message.stop_reason)
   attempt.settle_usage(message, self.provider)
   return
  stream = await self._client.messages.create(**kwargs, stream=True)
  attempt.request_id = stream.response.headers.get("request-id")
  stopped = False
  async with stream:
   async for event in stream:
    attempt.events.append(event)
    if event.type == "message_start":
     attempt.model = event.message.model
     attempt.request_id = attempt.request_id or event.message.id
    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
     attempt.emit(event.delta.text)
    elif event.type == "message_delta":
     attempt.finish_reason = normalize_finish_reason(event.delta.stop_reason)
    elif event.type == "message_stop":
     stopped = True
  if not stopped:
   raise ProviderFailure(Failure("connection", "the stream ended before message_stop"))
  attempt.settle_usage(attempt.events, self.provider)

 def _describe(self, exc: Exception) -> Failure | None:
  sdk = self._sdk
  if isinstance(exc, sdk.APIStatusError):
   status = exc.status_code
   error_type = getattr(exc, "type", None)
   detail = getattr(exc, "api_message", None) or str(exc)
   if status >= 400:
    return Failure(
     kind_for_status(status),
     f"HTTP {status} {error_type or ''}: {detail}".replace(" :", ":"),
     status_code=status,
     request_id=exc.request_id,
     retry_after=retry_after_seconds(exc.response.headers),
    )
   return Failure(
    _STREAM_ERROR_KINDS.get(str(error_type), "server"),
    f"error event in the stream ({error_type}): {detail}",
    request_id=exc.request_id,
   )
  if isinstance(exc, sdk.APITimeoutError):
   return Failure("timeout", "request timed out")
  if isinstance(exc, sdk.APIConnectionError):
   cause = exc.__cause__
   return Failure("connection", f"connection failed ({cause or exc})")
  return super()._describe(exc)
