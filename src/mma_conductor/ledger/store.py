"""The cost ledger: every AI call and every run, durably, in one SQLite file.

    ledger = Ledger.open()                      # ledger.sqlite3 in the user data directory
    ledger.record_calls([LedgerCall(...), ...]) # one transaction; a call delivered twice is stored once
    ledger.record_run("track-1", "done", goal="...")
    ledger.total_units()                        # all-time cost; reports are in queries

WAL mode, a busy timeout (two processes may write at once), `synchronous=NORMAL` (a crashed or killed
process loses nothing committed; a power cut may lose the last transactions, never the file). A file that
is not an mma-conductor ledger, or is corrupt or truncated, or was written by a newer version raises LedgerError
naming it, and is left byte for byte as it was. Damage inside pages is found by PRAGMA quick_check in the
background; the first write waits for it, and a damaged file is never written (`repair_ledger` copies out every
readable row). Queries are in queries.py, the batching writer in writer.py.
"""

from __future__ import annotations

import contextlib
import json
import math
import shlex
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..pricing.usage import Usage
from . import milestones
from .config import MILESTONE_LOG_NAME, resolve_ledger_path
from .rollups import ROW_MODEL, TOKEN_COLUMNS, read_total_units, rebuild_rollups, roll_up, roll_up_rows
from .schema import APPLICATION_ID, INT64_MAX, SCHEMA_VERSION, SchemaError, create_schema, migrate
from .ticket_costs import move_ticket, rebuild_tickets, roll_up_ticket_rows, roll_up_tickets

CALL_STATUSES = ("success", "failed", "blocked")
BUSY_TIMEOUT_S = 15.0
MAX_CALL_COST_UNITS = 1 << 80  # ~$1.2 billion: anything above is a bug upstream, not a call
_SQLITE_HEADER = b"SQLite format 3\x00"

