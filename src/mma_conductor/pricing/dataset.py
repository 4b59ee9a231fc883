"""Prices of ~1,600 more token-priced models, offline, from the genai-prices dataset (loaded on first miss)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .money import PriceError
from .prices import ModelPrice, PriceTier

_PROVIDER_IDS = {"google": "gemini", "anthropic": "anthropic", "openai": "openai", "deepseek": "deepseek"}
_FIELDS = {
 "input": "input_mtok",
 "output": "output_mtok",
 "cache_read": "cache_read_mtok",
 "cache_write": "cache_write_mtok",
 "cache_write_1h": "cache_write_1h_mtok",
}
_lock = threading.Lock()
_snapshot: Any = None


def _get_snapshot() -> Any:
 global _snapshot
 with _lock:
  if _snapshot is None:
   from genai_prices import data_snapshot

   _snapshot = data_snapshot.get_snapshot()
  return _snapshot


def dataset_version() -> str:
 """Version of the installed genai-prices package, shown as the source date of dataset prices."""
 from importlib.metadata import PackageNotFoundError, version

 try:
  return version("genai-prices")
 except PackageNotFoundError:
  return "not installed"


def dataset_price(model: str, when: datetime | None = None) -> tuple[str, ModelPrice] | None:
 """(dataset model id, price) for `model` at `when` (default now), or None if the dataset cannot price it."""
 try:
  snapshot = _get_snapshot()
 except ImportError:
  return None
 try:
  provider, info = snapshot.find_provider_model(model, None, None, None)
 except LookupError:
  return None
 price = convert(provider, info, when or datetime.now(UTC))
 return (info.id, price) if price is not None else None


def dataset_named_price(model: str, *, id_only: bool = False) -> tuple[str, ModelPrice] | None:
 """(dataset model id, price) only when the dataset NAMES `model` (lower-cased): as the model's id, or, unless
 `id_only`, as a literal name in its match rules. A name that only starts with, contains or pattern-matches a
 known one is not priced from it: `claude-opus-4-5x` is not Opus 4.5."""
 name = model.strip().lower()
 try:
  snapshot = _get_snapshot()
  provider, info = snapshot.find_provider_model(name, None, None, None)
 except (ImportError, LookupError):
  return None
 named = name == info.id.lower() or (not id_only and name in _literal_names(info.match))
 price = convert(provider, info, datetime.now(UTC)) if named else None
 return (info.id, price) if price is not None else None


def _literal_names(clause: Any) -> set[str]:
 """The names a match clause spells out in full (equals, and the stem of starts_with), of it and its `or_`s."""
 names = {str(getattr(clause, key)).lower() for key in ("equals", "starts_with") if getattr(clause, key, None)}
 for inner in getattr(clause, "or_", None) or ():
  names |= _literal_names(inner)
 return names


def dataset_model_ids() -> frozenset[str]:
 """Every model id of the dataset (lower-cased), for "did you mean" suggestions; empty without the package."""
 try:
  snapshot = _get_snapshot()
 except ImportError:
  return frozenset()
 return frozenset(info.id.lower() for provider in snapshot.providers for info in provider.models)


def iter_dataset_prices(when: datetime | None = None) -> Iterator[tuple[str, str, ModelPrice]]:
 """Every token-priced model of the dataset as (provider id, model id, price)."""
 snapshot = _get_snapshot()
 moment = when or datetime.now(UTC)
 for provider in snapshot.providers:
  for info in provider.models:
   price = convert(provider, info, moment)
   if price is not None:
    yield provider.id, info.id, price


def convert(provider: Any, info: Any, when: datetime) -> ModelPrice | None:
 """The dataset's price of one model as a ModelPrice, or None when it is not priced per token."""
 raw = info.get_prices(when)
 values = {name: getattr(raw, attr, None) for name, attr in _FIELDS.items()}
 if values["input"] is None or values["output"] is None:
  return None
 thresholds = sorted({t.start for v in values.values() if hasattr(v, "tiers") for t in v.tiers})
 base = {name: _base(value) for name, value in values.items()}
 tiers = tuple(
  PriceTier(threshold, **{name: _at(value, threshold) for name, value in values.items()}) for threshold in thresholds
 )
 source = provider.pricing_urls[0] if getattr(provider, "pricing_urls", None) else "genai-prices dataset"
 try:
  return ModelPrice(
   **base,
   tiers=tiers,
   provider=_PROVIDER_IDS.get(provider.id, provider.id),
   source=source,
   as_of=f"genai-prices {dataset_version()}",
   origin="dataset",
  )
 except PriceError:
  return None


def _base(value: Any) -> Decimal | None:
 return value.base if hasattr(value, "tiers") else value


def _at(value: Any, threshold: int) -> Decimal | None:
 if not hasattr(value, "tiers"):
  return value
 price = value.base
 for tier in value.tiers:
  if threshold >= tier.start:
   price = tier.price
 return price
