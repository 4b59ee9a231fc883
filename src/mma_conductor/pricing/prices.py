"""One model's prices, with where they came from, and the exact cost of a usage at those prices."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal

from .money import PriceError, rate_units
from .usage import Usage

PRICE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
PROVIDERS = ("gemini", "anthropic", "deepseek", "openai")
PROVIDER_LABELS = {"gemini": "Gemini", "anthropic": "Anthropic", "deepseek": "DeepSeek", "openai": "OpenAI"}


@dataclass(frozen=True, slots=True)
class PriceTier:
 """Rates (USD per 1M tokens) that apply to the WHOLE request once its prompt exceeds `above_input_tokens`."""

 above_input_tokens: int
 input: Decimal
 output: Decimal
 cache_read: Decimal | None = None
 cache_write: Decimal | None = None
 cache_write_1h: Decimal | None = None


@dataclass(frozen=True)
class ModelPrice:
 """Prices of one model in USD per 1M tokens, and their provenance.

 `cache_read`, `cache_write` (5-minute) and `cache_write_1h` default to the input rate when a provider
 does not bill them separately (OpenAI, Gemini and DeepSeek cache writes cost the plain input rate);
 `cache_write_1h` defaults to `cache_write`. Mapping access (`price["input"]`) works as in the original
 `MODEL_PRICING` dict.
 """

 input: Decimal
 output: Decimal
 cache_read: Decimal | None = None
 cache_write: Decimal | None = None
 cache_write_1h: Decimal | None = None
 tiers: tuple[PriceTier, ...] = ()
 provider: str = "other"
 source: str = ""
 as_of: str = ""
 origin: str = "builtin"
 _base_rates: tuple[int, int, int, int, int] = field(init=False, repr=False, compare=False)
 _first_threshold: int = field(init=False, repr=False, compare=False)
 _tier_rates: tuple[tuple[int, tuple[int, int, int, int, int]], ...] = field(init=False, repr=False, compare=False)

 def __post_init__(self) -> None:
  where = f"{self.origin}: {self.source or 'price'}"
  base = _rates(self.input, self.output, self.cache_read, self.cache_write, self.cache_write_1h, where)
  tiers = tuple(sorted(self.tiers, key=lambda t: t.above_input_tokens))
  tier_rates = []
  for tier in tiers:
   if type(tier.above_input_tokens) is not int or tier.above_input_tokens < 0:
    raise PriceError(f"{where}: tier threshold must be a non-negative integer, got {tier.above_input_tokens!r}")
   rates = _rates(tier.input, tier.output, tier.cache_read, tier.cache_write, tier.cache_write_1h, where)
   tier_rates.append((tier.above_input_tokens, rates))
  object.__setattr__(self, "tiers", tiers)
  object.__setattr__(self, "_base_rates", base)
  object.__setattr__(self, "_tier_rates", tuple(tier_rates))
  object.__setattr__(self, "_first_threshold", tier_rates[0][0] if tier_rates else sys.maxsize)

 def __getitem__(self, key: str) -> Decimal | None:
  if key in PRICE_FIELDS:
   return getattr(self, key)
  raise KeyError(key)

 def effective(self, name: str) -> Decimal:
  """The rate actually charged for `name` below any tier, with the defaults filled in."""
  if name == "cache_write_1h":
   return self.cache_write_1h if self.cache_write_1h is not None else self.effective("cache_write")
  value = getattr(self, name)
  return value if value is not None else self.input

 def rates_for(self, input_tokens: int) -> tuple[int, int, int, int, int]:
  """Integer units per token (input, output, cache read, 5m write, 1h write) for a prompt this long."""
  if input_tokens <= self._first_threshold:
   return self._base_rates
  rates = self._base_rates
  for threshold, tier_rates in self._tier_rates:
   if input_tokens > threshold:
    rates = tier_rates
  return rates

 def cost_units(self, usage: Usage) -> int:
  """Exact cost of `usage` in units (10^-15 USD)."""
  # rates_for's first test inline: most prompts are below every tier, and a call less counts on this path.
  prompt = usage.input_tokens
  i, o, cr, cw, cw1h = self._base_rates if prompt <= self._first_threshold else self.rates_for(prompt)
  read = usage.cache_read_tokens
  write = usage.cache_write_tokens
  write_1h = usage.cache_write_1h_tokens
  return (prompt - read - write) * i + read * cr + (write - write_1h) * cw + write_1h * cw1h + usage.output_tokens * o

 def as_dict(self) -> dict[str, object]:
  """Prices and provenance as plain JSON-friendly values (prices as strings, exact)."""
  out: dict[str, object] = {name: _str(getattr(self, name)) for name in PRICE_FIELDS}
  out["tiers"] = [
   {"above_input_tokens": t.above_input_tokens, **{n: _str(getattr(t, n)) for n in PRICE_FIELDS}} for t in self.tiers
  ]
  out.update(provider=self.provider, source=self.source, as_of=self.as_of, origin=self.origin)
  return out


def _str(value: Decimal | None) -> str | None:
 return None if value is None else format(value.normalize(), "f")


def _rates(
 input_: Decimal,
 output: Decimal,
 cache_read: Decimal | None,
 cache_write: Decimal | None,
 cache_write_1h: Decimal | None,
 where: str,
) -> tuple[int, int, int, int, int]:
 for label, value in (("input", input_), ("output", output)):
  if value is None:
   raise PriceError(f"{where}: {label} price is required")
 values = {"input": input_, "output": output, "cache_read": cache_read, "cache_write": cache_write}
 values["cache_write_1h"] = cache_write_1h
 for label, value in values.items():
  if value is not None and not isinstance(value, Decimal):
   raise PriceError(f"{where}: {label} price must be a non-negative Decimal, got {value!r}")
 i = rate_units(input_, f"{where} input")
 o = rate_units(output, f"{where} output")
 cr = rate_units(cache_read, f"{where} cache_read") if cache_read is not None else i
 cw = rate_units(cache_write, f"{where} cache_write") if cache_write is not None else i
 cw1h = rate_units(cache_write_1h, f"{where} cache_write_1h") if cache_write_1h is not None else cw
 return i, o, cr, cw, cw1h


def provider_of(model: str) -> str:
 """Best guess of a model's provider from its name, for models priced by override or fallback."""
 name = model.lower().rsplit("/", 1)[-1]
 if name.startswith(("gemini", "gemma")):
  return "gemini"
 if name.startswith("claude"):
  return "anthropic"
 if name.startswith("deepseek"):
  return "deepseek"
 if name.startswith(("gpt", "o1", "o3", "o4", "chatgpt", "codex", "text-embedding")):
  return "openai"
 return "other"
