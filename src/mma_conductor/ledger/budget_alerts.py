"""Budget alerts in the ledger: which were delivered (`budget_alerts`, schema version 6), and their lines in
`costs.log` beside the milestones.

    2026-01-05T10:00:00Z Budget alert: daily budget passed 80%: $8.01 of $10.00 used; period 2026-01-05
    2026-01-20T09:12:44Z Budget alert: weekly budget passed 80%: $40.12 of $50.00 used; period 2026-01-19 to 2026-01-25

An alert is claimed before it is delivered: `claim_alert` inserts its row (budget, period, threshold, limit) with
INSERT OR IGNORE, and only the caller whose insert stored the row delivers it. So each alert is delivered once per
period across restarts and processes that share the ledger (see app/budget_alerts.py).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import tzinfo

from ..pricing.budget_guard import BudgetAlert
from ..pricing.calendar import to_datetime
from . import milestones
from .store import Ledger, LedgerError

_CLAIM = (
 "INSERT OR IGNORE INTO budget_alerts (budget_key, period, threshold, limit_units, used_units, fired_us) "
 "VALUES (?, ?, ?, ?, ?, ?)"
)


def claim_alert(ledger: Ledger, alert: BudgetAlert, fired_us: int) -> bool | None:
 """Record `alert` as delivered. True: this call recorded it (deliver it); False: it was delivered before (by this
 or another process); None: the ledger cannot remember it (read-only or damaged; deliver it once per process).
 Raises LedgerError when writing fails otherwise (e.g. locked beyond the busy timeout)."""
 if ledger.readonly or ledger.damage():
  return None
 budget = alert.budget
 row = (budget.key, alert.period, _percent(alert), str(budget.limit_units), str(alert.used_units), fired_us)
 with ledger.lock:
  try:
   stored = ledger.connection.execute(_CLAIM, row).rowcount
  except sqlite3.Error as exc:
   raise LedgerError(f"{ledger.path}: cannot record the budget alert: {exc}") from exc
 return stored == 1


def delivered_alerts(ledger: Ledger) -> list[tuple[str, str, str, int, int, int]]:
 """Every delivered alert: (budget key, period, threshold percent, limit units, used units, fired_us), oldest first."""
 with ledger.reading() as conn:
  rows = conn.execute(
   "SELECT budget_key, period, threshold, limit_units, used_units, fired_us FROM budget_alerts ORDER BY fired_us"
  ).fetchall()
 return [(key, period, threshold, int(limit), int(used), fired) for key, period, threshold, limit, used, fired in rows]


def alert_line(alert: BudgetAlert, at: float | None = None, tz: tzinfo | None = None) -> str:
 """The alert's `costs.log` line: UTC time stamp, budget, threshold, used of limit and period (dates in `tz`)."""
 stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))
 return f"{stamp} Budget alert: {alert.headline()}; {period_text(alert, tz)}"


def period_text(alert: BudgetAlert, tz: tzinfo | None = None) -> str:
 """`period 2026-01-05`, `period 2026-01-01 to 2026-01-31` (a calendar budget, dates in `tz`) or `run T-...`."""
 if alert.resets_us is None:
  return f"run {alert.period}"
 first = to_datetime(int(alert.period), tz).date()
 last = to_datetime(alert.resets_us - 1, tz).date()
 return f"period {first}" if first == last else f"period {first} to {last}"


def log_alert(ledger: Ledger, line: str) -> None:
 """Append `line` to `costs.log` beside the ledger (OSError naming the file when it cannot)."""
 path = ledger.milestone_log_path
 try:
  milestones.append_lines(path, [line])
 except OSError as exc:
  raise OSError(f"{path}: cannot write the budget alert line: {exc.strerror or exc}") from None


def _percent(alert: BudgetAlert) -> str:
 return f"{alert.threshold_pct.normalize():f}"
