"""usage_from_response on responses in the shapes of the providers' API references: every provider, streamed and
not, as JSON and as the official SDKs' own objects, the provider hint, and payloads without usage.

The payload builders below are shared with test_usage_costs.py; each returns a fresh structure.
"""

from __future__ import annotations

import copy

import anthropic.types
import pytest
from google.genai import types as genai_types
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import Response, ResponseStreamEvent, ResponseUsage
from pydantic import TypeAdapter

from mma_conductor.pricing.usage import Usage, UsageError, usage_from_response

# Payloads -------------------------------------------------------------------------------------------------------


def anthropic_message() -> dict:
 """Messages API, non-streaming, with 5-minute and 1-hour cache writes and a cache read."""
 return {
  "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
  "type": "message",
  "role": "assistant",
  "content": [{"type": "text", "text": "The summary you asked for."}],
  "model": "claude-sonnet-4-5-20250929",
  "stop_reason": "end_turn",
  "stop_sequence": None,
  "usage": {
   "input_tokens": 2095,
   "cache_creation_input_tokens": 1800,
   "cache_read_input_tokens": 12000,
   "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1500},
   "output_tokens": 503,
   "service_tier": "standard",
  },
 }


def anthropic_thinking_message() -> dict:
 """Extended thinking: the thinking is inside output_tokens, broken out in output_tokens_details."""
 return {
  "id": "msg_01Aq9w938a90dw8q",
  "type": "message",
  "role": "assistant",
  "content": [
   {"type": "thinking", "thinking": "Let me work through this.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
   {"type": "text", "text": "The answer is 42."},
  ],
  "model": "claude-opus-4-1-20250805",
  "stop_reason": "end_turn",
  "stop_sequence": None,
  "usage": {
   "input_tokens": 320,
   "cache_creation_input_tokens": 0,
   "cache_read_input_tokens": 0,
   "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
   "output_tokens": 1900,
   "output_tokens_details": {"thinking_tokens": 1650},
   "service_tier": "standard",
  },
 }


def anthropic_stream(*output_counts: int) -> list[dict]:
 """A streamed message: message_start carries input and cache counts, every message_delta the cumulative output."""
 events: list[dict] = [
  {
   "type": "message_start",
   "message": {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "content": [],
    "model": "claude-sonnet-4-5-20250929",
    "stop_reason": None,
    "stop_sequence": None,
    "usage": {
     "input_tokens": 2095,
     "cache_creation_input_tokens": 1800,
     "cache_read_input_tokens": 12000,
     "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1500},
     "output_tokens": 1,
     "service_tier": "standard",
    },
   },
  },
  {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
  {"type": "ping"},
  {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "The summary"}},
  {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " you asked for."}},
  {"type": "content_block_stop", "index": 0},
 ]
 for count in output_counts or (503,):
  events.append(
   {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
    "usage": {"output_tokens": count},
   }
  )
 events.append({"type": "message_stop"})
 return events


