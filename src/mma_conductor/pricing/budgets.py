"""Budgets: spending limits per calendar period (daily, weekly, monthly), per track run, and per tier.

They live in the project's `mma_conductor.toml`:

    [budgets]
    time_zone = "Europe/Berlin"   # calendar periods in this zone; "local" (the default): the machine's
    week_start = "monday"         # the first day of a weekly budget's week
    alert_command = ""            # run at each alert, with the alert in MMA_BUDGET_* variables (optional)
    alert_webhook = ""            # POSTed a JSON body at each alert (optional, http or https)
    alert_timeout_s = 10

    [[budgets.limits]]
    period = "monthly"            # daily, weekly, monthly or run (one track run)
    limit_usd = 100
    alert_at = "80%"              # alert once per period when spend passes this share of the limit
    action = "pause"              # at the limit: warn, pause or stop
    tier = "Tier 3"               # optional: count and hold only this tier's calls

A budget is named by its period and tier (`monthly`, `Tier 3 run`): there is at most one of each. Amounts are
exact (integer units of 1e-15 USD); the file keeps what the user wrote.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..files import edit_toml_file, read_toml, toml_string
from .money import UNITS_PER_USD, format_usd_auto, units_to_decimal, usd_to_units
from .tiers import TIER_NAMES

BUDGET_PERIODS = {"daily": "day", "weekly": "week", "monthly": "month", "run": None}
ACTIONS = ("warn", "pause", "stop")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_LIMIT_USD = Decimal(1_000_000_000)
LIMIT_KEYS = frozenset({"period", "limit_usd", "alert_at", "action", "tier"})
SETTINGS_KEYS = frozenset({"time_zone", "week_start", "alert_command", "alert_webhook", "alert_timeout_s", "limits"})
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*$")


class BudgetError(ValueError):
 """A budget setting that cannot be used; the message names the file (or option) and the key."""


@dataclass(frozen=True, slots=True)
class Budget:
 """One spending limit: what it counts (`period`, and `tier` or all tiers), the limit, when to alert, and what
 happens to a call that would cross it (`warn`: sent anyway; `pause`: held until the user decides; `stop`: the
 run ends)."""

 period: str
 limit_units: int
 alert_pct: Decimal = Decimal(80)
 action: str = "pause"
 tier: str = ""

 @property
 def key(self) -> str:
  """`monthly`, `Tier 3 run`: unique among a project's budgets."""
  return f"{self.tier} {self.period}" if self.tier else self.period

 @property
 def name(self) -> str:
  """`monthly budget`, `Tier 3 per-run budget`."""
  period = "per-run" if self.period == "run" else self.period
  return f"{self.tier} {period} budget" if self.tier else f"{period} budget"

 @property
 def alert_units(self) -> int:
  """The spend at which the alert fires."""
  return int(self.limit_units * self.alert_pct / 100)

 @property
 def calendar_period(self) -> str | None:
  """`day`, `week` or `month`; None for a per-run budget."""
  return BUDGET_PERIODS[self.period]

 def counts(self, tier: str) -> bool:
  """Whether a call of `tier` counts against this budget."""
  return not self.tier or self.tier == tier

 def label(self) -> str:
  """`monthly budget $100.00`."""
  return f"{self.name} {format_usd_auto(self.limit_units)}"


@dataclass(frozen=True, slots=True)
class BudgetSettings:
 """A project's budgets and how their periods and alerts work."""

 limits: tuple[Budget, ...] = ()
 time_zone: str = "local"
 week_start: int = 0
 alert_command: str = ""
 alert_webhook: str = ""
 alert_timeout_s: float = 10.0

 @property
 def tz(self) -> tzinfo | None:
  """The zone of the calendar periods (None: the machine's local time)."""
  return None if self.time_zone == "local" else _zone(self.time_zone, "budgets.time_zone")

 def find(self, key: str) -> Budget | None:
  """The budget named `key` (`monthly`, `Tier 3 run`), or None."""
  return next((budget for budget in self.limits if budget.key == key), None)

 def with_budget(self, budget: Budget) -> BudgetSettings:
  """A copy where `budget` replaces the one with its key (or is added, in period order)."""
  kept = [b for b in self.limits if b.key != budget.key]
  return replace(self, limits=tuple(sorted([*kept, budget], key=_display_order)))

 def without(self, key: str) -> BudgetSettings:
  """A copy without the budget named `key` (BudgetError when there is none)."""
  if self.find(key) is None:
   raise BudgetError(f"no {key} budget (budgets: {', '.join(b.key for b in self.limits) or 'none'})")
  return replace(self, limits=tuple(b for b in self.limits if b.key != key))


def _display_order(budget: Budget) -> tuple[int, str]:
 return list(BUDGET_PERIODS).index(budget.period), budget.tier


