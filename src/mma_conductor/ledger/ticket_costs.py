"""Rollups of what tickets cost (schema version 8), so that the dashboard's tier analysis reads a row per run, tier and
ticket outcome instead of every call of the range.

`ticket_costs` holds each ticket's cost per tier (a run's plan is ticket ""); `tier_outcomes` sums them per
run, tier and the ticket's current outcome (tickets.status; "" while it has none): how many tickets and what they
cost, and `tier_outcome_totals` the same over all runs (what a range that holds every run reads). Calls are added
as they are recorded (in the same transaction); when a ticket's outcome changes, its tickets
and cost move from the old outcome's row to the new one's. Calls without a run are not tickets and are left out.
Money is kept as (cost_hi, cost_lo) like every rollup (see rollups).
"""

from __future__ import annotations

import sqlite3

from .rollups import (
 COST_SPLIT_BITS,
 ROW_COST,
 ROW_COST_BIG,
 ROW_RUN,
 ROW_TIER,
 call_cost,
 join_cost,
 split_cost,
)

ROW_TICKET = 3  # the ticket id's position in the rows that Ledger.record_calls builds

TABLES = """
CREATE TABLE ticket_costs (
 run_id TEXT NOT NULL,
 ticket_id TEXT NOT NULL,
 tier TEXT NOT NULL,
 cost_hi INTEGER NOT NULL,
 cost_lo INTEGER NOT NULL,
 PRIMARY KEY (run_id, ticket_id, tier)
) WITHOUT ROWID;
CREATE TABLE tier_outcomes (
 run_id TEXT NOT NULL,
 tier TEXT NOT NULL,
 status TEXT NOT NULL,
 tickets INTEGER NOT NULL,
 cost_hi INTEGER NOT NULL,
 cost_lo INTEGER NOT NULL,
 PRIMARY KEY (run_id, tier, status)
) WITHOUT ROWID;
CREATE TABLE tier_outcome_totals (
 tier TEXT NOT NULL,
 status TEXT NOT NULL,
 tickets INTEGER NOT NULL,
 cost_hi INTEGER NOT NULL,
 cost_lo INTEGER NOT NULL,
 PRIMARY KEY (tier, status)
) WITHOUT ROWID
"""

_CARRY = f"cost_hi = cost_hi + excluded.cost_hi + ((cost_lo + excluded.cost_lo) >> {COST_SPLIT_BITS}), "
_CARRY += f"cost_lo = (cost_lo + excluded.cost_lo) & {(1 << COST_SPLIT_BITS) - 1}"
_ADD_TICKET = (
 "INSERT INTO ticket_costs (run_id, ticket_id, tier, cost_hi, cost_lo) VALUES (?, ?, ?, ?, ?) "
 f"ON CONFLICT (run_id, ticket_id, tier) DO UPDATE SET {_CARRY}"
)
_ADD_OUTCOME = (
 "INSERT INTO tier_outcomes (run_id, tier, status, tickets, cost_hi, cost_lo) VALUES (?, ?, ?, ?, ?, ?) "
 f"ON CONFLICT (run_id, tier, status) DO UPDATE SET tickets = tickets + excluded.tickets, {_CARRY}"
)
_ADD_TOTAL = (
 "INSERT INTO tier_outcome_totals (tier, status, tickets, cost_hi, cost_lo) VALUES (?, ?, ?, ?, ?) "
 f"ON CONFLICT (tier, status) DO UPDATE SET tickets = tickets + excluded.tickets, {_CARRY}"
)
_REBUILD_CHUNK = 200_000


def roll_up_ticket_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
 """Add freshly inserted calls (rows as Ledger.record_calls builds them) to the ticket rollups (summed in Python
 first, written out: it runs for every recorded call)."""
 costs: dict[tuple[str, str, str], int] = {}
 get = costs.get
 for row in rows:
  if row[ROW_RUN]:
   key = (row[ROW_RUN], row[ROW_TICKET], row[ROW_TIER])
   costs[key] = get(key, 0) + (row[ROW_COST] or _big_cost(row))
 add_ticket_costs(conn, costs)


def _big_cost(row: tuple) -> int:
 return 0 if row[ROW_COST_BIG] is None else int(row[ROW_COST_BIG])


