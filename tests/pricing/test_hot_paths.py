"""The steady-state paths of estimate_cost, usage_cost and usage_from_response give exactly what the general paths
give: the same floats as the integer arithmetic, the same Usage objects, the same errors."""

import dataclasses
import random

import pytest
from test_usage_fast_path import COUNTS, general, outcome

from mma_conductor import cost_tracker
from mma_conductor.pricing import usage as usage_module
from mma_conductor.pricing.table import BUILTIN_PRICES
from mma_conductor.pricing.usage import MAX_CALL_TOKENS, Usage, UsageError, usage_from_response


def _exact(model: str, usage: Usage) -> float:
 return BUILTIN_PRICES[model].cost_units(usage) / cost_tracker.UNITS_PER_USD


@pytest.fixture
def warm(tmp_path):
 user_file = tmp_path / "user.toml"
 user_file.write_text("", encoding="utf-8")
 cost_tracker.configure_pricing(user_file=user_file, env={}, use_dataset=False)
 for model in BUILTIN_PRICES:
  cost_tracker.estimate_cost(model, 1, 1)
  cost_tracker.usage_cost(model, Usage(1, 1))
 yield
 cost_tracker.configure_pricing()


def _usages(rng: random.Random, limit: int) -> list[Usage]:
 """Usages with every part, up to `limit` tokens in all; some right at it."""
 found = []
 for _ in range(60):
  total = limit if rng.random() < 0.3 else rng.randint(0, limit)
  output = rng.randint(0, total)
  prompt = total - output
  read = rng.randint(0, prompt)
  write = rng.randint(0, prompt - read)
  found.append(Usage(prompt, output, read, write, rng.randint(0, write), rng.randint(0, output)))
 return found