_INSERT = (
 "INSERT INTO calls (ts_us, session_id, run_id, ticket_id, tier, agent, provider, model, requested_model, "
 "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, "
 "request_id, cost_units, cost_units_big, latency_s, status, error, attempts, raw_usage, cost_lines, price_id) "
 "VALUES (" + ", ".join("?" * 25) + ") ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class TicketOutcome:
 """Where one ticket of a run stands: status (todo, in_progress, review, done, blocked), attempts, the worker model
 that ended it and every worker model it tried."""

 run_id: str
 ticket_id: str
 status: str
 title: str = ""
 attempts: int = 0
 model: str = ""
 models: tuple[str, ...] = ()
 at: float = 0.0


def _ticket_row(ticket: TicketOutcome) -> tuple:
 for name in ("run_id", "ticket_id", "status"):
  value = getattr(ticket, name)
  if not isinstance(value, str) or not value.strip():
   raise ValueError(f"ticket {name} must be a non-empty string, got {value!r}")
 at_us = round((ticket.at or time.time()) * 1_000_000)
 models = ",".join(ticket.models)
 return (ticket.run_id, ticket.ticket_id, ticket.title, ticket.status, ticket.attempts, ticket.model, models, at_us)


def _move_tickets(conn: sqlite3.Connection, rows: list[tuple]) -> None:
 """Move the tickets whose outcome changes to their new outcome's row of the ticket rollups (before it is stored)."""
 current: dict[tuple[str, str], str] = {}
 for run_id, ticket_id, _, status, *_ in rows:
  key = (run_id, ticket_id)
  if key not in current:
   found = conn.execute("SELECT status FROM tickets WHERE run_id = ? AND ticket_id = ?", key).fetchone()
   current[key] = found[0] if found else ""
  if current[key] != status:
   move_ticket(conn, run_id, ticket_id, current[key], status)
   current[key] = status


class LedgerError(Exception):
 """The ledger cannot be opened or written; the message names the file and what is wrong."""


class LedgerMissing(LedgerError):
 """No ledger file exists at the path (and the caller asked not to create one)."""


@dataclass(frozen=True, slots=True)
class LedgerCall:
 """One AI call to record. `timestamp` is epoch seconds (UTC); `cost_units` None means unpriced;
 `price` is the ModelPrice.as_dict() used (with how the name resolved), None when unpriced; `raw_usage` is
 the usage as the provider reported it (a JSON-ready mapping or a JSON string); `cost_lines` the lines its cost
 is made of (pricing.lines.CostLine.as_dict() dicts) when they say more than its token counts, else None."""

 timestamp: float
 session_id: str
 run_id: str
 ticket_id: str
 tier: str
 agent: str
 provider: str
 model: str
 usage: Usage | None
 cost_units: int | None
 request_id: str = ""
 status: str = "success"
 latency_s: float = 0.0
 price: Mapping[str, Any] | None = None
 raw_usage: Mapping[str, Any] | str | None = None
 requested_model: str = ""
 error: str = ""
 attempts: int = 1
 cost_lines: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
 """What one `record_calls` did: calls stored, repeats skipped, milestone lines written, and a warning
 (e.g. costs.log unwritable) that did not stop the calls from being recorded."""

 stored: int
 duplicates: int
 milestone_lines: tuple[str, ...] = ()
 warning: str = ""


class Ledger:
 """An open ledger file. Safe to share between threads (one connection, serialized by a lock)."""

 def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool, milestones_enabled: bool) -> None:
  self._conn = conn
  self.path = path
  self.readonly = readonly
  self.milestones_enabled = milestones_enabled
  self.lock = threading.RLock()
  self._price_ids: dict[str, int] = {}
  self._check: IntegrityCheck | None = None
  self._check_before_writing = False

 @classmethod
 def open(
  cls,
  path: Path | str | None = None,
  *,
  project_dir: Path | str | None = None,
  create: bool = True,
  milestones_enabled: bool = True,
  check_at_open: bool = True,
 ) -> Ledger:
  """Open (creating if needed and `create`) the ledger at `path`, or at the configured default.

  Raises LedgerMissing when there is no file and `create` is false, LedgerError for anything that is not
  a usable ledger. A read-only file opens read-only (`readonly` is True; recording raises LedgerError).
  `check_at_open=False` (a report, which only reads) starts the integrity check at the first write instead of
  now: a check started for nothing reads pages beside the report and must be stopped when it closes."""
  target = resolve_ledger_path(path, project_dir)
  conn, readonly = _connect(target, create)
  ledger = cls(conn, target, readonly=readonly, milestones_enabled=milestones_enabled)
  if not readonly and check_at_open:
   ledger._check = IntegrityCheck(target)
  else:
   ledger._check_before_writing = not readonly
  return ledger

 @classmethod
 def empty(cls, path: Path | str = ":memory:") -> Ledger:
  """An empty in-memory ledger that reports zeros (`path` is only a label), for reports before any call."""
  conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
  conn.execute("BEGIN")
  create_schema(conn)
  conn.execute("COMMIT")
  return cls(conn, Path(path), readonly=True, milestones_enabled=False)

 @property
 def milestone_log_path(self) -> Path:
  """`costs.log` beside the ledger."""
  return self.path.with_name(MILESTONE_LOG_NAME)

 @property
 def connection(self) -> sqlite3.Connection:
  """The connection, for the queries (hold `lock` while using it)."""
  return self._conn

 @contextlib.contextmanager
 def reading(self) -> Iterator[sqlite3.Connection]:
  """Hold the lock for a read; a damaged file surfaces as LedgerError naming the ledger."""
  with self.lock:
   try:
    yield self._conn
   except sqlite3.DatabaseError as exc:
    raise LedgerError(
     f"{self.path}: cannot read the ledger ({exc}); the file was not modified{_repair_hint(self.path, exc)}"
    ) from exc

 def damage(self, timeout: float | None = None) -> str:
  """Why the ledger must not be written ("" when sound), once the integrity check started at opening ends (waits
  for it; with `timeout`, "" when it has not ended by then)."""
  if self._check_before_writing:
   self._check_before_writing = False
   self._check = IntegrityCheck(self.path)
  return self._check.result(timeout) if self._check is not None else ""

 def close(self) -> None:
  """Close the connection (idempotent)."""
  if self._check is not None:
   self._check.stop()
  with self.lock:
   self._conn.close()

 def __enter__(self) -> Ledger:
  return self

 def __exit__(self, *exc: object) -> None:
  self.close()

 # Writing ----------------------------------------------------------------------------------------------------

 def record_calls(self, calls: Iterable[LedgerCall]) -> RecordOutcome:
  """Store calls in one transaction; a provider's request id already stored in the same hour of call time (or
  repeated in the batch) is skipped: a call delivered twice carries the same timestamp (see docs/ledger.md).

  Bad values raise ValueError naming the record and field, before anything is written. Write failures
  (disk full, read-only, locked beyond the busy timeout) raise LedgerError and store nothing of the batch."""
  rows = [_row(call, index) for index, call in enumerate(calls)]
  if not rows:
   return RecordOutcome(0, 0)
  self._check_writable()
  with self.lock:
   try:
    stored, duplicates, reached, logged = self._insert(rows)
   except sqlite3.Error as exc:
    raise LedgerError(f"{self.path}: cannot record {len(rows)} call(s): {exc}") from exc
   lines: tuple[str, ...] = ()
   warning = ""
   if self.milestones_enabled and reached > logged:
    try:
     lines = tuple(self._log_milestones())
    except (OSError, sqlite3.Error) as exc:
     warning = f"{self.milestone_log_path}: cannot write the milestone log: {exc}"
  return RecordOutcome(stored, duplicates, lines, warning)

 def _insert(self, rows: list[tuple]) -> tuple[int, int, int, int]:
  conn = self._conn
  try:
   with _immediate(conn):
    params = self._with_price_ids(rows)
    first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM calls").fetchone()[0]
    # A provider's request id already stored in the call's hour (or repeated in the batch) is skipped; any other
    # constraint (NOT NULL, CHECK) still fails.
    conn.executemany(_INSERT, params)
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM calls").fetchone()[0]
    stored = last_id - first_id + 1
    _roll_up_stored(conn, params, first_id, last_id)
    reached = milestones.reached_dollars(read_total_units(conn))
    logged = _meta_int(conn, "milestone_logged")
  except BaseException:
   self._price_ids.clear()
   raise
  return stored, len(rows) - stored, reached, logged

 def _with_price_ids(self, rows: list[tuple]) -> list[tuple]:
  """The rows with their price id appended (a price seen for the first time is stored)."""
  price_ids: dict[str | None, int | None] = {None: None}
  params = []
  for row, price_json in rows:
   if price_json not in price_ids:
    price_ids[price_json] = self._price_id(price_json, row[ROW_MODEL])
   params.append((*row, price_ids[price_json]))
  return params

 def _price_id(self, price_json: str, model: str) -> int:
  found = self._price_ids.get(price_json)
  if found is None:
   conn = self._conn
   conn.execute("INSERT OR IGNORE INTO prices (model, price_json) VALUES (?, ?)", (model, price_json))
   found = conn.execute("SELECT id FROM prices WHERE price_json = ?", (price_json,)).fetchone()[0]
   self._price_ids[price_json] = found
  return found

 def _log_milestones(self) -> list[str]:
  conn = self._conn
  with _immediate(conn):
   reached = milestones.reached_dollars(read_total_units(conn))
   logged = max(_meta_int(conn, "milestone_logged"), milestones.last_logged_dollar(self.milestone_log_path))
   lines = milestones.milestone_lines(logged, reached)
   if lines:
    milestones.append_lines(self.milestone_log_path, lines)
   conn.execute(
    "INSERT INTO meta (key, value) VALUES ('milestone_logged', ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    (str(max(reached, logged)),),
   )
  return lines

 def record_run(
  self,
  run_id: str,
  status: str,
  *,
  goal: str = "",
  started_at: float | None = None,
  ended_at: float | None = None,
 ) -> None:
  """Create or update one run (a track run): its status (e.g. running, done, blocked, error), goal and times.
  A run whose status is "done" counts as successful."""
  for name, value in (("run_id", run_id), ("status", status)):
   if not isinstance(value, str) or not value.strip():
    raise ValueError(f"run {name} must be a non-empty string, got {value!r}")
  if not isinstance(goal, str):
   raise ValueError(f"run {run_id}: goal must be a string, got {type(goal).__name__}")
  started = _run_us(started_at, run_id, "started_at")
  ended = _run_us(ended_at, run_id, "ended_at")
  self._check_writable()
  with self.lock:
   try:
    self._conn.execute(
     "INSERT INTO runs (run_id, status, goal, started_us, ended_us, updated_us) VALUES (?, ?, ?, ?, ?, ?) "
     "ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, "
     "goal = CASE WHEN excluded.goal != '' THEN excluded.goal ELSE goal END, "
     "started_us = coalesce(started_us, excluded.started_us), "
     "ended_us = coalesce(excluded.ended_us, ended_us), updated_us = excluded.updated_us",
     (run_id, status, goal, started, ended, round(time.time() * 1_000_000)),
    )
   except sqlite3.Error as exc:
    raise LedgerError(f"{self.path}: cannot record run {run_id}: {exc}") from exc

 def record_tickets(self, tickets: list[TicketOutcome]) -> None:
  """Create or update the outcome of tickets (one transaction): the latest status, attempts and models win."""
  rows = [_ticket_row(ticket) for ticket in tickets]
  self._check_writable()
  with self.lock:
   try:
    with self._conn:
     _move_tickets(self._conn, rows)
     self._conn.executemany(
      "INSERT INTO tickets (run_id, ticket_id, title, status, attempts, model, models, updated_us) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, ticket_id) DO UPDATE SET "
      "title = excluded.title, status = excluded.status, attempts = excluded.attempts, model = excluded.model, "
      "models = excluded.models, updated_us = excluded.updated_us",
      rows,
     )
   except sqlite3.Error as exc:
    raise LedgerError(f"{self.path}: cannot record {len(rows)} ticket outcome(s): {exc}") from exc

 def try_writable(self) -> bool:
  """If the ledger was opened read-only, reopen it for writing when that has become possible."""
  if not self.readonly:
   return True
  with self.lock:
   try:
    conn, readonly = _connect(self.path, create=False)
   except LedgerError:
    return False
   if readonly:
    conn.close()
    return False
   self._conn.close()
   self._conn, self.readonly = conn, False
   self._price_ids.clear()
   return True

 def _check_writable(self) -> None:
  if self.readonly:
   raise LedgerError(f"{self.path}: the ledger is read-only; nothing can be recorded")
  problem = self.damage()
  if problem:
   raise LedgerError(problem)

 # Reading shortcuts --------------------------------------------------------------------------------------------

 def total_units(self) -> int:
  """All-time cost in units."""
  with self.reading():
   return read_total_units(self._conn)


