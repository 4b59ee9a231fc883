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


# The expected normalized usages, worked out by hand from the payloads above ---------------------------------------

ANTHROPIC_USAGE = Usage(
 input_tokens=2095 + 1800 + 12000,
 output_tokens=503,
 cache_read_tokens=12000,
 cache_write_tokens=1800,
 cache_write_1h_tokens=1500,
)
OPENAI_CHAT_USAGE = Usage(input_tokens=1117, output_tokens=46, cache_read_tokens=1024)
OPENAI_RESPONSE_USAGE = Usage(input_tokens=12033, output_tokens=844, cache_read_tokens=11904, reasoning_tokens=768)
DEEPSEEK_REASONER_USAGE = Usage(input_tokens=1500, output_tokens=900, cache_read_tokens=1280, reasoning_tokens=700)
GEMINI_USAGE = Usage(input_tokens=12000 + 400, output_tokens=350 + 1200, cache_read_tokens=8000, reasoning_tokens=1200)


# Anthropic --------------------------------------------------------------------------------------------------------


def test_anthropic_whole_prompt_adds_cache_reads_and_writes_to_input_tokens():
 assert usage_from_response(anthropic_message()) == ANTHROPIC_USAGE


def test_anthropic_thinking_tokens_are_reasoning_inside_output():
 usage = usage_from_response(anthropic_thinking_message())
 assert usage == Usage(input_tokens=320, output_tokens=1900, reasoning_tokens=1650)


def test_anthropic_usage_without_cache_fields_is_plain_input():
 payload = anthropic_message()
 payload["usage"] = {"input_tokens": 25, "output_tokens": 15}
 assert usage_from_response(payload) == Usage(input_tokens=25, output_tokens=15)


def test_anthropic_writes_without_ttl_breakdown_are_all_five_minute_writes():
 payload = anthropic_message()
 del payload["usage"]["cache_creation"]
 usage = usage_from_response(payload)
 assert usage.cache_write_tokens == 1800
 assert usage.cache_write_1h_tokens == 0


def test_anthropic_ttl_breakdown_without_total_gives_the_total():
 payload = anthropic_message()
 del payload["usage"]["cache_creation_input_tokens"]
 assert usage_from_response(payload) == ANTHROPIC_USAGE


def test_anthropic_stream_merges_message_start_with_the_last_cumulative_delta():
 # Cumulative deltas 10, 120, 503: the answer is 503, not their sum 633 nor 503 + message_start's 1.
 assert usage_from_response(anthropic_stream(10, 120, 503)) == ANTHROPIC_USAGE


def test_anthropic_stream_with_a_single_delta():
 assert usage_from_response(anthropic_stream(503)) == ANTHROPIC_USAGE


def test_anthropic_stream_whose_delta_repeats_input_and_cache_counts_keeps_the_1h_split():
 events = anthropic_stream(503)
 events[-2]["usage"] = {
  "input_tokens": 2095,
  "cache_creation_input_tokens": 1800,
  "cache_read_input_tokens": 12000,
  "output_tokens": 503,
 }
 assert usage_from_response(events) == ANTHROPIC_USAGE


def test_anthropic_stream_takes_cumulative_input_from_the_delta_when_it_grows():
 # With server tools the final message_delta reports the grown cumulative input count.
 events = anthropic_stream(503)
 events[-2]["usage"] = {"input_tokens": 9000, "output_tokens": 503, "server_tool_use": {"web_search_requests": 1}}
 usage = usage_from_response(events)
 assert usage.input_tokens == 9000 + 1800 + 12000
 assert usage.cache_write_1h_tokens == 1500


def test_anthropic_stream_keeps_thinking_tokens_reported_on_the_delta():
 events = anthropic_stream(1900)
 events[-2]["usage"]["output_tokens_details"] = {"thinking_tokens": 1650}
 usage = usage_from_response(events)
 assert usage.output_tokens == 1900
 assert usage.reasoning_tokens == 1650


def test_anthropic_stream_that_ended_before_any_delta_has_the_start_counts():
 events = anthropic_stream(503)[:3]
 assert usage_from_response(events) == Usage(
  input_tokens=15895, output_tokens=1, cache_read_tokens=12000, cache_write_tokens=1800, cache_write_1h_tokens=1500
 )


def test_anthropic_sdk_message_gives_the_same_usage_as_its_json():
 payload = anthropic_message()
 message = anthropic.types.Message.model_validate(payload)
 assert usage_from_response(message) == usage_from_response(payload) == ANTHROPIC_USAGE


