"""The cost ledger's SQLite schema, its version history and the migrations between versions.

The file is recognised by `PRAGMA application_id` (APPLICATION_ID); `PRAGMA user_version` holds the schema
version. Money: a call's exact cost in units (10^-15 USD) is an INTEGER when it fits in SQLite's signed
64 bits (up to ~$9,223 per call, far above any real call) and a decimal TEXT in `cost_units_big` otherwise.
Aggregates never use SQL SUM() over units (it raises "integer overflow" past 2^63 units, ~$9,223 in total):
rollups keep every sum as two INTEGERs, `cost_hi * 2^32 + cost_lo` with `0 <= cost_lo < 2^32`, and the
reader joins them in Python ints (the arithmetic is in rollups). See docs/ledger.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .rollups import rebuild_rollups, rebuild_usage
from .ticket_costs import TABLES as TICKET_TABLES
from .ticket_costs import rebuild_tickets

APPLICATION_ID = 0x4D4D4143  # "MMAC"
SCHEMA_VERSION = 8
INT64_MAX = (1 << 63) - 1

# Schema version 1: calls, runs (status only), prices and meta. Kept verbatim: migrations start from it.
SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE prices (
 id INTEGER PRIMARY KEY,
 model TEXT NOT NULL,
 price_json TEXT NOT NULL UNIQUE
);
CREATE TABLE calls (
 id INTEGER PRIMARY KEY,
 ts_us INTEGER NOT NULL,
 session_id TEXT NOT NULL,
 run_id TEXT NOT NULL,
 ticket_id TEXT NOT NULL,
 tier TEXT NOT NULL,
 agent TEXT NOT NULL,
 provider TEXT NOT NULL,
 model TEXT NOT NULL,
 requested_model TEXT NOT NULL,
 input_tokens INTEGER NOT NULL,
 output_tokens INTEGER NOT NULL,
 cache_read_tokens INTEGER NOT NULL,
 cache_write_tokens INTEGER NOT NULL,
 cache_write_1h_tokens INTEGER NOT NULL,
 reasoning_tokens INTEGER NOT NULL,
 request_id TEXT,
 cost_units INTEGER,
 price_id INTEGER REFERENCES prices(id),
 latency_s REAL NOT NULL,
 status TEXT NOT NULL CHECK (status IN ('success', 'failed', 'blocked')),
 error TEXT NOT NULL,
 raw_usage TEXT
);
CREATE INDEX calls_ts ON calls(ts_us);
CREATE UNIQUE INDEX calls_request ON calls(request_id);
CREATE INDEX calls_session ON calls(session_id, ts_us);
CREATE TABLE runs (
 run_id TEXT PRIMARY KEY,
 status TEXT NOT NULL,
 goal TEXT NOT NULL DEFAULT '',
 started_us INTEGER,
 ended_us INTEGER,
 updated_us INTEGER NOT NULL
);
"""

_VECTOR = """
 calls INTEGER NOT NULL DEFAULT 0,
 unpriced_calls INTEGER NOT NULL DEFAULT 0,
 cost_hi INTEGER NOT NULL DEFAULT 0,
 cost_lo INTEGER NOT NULL DEFAULT 0,
 input_tokens INTEGER NOT NULL DEFAULT 0,
 output_tokens INTEGER NOT NULL DEFAULT 0,
 cache_read_tokens INTEGER NOT NULL DEFAULT 0,
 cache_write_tokens INTEGER NOT NULL DEFAULT 0,
 cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
 reasoning_tokens INTEGER NOT NULL DEFAULT 0,
 latency_ms INTEGER NOT NULL DEFAULT 0"""

