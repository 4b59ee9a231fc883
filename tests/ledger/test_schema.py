"""The ledger file: creation, pragmas, version 1 migrated by hand-made file, and files that are not ledgers."""

import sqlite3
from datetime import UTC

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.queries import all_time, list_calls, summarize
from mma_conductor.ledger.reports import runs, sessions
from mma_conductor.ledger.rollups import rebuild_rollups
from mma_conductor.ledger.schema import APPLICATION_ID, MIGRATION_V2, MIGRATION_V4, SCHEMA_VERSION
from mma_conductor.ledger.store import Ledger, LedgerError, LedgerMissing

# Version 1 exactly as it shipped, written out here so that a change to the shipped schema cannot go unnoticed.
V1_SQL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE prices (id INTEGER PRIMARY KEY, model TEXT NOT NULL, price_json TEXT NOT NULL UNIQUE);
CREATE TABLE calls (
 id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, session_id TEXT NOT NULL, run_id TEXT NOT NULL,
 ticket_id TEXT NOT NULL, tier TEXT NOT NULL, agent TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
 requested_model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
 cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL,
 reasoning_tokens INTEGER NOT NULL, request_id TEXT, cost_units INTEGER, price_id INTEGER REFERENCES prices(id),
 latency_s REAL NOT NULL, status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'blocked')),
 error TEXT NOT NULL, raw_usage TEXT
);
CREATE INDEX calls_ts ON calls(ts_us);
CREATE UNIQUE INDEX calls_request ON calls(request_id);
CREATE INDEX calls_session ON calls(session_id, ts_us);
CREATE TABLE runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, goal TEXT NOT NULL DEFAULT '', started_us INTEGER,
 ended_us INTEGER, updated_us INTEGER NOT NULL);
PRAGMA application_id = 1296908611;
PRAGMA user_version = 1;
"""


def v1_ledger(path):
 conn = sqlite3.connect(path)
 conn.executescript(V1_SQL)
 rows = [
  # ts_us, session, run, model, in, out, request id, cost, latency
  (MONDAY * 10**6 + 5, "s1", "r1", "gpt-4o", 1000, 100, "a", 3 * USD, 1.5),
  (MONDAY * 10**6 + 7_200_000_000, "s1", "r1", "gpt-4o", 2000, 50, "b", 2 * USD + 7, 0.25),
  (MONDAY * 10**6 + 90_000_000_000, "s2", "", "claude-haiku-4-5", 10, 1, None, None, 2.0),
 ]
 conn.executemany(
  "INSERT INTO calls (ts_us, session_id, run_id, ticket_id, tier, agent, provider, model, requested_model, "
  "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, "
  "request_id, cost_units, latency_s, status, error, raw_usage) "
  "VALUES (?, ?, ?, 'T1', 'Tier 3', 'worker', 'openai', ?, '', ?, ?, 0, 0, 0, 0, ?, ?, ?, 'success', '', NULL)",
  [(ts, s, r, m, i, o, rid, cost, lat) for ts, s, r, m, i, o, rid, cost, lat in rows],
 )
 conn.execute("INSERT INTO runs VALUES ('r1', 'done', 'ship it', NULL, NULL, 1)")
 conn.commit()
 conn.close()


def run_sql(path, *statements):
 conn = sqlite3.connect(path)
 for statement in statements:
  conn.execute(statement)
 conn.commit()
 conn.close()


def test_new_ledger_has_version_wal_busy_timeout_and_indexes(tmp_path):
 path = tmp_path / "deep" / "er" / "ledger.sqlite3"
 with Ledger.open(path) as ledger:
  conn = ledger.connection
  assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
  assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
  assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
  assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
  indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
  assert {"calls_ts", "calls_request_key", "run_costs_cost"} <= indexes
  assert not {"calls_session", "calls_request", "calls_request_hour"} & indexes
  unique = {r[1] for r in conn.execute("PRAGMA index_list(calls)") if r[2]}
  assert "calls_request_key" in unique
  columns = [r[2] for r in conn.execute("PRAGMA index_xinfo(calls_request_key)") if r[5]]
  assert columns == [None, "provider", "request_id"]  # the hour of the call (an expression), provider, request id
 assert path.is_file()


def test_version_1_file_is_migrated_and_keeps_every_call(tmp_path):
 path = tmp_path / "v1.sqlite3"
 v1_ledger(path)
 with Ledger.open(path) as ledger:
  conn = ledger.connection
  assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
  records = list_calls(ledger, newest_first=False)
  assert [r.request_id for r in records] == ["a", "b", ""]
  assert [r.cost_units for r in records] == [3 * USD, 2 * USD + 7, None]
  assert records[0].attempts == 1
  # The rollups were built from the old calls: totals, hourly summaries, sessions and runs agree.
  total = all_time(ledger)
  assert (total.cost_units, total.calls, total.unpriced_calls) == (5 * USD + 7, 3, 1)
  assert total.latency_ms == 1500 + 250 + 2000
  assert {g.key: g.cost_units for g in summarize(ledger, "day", tz=UTC).groups} == {
   "2026-01-05": 5 * USD + 7,
   "2026-01-06": 0,
  }
  assert {s.session_id: s.figures.calls for s in sessions(ledger)} == {"s1": 2, "s2": 1}
  (run,) = runs(ledger)
  assert (run.run_id, run.status, run.goal, run.figures.cost_units) == ("r1", "done", "ship it", 5 * USD + 7)
  ledger.record_calls([call(MONDAY + 10, USD, request_id="c")])
  assert all_time(ledger).cost_units == 6 * USD + 7


def v2_ledger(path):
 """A version 2 ledger as version 2 shipped: the version 1 file above, migrated by the shipped step to 2, its
 rollups built by today's code (the usage tables of version 4 are created for that and dropped again)."""
 v1_ledger(path)
 conn = sqlite3.connect(path, isolation_level=None)
 conn.execute("BEGIN")
 for statement in f"{MIGRATION_V2};{MIGRATION_V4}".split(";"):
  if statement.strip():
   conn.execute(statement)
 rebuild_rollups(conn)
 conn.execute("DROP TABLE usage_slots")
 conn.execute("DROP TABLE usage_days")
 conn.execute("PRAGMA user_version = 2")
 conn.execute("COMMIT")
 conn.close()


