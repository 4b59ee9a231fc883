"""costs.log: one line per whole dollar crossed, never twice for the same dollar, across restarts."""

import re

from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.store import Ledger

CENT = USD // 100


def lines(log):
 return [re.sub(r"^\S+Z ", "", line) for line in log.read_text().splitlines()] if log.exists() else []


def spend(ledger, *cents):
 return ledger.record_calls([call(MONDAY, c * CENT) for c in cents])


def test_first_and_further_dollars_once_each_across_restarts(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 log = tmp_path / "costs.log"
 with Ledger.open(path) as ledger:
  assert ledger.milestone_log_path == log
  assert spend(ledger, 60).milestone_lines == ()
  assert not log.exists()
  outcome = spend(ledger, 60)
  assert [line.split(" ", 1)[1] for line in outcome.milestone_lines] == ["First dollar spent! Total: $1.00"]
  spend(ledger, 100)
 assert lines(log) == ["First dollar spent! Total: $1.00", "Another $1 spent. Total: $2.00"]
 with Ledger.open(path) as ledger:
  spend(ledger, 50)  # $2.70: no new dollar
  assert lines(log) == ["First dollar spent! Total: $1.00", "Another $1 spent. Total: $2.00"]
  spend(ledger, 40)  # $3.10
 with Ledger.open(path) as ledger:
  spend(ledger, 1)
 assert lines(log) == [
  "First dollar spent! Total: $1.00",
  "Another $1 spent. Total: $2.00",
  "Another $1 spent. Total: $3.00",
 ]
 assert re.fullmatch(
  r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ First dollar spent! Total: \$1\.00", log.read_text().splitlines()[0]
 )


def test_a_crash_between_logging_and_recording_the_marker_does_not_repeat_lines(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  spend(ledger, 310)
  assert lines(ledger.milestone_log_path)[-1] == "Another $1 spent. Total: $3.00"
  # As if the process died after appending the lines but before recording that it had.
  ledger.connection.execute("UPDATE meta SET value = '0' WHERE key = 'milestone_logged'")
  spend(ledger, 100)
  assert lines(ledger.milestone_log_path) == [
   "First dollar spent! Total: $1.00",
   "Another $1 spent. Total: $2.00",
   "Another $1 spent. Total: $3.00",
   "Another $1 spent. Total: $4.00",
  ]


def test_a_deleted_log_is_not_refilled_with_old_dollars(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  spend(ledger, 250)
  ledger.milestone_log_path.unlink()
  spend(ledger, 30)
  assert not ledger.milestone_log_path.exists()
  spend(ledger, 30)
  assert lines(ledger.milestone_log_path) == ["Another $1 spent. Total: $3.00"]


def test_a_big_jump_is_one_line(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  spend(ledger, 25_050)
  spend(ledger, 100)
  assert lines(ledger.milestone_log_path) == ["Another $250 spent. Total: $250.00", "Another $1 spent. Total: $251.00"]


def test_an_unwritable_log_is_reported_and_the_calls_are_kept(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  ledger.milestone_log_path.mkdir()  # a folder where the log should be: appending fails
  outcome = spend(ledger, 150)
  assert outcome.stored == 1 and str(ledger.milestone_log_path) in outcome.warning
  assert ledger.total_units() == 150 * CENT
  ledger.milestone_log_path.rmdir()
  spend(ledger, 60)
  assert lines(ledger.milestone_log_path) == ["First dollar spent! Total: $1.00", "Another $1 spent. Total: $2.00"]


def test_milestones_can_be_turned_off(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3", milestones_enabled=False) as ledger:
  spend(ledger, 500)
  assert not ledger.milestone_log_path.exists()
