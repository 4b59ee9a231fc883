from decimal import Decimal

import pytest

from mma_conductor import cost_tracker
from mma_conductor.pricing.book import PriceBook, normalize_model_name
from mma_conductor.pricing.prices import ModelPrice
from mma_conductor.pricing.table import BUILTIN_PRICES
from mma_conductor.pricing.usage import Usage, UsageError


@pytest.fixture
def book():
 return PriceBook()


@pytest.mark.parametrize(
 ("name", "expected", "rule"),
 [
  ("gpt-4o", "gpt-4o", "exact"),
  ("GPT-4o", "gpt-4o", "normalized"),
  ("models/gemini-2.5-pro", "gemini-2.5-pro", "normalized"),
  ("gemini/gemini-2.5-flash", "gemini-2.5-flash", "normalized"),
  ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5", "normalized"),
  ("openai/gpt-4.1-mini", "gpt-4.1-mini", "normalized"),
  ("deepseek/deepseek-chat", "deepseek-chat", "normalized"),
  ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "normalized"),
  ("claude-sonnet-4-20250514", "claude-sonnet-4", "normalized"),
  ("claude-3-5-haiku-latest", "claude-3-5-haiku", "normalized"),
  ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "normalized"),
  ("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet", "normalized"),
  ("gpt-4o-2024-08-06", "gpt-4o", "normalized"),
  ("o3-mini-2025-01-31", "o3-mini", "normalized"),
 ],
)
def test_name_resolution(book, name, expected, rule):
 found = book.resolve(name)
 assert found is not None
 assert (found.matched, found.rule) == (expected, rule)
 assert found.price is BUILTIN_PRICES[expected]


@pytest.mark.parametrize(
 "name",
 [
  "gpt-4o-mni",  # a typo: 16x gpt-4o-mini's price if it were read as gpt-4o
  "gpt-4o-mini-custom-tune",
  "claude-sonnet-4-5-thinking",
  "claude-opus-4-5x",
  "gpt-4o-xyz",
  # A later version is a different model: it must not silently take an older model's price.
  "claude-sonnet-4-7",
  "gpt-4o1",
 ],
)
@pytest.mark.parametrize("use_dataset", [False, True])
def test_only_known_suffix_shapes_are_stripped_anything_else_is_unpriced(name, use_dataset):
 book = PriceBook(use_dataset=use_dataset)
 assert book.resolve(name) is None
 assert name in book.unpriced_models()


@pytest.mark.parametrize(
 ("name", "expected"),
 [
  ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
  ("gpt-4o-mini@20240718", "gpt-4o-mini"),
  ("gpt-4o-mini-latest", "gpt-4o-mini"),
  ("gemini-2.0-flash-001", "gemini-2.0-flash"),
  ("gemini-2.5-pro-exp-03-25", "gemini-2.5-pro"),
  ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
  ("claude-3-5-sonnet-v2", "claude-3-5-sonnet"),
  ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
  ("gpt-4-0613", None),
 ],
)
def test_known_suffix_shapes_are_stripped(name, expected):
 found = PriceBook(use_dataset=False).resolve(name)
 assert (found.matched if found else None) == expected


def test_exact_dated_snapshot_in_the_dataset_wins_over_the_normalized_builtin_name(book):
 # genai-prices lists gpt-4o-2024-05-13 on its own at $5/$15, dearer than gpt-4o's $2.50/$10.
 found = book.resolve("gpt-4o-2024-05-13")
 assert (found.matched, found.rule) == ("gpt-4o-2024-05-13", "dataset")
 assert (found.price.input, found.price.output) == (Decimal(5), Decimal(15))
 assert book.resolve("gpt-4o-2024-08-06").price is BUILTIN_PRICES["gpt-4o"]


@pytest.mark.parametrize("use_dataset", [False, True])
def test_unpriced_name_gets_a_did_you_mean(use_dataset):
 book = PriceBook(use_dataset=use_dataset)
 assert book.suggestion("gpt-4o-mni") == "gpt-4o-mini"
 assert book.explain("gpt-4o-mni").endswith("did you mean gpt-4o-mini?")
 assert book.suggestion("zzzz-qqqq") is None


def test_a_name_looked_up_on_purpose_is_not_remembered_as_unpriced(book):
 assert book.look_up("zz-looked-up") is None
 assert "did you mean" not in book.explain("zz-looked-up")
 assert book.unpriced_models() == frozenset()
 assert book.price("zz-looked-up") is None  # a real use still counts
 assert book.unpriced_models() == {"zz-looked-up"}
 assert book.explain("gpt-4o").startswith("gpt-4o: priced as gpt-4o (exact; $2.5 in / $10 out per 1M tokens;")


