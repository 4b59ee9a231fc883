"""Costs of normalized usages through the public facade, against figures worked out by hand with Decimal.

Rates are the providers' list prices per 1M tokens as written in the built-in table; each case spells out the
arithmetic so that a reader can check it against the provider's pricing page.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_usage_normalization import (
 anthropic_message,
 anthropic_stream,
 changed,
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


# (payload, model, cost per million tokens as the provider's pricing page has it, the resulting USD).
COST_CASES = [
 # claude-sonnet-4-5: input $3, output $15; read 0.1x = $0.30, 5m write 1.25x = $3.75, 1h write 2x = $6.
 pytest.param(
  anthropic_message(),
  "claude-sonnet-4-5",
  2095 * Decimal("3") + 12000 * Decimal("0.30") + 300 * Decimal("3.75") + 1500 * Decimal("6") + 503 * Decimal("15"),
  Decimal("0.027555"),
  id="anthropic-cache-reads-and-5m-and-1h-writes",
 ),
 # 5,000 uncached + 250,000 read = 255,000 prompt tokens > 200k: the whole request moves to the long-context
 # rates of claude-sonnet-4-5: input $6, output $22.50, read $0.60.
 pytest.param(
  changed(
   anthropic_message(),
   ("usage",),
   {
    "input_tokens": 5000,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 250000,
    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 1000,
   },
  ),
  "claude-sonnet-4-5",
  5000 * Decimal("6") + 250000 * Decimal("0.60") + 1000 * Decimal("22.50"),
  Decimal("0.2025"),
  id="anthropic-long-context-counts-cached-tokens-toward-the-200k-threshold",
 ),
 # gemini-2.5-flash: input $0.30, output $2.50, cached $0.03.
 # Input 12,000 + 400 tool-use, of which 8,000 cached; output 350 candidates + 1,200 thoughts.
 pytest.param(
  gemini_response(),
  "gemini-2.5-flash",
  (12400 - 8000) * Decimal("0.30") + 8000 * Decimal("0.03") + (350 + 1200) * Decimal("2.50"),
  Decimal("0.005435"),
  id="gemini-thoughts-billed-as-output-and-tool-use-prompt-as-input",
 ),
 # Last chunk: prompt 12,000 (8,000 cached), candidates 350, thoughts 1,200.
 pytest.param(
  gemini_stream(),
  "gemini-2.5-flash",
  4000 * Decimal("0.30") + 8000 * Decimal("0.03") + 1550 * Decimal("2.50"),
  Decimal("0.005315"),
  id="gemini-stream-costs-the-last-chunk-not-the-sum-of-chunks",
 ),
 # gemini-2.5-pro above 200k prompt tokens: input $2.50, output $15, cached $0.25 (instead of 1.25/10/0.125).
 pytest.param(
  changed(
   gemini_response(),
   ("usageMetadata",),
   {
    "promptTokenCount": 210000,
    "cachedContentTokenCount": 200000,
    "candidatesTokenCount": 800,
    "thoughtsTokenCount": 3200,
    "totalTokenCount": 214000,
   },
  ),
  "gemini-2.5-pro",
  10000 * Decimal("2.50") + 200000 * Decimal("0.25") + 4000 * Decimal("15"),
  Decimal("0.135"),
  id="gemini-2.5-pro-above-200k-bills-the-whole-request-at-the-higher-tier",
 ),
 # gpt-4o: input $2.50, cached $1.25, output $10. 1,117 prompt tokens of which 1,024 cached.
 pytest.param(
  openai_chat_completion(),
  "gpt-4o",
  93 * Decimal("2.50") + 1024 * Decimal("1.25") + 46 * Decimal("10"),
  Decimal("0.0019725"),
  id="openai-cached-prompt-tokens-at-the-cached-rate",
 ),
 # o3: input $2, output $8. The 1,024 reasoning tokens are inside the 1,500 completion tokens.
 pytest.param(
  openai_reasoning_completion(),
  "o3",
  2000 * Decimal("2") + 1500 * Decimal("8"),
  Decimal("0.016"),
  id="openai-reasoning-tokens-are-not-billed-twice",
 ),
 # o4-mini: input $1.10, cached $0.275, output $4.40.
 pytest.param(
  openai_response(),
  "o4-mini",
  129 * Decimal("1.10") + 11904 * Decimal("0.275") + 844 * Decimal("4.40"),
  Decimal("0.0071291"),
  id="openai-responses-cached-and-reasoning",
 ),
 # gpt-4.1 has no cache-write fee: a reported write costs the plain input rate ($2).
 pytest.param(
  changed(openai_response(), ("usage", "input_tokens_details"), {"cached_tokens": 0, "cache_write_tokens": 12000}),
  "gpt-4.1",
  12033 * Decimal("2") + 844 * Decimal("8"),
  Decimal("0.030818"),
  id="openai-cache-writes-cost-the-input-rate-on-models-without-a-write-fee",
 ),
 # deepseek-reasoner: cache hit $0.028, cache miss $0.28, output $0.42 (reasoning included).
 pytest.param(
  deepseek_reasoner_completion(),
  "deepseek-reasoner",
  220 * Decimal("0.28") + 1280 * Decimal("0.028") + 900 * Decimal("0.42"),
  Decimal("0.00047544"),
  id="deepseek-hits-at-the-cache-rate-and-misses-at-the-input-rate",
 ),
]


@pytest.mark.parametrize(("payload", "model", "per_million", "usd"), COST_CASES)
def test_cost_of_a_response_is_the_hand_computed_figure(payload, model, per_million, usd):
 expected = per_million / MILLION
 assert expected == usd
 assert_costs(model, usage_from_response(payload), expected)


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