def openai_chat_completion() -> dict:
 """Chat Completions, non-streaming, with a cache hit."""
 return {
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4o-2024-08-06",
  "choices": [
   {
    "index": 0,
    "message": {"role": "assistant", "content": "Here you go.", "refusal": None, "annotations": []},
    "logprobs": None,
    "finish_reason": "stop",
   }
  ],
  "usage": {
   "prompt_tokens": 1117,
   "completion_tokens": 46,
   "total_tokens": 1163,
   "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
   "completion_tokens_details": {
    "reasoning_tokens": 0,
    "audio_tokens": 0,
    "accepted_prediction_tokens": 0,
    "rejected_prediction_tokens": 0,
   },
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035",
 }


def openai_reasoning_completion() -> dict:
 """An o-series Chat Completion: reasoning_tokens are part of completion_tokens."""
 payload = openai_chat_completion()
 payload["model"] = "o3-2025-04-16"
 payload["usage"] = {
  "prompt_tokens": 2000,
  "completion_tokens": 1500,
  "total_tokens": 3500,
  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
  "completion_tokens_details": {
   "reasoning_tokens": 1024,
   "audio_tokens": 0,
   "accepted_prediction_tokens": 0,
   "rejected_prediction_tokens": 0,
  },
 }
 return payload


def _chat_chunk(content: str | None, finish_reason: str | None = None, role: str | None = None) -> dict:
 delta: dict = {"content": content}
 if role:
  delta["role"] = role
 return {
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion.chunk",
  "created": 1741570283,
  "model": "gpt-4o-2024-08-06",
  "system_fingerprint": "fp_fc9f1d7035",
  "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
  "usage": None,
 }


def openai_chat_stream(include_usage: bool = True) -> list[dict]:
 """Chat Completions stream; with stream_options.include_usage the last chunk has empty choices and the usage,
 every earlier chunk has "usage": null. Without it, no chunk has a usage key at all."""
 chunks = [
  _chat_chunk("", role="assistant"),
  _chat_chunk("Here"),
  _chat_chunk(" you go."),
  _chat_chunk(None, finish_reason="stop"),
 ]
 if not include_usage:
  for chunk in chunks:
   del chunk["usage"]
  return chunks
 final = _chat_chunk(None)
 final["choices"] = []
 final["usage"] = openai_chat_completion()["usage"]
 return [*chunks, final]


def openai_response() -> dict:
 """Responses API, non-streaming (current API: input_tokens_details also has cache_write_tokens)."""
 return {
  "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
  "object": "response",
  "created_at": 1741476777,
  "status": "completed",
  "error": None,
  "incomplete_details": None,
  "instructions": None,
  "max_output_tokens": None,
  "model": "o4-mini-2025-04-16",
  "output": [
   {"type": "reasoning", "id": "rs_67ccd3a9da748190", "summary": []},
   {
    "type": "message",
    "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Done.", "annotations": []}],
   },
  ],
  "parallel_tool_calls": True,
  "previous_response_id": None,
  "reasoning": {"effort": "medium", "summary": None},
  "store": True,
  "temperature": 1.0,
  "text": {"format": {"type": "text"}},
  "tool_choice": "auto",
  "tools": [],
  "top_p": 1.0,
  "truncation": "disabled",
  "usage": {
   "input_tokens": 12033,
   "input_tokens_details": {"cached_tokens": 11904, "cache_write_tokens": 0},
   "output_tokens": 844,
   "output_tokens_details": {"reasoning_tokens": 768},
   "total_tokens": 12877,
  },
  "user": None,
  "metadata": {},
 }


def openai_response_stream() -> list[dict]:
 """Responses API stream: usage is null until response.completed carries the final response."""
 started = openai_response()
 started.update(status="in_progress", output=[], usage=None)
 completed = openai_response()
 item = completed["output"][1]
 return [
  {"type": "response.created", "response": started, "sequence_number": 0},
  {"type": "response.in_progress", "response": started, "sequence_number": 1},
  {
   "type": "response.output_item.added",
   "output_index": 1,
   "item": {**item, "status": "in_progress", "content": []},
   "sequence_number": 2,
  },
  {
   "type": "response.output_text.delta",
   "item_id": item["id"],
   "output_index": 1,
   "content_index": 0,
   "delta": "Done.",
   "logprobs": [],
   "sequence_number": 3,
  },
  {
   "type": "response.output_text.done",
   "item_id": item["id"],
   "output_index": 1,
   "content_index": 0,
   "text": "Done.",
   "logprobs": [],
   "sequence_number": 4,
  },
  {"type": "response.output_item.done", "output_index": 1, "item": item, "sequence_number": 5},
  {"type": "response.completed", "response": completed, "sequence_number": 6},
 ]