def test_dataset_prices_models_outside_the_table(book):
 found = book.resolve("mistral-large-latest")
 assert found is not None and found.rule == "dataset"
 assert found.price.origin == "dataset"
 assert found.price.as_of.startswith("genai-prices ")
 assert found.price.source.startswith("https://")


def test_resolution_is_cached_as_a_dict_hit(book):
 first = book.resolve("claude-sonnet-4-5-20250929")
 assert book.prices["claude-sonnet-4-5-20250929"] is first.price
 assert book.resolve("claude-sonnet-4-5-20250929") is first
 assert book.price("claude-sonnet-4-5-20250929") is first.price


def test_unknown_model_is_reported_unpriced_never_raises():
 book = PriceBook(use_dataset=False)
 assert book.price("totally-made-up-model") is None
 assert book.cost_units("totally-made-up-model", Usage(10, 10)) is None
 assert "totally-made-up-model" in book.unpriced_models()
 assert not book.is_priced("")
 assert book.price(None) is None  # type: ignore[arg-type]


def test_fallback_prices_unknown_models_like_a_named_model():
 book = PriceBook(use_dataset=False, fallback_model="gpt-4o")
 found = book.resolve("in-house-model")
 assert found.rule == "fallback" and found.matched == "gpt-4o"
 assert book.unpriced_models() == frozenset()


def test_estimate_cost_unknown_is_zero_and_unpriced():
 assert cost_tracker.estimate_cost("no-such-model-xyz", 1000, 1000) == 0.0
 assert "no-such-model-xyz" in cost_tracker.unpriced_models()
 assert not cost_tracker.is_priced("no-such-model-xyz")


def test_estimate_cost_known_models_hand_computed():
 # gpt-4o list price: $2.50 in, $10 out, $1.25 cached input per 1M tokens.
 assert cost_tracker.estimate_cost("gpt-4o", 1_000_000, 0) == 2.5
 expected = (Decimal(900) * Decimal("2.50") + Decimal(100) * Decimal("1.25") + Decimal(50) * 10) / 10**6
 assert cost_tracker.estimate_cost("gpt-4o", 1000, 50, cache_read_tokens=100) == float(expected)
 # claude-haiku-4-5: $1 in, $5 out, 5m write $1.25.
 expected = (Decimal(500) * 1 + Decimal(500) * Decimal("1.25") + Decimal(10) * 5) / 10**6
 assert cost_tracker.estimate_cost("claude-haiku-4-5", 1000, 10, cache_write_tokens=500) == float(expected)


@pytest.mark.parametrize(
 "args",
 [(-1, 0), (0, -5), (True, 0), (1.5, 0), ("10", 0), (float("nan"), 0)],
)
def test_estimate_cost_rejects_bad_counts(args):
 with pytest.raises(UsageError):
  cost_tracker.estimate_cost("gpt-4o", *args)


def test_estimate_cost_rejects_cache_larger_than_prompt():
 with pytest.raises(UsageError, match="exceed input_tokens"):
  cost_tracker.estimate_cost("gpt-4o", 10, 0, cache_read_tokens=11)


def test_usage_cost_matches_estimate_cost():
 usage = Usage(5000, 700, cache_read_tokens=1000, cache_write_tokens=2000)
 assert cost_tracker.usage_cost("claude-opus-4-5", usage) == cost_tracker.estimate_cost(
  "claude-opus-4-5", 5000, 700, cache_read_tokens=1000, cache_write_tokens=2000
 )
 assert cost_tracker.usage_cost_units("claude-opus-4-5", usage) == (
  2000 * 5_000_000_000 + 1000 * 500_000_000 + 2000 * 6_250_000_000 + 700 * 25_000_000_000
 )


def test_model_pricing_keeps_the_original_mapping_shape():
 assert cost_tracker.MODEL_PRICING["gemini-2.5-flash"]["input"] == Decimal("0.30")
 assert cost_tracker.MODEL_PRICING["gemini-2.5-flash"]["output"] == Decimal("2.50")
 with pytest.raises(TypeError):
  cost_tracker.MODEL_PRICING["x"] = ModelPrice(Decimal(1), Decimal(1))  # read-only


def test_normalize_model_name():
 assert normalize_model_name("  Models/Gemini-2.5-Pro ") == "gemini-2.5-pro"
 assert normalize_model_name("gemini-2.5-flash-preview-09-2025") == "gemini-2.5-flash-preview"
 assert normalize_model_name("deepseek-v3") == "deepseek-v3"
