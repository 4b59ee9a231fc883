"""Real processes: two writers at once lose nothing, and kill -9 mid-write leaves every committed call."""

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ledger_factory import MONDAY, call

from mma_conductor.ledger.queries import all_time, count_calls, summarize
from mma_conductor.ledger.reports import sessions
from mma_conductor.ledger.store import Ledger

WORKER = Path(__file__).with_name("ledger_worker.py")
USD = 10**15


def worker(path, prefix, unique, empty, shared, batch, cents):
 args = [sys.executable, str(WORKER), str(path), prefix, str(unique), str(empty), str(shared), str(batch), str(cents)]
 return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_consistent(path):
 """The file passes SQLite's integrity check and every rollup agrees with the calls themselves."""
 conn = sqlite3.connect(path)
 assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
 calls, hi, lo = conn.execute(
  "SELECT count(*), sum(cost_units >> 32), sum(cost_units & 4294967295) FROM calls"
 ).fetchone()
 total_calls, total_hi, total_lo = conn.execute("SELECT calls, cost_hi, cost_lo FROM totals").fetchone()
 assert total_calls == calls
 assert (total_hi << 32) + total_lo == ((hi or 0) << 32) + (lo or 0)
 hourly = conn.execute("SELECT sum(calls), sum(cost_hi), sum(cost_lo) FROM hourly").fetchone()
 assert hourly[0] == calls and (hourly[1] << 32) + hourly[2] == (total_hi << 32) + total_lo
 conn.close()
 return calls


def test_two_writer_processes_at_once_lose_nothing(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 Ledger.open(path).close()
 first = worker(path, "a", 1500, 300, 100, 50, 1)
 second = worker(path, "b", 1500, 300, 100, 50, 1)
 for process in (first, second):
  out, err = process.communicate(timeout=120)
  assert process.returncode == 0, err
  assert out.splitlines()[-1] == "committed 1900"
 expected = 2 * 1500 + 2 * 300 + 100  # shared request ids are stored once, empty ones never collide
 assert assert_consistent(path) == expected
 with Ledger.open(path) as ledger:
  assert count_calls(ledger) == expected
  assert all_time(ledger).cost_units == expected * USD // 100
  assert {s.session_id: s.figures.calls for s in sessions(ledger)}.keys() == {"session-a", "session-b"}
  assert summarize(ledger).total.calls == expected
  ids = [r[0] for r in ledger.connection.execute("SELECT request_id FROM calls WHERE request_id IS NOT NULL")]
  assert len(ids) == len(set(ids)) == 2 * 1500 + 100
 log = [line.split(" ", 1)[1] for line in (tmp_path / "costs.log").read_text().splitlines()]
 totals = [int(re.search(r"\$(\d+)\.00$", line).group(1)) for line in log]
 assert totals == list(range(1, expected // 100 + 1))  # each dollar once, in order, whichever process crossed it


def test_kill_9_mid_batch_leaves_a_readable_ledger_with_every_committed_call(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 process = worker(path, "k", 0, 0, 0, 2000, 1)
 committed = 0
 deadline = time.monotonic() + 60
 while committed < 12_000 and time.monotonic() < deadline:
  line = process.stdout.readline()
  assert line, process.stderr.read()
  committed = int(line.split()[1])
 time.sleep(random.uniform(0.001, 0.02))  # land somewhere inside the next batch
 os.kill(process.pid, signal.SIGKILL)
 process.wait(timeout=10)
 assert process.returncode == -signal.SIGKILL
 stored = assert_consistent(path)
 assert stored >= committed
 assert stored % 2000 == 0  # a batch is all or nothing
 with Ledger.open(path) as ledger:
  present = {r[0] for r in ledger.connection.execute("SELECT request_id FROM calls")}
  assert {f"k-{i}" for i in range(committed)} <= present
  assert ledger.record_calls([]).stored == 0
  assert all_time(ledger).calls == stored
  before = ledger.total_units()
  assert ledger.record_calls([call(MONDAY, 5, request_id="after-crash")]).stored == 1
  assert ledger.total_units() == before + 5