def deepseek_reasoner_completion() -> dict:
 """DeepSeek: prompt_cache_hit_tokens + prompt_cache_miss_tokens = prompt_tokens; newer responses also carry
 prompt_tokens_details.cached_tokens; deepseek-reasoner reports reasoning_tokens inside completion_tokens."""
 return {
  "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
  "object": "chat.completion",
  "created": 1737514563,
  "model": "deepseek-reasoner",
  "choices": [
   {
    "index": 0,
    "message": {"role": "assistant", "content": "9.11 < 9.8", "reasoning_content": "Compare the decimals..."},
    "logprobs": None,
    "finish_reason": "stop",
   }
  ],
  "usage": {
   "prompt_tokens": 1500,
   "completion_tokens": 900,
   "total_tokens": 2400,
   "prompt_tokens_details": {"cached_tokens": 1280},
   "completion_tokens_details": {"reasoning_tokens": 700},
   "prompt_cache_hit_tokens": 1280,
   "prompt_cache_miss_tokens": 220,
  },
  "system_fingerprint": "fp_7e73fd9a08",
 }


def deepseek_chat_completion_legacy() -> dict:
 """Older deepseek-chat answers: only the hit/miss pair, no prompt_tokens_details."""
 return {
  "id": "b7d1f6a0-2c4e-4f67-9a3c-5e8d2f1a7b90",
  "object": "chat.completion",
  "created": 1722000000,
  "model": "deepseek-chat",
  "choices": [
   {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "logprobs": None, "finish_reason": "stop"}
  ],
  "usage": {
   "prompt_tokens": 2000,
   "completion_tokens": 120,
   "total_tokens": 2120,
   "prompt_cache_hit_tokens": 1920,
   "prompt_cache_miss_tokens": 80,
  },
  "system_fingerprint": "fp_a49d71b8a1",
 }


def gemini_response() -> dict:
 """generateContent REST answer (camelCase) with context cache, tool-use prompt and thinking."""
 return {
  "candidates": [
   {
    "content": {"parts": [{"text": "The report is ready."}], "role": "model"},
    "finishReason": "STOP",
    "index": 0,
   }
  ],
  "usageMetadata": {
   "promptTokenCount": 12000,
   "candidatesTokenCount": 350,
   "totalTokenCount": 13950,
   "cachedContentTokenCount": 8000,
   "toolUsePromptTokenCount": 400,
   "thoughtsTokenCount": 1200,
   "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12000}],
   "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 8000}],
   "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 350}],
   "toolUsePromptTokensDetails": [{"modality": "TEXT", "tokenCount": 400}],
  },
  "modelVersion": "gemini-2.5-flash",
  "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
 }


def gemini_stream() -> list[dict]:
 """streamGenerateContent?alt=sse: usageMetadata is cumulative on every chunk."""
 texts = ["The", " report", " is ready."]
 candidates = [4, 9, 350]
 chunks = []
 for text, count in zip(texts, candidates, strict=True):
  chunk = {
   "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}],
   "usageMetadata": {
    "promptTokenCount": 12000,
    "candidatesTokenCount": count,
    "totalTokenCount": 12000 + count + 1200,
    "cachedContentTokenCount": 8000,
    "thoughtsTokenCount": 1200,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12000}],
   },
   "modelVersion": "gemini-2.5-flash",
   "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
  }
  chunks.append(chunk)
 chunks[-1]["candidates"][0]["finishReason"] = "STOP"
 return chunks


def deepseek_chat_stream() -> list[dict]:
 """DeepSeek streams in the Chat Completions shape; the usage chunk carries its hit/miss counts."""
 chunks = openai_chat_stream()
 for chunk in chunks:
  chunk["model"] = "deepseek-reasoner"
 chunks[-1]["usage"] = deepseek_reasoner_completion()["usage"]
 return chunks


def gemini_stream_with_traffic_type_early() -> list[dict]:
 """A Gemini stream whose early chunks carry only the traffic type in usageMetadata."""
 chunks = gemini_stream()
 for chunk in chunks[:-1]:
  chunk["usageMetadata"] = {"trafficType": "ON_DEMAND"}
 return chunks


def changed(payload: dict | list, path: tuple[str | int, ...], value: object) -> dict | list:
 """`payload` with the value at `path` (keys and list indexes) replaced."""
 *outer, last = path
 target = payload
 for step in outer:
  target = target[step]
 target[last] = value
 return payload


