"""Gemini Developer API through the official `google-genai` SDK (genai.Client(...).aio)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, aclosing
from typing import Any

from .base import Attempt, CallRequest, Failure, SDKClient, kind_for_status, normalize_finish_reason
from .retry import google_error_details, retry_after_seconds, retry_delay_from_google_details
from .sdk import import_sdk

API_VERSION = "v1beta"


def _api_error(exc: Any) -> Failure:
 status = int(exc.code or 0)
 kind = "auth" if _is_invalid_key(exc.details) else kind_for_status(status) if status else "server"
 headers = getattr(getattr(exc, "response", None), "headers", None)
 retry_after = retry_after_seconds(headers) if headers is not None else None
 if retry_after is None:
  retry_after = retry_delay_from_google_details(exc.details)
 return Failure(
  kind,
  f"HTTP {status} {exc.status or ''}: {exc.message or exc}".replace(" :", ":"),
  status_code=status or None,
  retry_after=retry_after,
 )


def _is_invalid_key(body: Any) -> bool:
 """Gemini answers a bad key with 400 INVALID_ARGUMENT and an ErrorInfo of reason API_KEY_INVALID."""
 return any(detail.get("reason") in ("API_KEY_INVALID", "API_KEY_EXPIRED") for detail in google_error_details(body))


def _read(response: Any, attempt: Attempt, take_text: Callable[[str], None]) -> None:
 """Fill `attempt` from a response or a stream chunk, passing its answer text to `take_text`."""
 attempt.model = response.model_version or attempt.model
 attempt.request_id = attempt.request_id or response.response_id
 if not response.candidates:
  return
 candidate = response.candidates[0]
 parts = () if candidate.content is None else (candidate.content.parts or ())
 for part in parts:
  if part.text and not part.thought:
   take_text(part.text)
 if candidate.finish_reason is not None:
  attempt.finish_reason = normalize_finish_reason(candidate.finish_reason)
  attempt.finished = True


class GeminiClient(SDKClient):
 """Gemini models via generateContent / streamGenerateContent?alt=sse. Each stream chunk carries the
 cumulative usageMetadata, so the last one is the call's usage.

 `timeout` is the SDK's request timeout. The SDK sends through aiohttp when that is installed, and then
 the timeout bounds the whole response, a long stream included; through httpx it bounds each read."""

 provider = "gemini"
 stream_end = "a finishReason"
 error_readers = (
  ("APIError", _api_error),
  ("UnknownApiResponseError", lambda exc: Failure("server", f"unreadable response: {exc}")),
 )

 def _connect(self, api_key: str, base_url: str | None, timeout: float) -> None:
  genai = import_sdk("google.genai", self.provider, "google-genai")
  self._types = import_sdk("google.genai.types", self.provider, "google-genai")
  self._errors = import_sdk("google.genai.errors", self.provider, "google-genai")
  options = self._types.HttpOptions(
   base_url=base_url,
   api_version=API_VERSION,
   timeout=None if timeout is None else max(1, round(timeout * 1000)),
   # One attempt per SDK call: the retries are ours. Setting it also turns off the aiohttp transport's
   # own reconnect-and-retry, which sleeps 1-10 s.
   retry_options=self._types.HttpRetryOptions(attempts=1),
  )
  self._client = genai.Client(api_key=api_key, vertexai=False, http_options=options)

 async def aclose(self) -> None:
  """Release the SDK's connections."""
  await self._client.aio.aclose()

 def _arguments(self, request: CallRequest) -> dict[str, Any]:
  config = self._types.GenerateContentConfig(
   system_instruction=request.system or None,
   max_output_tokens=request.max_tokens,
   # Resuming a broken stream by continuation token would hide the failure and its billing from us.
   automatic_continuation=False,
  )
  return {"model": request.model, "contents": request.prompt, "config": config}

 async def _send(self, request: CallRequest, attempt: Attempt) -> Any:
  return await self._client.aio.models.generate_content(**self._arguments(request))

 async def _open_stream(self, request: CallRequest, attempt: Attempt) -> AbstractAsyncContextManager[Any]:
  return aclosing(await self._client.aio.models.generate_content_stream(**self._arguments(request)))

 def _read_response(self, response: Any, attempt: Attempt) -> None:
  _read(response, attempt, attempt.add_text)

 def _read_event(self, chunk: Any, attempt: Attempt) -> None:
  _read(chunk, attempt, attempt.emit)
