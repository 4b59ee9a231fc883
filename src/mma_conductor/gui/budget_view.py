"""Budget figures as the GUI shows them: bars, the status badge, the hold dialog's lines and alert toasts.

Everything here is text and numbers built once per change (the controller's budget_version, and the minute for
"resets in"), never per frame; no imgui import, so the strings are testable on their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ..pricing.budget_guard import BudgetAlert, BudgetHold, BudgetStatus, resets_text, worst_state
from ..pricing.budgets import Budget
from ..pricing.money import UNITS_PER_USD, format_usd, format_usd_auto

NO_BUDGETS_HINT = "no budgets: add one in mma_conductor.toml or with `mma-conductor costs budget set`"
BADGE_TEXT = {"ok": "Budgets OK", "alert": "Budget alert", "limit": "Budget limit reached"}
HELD_BADGE = "Paused by a budget"
PERIOD_WORDS = {"daily": "today", "weekly": "this week", "monthly": "this month", "run": "this run"}
RAISE_FACTOR = Decimal("1.5")  # the raise dialog's suggestion: the limit plus half
CENT = UNITS_PER_USD // 100


@dataclass(frozen=True, slots=True)
class BudgetBar:
 """One budget's bar: the used and reserved shares of its limit (0..1), its state and its texts."""

 key: str
 label: str
 used: float
 reserved: float
 state: str
 tooltip: str


@dataclass(frozen=True, slots=True)
class BudgetView:
 """The bars, the status badge (`badge` is "" when no budget is set) and what a paused run waits on."""

 bars: tuple[BudgetBar, ...] = ()
 badge: str = ""
 badge_state: str = "ok"
 badge_tooltip: str = ""
 held_line: str = ""  # "Paused by the per-run budget": shown under the bars while a budget holds the run


EMPTY_BUDGET_VIEW = BudgetView()


def money(units: int, scale_units: int) -> str:
 """Dollars with cents when the budget (`scale_units`) is a dollar or more, else finer (tiny test budgets)."""
 return format_usd(units, 2) if scale_units >= UNITS_PER_USD else format_usd_auto(units)


def bar_label(status: BudgetStatus, now_us: int | None = None) -> str:
 """`monthly $42.10 / $100.00 (42%) - resets in 9 days`."""
 limit = status.budget.limit_units
 spent = f"{money(status.used_units, limit)} / {money(limit, limit)} ({status.percent:.0f}%)"
 return f"{short_name(status.budget)} {spent} - {status.resets_text(now_us)}"


def short_name(budget: Budget) -> str:
 """`monthly`, `Tier 3 per-run`: the budget's key, with "run" said as a person would."""
 period = "per-run" if budget.period == "run" else budget.period
 return f"{budget.tier} {period}" if budget.tier else period


def bar_tooltip(status: BudgetStatus, now_us: int | None = None) -> str:
 """The status line, what calls in flight have reserved, what happens at the limit and any allowance."""
 budget, limit = status.budget, status.budget.limit_units
 lines = [status.line(now_us), f"alert at {budget.alert_pct.normalize():f}%, at the limit: {budget.action}"]
 if status.reserved_units:
  lines.append(f"{money(status.reserved_units, limit)} reserved by calls in flight")
 if status.allowance:
  lines.append("allowed: " + ("the next held call" if status.allowance == "once" else "all calls this run"))
 return "\n".join(lines)


def build_budget_bar(status: BudgetStatus, now_us: int | None = None) -> BudgetBar:
 """The bar of one budget."""
 limit = status.budget.limit_units
 used = min(1.0, status.used_units / limit)
 reserved = min(1.0 - used, status.reserved_units / limit)
 return BudgetBar(
  status.budget.key, bar_label(status, now_us), used, reserved, status.state, bar_tooltip(status, now_us)
 )


def build_budget_view(
 statuses: tuple[BudgetStatus, ...], hold: BudgetHold | None, now_us: int | None = None
) -> BudgetView:
 """Bars and badge for `statuses`; the badge says so while `hold` pauses the run."""
 if not statuses:
  return EMPTY_BUDGET_VIEW
 state = worst_state(statuses)
 badge, held_line = BADGE_TEXT[state], ""
 if hold is not None:
  state, badge = "limit", HELD_BADGE
  held_line = f"Paused by the {hold.budget.name}: {hold.what or 'a call'} is held back"
 tooltip = "\n".join(status.line(now_us) for status in statuses)
 return BudgetView(tuple(build_budget_bar(s, now_us) for s in statuses), badge, state, tooltip, held_line)


@dataclass(frozen=True, slots=True)
class HoldView:
 """The hold dialog's texts: which budget, its figures, the held call, when it resets, and the new limit
 suggested for "Raise the limit" (dollars as typed, and the least that lets the held call through)."""

 key: str
 title: str
 lines: tuple[tuple[str, str], ...]
 suggested_limit: str
 needed_units: int


def build_hold_view(hold: BudgetHold, now_us: int | None = None) -> HoldView:
 """What the dialog shows for the run paused on `hold`."""
 budget, limit = hold.budget, hold.budget.limit_units
 flying = f" (+{money(hold.reserved_units, limit)} reserved by calls in flight)" if hold.reserved_units else ""
 needed = hold.used_units + hold.reserved_units + hold.estimate_units
 lines = (
  ("Budget", f"{budget.name} ({'all tiers' if not budget.tier else budget.tier + ' calls only'})"),
  ("Period", PERIOD_WORDS[budget.period]),
  ("Used", f"{money(hold.used_units, limit)} of {money(limit, limit)}{flying}"),
  ("Held call", f"{hold.what or 'the next call'}, may cost up to {money(hold.estimate_units, limit)}"),
  ("Resets", resets_text(hold.resets_us, now_us).removeprefix("resets ")),
 )
 title = f"The {budget.name} holds back the next call: the run is paused"
 return HoldView(budget.key, title, lines, suggested_limit(budget, needed), needed)


def suggested_limit(budget: Budget, needed_units: int) -> str:
 """The limit plus half, or what the held call needs if that is more, rounded up to the cent, as dollars."""
 raised = int(budget.limit_units * RAISE_FACTOR)
 cents = math.ceil(max(raised, needed_units) / CENT)
 return f"{cents // 100}.{cents % 100:02d}" if cents % 100 else str(cents // 100)


def alert_text(alert: BudgetAlert, now_us: int | None = None) -> str:
 """A toast's text: `Budget alert: monthly budget $100.00 passed 80%: $80.12 used; resets in 9 days`."""
 budget, limit = alert.budget, alert.budget.limit_units
 what = "reached its limit" if alert.at_limit else f"passed {alert.threshold_pct.normalize():f}%"
 kind = "limit" if alert.at_limit else "alert"
 used, resets = money(alert.used_units, limit), resets_text(alert.resets_us, now_us)
 return f"Budget {kind}: {budget.name} {money(limit, limit)} {what}: {used} used; {resets}"