def without(payload: dict, path: tuple[str, ...]) -> dict:
 """`payload` without the key at the end of `path`."""
 *outer, last = path
 target = payload
 for step in outer:
  target = target[step]
 del target[last]
 return payload


# The expected normalized usages, worked out by hand from the payloads above ---------------------------------------

ANTHROPIC_USAGE = Usage(
 input_tokens=2095 + 1800 + 12000,
 output_tokens=503,
 cache_read_tokens=12000,
 cache_write_tokens=1800,
 cache_write_1h_tokens=1500,
)
OPENAI_CHAT_USAGE = Usage(input_tokens=1117, output_tokens=46, cache_read_tokens=1024)
OPENAI_REASONING_USAGE = Usage(input_tokens=2000, output_tokens=1500, reasoning_tokens=1024)
OPENAI_RESPONSE_USAGE = Usage(input_tokens=12033, output_tokens=844, cache_read_tokens=11904, reasoning_tokens=768)
DEEPSEEK_REASONER_USAGE = Usage(input_tokens=1500, output_tokens=900, cache_read_tokens=1280, reasoning_tokens=700)
DEEPSEEK_LEGACY_USAGE = Usage(input_tokens=2000, output_tokens=120, cache_read_tokens=1920)
GEMINI_USAGE = Usage(input_tokens=12000 + 400, output_tokens=350 + 1200, cache_read_tokens=8000, reasoning_tokens=1200)
# The last chunk of gemini_stream(): no tool-use prompt.
GEMINI_STREAM_USAGE = Usage(input_tokens=12000, output_tokens=350 + 1200, cache_read_tokens=8000, reasoning_tokens=1200)


# JSON payloads: one case a shape, stream or variation ----------------------------------------------------------------

