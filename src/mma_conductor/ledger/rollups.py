"""Rollups of the ledger's calls: per hour and cell, per session, per run, all time; usage per half hour and day.

After a batch of calls is inserted (in the same transaction, so the rollups always agree with the calls), SQL
sums the new rows (a contiguous id range: the writer holds the write lock) per key and upserts each key once.
Costs are summed as split parts and stored as (cost_hi, cost_lo), normalized so that 0 <= cost_lo < 2^32
(`split_cost`, `join_cost`); the rare cost too large for an INTEGER is added from Python.

`usage_slots` and `usage_days` hold what re-pricing needs: tokens per half hour (and per UTC day), cell and
context band. A call's band is how many of BAND_LIMITS its prompt exceeds; every long-context threshold of the
built-in prices and the price dataset is one of them, so all calls of a band pay one set of rates and their
summed tokens price exactly.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from ..pricing.usage import Usage
from .periods import US_PER_HOUR

COST_SPLIT_BITS = 32
COST_LO_MASK = (1 << COST_SPLIT_BITS) - 1
# The six normalized usage counts, in Usage field order: a column each in calls and in every rollup.
TOKEN_COLUMNS = tuple(field.name for field in fields(Usage))

# Prompt sizes (input tokens) where a band ends. A price tier applies to prompts ABOVE its threshold, so a band
# (limit k-1, limit k] is billed at one tier by every price whose thresholds are all limits. These are the
# thresholds found in the built-in table and the genai-prices dataset, and round sizes between them; a price
# with another threshold is still exact (queries re-price the calls of the band it splits one by one). Changing
# them needs a migration that rebuilds the usage rollups (`rebuild_usage`).
BAND_LIMITS = (
 32_000,
 64_000,
 100_000,
 128_000,
 199_999,
 200_000,
 256_000,
 272_000,
 500_000,
 512_000,
 524_288,
 1_000_000,
 2_000_000,
)
# The band in SQL: the number of limits the prompt exceeds, as band_of() counts them in Python.
BAND_SQL = "(" + " + ".join(f"(input_tokens > {limit})" for limit in BAND_LIMITS) + ")"
SLOT_US = US_PER_HOUR // 2  # usage_slots' time step: half hours, so prices that change at :30 can stay exact


def band_of(input_tokens: int) -> int:
 """The context band of a prompt of `input_tokens` (how many BAND_LIMITS it exceeds)."""
 return bisect_left(BAND_LIMITS, input_tokens)


def band_bounds(band: int) -> tuple[int, int | None]:
 """(lowest, highest) prompt size of `band`, inclusive; highest None: no end."""
 low = BAND_LIMITS[band - 1] + 1 if band else 0
 return low, BAND_LIMITS[band] if band < len(BAND_LIMITS) else None


_STORED = (
 "calls",
 "unpriced_calls",
 "cost_hi",
 "cost_lo",
 *TOKEN_COLUMNS,
 "latency_ms",
)
_COLS = ", ".join(_STORED)
# Latency in whole ms, rounded half up; queries sums calls with the same expression.
LATENCY_MS_SQL = "CAST(latency_s * 1000 + 0.5 AS INTEGER)"
# Sums of the new calls per group: split cost parts first, then normalized in the outer SELECT.
_SUMS = (
 "count(*) AS calls, total(cost_units IS NULL AND cost_units_big IS NULL) AS unpriced_calls, "
 f"coalesce(sum(cost_units >> {COST_SPLIT_BITS}), 0) AS hi, coalesce(sum(cost_units & {COST_LO_MASK}), 0) AS lo, "
 + ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in TOKEN_COLUMNS)
 + f", coalesce(sum({LATENCY_MS_SQL}), 0) AS latency_ms"
)
_NORMALIZED = (
 f"calls, CAST(unpriced_calls AS INTEGER) AS unpriced_calls, hi + (lo >> {COST_SPLIT_BITS}) AS cost_hi, "
 f"lo & {COST_LO_MASK} AS cost_lo, " + ", ".join(TOKEN_COLUMNS) + ", latency_ms"
)


def _add_clause(columns: Iterable[str], value: Callable[[str], str]) -> str:
 """SET assignments adding `value(column)` to each column, cost_lo's carry going into cost_hi."""
 hi, lo = value("cost_hi"), value("cost_lo")
 cost = {
  "cost_hi": f"cost_hi = cost_hi + {hi} + ((cost_lo + {lo}) >> {COST_SPLIT_BITS})",
  "cost_lo": f"cost_lo = (cost_lo + {lo}) & {COST_LO_MASK}",
 }
 return ", ".join(cost.get(name, f"{name} = {name} + {value(name)}") for name in columns)


