"""estimate_cost once a model's rates are remembered (the steady state) gives what the full path gives."""

from decimal import Decimal

import pytest

from mma_conductor import cost_tracker
from mma_conductor.pricing.table import BUILTIN_PRICES
from mma_conductor.pricing.usage import Usage, UsageError


def _exact(model: str, usage: Usage) -> float:
 return BUILTIN_PRICES[model].cost_units(usage) / cost_tracker.UNITS_PER_USD


def _configure(tmp_path, **env):
 user_file = tmp_path / "user.toml"
 user_file.write_text("", encoding="utf-8")
 return cost_tracker.configure_pricing(user_file=user_file, env=env, use_dataset=False)


@pytest.fixture
def warm(tmp_path):
 _configure(tmp_path)
 for model in ("gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"):
  cost_tracker.estimate_cost(model, 1, 1)
 yield
 cost_tracker.configure_pricing()


@pytest.mark.parametrize(
 "args",
 [(-1, 0), (0, -5), (True, 0), (0, False), (1.5, 0), ("10", 0), (float("nan"), 0)],
)
def test_bad_counts_still_raise_once_the_model_is_warm(warm, args):
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("gpt-4o", *args)


@pytest.mark.parametrize("cached", [{"cache_read_tokens": 11}, {"cache_write_tokens": 11}, {"cache_read_tokens": -1}])
def test_bad_cache_counts_still_raise_once_the_model_is_warm(warm, cached):
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("gpt-4o", 10, 0, **cached)


@pytest.mark.parametrize("cached", [{"cache_read_tokens": False}, {"cache_write_tokens": True}])
def test_boolean_cache_counts_raise_once_the_model_is_warm(warm, cached):
 with pytest.raises(UsageError, match="boolean"):
  cost_tracker.estimate_cost("gpt-4o", 10, 0, **cached)


def test_whole_floats_are_still_accepted_as_counts(warm):
 assert cost_tracker.estimate_cost("gpt-4o", 1000.0, 10) == cost_tracker.estimate_cost("gpt-4o", 1000, 10)


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "gemini-2.5-pro"])
@pytest.mark.parametrize("prompt", [199_999, 200_000, 200_001, 900_000])
def test_long_context_tiers_apply_once_the_model_is_warm(warm, model, prompt):
 got = cost_tracker.estimate_cost(model, prompt, 1_000, cache_read_tokens=5_000)
 assert got == _exact(model, Usage(prompt, 1_000, cache_read_tokens=5_000))


def test_long_prompt_costs_more_per_token_than_the_base_rate(warm):
 # claude-sonnet-4-5 above 200k: $6 in, $22.50 out per 1M tokens (double input, 1.5x output).
 assert cost_tracker.estimate_cost("claude-sonnet-4-5", 200_001, 0) == float(Decimal(200_001) * 6 / 10**6)


def test_reconfigured_prices_replace_the_remembered_rates(warm, tmp_path):
 assert cost_tracker.estimate_cost("gpt-4o", 1_000_000, 0) == 2.5
 _configure(tmp_path, MMA_PRICE_GPT_4O_INPUT="3")
 assert cost_tracker.price_book().price("gpt-4o").input == Decimal(3)
 assert cost_tracker.estimate_cost("gpt-4o", 1_000_000, 0) == 3.0


def test_unpriced_models_stay_zero_and_reported_after_repeated_calls(warm):
 for _ in range(3):
  assert cost_tracker.estimate_cost("no-such-model-steady", 1000, 10) == 0.0
 assert "no-such-model-steady" in cost_tracker.unpriced_models()
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("no-such-model-steady", -1, 0)


@pytest.mark.parametrize("counts", [(10**12, 0), (0, 10**12), (10**8 + 1, 0)])
def test_absurd_counts_are_refused_before_and_after_the_rates_are_remembered(counts):
 cost_tracker.estimate_cost("gpt-4o", 1000, 10)  # the rates are remembered now
 for model in ("gpt-4o", "claude-sonnet-4-5", "no-such-model"):
  with pytest.raises(UsageError, match="absurd for one call"):
   cost_tracker.estimate_cost(model, *counts)