JSON_CASES = [
 # Anthropic
 pytest.param(anthropic_message(), ANTHROPIC_USAGE, id="anthropic-whole-prompt-adds-cache-reads-and-writes-to-input"),
 pytest.param(
  anthropic_thinking_message(),
  Usage(input_tokens=320, output_tokens=1900, reasoning_tokens=1650),
  id="anthropic-thinking-tokens-are-reasoning-inside-output",
 ),
 pytest.param(
  changed(anthropic_message(), ("usage",), {"input_tokens": 25, "output_tokens": 15}),
  Usage(input_tokens=25, output_tokens=15),
  id="anthropic-usage-without-cache-fields-is-plain-input",
 ),
 pytest.param(
  without(anthropic_message(), ("usage", "cache_creation")),
  Usage(input_tokens=15895, output_tokens=503, cache_read_tokens=12000, cache_write_tokens=1800),
  id="anthropic-writes-without-ttl-breakdown-are-all-five-minute-writes",
 ),
 pytest.param(
  without(anthropic_message(), ("usage", "cache_creation_input_tokens")),
  ANTHROPIC_USAGE,
  id="anthropic-ttl-breakdown-without-total-gives-the-total",
 ),
 # Cumulative deltas 10, 120, 503: the answer is 503, not their sum 633 nor 503 + message_start's 1.
 pytest.param(
  anthropic_stream(10, 120, 503), ANTHROPIC_USAGE, id="anthropic-stream-merges-message-start-with-the-last-delta"
 ),
 pytest.param(anthropic_stream(503), ANTHROPIC_USAGE, id="anthropic-stream-with-a-single-delta"),
 pytest.param(
  changed(
   anthropic_stream(503),
   (-2, "usage"),
   {"input_tokens": 2095, "cache_creation_input_tokens": 1800, "cache_read_input_tokens": 12000, "output_tokens": 503},
  ),
  ANTHROPIC_USAGE,
  id="anthropic-stream-whose-delta-repeats-input-and-cache-counts-keeps-the-1h-split",
 ),
 # With server tools the final message_delta reports the grown cumulative input count.
 pytest.param(
  changed(
   anthropic_stream(503),
   (-2, "usage"),
   {"input_tokens": 9000, "output_tokens": 503, "server_tool_use": {"web_search_requests": 1}},
  ),
  Usage(
   input_tokens=9000 + 1800 + 12000,
   output_tokens=503,
   cache_read_tokens=12000,
   cache_write_tokens=1800,
   cache_write_1h_tokens=1500,
  ),
  id="anthropic-stream-takes-cumulative-input-from-the-delta-when-it-grows",
 ),
 pytest.param(
  changed(anthropic_stream(1900), (-2, "usage", "output_tokens_details"), {"thinking_tokens": 1650}),
  Usage(
   input_tokens=15895,
   output_tokens=1900,
   cache_read_tokens=12000,
   cache_write_tokens=1800,
   cache_write_1h_tokens=1500,
   reasoning_tokens=1650,
  ),
  id="anthropic-stream-keeps-thinking-tokens-reported-on-the-delta",
 ),
 pytest.param(
  anthropic_stream(503)[:3],
  Usage(
   input_tokens=15895, output_tokens=1, cache_read_tokens=12000, cache_write_tokens=1800, cache_write_1h_tokens=1500
  ),
  id="anthropic-stream-that-ended-before-any-delta-has-the-start-counts",
 ),
 pytest.param(anthropic_message()["usage"], ANTHROPIC_USAGE, id="anthropic-usage-dict-alone"),
 # OpenAI Chat Completions
 pytest.param(openai_chat_completion(), OPENAI_CHAT_USAGE, id="openai-chat-cached-tokens-are-part-of-prompt-tokens"),
 pytest.param(
  openai_reasoning_completion(),
  OPENAI_REASONING_USAGE,
  id="openai-chat-reasoning-tokens-are-part-of-completion-tokens",
 ),
 pytest.param(
  changed(
   changed(openai_chat_completion(), ("usage", "prompt_tokens_details"), None),
   ("usage", "completion_tokens_details"),
   None,
  ),
  Usage(input_tokens=1117, output_tokens=46),
  id="openai-chat-null-details-count-as-zero",
 ),
 pytest.param(openai_chat_stream(), OPENAI_CHAT_USAGE, id="openai-chat-stream-reads-the-final-usage-chunk"),
 pytest.param(
  openai_chat_stream(include_usage=False), None, id="openai-chat-stream-without-include-usage-has-no-usage"
 ),
 pytest.param(openai_chat_stream()[:-1], None, id="openai-chat-stream-cut-before-the-usage-chunk-has-no-usage"),
 # OpenAI Responses
 pytest.param(openai_response(), OPENAI_RESPONSE_USAGE, id="openai-responses-usage"),
 pytest.param(
  without(openai_response(), ("usage", "input_tokens_details", "cache_write_tokens")),
  OPENAI_RESPONSE_USAGE,
  id="openai-responses-usage-without-cache-write-field",
 ),
 pytest.param(
  changed(openai_response(), ("usage", "input_tokens_details"), {"cached_tokens": 0, "cache_write_tokens": 12000}),
  Usage(input_tokens=12033, output_tokens=844, cache_write_tokens=12000, reasoning_tokens=768),
  id="openai-responses-cache-write-tokens-are-part-of-the-input",
 ),
 pytest.param(openai_response_stream(), OPENAI_RESPONSE_USAGE, id="openai-responses-stream-reads-response-completed"),
 pytest.param(openai_response_stream()[:-1], None, id="openai-responses-stream-cut-before-completion-has-no-usage"),
 pytest.param(openai_response_stream()[-1], OPENAI_RESPONSE_USAGE, id="openai-responses-completed-event-alone"),
 # DeepSeek
 pytest.param(
  deepseek_reasoner_completion(),
  DEEPSEEK_REASONER_USAGE,
  id="deepseek-reasoner-hit-tokens-are-cache-reads-and-reasoning-is-inside-output",
 ),
 pytest.param(
  deepseek_chat_completion_legacy(),
  DEEPSEEK_LEGACY_USAGE,
  id="deepseek-legacy-hit-and-miss-without-prompt-tokens-details",
 ),
 pytest.param(
  without(deepseek_chat_completion_legacy(), ("usage", "prompt_cache_miss_tokens")),
  DEEPSEEK_LEGACY_USAGE,
  id="deepseek-hit-without-miss-is-read-alone",
 ),
 # Gemini
 pytest.param(gemini_response(), GEMINI_USAGE, id="gemini-input-adds-tool-use-prompt-and-output-adds-thoughts"),
 pytest.param(
  changed(
   gemini_response(), ("usageMetadata",), {"promptTokenCount": 8, "candidatesTokenCount": 12, "totalTokenCount": 20}
  ),
  Usage(input_tokens=8, output_tokens=12),
  id="gemini-without-thinking-or-cache",
 ),
 pytest.param(gemini_stream(), GEMINI_STREAM_USAGE, id="gemini-stream-takes-the-last-cumulative-chunk-never-the-sum"),
 pytest.param(
  gemini_stream_with_traffic_type_early(),
  GEMINI_STREAM_USAGE,
  id="gemini-stream-whose-early-chunks-carry-only-the-traffic-type",
 ),
 # Any provider
 pytest.param([None, *openai_chat_stream(), None], OPENAI_CHAT_USAGE, id="stream-skips-none-events"),
 pytest.param(tuple(gemini_stream()), GEMINI_STREAM_USAGE, id="a-stream-may-be-a-tuple"),
]


