"""The ledger's reports beyond period summaries: sessions, runs (and the cost per successful run), and the
charges beyond plain tokens. Apart from `queries` so that a summary's cold start does not build their classes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..pricing.line_items import PLAIN_ITEMS
from .periods import iso_utc
from .queries import (
 ALL_CALLS,
 CallFilter,
 Figures,
 _clause,
 _div,
 _figures,
 _vector,
 _where,
 exact_usd,
 narrowed,
 summarize,
)
from .rollups import TOKEN_COLUMNS
from .store import Ledger

SUCCESSFUL_RUN_STATUS = "done"


# Sessions ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionFigures:
 """One session's all-time figures and the span of its calls."""

 session_id: str
 first_us: int
 last_us: int
 figures: Figures

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  return {"session_id": self.session_id, "first": iso_utc(self.first_us), "last": iso_utc(self.last_us)} | {
   k: v for k, v in self.figures.as_dict().items() if k != "key"
  }


_VECTOR_COLUMNS = "calls, unpriced_calls, cost_hi, cost_lo, " + ", ".join(TOKEN_COLUMNS) + ", latency_ms"


def sessions(ledger: Ledger, filt: CallFilter = ALL_CALLS, *, limit: int = 50, offset: int = 0) -> list[SessionFigures]:
 """Sessions with calls in the range (their whole figures), most recent first."""
 where, params = _clause(_overlapping(filt))
 sql = (
  f"SELECT session_id, first_us, last_us, {_VECTOR_COLUMNS} FROM sessions{where} "
  "ORDER BY last_us DESC, session_id LIMIT ? OFFSET ?"
 )
 with ledger.reading():
  rows = ledger.connection.execute(sql, [*params, limit, offset]).fetchall()
 return [SessionFigures(r[0], r[1], r[2], _figures(r[0], _vector(r[3:]))) for r in rows]


def _overlapping(filt: CallFilter) -> list[tuple[str, int | None]]:
 """Conditions for a span (first_us, last_us) that has calls in the range of `filt`."""
 return [("last_us >= ?", filt.since_us), ("first_us < ?", filt.until_us)]


@dataclass(frozen=True, slots=True)
class SessionBreakdown:
 """One session's figures by model and by tier."""

 session_id: str
 total: Figures
 by_model: tuple[Figures, ...]
 by_tier: tuple[Figures, ...]

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  return {
   "session_id": self.session_id,
   "total": self.total.as_dict(),
   "by_model": [f.as_dict() for f in self.by_model],
   "by_tier": [f.as_dict() for f in self.by_tier],
  }


def session_breakdown(ledger: Ledger, session_id: str) -> SessionBreakdown:
 """Figures of one session by model and by tier."""
 filt = CallFilter(session_id=session_id)
 by_model = summarize(ledger, "model", filt)
 by_tier = summarize(ledger, "tier", filt)
 return SessionBreakdown(
  session_id, by_model.total, by_model.groups, tuple(sorted(by_tier.groups, key=lambda f: f.key))
 )


# Runs -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunFigures:
 """One run: its status (unknown when only calls were recorded), goal, span and all-time figures."""

 run_id: str
 status: str
 goal: str
 first_us: int | None
 last_us: int | None
 figures: Figures

 @property
 def successful(self) -> bool:
  """Whether the run finished with every ticket done."""
  return self.status == SUCCESSFUL_RUN_STATUS

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  return {
   "run_id": self.run_id,
   "status": self.status,
   "goal": self.goal,
   "first": iso_utc(self.first_us) if self.first_us is not None else None,
   "last": iso_utc(self.last_us) if self.last_us is not None else None,
  } | {k: v for k, v in self.figures.as_dict().items() if k != "key"}


_RUNS_SQL = f"""
SELECT run_id, coalesce(status, 'unknown'), coalesce(goal, ''), first_us, last_us, {_VECTOR_COLUMNS} FROM (
 SELECT c.run_id, r.status, r.goal, min(coalesce(r.started_us, c.first_us), c.first_us) AS first_us,
  max(coalesce(r.ended_us, c.last_us), c.last_us) AS last_us, c.calls, c.unpriced_calls, c.cost_hi, c.cost_lo,
  {", ".join("c." + t for t in TOKEN_COLUMNS)}, c.latency_ms
 FROM run_costs c LEFT JOIN runs r ON r.run_id = c.run_id
 UNION ALL
 SELECT r.run_id, r.status, r.goal, r.started_us, coalesce(r.ended_us, r.updated_us), 0, 0, 0, 0,
  {", ".join("0" for _ in TOKEN_COLUMNS)}, 0
 FROM runs r WHERE r.run_id NOT IN (SELECT run_id FROM run_costs)
)"""


