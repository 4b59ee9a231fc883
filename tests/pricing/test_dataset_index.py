"""The packaged dataset index against genai-prices' own snapshot, model by model and name by name.

When these fail after a genai-prices upgrade, regenerate the index: `python -m mma_conductor.pricing.dataset_index`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import data_snapshot
from genai_prices.types import TieredPrices

import mma_conductor
from mma_conductor.pricing import dataset
from mma_conductor.pricing.dataset_index import (
 PACKAGED_INDEX,
 DatasetIndex,
 TieredPrice,
 cached_index_path,
 installed_version,
 literal_names,
 load_index,
)

REGENERATE = "regenerate it: python -m mma_conductor.pricing.dataset_index"


@pytest.fixture(scope="module")
def snapshot():
 return data_snapshot.get_snapshot()


@pytest.fixture(scope="module")
def index():
 return DatasetIndex(PACKAGED_INDEX.read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def models(snapshot):
 return [model for provider in snapshot.providers for model in provider.models]


def _theirs(value):
 if isinstance(value, TieredPrices):
  return TieredPrice(value.base, tuple((tier.start, tier.price) for tier in value.tiers))
 return value


def _their_fields(price) -> dict:
 return {key: _theirs(value) for key, value in vars(price).items() if value is not None and not key.startswith("_")}


def _moments(model) -> list[datetime]:
 """Times at which a model's conditional prices may differ: around each start date, and every half hour of a day."""
 day = datetime(2026, 11, 30, tzinfo=UTC)
 moments = [day + timedelta(minutes=30 * n) for n in range(48)]
 for entry in model.prices if isinstance(model.prices, list) else ():
  start = getattr(entry.constraint, "start_date", None)
  if start is not None:
   midnight = datetime.combine(start, time(), tzinfo=UTC)
   moments += [midnight - timedelta(seconds=1), midnight, midnight + timedelta(hours=3)]
 return moments


def test_packaged_index_is_of_the_installed_release(index):
 assert index.version == installed_version(), f"the packaged index is of genai-prices {index.version}; {REGENERATE}"


def test_index_has_every_model_in_the_dataset_order(index, snapshot, models):
 assert [index.model(n)["id"] for n in range(len(models))] == [model.id for model in models], REGENERATE
 numbers = {id(model): n for n, model in enumerate(models)}
 assert list(index.provider_models()) == [
  (provider.id, provider.pricing_urls[0] if provider.pricing_urls else None, model.id, numbers[id(model)])
  for provider in snapshot.providers
  for model in provider.models
 ]


def test_index_prices_agree_with_genai_prices_for_every_model_at_every_condition(index, models):
 disagreements = []
 for number, model in enumerate(models):
  for moment in _moments(model):
   ours = index.raw_prices(number, moment)
   theirs = _their_fields(model.get_prices(moment))
   if ours != theirs:
    disagreements.append((model.id, moment.isoformat(), ours, theirs))
 assert not disagreements, f"{len(disagreements)} disagreements, first: {disagreements[0]}; {REGENERATE}"


def test_index_keeps_every_conditional_price_and_constraint(index, models):
 for number, model in enumerate(models):
  entries = model.prices if isinstance(model.prices, list) else [None]
  ours = index.model(number)["prices"]
  assert len(ours) == len(entries), model.id
  for mine, theirs in zip(ours, entries, strict=True):
   constraint = None if theirs is None else theirs.constraint
   assert _constraint_of(mine["constraint"]) == _constraint_tuple(constraint), model.id


def _constraint_of(raw):
 if raw is None:
  return None
 if "start_date" in raw:
  return (date.fromisoformat(raw["start_date"]),)
 return (time.fromisoformat(raw["start_time"]), time.fromisoformat(raw["end_time"]))


def _constraint_tuple(constraint):
 if constraint is None:
  return None
 if hasattr(constraint, "start_date"):
  return (constraint.start_date,)
 return (constraint.start_time, constraint.end_time)


