"""Rates of what a reply is billed for beyond plain tokens: server-side tool fees, batch and service tiers, data
residency, and audio / image token rates. Each table names its source page; docs/cost_engine.md lists them all.

Rates are USD: per 1M tokens for tokens, per 1,000 requests for tool fees. Keys are built-in table keys
(`table.BUILTIN_PRICES`), which is what a model name resolves to.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

from .prices import ModelPrice
from .table import BUILTIN_PRICES, CHECKED, OPENAI_PAGE, PRICE_HISTORY

OPENAI_TOOLS_PAGE = "https://platform.openai.com/docs/pricing#built-in-tools"
GEMINI_GROUNDING_PAGE = "https://ai.google.dev/gemini-api/docs/pricing (Grounding with Google Search)"
ANTHROPIC_SEARCH_PAGE = "https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool"
VERTEX_FLEX_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/docs/flex-paygo"
ANTHROPIC_RESIDENCY_PAGE = "https://docs.claude.com/en/docs/build-with-claude/data-residency"

HALF = Decimal("0.5")

# Batch: OpenAI Batch API, Anthropic Message Batches and Gemini Batch Mode bill half the standard token rates.
BATCH_MULTIPLIER = HALF

# Service tiers a reply reports -> multiplier of the standard token rates. OpenAI flex is the Batch price of the
# models that offer it; Vertex Flex PayGo is 50% off; Anthropic's `service_tier: "batch"` is a batch item.
# "priority" is priced from OPENAI_PRIORITY (per model); other tiers ("standard", "default", "scale",
# "provisioned", Anthropic "priority" under a contract) are billed at the standard list rate here.
SERVICE_TIER_MULTIPLIERS = MappingProxyType({"flex": HALF, "batch": HALF})

# OpenAI Priority processing: (input, cached input, output) per 1M tokens, from the pricing page's Priority tab.
_OPENAI_PRIORITY_RATES = {
 "gpt-5": ("2.50", "0.25", "20"),
 "gpt-5.1": ("2.50", "0.25", "20"),
 "gpt-5.2": ("3.50", "0.35", "28"),
 "gpt-5-mini": ("0.45", "0.045", "3.60"),
 "gpt-4.1": ("3.50", "0.875", "14"),
 "gpt-4.1-mini": ("0.70", "0.175", "2.80"),
 "gpt-4.1-nano": ("0.20", "0.05", "0.80"),
 "gpt-4o": ("4.25", "2.125", "17"),
 "gpt-4o-mini": ("0.25", "0.125", "1"),
 "o3": ("3.50", "0.875", "14"),
 "o4-mini": ("2", "0.50", "8"),
}
OPENAI_PRIORITY: MappingProxyType[str, ModelPrice] = MappingProxyType(
 {
  key: ModelPrice(
   Decimal(i), Decimal(o), Decimal(c), provider="openai", source=f"{OPENAI_PAGE} (Priority)", as_of=CHECKED
  )
  for key, (i, c, o) in _OPENAI_PRIORITY_RATES.items()
 }
)

# Data residency: (provider, inference_geo) -> multiplier of every token rate. Anthropic bills US-only inference
# (`usage.inference_geo: "us"`, Claude Opus 4.6 and later) at 1.1x; "global" is the standard rate.
GEO_MULTIPLIERS = MappingProxyType({("anthropic", "us"): Decimal("1.1")})

# Audio / image token rates per 1M tokens where they differ from the text rate of the same direction; a modality
# not listed is billed at the text rate (Gemini image and video input; Gemini 2.5 Pro and 3 Pro audio).
MODALITY_RATES: MappingProxyType[str, MappingProxyType[str, Decimal]] = MappingProxyType(
 {
  key: MappingProxyType({item: Decimal(rate) for item, rate in rates.items()})
  for key, rates in {
   "gemini-2.0-flash": {"input_audio": "0.70", "cache_read_audio": "0.175"},
   "gemini-2.5-flash": {"input_audio": "1.00", "cache_read_audio": "0.10"},
   "gemini-2.5-flash-lite": {"input_audio": "0.30", "cache_read_audio": "0.03"},
   "gemini-3-flash-preview": {"input_audio": "1.00", "cache_read_audio": "0.10"},
   "gemini-2.5-flash-image": {"output_image": "30"},
   "gemini-3-pro-image-preview": {"output_image": "120"},
   "gpt-4o-audio-preview": {"input_audio": "40", "output_audio": "80"},
   "gpt-4o-mini-audio-preview": {"input_audio": "10", "output_audio": "20"},
   "gpt-audio": {"input_audio": "32", "output_audio": "64"},
  }.items()
 }
)

# Server-side tool fees, USD per 1,000 requests.
ANTHROPIC_WEB_SEARCH = Decimal(10)
OPENAI_WEB_SEARCH = Decimal(10)
# web_search_preview on the non-reasoning models (gpt-4o and gpt-4.1 families) costs more per call.
OPENAI_WEB_SEARCH_PREVIEW_NON_REASONING = Decimal(25)
_OPENAI_NON_REASONING = ("gpt-4o", "gpt-4.1")
# Gemini 2.x bills each grounded prompt, Gemini 3 each search query it runs (free daily / monthly allowances are
# not known to one reply and are not deducted).
GEMINI_GROUNDED_PROMPT = Decimal(35)
GEMINI_3_SEARCH_QUERY = Decimal(14)


def tool_fee(provider: str, key: str, searches: int, tool: str, grounded: int) -> tuple[str, int, Decimal, str] | None:
 """(item, requests, USD per 1,000, source) of one reply's server-side search fee, or None."""
 if not searches:
  return None
 return _TOOL_FEES.get(provider, _no_fee)(key, searches, tool, grounded)