def budget_key(period: str, tier: str = "") -> str:
 """The key of the budget of `period` (and `tier`)."""
 return f"{tier} {period}" if tier else period


# Reading ----------------------------------------------------------------------------------------------------


def parse_budget_settings(table: Any, where: str) -> BudgetSettings:
 """The `[budgets]` table of a project file; BudgetError names `where` (the file) and the key."""
 if not isinstance(table, dict):
  raise BudgetError(f"{where}: budgets must be a table")
 _known(table, SETTINGS_KEYS, f"{where}: budgets")
 limits = table.get("limits", [])
 if not isinstance(limits, list):
  raise BudgetError(f"{where}: budgets.limits must be an array of tables ([[budgets.limits]])")
 budgets = tuple(parse_budget(raw, f"{where}: budgets.limits[{n}]") for n, raw in enumerate(limits))
 _unique(budgets, where)
 settings = BudgetSettings(
  limits=tuple(sorted(budgets, key=_display_order)),
  time_zone=_time_zone(table.get("time_zone", "local"), f"{where}: budgets.time_zone"),
  week_start=parse_week_start(table.get("week_start", "monday"), f"{where}: budgets.week_start"),
  alert_command=_text(table, "alert_command", f"{where}: budgets"),
  alert_webhook=_webhook(_text(table, "alert_webhook", f"{where}: budgets"), f"{where}: budgets.alert_webhook"),
  alert_timeout_s=_timeout(table.get("alert_timeout_s", 10), f"{where}: budgets.alert_timeout_s"),
 )
 return settings


def parse_budget(raw: Any, where: str) -> Budget:
 """One `[[budgets.limits]]` entry."""
 if not isinstance(raw, dict):
  raise BudgetError(f"{where}: must be a table")
 _known(raw, LIMIT_KEYS, where)
 if "limit_usd" not in raw:
  raise BudgetError(f"{where}.limit_usd: missing (the limit in dollars, e.g. limit_usd = 100)")
 return Budget(
  period=_choice(raw.get("period"), tuple(BUDGET_PERIODS), f"{where}.period"),
  limit_units=parse_limit(raw["limit_usd"], f"{where}.limit_usd"),
  alert_pct=parse_alert_at(raw.get("alert_at", "80%"), f"{where}.alert_at"),
  action=_choice(raw.get("action", "pause"), ACTIONS, f"{where}.action"),
  tier=_tier(raw.get("tier", ""), f"{where}.tier"),
 )


def parse_limit(value: Any, where: str) -> int:
 """A limit in dollars (a number or a numeric string like "100.00") as exact units."""
 amount = _decimal(value, where)
 if not amount.is_finite() or not 0 < amount <= MAX_LIMIT_USD:
  raise BudgetError(f"{where}: expected an amount of dollars above 0 and at most {MAX_LIMIT_USD:,}, got {value!r}")
 return usd_to_units(amount)


def _decimal(value: Any, where: str) -> Decimal:
 if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
  raise BudgetError(f"{where}: expected an amount of dollars, got {value!r}")
 try:
  return Decimal(str(value).strip().lstrip("$").replace(",", "")) if not isinstance(value, Decimal) else value
 except InvalidOperation:
  raise BudgetError(f"{where}: expected an amount of dollars, got {value!r}") from None


