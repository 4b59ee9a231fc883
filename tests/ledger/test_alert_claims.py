"""Delivered budget alerts in the ledger (schema version 6): claimed once per budget, period, threshold and limit,
across connections and processes; a version 5 file gains the table; the alert's line in costs.log."""

import sqlite3
import subprocess
import sys
from decimal import Decimal
from zoneinfo import ZoneInfo

from ledger_factory import DAY, MONDAY, USD, call

from mma_conductor.ledger.budget_alerts import alert_line, claim_alert, delivered_alerts, log_alert
from mma_conductor.ledger.milestones import last_logged_dollar
from mma_conductor.ledger.queries import all_time
from mma_conductor.ledger.schema import SCHEMA_VERSION
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.budget_guard import BudgetAlert
from mma_conductor.pricing.budgets import Budget

US = 1_000_000


def daily_alert(threshold=80, limit=10 * USD, used=8 * USD + USD // 100, day=MONDAY):
 budget = Budget("daily", limit, Decimal(80), "warn")
 return BudgetAlert(budget, Decimal(threshold), str(day * US), used, (day + DAY) * US)


def test_an_alert_is_claimed_once_per_budget_period_threshold_and_limit(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 with Ledger.open(path) as ledger, Ledger.open(path) as other:
  assert claim_alert(ledger, daily_alert(), 1) is True
  assert claim_alert(ledger, daily_alert(), 2) is False
  assert claim_alert(other, daily_alert(used=9 * USD), 3) is False  # another connection: already delivered
  assert claim_alert(other, daily_alert(threshold=100, used=10 * USD), 4) is True  # the limit's own alert
  assert claim_alert(other, daily_alert(day=MONDAY + DAY), 5) is True  # the next day is another period
  assert claim_alert(ledger, daily_alert(limit=20 * USD), 6) is True  # a raised limit alerts afresh
  assert delivered_alerts(ledger) == [
   ("daily", str(MONDAY * US), "80", 10 * USD, 8 * USD + USD // 100, 1),
   ("daily", str(MONDAY * US), "100", 10 * USD, 10 * USD, 4),
   ("daily", str((MONDAY + DAY) * US), "80", 10 * USD, 8 * USD + USD // 100, 5),
   ("daily", str(MONDAY * US), "80", 20 * USD, 8 * USD + USD // 100, 6),
  ]


def test_a_limit_beyond_sqlite_integers_is_kept_exactly(tmp_path):
 huge = 1_000_000_000 * USD  # $1e9, the largest limit a project may set: past 2^63 units
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  assert claim_alert(ledger, daily_alert(limit=huge, used=huge - 1), 1) is True
  assert delivered_alerts(ledger)[0][3:5] == (huge, huge - 1)


_CLAIMER = """
import sys
from decimal import Decimal
from mma_conductor.ledger.budget_alerts import claim_alert
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.budget_guard import BudgetAlert
from mma_conductor.pricing.budgets import Budget
sys.stdin.readline()  # start together
alert = BudgetAlert(Budget("monthly", 100 * 10**15), Decimal(80), "1767225600000000", 81 * 10**15, 1769904000000000)
with Ledger.open(sys.argv[1]) as ledger:
 print(claim_alert(ledger, alert, 1))
"""


def test_processes_claiming_the_same_alert_at_once_deliver_it_once(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 Ledger.open(path).close()
 workers = [
  subprocess.Popen(
   [sys.executable, "-c", _CLAIMER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
  )
  for _ in range(4)
 ]
 for worker in workers:
  worker.stdin.write("go\n")
  worker.stdin.flush()
 answers = sorted(worker.communicate(timeout=120)[0].strip() for worker in workers)
 assert answers == ["False", "False", "False", "True"]


def version_5_ledger(path):
 """A version 5 ledger: today's file without the table that version 6 added."""
 with Ledger.open(path) as ledger:
  ledger.record_calls([call(MONDAY + 10, 3 * USD, request_id="a"), call(MONDAY + 20, USD, request_id="b")])
 conn = sqlite3.connect(path, isolation_level=None)
 conn.execute("DROP TABLE budget_alerts")
 conn.execute("DROP TABLE tickets")  # added by version 7
 conn.execute("DROP TABLE ticket_costs")  # and these by version 8
 conn.execute("DROP TABLE tier_outcomes")
 conn.execute("DROP TABLE tier_outcome_totals")
 conn.execute("PRAGMA user_version = 5")
 before = conn.execute("SELECT * FROM calls ORDER BY id").fetchall()
 conn.close()
 return before


def test_a_version_5_ledger_gains_the_table_and_keeps_every_call(tmp_path):
 path = tmp_path / "v5.sqlite3"
 before = version_5_ledger(path)
 with Ledger.open(path) as ledger:
  conn = ledger.connection
  assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
  assert conn.execute("SELECT * FROM calls ORDER BY id").fetchall() == before
  assert all_time(ledger).cost_units == 4 * USD
  assert delivered_alerts(ledger) == []
  assert claim_alert(ledger, daily_alert(), 7) is True
  assert claim_alert(ledger, daily_alert(), 8) is False


def test_the_alert_line_names_time_budget_threshold_used_limit_and_period():
 at = MONDAY + 3600 + 5
 assert alert_line(daily_alert(), at) == (
  "2026-01-05T01:00:05Z Budget alert: daily budget passed 80%: $8.01 of $10.00 used; period 2026-01-05"
 )
 berlin = ZoneInfo("Europe/Berlin")
 start, end = 1_767_222_000 * US, 1_769_900_400 * US  # January 2026 in Berlin (UTC+1)
 monthly = BudgetAlert(Budget("monthly", 100 * USD, tier="Tier 3"), Decimal(100), str(start), 100 * USD + 1, end)
 assert alert_line(monthly, at, berlin) == (
  "2026-01-05T01:00:05Z Budget alert: Tier 3 monthly budget reached its limit: $100.00 of $100.00 used; "
  "period 2026-01-01 to 2026-01-31"
 )
 run = BudgetAlert(Budget("run", USD // 200), Decimal(80), "T-20260105-ab12", USD // 250, None)
 assert alert_line(run, at).endswith("per-run budget passed 80%: $0.0040 of $0.0050 used; run T-20260105-ab12")


def test_alert_lines_in_costs_log_do_not_disturb_the_milestones(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  ledger.record_calls([call(MONDAY, 2 * USD, request_id="a")])
  for threshold in (80, 100):
   log_alert(ledger, alert_line(daily_alert(threshold=threshold), MONDAY + 60))
  assert last_logged_dollar(ledger.milestone_log_path) == 2
  ledger.record_calls([call(MONDAY + 120, USD, request_id="b")])
  lines = ledger.milestone_log_path.read_text().splitlines()
 assert [line.split(" ", 1)[1][:30] for line in lines] == [
  "First dollar spent! Total: $1.",
  "Another $1 spent. Total: $2.00",
  "Budget alert: daily budget pas",
  "Budget alert: daily budget rea",
  "Another $1 spent. Total: $3.00",
 ]