@pytest.mark.parametrize("model", sorted(BUILTIN_PRICES))
def test_steady_state_floats_equal_the_integer_arithmetic(warm, model):
 """Float arithmetic is used only where every sum and product is an integer a float holds: at the edge of that
 range (exact_tokens) and past it (the integer path), the figures are those of exact integer units."""
 rates = cost_tracker._fast_rates[model]
 rng = random.Random(model)
 for limit in (rates.exact_tokens, rates.exact_tokens + 1, MAX_CALL_TOKENS, 2_000):
  for usage in _usages(rng, min(limit, MAX_CALL_TOKENS)):
   assert cost_tracker.usage_cost(model, usage) == _exact(model, usage), usage
   plain = Usage(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
   got = cost_tracker.estimate_cost(
    model,
    plain.input_tokens,
    plain.output_tokens,
    cache_read_tokens=plain.cache_read_tokens,
    cache_write_tokens=plain.cache_write_tokens,
   )
   assert got == _exact(model, plain), plain
   assert cost_tracker.estimate_cost(model, plain.input_tokens, plain.output_tokens) == _exact(
    model, Usage(plain.input_tokens, plain.output_tokens)
   )


def test_the_float_range_ends_where_a_float_stops_holding_every_integer(warm):
 for model, rates in cost_tracker._fast_rates.items():
  dearest = max(BUILTIN_PRICES[model].rates_for(0))
  assert rates.exact_tokens * dearest <= 2**53
  assert rates.exact_tokens == MAX_CALL_TOKENS or (rates.exact_tokens + 1) * dearest > 2**53


def test_a_cost_past_the_float_range_is_still_exact(warm):
 # $600 per 1M output tokens would pass 2**53 units after ~15,000 tokens: the integer path prices it.
 model = max(BUILTIN_PRICES, key=lambda name: BUILTIN_PRICES[name].rates_for(0)[1])
 tokens = cost_tracker._fast_rates[model].exact_tokens + 12_345
 assert cost_tracker.estimate_cost(model, 0, tokens) == _exact(model, Usage(0, tokens))
 assert cost_tracker.usage_cost(model, Usage(0, tokens)) == _exact(model, Usage(0, tokens))


@pytest.mark.parametrize("cached", [{"cache_read_tokens": 0.0}, {"cache_write_tokens": 0.0}])
def test_a_whole_float_zero_cache_count_is_taken_as_zero(warm, cached):
 assert cost_tracker.estimate_cost("gpt-4o", 1000, 10, **cached) == cost_tracker.estimate_cost("gpt-4o", 1000, 10)


@pytest.mark.parametrize("count", [MAX_CALL_TOKENS + 1, 2**70, -(2**70)])
def test_counts_out_of_range_still_raise_on_the_warm_path(warm, count):
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("gpt-4o", count, 1)
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("gpt-4o", 1, count)


def test_an_unpriced_model_still_checks_its_counts(warm):
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("no-such-model-xyz", -1, 1)
 assert cost_tracker.estimate_cost("no-such-model-xyz", 5, 1) == 0.0


ANTHROPIC = {
 "type": "message",
 "model": "claude-sonnet-4-5",
 "usage": {
  "input_tokens": 2095,
  "cache_creation_input_tokens": 1800,
  "cache_read_input_tokens": 12000,
  "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1500},
  "output_tokens": 503,
 },
}
CHAT = {
 "object": "chat.completion",
 "model": "gpt-4o",
 "usage": {
  "prompt_tokens": 1117,
  "completion_tokens": 46,
  "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
  "completion_tokens_details": {"reasoning_tokens": 0},
 },
}
# Where each count sits in the two full payloads.
PLACES = (
 (ANTHROPIC, "anthropic", ("input_tokens",)),
 (ANTHROPIC, "anthropic", ("output_tokens",)),
 (ANTHROPIC, "anthropic", ("cache_read_input_tokens",)),
 (ANTHROPIC, "anthropic", ("cache_creation_input_tokens",)),
 (ANTHROPIC, "anthropic", ("cache_creation", "ephemeral_5m_input_tokens")),
 (ANTHROPIC, "anthropic", ("cache_creation", "ephemeral_1h_input_tokens")),
 (CHAT, "openai", ("prompt_tokens",)),
 (CHAT, "openai", ("completion_tokens",)),
 (CHAT, "openai", ("prompt_tokens_details", "cached_tokens")),
 (CHAT, "openai", ("completion_tokens_details", "reasoning_tokens")),
)


def _with(payload: dict, path: tuple[str, ...], value: object) -> dict:
 changed = {**payload, "usage": {**payload["usage"]}}
 holder = changed["usage"]
 for key in path[:-1]:
  holder[key] = {**holder[key]}
  holder = holder[key]
 holder[path[-1]] = value
 return changed


@pytest.mark.parametrize(("payload", "provider", "path"), PLACES)
def test_full_payloads_read_the_same_both_ways_with_any_count_anywhere(payload, provider, path):
 for value in (*COUNTS, 2**26, 10**8 - 1, [], {}):
  changed = _with(payload, path, value)
  assert outcome(usage_from_response, changed, provider) == outcome(general, changed, provider), changed


@pytest.mark.parametrize("container", [None, [], "x", {"other": 1}])
def test_full_payloads_with_a_detail_object_of_another_shape_read_the_same(container):
 for payload, provider, key in (
  (ANTHROPIC, "anthropic", "cache_creation"),
  (CHAT, "openai", "prompt_tokens_details"),
  (CHAT, "openai", "completion_tokens_details"),
 ):
  changed = _with(payload, (key,), container)
  assert outcome(usage_from_response, changed, provider) == outcome(general, changed, provider), changed


def test_the_fast_usage_is_a_real_frozen_usage():
 fast = usage_from_response(ANTHROPIC, "anthropic")
 assert type(fast) is Usage
 assert fast == Usage(15895, 503, 12000, 1800, 1500, 0)
 assert hash(fast) == hash(Usage(15895, 503, 12000, 1800, 1500, 0))
 assert dataclasses.astuple(fast) == (15895, 503, 12000, 1800, 1500, 0)
 with pytest.raises(dataclasses.FrozenInstanceError):
  fast.input_tokens = 1
 assert cost_tracker.usage_cost("claude-sonnet-4-5", fast) == _exact("claude-sonnet-4-5", fast)


@pytest.mark.parametrize(
 "model",
 ["gemini-2.5-flash", "GEMINI-2.5-pro", "models/gemini-2.0", "google/gemini-x", "gpt-4o", "gem", "", "GEMİNI-x"],
)
@pytest.mark.parametrize("provider", [None, "", "openai", "Google", "vertex_ai", "GEMINI"])
def test_the_remembered_gemini_test_answers_as_the_general_one(model, provider):
 hint = usage_module.PROVIDER_ALIASES.get(provider.lower(), provider.lower()) if provider else None
 payload = {"model": model}
 for _ in range(2):  # the first answer is computed, the second remembered
  assert usage_module._names_gemini(provider, payload) == usage_module._is_gemini(hint, payload)
