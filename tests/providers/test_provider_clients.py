"""The four real SDKs against a loopback server speaking each provider's wire format."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from provider_servers import (
 ProviderServer,
 Received,
 Reply,
 anthropic_error,
 anthropic_message,
 anthropic_stream_frames,
 gemini_error,
 gemini_response,
 gemini_stream_frames,
 json_reply,
 openai_completion,
 openai_error,
 openai_stream_frames,
 sse,
 sse_reply,
)

from mma_conductor.pricing.usage import Usage
from mma_conductor.providers.base import CallInterrupted
from mma_conductor.providers.factory import CallError, CallResult, make_client

pytestmark = pytest.mark.usefixtures("loopback_only", "clean_provider_env")

KEY = "sk-live-TESTKEY-7f3a9c2e41b8d6-Zq9X"
SYSTEM = "You are a careful engineer."
PROMPT = "Summarize the parser module."
MAX_TOKENS = 321
CHUNKS = ["The parser ", "reads tokens ", "in one pass."]
TEXT = "".join(CHUNKS)


@dataclass
class Wire:
 """How one provider's API looks on the wire, and what the client must make of it."""

 provider: str
 model: str
 reported_model: str
 request_id: str
 usage: Usage
 path_suffix: str = ""
 headers: dict[str, str] = field(default_factory=dict)

 def client(self, server: ProviderServer, *, timeout: float = 5.0, max_retries: int = 0, **kw: Any) -> Any:
  options = {"base_delay": 0.01, "max_delay": 2.0, **kw}
  return make_client(
   self.provider,
   api_key=KEY,
   base_url=server.base_url + self.path_suffix,
   timeout=timeout,
   max_retries=max_retries,
   **options,
  )

 def ok(self) -> Reply:
  raise NotImplementedError

 def stream(self) -> Reply:
  raise NotImplementedError

 def broken_stream(self) -> tuple[Reply, Usage | None, str]:
  """A stream cut after the provider reported usage: (reply, billed usage, text that arrived)."""
  raise NotImplementedError

 def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
  raise NotImplementedError

 def rate_limited(self, wait_s: float) -> Reply:
  return self.error(429, "slow down", {"retry-after": str(wait_s)})

 def auth_failure(self, message: str) -> Reply:
  return self.error(401, message)

 def check_request(self, received: Received, stream: bool) -> None:
  raise NotImplementedError


class AnthropicWire(Wire):
 start_usage: ClassVar[dict[str, Any]] = {
  "input_tokens": 100,
  "cache_creation_input_tokens": 50,
  "cache_read_input_tokens": 200,
  "cache_creation": {"ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 20},
  "output_tokens": 1,
  "service_tier": "standard",
 }
 final_usage: ClassVar[dict[str, Any]] = {"output_tokens": 40, "output_tokens_details": {"thinking_tokens": 15}}

 def ok(self) -> Reply:
  usage = {**self.start_usage, **self.final_usage}
  body = anthropic_message(TEXT, model=self.reported_model, usage=usage, thinking="Let me think.")
  return json_reply(body, headers={"request-id": self.request_id})

 def stream_frames(self) -> list[str]:
  return anthropic_stream_frames(
   CHUNKS,
   model=self.reported_model,
   start_usage=self.start_usage,
   final_usage=self.final_usage,
   thinking_chunks=["Let me ", "think."],
  )

 def stream(self) -> Reply:
  return sse_reply(self.stream_frames(), headers={"request-id": self.request_id})

 def broken_stream(self) -> tuple[Reply, Usage | None, str]:
  frames = anthropic_stream_frames(
   CHUNKS, model=self.reported_model, start_usage=self.start_usage, final_usage=self.final_usage
  )
  # message_start, content_block_start, ping, two text deltas: then the connection drops.
  billed = Usage(350, 1, 200, 50, 20, 0)
  return sse_reply(frames, headers={"request-id": self.request_id}, break_after=5), billed, "".join(CHUNKS[:2])

 def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
  types = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}
  return json_reply(anthropic_error(types.get(status, "api_error"), message), status, headers)

 def check_request(self, received: Received, stream: bool) -> None:
  assert received.method == "POST" and received.path == "/v1/messages"
  assert received.headers.get("x-api-key") == KEY or received.headers.get("authorization") == f"Bearer {KEY}"
  body = received.body
  assert body["model"] == self.model and body["max_tokens"] == MAX_TOKENS and body["system"] == SYSTEM
  assert body["messages"] == [{"role": "user", "content": PROMPT}]
  assert bool(body.get("stream")) is stream


