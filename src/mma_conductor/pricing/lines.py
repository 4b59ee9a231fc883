"""The itemized cost of one reply: a line per billed dimension (tokens by kind and modality, server-tool fees, a
gateway's own figure), each with its quantity, rate and exact cost in units (10^-15 USD).

The lines of a reply always add up to what it was billed: when a gateway reports the cost (OpenRouter
`usage.cost`), a last `gateway_difference` line carries reported minus list price, so the list-price estimate
and the difference stay visible beside the billed figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from . import charges
from .book import PriceBook
from .line_items import PLAIN_ITEMS
from .money import UNITS_PER_TOKEN_PER_USD_PER_MTOK, UNITS_PER_USD, format_usd, rate_units, usd_to_units
from .prices import ModelPrice
from .reply import Reply, Step
from .usage import Usage, UsageError

PER_MTOK = "1M tokens"
PER_KREQ = "1K requests"
_UNITS_PER_REQUEST_PER_USD_PER_K = UNITS_PER_USD // 1000


@dataclass(frozen=True, slots=True)
class CostLine:
 """One billed dimension of one reply: `quantity` tokens (or requests) at `rate` USD per `per`, costing `units`."""

 item: str
 quantity: int
 rate: Decimal
 per: str
 units: int
 note: str = ""

 @property
 def usd(self) -> float:
  """The line's cost as float USD (the display edge)."""
  return self.units / UNITS_PER_USD

 def as_dict(self) -> dict[str, object]:
  """JSON-ready: the rate as an exact string, the cost as float USD and exact units."""
  rate = format(self.rate.normalize(), "f")
  out = {"item": self.item, "quantity": self.quantity, "rate": rate, "per": self.per}
  return {**out, "usd": self.usd, "units": self.units, "note": self.note}


def reply_cost_lines(book: PriceBook, reply: Reply, model: str | None = None) -> list[CostLine] | None:
 """The lines of `reply` priced as `model` (default: the model the reply names) with `book`, at the prices in
 force when the reply was created; None when the model is unpriced and the reply reports no cost of its own."""
 name = model or reply.model
 if not name:
  raise UsageError("response: the reply names no model; pass model=")
 lines = _list_lines(book, reply, name)
 if reply.reported_cost is None:
  return lines
 return [*(lines or ()), _gateway_line(lines or [], reply.reported_cost, lines is None)]


def tells_more(lines: list[CostLine] | tuple[CostLine, ...]) -> bool:
 """Whether `lines` say more than the call's six token counts at list price do."""
 return any(line.item not in PLAIN_ITEMS or line.note for line in lines)


def lines_units(lines: list[CostLine] | None) -> int | None:
 """The exact total of `lines` in units, None for an unpriced reply."""
 return None if lines is None else sum(line.units for line in lines)


def _list_lines(book: PriceBook, reply: Reply, name: str) -> list[CostLine] | None:
 steps = reply.steps or (Step("message", None, reply.usage),)
 lines: list[CostLine] = []
 for index, step in enumerate(steps):
  step_lines = _step_lines(book, reply, step, step.model or name, _step_note(reply, index, step))
  if step_lines is None:
   return None
  lines.extend(step_lines)
 fee = _fee_line(book, reply, name)
 return lines if fee is None else [*lines, fee]


def _step_note(reply: Reply, index: int, step: Step) -> str:
 return f"step {index + 1} ({step.kind})" if reply.steps else ""


def _step_lines(book: PriceBook, reply: Reply, step: Step, name: str, note: str) -> list[CostLine] | None:
 resolution = book.resolve(name)
 price = book.price_at(name, reply.created)
 if resolution is None or price is None:
  return None
 key, provider = resolution.matched, price.provider
 priority = charges.priority_price(provider, key, reply.service_tier)
 factor, tier_note = charges.tier_multiplier(provider, reply.batch, reply.service_tier, reply.inference_geo)
 if priority is not None:
  price, tier_note = priority, "priority"
 modalities = reply.modalities if not reply.steps else {}
 notes = ", ".join(filter(None, (note, tier_note)))
 return _token_lines(price, (key, resolution.rule == "dataset"), step.usage, modalities, factor, notes)