# Version 2: costs too large for INTEGER, call attempts, and the rollups that make summaries fast. The
# per-session index goes: a session's calls are found through its time span in `sessions`, and one index
# fewer makes recording ~10% faster. Request ids become unique per hour of the call: provider ids are random,
# so one index over all of them takes a random page write per call and recording fell to ~40,000 calls/s at a
# million calls; keyed by the hour first, new ids land in one small region and it stays above 100,000/s. A
# call delivered twice carries the same timestamp, so it is still stored once.
MIGRATION_V2 = f"""
ALTER TABLE calls ADD COLUMN cost_units_big TEXT;
ALTER TABLE calls ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
CREATE TABLE hourly (
 hour INTEGER NOT NULL,
 provider TEXT NOT NULL,
 model TEXT NOT NULL,
 tier TEXT NOT NULL,
 agent TEXT NOT NULL,
 status TEXT NOT NULL,{_VECTOR},
 PRIMARY KEY (hour, provider, model, tier, agent, status)
) WITHOUT ROWID;
CREATE TABLE sessions (
 session_id TEXT PRIMARY KEY,
 first_us INTEGER NOT NULL,
 last_us INTEGER NOT NULL,{_VECTOR}
) WITHOUT ROWID;
CREATE TABLE run_costs (
 run_id TEXT PRIMARY KEY,
 first_us INTEGER NOT NULL,
 last_us INTEGER NOT NULL,{_VECTOR}
) WITHOUT ROWID;
CREATE TABLE totals (
 id INTEGER PRIMARY KEY CHECK (id = 1),{_VECTOR}
);
INSERT INTO totals (id) VALUES (1);
CREATE INDEX run_costs_cost ON run_costs(cost_hi, cost_lo);
DROP INDEX calls_session;
DROP INDEX calls_request;
CREATE UNIQUE INDEX calls_request_hour ON calls(ts_us / 3600000000, request_id);
CREATE INDEX runs_status ON runs(status);
"""


# Version 3: request ids are unique per provider, not across providers (an OpenAI and an Anthropic call may carry
# the same id), so the unique key becomes (hour of the call, provider, request id). The model is not part of the
# key: every provider's ids are unique per response (see docs/ledger.md). Rows keep their ids; every row unique
# under the old key is unique under this one, so building the index cannot fail.
MIGRATION_V3 = """
DROP INDEX calls_request_hour;
CREATE UNIQUE INDEX calls_request_key ON calls(ts_us / 3600000000, provider, request_id);
"""


# Version 4: usage_slots and usage_days, the tokens per half hour (per UTC day), cell (provider, model, tier,
# agent, status) and context band (rollups.BAND_LIMITS), from which summaries at today's prices re-price a month of
# calls from a few thousand rows instead of every call. `billed_calls` counts the calls with usage (a call without
# any costs nothing at any price, so it never counts as unpriced). Calls and the other rollups stay as they were.
# Written out, not derived from rollups.USAGE_COLUMNS: a later version that adds a column adds it in its own step.
_USAGE_TABLE = """
CREATE TABLE {table} (
 {column} INTEGER NOT NULL,
 provider TEXT NOT NULL,
 model TEXT NOT NULL,
 tier TEXT NOT NULL,
 agent TEXT NOT NULL,
 status TEXT NOT NULL,
 band INTEGER NOT NULL,
 calls INTEGER NOT NULL DEFAULT 0,
 billed_calls INTEGER NOT NULL DEFAULT 0,
 input_tokens INTEGER NOT NULL DEFAULT 0,
 output_tokens INTEGER NOT NULL DEFAULT 0,
 cache_read_tokens INTEGER NOT NULL DEFAULT 0,
 cache_write_tokens INTEGER NOT NULL DEFAULT 0,
 cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
 reasoning_tokens INTEGER NOT NULL DEFAULT 0,
 latency_ms INTEGER NOT NULL DEFAULT 0,
 PRIMARY KEY ({column}, provider, model, tier, agent, status, band)
) WITHOUT ROWID;
"""
MIGRATION_V4 = _USAGE_TABLE.format(table="usage_slots", column="slot") + _USAGE_TABLE.format(
 table="usage_days", column="day"
)

# A step changes the schema and names the rollups to fill from the calls afterwards (None: nothing to fill).
Rebuild = Callable[[sqlite3.Connection], None] | None

# Version 5: a call's cost lines (pricing.lines.CostLine dicts as JSON) when they say more than its six token counts
# at list price: server-tool fees, audio / image tokens, batch or service-tier rates, iterations, a gateway's cost.
MIGRATION_V5 = """
ALTER TABLE calls ADD COLUMN cost_lines TEXT;
CREATE INDEX calls_with_lines ON calls(ts_us) WHERE cost_lines IS NOT NULL
"""

