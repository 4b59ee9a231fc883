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
# model -> _Rates: the prices estimate_cost and usage_cost have seen, of the active book, so that a steady-state call
# is one dict hit, a few checks and arithmetic.
_fast_rates: dict[str, _Rates] = {}
_UNITS_PER_USD = float(UNITS_PER_USD)


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
  rates = _fast_rates[model]
 except KeyError:
  return _estimate_cost(model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
 # Plain ints (not bools or floats), no cache parts (the very 0 objects of the defaults), none negative, the prompt
 # within the base rates and the cost within the exact range of a float (see _Rates). Anything else takes the
 # general path, which validates and prices exactly as before.
 if (
  type(input_tokens) is int
  and type(output_tokens) is int
  and cache_read_tokens is _ZERO
  and cache_write_tokens is _ZERO
  and 0 <= input_tokens <= rates.below
  and output_tokens >= 0
  and input_tokens + output_tokens <= rates.exact_tokens
 ):
  return (rates.input * input_tokens + rates.output * output_tokens) / _UNITS_PER_USD
 return _priced_estimate(rates.price, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)


_ZERO = 0


def _estimate_cost(
 model: str, input_tokens: int, output_tokens: int, cache_read_tokens: int, cache_write_tokens: int
) -> float:
 book = price_book()
 price = book.price(model)
 if price is None:
  _checked_counts(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
  return 0.0
 _remember_rates(book, model, price)
 return _priced_estimate(price, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)


def _priced_estimate(
 price: ModelPrice, input_tokens: int, output_tokens: int, cache_read_tokens: int, cache_write_tokens: int
) -> float:
 """estimate_cost at `price` with every check and integer arithmetic (cache parts, long prompts, any count)."""
 input_tokens, output_tokens, cache_read_tokens, cache_write_tokens = _checked_counts(
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens
 )
 i, o, cr, cw, _ = price.rates_for(input_tokens)
 units = (input_tokens - cache_read_tokens - cache_write_tokens) * i + cache_read_tokens * cr
 return (units + cache_write_tokens * cw + output_tokens * o) / UNITS_PER_USD


def _checked_counts(
 input_tokens: int, output_tokens: int, cache_read_tokens: int, cache_write_tokens: int
) -> tuple[int, int, int, int]:
 """The four counts as ints, or UsageError (bools, fractions, negatives, counts past MAX_CALL_TOKENS, cache parts
 beyond the prompt); whole floats are taken as the ints they are."""
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
  return checked.input_tokens, checked.output_tokens, checked.cache_read_tokens, checked.cache_write_tokens
 return input_tokens, output_tokens, cache_read_tokens, cache_write_tokens


def _remember_rates(book: PriceBook, model: str, price: ModelPrice) -> None:
 rates = _Rates.of(price)
 with _configure_lock:
  if book is _book:  # not a book that configure_pricing has replaced meanwhile
   _fast_rates[model] = rates


def usage_cost_units(model: str, usage: Usage) -> int | None:
 """Exact cost of one call in units (10^-15 USD), or None when the model is unpriced."""
 price = _price(model)
 return None if price is None else price.cost_units(usage)


def usage_cost(model: str, usage: Usage) -> float:
 """Full-fidelity cost in USD of one call: cache reads, 5m and 1h writes, long-context tiers.
 Unknown models cost 0.0 and are reported by unpriced_models()."""
 try:
  rates = _fast_rates[model]
 except KeyError:
  return _usage_cost(model, usage)
 prompt, output = usage.input_tokens, usage.output_tokens
 if prompt <= rates.below and prompt + output <= rates.exact_tokens:
  read, write, write_1h = usage.cache_read_tokens, usage.cache_write_tokens, usage.cache_write_1h_tokens
  # float * int: the float's multiplication takes the int at once (int * float asks the int first, in vain)
  units = rates.input * (prompt - read - write) + rates.cache_read * read + rates.output * output
  return (units + rates.cache_write * (write - write_1h) + rates.cache_write_1h * write_1h) / _UNITS_PER_USD
 return rates.price.cost_units(usage) / UNITS_PER_USD


def _usage_cost(model: str, usage: Usage) -> float:
 book = price_book()
 price = book.price(model)
 if price is None:
  return 0.0
 _remember_rates(book, model, price)
 return price.cost_units(usage) / UNITS_PER_USD


# Integers up to 2**53 are exact in a float, and so are sums and products of them that stay within it.
_EXACT_IN_FLOAT = 2**53


class _Rates:
 """A model's base rates (units per token) as floats, for the steady state of estimate_cost and usage_cost.

 A call whose prompt is within the base rates (`below`: up to the first long-context tier) and whose tokens add
 up to at most `exact_tokens` costs at most 2**53 units (~$9) at the dearest of the rates, so every product and
 sum of its cost is an integer that a float holds exactly: the float arithmetic gives the very integer the exact
 integer arithmetic gives, and dividing it by UNITS_PER_USD rounds once, as int / int does (tests/pricing/
 test_estimate_cost_steady_state.py checks both against the integer path). Other calls take the integer path.
 """

 __slots__ = ("below", "cache_read", "cache_write", "cache_write_1h", "exact_tokens", "input", "output", "price")

 def __init__(self, price: ModelPrice, rates: tuple[int, int, int, int, int], below: int) -> None:
  self.price = price
  self.input, self.output, self.cache_read, self.cache_write, self.cache_write_1h = map(float, rates)
  self.below = min(below, MAX_CALL_TOKENS)
  self.exact_tokens = min(_EXACT_IN_FLOAT // max(*rates, 1), MAX_CALL_TOKENS)

 @classmethod
 def of(cls, price: ModelPrice) -> _Rates:
  """The steady-state rates of `price`."""
  below = price.tiers[0].above_input_tokens if price.tiers else MAX_CALL_TOKENS
  return cls(price, price.rates_for(0), below)


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
