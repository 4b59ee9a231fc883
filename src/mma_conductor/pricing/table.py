"""Built-in list prices (USD per 1M tokens) of the models the conductor is configured with by default.

Each entry names the provider's pricing page it comes from and the date it was last checked. Models not
listed here are priced from the genai-prices dataset (see dataset.py); users override either in TOML
or environment variables (see overrides.py). tests/pricing/test_table.py cross-checks these entries
against the dataset so that a drift between the two is noticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from types import MappingProxyType

from .prices import ModelPrice, PriceTier

GEMINI_PAGE = "https://ai.google.dev/gemini-api/docs/pricing"
ANTHROPIC_PAGE = "https://docs.claude.com/en/docs/about-claude/pricing"
OPENAI_PAGE = "https://platform.openai.com/docs/pricing"
DEEPSEEK_PAGE = "https://api-docs.deepseek.com/quick_start/pricing"
CHECKED = "2026-11-22"
DEEPSEEK_CHECKED = "2025-09-05"

LONG_CONTEXT = 200_000


def _d(value: str | None) -> Decimal | None:
 return None if value is None else Decimal(value)


def _price(
 provider: str,
 source: str,
 as_of: str,
 input_: str,
 output: str,
 cache_read: str | None = None,
 cache_write: str | None = None,
 cache_write_1h: str | None = None,
 long: tuple[str, str, str | None, str | None, str | None] | None = None,
) -> ModelPrice:
 tiers = ()
 if long is not None:
  tiers = (PriceTier(LONG_CONTEXT, *(_d(v) for v in long)),)
 return ModelPrice(
  input=Decimal(input_),
  output=Decimal(output),
  cache_read=_d(cache_read),
  cache_write=_d(cache_write),
  cache_write_1h=_d(cache_write_1h),
  tiers=tiers,
  provider=provider,
  source=source,
  as_of=as_of,
  origin="builtin",
 )


def _gemini(*args, **kwargs) -> ModelPrice:
 return _price("gemini", GEMINI_PAGE, CHECKED, *args, **kwargs)


def _claude(input_: str, output: str, long: bool = False, cache: tuple[str, str] | None = None) -> ModelPrice:
 # Anthropic: cache read 0.1x input, 5-minute write 1.25x, 1-hour write 2x; long context doubles input.
 i, o = Decimal(input_), Decimal(output)
 read, write = (Decimal(cache[0]), Decimal(cache[1])) if cache else (i / 10, i * Decimal("1.25"))
 rates = (i, o, read, write, i * 2)
 tier = None
 if long:
  li, lo = i * 2, o * Decimal("1.5")
  tier = tuple(str(v) for v in (li, lo, li / 10, li * Decimal("1.25"), li * 2))
 return _price("anthropic", ANTHROPIC_PAGE, CHECKED, *(str(v) for v in rates), long=tier)


def _openai(*args, **kwargs) -> ModelPrice:
 return _price("openai", OPENAI_PAGE, CHECKED, *args, **kwargs)


def _deepseek(*args, **kwargs) -> ModelPrice:
 return _price("deepseek", DEEPSEEK_PAGE, DEEPSEEK_CHECKED, *args, **kwargs)


BUILTIN_PRICES: MappingProxyType[str, ModelPrice] = MappingProxyType(
 {
  # Gemini: cache writes (implicit caching) cost the input rate; thinking is billed as output.
  "gemini-2.0-flash": _gemini("0.10", "0.40", "0.025"),
  "gemini-2.0-flash-lite": _gemini("0.075", "0.30"),
  "gemini-2.5-flash": _gemini("0.30", "2.50", "0.03"),
  "gemini-2.5-flash-lite": _gemini("0.10", "0.40", "0.01"),
  "gemini-2.5-pro": _gemini("1.25", "10", "0.125", long=("2.50", "15", "0.25", None, None)),
  "gemini-3-flash-preview": _gemini("0.50", "3", "0.05"),
  "gemini-3-pro-preview": _gemini("2", "12", "0.20", long=("4", "18", "0.40", None, None)),
  "gemini-3.1-flash-lite": _gemini("0.25", "1.50", "0.025"),
  "gemini-3.1-pro-preview": _gemini("2", "12", "0.20", long=("4", "18", "0.40", None, None)),
  # Image-output models: text output at the first rate; image output tokens at theirs (charges.MODALITY_RATES).
  "gemini-2.5-flash-image": _gemini("0.30", "2.50"),
  "gemini-3-pro-image-preview": _gemini("2", "12"),
  # Anthropic
  "claude-3-haiku": _claude("0.25", "1.25", cache=("0.03", "0.30")),
  "claude-3-opus": _claude("15", "75"),
  "claude-3-5-haiku": _claude("0.80", "4"),
  "claude-3-5-sonnet": _claude("3", "15"),
  "claude-3-7-sonnet": _claude("3", "15"),
  "claude-haiku-4-5": _claude("1", "5"),
  "claude-sonnet-4": _claude("3", "15", long=True),
  "claude-sonnet-4-5": _claude("3", "15", long=True),
  "claude-sonnet-4-6": _claude("3", "15"),
  "claude-opus-4": _claude("15", "75"),
  "claude-opus-4-1": _claude("15", "75"),
  "claude-opus-4-5": _claude("5", "25"),
  "claude-opus-4-6": _claude("5", "25"),
  # DeepSeek: cache hit rate as cache_read; a cache miss is the input rate.
  "deepseek-chat": _deepseek("0.28", "0.42", "0.028"),
  "deepseek-reasoner": _deepseek("0.28", "0.42", "0.028"),
  # OpenAI: cached input at its own rate; cache writes are free beyond the input rate.
  "gpt-4o": _openai("2.50", "10", "1.25"),
  "gpt-4o-mini": _openai("0.15", "0.60", "0.075"),
  "gpt-4.1": _openai("2", "8", "0.50"),
  "gpt-4.1-mini": _openai("0.40", "1.60", "0.10"),
  "gpt-4.1-nano": _openai("0.10", "0.40", "0.025"),
  "gpt-5": _openai("1.25", "10", "0.125"),
  "gpt-5-mini": _openai("0.25", "2", "0.025"),
  "gpt-5-nano": _openai("0.05", "0.40", "0.005"),
  "gpt-5.1": _openai("1.25", "10", "0.125"),
  "gpt-5.2": _openai("1.75", "14", "0.175"),
  "o1": _openai("15", "60", "7.50"),
  "o1-mini": _openai("1.10", "4.40", "0.55"),
  "o1-pro": _openai("150", "600"),
  "o3": _openai("2", "8", "0.50"),
  "o3-mini": _openai("1.10", "4.40", "0.55"),
  "o3-pro": _openai("20", "80"),
  "o4-mini": _openai("1.10", "4.40", "0.275"),
  # Audio models: text rates here, audio token rates in charges.MODALITY_RATES.
  "gpt-4o-audio-preview": _openai("2.50", "10"),
  "gpt-4o-mini-audio-preview": _openai("0.15", "0.60"),
  "gpt-audio": _openai("2.50", "10"),
 }
)


@dataclass(frozen=True, slots=True)
class PastPrice:
 """A built-in price that was in force until `until` (UTC), with an optional daily off-peak window (UTC times,
 the window may wrap past midnight) at other rates."""

 until: datetime
 price: ModelPrice
 off_peak: tuple[time, time, ModelPrice] | None = None

 def at(self, when: datetime) -> ModelPrice:
  """The rates in force at `when` (inside this period)."""
  if self.off_peak is None:
   return self.price
  start, end, cheaper = self.off_peak
  clock = when.astimezone(UTC).timetz().replace(tzinfo=None)
  inside = start <= clock < end if start < end else clock >= start or clock < end
  return cheaper if inside else self.price


_DEEPSEEK_HISTORY_SOURCE = "https://api-docs.deepseek.com/quick_start/pricing (before 2025-09-05; genai-prices 0.2.x)"
# DeepSeek's off-peak discount (16:30-00:30 UTC) ran from 2025-02-26 16:30 UTC until the price change of 2025-09-05
# 16:00 UTC; a call is priced by the time its reply was created, so re-pricing history later gives the same figure.
_OFF_PEAK_FROM = datetime(2025, 2, 26, 16, 30, tzinfo=UTC)
_PRICE_CHANGE = datetime(2025, 9, 5, 16, 0, tzinfo=UTC)
_OFF_PEAK_HOURS = (time(16, 30), time(0, 30))


def _old_deepseek(input_: str, output: str, cache_read: str) -> ModelPrice:
 return _price("deepseek", _DEEPSEEK_HISTORY_SOURCE, "2025-09-04", input_, output, cache_read)


def _deepseek_history(standard: ModelPrice, off_peak: ModelPrice) -> tuple[PastPrice, ...]:
 return (PastPrice(_OFF_PEAK_FROM, standard), PastPrice(_PRICE_CHANGE, standard, (*_OFF_PEAK_HOURS, off_peak)))


PRICE_HISTORY: MappingProxyType[str, tuple[PastPrice, ...]] = MappingProxyType(
 {
  "deepseek-chat": _deepseek_history(_old_deepseek("0.27", "1.10", "0.07"), _old_deepseek("0.135", "0.55", "0.035")),
  "deepseek-reasoner": _deepseek_history(
   _old_deepseek("0.55", "2.19", "0.14"), _old_deepseek("0.135", "0.55", "0.035")
  ),
 }
)


def price_in_force(key: str, when: datetime) -> ModelPrice | None:
 """The built-in price of table key `key` at `when` when it differed then from today's, else None."""
 for past in PRICE_HISTORY.get(key, ()):
  if when < past.until:
   return past.at(when)
 return None