def _set_clause() -> str:
 return _add_clause(_STORED, lambda name: f"excluded.{name}")


_SPAN_UPDATE = "first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)"
_BATCH_KEY = "hour, provider, model, tier, agent, status, session_id, run_id"
# The new calls summed once by their finest key (a few dozen rows per batch); every rollup reads from that.
_BATCH_TABLE = (
 f"CREATE TEMP TABLE IF NOT EXISTS rollup_batch (hour, provider, model, tier, agent, status, session_id, run_id, "
 f"first_us, last_us, {_COLS})"
)
_FILL_BATCH = (
 f"INSERT INTO rollup_batch SELECT {_BATCH_KEY}, first_us, last_us, {_NORMALIZED} FROM ("
 f"SELECT ts_us / {US_PER_HOUR} AS hour, provider, model, tier, agent, status, session_id, run_id, "
 f"min(ts_us) AS first_us, max(ts_us) AS last_us, {_SUMS} FROM calls WHERE id BETWEEN ? AND ? "
 "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)"
)
_BATCH_SUMS = (
 "sum(calls) AS calls, sum(unpriced_calls) AS unpriced_calls, sum(cost_hi) AS hi, sum(cost_lo) AS lo, "
 + ", ".join(f"sum({c}) AS {c}" for c in TOKEN_COLUMNS)
 + ", sum(latency_ms) AS latency_ms"
)
_NORMALIZED_BATCH = _NORMALIZED.replace("CAST(unpriced_calls AS INTEGER)", "unpriced_calls")
_ROLL_HOURLY = (
 f"INSERT INTO hourly (hour, provider, model, tier, agent, status, {_COLS}) "
 f"SELECT hour, provider, model, tier, agent, status, {_NORMALIZED_BATCH} FROM ("
 f"SELECT hour, provider, model, tier, agent, status, {_BATCH_SUMS} FROM rollup_batch "
 "GROUP BY 1, 2, 3, 4, 5, 6) WHERE true "
 f"ON CONFLICT (hour, provider, model, tier, agent, status) DO UPDATE SET {_set_clause()}"
)
_ROLL_SESSIONS = (
 f"INSERT INTO sessions (session_id, first_us, last_us, {_COLS}) "
 f"SELECT session_id, first_us, last_us, {_NORMALIZED_BATCH} FROM ("
 f"SELECT session_id, min(first_us) AS first_us, max(last_us) AS last_us, {_BATCH_SUMS} FROM rollup_batch "
 "GROUP BY session_id) WHERE true "
 f"ON CONFLICT (session_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)
_ROLL_RUNS = (
 f"INSERT INTO run_costs (run_id, first_us, last_us, {_COLS}) "
 f"SELECT run_id, first_us, last_us, {_NORMALIZED_BATCH} FROM ("
 f"SELECT run_id, min(first_us) AS first_us, max(last_us) AS last_us, {_BATCH_SUMS} FROM rollup_batch "
 "WHERE run_id != '' GROUP BY run_id) WHERE true "
 f"ON CONFLICT (run_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)
_NEW_TOTAL = f"SELECT {_NORMALIZED_BATCH} FROM (SELECT {_BATCH_SUMS} FROM rollup_batch)"
_ADD_TOTAL = "UPDATE totals SET " + _add_clause(_STORED, lambda name: "?") + " WHERE id = 1"


def roll_up(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
 """Add the calls with ids first_id..last_id to every rollup (inside the caller's transaction)."""
 bounds = (first_id, last_id)
 conn.execute(_BATCH_TABLE)
 conn.execute("DELETE FROM rollup_batch")
 conn.execute(_FILL_BATCH, bounds)
 conn.execute(_ROLL_HOURLY)
 conn.execute(_ROLL_SESSIONS)
 conn.execute(_ROLL_RUNS)
 roll_up_usage(conn, first_id, last_id)
 new = conn.execute(_NEW_TOTAL).fetchone()
 conn.execute(_ADD_TOTAL, (*new[:3], new[3], *new[3:]))
 big = conn.execute(
  "SELECT ts_us, provider, model, tier, agent, status, session_id, run_id, cost_units_big FROM calls "
  "WHERE id BETWEEN ? AND ? AND cost_units_big IS NOT NULL",
  bounds,
 ).fetchall()
 for ts_us, provider, model, tier, agent, status, session_id, run_id, text in big:
  _add_cost(conn, int(text), (ts_us // US_PER_HOUR, provider, model, tier, agent, status), session_id, run_id)


# usage_slots and usage_days: calls, the calls with usage (billed at any price), the six token sums and latency.
USAGE_COLUMNS = ("calls", "billed_calls", *TOKEN_COLUMNS, "latency_ms")
_USAGE_CELL = "provider, model, tier, agent, status, band"
_USAGE_COLS = ", ".join(USAGE_COLUMNS)


@dataclass(frozen=True, slots=True)
class UsageLevel:
 """One usage rollup: its table, the column of its time step (ts_us // step_us) and the step's length."""

 table: str
 column: str
 step_us: int

 def upsert(self) -> str:
  """`ON CONFLICT` clause that adds the new sums to a key's row."""
  key = f"{self.column}, {_USAGE_CELL}"
  return f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = {c} + excluded.{c}" for c in USAGE_COLUMNS)

 def roll_up_sql(self) -> str:
  """Sum calls with ids between two parameters per key and add them."""
  return (
   f"INSERT INTO {self.table} ({self.column}, {_USAGE_CELL}, {_USAGE_COLS}) SELECT * FROM ("
   f"SELECT ts_us / {self.step_us}, provider, model, tier, agent, status, {BAND_SQL}, count(*), "
   "sum(input_tokens + output_tokens > 0), "
   + ", ".join(f"sum({c})" for c in TOKEN_COLUMNS)
   + f", sum({LATENCY_MS_SQL}) FROM calls WHERE id BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5, 6, 7) WHERE true "
   + self.upsert()
  )

 def values_sql(self) -> str:
  """Add one key's sums given as parameters."""
  marks = ", ".join("?" * (7 + len(USAGE_COLUMNS)))
  return f"INSERT INTO {self.table} ({self.column}, {_USAGE_CELL}, {_USAGE_COLS}) VALUES ({marks}) " + self.upsert()


US_PER_DAY = 24 * US_PER_HOUR
SLOTS_PER_DAY = US_PER_DAY // SLOT_US
USAGE_SLOTS = UsageLevel("usage_slots", "slot", SLOT_US)
USAGE_DAYS = UsageLevel("usage_days", "day", US_PER_DAY)  # UTC days: a month's usage in ~50 times fewer rows
USAGE_LEVELS = (USAGE_SLOTS, USAGE_DAYS)


def roll_up_usage(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
 """Add the calls with ids first_id..last_id to usage_slots and usage_days (inside the caller's transaction)."""
 for level in USAGE_LEVELS:
  conn.execute(level.roll_up_sql(), (first_id, last_id))


def _roll_up_usage_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
 slots = _usage_cells(rows)
 days: dict[tuple, list[int]] = {}
 for key, cell in slots.items():
  day_key = (key[0] // SLOTS_PER_DAY, *key[1:])
  current = days.get(day_key)
  if current is None:
   days[day_key] = list(cell)
  else:
   _add_into_cell(current, cell)
 for level, cells in ((USAGE_SLOTS, slots), (USAGE_DAYS, days)):
  conn.executemany(level.values_sql(), [(*key, *cell) for key, cell in cells.items()])


def _add_into_cell(current: list[int], cell: list[int]) -> None:
 for index, value in enumerate(cell):
  current[index] += value


def _usage_cells(rows: list[tuple]) -> dict[tuple, list[int]]:
 """The rows summed per usage_slots key, in USAGE_COLUMNS order (written out: it runs for every recorded call)."""
 cells: dict[tuple, list[int]] = {}
 get = cells.get
 for row in rows:
  i, o, cr, cw, cw1h, reasoning = row[ROW_TOKENS]
  key = (row[ROW_TS] // SLOT_US, row[ROW_PROVIDER], row[ROW_MODEL], row[ROW_TIER], row[ROW_AGENT], row[ROW_STATUS])
  key += (bisect_left(BAND_LIMITS, i),)
  latency_ms = int(row[ROW_LATENCY] * 1000 + 0.5)  # the same arithmetic as LATENCY_MS_SQL
  cell = get(key)
  if cell is None:
   cells[key] = [1, i + o > 0, i, o, cr, cw, cw1h, reasoning, latency_ms]
   continue
  cell[0] += 1
  cell[1] += i + o > 0
  cell[2] += i
  cell[3] += o
  cell[4] += cr
  cell[5] += cw
  cell[6] += cw1h
  cell[7] += reasoning
  cell[8] += latency_ms
 return cells


_ADD = _add_clause(("cost_hi", "cost_lo"), lambda name: "?")


def _add_cost(conn: sqlite3.Connection, units: int, hour_key: tuple, session_id: str, run_id: str) -> None:
 hi, lo = split_cost(units)
 parts = (hi, lo, lo)
 conn.execute(
  f"UPDATE hourly SET {_ADD} WHERE hour = ? AND provider = ? AND model = ? AND tier = ? AND agent = ? AND status = ?",
  (*parts, *hour_key),
 )
 conn.execute(f"UPDATE sessions SET {_ADD} WHERE session_id = ?", (*parts, session_id))
 if run_id:
  conn.execute(f"UPDATE run_costs SET {_ADD} WHERE run_id = ?", (*parts, run_id))
 conn.execute(f"UPDATE totals SET {_ADD} WHERE id = 1", parts)


# Positions in the calls-table rows that Ledger.record_calls builds (the order of its INSERT's columns).
ROW_TS, ROW_SESSION, ROW_RUN, ROW_TIER, ROW_AGENT, ROW_PROVIDER, ROW_MODEL = 0, 1, 2, 4, 5, 6, 7
ROW_TOKENS = slice(9, 15)
ROW_COST, ROW_COST_BIG, ROW_LATENCY, ROW_STATUS = 16, 17, 18, 19

_VALUE_MARKS = ", ".join("?" * len(_STORED))
_HOURLY_VALUES = (
 f"INSERT INTO hourly (hour, provider, model, tier, agent, status, {_COLS}) VALUES (?, ?, ?, ?, ?, ?, {_VALUE_MARKS}) "
 f"ON CONFLICT (hour, provider, model, tier, agent, status) DO UPDATE SET {_set_clause()}"
)
_SESSION_VALUES = (
 f"INSERT INTO sessions (session_id, first_us, last_us, {_COLS}) VALUES (?, ?, ?, {_VALUE_MARKS}) "
 f"ON CONFLICT (session_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)
_RUN_VALUES = (
 f"INSERT INTO run_costs (run_id, first_us, last_us, {_COLS}) VALUES (?, ?, ?, {_VALUE_MARKS}) "
 f"ON CONFLICT (run_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)


def roll_up_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
 """Add freshly inserted calls (all of `rows`, none skipped) to every rollup, summing in Python first: the
 fast path of a batch without repeated request ids. Same result as roll_up over their ids."""
 hourly, sessions, runs, total = _group_cells(_cells(rows))
 conn.executemany(_HOURLY_VALUES, [(*key, *_stored(cell)) for key, cell in hourly.items()])
 conn.executemany(_SESSION_VALUES, [(key, cell[10], cell[11], *_stored(cell)) for key, cell in sessions.items()])
 conn.executemany(_RUN_VALUES, [(key, cell[10], cell[11], *_stored(cell)) for key, cell in runs.items()])
 new = _stored(total)
 conn.execute(_ADD_TOTAL, (*new[:3], new[3], *new[3:]))
 _roll_up_usage_rows(conn, rows)


def _cells(rows: list[tuple]) -> dict[tuple, list[int]]:
 """The rows summed per (hour, provider, model, tier, agent, status, session, run); a cell holds calls,
 unpriced calls, cost units, the six token counts, latency ms, and the first and last timestamp."""
 cells: dict[tuple, list[int]] = {}
 for row in rows:
  ts = row[ROW_TS]
  key = (ts // US_PER_HOUR, row[ROW_PROVIDER], row[ROW_MODEL], row[ROW_TIER], row[ROW_AGENT], row[ROW_STATUS])
  key += (row[ROW_SESSION], row[ROW_RUN])
  cell = cells.get(key)
  if cell is None:
   cell = cells[key] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ts, ts]
  _add_row(cell, row, ts)
 return cells


def _add_row(cell: list[int], row: tuple, ts: int) -> None:
 cost = call_cost(row[ROW_COST], row[ROW_COST_BIG])
 if cost is None:
  cell[1] += 1
 else:
  cell[2] += cost
 cell[0] += 1
 i, o, cr, cw, cw1h, reasoning = row[ROW_TOKENS]
 cell[3] += i
 cell[4] += o
 cell[5] += cr
 cell[6] += cw
 cell[7] += cw1h
 cell[8] += reasoning
 cell[9] += int(row[ROW_LATENCY] * 1000 + 0.5)  # the same arithmetic as LATENCY_MS_SQL
 if ts < cell[10]:
  cell[10] = ts
 elif ts > cell[11]:
  cell[11] = ts


def _group_cells(cells: dict[tuple, list[int]]) -> tuple[dict, dict, dict, list[int]]:
 """The cells summed per hourly key, per session, per run, and in total."""
 hourly: dict[tuple, list[int]] = {}
 sessions: dict[str, list[int]] = {}
 runs: dict[str, list[int]] = {}
 total = [0] * 10
 for key, cell in cells.items():
  _merge(hourly, key[:6], cell)
  _merge(sessions, key[6], cell)
  if key[7]:
   _merge(runs, key[7], cell)
  for index in range(10):
   total[index] += cell[index]
 return hourly, sessions, runs, total


def _merge(into: dict, key: object, cell: list[int]) -> None:
 current = into.get(key)
 if current is None:
  into[key] = list(cell)
 else:
  _merge_into(current, cell)


def _merge_into(current: list[int], cell: list[int]) -> None:
 for index in range(10):
  current[index] += cell[index]
 current[10] = min(current[10], cell[10])
 current[11] = max(current[11], cell[11])


def _stored(cell: list[int]) -> list[int]:
 """calls, unpriced, cost_hi, cost_lo, six token sums, latency: a cell as the rollup tables store it."""
 hi, lo = split_cost(cell[2])
 return [cell[0], cell[1], hi, lo, *cell[3:10]]


def split_cost(units: int) -> tuple[int, int]:
 """`units` as (hi, lo) with units == hi * 2^32 + lo and 0 <= lo < 2^32."""
 return units >> COST_SPLIT_BITS, units & COST_LO_MASK


def join_cost(hi: int, lo: int) -> int:
 """The exact units of a (hi, lo) pair, whatever the size of `lo`."""
 return (hi << COST_SPLIT_BITS) + lo


def read_total_units(conn: sqlite3.Connection) -> int:
 """All-time cost in units, from the totals row."""
 return join_cost(*conn.execute("SELECT cost_hi, cost_lo FROM totals WHERE id = 1").fetchone())


def call_cost(cost_units: int | None, cost_units_big: str | None) -> int | None:
 """The exact cost of a stored call (None: unpriced)."""
 if cost_units is not None:
  return cost_units
 return int(cost_units_big) if cost_units_big is not None else None


def rebuild_rollups(conn: sqlite3.Connection) -> None:
 """Recompute every rollup from the calls table (migrations and repair), inside the caller's transaction."""
 conn.execute("DELETE FROM hourly")
 conn.execute("DELETE FROM sessions")
 conn.execute("DELETE FROM run_costs")
 for level in USAGE_LEVELS:
  conn.execute(f"DELETE FROM {level.table}")
 conn.execute("UPDATE totals SET " + ", ".join(f"{name} = 0" for name in _STORED) + " WHERE id = 1")
 first, last = conn.execute("SELECT min(id), max(id) FROM calls").fetchone()
 if first is not None:
  roll_up(conn, first, last)


_DAYS_FROM_SLOTS = (
 f"INSERT INTO usage_days (day, {_USAGE_CELL}, {_USAGE_COLS}) SELECT slot / {SLOTS_PER_DAY}, {_USAGE_CELL}, "
 + ", ".join(f"sum({c})" for c in USAGE_COLUMNS)
 + " FROM usage_slots GROUP BY 1, 2, 3, 4, 5, 6, 7"
)


def rebuild_usage(conn: sqlite3.Connection) -> None:
 """Recompute usage_slots and usage_days alone (the migration that adds them): the slots from the calls, in one
 pass over them, then the days from the slots."""
 for level in USAGE_LEVELS:
  conn.execute(f"DELETE FROM {level.table}")
 first, last = conn.execute("SELECT min(id), max(id) FROM calls").fetchone()
 if first is not None:
  conn.execute(USAGE_SLOTS.roll_up_sql(), (first, last))
  conn.execute(_DAYS_FROM_SLOTS)