# Opening --------------------------------------------------------------------------------------------------------

# After WAL: a checkpoint once the -wal file holds 256 pages (4 MiB of 16 KiB pages), and the file cut back to
# 4 MiB when it restarts. Each commit appends ~8 pages, so with the former 4000 pages the file reached 65 MB
# after 500 calls and never shrank; at 256 batches of 1,000 calls record as fast (bench_ledger_insert.py) and
# the file stays near 4 MiB (a single larger transaction may pass it until the next checkpoint). A larger cache.
WAL_CHECKPOINT_PAGES = 256
WAL_SIZE_LIMIT_BYTES = 4 * 2**20
_TUNING = (
 "PRAGMA synchronous = NORMAL",
 f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}",
 f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}",
 "PRAGMA cache_size = -32000",
 "PRAGMA temp_store = MEMORY",
)


def _connect(path: Path, create: bool) -> tuple[sqlite3.Connection, bool]:
 _check_target(path, create)
 try:
  conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
 except sqlite3.Error as exc:
  raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
 try:
  readonly = _prepare(conn, path)
 except BaseException:
  conn.close()
  raise
 if readonly:
  conn.close()
  conn = _connect_readonly(path)
 return conn, readonly


def _check_target(path: Path, create: bool) -> None:
 """A ledger file, or no file yet and its folder (created when `create`)."""
 if not path.exists():
  _create_folder(path, create)
 elif not path.is_file():
  raise LedgerError(f"{path}: not a ledger file (it is a directory or a device)")
 else:
  _check_header(path)


