"""The ledger's history for a pre-run estimate: per tier, the tokens of each ticket (and of each run's calls for no
ticket: Tier 1's plan) of the most recent finished runs, and their tickets per run (priced in pricing/run_estimate).

A run counts when its status is `done` or `blocked` (it ran to its end; a stopped run's tickets are not all there).
The calls are found through the time index: the runs' span comes from their rollup row.
"""

from __future__ import annotations

from collections import defaultdict

from ..pricing.run_estimate import NO_HISTORY, RunHistory, TokenSample
from ..pricing.usage import Usage
from .rollups import TOKEN_COLUMNS
from .store import Ledger

HISTORY_RUNS = 20
FINISHED_RUN_STATUSES = ("done", "blocked")

_RECENT_RUNS_SQL = """
SELECT c.run_id, c.first_us, c.last_us FROM run_costs c JOIN runs r ON r.run_id = c.run_id
WHERE r.status IN (?, ?) ORDER BY c.last_us DESC, c.run_id LIMIT ?"""


def run_history(ledger: Ledger, limit: int = HISTORY_RUNS) -> RunHistory:
 """Token samples of the `limit` most recent finished runs (NO_HISTORY when there are none)."""
 with ledger.reading() as conn:
  spans = conn.execute(_RECENT_RUNS_SQL, (*FINISHED_RUN_STATUSES, limit)).fetchall()
  if not spans:
   return NO_HISTORY
  marks = ", ".join("?" for _ in spans)
  sums = ", ".join(f"sum({column})" for column in TOKEN_COLUMNS)
  sql = (
   f"SELECT run_id, ticket_id, tier, count(*), {sums} FROM calls WHERE ts_us >= ? AND ts_us <= ?"
   f" AND run_id IN ({marks}) GROUP BY run_id, ticket_id, tier"
  )
  span = (min(s[1] for s in spans), max(s[2] for s in spans))
  rows = conn.execute(sql, (*span, *(s[0] for s in spans))).fetchall()
 return history_from_groups(len(spans), rows)


def history_from_groups(runs: int, rows: list[tuple]) -> RunHistory:
 """A RunHistory from (run_id, ticket_id, tier, calls, *token sums in TOKEN_COLUMNS order) rows."""
 per_ticket: dict[str, list[TokenSample]] = defaultdict(list)
 per_run: dict[str, list[TokenSample]] = defaultdict(list)
 tickets: dict[str, set[str]] = defaultdict(set)
 for run_id, ticket_id, tier, calls, *tokens in rows:
  sample = TokenSample(calls, Usage(**dict(zip(TOKEN_COLUMNS, tokens, strict=True))))
  (per_ticket if ticket_id else per_run)[tier].append(sample)
  tickets[run_id].update([ticket_id] if ticket_id else [])
 return RunHistory(
  runs,
  {tier: tuple(samples) for tier, samples in per_ticket.items()},
  {tier: tuple(samples) for tier, samples in per_run.items()},
  tuple(len(ids) for ids in tickets.values()) + (0,) * (runs - len(tickets)),
 )