def _no_fee(key: str, searches: int, tool: str, grounded: int) -> None:
 return None


def _anthropic_fee(key: str, searches: int, tool: str, grounded: int) -> tuple[str, int, Decimal, str]:
 return "web_search", searches, ANTHROPIC_WEB_SEARCH, ANTHROPIC_SEARCH_PAGE


def _openai_fee(key: str, searches: int, tool: str, grounded: int) -> tuple[str, int, Decimal, str]:
 dearer = tool == "web_search_preview" and key.startswith(_OPENAI_NON_REASONING)
 return (
  "web_search",
  searches,
  OPENAI_WEB_SEARCH_PREVIEW_NON_REASONING if dearer else OPENAI_WEB_SEARCH,
  OPENAI_TOOLS_PAGE,
 )


def _gemini_fee(key: str, searches: int, tool: str, grounded: int) -> tuple[str, int, Decimal, str]:
 if key.startswith("gemini-3"):
  return "search_queries", searches, GEMINI_3_SEARCH_QUERY, GEMINI_GROUNDING_PAGE
 return "grounded_prompts", grounded, GEMINI_GROUNDED_PROMPT, GEMINI_GROUNDING_PAGE


_TOOL_FEES = {"anthropic": _anthropic_fee, "openai": _openai_fee, "gemini": _gemini_fee}


# genai-prices' field of each modality item, for models the dataset prices (gpt-realtime's audio, ...).
_DATASET_FIELDS = {
 "input_audio": "input_audio_mtok",
 "cache_read_audio": "cache_audio_read_mtok",
 "output_audio": "output_audio_mtok",
 "input_image": "input_image_mtok",
 "output_image": "output_image_mtok",
 "input_video": "input_video_mtok",
}


def modality_rate(key: str, item: str, dataset_model: bool = False) -> Decimal | None:
 """The rate of `item` (e.g. "input_audio") on `key` when it differs from the text rate: from MODALITY_RATES for
 a built-in key, from the dataset for a model the dataset prices (`dataset_model`); None means the text rate."""
 rates = MODALITY_RATES.get(key)
 if rates is not None or not dataset_model:
  return None if rates is None else rates.get(item)
 from .dataset import dataset_raw_prices

 value = (dataset_raw_prices(key) or {}).get(_DATASET_FIELDS.get(item, ""))
 return value if isinstance(value, Decimal) else None


