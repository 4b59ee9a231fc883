"""Gemini Developer API through the official `google-genai` SDK (genai.Client(...).aio)."""

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
from .retry import retry_after_seconds, retry_delay_from_google_details
from .sdk import import_sdk

API_VERSION = "v1beta"


class GeminiClient(SDKClient):
 """Gemini models via generateContent / streamGenerateContent?alt=sse. Each stream chunk carries the
 cumulative usageMetadata, so the last one is the call's usage.

 `timeout` is the SDK's request timeout. The SDK sends through aiohttp when that is installed, and then
 the timeout bounds the whole response, a long stream included; through httpx it bounds each read."""

 provider = "gemini"

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

 async def _attempt(self, request: CallRequest, attempt: Attempt) -> None:
  config = self._types.GenerateContentConfig(
   system_instruction=request.system or None,
   max_output_tokens=request.max_tokens,
   # Resuming a broken stream by continuation token would hide the failure and its billing from us.
   automatic_continuation=False,
  )
  models = self._client.aio.models
  if not request.stream:
   response = await models.generate_content(model=request.model, contents=request.prompt, config=config)
   self._read(response, attempt, attempt.add_text)
   attempt.settle_usage(response, self.provider)
   return
  chunks = await models.generate_content_stream(model=request.model, contents=request.prompt, config=config)
  try:
   async for chunk in chunks:
    attempt.events.append(chunk)
    self._read(chunk, attempt, attempt.emit)
  finally:
   await chunks.aclose()
  if attempt.finish_reason is None:
   raise ProviderFailure(Failure("connection", "the stream ended before a finishReason"))
  attempt.settle_usage(attempt.events, self.provider)

 @staticmethod
 def _read(response: Any, attempt: Attempt, take_text: Any) -> None:
  attempt.model = response.model_version or attempt.model
  attempt.request_id = attempt.request_id or response.response_id
  if not response.candidates:
   return
  candidate = response.candidates[0]
  if candidate.content is not None:
   for part in candidate.content.parts or ():
    if part.text and not part.thought:
     take_text(part.text)
  if candidate.finish_reason is not None:
   attempt.finish_reason = normalize_finish_reason(candidate.finish_reason)

 def _describe(self, exc: Exception) -> Failure | None:
  if isinstance(exc, self._errors.APIError):
   status = int(exc.code or 0)
   kind = "auth" if _is_invalid_key(exc.details) else kind_for_status(status) if status else "server"
   response = getattr(exc, "response", None)
   headers = getattr(response, "headers", None)
   retry_after = retry_after_seconds(headers) if headers is not None else None
   if retry_after is None:
    retry_after = retry_delay_from_google_details(exc.details)
   return Failure(
    kind,
    f"HTTP {status} {exc.status or ''}: {exc.message or exc}".replace(" :", ":"),
    status_code=status or None,
    retry_after=retry_after,
   )
  if isinstance(exc, self._errors.UnknownApiResponseError):
   return Failure("server", f"unreadable response: {exc}")
  return super()._describe(exc)


def _is_invalid_key(body: Any) -> bool:
 """Gemini answers a bad key with 400 INVALID_ARGUMENT and an ErrorInfo of reason API_KEY_INVALID."""
 error = body.get("error", body) if isinstance(body, Mapping) else None
 details = error.get("details") if isinstance(error, Mapping) else None
 return isinstance(details, list) and any(
  isinstance(d, Mapping) and d.get("reason") in ("API_KEY_INVALID", "API_KEY_EXPIRED") for d in details
 )