def test_anthropic_sdk_thinking_message_gives_the_same_usage_as_its_json():
 payload = anthropic_thinking_message()
 message = anthropic.types.Message.model_validate(payload)
 assert usage_from_response(message) == usage_from_response(payload)
 assert usage_from_response(message).reasoning_tokens == 1650


def test_anthropic_sdk_usage_with_ttl_breakdown_only_reads_like_its_json():
 # The SDK dumps the absent cache_creation_input_tokens as None; that must not read as "0 written".
 usage_json = {
  "input_tokens": 10,
  "output_tokens": 5,
  "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 40},
 }
 expected = Usage(input_tokens=150, output_tokens=5, cache_write_tokens=140, cache_write_1h_tokens=40)
 assert usage_from_response(usage_json) == expected
 assert usage_from_response(anthropic.types.Usage.model_validate(usage_json)) == expected


def test_anthropic_sdk_stream_events_give_the_same_usage_as_the_json_stream():
 events = anthropic_stream(10, 120, 503)
 adapter = TypeAdapter(anthropic.types.RawMessageStreamEvent)
 # The SDK consumes pings itself and never yields them.
 sdk_events = [adapter.validate_python(event) for event in events if event["type"] != "ping"]
 assert usage_from_response(sdk_events) == usage_from_response(events) == ANTHROPIC_USAGE


def test_anthropic_sdk_usage_object_alone():
 usage = anthropic.types.Message.model_validate(anthropic_message()).usage
 assert usage_from_response(usage) == ANTHROPIC_USAGE


def test_anthropic_usage_dict_alone():
 assert usage_from_response(anthropic_message()["usage"]) == ANTHROPIC_USAGE


# OpenAI Chat Completions ------------------------------------------------------------------------------------------


def test_openai_chat_cached_tokens_are_part_of_prompt_tokens():
 assert usage_from_response(openai_chat_completion()) == OPENAI_CHAT_USAGE


def test_openai_chat_reasoning_tokens_are_part_of_completion_tokens():
 usage = usage_from_response(openai_reasoning_completion())
 assert usage == Usage(input_tokens=2000, output_tokens=1500, reasoning_tokens=1024)


def test_openai_chat_null_details_count_as_zero():
 payload = openai_chat_completion()
 payload["usage"]["prompt_tokens_details"] = None
 payload["usage"]["completion_tokens_details"] = None
 assert usage_from_response(payload) == Usage(input_tokens=1117, output_tokens=46)


def test_openai_chat_cache_write_tokens_are_part_of_the_prompt():
 # GPT-5.6 and later report (and bill at 1.25x input) cache writes next to cache reads.
 payload = openai_chat_completion()
 payload["usage"]["prompt_tokens"] = 2600
 payload["usage"]["total_tokens"] = 2646
 payload["usage"]["prompt_tokens_details"] = {"cached_tokens": 2000, "cache_write_tokens": 400}
 usage = usage_from_response(payload)
 assert usage == Usage(input_tokens=2600, output_tokens=46, cache_read_tokens=2000, cache_write_tokens=400)
 assert usage.uncached_input_tokens == 200


def test_openai_chat_stream_reads_the_final_usage_chunk():
 assert usage_from_response(openai_chat_stream()) == OPENAI_CHAT_USAGE


def test_openai_chat_stream_without_include_usage_has_no_usage():
 assert usage_from_response(openai_chat_stream(include_usage=False)) is None


def test_openai_chat_stream_cut_before_the_usage_chunk_has_no_usage():
 assert usage_from_response(openai_chat_stream()[:-1]) is None


def test_openai_sdk_chat_completion_gives_the_same_usage_as_its_json():
 payload = openai_reasoning_completion()
 completion = ChatCompletion.model_validate(payload)
 assert usage_from_response(completion) == usage_from_response(payload)
 assert usage_from_response(completion).reasoning_tokens == 1024


def test_openai_sdk_chat_chunks_give_the_same_usage_as_the_json_stream():
 chunks = openai_chat_stream()
 sdk_chunks = [ChatCompletionChunk.model_validate(chunk) for chunk in chunks]
 assert usage_from_response(sdk_chunks) == usage_from_response(chunks) == OPENAI_CHAT_USAGE


def test_openai_sdk_completion_usage_alone():
 usage = CompletionUsage.model_validate(openai_chat_completion()["usage"])
 assert usage_from_response(usage) == OPENAI_CHAT_USAGE


# OpenAI Responses -------------------------------------------------------------------------------------------------


def test_openai_responses_usage():
 assert usage_from_response(openai_response()) == OPENAI_RESPONSE_USAGE


def test_openai_responses_usage_without_cache_write_field():
 payload = openai_response()
 del payload["usage"]["input_tokens_details"]["cache_write_tokens"]
 assert usage_from_response(payload) == OPENAI_RESPONSE_USAGE


