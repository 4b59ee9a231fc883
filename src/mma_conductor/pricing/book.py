"""Model name -> price: overrides, the built-in table, the dataset and a fallback, resolved once per name."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .prices import ModelPrice
from .table import BUILTIN_PRICES, price_in_force
from .usage import Usage

# Patterns as text, compiled by `re` on first use (and cached there): importing the book, as every ledger report
# does, need not compile them.
_DATE_SUFFIX = r"(?:[-@](?:20\d{2}-?\d{2}-?\d{2}|\d{2}-20\d{2}|\d{4})|-latest|-v\d+:\d+)$"
# The suffix shapes a provider adds to a model's name for a snapshot of it; one is removed at a time.
_DATE_SHAPE = r"[-@](?:20\d{2}-?\d{2}-?\d{2}|\d{2}-20\d{2}|\d{2}-\d{2}|\d{4})"
_TAG_SHAPE = r"-v\d+(?::\d+)?|-\d{3}|-preview|-exp|-latest"
_SUFFIX_SHAPE = f"(?:{_DATE_SHAPE}|{_TAG_SHAPE})$"
_DATED = f"{_DATE_SHAPE}$"
_VENDOR_DOT = r"^(?:anthropic|google|openai|deepseek|us|eu|apac|global)\."


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
 2. the name's known forms, most specific first: lower-cased with provider and region prefixes removed
    (`models/`, `gemini/`, `anthropic/`, any `vendor/`, Bedrock-style `us.anthropic.`), then with one known
    suffix shape after another removed: dates (`-2024-08-06`, `-20240806`, `@20240806`, `-09-2025`, `-0613`)
    and version tags (`-v1`, `-v1:0`, `-001`, `-preview`, `-exp`, `-latest`). Each form is looked up in the
    table, then as a dataset model id, so that a dated snapshot the dataset prices on its own
    (`gpt-4o-2024-05-13`) wins over the undated built-in name;
 3. the genai-prices dataset (~2,300 entries, ~1,600 of them priced per token), when it names one of these
    forms in full (never by its prefix, substring or pattern rules);
 4. the fallback model, when one is configured.

 Anything else is unpriced: `gpt-4o-mni` is not gpt-4o, and `suggestion()` offers the closest known name.
 Results are cached per name (the second lookup is a dict hit). Names that nothing prices are kept in
 `unpriced_models()`, except those looked up on purpose with `look_up()`. Safe to share between threads.
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

 def price(self, model: str) -> ModelPrice | None:
  """The price of `model`, or None (and the name is remembered as unpriced)."""
  try:
   return self.prices[model]
  except KeyError:
   resolution = self.resolve(model)
   return resolution.price if resolution else None

 def price_at(self, model: str, when: datetime | None) -> ModelPrice | None:
  """The price of `model` in force at `when` (a reply's own timestamp): a built-in price that changed since, or
  that has off-peak hours, is priced as it was then; an override or dataset price is the same at any time."""
  resolution = self.resolve(model)
  if resolution is None:
   return None
  if when is None or resolution.price is not BUILTIN_PRICES.get(resolution.matched):
   return resolution.price
  return price_in_force(resolution.matched, when) or resolution.price

 def resolve(self, model: str) -> Resolution | None:
  """The full resolution of `model` (cached), or None when nothing prices it (then it is remembered as unpriced)."""
  if model in self.prices:
   return self._resolutions[model]
  resolution = self.look_up(model)
  with self._lock:
   self.prices[model] = resolution.price if resolution else None
   if resolution is None and isinstance(model, str) and model.strip():
    self._unpriced.add(model)
  return resolution

 def look_up(self, model: str) -> Resolution | None:
  """The resolution of a name looked up on purpose (cached): an unpriced one is not added to `unpriced_models()`."""
  try:
   return self._resolutions[model]
  except KeyError:
   pass
  resolution = self._resolve(model)
  with self._lock:
   self._resolutions[model] = resolution
  return resolution

 def suggestion(self, model: str) -> str | None:
  """The known model name closest to `model` ("did you mean gpt-4o-mini?"), or None when none is close."""
  if not isinstance(model, str) or not model.strip():
   return None
  import difflib  # here, not at the top: only "did you mean" needs it, and a ledger report never does

  name = strip_prefixes(model)
  close = difflib.get_close_matches(name, self._lower, 1, _CLOSE_ENOUGH)
  if close:
   return self._lower[close[0]]
  known = _dataset().dataset_model_ids() if self.use_dataset else ()
  close = difflib.get_close_matches(name, known, 1, _CLOSE_ENOUGH)
  return close[0] if close else None

 def explain(self, model: str) -> str:
  """One line on how `model` is priced, for the CLI, the GUI and logs; it does not count as a use of the name."""
  found = self.look_up(model)
  if found is not None:
   price = found.price
   return (
    f"{model}: priced as {found.matched} ({found.rule}; ${_rate(price.input)} in / ${_rate(price.output)} out"
    f" per 1M tokens; {price.source or price.origin}, {price.as_of or 'undated'})"
   )
  close = self.suggestion(model)
  hint = f"; did you mean {close}?" if close and close != model else ""
  return f"{model}: unpriced (no table entry, dataset name or fallback){hint}"

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
  if model in self.table:
   return Resolution(model, model, "exact", self.table[model])
  forms = known_forms(model)
  for rule in (self._known_form, self._dataset_name, self._by_fallback):
   resolution = rule(model, forms)
   if resolution is not None:
    return resolution
  return None

 def _known_form(self, model: str, forms: list[str]) -> Resolution | None:
  for form in forms:
   key = self._lower.get(form)
   if key is not None:
    return Resolution(model, key, "normalized", self.table[key])
   found = self._dated_snapshot(form)
   if found is not None:
    return Resolution(model, found[0], "dataset", found[1])
  return None

 def _dated_snapshot(self, form: str) -> tuple[str, ModelPrice] | None:
  """The dataset's own entry for a dated name (`gpt-4o-2024-05-13`), which may differ from the undated one."""
  return _dataset().dataset_named_price(form, id_only=True) if self.use_dataset and re.search(_DATED, form) else None

 def _dataset_name(self, model: str, forms: list[str]) -> Resolution | None:
  if not self.use_dataset:
   return None
  found = next(filter(None, map(_dataset().dataset_named_price, forms)), None)
  return None if found is None else Resolution(model, found[0], "dataset", found[1])

 def _by_fallback(self, model: str, forms: list[str]) -> Resolution | None:
  if not self.fallback_model or self.fallback_model == model:
   return None
  fallback = self.price(self.fallback_model)
  return None if fallback is None else Resolution(model, self.fallback_model, "fallback", fallback)


def _dataset():
 """The dataset module, imported on the first name the table does not price (a table hit never needs it)."""
 from . import dataset

 return dataset


# Close enough for "did you mean": gpt-4o-mni -> gpt-4o-mini (0.95), claude-sonnet-4-5-thinking -> claude-sonnet-4-5.
_CLOSE_ENOUGH = 0.75


def _rate(value: Decimal) -> str:
 return format(value.normalize(), "f")


def strip_prefixes(model: str) -> str:
 """Lower-cased, without provider and region prefixes: `us.anthropic.claude-sonnet-4-5` -> `claude-sonnet-4-5`."""
 name = model.strip().lower().rsplit("/", 1)[-1]
 while re.match(_VENDOR_DOT, name):
  name = re.sub(_VENDOR_DOT, "", name, count=1)
 return name


# Gateways (OpenRouter) spell Claude versions with dots and, for some ids, before the family:
# `claude-4.5-sonnet`, `claude-sonnet-4.5`, `claude-3.5-sonnet` are Anthropic's `claude-sonnet-4-5` and
# `claude-3-5-sonnet`.
_CLAUDE_VERSION_FIRST = re.compile(r"^claude-(\d+)(?:[.-](\d))?-(opus|sonnet|haiku)(?=$|[-@])")
_CLAUDE_DOTTED = re.compile(r"^(claude-(?:opus|sonnet|haiku)-\d+)\.(\d)(?=$|[-@])")


def gateway_spelling(name: str) -> str:
 """Anthropic's own spelling of a gateway's Claude id (`claude-4.5-sonnet-20250929` ->
 `claude-sonnet-4-5-20250929`); other names unchanged."""
 name = _CLAUDE_DOTTED.sub(r"\1-\2", name)
 match = _CLAUDE_VERSION_FIRST.match(name)
 if match is None:
  return name
 major, minor, family = match.groups()
 version = f"{major}-{minor}" if minor else major
 spelled = f"claude-{family}-{version}" if int(major) >= 4 else f"claude-{version}-{family}"
 return spelled + name[match.end() :]


def known_forms(model: str) -> list[str]:
 """`model` without prefixes (and in Anthropic's spelling when a gateway spelled a Claude id its own way), then
 with one known suffix shape (date, version tag) after another removed: `anthropic.claude-3-5-sonnet-20240620-v1:0`
 -> [that without `anthropic.`, `claude-3-5-sonnet-20240620`, `claude-3-5-sonnet`]. Nothing else is ever cut off."""
 forms = [gateway_spelling(strip_prefixes(model))]
 while True:
  shorter = re.sub(_SUFFIX_SHAPE, "", forms[-1], count=1)
  if shorter == forms[-1] or not shorter:
   return forms
  forms.append(shorter)


def normalize_model_name(model: str) -> str:
 """Lower-case, strip provider prefixes and dated snapshot suffixes: `models/gemini-2.5-pro` ->
 `gemini-2.5-pro`, `anthropic.claude-3-5-sonnet-20240620-v1:0` -> `claude-3-5-sonnet`."""
 name = strip_prefixes(model)
 previous = None
 while previous != name:
  previous = name
  name = re.sub(_DATE_SUFFIX, "", name)
 return name
