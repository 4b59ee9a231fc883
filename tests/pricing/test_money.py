import random
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from mma_conductor.pricing.money import (
 UNITS_PER_USD,
 PriceError,
 format_usd,
 format_usd_auto,
 parse_price,
 rate_units,
 units_to_decimal,
 usd_to_units,
)


def test_parse_price_accepts_numbers_and_keeps_decimal_text():
 assert parse_price(0.1, "x") == Decimal("0.1")
 assert parse_price("2.50", "x") == Decimal("2.50")
 assert parse_price(3, "x") == Decimal(3)
 assert parse_price(Decimal("0.075"), "x") == Decimal("0.075")


@pytest.mark.parametrize(
 ("value", "fragment"),
 [
  (-1, "must not be negative"),
  (float("nan"), "finite"),
  (float("inf"), "finite"),
  ("abc", "must be a number"),
  (True, "boolean"),
  (None, "must be a number"),
  ([1], "must be a number"),
  ("NaN", "finite"),
 ],
)
def test_parse_price_rejects_bad_values_naming_where(value, fragment):
 with pytest.raises(PriceError) as info:
  parse_price(value, "pricing.toml: models.x.input")
 assert "pricing.toml: models.x.input" in str(info.value)
 assert fragment in str(info.value)


def test_rate_units_is_exact_to_nine_decimals_and_refuses_finer():
 assert rate_units(Decimal("2.5")) == 2_500_000_000
 assert rate_units(Decimal("0.000000001")) == 1
 with pytest.raises(PriceError, match="nine decimals"):
  rate_units(Decimal("0.0000000001"))


def test_units_round_trip_and_formatting():
 units = usd_to_units("1234.56789")
 assert units == 1234_567_890_000_000_000
 assert units_to_decimal(units) == Decimal("1234.56789")
 assert format_usd(units, 2) == "$1,234.57"
 assert format_usd(units, 4) == "$1,234.5679"
 assert format_usd(-units, 2) == "-$1,234.57"
 assert format_usd_auto(0) == "$0.00"
 assert format_usd_auto(UNITS_PER_USD * 3) == "$3.00"
 assert format_usd_auto(UNITS_PER_USD // 20) == "$0.0500"
 assert format_usd_auto(usd_to_units("0.000123")) == "$0.0001"
 assert format_usd_auto(usd_to_units("0.0000123")) == "$0.000012"


def test_format_rounds_half_even_without_float_error():
 # 0.125 and 0.135 are not exact binary floats; exact units round as a person would expect (banker's).
 assert format_usd(usd_to_units("0.125"), 2) == "$0.12"
 assert format_usd(usd_to_units("0.135"), 2) == "$0.14"


@pytest.mark.parametrize("value", [Decimal("1e999999"), Decimal("1e20"), Decimal("1000000.5")])
def test_model_price_above_the_ceiling_is_a_price_error_not_a_decimal_overflow(value):
 from mma_conductor.pricing.prices import ModelPrice

 with pytest.raises(PriceError, match="ceiling"):
  ModelPrice(input=Decimal(1), output=value)
 with pytest.raises(PriceError, match="ceiling"):
  rate_units(value, "output")
 with pytest.raises(PriceError, match=r"^models\.x\.output: .*ceiling"):
  parse_price(value, "models.x.output")


def decimal_format_usd(units: int, places: int) -> str:
 """format_usd as Decimal's quantize and format say it (its implementation until the GUI needed it faster)."""
 amount = units_to_decimal(units).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
 return f"{'-' if amount < 0 else ''}${abs(amount):,.{places}f}"


def test_format_usd_rounds_and_groups_exactly_as_decimal_does():
 rng = random.Random(11)
 halfway = [5 * 10**k for k in range(16)] + [15 * 10**k for k in range(15)] + [25 * 10**k for k in range(15)]
 edges = [0, 1, 10**15 - 1, 10**15, 999_999_999_999_999_999_999, 2**64, *halfway]
 draws = [rng.randrange(10 ** rng.randrange(1, 25)) for _ in range(3000)]
 for units in edges + draws:
  for places in (0, 2, 4, 6, 9, 15, 17):
   for signed in (units, -units):
    assert format_usd(signed, places) == decimal_format_usd(signed, places), (signed, places)