# (item, index of its text rate in ModelPrice.rates_for: input, output, cache read, 5m write, 1h write)
_TOKEN_ITEMS = (
 ("input", 0),
 ("input_audio", 0),
 ("input_image", 0),
 ("input_video", 0),
 ("cache_read", 2),
 ("cache_read_audio", 2),
 ("cache_write_5m", 3),
 ("cache_write_1h", 4),
 ("output", 1),
 ("output_audio", 1),
 ("output_image", 1),
)


def _token_lines(
 price: ModelPrice, key: tuple[str, bool], usage: Usage, modalities: Mapping[str, int], factor: Decimal, note: str
) -> list[CostLine]:
 quantities = _quantities(usage, modalities)
 rates = price.rates_for(usage.input_tokens)
 lines = []
 for item, rate_index in _TOKEN_ITEMS:
  quantity = quantities.get(item, 0)
  if quantity:
   units_per_token = _modality_units(key, item, rates[rate_index])
   lines.append(_line(item, quantity, units_per_token, factor, note))
 return lines


def _quantities(usage: Usage, modalities: Mapping[str, int]) -> dict[str, int]:
 """Tokens per item; the modality counts are taken out of the text counts they are part of."""
 quantities = {
  "input": usage.uncached_input_tokens,
  "cache_read": usage.cache_read_tokens,
  "cache_write_5m": usage.cache_write_tokens - usage.cache_write_1h_tokens,
  "cache_write_1h": usage.cache_write_1h_tokens,
  "output": usage.output_tokens,
 }
 for item, count in modalities.items():
  whole = item.rsplit("_", 1)[0]
  quantities[item] = count
  quantities[whole] -= count
  if quantities[whole] < 0:
   raise UsageError(
    f"response: {item.replace('_', ' ')} tokens {count} exceed the reply's {whole.replace('_', ' ')} tokens"
   )
 return quantities


def _modality_units(key: tuple[str, bool], item: str, text_units: int) -> int:
 if item in PLAIN_ITEMS:
  return text_units
 rate = charges.modality_rate(key[0], item, key[1])
 return text_units if rate is None else rate_units(rate, f"{key[0]} {item}")


def _line(item: str, quantity: int, units_per_token: int, factor: Decimal, note: str) -> CostLine:
 exact = units_per_token * factor
 units = quantity * units_per_token if factor == 1 else int((quantity * exact).to_integral_value(ROUND_HALF_EVEN))
 rate = Decimal(exact) / UNITS_PER_TOKEN_PER_USD_PER_MTOK
 return CostLine(item, quantity, rate, PER_MTOK, units, note)


def _fee_line(book: PriceBook, reply: Reply, name: str) -> CostLine | None:
 resolution = book.resolve(name)
 if resolution is None:
  return None
 fee = charges.tool_fee(
  resolution.price.provider, resolution.matched, reply.web_searches, reply.web_search_tool, reply.grounded_prompts
 )
 if fee is None:
  return None
 item, requests, rate, source = fee
 return CostLine(item, requests, rate, PER_KREQ, int(requests * rate * _UNITS_PER_REQUEST_PER_USD_PER_K), source)


def _gateway_line(lines: list[CostLine], reported: Decimal, unpriced: bool) -> CostLine:
 billed = usd_to_units(reported)
 listed = sum(line.units for line in lines)
 estimate = "model unpriced" if unpriced else f"list price {format_usd(listed, 6)}"
 note = f"billed by the gateway {format_usd(billed, 6)}; {estimate}"
 return CostLine("gateway_difference", 1, Decimal(billed - listed) / UNITS_PER_USD, "call", billed - listed, note)