def test_openai_responses_cache_write_tokens_are_part_of_the_input():
 payload = openai_response()
 payload["usage"]["input_tokens_details"] = {"cached_tokens": 0, "cache_write_tokens": 12000}
 usage = usage_from_response(payload)
 assert usage == Usage(input_tokens=12033, output_tokens=844, cache_write_tokens=12000, reasoning_tokens=768)


def test_openai_responses_stream_reads_response_completed():
 assert usage_from_response(openai_response_stream()) == OPENAI_RESPONSE_USAGE


def test_openai_responses_stream_cut_before_completion_has_no_usage():
 assert usage_from_response(openai_response_stream()[:-1]) is None


def test_openai_responses_completed_event_alone():
 assert usage_from_response(openai_response_stream()[-1]) == OPENAI_RESPONSE_USAGE


def test_openai_sdk_response_gives_the_same_usage_as_its_json():
 payload = openai_response()
 assert usage_from_response(Response.model_validate(payload)) == usage_from_response(payload)


def test_openai_sdk_response_stream_events_give_the_same_usage_as_the_json_stream():
 events = openai_response_stream()
 adapter = TypeAdapter(ResponseStreamEvent)
 sdk_events = [adapter.validate_python(event) for event in events]
 assert usage_from_response(sdk_events) == usage_from_response(events) == OPENAI_RESPONSE_USAGE


def test_openai_sdk_response_usage_alone():
 usage = ResponseUsage.model_validate(openai_response()["usage"])
 assert usage_from_response(usage) == OPENAI_RESPONSE_USAGE


# DeepSeek ---------------------------------------------------------------------------------------------------------


def test_deepseek_reasoner_hit_tokens_are_cache_reads_and_reasoning_is_inside_output():
 assert usage_from_response(deepseek_reasoner_completion()) == DEEPSEEK_REASONER_USAGE


def test_deepseek_legacy_hit_and_miss_without_prompt_tokens_details():
 usage = usage_from_response(deepseek_chat_completion_legacy())
 assert usage == Usage(input_tokens=2000, output_tokens=120, cache_read_tokens=1920)


def test_deepseek_hit_without_miss_is_read_alone():
 payload = deepseek_chat_completion_legacy()
 del payload["usage"]["prompt_cache_miss_tokens"]
 assert usage_from_response(payload).cache_read_tokens == 1920


def test_deepseek_stream_reads_the_usage_chunk():
 chunks = openai_chat_stream()
 for chunk in chunks:
  chunk["model"] = "deepseek-reasoner"
 chunks[-1]["usage"] = deepseek_reasoner_completion()["usage"]
 assert usage_from_response(chunks, provider="deepseek") == DEEPSEEK_REASONER_USAGE


def test_deepseek_through_the_openai_sdk_gives_the_same_usage_as_its_json():
 # DeepSeek is called with the OpenAI SDK; its extra hit/miss fields survive in the SDK object.
 payload = deepseek_reasoner_completion()
 completion = ChatCompletion.model_validate(payload)
 assert usage_from_response(completion) == usage_from_response(payload) == DEEPSEEK_REASONER_USAGE
 legacy = deepseek_chat_completion_legacy()
 assert usage_from_response(ChatCompletion.model_validate(legacy)) == usage_from_response(legacy)


# Gemini -----------------------------------------------------------------------------------------------------------


def test_gemini_input_adds_tool_use_prompt_and_output_adds_thoughts():
 assert usage_from_response(gemini_response()) == GEMINI_USAGE


def test_gemini_without_thinking_or_cache():
 payload = gemini_response()
 payload["usageMetadata"] = {"promptTokenCount": 8, "candidatesTokenCount": 12, "totalTokenCount": 20}
 assert usage_from_response(payload) == Usage(input_tokens=8, output_tokens=12)


def test_gemini_snake_case_dict_from_the_python_sdk():
 snake = genai_types.GenerateContentResponse.model_validate(gemini_response()).model_dump(mode="json")
 assert "usage_metadata" in snake
 assert usage_from_response(snake) == GEMINI_USAGE


def test_gemini_stream_takes_the_last_cumulative_chunk_never_the_sum():
 usage = usage_from_response(gemini_stream())
 assert usage == Usage(input_tokens=12000, output_tokens=350 + 1200, cache_read_tokens=8000, reasoning_tokens=1200)


def test_gemini_stream_whose_early_chunks_carry_only_the_traffic_type():
 chunks = gemini_stream()
 for chunk in chunks[:-1]:
  chunk["usageMetadata"] = {"trafficType": "ON_DEMAND"}
 assert usage_from_response(chunks) == usage_from_response(gemini_stream())