# Version 6: the budget alerts delivered, so that each is delivered once per budget, calendar period, threshold and
# limit across restarts and processes (app/budget_alerts.py claims one with INSERT OR IGNORE before delivering it).
# `period` is the period's start (epoch microseconds, as text); `threshold` the percent of the limit ("80", "100");
# `limit_units` and `used_units` are decimal text: a limit may be up to $1e9, past SQLite's 64-bit INTEGER in units.
# A new limit is another row: raising a limit alerts afresh at its thresholds.
MIGRATION_V6 = """
CREATE TABLE budget_alerts (
 budget_key TEXT NOT NULL,
 period TEXT NOT NULL,
 threshold TEXT NOT NULL,
 limit_units TEXT NOT NULL,
 used_units TEXT NOT NULL,
 fired_us INTEGER NOT NULL,
 PRIMARY KEY (budget_key, period, threshold, limit_units)
) WITHOUT ROWID
"""

# Version 7: each ticket's outcome per run (status, attempts, the worker model that ended it and every worker model it
# tried), so that reports can tell the cost of a successful ticket (done: passed QA) from a failed one (blocked) and
# the success rate of a tier's models. Kept up to date from the conductor's ticket updates; the latest wins. A rowid
# table, so that `costs repair` copies it like calls and runs.
MIGRATION_V7 = """
CREATE TABLE tickets (
 run_id TEXT NOT NULL,
 ticket_id TEXT NOT NULL,
 title TEXT NOT NULL DEFAULT '',
 status TEXT NOT NULL,
 attempts INTEGER NOT NULL DEFAULT 0,
 model TEXT NOT NULL DEFAULT '',
 models TEXT NOT NULL DEFAULT '',
 updated_us INTEGER NOT NULL,
 PRIMARY KEY (run_id, ticket_id)
);
CREATE INDEX tickets_status ON tickets(status)
"""

# Version 8: what tickets cost per tier (ticket_costs) and per run, tier and the ticket's outcome (tier_outcomes), so
# that the Cost Dashboard's tier analysis (tickets, cost per done and per blocked ticket) reads a few rows per run
# instead of every call of its range. Filled from the calls and the tickets' outcomes (ticket_costs.rebuild_tickets).
MIGRATION_V8 = TICKET_TABLES


class SchemaError(Exception):
 """The file's schema cannot be used by this version (newer, or not a ledger)."""


def create_schema(conn: sqlite3.Connection) -> None:
 """Create the current schema in an empty database (inside the caller's transaction)."""
 _run_script(conn, SCHEMA_V1)
 conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
 conn.execute("PRAGMA user_version = 1")
 migrate(conn, 1)


def migrate(conn: sqlite3.Connection, version: int) -> int:
 """Bring a schema at `version` to SCHEMA_VERSION, step by step, inside the caller's transaction; then fill the
 rollups that the steps added from the calls."""
 if version > SCHEMA_VERSION:
  raise SchemaError(f"schema version {version} is newer than this mma-conductor reads (up to {SCHEMA_VERSION})")
 rebuilds = []
 while version < SCHEMA_VERSION:
  script, rebuild = _MIGRATIONS[version]
  _run_script(conn, script)
  rebuilds.append(rebuild)
  version += 1
  conn.execute(f"PRAGMA user_version = {version}")
 # Rollups are filled once, in the final schema: a rebuild of every rollup when a step asks for one, else each
 # step's own.
 wanted = [_rebuild_all] if _rebuild_all in rebuilds else [r for r in rebuilds if r is not None]
 for rebuild in wanted:
  rebuild(conn)
 return version


def _rebuild_all(conn: sqlite3.Connection) -> None:
 rebuild_rollups(conn)
 rebuild_tickets(conn)


# Each step from version N to N + 1: the script that changes the schema, and the rollups to fill afterwards.
_MIGRATIONS: dict[int, tuple[str, Rebuild]] = {
 1: (MIGRATION_V2, _rebuild_all),
 2: (MIGRATION_V3, None),
 3: (MIGRATION_V4, rebuild_usage),
 4: (MIGRATION_V5, None),
 5: (MIGRATION_V6, None),
 6: (MIGRATION_V7, None),
 7: (MIGRATION_V8, rebuild_tickets),
}


def _run_script(conn: sqlite3.Connection, script: str) -> None:
 # executescript() would COMMIT the caller's transaction; run statement by statement instead.
 for statement in script.split(";"):
  if statement.strip():
   conn.execute(statement)
