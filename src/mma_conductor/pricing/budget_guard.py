"""The budget guard: every call reserves its estimate against each budget it counts for before it is sent,
settles to its real cost when the reply arrives, and releases the reservation when it fails unbilled.

A call whose estimate would take a budget past its limit (spent + reserved by calls in flight + this estimate)
is held back: the guard answers with a `BudgetHold` naming the tightest such budget, and the engine pauses or
stops the run as that budget says. Calls in flight are accounted for by their reservations, so parallel workers
cannot together spend past a limit by more than what their calls cost above their estimates.

Spend of a calendar period starts from what the ledger recorded (`spent`, given by the app), so it survives
restarts and counts headless runs; the guard adds what it settles. Alerts (the alert threshold and the limit)
are reported once per budget, period and threshold by this guard; the app also remembers them in the ledger so
that a restart does not repeat them.

Thread-safe: the engine reserves and settles on its thread, the GUI allows calls and changes limits on its own.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .budgets import Budget, BudgetSettings
from .calendar import period_bounds, to_us
from .money import format_usd_auto

Spent = Callable[[Budget, int, int], int]  # (budget, start_us, end_us) -> units recorded in [start, end)
LIMIT_PCT = Decimal(100)
_STATE_ORDER = {"ok": 0, "alert": 1, "limit": 2}


@dataclass(frozen=True, slots=True)
class BudgetStatus:
 """Where one budget stands now."""

 budget: Budget
 used_units: int
 reserved_units: int
 period_start_us: int | None  # None for a per-run budget
 resets_us: int | None  # when the period ends (None: at the next run)
 allowance: str = ""  # "once": the next held call may go; "run": not held again this run

 @property
 def left_units(self) -> int:
  """What may still be spent (never below 0)."""
  return max(0, self.budget.limit_units - self.used_units)

 @property
 def percent(self) -> float:
  """Spent as a share of the limit, in percent (display only)."""
  return self.used_units * 100 / self.budget.limit_units

 @property
 def state(self) -> str:
  """`ok`, `alert` (past the alert threshold) or `limit` (at or past the limit)."""
  if self.used_units >= self.budget.limit_units:
   return "limit"
  return "alert" if self.used_units >= self.budget.alert_units else "ok"

 def line(self, now_us: int | None = None) -> str:
  """`monthly budget $100.00: $98.40 used (98%), $1.60 left; resets in 9 days`."""
  used, left = format_usd_auto(self.used_units), format_usd_auto(self.left_units)
  return f"{self.budget.label()}: {used} used ({self.percent:.0f}%), {left} left; {self.resets_text(now_us)}"

 def resets_text(self, now_us: int | None = None) -> str:
  """`resets in 9 days`, `resets in 3 h`, `resets at the next run`."""
  return resets_text(self.resets_us, now_us)


@dataclass(frozen=True, slots=True)
class BudgetHold:
 """A call the guard held back: the budget it would cross and the figures that say so."""

 budget: Budget
 used_units: int
 reserved_units: int
 estimate_units: int
 what: str  # the call: "Tier 3 T-003 on claude-sonnet-4-5"
 resets_us: int | None

 def message(self, now_us: int | None = None) -> str:
  """`monthly budget $100.00: $98.40 used, this call may cost up to $2.10; resets in 9 days`."""
  used = format_usd_auto(self.used_units)
  flying = f" (+{format_usd_auto(self.reserved_units)} in flight)" if self.reserved_units else ""
  estimate = format_usd_auto(self.estimate_units)
  text = f"{self.budget.label()}: {used} used{flying}, this call may cost up to {estimate}"
  return f"{text}; {resets_text(self.resets_us, now_us)}"


@dataclass(frozen=True, slots=True)
class BudgetAlert:
 """A budget passed its alert threshold or its limit (reported once per budget, period and threshold)."""

 budget: Budget
 threshold_pct: Decimal
 period: str  # the period's start (epoch microseconds, as text) or the run's id: with the key, what makes it once
 used_units: int
 resets_us: int | None

 @property
 def at_limit(self) -> bool:
  """Whether this is the limit's alert (not the earlier threshold's)."""
  return self.threshold_pct >= LIMIT_PCT

 def message(self, now_us: int | None = None) -> str:
  """`monthly budget passed 80%: $80.12 of $100.00 used; resets in 9 days`."""
  return f"{self.headline()}; {resets_text(self.resets_us, now_us)}"

 def headline(self) -> str:
  """`monthly budget passed 80%: $80.12 of $100.00 used` (amounts below $1 keep their significant digits)."""
  what = "reached its limit" if self.at_limit else f"passed {self.threshold_pct.normalize():f}%"
  used, limit = format_usd_auto(self.used_units), format_usd_auto(self.budget.limit_units)
  return f"{self.budget.name} {what}: {used} of {limit} used"


def resets_text(resets_us: int | None, now_us: int | None = None) -> str:
 """`resets in 9 days` / `resets in 5 h` / `resets in 12 min` / `resets at the next run`."""
 if resets_us is None:
  return "resets at the next run"
 left_s = max(0, resets_us - (now_us if now_us is not None else to_us(time.time()))) // 1_000_000
 for unit_s, unit in ((86_400, "days"), (3600, "h"), (60, "min")):
  if left_s >= 2 * unit_s or unit_s == 60:
   return f"resets in {max(1, left_s // unit_s)} {unit}"
 return "resets soon"  # unreachable: the minutes line always answers


@dataclass(eq=False, slots=True)
class Reservation:
 """A call's estimate, held against the budgets it counts for until the call settles or is released."""

 id: int
 tier: str
 units: int
 keys: tuple[str, ...]
 open: bool = True