@pytest.mark.parametrize(("payload", "expected"), JSON_CASES)
def test_json_payload_reads_as_its_normalized_usage(payload, expected):
 assert usage_from_response(payload) == expected


def test_openai_chat_cache_write_tokens_are_part_of_the_prompt():
 # GPT-5.6 and later report (and bill at 1.25x input) cache writes next to cache reads.
 payload = openai_chat_completion()
 payload["usage"]["prompt_tokens"] = 2600
 payload["usage"]["total_tokens"] = 2646
 payload["usage"]["prompt_tokens_details"] = {"cached_tokens": 2000, "cache_write_tokens": 400}
 usage = usage_from_response(payload)
 assert usage == Usage(input_tokens=2600, output_tokens=46, cache_read_tokens=2000, cache_write_tokens=400)
 assert usage.uncached_input_tokens == 200


# The official SDKs' objects read like the JSON they were validated from --------------------------------------------


def anthropic_sdk_stream(events: list[dict]) -> list:
 adapter = TypeAdapter(anthropic.types.RawMessageStreamEvent)
 # The SDK consumes pings itself and never yields them.
 return [adapter.validate_python(event) for event in events if event["type"] != "ping"]


def openai_sdk_response_stream(events: list[dict]) -> list:
 adapter = TypeAdapter(ResponseStreamEvent)
 return [adapter.validate_python(event) for event in events]


# The SDK dumps the absent cache_creation_input_tokens as None; that must not read as "0 written".
ANTHROPIC_TTL_ONLY_USAGE = {
 "input_tokens": 10,
 "output_tokens": 5,
 "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 40},
}