def _create_folder(path: Path, create: bool) -> None:
 if not create:
  raise LedgerMissing(f"{path}: no ledger yet (nothing has been recorded)")
 try:
  path.parent.mkdir(parents=True, exist_ok=True)
 except OSError as exc:
  raise LedgerError(f"{path}: cannot create the ledger's folder: {exc.strerror or exc}") from None


def _check_header(path: Path) -> None:
 try:
  with open(path, "rb") as handle:
   header = handle.read(len(_SQLITE_HEADER))
 except OSError as exc:
  raise LedgerError(f"{path}: cannot read the ledger: {exc.strerror or exc}") from None
 if header and header != _SQLITE_HEADER:
  raise LedgerError(f"{path}: not an SQLite database (a foreign or corrupt file); it was left untouched")


def _prepare(conn: sqlite3.Connection, path: Path) -> bool:
 """Check identity and version before anything writes, then WAL, then create or migrate. True: read-only."""
 identity = _readable_identity(conn, path)
 if identity is None:
  return True
 app_id, version, tables = identity
 _check_identity(path, app_id, version, tables)
 if not _start_wal(conn, path, version, tables):
  return True
 if version != SCHEMA_VERSION:
  _create_or_migrate(conn, path)
 return False


def _readable_identity(conn: sqlite3.Connection, path: Path) -> tuple[int, int, int] | None:
 """(application id, schema version, tables), or None when only a read-only connection can read the file."""
 try:
  return _identity(conn)
 except sqlite3.DatabaseError as exc:
  if isinstance(exc, sqlite3.OperationalError) and _is_readonly_error(exc):
   return None  # a WAL file on a read-only disk
  raise LedgerError(
   f"{path}: not a readable SQLite database ({exc}); it was left untouched{_repair_hint(path, exc)}"
  ) from None


def _check_identity(path: Path, app_id: int, version: int, tables: int) -> None:
 if tables and app_id != APPLICATION_ID:
  raise LedgerError(
   f"{path}: an SQLite database of another application (application_id {app_id}), not an mma-conductor "
   "ledger; it was left untouched"
  )
 if version > SCHEMA_VERSION:
  raise LedgerError(
   f"{path}: ledger schema version {version} was written by a newer mma-conductor (this one reads up to "
   f"{SCHEMA_VERSION}); it was left untouched"
  )


def _start_wal(conn: sqlite3.Connection, path: Path, version: int, tables: int) -> bool:
 """Page size (new file), WAL and tuning; False when the file turns out to be read-only."""
 if not tables:
  # Larger pages: fewer, shallower index pages to touch per batch (measured ~8% faster recording).
  conn.execute("PRAGMA page_size = 16384")
 if not _wal(conn, path, needs_writing=not tables or version < SCHEMA_VERSION):
  return False
 _check_size(conn, path)
 for pragma in _TUNING:
  conn.execute(pragma)
 return True


def _wal(conn: sqlite3.Connection, path: Path, *, needs_writing: bool) -> bool:
 try:
  conn.execute("PRAGMA journal_mode = WAL")
 except sqlite3.OperationalError as exc:
  if not _is_readonly_error(exc):
   raise LedgerError(f"{path}: cannot open the ledger: {exc}") from None
  if needs_writing:
   raise LedgerError(f"{path}: the ledger is read-only and needs to be created or upgraded: {exc}") from None
  return False
 except sqlite3.DatabaseError as exc:
  raise LedgerError(f"{path}: the ledger is corrupt ({exc}); it was left untouched{_repair_hint(path, exc)}") from None
 return True