class OpenAIWire(Wire):
 raw_usage: ClassVar[dict[str, Any]] = {
  "prompt_tokens": 300,
  "completion_tokens": 80,
  "total_tokens": 380,
  "prompt_tokens_details": {"cached_tokens": 120, "audio_tokens": 0},
  "completion_tokens_details": {
   "reasoning_tokens": 30,
   "audio_tokens": 0,
   "accepted_prediction_tokens": 0,
   "rejected_prediction_tokens": 0,
  },
 }
 completion_id = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"
 max_tokens_field = "max_completion_tokens"
 path = "/v1/chat/completions"

 def ok(self) -> Reply:
  body = openai_completion(TEXT, model=self.reported_model, usage=self.raw_usage, completion_id=self.completion_id)
  return json_reply(body, headers=self.headers)

 def stream(self) -> Reply:
  frames = openai_stream_frames(
   CHUNKS, model=self.reported_model, usage=self.raw_usage, completion_id=self.completion_id
  )
  return sse_reply(frames, headers=self.headers)

 def broken_stream(self) -> tuple[Reply, Usage | None, str]:
  frames = openai_stream_frames(
   CHUNKS, model=self.reported_model, usage=self.raw_usage, completion_id=self.completion_id
  )
  # Everything up to and including the include_usage chunk arrives; [DONE] and the stream's end do not.
  return sse_reply(frames, headers=self.headers, break_after=len(frames) - 1), self.usage, TEXT

 def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
  types = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}
  return json_reply(openai_error(message, types.get(status, "server_error")), status, headers)

 def check_request(self, received: Received, stream: bool) -> None:
  assert received.method == "POST" and received.path == self.path
  assert received.headers.get("authorization") == f"Bearer {KEY}"
  body = received.body
  assert body["model"] == self.model and body[self.max_tokens_field] == MAX_TOKENS
  assert body["messages"] == [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]
  assert bool(body.get("stream")) is stream
  assert body.get("stream_options") == ({"include_usage": True} if stream else None)


class DeepSeekWire(OpenAIWire):
 raw_usage: ClassVar[dict[str, Any]] = {
  "prompt_tokens": 500,
  "completion_tokens": 60,
  "total_tokens": 560,
  "prompt_tokens_details": {"cached_tokens": 200},
  "prompt_cache_hit_tokens": 200,
  "prompt_cache_miss_tokens": 300,
  "completion_tokens_details": {"reasoning_tokens": 25},
 }
 completion_id = "930c60df-bf64-41c9-a88e-3ec75f81e00e"
 max_tokens_field = "max_tokens"
 path = "/chat/completions"

 def ok(self) -> Reply:
  body = openai_completion(
   TEXT,
   model=self.reported_model,
   usage=self.raw_usage,
   completion_id=self.completion_id,
   reasoning_content="First, the parser...",
  )
  return json_reply(body, headers=self.headers)


