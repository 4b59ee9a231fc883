"""Costs of normalized usages through the public facade, against figures worked out by hand with Decimal.

Rates are the providers' list prices per 1M tokens as written in the built-in table; each test spells out the
arithmetic so that a reader can check it against the provider's pricing page.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_usage_normalization import (
 anthropic_message,
 anthropic_stream,
 deepseek_reasoner_completion,
 gemini_response,
 gemini_stream,
 openai_chat_completion,
 openai_reasoning_completion,
 openai_response,
)

from mma_conductor import cost_tracker
from mma_conductor.cost_tracker import usage_cost, usage_cost_units
from mma_conductor.pricing.usage import Usage, usage_from_response

MILLION = Decimal(1_000_000)
UNITS_PER_USD = 10**15


@pytest.fixture(autouse=True)
def builtin_prices(tmp_path):
 """Price with the built-in table only: no user file, no environment overrides, no dataset."""
 isolated = {"user_file": tmp_path / "absent-pricing.toml", "env": {}, "use_dataset": False}
 cost_tracker.configure_pricing(**isolated)
 yield
 cost_tracker.configure_pricing(**isolated)


def assert_costs(model: str, usage: Usage, expected_usd: Decimal) -> None:
 units = expected_usd * UNITS_PER_USD
 assert units == units.to_integral_value(), "the hand-computed figure must be exact in units"
 assert usage_cost_units(model, usage) == int(units)
 assert usage_cost(model, usage) == float(expected_usd)


def test_anthropic_cache_reads_and_5m_and_1h_writes():
 # claude-sonnet-4-5: input $3, output $15; read 0.1x = $0.30, 5m write 1.25x = $3.75, 1h write 2x = $6.
 usage = usage_from_response(anthropic_message())
 expected = (
  2095 * Decimal("3") + 12000 * Decimal("0.30") + 300 * Decimal("3.75") + 1500 * Decimal("6") + 503 * Decimal("15")
 ) / MILLION
 assert expected == Decimal("0.027555")
 assert_costs("claude-sonnet-4-5", usage, expected)


def test_anthropic_1h_writes_cost_2x_input_not_the_5m_rate():
 usage = usage_from_response(anthropic_message())
 as_if_5m = Usage(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens, 0)
 difference = 1500 * (Decimal("6") - Decimal("3.75")) / MILLION
 assert usage_cost_units("claude-sonnet-4-5", usage) - usage_cost_units("claude-sonnet-4-5", as_if_5m) == int(
  difference * UNITS_PER_USD
 )


def test_anthropic_stream_costs_the_same_as_the_message():
 streamed = usage_from_response(anthropic_stream(10, 120, 503))
 assert usage_cost_units("claude-sonnet-4-5", streamed) == usage_cost_units(
  "claude-sonnet-4-5", usage_from_response(anthropic_message())
 )


def test_anthropic_long_context_counts_cached_tokens_toward_the_200k_threshold():
 # 5,000 uncached + 250,000 read = 255,000 prompt tokens > 200k: the whole request moves to the long-context
 # rates of claude-sonnet-4-5: input $6, output $22.50, read $0.60.
 payload = anthropic_message()
 payload["usage"] = {
  "input_tokens": 5000,
  "cache_creation_input_tokens": 0,
  "cache_read_input_tokens": 250000,
  "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
  "output_tokens": 1000,
 }
 usage = usage_from_response(payload)
 expected = (5000 * Decimal("6") + 250000 * Decimal("0.60") + 1000 * Decimal("22.50")) / MILLION
 assert expected == Decimal("0.2025")
 assert_costs("claude-sonnet-4-5", usage, expected)


def test_gemini_thoughts_billed_as_output_and_tool_use_prompt_as_input():
 # gemini-2.5-flash: input $0.30, output $2.50, cached $0.03.
 # Input 12,000 + 400 tool-use, of which 8,000 cached; output 350 candidates + 1,200 thoughts.
 usage = usage_from_response(gemini_response())
 expected = ((12400 - 8000) * Decimal("0.30") + 8000 * Decimal("0.03") + (350 + 1200) * Decimal("2.50")) / MILLION
 assert expected == Decimal("0.005435")
 assert_costs("gemini-2.5-flash", usage, expected)


def test_gemini_stream_costs_the_last_chunk_not_the_sum_of_chunks():
 # Last chunk: prompt 12,000 (8,000 cached), candidates 350, thoughts 1,200.
 usage = usage_from_response(gemini_stream())
 expected = (4000 * Decimal("0.30") + 8000 * Decimal("0.03") + 1550 * Decimal("2.50")) / MILLION
 assert_costs("gemini-2.5-flash", usage, expected)


def test_gemini_2_5_pro_above_200k_bills_the_whole_request_at_the_higher_tier():
 # gemini-2.5-pro above 200k prompt tokens: input $2.50, output $15, cached $0.25 (instead of 1.25/10/0.125).
 payload = gemini_response()
 payload["usageMetadata"] = {
  "promptTokenCount": 210000,
  "cachedContentTokenCount": 200000,
  "candidatesTokenCount": 800,
  "thoughtsTokenCount": 3200,
  "totalTokenCount": 214000,
 }
 usage = usage_from_response(payload)
 expected = (10000 * Decimal("2.50") + 200000 * Decimal("0.25") + 4000 * Decimal("15")) / MILLION
 assert expected == Decimal("0.135")
 assert_costs("gemini-2.5-pro", usage, expected)


def test_openai_cached_prompt_tokens_at_the_cached_rate():
 # gpt-4o: input $2.50, cached $1.25, output $10. 1,117 prompt tokens of which 1,024 cached.
 usage = usage_from_response(openai_chat_completion())
 expected = (93 * Decimal("2.50") + 1024 * Decimal("1.25") + 46 * Decimal("10")) / MILLION
 assert expected == Decimal("0.0019725")
 assert_costs("gpt-4o", usage, expected)


def test_openai_reasoning_tokens_are_not_billed_twice():
 # o3: input $2, output $8. The 1,024 reasoning tokens are inside the 1,500 completion tokens.
 usage = usage_from_response(openai_reasoning_completion())
 expected = (2000 * Decimal("2") + 1500 * Decimal("8")) / MILLION
 assert_costs("o3", usage, expected)


def test_openai_responses_cached_and_reasoning():
 # o4-mini: input $1.10, cached $0.275, output $4.40.
 usage = usage_from_response(openai_response())
 expected = (129 * Decimal("1.10") + 11904 * Decimal("0.275") + 844 * Decimal("4.40")) / MILLION
 assert_costs("o4-mini", usage, expected)


def test_openai_cache_writes_cost_the_input_rate_on_models_without_a_write_fee():
 # gpt-4.1 has no cache-write fee: a reported write costs the plain input rate ($2).
 payload = openai_response()
 payload["usage"]["input_tokens_details"] = {"cached_tokens": 0, "cache_write_tokens": 12000}
 usage = usage_from_response(payload)
 expected = (12033 * Decimal("2") + 844 * Decimal("8")) / MILLION
 assert_costs("gpt-4.1", usage, expected)


def test_openai_cache_writes_cost_the_write_rate_where_one_is_configured(tmp_path):
 # A model priced with a 1.25x cache-write rate (made-up test rates: input $4, write $5, read $0.40, output $20).
 pricing = tmp_path / "pricing.toml"
 pricing.write_text(
  '[models."test-gpt-cache-writes"]\ninput = 4\noutput = 20\ncache_read = 0.40\ncache_write = 5\nprovider = "openai"\n'
 )
 cost_tracker.configure_pricing(user_file=pricing, env={}, use_dataset=False)
 payload = openai_chat_completion()
 payload["usage"]["prompt_tokens"] = 2600
 payload["usage"]["prompt_tokens_details"] = {"cached_tokens": 2000, "cache_write_tokens": 400}
 usage = usage_from_response(payload)
 expected = (200 * Decimal("4") + 2000 * Decimal("0.40") + 400 * Decimal("5") + 46 * Decimal("20")) / MILLION
 assert_costs("test-gpt-cache-writes", usage, expected)


def test_deepseek_hits_at_the_cache_rate_and_misses_at_the_input_rate():
 # deepseek-reasoner: cache hit $0.028, cache miss $0.28, output $0.42 (reasoning included).
 usage = usage_from_response(deepseek_reasoner_completion())
 expected = (220 * Decimal("0.28") + 1280 * Decimal("0.028") + 900 * Decimal("0.42")) / MILLION
 assert expected == Decimal("0.00047544")
 assert_costs("deepseek-reasoner", usage, expected)