NO_RESERVATION = Reservation(0, "", 0, (), open=False)


@dataclass(slots=True)
class _Account:
 budget: Budget
 period: str = ""
 start_us: int | None = None
 end_us: int | None = None
 used: int = 0
 reserved: int = 0
 allowance: str = ""
 fired: set[Decimal] = field(default_factory=set)


class BudgetGuard:
 """Reserves, settles and releases calls against a project's budgets (see the module docstring)."""

 def __init__(
  self,
  settings: BudgetSettings,
  *,
  spent: Spent | None = None,
  clock: Callable[[], float] = time.time,
  count_simulated: bool = True,
  on_change: Callable[[], None] | None = None,
 ) -> None:
  self._settings = settings
  self._spent = spent or (lambda budget, start, end: 0)
  self._clock = clock
  self.count_simulated = count_simulated
  self.on_change = on_change
  self._lock = threading.RLock()
  self._ids = itertools.count(1)
  self._run_id = ""
  self._accounts: dict[str, _Account] = {b.key: _Account(b) for b in settings.limits}
  self.version = 0

 @property
 def settings(self) -> BudgetSettings:
  """The budgets in force."""
  return self._settings

 @property
 def active(self) -> bool:
  """Whether any budget is set."""
  return bool(self._accounts)

 # Runs and settings ---------------------------------------------------------------------------------------

 def begin_run(self, run_id: str) -> list[BudgetAlert]:
  """A run starts: per-run budgets count from zero, calendar budgets re-read what the ledger recorded, allowances
  end. Returns the alerts already due (e.g. a month that is past its alert threshold)."""
  with self._lock:
   self._run_id = run_id
   now = self._now()
   for account in self._accounts.values():
    account.allowance = ""
    self._refresh(account, now, force=True)
   alerts = self._due_alerts(self._accounts.values())
  self._changed()
  return alerts

 def update_settings(self, settings: BudgetSettings) -> None:
  """New budgets or limits (the user raised a limit, added or removed a budget), or a ledger attached: spend
  is re-read from the ledger, and what this guard settled that the ledger does not hold yet is kept."""
  with self._lock:
   old = self._accounts
   self._settings = settings
   self._accounts = {b.key: _carried(old.get(b.key), b) for b in settings.limits}
   now = self._now()
   for account in self._accounts.values():
    self._refresh(account, now, force=True)  # re-read: the ledger may be attached (or changed) since
  self._changed()

 def allow_once(self, key: str) -> None:
  """Let the next call that this budget would hold go through (the user's "allow this one call")."""
  self._allow(key, "once")

 def allow_run(self, key: str) -> None:
  """Stop holding calls on this budget until the run ends (the user's "allow this run")."""
  self._allow(key, "run")

 def _allow(self, key: str, allowance: str) -> None:
  with self._lock:
   if key not in self._accounts:
    raise KeyError(f"no {key} budget")
   self._accounts[key].allowance = allowance
  self._changed()

 # Calls ---------------------------------------------------------------------------------------------------

 def reserve(self, tier: str, estimate_units: int, what: str = "") -> Reservation | BudgetHold:
  """Reserve `estimate_units` against every budget that counts `tier`'s calls, or hold the call back when that
  would take a pause or stop budget past its limit (the tightest such budget decides)."""
  with self._lock:
   accounts = self._counting(tier)
   hold = self._hold(accounts, estimate_units, what)
   if hold is not None:
    return hold
   for account in accounts:
    account.reserved += estimate_units
   reservation = Reservation(next(self._ids), tier, estimate_units, tuple(a.budget.key for a in accounts))
  self._changed()
  return reservation

 def settle(self, reservation: Reservation, cost_units: int | None) -> list[BudgetAlert]:
  """The call's reply arrived: replace its estimate by what it cost (None: unpriced, counted as 0). Returns
  the alerts it triggered."""
  with self._lock:
   accounts = self._close(reservation)
   for account in accounts:
    account.used += cost_units or 0
   alerts = self._due_alerts(accounts)
  self._changed()
  return alerts

 def release(self, reservation: Reservation) -> None:
  """The call failed before it was billed (or never was sent): drop its reservation. Safe to call twice."""
  with self._lock:
   self._close(reservation)
  self._changed()

 def statuses(self) -> tuple[BudgetStatus, ...]:
  """Every budget's figures now, in the order of the settings."""
  with self._lock:
   now = self._now()
   return tuple(self._status(self._refreshed(account, now)) for account in self._accounts.values())

 # Internals -----------------------------------------------------------------------------------------------

 def _now(self) -> int:
  return to_us(self._clock())

 def _counting(self, tier: str) -> list[_Account]:
  now = self._now()
  return [self._refreshed(a, now) for a in self._accounts.values() if a.budget.counts(tier)]

 def _refreshed(self, account: _Account, now: int) -> _Account:
  self._refresh(account, now, force=False)
  return account

 def _refresh(self, account: _Account, now: int, *, force: bool) -> None:
  """Move a calendar account into the period containing `now` (from the ledger), or a run account to this run."""
  period = account.budget.calendar_period
  if period is None:
   _to_run(account, self._run_id)
   return
  if force or account.end_us is None or now >= account.end_us:
   start, end = period_bounds(period, now, self._settings.tz, self._settings.week_start)
   recorded = self._spent(account.budget, start, end)
   # The same period re-read keeps what this guard settled that the ledger may not hold yet (a write still
   # queued, a read-only ledger): the larger of the two is the spend.
   account.used = max(account.used, recorded) if account.start_us == start else recorded
   account.fired = account.fired if account.start_us == start else set()
   account.start_us, account.end_us, account.period = start, end, str(start)

 def _hold(self, accounts: list[_Account], estimate: int, what: str) -> BudgetHold | None:
  held = [a for a in accounts if a.allowance != "run" and _would_cross(a, estimate)]
  blocking = [a for a in held if a.allowance != "once"]
  if not blocking:
   for account in held:  # each "allow this one call" lets exactly one call through
    account.allowance = ""
   return None
  tightest = min(blocking, key=lambda a: (a.budget.limit_units - a.used - a.reserved, a.budget.action != "stop"))
  return BudgetHold(tightest.budget, tightest.used, tightest.reserved, estimate, what, tightest.end_us)

 def _close(self, reservation: Reservation) -> list[_Account]:
  if not reservation.open:
   return []
  reservation.open = False
  accounts = [self._accounts[key] for key in reservation.keys if key in self._accounts]
  for account in accounts:
   account.reserved = max(0, account.reserved - reservation.units)
  now = self._now()
  return [self._refreshed(account, now) for account in accounts]

 def _due_alerts(self, accounts) -> list[BudgetAlert]:
  alerts = []
  for account in accounts:
   for threshold, units in _thresholds(account.budget):
    if account.used >= units and threshold not in account.fired:
     account.fired.add(threshold)
     alerts.append(BudgetAlert(account.budget, threshold, account.period, account.used, account.end_us))
  return alerts

 def _status(self, account: _Account) -> BudgetStatus:
  return BudgetStatus(
   account.budget, account.used, account.reserved, account.start_us, account.end_us, account.allowance
  )

 def _changed(self) -> None:
  self.version += 1
  if self.on_change is not None:
   self.on_change()