class GeminiWire(Wire):
 raw_usage: ClassVar[dict[str, Any]] = {
  "promptTokenCount": 400,
  "candidatesTokenCount": 50,
  "totalTokenCount": 470,
  "cachedContentTokenCount": 100,
  "thoughtsTokenCount": 20,
  "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 400}],
 }
 partial_usages: ClassVar[list[dict[str, Any]]] = [
  {"promptTokenCount": 400, "cachedContentTokenCount": 100, "candidatesTokenCount": 10, "thoughtsTokenCount": 20},
  {"promptTokenCount": 400, "cachedContentTokenCount": 100, "candidatesTokenCount": 30, "thoughtsTokenCount": 20},
 ]

 def ok(self) -> Reply:
  body = gemini_response(
   TEXT, model_version=self.reported_model, usage=self.raw_usage, response_id=self.request_id, thought="Hmm."
  )
  return json_reply(body)

 def stream(self) -> Reply:
  usages = [*self.partial_usages, self.raw_usage]
  return sse_reply(
   gemini_stream_frames(CHUNKS, model_version=self.reported_model, usages=usages, response_id=self.request_id)
  )

 def broken_stream(self) -> tuple[Reply, Usage | None, str]:
  usages = [*self.partial_usages, self.raw_usage]
  frames = gemini_stream_frames(CHUNKS, model_version=self.reported_model, usages=usages, response_id=self.request_id)
  return sse_reply(frames, break_after=2), Usage(400, 50, 100, 0, 0, 20), "".join(CHUNKS[:2])

 def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
  statuses = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}
  return json_reply(gemini_error(status, statuses.get(status, "UNAVAILABLE"), message), status, headers)

 def rate_limited(self, wait_s: float) -> Reply:
  # Gemini says how long to wait in a google.rpc.RetryInfo detail rather than a header.
  details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{wait_s}s"}]
  return json_reply(gemini_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details), 429)

 def auth_failure(self, message: str) -> Reply:
  # Gemini answers a bad key with 400, not 401: the ErrorInfo reason is what says so.
  details = [
   {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}
  ]
  return json_reply(gemini_error(400, "INVALID_ARGUMENT", message, details), 400)

 def check_request(self, received: Received, stream: bool) -> None:
  action = "streamGenerateContent?alt=sse" if stream else "generateContent"
  assert received.method == "POST" and received.path == f"/v1beta/models/{self.model}:{action}"
  assert received.headers.get("x-goog-api-key") == KEY
  body = received.body
  assert body["contents"] == [{"parts": [{"text": PROMPT}], "role": "user"}]
  assert body["systemInstruction"]["parts"] == [{"text": SYSTEM}]
  assert body["generationConfig"]["maxOutputTokens"] == MAX_TOKENS


WIRES = [
 AnthropicWire(
  "anthropic",
  "claude-haiku-4-5",
  "claude-haiku-4-5-20251001",
  "req_011CTestAnthropic",
  Usage(350, 40, 200, 50, 20, 15),
 ),
 OpenAIWire(
  "openai",
  "gpt-5",
  "gpt-5-2025-08-07",
  "req_openai_5b2c",
  Usage(300, 80, 120, 0, 0, 30),
  "/v1",
  {"x-request-id": "req_openai_5b2c"},
 ),
 DeepSeekWire(
  "deepseek", "deepseek-reasoner", "deepseek-reasoner", DeepSeekWire.completion_id, Usage(500, 60, 200, 0, 0, 25)
 ),
 GeminiWire(
  "gemini", "gemini-2.5-flash", "gemini-2.5-flash-preview-09-2025", "resp-gemini-81f2", Usage(400, 70, 100, 0, 0, 20)
 ),
]
by_name = {wire.provider: wire for wire in WIRES}
each_wire = pytest.mark.parametrize("wire", WIRES, ids=[w.provider for w in WIRES])


async def call(
 wire: Wire, server: ProviderServer, *, stream: bool = False, on_text: Any = None, **kw: Any
) -> CallResult:
 client = wire.client(server, **kw)
 try:
  return await client.complete(
   model=wire.model, system=SYSTEM, prompt=PROMPT, max_tokens=MAX_TOKENS, stream=stream, on_text=on_text
  )
 finally:
  await client.aclose()


def fails(wire: Wire, server: ProviderServer, **kw: Any) -> CallError:
 with pytest.raises(CallError) as info:
  asyncio.run(call(wire, server, **kw))
 return info.value


# Success ------------------------------------------------------------------------------------------------------