def test_index_names_exactly_what_genai_prices_names(index, snapshot, models):
 candidates = {model.id.lower() for model in models} | {n for model in models for n in literal_names(model.match)}
 wrong = []
 for name in sorted(candidates):
  expected = _named_by_snapshot(snapshot, name)
  found = index.named(name)
  got = None if found is None else (found.provider_id, found.model_id, found.by_id)
  if got != expected:
   wrong.append((name, got, expected))
 assert not wrong, f"{len(wrong)} names differ, first: {wrong[:3]}; {REGENERATE}"


def _named_by_snapshot(snapshot, name):
 try:
  provider, model = snapshot.find_provider_model(name, None, None, None)
 except LookupError:
  return None
 by_id = name == model.id.lower()
 return (provider.id, model.id, by_id) if by_id or name in literal_names(model.match) else None


def test_names_the_dataset_only_matches_by_pattern_are_not_named(index):
 for name in ("claude-opus-4-5x", "gpt-4o-mni", "gpt-4o-2024-05-13-extra", "deepseek-v4-flash-beta"):
  assert index.named(name) is None


def test_model_ids_are_every_dataset_id_lower_cased(index, models):
 assert index.model_ids() == frozenset(model.id.lower() for model in models)


def test_raw_prices_resolve_time_of_day_and_start_date_conditions():
 peak = datetime(2026, 11, 30, 2, tzinfo=UTC)  # DeepSeek peak window 01:00-04:00 UTC
 off_peak = datetime(2026, 11, 30, 12, tzinfo=UTC)
 before_v4 = datetime(2026, 8, 1, 12, tzinfo=UTC)
 assert dataset.dataset_raw_prices("deepseek-v4-flash", peak)["output_mtok"] == Decimal("1.2")
 assert dataset.dataset_raw_prices("deepseek-v4-flash", off_peak)["output_mtok"] == Decimal("0.6")
 assert dataset.dataset_raw_prices("deepseek-v4-flash", before_v4)["output_mtok"] == Decimal("0.28")


def test_raw_prices_keep_web_search_and_tiered_prices():
 gpt = dataset.dataset_raw_prices("GPT-4o")
 assert gpt["web_searches_kcount"] == Decimal(10) and gpt["input_mtok"] == Decimal("2.5")
 sonnet = dataset.dataset_raw_prices("claude-sonnet-4-5")
 assert sonnet["input_mtok"] == TieredPrice(Decimal(3), ((200_000, Decimal(6)),))
 assert dataset.dataset_raw_prices("no-such-model-anywhere") is None


def test_another_release_is_built_from_its_snapshot_and_cached(tmp_path, monkeypatch, snapshot):
 monkeypatch.setenv("MMA_CONDUCTOR_CACHE_DIR", str(tmp_path))
 built = load_index("0.0.0-not-packaged")
 cached = cached_index_path("0.0.0-not-packaged")
 assert cached.parent == tmp_path and cached.exists()
 assert json.loads(cached.read_text(encoding="utf-8").splitlines()[0])["genai_prices"] == "0.0.0-not-packaged"
 again = load_index("0.0.0-not-packaged")
 assert again.named("gpt-4o") == built.named("gpt-4o") != None  # noqa: E711
 assert again.raw_prices(again.named("gpt-4o").number, datetime.now(UTC)) == _their_fields(
  snapshot.find_provider_model("gpt-4o", None, None, None)[1].get_prices(datetime.now(UTC))
 )


def test_pricing_a_dataset_model_in_a_fresh_process_does_not_load_genai_prices():
 code = (
  "import sys\n"
  "from mma_conductor import cost_tracker\n"
  "found = cost_tracker.resolve_model('gpt-4o-2024-05-13')\n"
  "assert found.rule == 'dataset' and found.price.input == 5, found\n"
  "print(sorted(m for m in sys.modules if m.startswith('genai_prices')))\n"
 )
 src = str(Path(mma_conductor.__file__).parents[1])
 env = {**os.environ, "PYTHONPATH": src}
 result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
 assert result.stdout.strip() == "[]"
