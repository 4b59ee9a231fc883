"""Per-project conductor settings in `<project>/mma_conductor.toml`: each tier's provider and model, the
escalation ladder, parallelism and the simulated provider.

    [conductor]
    max_parallel = 4          # tickets worked on at once
    max_escalations = 2       # QA rejections retried with a stronger model before a ticket is blocked

    [tiers.tier3]
    provider = "anthropic"
    model = "claude-haiku-4-5"
    escalation = ["claude-sonnet-4-5", "claude-opus-4-5"]

    [simulated]
    seed = 7
    latency_ms = 0

A tier whose provider has no API key runs on the simulated provider (labeled "simulated" everywhere), so
the app works out of the box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.config import DEFAULT_TIERS, ProjectConfig, SimulatedConfig, TierConfig
from ..files import edit_toml_file, read_toml, toml_string
from ..pricing.budgets import BudgetError, BudgetSettings, parse_budget_settings

CONFIG_NAME = "mma_conductor.toml"
TIER_KEYS = {"tier1": "Tier 1", "tier2": "Tier 2", "tier3": "Tier 3", "tier4": "Tier 4"}
# The model a tier gets when the user switches it to another billed provider (each is in pricing/table.py). A tier
# switched back to its default provider gets DEFAULT_TIERS' model; the simulated provider keeps the model it has.
PROVIDER_DEFAULT_MODELS = {
 "gemini": "gemini-2.5-flash",
 "anthropic": "claude-sonnet-4-5",
 "deepseek": "deepseek-chat",
 "openai": "gpt-4o-mini",
}


def __getattr__(name: str) -> Any:
 # PROVIDERS (the providers a tier may name) is the provider factory's; importing the factory loads the provider
 # machinery (asyncio, ssl), which `mma-conductor costs` has no use for, so it is fetched when first asked for.
 if name == "PROVIDERS":
  from ..providers.factory import PROVIDERS

  return PROVIDERS
 raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(ValueError):
 """A project config that cannot be used; the message names the file and key."""


def load_project_config(project_dir: Path | str) -> ProjectConfig:
 """Read `mma_conductor.toml` (missing file: defaults). ConfigError names the file and key."""
 project_dir = Path(project_dir)
 path = project_dir / CONFIG_NAME
 data = read_toml(path, ConfigError)
 if data is None:
  return ProjectConfig(project_dir)
 unknown = set(data) - {"conductor", "tiers", "simulated", "ledger", "budgets"}  # [ledger]: see ledger/config.py
 if unknown:
  raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
 conductor = _table(data, "conductor", path)
 tiers = dict(DEFAULT_TIERS)
 for key, raw in _table(data, "tiers", path).items():
  if key not in TIER_KEYS:
   raise ConfigError(f"{path}: tiers.{key}: unknown tier (use tier1..tier4)")
  tiers[TIER_KEYS[key]] = _tier(raw, f"{path}: tiers.{key}", tiers[TIER_KEYS[key]])
 sim = _table(data, "simulated", path)
 _known(sim, {"seed", "latency_ms", "reject_rate"}, f"{path}: simulated")
 _known(conductor, {"max_parallel", "max_escalations", "timeout_s", "max_retries"}, f"{path}: conductor")
 return ProjectConfig(
  project_dir=project_dir,
  tiers=tiers,
  max_parallel=_int(conductor, "max_parallel", 4, 1, 64, path),
  max_escalations=_int(conductor, "max_escalations", 2, 0, 5, path),
  timeout_s=float(_number(conductor, "timeout_s", 120.0, 1, 3600, f"{path}: conductor")),
  max_retries=_int(conductor, "max_retries", 3, 0, 10, path),
  simulated=SimulatedConfig(
   seed=_int(sim, "seed", 7, 0, 2**31, path, "simulated"),
   latency_ms=float(_number(sim, "latency_ms", 400.0, 0, 60_000, f"{path}: simulated")),
   reject_rate=float(_number(sim, "reject_rate", 0.25, 0, 1, f"{path}: simulated")),
  ),
  budgets=_budgets(data, path),
 )


def _budgets(data: dict[str, Any], path: Path) -> BudgetSettings:
 try:
  return parse_budget_settings(data.get("budgets", {}), str(path))
 except BudgetError as exc:
  raise ConfigError(str(exc)) from None


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
 value = data.get(key, {})
 if not isinstance(value, dict):
  raise ConfigError(f"{path}: {key} must be a table")
 return value


def _known(table: dict[str, Any], keys: set[str], where: str) -> None:
 unknown = set(table) - keys
 if unknown:
  raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(keys))})")


def _tier(raw: Any, where: str, default: TierConfig) -> TierConfig:
 if not isinstance(raw, dict):
  raise ConfigError(f"{where}: must be a table")
 _known(raw, {"provider", "model", "escalation"}, where)
 from ..providers.factory import PROVIDERS  # see __getattr__

 provider = raw.get("provider", default.provider)
 if provider not in PROVIDERS:
  raise ConfigError(f"{where}.provider: expected one of {', '.join(PROVIDERS)}, got {provider!r}")
 model = raw.get("model", default.model if provider == default.provider else None)
 if not isinstance(model, str) or not model.strip():
  raise ConfigError(f"{where}.model: expected a model name")
 escalation = raw.get("escalation", list(default.escalation) if "model" not in raw else [])
 if not isinstance(escalation, list) or not all(isinstance(m, str) and m.strip() for m in escalation):
  raise ConfigError(f"{where}.escalation: expected a list of model names")
 return TierConfig(provider, model.strip(), tuple(m.strip() for m in escalation))


def _number(table: dict[str, Any], key: str, default: float, low: float, high: float, where: str) -> float:
 value = table.get(key, default)
 if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
  raise ConfigError(f"{where}.{key}: expected a number from {low:g} to {high:g}, got {value!r}")
 return value


def _int(
 table: dict[str, Any], key: str, default: int, low: int, high: int, path: Path, section: str = "conductor"
) -> int:
 value = table.get(key, default)
 if type(value) is not int or not low <= value <= high:
  raise ConfigError(f"{path}: {section}.{key}: expected a whole number from {low} to {high}, got {value!r}")
 return value


def default_config_text() -> str:
 """A `mma_conductor.toml` with every setting at its default, commented out (what `mma-conductor init` writes).
 Uncommented, it reads back as the defaults."""
 defaults, sim = ProjectConfig(Path()), SimulatedConfig()
 lines = [
  "# mma-conductor project settings. Every line below is the default; uncomment a line to change it.",
  "",
  "# [conductor]",
  f"# max_parallel = {defaults.max_parallel}          # tickets worked on at once",
  f"# max_escalations = {defaults.max_escalations}       # QA rejections retried on a stronger model before blocking",
  f"# timeout_s = {defaults.timeout_s:g}          # one call's time limit",
  f"# max_retries = {defaults.max_retries}           # retries of a failed call (rate limits, timeouts)",
 ]
 for key, tier in TIER_KEYS.items():
  lines += ["", f"# [tiers.{key}]", *_tier_lines(defaults.tiers[tier])]
 lines += ["", "# [simulated]              # the offline provider used for tiers without an API key"]
 lines += [f"# seed = {sim.seed}", f"# latency_ms = {sim.latency_ms:g}", f"# reject_rate = {sim.reject_rate:g}"]
 return "\n".join(lines) + "\n"


def _tier_lines(tier: TierConfig) -> list[str]:
 lines = [f'# provider = "{tier.provider}"', f'# model = "{tier.model}"']
 if tier.escalation:
  lines.append("# escalation = [" + ", ".join(f'"{model}"' for model in tier.escalation) + "]")
 return lines


# Saving a tier's settings -------------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_KEY_LINE = re.compile(r"^\s*(provider|model|escalation)\s*=")


@dataclass(frozen=True, slots=True)
class AppliedTier:
 """A tier setting that was changed (an applied suggestion): what to put back to undo it."""

 tier: str
 previous: TierConfig
 applied: TierConfig


def tier_table_key(tier: str) -> str:
 """`tier3` for "Tier 3" (KeyError for an unknown tier)."""
 return {name: key for key, name in TIER_KEYS.items()}[tier]


def with_tier_text(text: str, tier: str, config: TierConfig) -> str:
 """`text` (a project file) with the `[tiers.tierN]` table of `tier` saying `config`: its provider, model and
 escalation lines (a multi-line list included) replaced at the top of the table, the table added at the end when
 there is none; every other line is kept as written."""
 key = tier_table_key(tier)
 header = re.compile(rf"^\s*\[\s*tiers\s*\.\s*{key}\s*\]\s*(#.*)?$")
 lines = text.splitlines()
 start = next((n for n, line in enumerate(lines) if header.match(line)), None)
 if start is None:
  body = "\n".join(lines).rstrip("\n")
  return (body + "\n\n" if body else "") + "\n".join([f"[tiers.{key}]", *_tier_setting_lines(config)]) + "\n"
 end = next((n for n in range(start + 1, len(lines)) if _HEADER.match(lines[n])), len(lines))
 table = [lines[start], *_tier_setting_lines(config), *_without_tier_keys(lines[start + 1 : end])]
 return "\n".join([*lines[:start], *table, *lines[end:]]) + "\n"


def _without_tier_keys(lines: list[str]) -> list[str]:
 """A table's lines without its provider, model and escalation settings."""
 kept, in_list = [], False
 for line in lines:
  if in_list:
   in_list = "]" not in line
  elif _KEY_LINE.match(line):
   in_list = "[" in line and "]" not in line
  else:
   kept.append(line)
 return kept


def _tier_setting_lines(config: TierConfig) -> list[str]:
 quoted = ", ".join(toml_string(model) for model in config.escalation)
 return [
  f"provider = {toml_string(config.provider)}",
  f"model = {toml_string(config.model)}",
  f"escalation = [{quoted}]",
 ]


def save_tier_config(project_dir: Path | str, tier: str, config: TierConfig) -> None:
 """Write `config` into the project file's `[tiers.tierN]` table, keeping all else; the result is read back and
 checked before it replaces the file (atomically), so a failure (ConfigError, one line) leaves it as it was."""
 path = Path(project_dir) / CONFIG_NAME
 key = tier_table_key(tier)

 def reads_back(data: dict) -> bool:
  return _tier(data.get("tiers", {}).get(key), f"{path}: tiers.{key}", DEFAULT_TIERS[tier]) == config

 edit_toml_file(path, lambda text: with_tier_text(text, tier, config), reads_back, f"{tier}'s settings", ConfigError)
