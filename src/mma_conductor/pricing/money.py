"""Exact money: integer cost units inside, floats only at the edges.

A cost unit is 10^-15 USD (a femto-dollar). A price of P dollars per million tokens is P * 10^9 units per
token, so any price written with up to nine decimals per million tokens is an exact integer rate, and every
cost is an exact integer. Sums of integers do not depend on order or thread, which is the whole point.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import singledispatch

UNITS_PER_USD = 10**15
_UNIT_PLACES = 15  # decimal places of a unit: UNITS_PER_USD == 10**_UNIT_PLACES
UNITS_PER_TOKEN_PER_USD_PER_MTOK = 10**9
# The dearest price accepted: $1 a token, ~1,700x the dearest list price today (o1-pro output, $600 per 1M).
# Above it a price is a typo (1e20) and its costs overflow what the ledger stores (a call under ~$1.2 billion).
MAX_PRICE_PER_MTOK = Decimal(1_000_000)


class PriceError(ValueError):
 """A price that cannot be used: negative, not a number, above the ceiling, or finer than the unit allows."""


def parse_price(value: object, where: str) -> Decimal:
 """Return `value` (USD per 1M tokens) as a Decimal, or raise PriceError naming `where`.

 Accepts int, float, Decimal or a numeric string from 0 to MAX_PRICE_PER_MTOK. Floats go through their
 shortest repr, so a TOML `0.1` becomes Decimal("0.1"), not the binary approximation.
 """
 price = _as_decimal(value, where)
 check_price_bounds(price, where, value)
 return price


def check_price_bounds(price: Decimal, where: str, given: object = None) -> None:
 """Raise PriceError naming `where` unless `price` is a finite number from 0 to MAX_PRICE_PER_MTOK."""
 shown = price if given is None else given
 if not price.is_finite():
  raise PriceError(f"{where}: price must be a finite number, got {shown!r}")
 if price < 0:
  raise PriceError(f"{where}: price must not be negative, got {shown!r}")
 if price > MAX_PRICE_PER_MTOK:
  raise PriceError(f"{where}: price {shown!r} is above the ceiling of $1,000,000 per 1M tokens")


@singledispatch
def _as_decimal(value: object, where: str) -> Decimal:
 raise PriceError(f"{where}: price must be a number, got {type(value).__name__} {value!r}")


@_as_decimal.register(bool)
def _boolean_price(value: bool, where: str) -> Decimal:
 raise PriceError(f"{where}: expected a number of USD per 1M tokens, got a boolean ({value!r})")


@_as_decimal.register(Decimal)
def _decimal_price(value: Decimal, where: str) -> Decimal:
 return value


@_as_decimal.register(int)
def _int_price(value: int, where: str) -> Decimal:
 return Decimal(value)


@_as_decimal.register(float)
def _float_price(value: float, where: str) -> Decimal:
 if not math.isfinite(value):
  raise PriceError(f"{where}: price must be a finite number, got {value!r}")
 return Decimal(repr(value))


@_as_decimal.register(str)
def _string_price(value: str, where: str) -> Decimal:
 try:
  return Decimal(value.strip())
 except InvalidOperation:
  raise PriceError(f"{where}: price must be a number, got {value!r}") from None


def rate_units(price_per_mtok: Decimal, where: str = "price") -> int:
 """Convert USD per 1M tokens to integer cost units per token; raise if it is out of bounds or finer than
 1e-9 $/M."""
 check_price_bounds(price_per_mtok, where)
 scaled = price_per_mtok * UNITS_PER_TOKEN_PER_USD_PER_MTOK
 integral = scaled.to_integral_value()
 if scaled != integral:
  raise PriceError(f"{where}: {price_per_mtok} USD per 1M tokens has more than nine decimals")
 return int(integral)


def units_to_usd(units: int) -> float:
 """The float edge: units as USD for display and APIs that want a float."""
 return units / UNITS_PER_USD


def units_to_decimal(units: int) -> Decimal:
 """Units as an exact Decimal number of USD."""
 return Decimal(units).scaleb(-15)


def usd_to_units(usd: Decimal | int | str) -> int:
 """Exact USD (Decimal, int or numeric string) to units, rounding half-even below 1e-15 USD."""
 amount = Decimal(usd) if not isinstance(usd, Decimal) else usd
 return int((amount * UNITS_PER_USD).to_integral_value(ROUND_HALF_EVEN))


def format_usd(units: int, places: int = 4) -> str:
 """Format units as `$1,234.5678`, rounded half-even to `places` decimals; exact, no float on the way.

 Integer arithmetic only (what Decimal's quantize and format did, at a third of the time: the GUI formats a
 row's cost for every call it shows); a negative amount that rounds to zero reads `$0.0000`, without a sign."""
 amount = _rounded(abs(units), places)
 sign = "-" if units < 0 and amount else ""
 if not places:
  return f"{sign}${amount:,}"
 whole, fraction = divmod(amount, 10**places)
 return f"{sign}${whole:,}.{fraction:0{places}d}"


def _rounded(units: int, places: int) -> int:
 """Non-negative `units` in steps of 10^-places USD, rounded half-even."""
 if places >= _UNIT_PLACES:
  return units * 10 ** (places - _UNIT_PLACES)
 step = 10 ** (_UNIT_PLACES - places)
 steps, rest = divmod(units, step)
 if 2 * rest > step or (2 * rest == step and steps % 2):
  steps += 1
 return steps


def format_usd_auto(units: int) -> str:
 """Format a cost for tables: cents from $1 up, four decimals below, six below $0.0001 so that a
 non-zero cost never reads as $0.0000."""
 if units == 0:
  return "$0.00"
 if abs(units) >= UNITS_PER_USD:
  return format_usd(units, 2)
 if abs(units) >= UNITS_PER_USD // 10_000:
  return format_usd(units, 4)
 return format_usd(units, 6)


def cost_label(units: int, calls: int, unpriced_calls: int) -> str:
 """A group's cost as people should read it: `$0.0123`; `unpriced` when no call had a price (never a
 silent $0.00); `$0.0123 + unpriced` when some calls had none."""
 if calls and unpriced_calls == calls:
  return "unpriced"
 label = format_usd_auto(units)
 return f"{label} + unpriced" if unpriced_calls else label
