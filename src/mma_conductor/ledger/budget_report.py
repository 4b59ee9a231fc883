"""Where each budget stands, as `mma-conductor costs budget` and the local API's `/budgets` show it.

From the ledger (`ledger_statuses`): a calendar budget's spend is what the ledger recorded in its current period
(in the budgets' time zone and week start); a per-run budget's is what the most recent run spent. The running app
gives the budget guard's live statuses instead (with what calls in flight have reserved); both become the same
JSON (`budgets_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..pricing.budget_guard import BudgetStatus
from ..pricing.budgets import WEEKDAYS, Budget, BudgetSettings
from ..pricing.calendar import period_bounds
from ..pricing.money import units_to_decimal
from .periods import iso_utc
from .queries import CallFilter, exact_usd, spent_between, summarize
from .store import Ledger


@dataclass(frozen=True, slots=True)
class BudgetRow:
 """A budget's status and, for a per-run budget, the run its spend is of ("" when there was none)."""

 status: BudgetStatus
 run_id: str = ""


def latest_run(ledger: Ledger) -> str:
 """The run with the most recent recorded call ("" when there is none)."""
 with ledger.reading() as conn:
  row = conn.execute("SELECT run_id FROM run_costs ORDER BY last_us DESC, run_id LIMIT 1").fetchone()
 return row[0] if row else ""


def run_spent(ledger: Ledger, run_id: str, tier: str = "") -> int:
 """What run `run_id` spent (of `tier`, or of all tiers when "")."""
 return summarize(ledger, None, CallFilter(run_id=run_id, tier=tier or None)).total.cost_units


def ledger_row(ledger: Ledger, settings: BudgetSettings, budget: Budget, now_us: int, run_id: str) -> BudgetRow:
 """One budget's status from the ledger alone (nothing in flight)."""
 period = budget.calendar_period
 if period is None:
  used = run_spent(ledger, run_id, budget.tier) if run_id else 0
  return BudgetRow(BudgetStatus(budget, used, 0, None, None), run_id)
 start, end = period_bounds(period, now_us, settings.tz, settings.week_start)
 return BudgetRow(BudgetStatus(budget, spent_between(ledger, start, end, budget.tier), 0, start, end))


def ledger_rows(ledger: Ledger, settings: BudgetSettings, now_us: int) -> list[BudgetRow]:
 """Every budget's status from the ledger, in the settings' order."""
 run_id = latest_run(ledger) if any(b.period == "run" for b in settings.limits) else ""
 return [ledger_row(ledger, settings, budget, now_us, run_id) for budget in settings.limits]


def _money(prefix: str, units: int) -> dict[str, Any]:
 return {f"{prefix}_usd": exact_usd(units), prefix: float(units_to_decimal(units))}


def budget_json(row: BudgetRow, now_us: int) -> dict[str, Any]:
 """One budget as JSON: exact decimal strings (`*_usd`) and floats, its state and when it resets."""
 status, budget = row.status, row.status.budget
 out: dict[str, Any] = {"key": budget.key, "name": budget.name, "period": budget.period, "tier": budget.tier}
 out |= _money("limit", budget.limit_units) | _money("used", status.used_units) | _money("left", status.left_units)
 out |= _money("reserved_in_flight", status.reserved_units)
 out["percent"] = round(status.percent, 2)
 out["alert_at"] = f"{budget.alert_pct.normalize():f}%"
 out["alert_at_percent"] = float(budget.alert_pct)
 out |= {"action": budget.action, "state": status.state, "allowance": status.allowance}
 out["period_start"] = None if status.period_start_us is None else iso_utc(status.period_start_us)
 out["resets_at"] = None if status.resets_us is None else iso_utc(status.resets_us)
 out["resets"] = status.resets_text(now_us)
 if budget.period == "run":
  out["run_id"] = row.run_id or None
 return out


def budgets_json(settings: BudgetSettings, rows: list[BudgetRow], now_us: int, source: str) -> dict[str, Any]:
 """The whole report: the budgets' time zone and week start, where the figures come from, every budget."""
 return {
  "time_zone": settings.time_zone,
  "week_start": WEEKDAYS[settings.week_start],
  "source": source,
  "budgets": [budget_json(row, now_us) for row in rows],
 }