def runs(
 ledger: Ledger,
 filt: CallFilter = ALL_CALLS,
 *,
 status: str | None = None,
 limit: int | None = 50,
 offset: int = 0,
 costliest: bool = False,
) -> list[RunFigures]:
 """Runs active in the range of `filt` (optionally with this run `status`) with their totals, most recent
 (or costliest) first."""
 where, params = _clause([*_overlapping(filt), ("coalesce(status, 'unknown') = ?", status)])
 order = "cost_hi DESC, cost_lo DESC, run_id" if costliest else "last_us DESC, run_id"
 sql = f"{_RUNS_SQL}{where} ORDER BY {order} LIMIT ? OFFSET ?"
 with ledger.reading():
  rows = ledger.connection.execute(sql, [*params, -1 if limit is None else limit, offset]).fetchall()
 return [RunFigures(r[0], r[1], r[2], r[3], r[4], _figures(r[0], _vector(r[5:]))) for r in rows]


def top_runs(ledger: Ledger, n: int = 10, filt: CallFilter = ALL_CALLS) -> list[RunFigures]:
 """The `n` costliest runs active in the range."""
 if n < 0:
  raise ValueError(f"top N must not be negative, got {n}")
 return runs(ledger, filt, limit=n, costliest=True)


def run_totals(ledger: Ledger, run_id: str) -> RunFigures | None:
 """One run's totals, or None."""
 with ledger.reading():
  row = ledger.connection.execute(f"{_RUNS_SQL} WHERE run_id = ?", (run_id,)).fetchone()
 return None if row is None else RunFigures(row[0], row[1], row[2], row[3], row[4], _figures(row[0], _vector(row[5:])))


@dataclass(frozen=True, slots=True)
class RunEconomics:
 """What runs cost: all runs, the successful ones, and the cost per successful run (all runs' cost, failures
 included, divided by the successful runs: what one delivered result really cost)."""

 runs: int
 successful_runs: int
 cost_units: int
 successful_cost_units: int
 cost_per_successful_run_units: int | None
 mean_successful_run_units: int | None

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  per = self.cost_per_successful_run_units
  mean = self.mean_successful_run_units
  return {
   "runs": self.runs,
   "successful_runs": self.successful_runs,
   "cost_usd": exact_usd(self.cost_units),
   "successful_cost_usd": exact_usd(self.successful_cost_units),
   "cost_per_successful_run_usd": None if per is None else exact_usd(per),
   "mean_successful_run_usd": None if mean is None else exact_usd(mean),
  }


def run_economics(ledger: Ledger, filt: CallFilter = ALL_CALLS) -> RunEconomics:
 """Cost per successful run over the runs active in the range."""
 all_runs = runs(ledger, CallFilter(since_us=filt.since_us, until_us=filt.until_us), limit=None)
 total = sum(r.figures.cost_units for r in all_runs)
 good = [r for r in all_runs if r.successful]
 good_cost = sum(r.figures.cost_units for r in good)
 per = _div(total, len(good)) if good else None
 mean = _div(good_cost, len(good)) if good else None
 return RunEconomics(len(all_runs), len(good), total, good_cost, per, mean)


# Beyond plain tokens ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineTotal:
 """What the calls of a range were billed for one item beyond plain tokens (a tool fee, audio or image tokens,
 a gateway's difference): the quantity (requests or tokens) and the exact cost in units."""

 item: str
 quantity: int
 units: int


def beyond_token_totals(ledger: Ledger, filt: CallFilter = ALL_CALLS) -> list[LineTotal]:
 """Per item, the cost lines of the calls in `filt` that their plain token counts do not tell, dearest first.
 Only calls that kept cost lines are read (few; the partial index finds them)."""
 filt = narrowed(ledger, filt)
 where, params = _where(filt, "c.")
 glue = " AND " if where else " WHERE "
 sql = f"SELECT c.cost_lines FROM calls c{where}{glue}c.cost_lines IS NOT NULL"
 totals: dict[str, list[int]] = {}
 with ledger.reading():
  rows = ledger.connection.execute(sql, params).fetchall()
 for (text,) in rows:
  _add_lines(totals, json.loads(text))
 return sorted((LineTotal(item, *sums) for item, sums in totals.items()), key=lambda t: (-t.units, t.item))


def _add_lines(totals: dict[str, list[int]], lines: list[dict[str, Any]]) -> None:
 for line in lines:
  if line["item"] not in PLAIN_ITEMS:
   sums = totals.setdefault(line["item"], [0, 0])
   sums[0] += line.get("quantity", 0)
   sums[1] += line["units"]
