"""The fast path of usage_from_response (plain Anthropic messages and OpenAI chat completions) reads every payload
exactly as the general reader does, and leaves to it whatever it does not read itself."""

import itertools

import pytest

from mma_conductor.pricing import usage as usage_module
from mma_conductor.pricing.usage import MAX_CALL_TOKENS, UsageError, usage_from_response


def general(payload, provider):
 hint = usage_module.PROVIDER_ALIASES.get(provider, provider) if provider else None
 return usage_module._usage_from_payload(payload, hint, "response")


def outcome(read, payload, provider):
 try:
  return read(payload, provider)
 except UsageError as err:
  return ("error", str(err))


COUNTS = (0, 7, 1200, MAX_CALL_TOKENS, MAX_CALL_TOKENS + 1, -1, None, 3.0, True, "5")

ANTHROPIC_EXTRAS = (
 {},
 {"cache_creation": {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 4}},
 {"cache_creation": {"ephemeral_5m_input_tokens": 3000, "ephemeral_1h_input_tokens": 4}},
 {"cache_creation": None},
 {"cache_creation": {"ephemeral_5m_input_tokens": None, "ephemeral_1h_input_tokens": 4}},
 {"cache_creation": "x"},
 {"server_tool_use": {"web_search_requests": 2}, "service_tier": "standard"},
 {"output_tokens_details": {"thinking_tokens": 5}},
 {"iterations": [{"type": "compaction", "input_tokens": 5, "output_tokens": 1}]},
)


@pytest.mark.parametrize("extra", ANTHROPIC_EXTRAS)
def test_anthropic_messages_read_the_same_both_ways(extra):
 for uncached, read, write in itertools.product(COUNTS, (None, 0, 50, -3), (None, 0, 20, 7000)):
  usage = {"input_tokens": uncached, "output_tokens": 10, **extra}
  for key, value in (("cache_read_input_tokens", read), ("cache_creation_input_tokens", write)):
   if value is not None or uncached == 7:  # an absent count, and (once) an explicit null
    usage[key] = value
  payload = {"id": "msg_1", "type": "message", "model": "claude-sonnet-4-5", "usage": usage}
  assert outcome(usage_from_response, payload, "anthropic") == outcome(general, payload, "anthropic"), payload


CHAT_EXTRAS = (
 {},
 {"prompt_tokens_details": {"cached_tokens": 30, "audio_tokens": 0}},
 {"prompt_tokens_details": {"cached_tokens": 3000}},
 {"prompt_tokens_details": {"cached_tokens": None}},
 {"prompt_tokens_details": None, "completion_tokens_details": None},
 {"prompt_tokens_details": {"cached_tokens": 30, "cache_write_tokens": 10}},
 {"completion_tokens_details": {"reasoning_tokens": 8}},
 {"completion_tokens_details": {"reasoning_tokens": 80}},
 {"completion_tokens_details": {"reasoning_tokens": -1}},
 {"prompt_cache_hit_tokens": 30, "prompt_cache_miss_tokens": 1170},
 {"total_tokens": 99999},
)


@pytest.mark.parametrize("extra", CHAT_EXTRAS)
@pytest.mark.parametrize("model", ["gpt-4o", "gemini-2.5-flash"])
def test_chat_completions_read_the_same_both_ways(extra, model):
 for prompt, completion in itertools.product(COUNTS, (0, 10, None, -2)):
  usage = {"prompt_tokens": prompt, "completion_tokens": completion, **extra}
  payload = {"id": "chatcmpl-1", "object": "chat.completion", "model": model, "usage": usage}
  for provider in ("openai", None):
   assert outcome(usage_from_response, payload, provider) == outcome(general, payload, provider), payload


def test_the_fast_path_is_taken_for_plain_replies():
 anthropic = {"type": "message", "usage": {"input_tokens": 5, "output_tokens": 1, "cache_read_input_tokens": 2}}
 chat = {"object": "chat.completion", "usage": {"prompt_tokens": 5, "completion_tokens": 1}}
 assert usage_module._FAST_READERS["message"](anthropic["usage"], None, anthropic).input_tokens == 7
 assert usage_module._FAST_READERS["chat.completion"](chat["usage"], "openai", chat).input_tokens == 5