def test_version_2_file_is_migrated_keeps_every_row_and_ids_and_dedups_per_provider(tmp_path):
 path = tmp_path / "v2.sqlite3"
 v2_ledger(path)
 conn = sqlite3.connect(path)
 before = conn.execute("SELECT * FROM calls ORDER BY id").fetchall()
 rollups_before = [conn.execute(f"SELECT * FROM {table}").fetchall() for table in ("hourly", "sessions", "totals")]
 conn.close()
 with Ledger.open(path) as ledger:
  conn = ledger.connection
  assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
  after = conn.execute("SELECT * FROM calls ORDER BY id").fetchall()
  assert [row[: len(before[0])] for row in after] == before  # every column kept; later versions add columns
  assert {row[len(before[0]) :] for row in after} == {(None,)}  # cost_lines (v4): none for these calls
  assert [conn.execute(f"SELECT * FROM {table}").fetchall() for table in ("hourly", "sessions", "totals")] == (
   rollups_before
  )
  # "a" is an openai call of the old file: anthropic's "a" in the same hour is another call, openai's is not.
  assert ledger.record_calls([call(MONDAY + 6, USD, provider="anthropic", request_id="a")]).stored == 1
  assert ledger.record_calls([call(MONDAY + 5e-6, 3 * USD, provider="openai", request_id="a")]).duplicates == 1
  assert all_time(ledger).cost_units == 6 * USD + 7


def test_migration_of_an_unreadable_v1_file_changes_nothing(tmp_path):
 path = tmp_path / "v1.sqlite3"
 v1_ledger(path)
 run_sql(path, "CREATE TABLE hourly (x)")  # a table that the migration wants to create: it must fail whole
 before = path.read_bytes()
 with pytest.raises(LedgerError, match="cannot create or upgrade"):
  Ledger.open(path)
 conn = sqlite3.connect(path)
 assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
 assert conn.execute("SELECT count(*) FROM calls").fetchone()[0] == 3
 assert "cost_units_big" not in {r[1] for r in conn.execute("PRAGMA table_info(calls)")}
 conn.close()
 assert len(path.read_bytes()) == len(before)


