"""Model name -> price: overrides, the built-in table, the dataset and a fallback, resolved once per name."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .dataset import dataset_price
from .prices import ModelPrice
from .table import BUILTIN_PRICES
from .usage import Usage

_DATE_SUFFIX = re.compile(r"(?:[-@](?:20\d{2}-?\d{2}-?\d{2}|\d{2}-20\d{2}|\d{4})|-latest|-v\d+:\d+)$")
_VENDOR_DOT = re.compile(r"^(?:anthropic|google|openai|deepseek|us|eu|apac|global)\.")


@dataclass(frozen=True, slots=True)
class Resolution:
 """How a model name was priced: the table key or dataset id it matched, the rule used, and the price."""

 name: str
 matched: str
 rule: str
 price: ModelPrice


class PriceBook:
 """Resolves model names to prices, in this order:

 1. the name exactly as given, in overrides + the built-in table;
 2. the name normalized: lower-cased, provider prefixes (`models/`, `gemini/`, `anthropic/`, `openai/`,
    any `vendor/`) and Bedrock-style `anthropic.` removed, dated snapshot suffixes removed
    (`-20250929`, `-2024-08-06`, `@20250514`, `-latest`, `-v1:0`);
 3. the genai-prices dataset (~2,300 entries, ~1,600 of them priced per token);
 4. the longest known table key that the name starts with, followed by `-`, `:` or `@` and not by a
    version number (so `claude-sonnet-4-7` does not take `claude-sonnet-4`'s price);
 5. the fallback model, when one is configured.

 Results are cached per name (the second lookup is a dict hit). Names that nothing prices are kept in
 `unpriced_models()`. Safe to share between threads.
 """

 def __init__(
  self,
  table: Mapping[str, ModelPrice] | None = None,
  *,
  use_dataset: bool = True,
  fallback_model: str | None = None,
 ) -> None:
  self.table: Mapping[str, ModelPrice] = dict(BUILTIN_PRICES if table is None else table)
  self.use_dataset = use_dataset
  self.fallback_model = fallback_model
  self.sources: list[str] = []
  self.prices: dict[str, ModelPrice | None] = {}
  self._resolutions: dict[str, Resolution | None] = {}
  self._unpriced: set[str] = set()
  self._lock = threading.Lock()
  self._lower = {key.lower(): key for key in self.table}
  self._by_length = sorted(self._lower, key=len, reverse=True)

 def price(self, model: str) -> ModelPrice | None:
  """The price of `model`, or None (and the name is remembered as unpriced)."""
  try:
   return self.prices[model]
  except KeyError:
   resolution = self.resolve(model)
   return resolution.price if resolution else None

 def resolve(self, model: str) -> Resolution | None:
  """The full resolution of `model` (cached), or None when nothing prices it."""
  try:
   return self._resolutions[model]
  except KeyError:
   pass
  resolution = self._resolve(model)
  with self._lock:
   self._resolutions[model] = resolution
   self.prices[model] = resolution.price if resolution else None
   if resolution is None and isinstance(model, str) and model.strip():
    self._unpriced.add(model)
  return resolution

 def cost_units(self, model: str, usage: Usage) -> int | None:
  """Exact cost of `usage` on `model` in units, or None when the model is unpriced."""
  price = self.price(model)
  return None if price is None else price.cost_units(usage)

 def unpriced_models(self) -> frozenset[str]:
  """Every model name looked up so far that nothing could price."""
  with self._lock:
   return frozenset(self._unpriced)

 def is_priced(self, model: str) -> bool:
  """Whether `model` has a price (looks it up)."""
  return self.price(model) is not None

 def _resolve(self, model: str) -> Resolution | None:
  if not isinstance(model, str) or not model.strip():
   return None
  normalized = normalize_model_name(model)
  for rule in (self._exact, self._normalized, self._from_dataset, self._by_prefix, self._by_fallback):
   resolution = rule(model, normalized)
   if resolution is not None:
    return resolution
  return None

 def _exact(self, model: str, normalized: str) -> Resolution | None:
  return Resolution(model, model, "exact", self.table[model]) if model in self.table else None

 def _normalized(self, model: str, normalized: str) -> Resolution | None:
  key = self._lower.get(normalized)
  return None if key is None else Resolution(model, key, "normalized", self.table[key])

 def _from_dataset(self, model: str, normalized: str) -> Resolution | None:
  if not self.use_dataset:
   return None
  found = dataset_price(model) or (dataset_price(normalized) if normalized != model.lower() else None)
  return None if found is None else Resolution(model, found[0], "dataset", found[1])

 def _by_prefix(self, model: str, normalized: str) -> Resolution | None:
  key = self._longest_prefix(normalized)
  return None if key is None else Resolution(model, self._lower[key], "prefix", self.table[self._lower[key]])

 def _by_fallback(self, model: str, normalized: str) -> Resolution | None:
  if not self.fallback_model or self.fallback_model == model:
   return None
  fallback = self.price(self.fallback_model)
  return None if fallback is None else Resolution(model, self.fallback_model, "fallback", fallback)

 def _longest_prefix(self, name: str) -> str | None:
  for key in self._by_length:
   if len(key) < len(name) and name.startswith(key) and name[len(key)] in "-:@":
    rest = name[len(key) + 1 :]
    if not rest[:1].isdigit():
     return key
  return None


def normalize_model_name(model: str) -> str:
 """Lower-case, strip provider prefixes and dated snapshot suffixes: `models/gemini-2.5-pro` ->
 `gemini-2.5-pro`, `anthropic.claude-3-5-sonnet-20240620-v1:0` -> `claude-3-5-sonnet`."""
 name = model.strip().lower()
 name = name.rsplit("/", 1)[-1]
 while _VENDOR_DOT.match(name):
  name = _VENDOR_DOT.sub("", name, count=1)
 previous = None
 while previous != name:
  previous = name
  name = _DATE_SUFFIX.sub("", name)
 return name