SDK_CASES = [
 pytest.param(anthropic_message(), anthropic.types.Message.model_validate, ANTHROPIC_USAGE, id="anthropic-message"),
 pytest.param(
  anthropic_thinking_message(),
  anthropic.types.Message.model_validate,
  Usage(input_tokens=320, output_tokens=1900, reasoning_tokens=1650),
  id="anthropic-thinking-message",
 ),
 pytest.param(
  ANTHROPIC_TTL_ONLY_USAGE,
  anthropic.types.Usage.model_validate,
  Usage(input_tokens=150, output_tokens=5, cache_write_tokens=140, cache_write_1h_tokens=40),
  id="anthropic-usage-with-ttl-breakdown-only",
 ),
 pytest.param(anthropic_stream(10, 120, 503), anthropic_sdk_stream, ANTHROPIC_USAGE, id="anthropic-stream-events"),
 pytest.param(
  anthropic_message(),
  lambda payload: anthropic.types.Message.model_validate(payload).usage,
  ANTHROPIC_USAGE,
  id="anthropic-usage-object-alone",
 ),
 pytest.param(
  openai_reasoning_completion(), ChatCompletion.model_validate, OPENAI_REASONING_USAGE, id="openai-chat-completion"
 ),
 pytest.param(
  openai_chat_stream(),
  lambda chunks: [ChatCompletionChunk.model_validate(chunk) for chunk in chunks],
  OPENAI_CHAT_USAGE,
  id="openai-chat-chunks",
 ),
 pytest.param(
  openai_chat_completion()["usage"],
  CompletionUsage.model_validate,
  OPENAI_CHAT_USAGE,
  id="openai-completion-usage-alone",
 ),
 pytest.param(openai_response(), Response.model_validate, OPENAI_RESPONSE_USAGE, id="openai-response"),
 pytest.param(
  openai_response_stream(), openai_sdk_response_stream, OPENAI_RESPONSE_USAGE, id="openai-response-stream-events"
 ),
 pytest.param(
  openai_response()["usage"], ResponseUsage.model_validate, OPENAI_RESPONSE_USAGE, id="openai-response-usage-alone"
 ),
 # DeepSeek is called with the OpenAI SDK; its extra hit/miss fields survive in the SDK object.
 pytest.param(
  deepseek_reasoner_completion(),
  ChatCompletion.model_validate,
  DEEPSEEK_REASONER_USAGE,
  id="deepseek-through-openai-sdk",
 ),
 pytest.param(
  deepseek_chat_completion_legacy(),
  ChatCompletion.model_validate,
  DEEPSEEK_LEGACY_USAGE,
  id="deepseek-legacy-through-openai-sdk",
 ),
 pytest.param(
  gemini_stream(),
  lambda chunks: [genai_types.GenerateContentResponse.model_validate(chunk) for chunk in chunks],
  GEMINI_STREAM_USAGE,
  id="gemini-stream-chunks",
 ),
 pytest.param(
  gemini_response()["usageMetadata"],
  genai_types.GenerateContentResponseUsageMetadata.model_validate,
  GEMINI_USAGE,
  id="gemini-usage-metadata-alone",
 ),
]


@pytest.mark.parametrize(("payload", "to_sdk", "expected"), SDK_CASES)
def test_sdk_object_reads_like_its_json(payload, to_sdk, expected):
 assert usage_from_response(to_sdk(payload)) == usage_from_response(payload) == expected


def test_gemini_snake_case_dict_from_the_python_sdk():
 snake = genai_types.GenerateContentResponse.model_validate(gemini_response()).model_dump(mode="json")
 assert "usage_metadata" in snake
 assert usage_from_response(snake) == GEMINI_USAGE


def test_gemini_sdk_response_gives_the_same_usage_as_its_json():
 payload = gemini_response()
 response = genai_types.GenerateContentResponse.model_validate(payload)
 assert response.usage_metadata.thoughts_token_count == 1200
 assert usage_from_response(response) == usage_from_response(payload) == GEMINI_USAGE
 assert usage_from_response(response.usage_metadata) == GEMINI_USAGE


def test_gemini_sdk_response_built_with_the_constructor():
 response = genai_types.GenerateContentResponse(
  usage_metadata=genai_types.GenerateContentResponseUsageMetadata(
   prompt_token_count=12000,
   candidates_token_count=350,
   cached_content_token_count=8000,
   tool_use_prompt_token_count=400,
   thoughts_token_count=1200,
   total_token_count=13950,
  )
 )
 assert usage_from_response(response) == GEMINI_USAGE


# The provider hint --------------------------------------------------------------------------------------------------

