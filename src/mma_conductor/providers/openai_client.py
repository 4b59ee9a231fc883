"""OpenAI Chat Completions through the official `openai` SDK, and DeepSeek, which speaks the same API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .base import Attempt, CallRequest, Failure, StainlessClient, normalize_finish_reason, status_failure
from .types import ErrorKind

DEEPSEEK_BASE_URL = "https://api.deepseek.com"

# `error.type` / `error.code` of an error sent inside an otherwise successful (HTTP 200) stream.
_STREAM_ERROR_KINDS: dict[str, ErrorKind] = {
 "invalid_request_error": "bad_request",
 "authentication_error": "auth",
 "insufficient_quota": "rate_limit",
 "rate_limit_exceeded": "rate_limit",
 "rate_limit_error": "rate_limit",
}


def _status_error(exc: Any) -> Failure:
 body = exc.body
 detail = body["message"] if isinstance(body, Mapping) and isinstance(body.get("message"), str) else exc.message
 return status_failure(exc, f"HTTP {exc.status_code}: {detail}")


def _stream_error(exc: Any) -> Failure:
 """An error sent inside a stream (the SDK raises a bare APIError for it)."""
 code = str(getattr(exc, "code", None) or getattr(exc, "type", None) or "")
 return Failure(_STREAM_ERROR_KINDS.get(code, "server"), f"error in the stream ({code or 'unknown'}): {exc.message}")


def _read_choice(choice: Any, attempt: Attempt) -> None:
 if choice.delta is not None:
  attempt.emit(choice.delta.content)
 if choice.finish_reason is not None:
  attempt.finish_reason = normalize_finish_reason(choice.finish_reason)
  attempt.finished = True


class OpenAIClient(StainlessClient):
 """OpenAI models via Chat Completions. Streams ask for `include_usage`, whose last chunk carries the usage."""

 provider = "openai"
 sdk_module = "openai"
 client_class = "AsyncOpenAI"
 create_method = "chat.completions.create"
 request_id_header = "x-request-id"
 stream_arguments: ClassVar[dict[str, Any]] = {"stream": True, "stream_options": {"include_usage": True}}
 stream_end = "a finish_reason"
 error_readers = (
  ("APIStatusError", _status_error),
  *StainlessClient.error_readers,
  ("APIResponseValidationError", None),  # a reply the SDK cannot parse: a bug, not a failed call
  ("APIError", _stream_error),
 )
 max_tokens_param = "max_completion_tokens"

 def _arguments(self, request: CallRequest) -> dict[str, Any]:
  messages = [{"role": "user", "content": request.prompt}]
  if request.system:
   messages.insert(0, {"role": "system", "content": request.system})
  return {"model": request.model, "messages": messages, self.max_tokens_param: request.max_tokens}

 def _read_response(self, completion: Any, attempt: Attempt) -> None:
  attempt.model = completion.model or None
  if completion.choices:
   choice = completion.choices[0]
   attempt.add_text(choice.message.content)
   attempt.finish_reason = normalize_finish_reason(choice.finish_reason)

 def _read_event(self, chunk: Any, attempt: Attempt) -> None:
  attempt.model = chunk.model or attempt.model
  attempt.request_id = attempt.request_id or chunk.id
  for choice in chunk.choices:
   if choice.index == 0:
    _read_choice(choice, attempt)


class DeepSeekClient(OpenAIClient):
 """DeepSeek via its OpenAI-compatible API; usage adds prompt_cache_hit_tokens / prompt_cache_miss_tokens."""

 provider = "deepseek"
 default_base_url = DEEPSEEK_BASE_URL
 max_tokens_param = "max_tokens"
