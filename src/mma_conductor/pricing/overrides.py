"""User price overrides: TOML pricing files (user and project level) and MMA_PRICE_* environment variables.

A file looks like this (prices in USD per 1M tokens; every key but input/output optional):

    [settings]
    fallback_model = "gpt-4o"        # price unknown models like this one

    [models."my-finetune"]
    input = 0.50
    output = 1.50
    cache_read = 0.05
    provider = "openai"
    source = "our contract, 2026"

    [[models."my-finetune".tiers]]
    above_input_tokens = 200000
    input = 1.00
    output = 3.00

A model that is already priced may list only the fields it changes. Environment variables override files:
`MMA_PRICE_<MODEL>_<FIELD>` with MODEL upper-cased and every non-alphanumeric character as `_`
(`MMA_PRICE_GPT_4O_INPUT=2.0`), FIELD one of INPUT, OUTPUT, CACHE_READ, CACHE_WRITE, CACHE_WRITE_1H;
`MMA_PRICING_FALLBACK_MODEL` sets the fallback. Everything is validated before anything is applied, and
errors name the file (or variable) and the key. A price must be a finite number from 0 to $1,000,000 per 1M
tokens (money.MAX_PRICE_PER_MTOK).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..files import read_toml
from .money import PriceError, parse_price
from .prices import PRICE_FIELDS, ModelPrice, PriceTier, provider_of

ENV_PREFIX = "MMA_PRICE_"
ENV_FALLBACK = "MMA_PRICING_FALLBACK_MODEL"
_ENV_FIELDS = sorted(((f.upper(), f) for f in PRICE_FIELDS), key=lambda kv: -len(kv[0]))
_TEXT_KEYS = ("provider", "source", "as_of")
_MODEL_KEYS = {*PRICE_FIELDS, "tiers", *_TEXT_KEYS}
_TIER_KEYS = {"above_input_tokens", *PRICE_FIELDS}


class PricingConfigError(PriceError):
 """A pricing file or variable that cannot be applied; the message names the file or variable and the key."""


@dataclass
class Overrides:
 """Validated overrides, ready to merge over a price table."""

 models: dict[str, dict[str, object]] = field(default_factory=dict)
 fallback_model: str | None = None
 origins: list[str] = field(default_factory=list)

 def staged(self) -> Overrides:
  """A copy to add to: applying a file or the environment changes nothing here until it has all passed."""
  return Overrides(models=dict(self.models), fallback_model=self.fallback_model, origins=list(self.origins))

 def merged_into(
  self, table: Mapping[str, ModelPrice], lookup: Callable[[str], ModelPrice | None]
 ) -> dict[str, ModelPrice]:
  """Prices of every overridden model: the override's fields over the model's current price, if any."""
  result: dict[str, ModelPrice] = {}
  for name, changes in self.models.items():
   where = str(changes.get("_where", name))
   current = table.get(name) or lookup(name)
   fields = {k: v for k, v in changes.items() if not k.startswith("_")}
   if current is None:
    missing = [k for k in ("input", "output") if k not in fields]
    if missing:
     raise PricingConfigError(f"{where}: model {name!r} is not priced yet, so {' and '.join(missing)} must be given")
    fields.setdefault("provider", provider_of(name))
    fields.setdefault("source", "user override")
    fields.setdefault("as_of", "")
    result[name] = _build(fields, where)
   else:
    base = {f.name: getattr(current, f.name) for f in dataclasses.fields(ModelPrice) if f.init}
    base.update(fields)
    base["source"] = fields.get("source", f"user override over {current.source or current.origin}")
    result[name] = _build(base, where)
  return result


def _build(fields: dict[str, object], where: str) -> ModelPrice:
 origin = where.split(": ", 1)[0]
 values = {k: v for k, v in fields.items() if k != "origin"}
 try:
  return ModelPrice(**values, origin=origin)
 except PriceError as exc:
  raise PricingConfigError(f"{where}: {exc}") from None


def load_pricing_file(path: Path, into: Overrides | None = None) -> Overrides:
 """Read and validate one pricing TOML file; return overrides (added to `into` when given)."""
 into = into if into is not None else Overrides()
 data = read_toml(path, PricingConfigError, what="pricing file")
 if data is None:
  return into
 staged = into.staged()
 unknown = set(data) - {"settings", "models"}
 if unknown:
  raise PricingConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}; expected [settings] and [models.*]")
 staged.fallback_model = _fallback_setting(data.get("settings", {}), path, staged.fallback_model)
 _add_models(staged, data.get("models", {}), path)
 staged.origins.append(str(path))
 return staged


def _fallback_setting(settings: object, path: Path, current: str | None) -> str | None:
 if not isinstance(settings, dict):
  raise PricingConfigError(f"{path}: settings must be a table")
 for key, value in settings.items():
  if key != "fallback_model":
   raise PricingConfigError(f"{path}: settings.{key}: unknown setting (known: fallback_model)")
  if not isinstance(value, str) or not value.strip():
   raise PricingConfigError(f"{path}: settings.fallback_model: expected a model name, got {value!r}")
  current = value.strip()
 return current


def _add_models(staged: Overrides, models: object, path: Path) -> None:
 if not isinstance(models, dict):
  raise PricingConfigError(f'{path}: models must be a table of [models."name"] tables')
 for name, entry in models.items():
  where = f'{path}: models."{name}"'
  staged.models[name] = {**staged.models.get(name, {}), **_parse_model(entry, where), "_where": where}


def _parse_model(entry: object, where: str) -> dict[str, object]:
 if not isinstance(entry, dict):
  raise PricingConfigError(f"{where}: expected a table of prices")
 unknown = set(entry) - _MODEL_KEYS
 if unknown:
  raise PricingConfigError(
   f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(_MODEL_KEYS))})"
  )
 parsed: dict[str, object] = {key: _price(entry[key], f"{where}.{key}") for key in PRICE_FIELDS if key in entry}
 parsed.update({key: _text(entry[key], f"{where}.{key}") for key in _TEXT_KEYS if key in entry})
 if "tiers" in entry:
  parsed["tiers"] = _parse_tiers(entry["tiers"], f"{where}.tiers")
 return parsed


def _text(value: object, where: str) -> str:
 if not isinstance(value, str):
  raise PricingConfigError(f"{where}: expected a string, got {value!r}")
 return str(value)


def _parse_tiers(tiers: object, where: str) -> tuple[PriceTier, ...]:
 if not isinstance(tiers, list):
  raise PricingConfigError(f"{where}: expected an array of tables ([[...tiers]])")
 return tuple(_parse_tier(tier, f"{where}[{i}]") for i, tier in enumerate(tiers))


def _parse_tier(entry: object, where: str) -> PriceTier:
 if not isinstance(entry, dict):
  raise PricingConfigError(f"{where}: expected a table")
 unknown = set(entry) - _TIER_KEYS
 if unknown:
  raise PricingConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
 threshold = entry.get("above_input_tokens")
 if type(threshold) is not int or threshold < 0:
  raise PricingConfigError(f"{where}.above_input_tokens: expected a non-negative integer, got {threshold!r}")
 missing = next((key for key in ("input", "output") if key not in entry), None)
 if missing is not None:
  raise PricingConfigError(f"{where}: {missing} is required in a tier")
 prices = {k: _price(entry[k], f"{where}.{k}") for k in PRICE_FIELDS if k in entry}
 return PriceTier(threshold, **prices)


def _price(value: object, where: str) -> Decimal:
 try:
  return parse_price(value, where)
 except PriceError as exc:
  raise PricingConfigError(str(exc)) from None


def _split_env_name(var: str) -> tuple[str, str]:
 rest = var[len(ENV_PREFIX) :]
 for suffix, field_name in _ENV_FIELDS:
  if rest.endswith("_" + suffix) and len(rest) > len(suffix) + 1:
   return rest[: -len(suffix) - 1], field_name
 raise PricingConfigError(
  f"environment {var}: name must end in _INPUT, _OUTPUT, _CACHE_READ, _CACHE_WRITE or _CACHE_WRITE_1H"
 )


def env_key(model: str) -> str:
 """The MODEL part of MMA_PRICE_<MODEL>_<FIELD> for a model name."""
 return re.sub(r"[^A-Z0-9]", "_", model.upper())


def load_env(env: Mapping[str, str], known_models: Iterable[str], into: Overrides | None = None) -> Overrides:
 """Apply MMA_PRICE_* variables over `into`. A variable whose MODEL matches no known model names a new
 model: lower-cased with `_` read as `-` (it must then give both INPUT and OUTPUT)."""
 into = into if into is not None else Overrides()
 staged = into.staged()
 names = {env_key(name): name for name in known_models}
 names.update({env_key(name): name for name in staged.models})
 variables = [var for var in sorted(env) if var == ENV_FALLBACK or var.startswith(ENV_PREFIX)]
 for var in variables:
  if var == ENV_FALLBACK:
   staged.fallback_model = _env_fallback(var, env[var])
  else:
   _add_env_price(staged, names, var, env[var])
 if variables:
  staged.origins.append("environment")
 return staged


def _env_fallback(var: str, value: str) -> str:
 model = value.strip()
 if not model:
  raise PricingConfigError(f"environment {var}: expected a model name, got an empty value")
 return model


def _add_env_price(staged: Overrides, names: Mapping[str, str], var: str, value: str) -> None:
 key, field_name = _split_env_name(var)
 model = names.get(key) or key.lower().replace("_", "-")
 where = f"environment {var}"
 entry = dict(staged.models.get(model, {}))
 entry[field_name] = _price(value, where)
 entry["_where"] = where
 staged.models[model] = entry