def refusal(path):
 """The message of the LedgerError that opening `path` raises; the file must be left byte for byte."""
 before = path.read_bytes()
 with pytest.raises(LedgerError) as caught:
  Ledger.open(path)
 assert path.read_bytes() == before
 return str(caught.value)


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 Ledger.open(path).close()
 run_sql(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
 message = refusal(path)
 assert str(path) in message and "newer" in message


def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path):
 path = tmp_path / "notes.db"
 run_sql(path, "CREATE TABLE notes (text TEXT)", "INSERT INTO notes VALUES ('keep me')")
 message = refusal(path)
 assert str(path) in message and "another application" in message
 assert not path.with_name("notes.db-wal").exists()


@pytest.mark.parametrize(
 "content",
 [b"%PDF-1.7 not a database at all" * 100, b"\x00" * 4096, b"SQLite format 3\x00" + b"\xff" * 4000],
 ids=["pdf", "zeros", "sqlite-header-then-garbage"],
)
def test_a_corrupt_or_foreign_file_is_refused_and_left_untouched(tmp_path, content):
 path = tmp_path / "ledger.sqlite3"
 path.write_bytes(content)
 message = refusal(path)
 assert str(path) in message and "untouched" in message and "\n" not in message
 assert path.read_bytes() == content


def test_a_ledger_damaged_inside_gives_a_clear_error_on_reading_and_is_not_rewritten(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 with Ledger.open(path, milestones_enabled=False) as ledger:
  ledger.record_calls([call(MONDAY + i, i, request_id=f"r{i}", session=f"s{i}") for i in range(3000)])
  ledger.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
  page = ledger.connection.execute("PRAGMA page_size").fetchone()[0]
 data = bytearray(path.read_bytes())
 for offset in range(3 * page, len(data) - page, 2 * page):  # the schema on page 1 stays readable
  data[offset : offset + 64] = b"\xa5" * 64
 path.write_bytes(bytes(data))
 with pytest.raises(LedgerError) as caught, Ledger.open(path) as ledger:
  list_calls(ledger, limit=5000)
 assert str(caught.value).startswith(f"{path}: cannot read the ledger (database disk image is malformed)")
 assert path.read_bytes() == bytes(data)


def test_a_directory_and_a_missing_file(tmp_path):
 with pytest.raises(LedgerError, match="directory"):
  Ledger.open(tmp_path)
 with pytest.raises(LedgerMissing):
  Ledger.open(tmp_path / "none.sqlite3", create=False)
 assert not (tmp_path / "none.sqlite3").exists()


def test_an_empty_file_becomes_a_ledger(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 path.write_bytes(b"")
 with Ledger.open(path) as ledger:
  assert ledger.record_calls([call(MONDAY, 5)]).stored == 1


def test_the_write_ahead_log_stays_bounded_over_many_small_commits(tmp_path):
 # The app commits a few calls at a time; each commit appends ~8 pages of 16 KiB to the -wal file. Without
 # frequent checkpoints and a size limit it grew to 65 MB after 500 calls.
 path = tmp_path / "ledger.sqlite3"
 wal = path.with_name("ledger.sqlite3-wal")
 bound = 6 * 2**20
 largest = 0
 with Ledger.open(path, milestones_enabled=False) as ledger, Ledger.open(path, milestones_enabled=False) as reader:
  for index in range(600):
   ledger.record_calls([call(MONDAY + index, USD, request_id=f"r{index}", session=f"s{index % 7}", run=f"r{index}")])
   if index % 50 == 0:
    assert all_time(reader).calls == index + 1  # another connection reading now and then
   largest = max(largest, wal.stat().st_size)
  assert largest < bound, f"the -wal file reached {largest:,} bytes"
  # One large transaction may pass the bound; the file is cut back once the log restarts.
  ledger.record_calls([call(MONDAY + 3600 + i / 100, 1, request_id=f"big{i}") for i in range(60_000)])
  assert wal.stat().st_size > bound
  for index in range(40):
   ledger.record_calls([call(MONDAY + 7200 + index, USD, request_id=f"after{index}")])
  assert wal.stat().st_size < bound
  assert all_time(ledger).calls == 60_640