def _would_cross(account: _Account, estimate: int) -> bool:
 budget = account.budget
 return budget.action != "warn" and account.used + account.reserved + estimate > budget.limit_units


def _thresholds(budget: Budget) -> list[tuple[Decimal, int]]:
 pairs = [(budget.alert_pct, budget.alert_units), (LIMIT_PCT, budget.limit_units)]
 return pairs if budget.alert_pct < LIMIT_PCT else pairs[1:]


def _to_run(account: _Account, run_id: str) -> None:
 if account.period != run_id:
  account.period, account.used, account.fired = run_id, 0, set()


def _carried(old: _Account | None, budget: Budget) -> _Account:
 if old is None:
  return _Account(budget)
 raised = budget.limit_units != old.budget.limit_units or budget.alert_pct != old.budget.alert_pct
 # A new limit or threshold alerts afresh; the allowance given for the old limit stays until the run ends.
 fired = set() if raised else old.fired
 return _Account(budget, old.period, old.start_us, old.end_us, old.used, old.reserved, old.allowance, fired)


def worst_state(statuses: tuple[BudgetStatus, ...] | list[BudgetStatus]) -> str:
 """The most serious state among `statuses`: `limit`, `alert`, `ok` (no budgets: `ok`)."""
 return max((s.state for s in statuses), key=_STATE_ORDER.__getitem__, default="ok")