def parse_alert_at(value: Any, where: str) -> Decimal:
 """`80%`, `"80"` or 80: the share of the limit at which to alert, in percent (above 0, at most 100)."""
 text = str(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else ""
 match = _PERCENT.match(text)
 percent = Decimal(match.group(1)) if match else Decimal(-1)
 if not 0 < percent <= 100:
  raise BudgetError(f'{where}: expected a percentage above 0 and at most 100 (e.g. "80%"), got {value!r}')
 return percent


def parse_week_start(value: Any, where: str) -> int:
 """`monday` .. `sunday` as 0 .. 6."""
 day = value.strip().lower() if isinstance(value, str) else value
 if day not in WEEKDAYS:
  raise BudgetError(f"{where}: expected a weekday ({', '.join(WEEKDAYS)}), got {value!r}")
 return WEEKDAYS.index(day)


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
 if value not in choices:
  raise BudgetError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
 return value


def _tier(value: Any, where: str) -> str:
 if value not in ("", *TIER_NAMES):
  raise BudgetError(f"{where}: expected one of {', '.join(TIER_NAMES)}, got {value!r}")
 return value


def _known(table: dict, keys: frozenset[str], where: str) -> None:
 unknown = set(table) - keys
 if unknown:
  raise BudgetError(f"{where}.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(keys))})")


def _unique(budgets: tuple[Budget, ...], where: str) -> None:
 keys = [budget.key for budget in budgets]
 twice = sorted({key for key in keys if keys.count(key) > 1})
 if twice:
  raise BudgetError(f"{where}: budgets.limits: two {twice[0]} budgets (keep one per period and tier)")


def _text(table: dict, key: str, where: str) -> str:
 value = table.get(key, "")
 if not isinstance(value, str):
  raise BudgetError(f"{where}.{key}: expected a string, got {value!r}")
 return value.strip()


def _webhook(url: str, where: str) -> str:
 if url and not url.startswith(("http://", "https://")):
  raise BudgetError(f"{where}: expected an http:// or https:// URL, got {url!r}")
 return url


def _timeout(value: Any, where: str) -> float:
 if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 300:
  raise BudgetError(f"{where}: expected seconds above 0 and at most 300, got {value!r}")
 return float(value)


def _time_zone(value: Any, where: str) -> str:
 if not isinstance(value, str) or not value.strip():
  raise BudgetError(f'{where}: expected "local" or a time zone name like "Europe/Berlin", got {value!r}')
 name = value.strip()
 if name != "local":
  _zone(name, where)
 return name


def _zone(name: str, where: str) -> tzinfo:
 from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only when a zone is named

 try:
  return ZoneInfo(name)
 except (ZoneInfoNotFoundError, ValueError):
  raise BudgetError(f'{where}: {name!r} is not a time zone (use "local" or a name like "Europe/Berlin")') from None


def load_budget_settings(path: Path) -> BudgetSettings:
 """The `[budgets]` of the project file at `path` (no file or no table: no budgets)."""
 data = read_toml(path, BudgetError) or {}
 return parse_budget_settings(data.get("budgets", {}), str(path))


# Writing ----------------------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[")
_BUDGET_HEADER = re.compile(r"^\s*\[\[?\s*budgets(\s*\.\s*limits)?\s*\]\]?\s*(#.*)?$")


def settings_toml(settings: BudgetSettings) -> str:
 """The `[budgets]` table and its `[[budgets.limits]]` as TOML text (what `save_budget_settings` writes)."""
 lines = [
  "[budgets]",
  f"time_zone = {toml_string(settings.time_zone)}",
  f'week_start = "{WEEKDAYS[settings.week_start]}"',
 ]
 lines += [
  f"alert_command = {toml_string(settings.alert_command)}",
  f"alert_webhook = {toml_string(settings.alert_webhook)}",
 ]
 lines.append(f"alert_timeout_s = {settings.alert_timeout_s:g}")
 for budget in settings.limits:
  lines += ["", "[[budgets.limits]]", f'period = "{budget.period}"', f"limit_usd = {_amount(budget.limit_units)}"]
  lines += [f'alert_at = "{_percent(budget.alert_pct)}%"', f'action = "{budget.action}"']
  lines += [f'tier = "{budget.tier}"'] if budget.tier else []
 return "\n".join(lines) + "\n"


def _amount(units: int) -> str:
 text = format(units_to_decimal(units).normalize(), "f")
 return f'"{text}"' if units % (UNITS_PER_USD // 100) else text


def _percent(value: Decimal) -> str:
 return format(value.normalize(), "f")


def with_budget_text(text: str, settings: BudgetSettings) -> str:
 """`text` (a project file) with its budget tables replaced by `settings`; every other line is kept as written."""
 kept, skipping = [], False
 for line in text.splitlines():
  if _HEADER.match(line):
   skipping = bool(_BUDGET_HEADER.match(line))
  if not skipping:
   kept.append(line)
 body = "\n".join(kept).rstrip("\n")
 return (body + "\n\n" if body else "") + settings_toml(settings)


def save_budget_settings(path: Path, settings: BudgetSettings) -> None:
 """Write `settings` into the project file at `path`, keeping all else; the result is read back and checked
 before it replaces the file (atomically), so a failure leaves the file as it was."""
 edit_toml_file(
  path,
  lambda text: with_budget_text(text, settings),
  lambda data: parse_budget_settings(data.get("budgets", {}), str(path)) == settings,
  "the budgets",
  BudgetError,
 )


# The pre-call estimate --------------------------------------------------------------------------------------

CHARS_PER_TOKEN = 3  # below the ~4 of English text: an estimate that errs high holds a call back, never lets it slip
MESSAGE_OVERHEAD_TOKENS = 16  # role markers and framing every request adds


def prompt_tokens_estimate(*texts: str) -> int:
 """Input tokens of a request made of `texts`, estimated from their characters (rounded up)."""
 return math.ceil(sum(len(text) for text in texts) / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS


def call_estimate_units(book: Any, model: str, prompt_tokens: int, max_tokens: int) -> int | None:
 """The most a call may cost before it is sent: its prompt at the model's input price (in the context tier the
 prompt falls in) plus `max_tokens` at its output price, exact; None when the model has no price."""
 from .usage import MAX_CALL_TOKENS, Usage

 usage = Usage(input_tokens=min(prompt_tokens, MAX_CALL_TOKENS), output_tokens=min(max_tokens, MAX_CALL_TOKENS))
 return book.cost_units(model, usage)