def roll_up_tickets(conn: sqlite3.Connection, first_id: int, last_id: int) -> None:
 """Add the stored calls with ids first_id..last_id to the ticket rollups, a chunk of calls at a time."""
 sql = "SELECT run_id, ticket_id, tier, cost_units, cost_units_big FROM calls "
 sql += "WHERE id BETWEEN ? AND ? AND run_id != ''"
 for low in range(first_id, last_id + 1, _REBUILD_CHUNK):
  costs: dict[tuple[str, str, str], int] = {}
  for run, ticket, tier, units, big in conn.execute(sql, (low, min(last_id, low + _REBUILD_CHUNK - 1))):
   costs[run, ticket, tier] = costs.get((run, ticket, tier), 0) + (call_cost(units, big) or 0)
  add_ticket_costs(conn, costs)


def rebuild_tickets(conn: sqlite3.Connection) -> None:
 """Recompute both ticket rollups from the calls and the tickets' outcomes (migration and repair)."""
 conn.execute("DELETE FROM ticket_costs")
 conn.execute("DELETE FROM tier_outcomes")
 conn.execute("DELETE FROM tier_outcome_totals")
 first, last = conn.execute("SELECT min(id), max(id) FROM calls").fetchone()
 if first is not None:
  roll_up_tickets(conn, first, last)


def add_ticket_costs(conn: sqlite3.Connection, costs: dict[tuple[str, str, str], int]) -> None:
 """Add the cost of new calls per (run, ticket, tier): to the ticket's row, and to its run's tier and outcome (a
 ticket counted there once, with its first call of that tier)."""
 if not costs:
  return
 runs = {key[0] for key in costs}
 known = _known_tickets(conn, runs)
 outcomes = _outcomes_of(conn, runs)
 by_outcome: dict[tuple[str, str, str], list[int]] = {}
 for key, cost in costs.items():
  entry = by_outcome.setdefault((key[0], key[2], outcomes.get(key[:2], "")), [0, 0])
  entry[0] += key not in known
  entry[1] += cost
 conn.executemany(_ADD_TICKET, [(*key, *split_cost(cost)) for key, cost in costs.items()])
 conn.executemany(_ADD_OUTCOME, [(*key, tickets, *split_cost(cost)) for key, (tickets, cost) in by_outcome.items()])
 totals: dict[tuple[str, str], list[int]] = {}
 for (_, tier, status), (tickets, cost) in by_outcome.items():
  entry = totals.setdefault((tier, status), [0, 0])
  entry[0] += tickets
  entry[1] += cost
 conn.executemany(_ADD_TOTAL, [(*key, tickets, *split_cost(cost)) for key, (tickets, cost) in totals.items()])


def _known_tickets(conn: sqlite3.Connection, runs: set[str]) -> set[tuple[str, str, str]]:
 sql = "SELECT ticket_id, tier FROM ticket_costs WHERE run_id = ?"
 return {(run, ticket, tier) for run in runs for ticket, tier in conn.execute(sql, (run,))}


def _outcomes_of(conn: sqlite3.Connection, runs: set[str]) -> dict[tuple[str, str], str]:
 sql = "SELECT ticket_id, status FROM tickets WHERE run_id = ?"
 return {(run, ticket): status for run in runs for ticket, status in conn.execute(sql, (run,))}


def move_ticket(conn: sqlite3.Connection, run_id: str, ticket_id: str, old: str, new: str) -> None:
 """Move a ticket whose outcome changed from `old` to `new` in tier_outcomes, tier by tier (inside the caller's
 transaction)."""
 sql = "SELECT tier, cost_hi, cost_lo FROM ticket_costs WHERE run_id = ? AND ticket_id = ?"
 for tier, hi, lo in conn.execute(sql, (run_id, ticket_id)).fetchall():
  units = join_cost(hi, lo)
  _shift(conn, (run_id, tier, old), -1, -units)
  _shift(conn, (run_id, tier, new), 1, units)


_OUTCOME_ROWS = (("tier_outcomes", ("run_id", "tier", "status")), ("tier_outcome_totals", ("tier", "status")))


def _shift(conn: sqlite3.Connection, key: tuple[str, str, str], tickets: int, units: int) -> None:
 """Add `tickets` and `units` (negative: take away) to the run's row and to the totals' row of key (run, tier,
 outcome); a row left at nothing goes."""
 for table, columns in _OUTCOME_ROWS:
  values = key[-len(columns) :]
  where = "WHERE " + " AND ".join(f"{column} = ?" for column in columns)
  row = conn.execute(f"SELECT tickets, cost_hi, cost_lo FROM {table} {where}", values).fetchone()
  count, cost = (row[0] + tickets, join_cost(row[1], row[2]) + units) if row else (tickets, units)
  if count == 0 and cost == 0:
   conn.execute(f"DELETE FROM {table} {where}", values)
  else:
   marks = ", ".join("?" * (len(columns) + 3))
   conn.execute(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", (*values, count, *split_cost(cost)))
