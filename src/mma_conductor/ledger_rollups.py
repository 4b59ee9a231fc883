"""Rollups of the ledger's calls: per hour and cell, per session, per run, and all time.

After a batch of calls is inserted (in the same transaction, so the rollups always agree with the calls), SQL
sums the new rows (a contiguous id range: the writer holds the write lock) per key and upserts each key once.
Costs are summed as split parts and stored as (cost_hi, cost_lo), normalized so that 0 <= cost_lo < 2^32
(see ledger_schema); the rare cost too large for an INTEGER is added from Python.
"""

from __future__ import annotations

import sqlite3

from .ledger_schema import COST_LO_MASK, COST_SPLIT_BITS, TOKEN_COLUMNS, US_PER_HOUR, split_cost

_STORED = (
 "calls",
 "unpriced_calls",
 "cost_hi",
 "cost_lo",
 *TOKEN_COLUMNS,
 "latency_ms",
)
_COLS = ", ".join(_STORED)
# Latency in whole ms, rounded half up; ledger_queries uses the same expression.
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


def _set_clause() -> str:
 parts = []
 for name in _STORED:
  if name == "cost_hi":
   parts.append(f"cost_hi = cost_hi + excluded.cost_hi + ((cost_lo + excluded.cost_lo) >> {COST_SPLIT_BITS})")
  elif name == "cost_lo":
   parts.append(f"cost_lo = (cost_lo + excluded.cost_lo) & {COST_LO_MASK}")
  else:
   parts.append(f"{name} = {name} + excluded.{name}")
 return ", ".join(parts)


_SPAN_UPDATE = "first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)"
_HOUR = f"ts_us / {US_PER_HOUR}"
_ROLL_HOURLY = (
 f"INSERT INTO hourly (hour, provider, model, tier, agent, status, {_COLS}) "
 f"SELECT hour, provider, model, tier, agent, status, {_NORMALIZED} FROM ("
 f"SELECT {_HOUR} AS hour, provider, model, tier, agent, status, {_SUMS} FROM calls WHERE id BETWEEN ? AND ? "
 "GROUP BY 1, 2, 3, 4, 5, 6) WHERE true "
 f"ON CONFLICT (hour, provider, model, tier, agent, status) DO UPDATE SET {_set_clause()}"
)
_ROLL_SESSIONS = (
 f"INSERT INTO sessions (session_id, first_us, last_us, {_COLS}) "
 f"SELECT session_id, first_us, last_us, {_NORMALIZED} FROM ("
 f"SELECT session_id, min(ts_us) AS first_us, max(ts_us) AS last_us, {_SUMS} FROM calls WHERE id BETWEEN ? AND ? "
 "GROUP BY session_id) WHERE true "
 f"ON CONFLICT (session_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)
_ROLL_RUNS = (
 f"INSERT INTO run_costs (run_id, first_us, last_us, {_COLS}) "
 f"SELECT run_id, first_us, last_us, {_NORMALIZED} FROM ("
 f"SELECT run_id, min(ts_us) AS first_us, max(ts_us) AS last_us, {_SUMS} FROM calls "
 "WHERE id BETWEEN ? AND ? AND run_id != '' GROUP BY run_id) WHERE true "
 f"ON CONFLICT (run_id) DO UPDATE SET {_SPAN_UPDATE}, {_set_clause()}"
)
_NEW_TOTAL = f"SELECT {_NORMALIZED} FROM (SELECT {_SUMS} FROM calls WHERE id BETWEEN ? AND ?)"
_ADD_TOTAL = (
 "UPDATE totals SET "
 + ", ".join(
  f"cost_hi = cost_hi + ? + ((cost_lo + ?) >> {COST_SPLIT_BITS})"
  if name == "cost_hi"
  else f"cost_lo = (cost_lo + ?) & {COST_LO_MASK}"
  if name == "cost_lo"
  else f"{name} = {name} + ?"
  for name in _STORED
 )
 + " WHERE id = 1"
)


def roll_up(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
 """Add the calls with ids first_id..last_id to every rollup (inside the caller's transaction)."""
 bounds = (first_id, last_id)
 conn.execute(_ROLL_HOURLY, bounds)
 conn.execute(_ROLL_SESSIONS, bounds)
 conn.execute(_ROLL_RUNS, bounds)
 new = conn.execute(_NEW_TOTAL, bounds).fetchone()
 conn.execute(_ADD_TOTAL, (*new[:3], new[3], *new[3:]))
 big = conn.execute(
  "SELECT ts_us, provider, model, tier, agent, status, session_id, run_id, cost_units_big FROM calls "
  "WHERE id BETWEEN ? AND ? AND cost_units_big IS NOT NULL",
  bounds,
 ).fetchall()
 for ts_us, provider, model, tier, agent, status, session_id, run_id, text in big:
  _add_cost(conn, int(text), (ts_us // US_PER_HOUR, provider, model, tier, agent, status), session_id, run_id)


_ADD = f"cost_hi = cost_hi + ? + ((cost_lo + ?) >> {COST_SPLIT_BITS}), cost_lo = (cost_lo + ?) & {COST_LO_MASK}"


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


def read_total_units(conn: sqlite3.Connection) -> int:
 """All-time cost in units, from the totals row."""
 hi, lo = conn.execute("SELECT cost_hi, cost_lo FROM totals WHERE id = 1").fetchone()
 return (hi << COST_SPLIT_BITS) + lo


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
 conn.execute("UPDATE totals SET " + ", ".join(f"{name} = 0" for name in _STORED) + " WHERE id = 1")
 first, last = conn.execute("SELECT min(id), max(id) FROM calls").fetchone()
 if first is not None:
  roll_up(conn, first, last)