# Without cache fields this block fits both Anthropic and the Responses API; only Anthropic has thinking_tokens.
BARE_ANTHROPIC_USAGE = {"input_tokens": 50, "output_tokens": 400, "output_tokens_details": {"thinking_tokens": 300}}
# Usage metadata without a prompt count: only the hint says it is Gemini's.
BARE_GEMINI_USAGE = {"candidatesTokenCount": 7, "totalTokenCount": 7}
UNAMBIGUOUS = [
 ("anthropic-message", anthropic_message(), ANTHROPIC_USAGE),
 ("gemini-response", gemini_response(), GEMINI_USAGE),
 ("deepseek-reasoner", deepseek_reasoner_completion(), DEEPSEEK_REASONER_USAGE),
]

HINT_CASES = [
 pytest.param(deepseek_chat_stream(), "deepseek", DEEPSEEK_REASONER_USAGE, id="deepseek-stream-reads-the-usage-chunk"),
 *(
  pytest.param(
   BARE_ANTHROPIC_USAGE,
   alias,
   Usage(input_tokens=50, output_tokens=400, reasoning_tokens=300),
   id=f"bare-anthropic-usage-with-hint-{alias}",
  )
  for alias in ["anthropic", "Anthropic", "claude", "CLAUDE"]
 ),
 pytest.param(
  BARE_ANTHROPIC_USAGE, None, Usage(input_tokens=50, output_tokens=400), id="bare-anthropic-usage-without-hint"
 ),
 *(
  pytest.param(BARE_GEMINI_USAGE, alias, Usage(output_tokens=7), id=f"bare-gemini-usage-with-hint-{alias}")
  for alias in ["gemini", "google", "vertex", "vertex_ai", "Gemini"]
 ),
 pytest.param(BARE_GEMINI_USAGE, None, None, id="bare-gemini-usage-without-hint"),
 # Gemini's OpenAI-compatible endpoint answers with prompt_tokens/completion_tokens.
 pytest.param(
  changed(openai_chat_completion(), ("model",), "gemini-2.5-flash"),
  "gemini",
  OPENAI_CHAT_USAGE,
  id="gemini-hint-on-the-openai-compatible-endpoint-reads-the-openai-shape",
 ),
 # The hint does not override unambiguous shapes.
 *(
  pytest.param(payload, provider, expected, id=f"{name}-with-hint-{provider}")
  for provider in ["openai", "azure", "deepseek", "gemini", "anthropic", "someone-else"]
  for name, payload, expected in UNAMBIGUOUS
 ),
]


@pytest.mark.parametrize(("payload", "provider", "expected"), HINT_CASES)
def test_provider_hint_settles_shared_shapes_only(payload, provider, expected):
 assert usage_from_response(payload, provider=provider) == expected


# Payloads without usage and unreadable payloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
 "payload",
 [
  None,
  {},
  [],
  {"type": "message_stop"},
  {"type": "ping"},
  {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
  {"candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}}]},
  {"usageMetadata": None},
  {"usage": None},
  {"type": "response.created", "response": {"id": "resp_1", "object": "response", "usage": None}},
  {"type": "error", "message": "Overloaded"},
  pytest.param(openai_chat_stream()[1], id="openai-chunk-with-null-usage"),
  pytest.param(ChatCompletionChunk.model_validate(openai_chat_stream()[1]), id="openai-sdk-chunk-with-null-usage"),
  pytest.param(genai_types.GenerateContentResponse(), id="gemini-sdk-response-without-usage-metadata"),
 ],
 ids=repr,
)
def test_payload_without_usage_is_none(payload):
 assert usage_from_response(payload) is None


@pytest.mark.parametrize("payload", [42, "a response", b"{}", 1.5, True])
def test_unreadable_payload_raises(payload):
 with pytest.raises(UsageError, match=r"^response: cannot read usage"):
  usage_from_response(payload)


def test_stream_with_a_non_object_event_names_its_position():
 events = [*openai_chat_stream(), 7]
 with pytest.raises(UsageError, match=r"stream\[5\]"):
  usage_from_response(events)


def test_reading_does_not_change_the_payload():
 payloads = [anthropic_message(), anthropic_stream(10, 503), openai_response_stream(), gemini_stream()]
 before = copy.deepcopy(payloads)
 for payload in payloads:
  usage_from_response(payload)
 assert payloads == before
