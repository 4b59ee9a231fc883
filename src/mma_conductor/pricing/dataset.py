"""Prices of ~1,600 more token-priced models, offline, from the genai-prices dataset.

What the price book asks (which model the dataset names with a name, at what price; its model ids) is answered
from a compact index of the installed genai-prices release (see dataset_index.py), read on the first unknown
model: a few milliseconds and well under a megabyte, where genai-prices' own snapshot costs ~120 ms and ~25 MB.
Only dataset_price(), which uses genai-prices' full matching rules (prefixes, patterns), loads the snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .dataset_index import (
 DatasetIndex,
 RawPrice,
 TieredPrice,
 active_prices,
 conditional_prices,
 decode_price,
 installed_version,
 load_index,
)
from .money import PriceError
from .prices import ModelPrice, PriceTier

__all__ = ["RawPrice", "TieredPrice"]

_PROVIDER_IDS = {"google": "gemini", "anthropic": "anthropic", "openai": "openai", "deepseek": "deepseek"}
_FIELDS = {
 "input": "input_mtok",
 "output": "output_mtok",
 "cache_read": "cache_read_mtok",
 "cache_write": "cache_write_mtok",
 "cache_write_1h": "cache_write_1h_mtok",
}
_lock = threading.Lock()
_index: DatasetIndex | None = None
_snapshot: Any = None


def _get_index() -> DatasetIndex:
 """The index of the installed genai-prices (loaded once); ImportError when genai-prices is not installed."""
 global _index
 with _lock:
  if _index is None:
   version = installed_version()
   if version is None:
    raise ImportError("genai-prices is not installed")
   _index = load_index(version)
  return _index


def _get_snapshot() -> Any:
 global _snapshot
 with _lock:
  if _snapshot is None:
   from genai_prices import data_snapshot

   _snapshot = data_snapshot.get_snapshot()
  return _snapshot


def dataset_version() -> str:
 """Version of the installed genai-prices package, shown as the source date of dataset prices."""
 return installed_version() or "not installed"


def dataset_price(model: str, when: datetime | None = None) -> tuple[str, ModelPrice] | None:
 """(dataset model id, price) for `model` at `when` (default now), or None if the dataset cannot price it.
 Uses genai-prices' full matching (prefixes, patterns), so it loads genai-prices' whole snapshot."""
 try:
  snapshot = _get_snapshot()
 except ImportError:
  return None
 try:
  provider, info = snapshot.find_provider_model(model, None, None, None)
 except LookupError:
  return None
 raw = _decoded(active_prices(conditional_prices(info), when or datetime.now(UTC)))
 url = provider.pricing_urls[0] if getattr(provider, "pricing_urls", None) else None
 price = model_price(provider.id, url, raw, dataset_version())
 return (info.id, price) if price is not None else None


def dataset_named_price(model: str, *, id_only: bool = False) -> tuple[str, ModelPrice] | None:
 """(dataset model id, price) only when the dataset NAMES `model` (lower-cased): as the model's id, or, unless
 `id_only`, as a literal name in its match rules. A name that only starts with, contains or pattern-matches a
 known one is not priced from it: `claude-opus-4-5x` is not Opus 4.5."""
 try:
  index = _get_index()
 except ImportError:
  return None
 found = index.named(model.strip().lower())
 if found is None or (id_only and not found.by_id):
  return None
 raw = index.raw_prices(found.number, datetime.now(UTC))
 price = model_price(found.provider_id, found.pricing_url, raw, index.version)
 return (found.model_id, price) if price is not None else None


def dataset_raw_prices(model: str, when: datetime | None = None) -> dict[str, RawPrice] | None:
 """Every price field the dataset has, at `when` (default now), for the model it NAMES `model` with (as
 dataset_named_price: its id or a literal match name, lower-cased), or None when it names no model so.

 Keys are genai-prices' field names, all of those it sets for that model: `input_mtok`, `output_mtok`,
 `cache_read_mtok`, `cache_write_mtok`, `cache_write_1h_mtok`, `input_audio_mtok`, `cache_audio_read_mtok`,
 `output_audio_mtok`, `input_image_mtok`, `cache_image_read_mtok`, `output_image_mtok`, `input_video_mtok`,
 `output_video_mtok`, `web_searches_kcount`, `requests_kcount`, ... (USD per 1M tokens, per 1,000 searches or
 requests). Values are Decimals, or TieredPrice for prices that change above a prompt length. Conditional
 prices (a start date, a time of day such as DeepSeek's off-peak hours) are resolved at `when` as genai-prices
 resolves them: the last one whose constraint holds, else the first."""
 try:
  index = _get_index()
 except ImportError:
  return None
 found = index.named(model.strip().lower())
 return None if found is None else index.raw_prices(found.number, when or datetime.now(UTC))


def dataset_model_ids() -> frozenset[str]:
 """Every model id of the dataset (lower-cased), for "did you mean" suggestions; empty without the package."""
 try:
  return _get_index().model_ids()
 except ImportError:
  return frozenset()


def iter_dataset_prices(when: datetime | None = None) -> Iterator[tuple[str, str, ModelPrice]]:
 """Every token-priced model of the dataset as (provider id, model id, price)."""
 index = _get_index()
 moment = when or datetime.now(UTC)
 for provider_id, url, model_id, number in index.provider_models():
  price = model_price(provider_id, url, index.raw_prices(number, moment), index.version)
  if price is not None:
   yield provider_id, model_id, price


def model_price(provider_id: str, pricing_url: str | None, raw: dict[str, RawPrice], version: str) -> ModelPrice | None:
 """The dataset's price of one model as a ModelPrice, or None when it is not priced per token."""
 values = {name: raw.get(field) for name, field in _FIELDS.items()}
 if values["input"] is None or values["output"] is None:
  return None
 thresholds = sorted({start for v in values.values() if isinstance(v, TieredPrice) for start, _ in v.tiers})
 base = {name: _base(value) for name, value in values.items()}
 tiers = tuple(
  PriceTier(threshold, **{name: _at(value, threshold) for name, value in values.items()}) for threshold in thresholds
 )
 try:
  return ModelPrice(
   **base,
   tiers=tiers,
   provider=_PROVIDER_IDS.get(provider_id, provider_id),
   source=pricing_url or "genai-prices dataset",
   as_of=f"genai-prices {version}",
   origin="dataset",
  )
 except PriceError:
  return None


def _decoded(prices: dict[str, Any]) -> dict[str, RawPrice]:
 return {field: decode_price(value) for field, value in prices.items()}


def _base(value: RawPrice | None) -> Decimal | None:
 return value.base if isinstance(value, TieredPrice) else value


def _at(value: RawPrice | None, threshold: int) -> Decimal | None:
 if not isinstance(value, TieredPrice):
  return value
 price = value.base
 for start, tier_price in value.tiers:
  if threshold >= start:
   price = tier_price
 return price
