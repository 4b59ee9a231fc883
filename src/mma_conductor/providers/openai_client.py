"""OpenAI Chat Completions through the official `openai` SDK, and DeepSeek, which speaks the same API."""

from __future__ import annotations

from collections.abc import Mapping
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

DEEPSEEK_BASE_URL = "https://api.deepseek.com"

# `error.type` / `error.code` of an error sent inside an otherwise successful (HTTP 200) stream.
_STREAM_ERROR_KINDS: dict[str, ErrorKind] = {
 "invalid_request_error": "bad_request",
 "authentication_error": "auth",
 "insufficient_quota": "rate_limit",
 "rate_limit_exceeded": "rate_limit",
 "rate_limit_error": "rate_limit",
}


class OpenAIClient(SDKClient):
 """OpenAI models via Chat Completions. Streams ask for `include_usage`, whose last chunk carries the usage."""

 provider = "openai"
 max_tokens_param = "max_completion_tokens"

 def _connect(self, api_key: str, base_url: str | None, timeout: float) -> None:
  self._sdk = import_sdk("openai", self.provider, "openai")
  self._client = self._sdk.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

 async def aclose(self) -> None:
  """Release the SDK's connections."""
  await self._client.close()

 async def _attempt(self, request: CallRequest, attempt: Attempt) -> None:
  messages = [{"role": "user", "content": request.prompt}]
  if request.system:
   messages.insert(0, {"role": "system", "content": request.system})
  kwargs: dict[str, Any] = {"model": request.model, "messages": messages, self.max_tokens_param: request.max_tokens}
  completions = self._client.chat.completions
  if not request.stream:
   completion = await completions.create(**kwargs)
   attempt.request_id = getattr(completion, "_request_id", None) or completion.id
   attempt.model = completion.model or None
   if completion.choices:
    choice = completion.choices[0]
    attempt.add_text(choice.message.content)
    attempt.finish_reason = normalize_finish_reason(choice.finish_reason)
   attempt.settle_usage(completion, self.provider)
   return
  stream = await completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
  attempt.request_id = stream.response.headers.get("x-request-id")
  finished = False
  async with stream:
   async for chunk in stream:
    attempt.events.append(chunk)
    attempt.model = chunk.model or attempt.model
    attempt.request_id = attempt.request_id or chunk.id
    for choice in chunk.choices:
     if choice.index != 0:
      continue
     if choice.delta is not None:
      attempt.emit(choice.delta.content)
     if choice.finish_reason is not None:
      attempt.finish_reason = normalize_finish_reason(choice.finish_reason)
      finished = True
  if not finished:
   raise ProviderFailure(Failure("connection", "the stream ended before a finish_reason"))
  attempt.settle_usage(attempt.events, self.provider)

 def _describe(self, exc: Exception) -> Failure | None:
  sdk = self._sdk
  if isinstance(exc, sdk.APIStatusError):
   status = exc.status_code
   return Failure(
    kind_for_status(status),
    f"HTTP {status}: {_error_message(exc)}",
    status_code=status,
    request_id=exc.request_id,
    retry_after=retry_after_seconds(exc.response.headers),
   )
  if isinstance(exc, sdk.APITimeoutError):
   return Failure("timeout", "request timed out")
  if isinstance(exc, sdk.APIConnectionError):
   cause = exc.__cause__
   return Failure("connection", f"connection failed ({cause or exc})")
  if isinstance(exc, sdk.APIError) and not isinstance(exc, sdk.APIResponseValidationError):
   code = str(getattr(exc, "code", None) or getattr(exc, "type", None) or "")
   return Failure(_STREAM_ERROR_KINDS.get(code, "server"), f"error in the stream ({code or 'unknown'}): {exc.message}")
  return super()._describe(exc)


class DeepSeekClient(OpenAIClient):
 """DeepSeek via its OpenAI-compatible API; usage adds prompt_cache_hit_tokens / prompt_cache_miss_tokens."""

 provider = "deepseek"
 default_base_url = DEEPSEEK_BASE_URL
 max_tokens_param = "max_tokens"


def _error_message(exc: Any) -> str:
 body = exc.body
 if isinstance(body, Mapping) and isinstance(body.get("message"), str):
  return body["message"]
 return str(exc.message)