def tier_multiplier(provider: str, batch: bool, service_tier: str | None, geo: str | None) -> tuple[Decimal, str]:
 """(multiplier of the token rates, note) for a reply's batch flag, reported service tier and inference geo.
 The tier the provider reports wins over what was asked for: it is the one read from the reply."""
 factor, notes = Decimal(1), []
 tier = "batch" if batch else service_tier
 if tier in SERVICE_TIER_MULTIPLIERS:
  factor *= SERVICE_TIER_MULTIPLIERS[tier]
  notes.append(f"{tier} x{SERVICE_TIER_MULTIPLIERS[tier].normalize()}")
 geo_factor = GEO_MULTIPLIERS.get((provider, geo or ""))
 if geo_factor is not None:
  factor *= geo_factor
  notes.append(f"inference_geo {geo} x{geo_factor}")
 return factor, ", ".join(notes)


def priority_price(provider: str, key: str, service_tier: str | None) -> ModelPrice | None:
 """OpenAI's Priority rates of `key` when the reply reports the priority tier, else None."""
 if service_tier != "priority" or provider != "openai":
  return None
 return OPENAI_PRIORITY.get(key)


def _rate(value: Decimal) -> str:
 return format(value.normalize(), "f")


def charge_rows() -> list[dict[str, str]]:
 """Every rate beyond plain tokens, one row each with what it applies to, its source and date (for
 `mma-conductor pricing`)."""
 rows = [
  _charge("web search", "anthropic", ANTHROPIC_WEB_SEARCH, "1K requests", ANTHROPIC_SEARCH_PAGE),
  _charge("web search", "openai", OPENAI_WEB_SEARCH, "1K calls", OPENAI_TOOLS_PAGE),
  _charge(
   "web search preview",
   "openai gpt-4o*, gpt-4.1*",
   OPENAI_WEB_SEARCH_PREVIEW_NON_REASONING,
   "1K calls",
   OPENAI_TOOLS_PAGE,
  ),
  _charge("grounding", "gemini 2.x", GEMINI_GROUNDED_PROMPT, "1K grounded prompts", GEMINI_GROUNDING_PAGE),
  _charge("grounding", "gemini 3", GEMINI_3_SEARCH_QUERY, "1K search queries", GEMINI_GROUNDING_PAGE),
  _charge("batch", "openai, anthropic, gemini", BATCH_MULTIPLIER, "x token rates", OPENAI_PAGE),
  _charge("service tier flex", "openai, vertex", SERVICE_TIER_MULTIPLIERS["flex"], "x token rates", VERTEX_FLEX_PAGE),
  _charge(
   "inference_geo us", "anthropic", GEO_MULTIPLIERS[("anthropic", "us")], "x token rates", ANTHROPIC_RESIDENCY_PAGE
  ),
 ]
 rows.extend(_price_row("priority", key, price, CHECKED) for key, price in OPENAI_PRIORITY.items())
 for key, rates in MODALITY_RATES.items():
  source = BUILTIN_PRICES[key].source
  rows.extend(_charge(item.replace("_", " "), key, rate, "1M tokens", source) for item, rate in rates.items())
 return rows + _history_rows()


def _history_rows() -> list[dict[str, str]]:
 """Built-in prices that applied before a price change, by the reply's own timestamp."""
 rows = []
 for key, periods in PRICE_HISTORY.items():
  for past in periods:
   until = f"until {past.until:%Y-%m-%d %H:%M} UTC"
   rows.append(_price_row(f"price {until}", key, past.price, past.price.as_of))
   if past.off_peak is not None:
    start, end, cheaper = past.off_peak
    rows.append(_price_row(f"price {until}, off-peak {start:%H:%M}-{end:%H:%M} UTC", key, cheaper, cheaper.as_of))
 return rows


def _price_row(dimension: str, key: str, price: ModelPrice, as_of: str) -> dict[str, str]:
 """A row of a whole price: its input, cached input and output rates."""
 rate = f"{_rate(price.input)} / {_rate(price.effective('cache_read'))} / {_rate(price.output)}"
 row = _charge(dimension, key, Decimal(0), "1M tokens in / cached / out", price.source)
 return {**row, "rate": rate, "as_of": as_of}


def _charge(dimension: str, applies_to: str, rate: Decimal, per: str, source: str) -> dict[str, str]:
 return {
  "dimension": dimension,
  "applies_to": applies_to,
  "rate": _rate(rate),
  "per": per,
  "source": source,
  "as_of": CHECKED,
 }
