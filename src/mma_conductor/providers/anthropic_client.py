"""Anthropic Messages API through the official `anthropic` SDK (AsyncAnthropic)."""

from __future__ import annotations

from typing import Any

from .base import Attempt, CallRequest, Failure, StainlessClient, normalize_finish_reason, status_failure
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


def _status_error(exc: Any) -> Failure:
 """An HTTP error status, or (with the stream's 200) an error event inside a stream."""
 error_type = getattr(exc, "type", None)
 detail = getattr(exc, "api_message", None) or str(exc)
 if exc.status_code >= 400:
  return status_failure(exc, f"HTTP {exc.status_code} {error_type or ''}: {detail}".replace(" :", ":"))
 return Failure(
  _STREAM_ERROR_KINDS.get(str(error_type), "server"),
  f"error event in the stream ({error_type}): {detail}",
  request_id=exc.request_id,
 )


def _message_start(event: Any, attempt: Attempt) -> None:
 attempt.model = event.message.model
 attempt.request_id = attempt.request_id or event.message.id


def _content_block_delta(event: Any, attempt: Attempt) -> None:
 if event.delta.type == "text_delta":
  attempt.emit(event.delta.text)


def _message_delta(event: Any, attempt: Attempt) -> None:
 attempt.finish_reason = normalize_finish_reason(event.delta.stop_reason)


def _message_stop(event: Any, attempt: Attempt) -> None:
 attempt.finished = True


# What each stream event type means; the others (pings, block starts and stops) carry nothing we read.
_EVENT_READERS = {
 "message_start": _message_start,
 "content_block_delta": _content_block_delta,
 "message_delta": _message_delta,
 "message_stop": _message_stop,
}


class AnthropicClient(StainlessClient):
 """Claude models via the Messages API. Usage comes from message_start plus the last message_delta."""

 provider = "anthropic"
 sdk_module = "anthropic"
 client_class = "AsyncAnthropic"
 create_method = "messages.create"
 request_id_header = "request-id"
 stream_end = "message_stop"
 error_readers = (("APIStatusError", _status_error), *StainlessClient.error_readers)

 def _arguments(self, request: CallRequest) -> dict[str, Any]:
  arguments: dict[str, Any] = {
   "model": request.model,
   "max_tokens": request.max_tokens,
   "messages": [{"role": "user", "content": request.prompt}],
  }
  if request.system:
   arguments["system"] = request.system
  return arguments

 def _read_response(self, message: Any, attempt: Attempt) -> None:
  attempt.model = message.model
  for block in message.content:
   if block.type == "text":
    attempt.add_text(block.text)
  attempt.finish_reason = normalize_finish_reason(message.stop_reason)

 def _read_event(self, event: Any, attempt: Attempt) -> None:
  read = _EVENT_READERS.get(event.type)
  if read is not None:
   read(event, attempt)
