"""Long-context tiers and cache-write durations, against figures computed by hand from list prices."""

from decimal import Decimal

from mma_conductor import cost_tracker
from mma_conductor.pricing.usage import Usage

M = Decimal(10**6)


def units(usd: Decimal) -> int:
 return int(usd * 10**15)


def test_gemini_25_pro_switches_the_whole_request_above_200k_prompt_tokens():
 # <= 200k: $1.25 in / $10 out / $0.125 cache; > 200k: $2.50 / $15 / $0.25 for ALL tokens.
 at = Usage(200_000, 1_000, cache_read_tokens=50_000)
 above = Usage(200_001, 1_000, cache_read_tokens=50_000)
 expected_at = (150_000 * Decimal("1.25") + 50_000 * Decimal("0.125") + 1_000 * 10) / M
 expected_above = (150_001 * Decimal("2.50") + 50_000 * Decimal("0.25") + 1_000 * 15) / M
 assert cost_tracker.usage_cost_units("gemini-2.5-pro", at) == units(expected_at)
 assert cost_tracker.usage_cost_units("gemini-2.5-pro", above) == units(expected_above)


def test_claude_sonnet_45_long_context_rates_cover_cache_writes_too():
 usage = Usage(250_000, 2_000, cache_read_tokens=100_000, cache_write_tokens=40_000, cache_write_1h_tokens=10_000)
 expected = (
  110_000 * Decimal(6)
  + 100_000 * Decimal("0.60")
  + 30_000 * Decimal("7.50")
  + 10_000 * Decimal(12)
  + 2_000 * Decimal("22.50")
 ) / M
 assert cost_tracker.usage_cost_units("claude-sonnet-4-5", usage) == units(expected)
 below = Usage(199_999, 10)
 assert cost_tracker.usage_cost_units("claude-sonnet-4-5", below) == units((199_999 * 3 + 10 * 15) / M)


def test_one_hour_cache_writes_cost_twice_the_input_rate():
 # claude-opus-4-1: $15 input; 5m write 1.25x = $18.75; 1h write 2x = $30.
 only_5m = Usage(1_000_000, 0, cache_write_tokens=1_000_000)
 only_1h = Usage(1_000_000, 0, cache_write_tokens=1_000_000, cache_write_1h_tokens=1_000_000)
 assert cost_tracker.usage_cost("claude-opus-4-1", only_5m) == 18.75
 assert cost_tracker.usage_cost("claude-opus-4-1", only_1h) == 30.0
 # Pricing 1h writes as 5m would undercount by 37.5%.
 assert 1 - 18.75 / 30 == 0.375


def test_cache_writes_default_to_the_input_rate_where_not_billed_separately():
 usage = Usage(1_000_000, 0, cache_write_tokens=1_000_000, cache_write_1h_tokens=400_000)
 assert cost_tracker.usage_cost("gpt-4o", usage) == 2.5
 assert cost_tracker.usage_cost("gemini-2.5-flash", usage) == 0.3


def test_reasoning_is_part_of_output_and_not_charged_twice():
 plain = Usage(1000, 5000)
 with_reasoning = Usage(1000, 5000, reasoning_tokens=4000)
 assert cost_tracker.usage_cost_units("o3", plain) == cost_tracker.usage_cost_units("o3", with_reasoning)