def _create_or_migrate(conn: sqlite3.Connection, path: Path) -> None:
 try:
  with _immediate(conn):
   app_id, version, tables = _identity(conn)  # again, under the write lock: another process may have won
   if not tables:
    create_schema(conn)
   elif app_id == APPLICATION_ID:
    migrate(conn, version)
 except SchemaError as exc:
  raise LedgerError(f"{path}: {exc}") from None
 except sqlite3.Error as exc:
  raise LedgerError(f"{path}: cannot create or upgrade the ledger: {exc}") from None


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
 """One write transaction: committed at the end of the block, rolled back on any exception."""
 conn.execute("BEGIN IMMEDIATE")
 try:
  yield
  conn.execute("COMMIT")
 except BaseException:
  if conn.in_transaction:
   conn.execute("ROLLBACK")
  raise


def _roll_up_stored(conn: sqlite3.Connection, params: list[tuple], first_id: int, last_id: int) -> None:
 """Add the calls just stored (ids first_id..last_id) to the rollups: from the rows in memory when none was
 skipped, else from the table."""
 if last_id - first_id + 1 == len(params):
  roll_up_rows(conn, params)
  roll_up_ticket_rows(conn, params)
 elif last_id >= first_id:
  roll_up(conn, first_id, last_id)
  roll_up_tickets(conn, first_id, last_id)


def _identity(conn: sqlite3.Connection) -> tuple[int, int, int]:
 app_id = conn.execute("PRAGMA application_id").fetchone()[0]
 version = conn.execute("PRAGMA user_version").fetchone()[0]
 tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
 return app_id, version, tables