@each_wire
def test_complete_reads_text_usage_request_id_and_reported_model(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.ok())
 result = asyncio.run(call(wire, provider_server))
 assert result.status == "success" and result.error is None and result.ok
 assert result.text == TEXT  # thinking / reasoning content is not part of the answer
 assert result.usage == wire.usage
 assert (result.provider, result.model, result.request_id) == (wire.provider, wire.reported_model, wire.request_id)
 assert result.attempts == 1 and result.finish_reason == "stop" and result.latency_s > 0
 assert len(provider_server.requests) == 1
 wire.check_request(provider_server.requests[0], stream=False)


@each_wire
def test_streaming_passes_each_delta_to_on_text(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.stream())
 deltas: list[str] = []
 result = asyncio.run(call(wire, provider_server, stream=True, on_text=deltas.append))
 assert deltas == CHUNKS
 assert result.status == "success" and result.text == TEXT
 assert result.usage == wire.usage
 assert (result.model, result.request_id, result.attempts) == (wire.reported_model, wire.request_id, 1)
 wire.check_request(provider_server.requests[0], stream=True)


@each_wire
def test_non_streaming_call_gives_on_text_the_whole_answer_once(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.ok())
 seen: list[str] = []
 asyncio.run(call(wire, provider_server, on_text=seen.append))
 assert seen == [TEXT]


def test_answer_cut_by_max_tokens_is_reported(provider_server: ProviderServer) -> None:
 wire = by_name["anthropic"]
 body = anthropic_message("The parser", model=wire.reported_model, usage={"input_tokens": 5, "output_tokens": 321})
 provider_server.enqueue(json_reply({**body, "stop_reason": "max_tokens"}))
 assert asyncio.run(call(wire, provider_server)).finish_reason == "max_tokens"


def test_concurrent_calls_on_one_client_keep_their_own_results(provider_server: ProviderServer) -> None:
 wire = by_name["openai"]
 for index in range(5):
  body = openai_completion(f"answer {index}", model=wire.reported_model, usage=wire.raw_usage)
  provider_server.enqueue(json_reply(body, headers={"x-request-id": f"req_{index}"}))

 async def scenario() -> list[CallResult]:
  client = wire.client(provider_server)
  try:
   calls = [client.complete(model=wire.model, system=SYSTEM, prompt=PROMPT) for _ in range(5)]
   return await asyncio.gather(*calls)
  finally:
   await client.aclose()

 results = asyncio.run(scenario())
 pairs = {(r.text, r.request_id) for r in results}
 assert pairs == {(f"answer {i}", f"req_{i}") for i in range(5)}
 assert all(r.usage == wire.usage for r in results)


# Retries ------------------------------------------------------------------------------------------------------


@each_wire
def test_rate_limit_is_retried_after_the_wait_the_server_asks_for(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.rate_limited(0.3), wire.ok())
 started = time.monotonic()
 result = asyncio.run(call(wire, provider_server, max_retries=3))
 elapsed = time.monotonic() - started
 assert result.status == "success" and result.attempts == 2 and result.usage == wire.usage
 assert len(provider_server.requests) == 2
 # The backoff alone (base 0.01 s) would retry at once; only the server's Retry-After explains the wait.
 assert 0.3 <= elapsed < 2.0
 assert result.latency_s >= 0.3


def test_retry_after_ms_is_preferred_to_retry_after(provider_server: ProviderServer) -> None:
 wire = by_name["openai"]
 provider_server.enqueue(wire.error(429, "slow down", {"retry-after-ms": "250", "retry-after": "30"}), wire.ok())
 started = time.monotonic()
 result = asyncio.run(call(wire, provider_server, max_retries=1))
 assert result.attempts == 2 and 0.25 <= time.monotonic() - started < 5


def test_retry_after_beyond_max_delay_fails_at_once(provider_server: ProviderServer) -> None:
 wire = by_name["anthropic"]
 provider_server.enqueue(wire.rate_limited(3600))
 error = fails(wire, provider_server, max_retries=3)
 assert error.kind == "rate_limit" and error.status_code == 429 and error.attempts == 1
 assert len(provider_server.requests) == 1


