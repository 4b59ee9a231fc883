"""The cost engine's public API: prices, usage normalization, exact cost, and session accumulators.

Pure Python, no GUI imports. Scripts outside the package can rely on these names:

    MODEL_PRICING                      built-in list prices (model -> ModelPrice, USD per 1M tokens)
    estimate_cost(model, input, output, *, cache_read_tokens=0, cache_write_tokens=0) -> float USD
    Usage, usage_from_response(payload, provider=None) -> Usage | None
    usage_cost(model, usage) -> float USD;  usage_cost_units(model, usage) -> int units | None
    unpriced_models(), is_priced(model), resolve_model(model)
    configure_pricing(project_dir=None, ...), price_book()
    SessionCosts(price_book=None), SessionSnapshot, CostFigures

An unknown model never raises: estimate_cost returns 0.0 as the original spec says, and the name is
reported by unpriced_models() so that a GUI can say "unpriced" instead of showing a silent $0.00.

Everything here prices with one default book, built by configure_pricing() (or on first use). The app does
not use that default: it builds its PriceBook with pricing.config.load_price_book and passes it explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .pricing import session_costs
from .pricing.book import PriceBook, Resolution, normalize_model_name
from .pricing.config import load_price_book, project_pricing_file, user_pricing_file
from .pricing.money import UNITS_PER_USD, PriceError, format_usd, format_usd_auto, units_to_decimal
from .pricing.overrides import PricingConfigError
from .pricing.prices import ModelPrice, PriceTier
from .pricing.session_costs import CostFigures, SessionSnapshot
from .pricing.table import BUILTIN_PRICES
from .pricing.usage import Usage, UsageError, usage_from_response

__all__ = [
 "MODEL_PRICING",
 "UNITS_PER_USD",
 "CostFigures",
 "ModelPrice",
 "PriceBook",
 "PriceError",
 "PriceTier",
 "PricingConfigError",
 "Resolution",
 "SessionCosts",
 "SessionSnapshot",
 "Usage",
 "UsageError",
 "configure_pricing",
 "estimate_cost",
 "format_usd",
 "format_usd_auto",
 "is_priced",
 "normalize_model_name",
 "price_book",
 "project_pricing_file",
 "resolve_model",
 "units_to_decimal",
 "unpriced_models",
 "usage_cost",
 "usage_cost_units",
 "usage_from_response",
 "user_pricing_file",
]

MODEL_PRICING: Mapping[str, ModelPrice] = BUILTIN_PRICES

_configure_lock = threading.Lock()
_book: PriceBook | None = None
_prices: dict[str, ModelPrice | None] = {}


def configure_pricing(project_dir: Path | str | None = None, **options: Any) -> PriceBook:
 """Build the default price book that this module's functions use. Takes what
 `pricing.config.load_price_book` takes (`user_file`, `env`, `use_dataset`, `fallback_model`): built-in table
 and dataset, then the user file, the project file and the environment, in rising precedence. Everything is
 validated first; on any error PricingConfigError is raised and the prices stay as they were."""
 global _book, _prices
 book = load_price_book(project_dir, **options)
 with _configure_lock:
  _book = book
  _prices = book.prices
 return book


def price_book() -> PriceBook:
 """The active price book (configured with defaults on first use)."""
 book = _book
 if book is None:
  with _configure_lock:
   book = _book
  if book is None:
   book = configure_pricing()
 return book


class SessionCosts(session_costs.SessionCosts):
 """Session accumulators (see pricing.session_costs.SessionCosts) that price with this module's default
 book unless they are given one."""

 __slots__ = ()

 def __init__(self, price_book: PriceBook | None = None, session_id: str | None = None) -> None:
  super().__init__(price_book if price_book is not None else _default_book(), session_id)


def _default_book() -> PriceBook:
 # SessionCosts' parameter is named price_book, which hides the function of that name in its __init__.
 return price_book()


def _price(model: str) -> ModelPrice | None:
 try:
  return _prices[model]
 except KeyError:
  return price_book().price(model)


def estimate_cost(
 model: str,
 input_tokens: int,
 output_tokens: int,
 *,
 cache_read_tokens: int = 0,
 cache_write_tokens: int = 0,
) -> float:
 """Cost in USD of one call. `input_tokens` is the whole prompt, cache reads and writes included.
 Unknown models cost 0.0 and are reported by unpriced_models(). Bad counts raise UsageError."""
 try:
  price = _prices[model]
 except KeyError:
  price = price_book().price(model)
 if (
  type(input_tokens) is not int
  or type(output_tokens) is not int
  or type(cache_read_tokens) is not int
  or type(cache_write_tokens) is not int
  or input_tokens < 0
  or output_tokens < 0
  or cache_read_tokens < 0
  or cache_write_tokens < 0
  or cache_read_tokens + cache_write_tokens > input_tokens
 ):
  checked = Usage(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
  input_tokens, output_tokens = checked.input_tokens, checked.output_tokens
  cache_read_tokens, cache_write_tokens = checked.cache_read_tokens, checked.cache_write_tokens
 if price is None:
  return 0.0
 i, o, cr, cw, _ = price.rates_for(input_tokens)
 units = (input_tokens - cache_read_tokens - cache_write_tokens) * i + cache_read_tokens * cr
 return (units + cache_write_tokens * cw + output_tokens * o) / UNITS_PER_USD


def usage_cost_units(model: str, usage: Usage) -> int | None:
 """Exact cost of one call in units (10^-15 USD), or None when the model is unpriced."""
 price = _price(model)
 return None if price is None else price.cost_units(usage)


def usage_cost(model: str, usage: Usage) -> float:
 """Full-fidelity cost in USD of one call: cache reads, 5m and 1h writes, long-context tiers.
 Unknown models cost 0.0 and are reported by unpriced_models()."""
 price = _price(model)
 return 0.0 if price is None else price.cost_units(usage) / UNITS_PER_USD


def unpriced_models() -> frozenset[str]:
 """Model names looked up so far that have no price."""
 return price_book().unpriced_models()


def is_priced(model: str) -> bool:
 """Whether `model` resolves to a price."""
 return _price(model) is not None


def resolve_model(model: str) -> Resolution | None:
 """How `model` is priced (matched key, rule, price and its source), or None."""
 return price_book().resolve(model)
