"""Damaged ledgers: a truncated or page-damaged file is never written, says so in one line with the path and
`costs repair`, and `costs repair` copies out every row that can still be read, with the real SQLite files."""

import contextlib
import shutil
import sqlite3
import threading

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.cli import main
from mma_conductor.ledger.queries import all_time, list_calls
from mma_conductor.ledger.store import Ledger, LedgerError, check_ledger, repair_ledger

CALLS = 3000


def build(path, calls=CALLS):
 with Ledger.open(path, milestones_enabled=False) as ledger:
  ledger.record_calls([call(MONDAY + i, USD + i, request_id=f"r{i}", session=f"s{i % 40}") for i in range(calls)])
  ledger.record_run("r1", "done", goal="ship it")
 return path


def truncated_with_wal(tmp_path):
 """A ledger cut in half while its write-ahead log still holds the last commits (a copy taken from a running app,
 a disk that filled up): SQLite opens it and sees the log's pages, but half of the file's pages are gone."""
 live = tmp_path / "live.sqlite3"
 with Ledger.open(live, milestones_enabled=False) as ledger:
  ledger.record_calls([call(MONDAY + i, USD, request_id=f"r{i}", session=f"s{i % 40}") for i in range(CALLS)])
  ledger.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
  ledger.record_calls([call(MONDAY + 5000 + i, USD, request_id=f"late{i}") for i in range(30)])
  path = tmp_path / "ledger.sqlite3"
  shutil.copyfile(live, path)
  shutil.copyfile(live.with_name("live.sqlite3-wal"), path.with_name("ledger.sqlite3-wal"))
 data = path.read_bytes()
 path.write_bytes(data[: len(data) // 2])
 return path


def page_damaged(path):
 """A ledger with garbage written over every other data page (page 1, the schema, stays readable)."""
 build(path)
 page = 16384
 data = bytearray(path.read_bytes())
 for offset in range(3 * page, len(data) - page, 6 * page):
  data[offset : offset + 64] = b"\xa5" * 64
 path.write_bytes(bytes(data))
 return path


def assert_one_line_naming(message, path):
 assert "\n" not in message and "Traceback" not in message
 assert str(path) in message and "damaged" in message and f"costs repair --ledger {path}" in message


def test_a_truncated_ledger_is_refused_for_writing_with_the_path_and_costs_repair(tmp_path):
 path = truncated_with_wal(tmp_path)
 before = path.read_bytes()
 with pytest.raises(LedgerError) as caught:
  Ledger.open(path)
 assert_one_line_naming(str(caught.value), path)
 assert "truncated" in str(caught.value)
 assert path.read_bytes() == before


def test_a_page_damaged_ledger_is_detected_and_never_written(tmp_path):
 path = page_damaged(tmp_path / "ledger.sqlite3")
 before = path.read_bytes()
 assert_one_line_naming(check_ledger(path), path)
 with Ledger.open(path) as ledger:
  assert_one_line_naming(ledger.damage(), path)
  with pytest.raises(LedgerError) as caught:
   ledger.record_calls([call(MONDAY + 9000, USD, request_id="new")])
  assert_one_line_naming(str(caught.value), path)
  with pytest.raises(LedgerError):
   ledger.record_run("r2", "running")
 assert path.read_bytes() == before


def test_a_report_checks_nothing_at_opening_but_its_first_write_is_still_refused(tmp_path):
 path = page_damaged(tmp_path / "ledger.sqlite3")
 before = path.read_bytes()
 with Ledger.open(path, check_at_open=False) as ledger:
  assert "ledger-check" not in [thread.name for thread in threading.enumerate()]  # no check beside the report
  with pytest.raises(LedgerError) as caught:
   ledger.record_calls([call(MONDAY + 9000, USD, request_id="new")])
  assert_one_line_naming(str(caught.value), path)
 assert path.read_bytes() == before


def test_a_sound_ledger_passes_the_check_and_repair_leaves_it_alone(tmp_path):
 path = build(tmp_path / "ledger.sqlite3", calls=50)
 before = path.read_bytes()
 assert check_ledger(path) == ""
 with Ledger.open(path) as ledger:
  assert ledger.damage() == ""
 report = repair_ledger(path)
 assert report.kept_as is None and path.read_bytes() == before
 assert not [p.name for p in tmp_path.iterdir() if "damaged" in p.name or "repaired" in p.name]


def readable_calls(path):
 """Every call row that a read-only connection can still read, one id at a time, and that is a valid row (a row read
 from a damaged page may come back with NULLs in NOT NULL columns or an impossible status: garbage, not a call).
 Independent of repair."""
 conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
 conn.execute("PRAGMA writable_schema = ON")
 columns = conn.execute("PRAGMA table_info(calls)").fetchall()
 required = [c[0] for c in columns if c[3]]
 request_id, cost, status = [
  next(c[0] for c in columns if c[1] == name) for name in ("request_id", "cost_units", "status")
 ]
 rows = []
 for index in range(1, CALLS + 31):
  with contextlib.suppress(sqlite3.DatabaseError):
   for row in conn.execute("SELECT * FROM calls WHERE id = ?", (index,)).fetchall():
    if all(row[i] is not None for i in required) and row[status] in ("success", "failed", "blocked"):
     rows.append((row[request_id], row[cost]))
 conn.close()
 return rows


@pytest.mark.parametrize("damage", ["pages", "truncated", "truncated-with-wal"])
def test_repair_copies_every_readable_row_and_keeps_the_damaged_file(tmp_path, damage):
 path = tmp_path / "ledger.sqlite3"
 if damage == "pages":
  page_damaged(path)
 elif damage == "truncated":
  data = build(path).read_bytes()
  path.write_bytes(data[: len(data) * 2 // 3])
 else:
  truncated_with_wal(tmp_path)
 expected = readable_calls(path)
 wal = path.with_name("ledger.sqlite3-wal")
 damaged_bytes = (path.read_bytes(), wal.read_bytes() if wal.exists() else None)
 report = repair_ledger(path)
 assert report.saved["calls"] == len(expected) > 0
 assert report.lost["calls"] > 0 and report.saved["calls"] + report.lost["calls"] in (CALLS, CALLS + 30)
 kept_wal = report.kept_as.with_name(report.kept_as.name + "-wal")
 assert (report.kept_as.read_bytes(), kept_wal.read_bytes() if kept_wal.exists() else None) == damaged_bytes
 assert check_ledger(path) == ""
 with Ledger.open(path) as ledger:
  copied = [(c.request_id, c.cost_units) for c in list_calls(ledger, limit=10 * CALLS, newest_first=False)]
  assert copied == expected
  assert all_time(ledger).calls == len(expected)
  assert all_time(ledger).cost_units == sum(cost for _, cost in expected)  # rollups rebuilt from the copied calls
  assert ledger.record_calls([call(MONDAY + 9000, USD, request_id="new")]).stored == 1


def test_cli_reports_on_a_damaged_ledger_print_one_line_and_repair_says_what_it_saved(tmp_path, capsys):
 truncated = truncated_with_wal(tmp_path)
 for report in (["summary"], ["breakdown", "--by", "model"], ["runs"], ["import", str(tmp_path / "x.csv")]):
  assert main(["costs", *report, "--ledger", str(truncated)]) == 1
  captured = capsys.readouterr()
  assert captured.out == ""
  assert_one_line_naming(captured.err.rstrip("\n"), truncated)
 damaged = page_damaged(tmp_path / "pages.sqlite3")
 assert main(["costs", "export", "--format", "json", "-o", str(tmp_path / "out.jsonl"), "--ledger", str(damaged)]) == 1
 err = capsys.readouterr().err.rstrip("\n")
 assert "\n" not in err and str(damaged) in err and "costs repair" in err
 assert main(["costs", "repair", "--ledger", str(damaged)]) == 0
 out = capsys.readouterr().out.strip()
 assert out.startswith(f"{damaged}: repaired: ") and "runs could not be read" in out and "kept as" in out
 assert main(["costs", "repair", "--ledger", str(damaged)]) == 0
 assert capsys.readouterr().out.strip() == f"{damaged}: the ledger is sound; nothing to repair"
