"""Cross-check the built-in list prices against the maintained genai-prices dataset.

When this fails after a dataset update, a provider changed a price: update pricing/table.py (and its as-of
date) rather than the expectation. Deviations kept on purpose are listed with their reason."""

from decimal import Decimal

import pytest

from mma_conductor.pricing.dataset import dataset_price
from mma_conductor.pricing.prices import PRICE_FIELDS
from mma_conductor.pricing.table import BUILTIN_PRICES

KNOWN_DEVIATIONS = {
 # The dataset still carries the pre-September-2025 DeepSeek prices with time-of-day discounts; the
 # table follows DeepSeek's pricing page of 2025-09-05 (one rate all day).
 "deepseek-chat": "dataset carries older DeepSeek prices",
 "deepseek-reasoner": "dataset carries older DeepSeek prices",
}
LONG_CONTEXT_KEPT = {
 # Anthropic documents 2x input / 1.5x output above 200k prompt tokens (1M context) for Sonnet 4 and 4.5.
 "claude-sonnet-4": "dataset has no long-context tier for Sonnet 4",
}


@pytest.mark.parametrize("model", sorted(set(BUILTIN_PRICES) - set(KNOWN_DEVIATIONS)))
def test_builtin_price_agrees_with_dataset(model):
 found = dataset_price(model)
 assert found is not None, f"{model} is not in the dataset"
 ours, theirs = BUILTIN_PRICES[model], found[1]
 for field in PRICE_FIELDS:
  assert ours.effective(field) == theirs.effective(field), f"{model} {field}"
 if model not in LONG_CONTEXT_KEPT:
  assert [(t.above_input_tokens, t.input, t.output) for t in ours.tiers] == [
   (t.above_input_tokens, t.input, t.output) for t in theirs.tiers
  ]


def test_every_builtin_price_names_its_source_and_date():
 for model, price in BUILTIN_PRICES.items():
  assert price.source.startswith("https://"), model
  assert len(price.as_of) == 10 and price.as_of[4] == "-", model
  assert price.provider in {"gemini", "anthropic", "deepseek", "openai"}, model


def test_deepseek_builtin_matches_its_pricing_page():
 price = BUILTIN_PRICES["deepseek-chat"]
 assert (price.input, price.cache_read, price.output) == (Decimal("0.28"), Decimal("0.028"), Decimal("0.42"))