def test_gemini_sdk_response_gives_the_same_usage_as_its_json():
 payload = gemini_response()
 response = genai_types.GenerateContentResponse.model_validate(payload)
 assert response.usage_metadata.thoughts_token_count == 1200
 assert usage_from_response(response) == usage_from_response(payload) == GEMINI_USAGE


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


def test_gemini_sdk_stream_chunks_give_the_same_usage_as_the_json_stream():
 chunks = gemini_stream()
 sdk_chunks = [genai_types.GenerateContentResponse.model_validate(chunk) for chunk in chunks]
 assert usage_from_response(sdk_chunks) == usage_from_response(chunks)


def test_gemini_sdk_usage_metadata_alone_and_rest_usage_metadata_alone():
 response = genai_types.GenerateContentResponse.model_validate(gemini_response())
 assert usage_from_response(response.usage_metadata) == GEMINI_USAGE
 assert usage_from_response(gemini_response()["usageMetadata"]) == GEMINI_USAGE


# The provider hint --------------------------------------------------------------------------------------------------


def test_hint_reads_a_bare_anthropic_usage_as_anthropic():
 # Without cache fields this block fits both Anthropic and the Responses API; only Anthropic has thinking_tokens.
 block = {"input_tokens": 50, "output_tokens": 400, "output_tokens_details": {"thinking_tokens": 300}}
 assert usage_from_response(block, provider="anthropic").reasoning_tokens == 300
 assert usage_from_response(block).reasoning_tokens == 0


@pytest.mark.parametrize("alias", ["anthropic", "Anthropic", "claude", "CLAUDE"])
def test_anthropic_aliases(alias):
 block = {"input_tokens": 50, "output_tokens": 400, "output_tokens_details": {"thinking_tokens": 300}}
 assert usage_from_response(block, provider=alias).reasoning_tokens == 300


@pytest.mark.parametrize("alias", ["gemini", "google", "vertex", "vertex_ai", "Gemini"])
def test_gemini_aliases_read_usage_metadata_without_a_prompt_count(alias):
 block = {"candidatesTokenCount": 7, "totalTokenCount": 7}
 assert usage_from_response(block, provider=alias) == Usage(output_tokens=7)
 assert usage_from_response(block) is None


def test_gemini_hint_on_the_openai_compatible_endpoint_reads_the_openai_shape():
 # Gemini's OpenAI-compatible endpoint answers with prompt_tokens/completion_tokens.
 payload = openai_chat_completion()
 payload["model"] = "gemini-2.5-flash"
 assert usage_from_response(payload, provider="gemini") == OPENAI_CHAT_USAGE


@pytest.mark.parametrize("provider", ["openai", "azure", "deepseek", "gemini", "anthropic", "someone-else"])
def test_hint_does_not_override_unambiguous_shapes(provider):
 assert usage_from_response(anthropic_message(), provider=provider) == ANTHROPIC_USAGE
 assert usage_from_response(gemini_response(), provider=provider) == GEMINI_USAGE
 assert usage_from_response(deepseek_reasoner_completion(), provider=provider) == DEEPSEEK_REASONER_USAGE


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
 ],
 ids=repr,
)
def test_payload_without_usage_is_none(payload):
 assert usage_from_response(payload) is None


def test_openai_chunk_with_null_usage_is_none():
 assert usage_from_response(openai_chat_stream()[1]) is None
 assert usage_from_response(ChatCompletionChunk.model_validate(openai_chat_stream()[1])) is None


def test_gemini_sdk_response_without_usage_metadata_is_none():
 assert usage_from_response(genai_types.GenerateContentResponse()) is None


@pytest.mark.parametrize("payload", [42, "a response", b"{}", 1.5, True])
def test_unreadable_payload_raises(payload):
 with pytest.raises(UsageError, match=r"^response: cannot read usage"):
  usage_from_response(payload)


def test_stream_with_a_non_object_event_names_its_position():
 events = [*openai_chat_stream(), 7]
 with pytest.raises(UsageError, match=r"stream\[5\]"):
  usage_from_response(events)


def test_stream_skips_none_events():
 assert usage_from_response([None, *openai_chat_stream(), None]) == OPENAI_CHAT_USAGE


def test_a_stream_may_be_a_tuple():
 assert usage_from_response(tuple(gemini_stream())) == usage_from_response(gemini_stream())


def test_reading_does_not_change_the_payload():
 payloads = [anthropic_message(), anthropic_stream(10, 503), openai_response_stream(), gemini_stream()]
 before = copy.deepcopy(payloads)
 for payload in payloads:
  usage_from_response(payload)
 assert payloads == before