@each_wire
def test_server_errors_are_retried_until_success(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.error(500, "internal"), wire.error(503, "unavailable"), wire.ok())
 result = asyncio.run(call(wire, provider_server, max_retries=3))
 assert result.status == "success" and result.attempts == 3 and result.text == TEXT
 assert len(provider_server.requests) == 3


@each_wire
def test_server_errors_beyond_max_retries_raise(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(*(wire.error(500, "internal") for _ in range(3)))
 error = fails(wire, provider_server, max_retries=2)
 assert error.kind == "server" and error.status_code == 500 and error.attempts == 3 and error.retryable
 assert "after 3 attempts" in str(error) and error.provider == wire.provider
 # The SDKs' own retries are off: every request the server saw is one of our attempts.
 assert len(provider_server.requests) == 3


def test_backoff_grows_exponentially_with_full_jitter(provider_server: ProviderServer) -> None:
 wire = by_name["openai"]
 provider_server.enqueue(*(wire.error(503, "unavailable") for _ in range(4)))
 started = time.monotonic()
 with pytest.raises(CallError):
  asyncio.run(call(wire, provider_server, max_retries=3, base_delay=0.1, max_delay=10))
 # Full jitter waits uniform(0, 0.1 * 2**n) for n = 0, 1, 2: never more than 0.7 s in total.
 assert time.monotonic() - started < 0.7 + 0.5
 assert len(provider_server.requests) == 4


@each_wire
def test_auth_error_is_raised_once_and_never_shows_the_key(provider_server: ProviderServer, wire: Wire) -> None:
 # Some APIs echo the key they rejected; it must not reach our message.
 provider_server.enqueue(wire.auth_failure(f"API key not valid: {KEY}"))
 error = fails(wire, provider_server, max_retries=3)
 assert error.kind == "auth" and not error.retryable and error.attempts == 1
 assert len(provider_server.requests) == 1
 assert wire.provider in str(error) and "auth" in str(error) and "API key not valid" in str(error)
 assert KEY not in str(error) and KEY not in repr(error) and KEY not in repr(error.args)
 assert error.__cause__ is None and error.__context__ is None


@each_wire
def test_bad_request_is_not_retried(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(wire.error(400, "max_tokens: must be positive"))
 error = fails(wire, provider_server, max_retries=3)
 assert error.kind == "bad_request" and error.status_code == 400 and len(provider_server.requests) == 1
 assert "max_tokens: must be positive" in str(error)


@each_wire
def test_timeout_is_retried_then_raised(provider_server: ProviderServer, wire: Wire) -> None:
 provider_server.enqueue(Reply(body={}, delay_s=3), Reply(body={}, delay_s=3))
 started = time.monotonic()
 error = fails(wire, provider_server, timeout=0.25, max_retries=1)
 assert error.kind == "timeout" and error.attempts == 2 and error.retryable
 assert len(provider_server.requests) == 2
 assert time.monotonic() - started < 2.5


@each_wire
def test_connection_refused_is_a_connection_error(wire: Wire) -> None:
 client = make_client(
  wire.provider,
  api_key=KEY,
  base_url="http://127.0.0.1:9" + wire.path_suffix,
  timeout=2,
  max_retries=1,
  base_delay=0.01,
 )

 async def scenario() -> None:
  try:
   await client.complete(model=wire.model, system="", prompt="hi")
  finally:
   await client.aclose()

 started = time.monotonic()
 with pytest.raises(CallError) as info:
  asyncio.run(scenario())
 assert (info.value.kind, info.value.attempts, info.value.provider) == ("connection", 2, wire.provider)
 assert time.monotonic() - started < 1.0  # no SDK-side reconnect loop with its own sleeps


# Broken streams -------------------------------------------------------------------------------------------------


@each_wire
def test_stream_broken_after_usage_returns_a_failed_result_with_the_billed_usage(
 provider_server: ProviderServer, wire: Wire
) -> None:
 reply, billed, partial = wire.broken_stream()
 provider_server.enqueue(reply)
 deltas: list[str] = []
 result = asyncio.run(call(wire, provider_server, stream=True, on_text=deltas.append, max_retries=3))
 assert result.status == "failed" and not result.ok
 assert result.usage == billed
 assert result.text == partial and "".join(deltas) == partial
 assert result.attempts == 1 and len(provider_server.requests) == 1  # text was shown: never retried
 assert result.error and "connection" in result.error and result.model == wire.reported_model


@each_wire
def test_stop_mid_stream_is_an_interruption_carrying_what_was_billed(
 provider_server: ProviderServer, wire: Wire
) -> None:
 reply, billed, partial = wire.broken_stream()
 # The stream stalls where it broke off. OpenAI-style streams report usage only in their last chunk: stalled
 # before it, the interrupted call has its text but no usage to bill.
 reporting_late = isinstance(wire, OpenAIWire)
 reply.hold_after, reply.break_after = reply.break_after - reporting_late, None
 billed = None if reporting_late else billed
 provider_server.enqueue(reply)
 deltas: list[str] = []

 async def scenario() -> None:
  task = asyncio.ensure_future(call(wire, provider_server, stream=True, on_text=deltas.append, max_retries=3))
  while "".join(deltas) != partial:
   await asyncio.sleep(0.01)
  task.cancel()
  await task

 with pytest.raises(CallInterrupted) as info:
  asyncio.run(scenario())
 result = info.value.result
 assert isinstance(info.value, asyncio.CancelledError)  # still a cancellation for whoever awaits the call
 assert result.status == "failed" and result.usage == billed and result.text == partial
 assert "interrupted" in result.error and result.model == wire.reported_model


def test_openai_stream_broken_before_usage_keeps_the_text_and_says_usage_is_unknown(
 provider_server: ProviderServer,
) -> None:
 wire = by_name["openai"]
 frames = openai_stream_frames(CHUNKS, model=wire.reported_model, usage=wire.raw_usage)
 provider_server.enqueue(sse_reply(frames, break_after=3))
 result = asyncio.run(call(wire, provider_server, stream=True, max_retries=2))
 assert result.status == "failed" and result.usage is None and result.text == "".join(CHUNKS[:2])
 assert result.attempts == 1


def test_anthropic_stream_failing_before_any_text_is_retried_and_every_attempt_is_billed(
 provider_server: ProviderServer,
) -> None:
 wire = by_name["anthropic"]
 assert isinstance(wire, AnthropicWire)
 frames = wire.stream_frames()
 overloaded = sse(anthropic_error("overloaded_error", "Overloaded"), "error")
 provider_server.enqueue(
  sse_reply(frames, break_after=1),  # message_start, then the connection drops
  sse_reply([frames[0], overloaded]),  # message_start, then an error event
  wire.stream(),
 )
 deltas: list[str] = []
 result = asyncio.run(call(wire, provider_server, stream=True, on_text=deltas.append, max_retries=3))
 assert result.status == "success" and result.attempts == 3 and deltas == CHUNKS
 started = Usage(350, 1, 200, 50, 20, 0)
 assert result.usage == started + started + wire.usage


def truncated_streams() -> list[Any]:
 """Streams whose HTTP body ends cleanly but before the provider's final event: (wire, reply, usage, text)."""
 anthropic, openai, gemini = by_name["anthropic"], by_name["openai"], by_name["gemini"]
 assert isinstance(anthropic, AnthropicWire) and isinstance(openai, OpenAIWire) and isinstance(gemini, GeminiWire)
 openai_frames = openai_stream_frames(CHUNKS, model=openai.reported_model, usage=openai.raw_usage)
 gemini_frames = gemini_stream_frames(
  CHUNKS, model_version=gemini.reported_model, usages=[*gemini.partial_usages, gemini.raw_usage]
 )
 return [
  pytest.param(anthropic, sse_reply(anthropic.stream_frames()[:-1]), anthropic.usage, TEXT, id="anthropic"),
  pytest.param(openai, sse_reply(openai_frames[:4]), None, TEXT, id="openai"),
  pytest.param(gemini, sse_reply(gemini_frames[:2]), Usage(400, 50, 100, 0, 0, 20), "".join(CHUNKS[:2]), id="gemini"),
 ]


@pytest.mark.parametrize(("wire", "reply", "usage", "text"), truncated_streams())
def test_stream_that_ends_without_its_final_event_is_a_failure(
 provider_server: ProviderServer, wire: Wire, reply: Reply, usage: Usage | None, text: str
) -> None:
 provider_server.enqueue(reply)
 result = asyncio.run(call(wire, provider_server, stream=True, max_retries=2))
 assert result.status == "failed" and result.text == text and result.usage == usage and result.attempts == 1
 assert "the stream ended before" in (result.error or "")


def test_cancelling_the_task_cancels_the_call(provider_server: ProviderServer) -> None:
 wire = by_name["anthropic"]
 provider_server.enqueue(Reply(body={}, delay_s=3))

 async def scenario() -> None:
  task = asyncio.ensure_future(call(wire, provider_server, max_retries=3))
  while not provider_server.requests:
   await asyncio.sleep(0.01)
  task.cancel()
  await task

 started = time.monotonic()
 with pytest.raises(asyncio.CancelledError):
  asyncio.run(scenario())
 assert time.monotonic() - started < 1.0 and len(provider_server.requests) == 1


def test_error_raised_by_on_text_propagates_unchanged(provider_server: ProviderServer) -> None:
 wire = by_name["openai"]
 provider_server.enqueue(wire.stream())

 def explode(text: str) -> None:
  raise KeyError("ui went away")

 with pytest.raises(KeyError, match="ui went away"):
  asyncio.run(call(wire, provider_server, stream=True, on_text=explode, max_retries=3))
 assert len(provider_server.requests) == 1


# Key hygiene ----------------------------------------------------------------------------------------------------


def test_api_key_never_appears_in_logs_errors_or_reprs(
 provider_server: ProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
 loggers = ["", "anthropic", "openai", "httpx", "httpx2", "httpcore", "httpcore2", "google_genai", "mma_conductor"]
 for name in loggers:
  caplog.set_level(logging.DEBUG, logger=name)
 texts: list[str] = []
 for wire in WIRES:
  provider_server.enqueue(
   wire.ok(), wire.stream(), wire.rate_limited(0.01), wire.ok(), wire.auth_failure(f"bad key {KEY}")
  )
  client = wire.client(provider_server, max_retries=2)
  texts += [repr(client), str(client)]

  async def scenario(client: Any = client, wire: Wire = wire, texts: list[str] = texts) -> None:
   try:
    await client.complete(model=wire.model, system=SYSTEM, prompt=PROMPT)
    await client.complete(model=wire.model, system=SYSTEM, prompt=PROMPT, stream=True)
    await client.complete(model=wire.model, system=SYSTEM, prompt=PROMPT)
    with pytest.raises(CallError) as info:
     await client.complete(model=wire.model, system=SYSTEM, prompt=PROMPT)
    texts.extend([str(info.value), repr(info.value)])
   finally:
    await client.aclose()

  asyncio.run(scenario())
 logged = [record.getMessage() for record in caplog.records]
 logged += [caplog.text]
 # The capture really saw the SDKs' and the HTTP layer's debug output, including our retry notice.
 assert any("Sending HTTP Request" in line for line in logged)
 assert any(record.name.startswith("httpcore") for record in caplog.records)
 assert any(
  record.name == "mma_conductor.providers" and "retry 1 of 2" in record.getMessage() for record in caplog.records
 )
 assert len(provider_server.requests) == 5 * len(WIRES)
 for text in logged + texts:
  assert KEY not in text
 assert all("****Zq9X" in text for text in texts[:2])
