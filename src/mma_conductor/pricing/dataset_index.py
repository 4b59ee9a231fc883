"""A compact index of the genai-prices dataset, so that pricing a model it names does not load all of it.

genai-prices' own snapshot is ~1.6 MB of Python that takes ~120 ms and ~25 MB to import. The price book only
ever asks the dataset one question, "which model does it NAME with this lower-cased name, and at what prices"
(see dataset.dataset_named_price), and the answer to it depends only on the installed genai-prices release.
So the answers are computed once, with genai-prices' own matching, for every name the dataset spells out (each
model's id and the literal names of its match rules: no other name can be named), and stored as JSON lines:

    line 1   {"format", "genai_prices": version, "providers": [[id, pricing url], ...], "ids": [model id, ...],
              "names": {name: [provider no, model no, 1 if the name is the model's id else 0]},
              "models_of": [[model no, ...] per provider, in the dataset's order]}
    line 2+  one model a line: {"id", "prices": [{"constraint": ..., "prices": {field: price}}, ...]}

Model lines are decoded only when asked for. Every price field genai-prices has is kept (text Decimals; tiered
prices as {"base", "tiers": [[start, price], ...]}), and conditional prices keep their constraints
(`{"start_date": "YYYY-MM-DD"}` or `{"start_time", "end_time"}`, ISO, UTC when naive) in the dataset's order.
Request-context price variants (e.g. batch rates) are not kept: nothing here prices with a request context.

The index of the pinned release ships as package data (data/dataset_index.jsonl, written by
`python -m mma_conductor.pricing.dataset_index`); with any other release installed, it is built from that
release on first use and cached in the user cache folder, keyed by the release.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMAT = 1
PACKAGED_INDEX = Path(__file__).with_name("data") / "dataset_index.jsonl"


@dataclass(frozen=True, slots=True)
class TieredPrice:
 """A price that changes for the WHOLE request once its prompt reaches a tier's start (genai-prices' cliff
 model): `base` below the first tier, else the price of the last tier whose `start` the prompt reaches."""

 base: Decimal
 tiers: tuple[tuple[int, Decimal], ...]


RawPrice = Decimal | TieredPrice


@dataclass(frozen=True, slots=True)
class NamedModel:
 """A dataset model a name resolves to: its provider (id, pricing page) and its id, and whether the name is
 that id (rather than a literal name of its match rules)."""

 provider_id: str
 pricing_url: str | None
 model_id: str
 by_id: bool
 number: int


class DatasetIndex:
 """The index of one genai-prices release (see the module docstring)."""

 def __init__(self, lines: list[str]) -> None:
  header = json.loads(lines[0])
  if header.get("format") != FORMAT:
   raise ValueError(f"dataset index format {header.get('format')!r}, expected {FORMAT}")
  self.version: str = header["genai_prices"]
  self._providers: list[list[str | None]] = header["providers"]
  self._names: dict[str, list[int]] = header["names"]
  self._models_of: list[list[int]] = header["models_of"]
  self._ids: list[str] = header["ids"]
  self._lines = lines
  self._models: dict[int, dict[str, Any]] = {}

 def named(self, name: str) -> NamedModel | None:
  """The model the dataset names `name` with (lower-cased, as its id or a literal match name), or None."""
  entry = self._names.get(name)
  if entry is None:
   return None
  provider, number, by_id = entry
  provider_id, url = self._providers[provider]
  return NamedModel(provider_id, url, self._ids[number], bool(by_id), number)

 def model(self, number: int) -> dict[str, Any]:
  """The decoded line of model `number`: {"id", "prices": [...]}."""
  found = self._models.get(number)
  if found is None:
   found = self._models[number] = json.loads(self._lines[number + 1])
  return found

 def raw_prices(self, number: int, when: datetime) -> dict[str, RawPrice]:
  """Every price field of model `number` in force at `when`, as genai-prices' ModelInfo.get_prices picks them:
  the last conditional price whose constraint holds, else the first."""
  return {field: decode_price(value) for field, value in active_prices(self.model(number)["prices"], when).items()}

 def model_ids(self) -> frozenset[str]:
  """Every model id of the dataset, lower-cased."""
  return frozenset(model_id.lower() for model_id in self._ids)

 def provider_models(self) -> Iterable[tuple[str, str | None, str, int]]:
  """(provider id, pricing url, model id, model number) of every provider's own models, in the dataset's order."""
  for (provider_id, url), numbers in zip(self._providers, self._models_of, strict=True):
   for number in numbers:
    yield provider_id, url, self._ids[number], number


def active_prices(conditional: list[dict[str, Any]], when: datetime) -> dict[str, Any]:
 """The prices of the last entry whose constraint is active at `when`, else of the first (genai-prices' rule)."""
 for entry in reversed(conditional):
  if _active(entry["constraint"], when):
   return entry["prices"]
 return conditional[0]["prices"]


def _active(constraint: dict[str, str] | None, when: datetime) -> bool:
 if constraint is None:
  return True
 if "start_date" in constraint:
  moment = when.astimezone(UTC) if when.tzinfo is not None else when
  return moment.date() >= date.fromisoformat(constraint["start_date"])
 return _in_daily_window(constraint, when)


def _in_daily_window(constraint: dict[str, str], when: datetime) -> bool:
 moment = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
 now = moment.astimezone(UTC).timetz()
 start, end = (_utc_time(time.fromisoformat(constraint[key])) for key in ("start_time", "end_time"))
 if end < start:
  return now >= start or now < end
 return start <= now < end


def _utc_time(value: time) -> time:
 if value.tzinfo is None:
  return value.replace(tzinfo=UTC)
 return datetime.combine(date(1970, 1, 1), value).astimezone(UTC).timetz()


def decode_price(value: str | dict[str, Any]) -> RawPrice:
 """One price of an index line: a text Decimal, or {"base", "tiers"}."""
 if isinstance(value, str):
  return Decimal(value)
 return TieredPrice(Decimal(value["base"]), tuple((start, Decimal(price)) for start, price in value["tiers"]))


# Building ------------------------------------------------------------------------------------------------------


def build_lines(snapshot: Any, version: str) -> list[str]:
 """The index of a genai-prices snapshot as JSON lines, answering every name with genai-prices' own lookup."""
 providers = snapshot.providers
 numbers: dict[int, int] = {}
 models: list[Any] = []
 for model in (model for provider in providers for model in provider.models):
  numbers[id(model)] = len(models)
  models.append(model)
 provider_numbers = {id(provider): n for n, provider in enumerate(providers)}
 names = {}
 for name in sorted(_candidate_names(models)):
  entry = _named_entry(snapshot, name, provider_numbers, numbers)
  if entry is not None:
   names[name] = entry
 header = {
  "format": FORMAT,
  "genai_prices": version,
  "providers": [[p.id, p.pricing_urls[0] if getattr(p, "pricing_urls", None) else None] for p in providers],
  "ids": [model.id for model in models],
  "names": names,
  "models_of": [[numbers[id(model)] for model in provider.models] for provider in providers],
 }
 return [_dumps(header), *(_dumps({"id": m.id, "prices": conditional_prices(m)}) for m in models)]


def _dumps(value: object) -> str:
 return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _candidate_names(models: list[Any]) -> set[str]:
 names = set()
 for model in models:
  names.add(model.id.lower())
  names |= literal_names(model.match)
 return names


def _named_entry(snapshot: Any, name: str, provider_numbers: dict, numbers: dict) -> list[int] | None:
 try:
  provider, model = snapshot.find_provider_model(name, None, None, None)
 except LookupError:
  return None
 by_id = name == model.id.lower()
 if not by_id and name not in literal_names(model.match):
  return None
 return [provider_numbers[id(provider)], numbers[id(model)], int(by_id)]


def literal_names(clause: Any) -> set[str]:
 """The names a match clause spells out in full (equals, and the stem of starts_with), of it and its `or_`s."""
 names = {str(getattr(clause, key)).lower() for key in ("equals", "starts_with") if getattr(clause, key, None)}
 for inner in getattr(clause, "or_", None) or ():
  names |= literal_names(inner)
 return names


def conditional_prices(model: Any) -> list[dict[str, Any]]:
 """A dataset model's prices as a list of {"constraint", "prices"}, every field kept (a plain price is one
 unconstrained entry)."""
 if not isinstance(model.prices, list):
  return [{"constraint": None, "prices": price_fields(model.prices)}]
 return [{"constraint": _constraint(e.constraint), "prices": price_fields(e.prices)} for e in model.prices]


def price_fields(price: Any) -> dict[str, Any]:
 """Every price field genai-prices set on a ModelPrice, as text Decimals or {"base", "tiers"}."""
 return {key: _raw(value) for key, value in vars(price).items() if value is not None and not key.startswith("_")}


def _raw(value: Any) -> str | dict[str, Any]:
 if hasattr(value, "tiers"):
  return {"base": str(value.base), "tiers": [[tier.start, str(tier.price)] for tier in value.tiers]}
 return str(value)


def _constraint(constraint: Any) -> dict[str, str] | None:
 if constraint is None:
  return None
 if hasattr(constraint, "start_date"):
  return {"start_date": constraint.start_date.isoformat()}
 return {"start_time": constraint.start_time.isoformat(), "end_time": constraint.end_time.isoformat()}


# Loading -------------------------------------------------------------------------------------------------------


def installed_version() -> str | None:
 """Version of the installed genai-prices, or None when it is not installed. Read from the name of its
 `.dist-info` folder beside the package when there is exactly one: importing importlib.metadata alone costs
 more than reading the whole index."""
 from importlib.util import find_spec

 spec = find_spec("genai_prices")
 if spec is None or not spec.origin:
  return None
 site = os.path.dirname(os.path.dirname(spec.origin))
 try:
  infos = [n for n in os.listdir(site) if n.startswith("genai_prices-") and n.endswith(".dist-info")]
 except OSError:
  infos = []
 if len(infos) == 1:
  return infos[0].removeprefix("genai_prices-").removesuffix(".dist-info")
 return _metadata_version()


def _metadata_version() -> str | None:
 from importlib.metadata import PackageNotFoundError, version

 try:
  return version("genai-prices")
 except PackageNotFoundError:
  return None


def load_index(version: str) -> DatasetIndex:
 """The index of genai-prices `version`: the packaged one when it is of that release, else the user cache's,
 else built from the installed snapshot (and cached). Raises ImportError when genai-prices cannot be imported."""
 for path in (PACKAGED_INDEX, cached_index_path(version)):
  index = _read(path, version)
  if index is not None:
   return index
 from genai_prices import data_snapshot

 lines = build_lines(data_snapshot.get_snapshot(), version)
 _write_cache(cached_index_path(version), lines)
 return DatasetIndex(lines)


def _read(path: Path, version: str) -> DatasetIndex | None:
 try:
  index = DatasetIndex(path.read_text(encoding="utf-8").splitlines())
 except (OSError, ValueError, KeyError, IndexError):
  return None
 return index if index.version == version else None


def cached_index_path(version: str) -> Path:
 """Where the index built for a genai-prices release other than the packaged one is cached."""
 from ..files import user_cache_dir

 return user_cache_dir() / f"dataset_index-genai-prices-{version}-format{FORMAT}.jsonl"


def _write_cache(path: Path, lines: list[str]) -> None:
 # A cache only: a read-only or full disk must not stop pricing, the index is rebuilt next time.
 try:
  path.parent.mkdir(parents=True, exist_ok=True)
  partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
  partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
  partial.replace(path)
 except OSError:
  pass


def write_packaged_index() -> Path:
 """Write the index of the installed genai-prices as the packaged one (run after changing the pin)."""
 from genai_prices import data_snapshot

 version = installed_version()
 if version is None:
  raise SystemExit("genai-prices is not installed")
 lines = build_lines(data_snapshot.get_snapshot(), version)
 PACKAGED_INDEX.parent.mkdir(exist_ok=True)
 PACKAGED_INDEX.write_text("\n".join(lines) + "\n", encoding="utf-8")
 return PACKAGED_INDEX


if __name__ == "__main__":
 print(f"wrote {write_packaged_index()}")
