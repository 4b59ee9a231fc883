"""The cost engine's public API: prices, usage normalization, exact cost, and session accumulators.

Pure Python, no GUI imports. Scripts outside the package can rely on these names:

    MODEL_PRICING                      built-in list prices (model -> ModelPrice, USD per 1M tokens)
    estimate_cost(model, input, output, *, cache_read_tokens=0, cache_write_tokens=0) -> float USD
    Usage, usage_from_response(payload, provider=None) -> Usage | None
    usage_cost(model, usage) -> float USD;  usage_cost_units(model, usage) -> int units | None
    response_cost(payload, provider=None, model=None) -> float USD billed for one reply
    response_cost_lines(payload, provider=None, model=None) -> [CostLine, ...] it is made of
    read_reply(payload, provider=None) -> Reply | None (usage plus tool calls, tiers, modalities, ...)
    unpriced_models(), is_priced(model), resolve_model(model)
    configure_pricing(project_dir=None, ...), price_book()
    SessionCosts(price_book=None), SessionSnapshot, CostFigures

An unknown model never raises: estimate_cost returns 0.0 as the original spec says, and the name is
reported by unpriced_models() so that a GUI can say "unpriced" instead of showing a silent $0.00.

Everything here prices with one default book, built by configure_pricing() (or on first use). The app does
not use that default: it builds its PriceBook with pricing.config.load_price_book and passes it explicitly.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .pricing import session_costs
from .pricing.book import PriceBook, Resolution, normalize_model_name
from .pricing.config import load_price_book, project_pricing_file, user_pricing_file
from .pricing.lines import CostLine, lines_units, reply_cost_lines
from .pricing.money import UNITS_PER_USD, PriceError, format_usd, format_usd_auto, units_to_decimal
from .pricing.overrides import PricingConfigError
from .pricing.prices import ModelPrice, PriceTier
from .pricing.reply import Reply, read_reply
from .pricing.session_costs import CostFigures, SessionSnapshot
from .pricing.table import BUILTIN_PRICES
from .pricing.usage import MAX_CALL_TOKENS, Usage, UsageError, usage_from_response

__all__ = [
 "MODEL_PRICING",
 "UNITS_PER_USD",
 "CostFigures",
 "CostLine",
 "ModelPrice",
 "PriceBook",
 "PriceError",
 "PriceTier",
 "PricingConfigError",
 "Reply",
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
 "read_reply",
 "resolve_model",
 "response_cost",
 "response_cost_lines",
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
# model -> (input, output, cache read, cache write units per token, prompt length up to which they apply): the
# prices estimate_cost has seen, of the active book, so that a steady-state call is one dict hit and arithmetic.
_fast_rates: dict[str, tuple[int, int, int, int, int]] = {}


def configure_pricing(project_dir: Path | str | None = None, **options: Any) -> PriceBook:
 """Build the default price book that this module's functions use. Takes what
 `pricing.config.load_price_book` takes (`user_file`, `env`, `use_dataset`, `fallback_model`): built-in table
 and dataset, then the user file, the project file and the environment, in rising precedence. Everything is
 validated first; on any error PricingConfigError is raised and the prices stay as they were."""
 global _book, _prices, _fast_rates
 book = load_price_book(project_dir, **options)
 with _configure_lock:
  _book = book
  _prices = book.prices
  _fast_rates = {}
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
  i, o, cr, cw, below = _fast_rates[model]
 except KeyError:
  return _estimate_cost(model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
 # int counts (not bool, not float), none negative, prompt not above the first long-context tier: the rates
 # remembered apply. Anything else takes the full path, which validates and prices exactly as before.
 if (
  type(input_tokens) is int is type(output_tokens) is type(cache_read_tokens) is type(cache_write_tokens)
  and 0 <= output_tokens <= MAX_CALL_TOKENS
  and 0 <= input_tokens <= below
 ):
  if not (cache_read_tokens or cache_write_tokens):
   return (input_tokens * i + output_tokens * o) / UNITS_PER_USD
  if cache_read_tokens >= 0 and cache_write_tokens >= 0 and cache_read_tokens + cache_write_tokens <= input_tokens:
   units = (input_tokens - cache_read_tokens - cache_write_tokens) * i + cache_read_tokens * cr
   return (units + cache_write_tokens * cw + output_tokens * o) / UNITS_PER_USD
 return _estimate_cost(model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)


def _estimate_cost(
 model: str, input_tokens: int, output_tokens: int, cache_read_tokens: int, cache_write_tokens: int
) -> float:
 book = price_book()
 price = book.price(model)
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
  or input_tokens > MAX_CALL_TOKENS
  or output_tokens > MAX_CALL_TOKENS
 ):
  checked = Usage.from_dict(
   {
    "input_tokens": input_tokens,
    "output_tokens": output_tokens,
    "cache_read_tokens": cache_read_tokens,
    "cache_write_tokens": cache_write_tokens,
   },
   "estimate_cost",
  )
  input_tokens, output_tokens = checked.input_tokens, checked.output_tokens
  cache_read_tokens, cache_write_tokens = checked.cache_read_tokens, checked.cache_write_tokens
 if price is None:
  return 0.0
 if model not in _fast_rates:
  _remember_rates(book, model, price)
 i, o, cr, cw, _ = price.rates_for(input_tokens)
 units = (input_tokens - cache_read_tokens - cache_write_tokens) * i + cache_read_tokens * cr
 return (units + cache_write_tokens * cw + output_tokens * o) / UNITS_PER_USD


def _remember_rates(book: PriceBook, model: str, price: ModelPrice) -> None:
 i, o, cr, cw, _ = price.rates_for(0)
 # Prompts above the first long-context tier, or above what one call can hold, take the full path.
 below = min(price.tiers[0].above_input_tokens if price.tiers else sys.maxsize, MAX_CALL_TOKENS)
 with _configure_lock:
  if book is _book:  # not a book that configure_pricing has replaced meanwhile
   _fast_rates[model] = (i, o, cr, cw, below)


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


def response_cost_lines(payload: Any, provider: str | None = None, model: str | None = None) -> list[CostLine]:
 """The itemized cost of one reply: a CostLine per billed dimension (tokens by kind and modality at the batch,
 service-tier and data-residency rates the reply reports, server-tool fees) at the prices in force when it was
 created; when the reply reports its own cost (a gateway's `usage.cost`), a last line brings the sum to it.
 `payload` is what `usage_from_response` takes, a batch output line included; the model is `model` or the one
 the payload names. [] when the reply carries no usage or its model is unpriced (then listed by
 unpriced_models()). Raises UsageError on bad counts or when no model is known."""
 reply = read_reply(payload, provider)
 if reply is None:
  return []
 return reply_cost_lines(price_book(), reply, model) or []


def response_cost(payload: Any, provider: str | None = None, model: str | None = None) -> float:
 """What one reply was billed, in USD (float): the sum of `response_cost_lines`; a provider-reported cost wins.
 0.0 when it carries no usage or its model is unpriced."""
 return (lines_units(response_cost_lines(payload, provider, model)) or 0) / UNITS_PER_USD