def _connect_readonly(path: Path) -> sqlite3.Connection:
 uri = path.resolve().as_uri()
 problem: sqlite3.Error | None = None
 # immutable=1 is the last resort: a WAL ledger on a read-only file system cannot create its -shm file.
 for mode in ("?mode=ro", "?mode=ro&immutable=1"):
  conn = sqlite3.connect(uri + mode, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
  try:
   conn.execute("SELECT count(*) FROM calls").fetchone()
   return conn
  except sqlite3.Error as exc:
   problem = exc
   conn.close()
 raise LedgerError(f"{path}: the ledger is read-only and cannot be read: {problem}")


def _is_readonly_error(exc: sqlite3.Error) -> bool:
 text = str(exc).lower()
 return "readonly" in text or "read-only" in text or "unable to open" in text


def _meta_int(conn: sqlite3.Connection, key: str) -> int:
 row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
 return int(row[0]) if row else 0


def check_call(call: LedgerCall) -> None:
 """Raise ValueError naming the field when `call` cannot be recorded as it is."""
 _row(call, 0)


# Validation -----------------------------------------------------------------------------------------------------

_TEXT_FIELDS = ("session_id", "run_id", "ticket_id", "tier", "agent", "provider", "model", "requested_model", "error")
_tokens_of = attrgetter(*TOKEN_COLUMNS)
_NO_TOKENS = (0,) * len(TOKEN_COLUMNS)


def _is_number(value: object) -> bool:
 return type(value) is float or (isinstance(value, int) and not isinstance(value, bool))


def _row(call: LedgerCall, index: int) -> tuple[tuple, str | None]:
 """The calls-table values of one call (price id filled in later) and its price JSON; ValueError names the
 record and field of anything that cannot be stored (the first problem, in the order of the steps below)."""
 if type(call) is not LedgerCall:
  raise ValueError(f"call {index}: expected a LedgerCall, got {type(call).__name__}")
 _check_texts(call, index)
 _check_labels(call, index)
 tokens, cost_units, cost_units_big = _usage_columns(call, index)
 _check_counts(call, index)
 raw = call.raw_usage
 if raw is not None and type(raw) is not str:
  raw = _raw_usage_json(raw, index)
 price_json = None if call.price is None else _price_json(call.price, f"call {index}")
 row = (
  _us(call.timestamp, index),
  call.session_id,
  call.run_id,
  call.ticket_id,
  call.tier,
  call.agent,
  call.provider,
  call.model,
  call.requested_model,
  *tokens,
  call.request_id.strip() or None,  # empty ids are NULL, and NULLs never collide in a UNIQUE index
  cost_units,
  cost_units_big,
  float(call.latency_s),
  call.status,
  call.error,
  call.attempts,
  raw,
  _cost_lines_json(call, cost_units, cost_units_big, index),
 )
 return row, price_json


def _cost_lines_json(call: LedgerCall, cost_units: int | None, cost_units_big: str | None, index: int) -> str | None:
 """The call's cost lines as JSON; they must be objects with an item and integer units that add up to its cost."""
 lines = call.cost_lines
 if lines is None:
  return None
 where = f"call {index}: cost_lines"
 if isinstance(lines, str | bytes) or not all(isinstance(line, Mapping) and _is_line(line) for line in lines):
  raise ValueError(f"{where}: expected a list of objects with an item (text) and units (integer)")
 total = int(cost_units_big) if cost_units_big is not None else cost_units
 if total is not None and sum(line["units"] for line in lines) != total:
  raise ValueError(f"{where}: the lines add up to {sum(line['units'] for line in lines)} units, not the cost {total}")
 return _raw_usage_json(list(lines), index)


def _is_line(line: Mapping) -> bool:
 return isinstance(line.get("item"), str) and type(line.get("units")) is int


def _check_texts(call: LedgerCall, index: int) -> None:
 # The fast test first (every recorded call passes here); the loop finds the field to name.
 if not (
  type(call.session_id) is str
  and type(call.run_id) is str
  and type(call.ticket_id) is str
  and type(call.tier) is str
  and type(call.agent) is str
  and type(call.provider) is str
  and type(call.model) is str
  and type(call.requested_model) is str
  and type(call.error) is str
  and type(call.request_id) is str
 ):
  for name in (*_TEXT_FIELDS, "request_id"):
   if not isinstance(getattr(call, name), str):
    raise ValueError(f"call {index}: {name} must be a string, got {type(getattr(call, name)).__name__}")


def _check_labels(call: LedgerCall, index: int) -> None:
 if not call.model.strip():
  raise ValueError(f"call {index}: model must not be empty")
 if call.status not in CALL_STATUSES:
  raise ValueError(f"call {index}: status must be one of {', '.join(CALL_STATUSES)}, got {call.status!r}")


def _check_counts(call: LedgerCall, index: int) -> None:
 latency = call.latency_s
 if not (_is_number(latency) and 0 <= latency < math.inf):
  raise ValueError(f"call {index}: latency_s must be a non-negative number of seconds, got {latency!r}")
 if type(call.attempts) is not int or call.attempts < 0:
  raise ValueError(f"call {index}: attempts must be a non-negative integer, got {call.attempts!r}")


def _usage_columns(call: LedgerCall, index: int) -> tuple[tuple[int, ...], int | None, str | None]:
 """The token counts, and the cost as cost_units or, beyond SQLite's INTEGER, as decimal text in cost_units_big."""
 usage, cost = call.usage, call.cost_units
 if usage is None:
  tokens = _NO_TOKENS
  cost = 0 if cost is None else cost  # no usage reported: nothing was billed, a known price, not an unknown one
 elif type(usage) is Usage:
  tokens = _tokens_of(usage)
 else:
  raise ValueError(f"call {index}: usage must be a Usage or None, got {type(usage).__name__}")
 if cost is None:
  return tokens, None, None
 if type(cost) is not int or not 0 <= cost <= MAX_CALL_COST_UNITS:
  raise ValueError(f"call {index}: cost_units must be a non-negative integer below 2^80 or None, got {cost!r}")
 return (tokens, cost, None) if cost <= INT64_MAX else (tokens, None, str(cost))


def _raw_usage_json(raw: Mapping[str, Any], index: int) -> str:
 try:
  return json.dumps(raw, sort_keys=True, separators=(",", ":"))
 except (TypeError, ValueError) as exc:
  raise ValueError(f"call {index}: raw_usage is not JSON-serializable: {exc}") from None


_price_json_cache: dict[int, tuple[Mapping[str, Any], str]] = {}


def _price_json(price: Mapping[str, Any], where: str) -> str:
 # The writer passes the same dict for every call of a model: serialize it once (kept alive by the cache).
 cached = _price_json_cache.get(id(price))
 if cached is not None and cached[0] is price:
  return cached[1]
 try:
  text = json.dumps(dict(price), sort_keys=True, separators=(",", ":"))
 except (TypeError, ValueError) as exc:
  raise ValueError(f"{where}: price is not JSON-serializable: {exc}") from None
 if len(_price_json_cache) > 4096:
  _price_json_cache.clear()
 _price_json_cache[id(price)] = (price, text)
 return text


def _us(timestamp: float, index: int) -> int:
 if not _is_number(timestamp):
  raise ValueError(f"call {index}: timestamp must be epoch seconds, got {timestamp!r}")
 if not 0 <= timestamp < 32_503_680_000:  # 1970 .. 3000, and not NaN
  raise ValueError(f"call {index}: timestamp is out of range (1970..3000): {timestamp!r}")
 return round(timestamp * 1_000_000)


def _run_us(timestamp: float | None, run_id: str, name: str) -> int | None:
 if timestamp is None:
  return None
 try:
  return _us(timestamp, 0)
 except ValueError:
  raise ValueError(f"run {run_id}: {name} must be epoch seconds (1970..3000), got {timestamp!r}") from None


# Integrity and repair -------------------------------------------------------------------------------------------

_WAL_HEADER_BYTES = 32
_WAL_FRAME_HEADER_BYTES = 24
_REPAIR_CHUNK = 1000
_REPAIRED_TABLES = ("prices", "calls", "runs", "tickets")


def _damaged(path: Path, detail: str) -> str:
 """The one-line message for a damaged ledger: the file, what is wrong, and what to do."""
 return (
  f"{path}: the ledger is damaged ({detail}); nothing more is written into it. To copy every readable call "
  f"into a new ledger run: mma-conductor costs repair --ledger {shlex.quote(str(path))}"
 )


def _repair_hint(path: Path, exc: BaseException) -> str:
 if "malformed" not in str(exc):
  return ""
 return (
  f". To copy every readable call into a new ledger run: mma-conductor costs repair --ledger {shlex.quote(str(path))}"
 )


def _check_size(conn: sqlite3.Connection, path: Path) -> None:
 """Refuse a truncated file: every page of the database (as read after WAL recovery) is either in the file or in
 the write-ahead log. Costs one stat and a read of the log's frame headers, whatever the ledger's size."""
 problem = _truncation(conn, path)
 if problem:
  raise LedgerError(_damaged(path, problem))


def _truncation(conn: sqlite3.Connection, path: Path) -> str:
 pages = conn.execute("PRAGMA page_count").fetchone()[0]
 page_size = conn.execute("PRAGMA page_size").fetchone()[0]
 in_file = path.stat().st_size // page_size
 if in_file >= pages:
  return ""
 missing = set(range(in_file + 1, pages + 1)) - _wal_pages(path, page_size)
 return f"truncated: {len(missing):,} of its {pages:,} pages are missing" if missing else ""


def _wal_pages(path: Path, page_size: int) -> set[int]:
 """The page numbers that the current write-ahead log holds (frames carrying the log header's salts)."""
 found: set[int] = set()
 try:
  with open(path.with_name(path.name + "-wal"), "rb") as wal:
   salts = wal.read(_WAL_HEADER_BYTES)[16:24]
   while len(frame := wal.read(_WAL_FRAME_HEADER_BYTES)) == _WAL_FRAME_HEADER_BYTES and frame[8:16] == salts:
    found.add(int.from_bytes(frame[:4], "big"))
    wal.seek(page_size, 1)
 except OSError:
  pass
 return found


def _read_connection(path: Path) -> sqlite3.Connection:
 """A read-only connection that reads what it can even of a truncated file (writable_schema lets SQLite open a
 file shorter than its header says)."""
 conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
 conn.execute("PRAGMA writable_schema = ON")
 return conn


def quick_check(conn: sqlite3.Connection, path: Path) -> str:
 """ "" when SQLite's quick_check finds the file sound, else the damaged-ledger message. Inconclusive errors (the
 check interrupted, the file locked) count as sound: reads and writes report them themselves."""
 try:
  rows = [row[0] for row in conn.execute("PRAGMA quick_check(20)")]
 except sqlite3.OperationalError:
  return ""
 except sqlite3.DatabaseError as exc:
  return _damaged(path, str(exc))
 if rows == ["ok"]:
  return ""
 return _damaged(path, f"{len(rows)}{'+' if len(rows) == 20 else ''} problem(s), first: {rows[0]}")


class IntegrityCheck:
 """PRAGMA quick_check of a ledger on its own read-only connection, in a thread started when the ledger opens for
 writing. Reading never waits for it; the first write does, and a damaged file is never written. quick_check reads
 every page (~3 s per million calls), which is too slow to make every open wait (see docs/ledger.md)."""

 def __init__(self, path: Path) -> None:
  self.path = path
  self._problem = ""
  self._done = threading.Event()
  self._guard = threading.Lock()
  self._conn: sqlite3.Connection | None = None
  self._thread = threading.Thread(target=self._run, name="ledger-check", daemon=True)
  self._thread.start()

 def _run(self) -> None:
  try:
   with self._guard:
    self._conn = _read_connection(self.path)
   self._problem = quick_check(self._conn, self.path)
  except sqlite3.Error:
   pass  # cannot even open it read-only: the ledger's own connection reports what is wrong
  finally:
   with self._guard:
    if self._conn is not None:
     self._conn.close()
     self._conn = None
   self._done.set()

 def result(self, timeout: float | None = None) -> str:
  """The damaged-ledger message, or "" when sound; waits for the check to end (or `timeout` seconds)."""
  self._done.wait(timeout)
  return self._problem

 def stop(self) -> None:
  """Interrupt a check still running (closing the ledger) and wait for its thread."""
  with self._guard:
   if self._conn is not None:
    self._conn.interrupt()
  self._thread.join()


def check_ledger(path: Path) -> str:
 """The damaged-ledger message for the file at `path`, or "" when it is sound (a full quick_check: slow on large
 ledgers; the app runs it in the background)."""
 try:
  conn = _read_connection(path)
 except sqlite3.Error as exc:
  return _damaged(path, str(exc))
 try:
  return _truncation_problem(conn, path) or quick_check(conn, path)
 finally:
  conn.close()


def _truncation_problem(conn: sqlite3.Connection, path: Path) -> str:
 try:
  problem = _truncation(conn, path)
 except sqlite3.DatabaseError as exc:
  return _damaged(path, str(exc))
 return _damaged(path, problem) if problem else ""


@dataclass(frozen=True, slots=True)
class RepairReport:
 """What `repair_ledger` did: rows copied and lost per table, and where the damaged file was kept (None: the ledger
 was sound and nothing was done)."""

 path: Path
 kept_as: Path | None
 saved: Mapping[str, int]
 lost: Mapping[str, int]


def repair_ledger(path: Path) -> RepairReport:
 """Copy every readable row of the damaged ledger at `path` into a new ledger (rollups rebuilt from the calls),
 keep the damaged file beside it byte for byte as `<name>.damaged-<UTC time>` and put the new one in its place.
 A sound ledger is left as it is. LedgerError when the file cannot be read at all or the copy cannot be written."""
 if not path.is_file():
  raise LedgerError(f"{path}: no ledger file to repair")
 if not check_ledger(path):
  return RepairReport(path, None, {}, {})
 stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
 fresh = path.with_name(f"{path.name}.repaired-{stamp}")
 kept = path.with_name(f"{path.name}.damaged-{stamp}")
 try:
  saved, lost = _copy_readable(path, fresh)
 except (sqlite3.Error, OSError) as exc:
  fresh.unlink(missing_ok=True)
  raise LedgerError(f"{path}: cannot write the repaired copy {fresh}: {exc}") from None
 _swap(path, kept, fresh)
 return RepairReport(path, kept, saved, lost)


def _copy_readable(path: Path, fresh: Path) -> tuple[dict[str, int], dict[str, int]]:
 source = _read_connection(path)
 target = Ledger.open(fresh, milestones_enabled=False)
 try:
  with target.lock, _immediate(target.connection):
   counts = {table: _copy_table(source, target.connection, table) for table in _REPAIRED_TABLES}
   _copy_meta(source, target.connection)
   rebuild_rollups(target.connection)
   rebuild_tickets(target.connection)
 finally:
  target.close()
  source.close()
 return {t: saved for t, (saved, _) in counts.items()}, {t: lost for t, (_, lost) in counts.items()}


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> tuple[int, int]:
 """(rows copied, rows lost), reading by rowid in chunks and halving a chunk that fails down to single rows. Ids are
 dense (rows are never deleted), so every id up to the last that is not copied is a lost row. A row read from a
 damaged page that breaks a NOT NULL or CHECK constraint is garbage, and is skipped (INSERT OR IGNORE)."""
 try:
  have = {row[1] for row in source.execute(f"PRAGMA table_info({table})")}
 except sqlite3.DatabaseError:
  return 0, 0
 columns = ", ".join(row[1] for row in target.execute(f"PRAGMA table_info({table})") if row[1] in have)
 select = f"SELECT {columns} FROM {table} WHERE rowid "
 insert = f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({', '.join('?' * (columns.count(',') + 1))})"
 before = target.total_changes
 last = _last_rowid(source, table)
 for start in range(1, last + 1, _REPAIR_CHUNK):
  target.executemany(insert, _read_range(source, select, start, min(start + _REPAIR_CHUNK - 1, last)))
 saved = target.total_changes - before
 return saved, max(last - saved, 0)


def _read_range(source: sqlite3.Connection, select: str, low: int, high: int) -> list[tuple]:
 # A single row is looked up, not scanned: a scan steps on to the next page, which may be the damaged one.
 try:
  if low == high:
   return source.execute(select + "= ?", (low,)).fetchall()
  return source.execute(select + "BETWEEN ? AND ?", (low, high)).fetchall()
 except sqlite3.DatabaseError:
  if low == high:
   return []
 middle = (low + high) // 2
 return _read_range(source, select, low, middle) + _read_range(source, select, middle + 1, high)


def _last_rowid(source: sqlite3.Connection, table: str) -> int:
 """The highest rowid: from the table, or for calls from the all-time count when the table's end is unreadable."""
 queries = [f"SELECT max(rowid) FROM {table}"] + (["SELECT calls FROM totals"] if table == "calls" else [])
 found = 0
 for query in queries:
  with contextlib.suppress(sqlite3.DatabaseError):
   found = max(found, source.execute(query).fetchone()[0] or 0)
 return found


def _copy_meta(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
 with contextlib.suppress(sqlite3.DatabaseError):
  rows = source.execute("SELECT key, value FROM meta").fetchall()
  target.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)


def _swap(path: Path, kept: Path, fresh: Path) -> None:
 """The damaged file (with its write-ahead log) renamed aside, untouched; the repaired copy in its place."""
 try:
  path.replace(kept)
  wal = path.with_name(path.name + "-wal")
  if wal.exists():
   wal.replace(kept.with_name(kept.name + "-wal"))
  path.with_name(path.name + "-shm").unlink(missing_ok=True)
  fresh.replace(path)
 except OSError as exc:
  raise LedgerError(f"{path}: cannot put the repaired copy {fresh} in place: {exc.strerror or exc}") from None
