"""What the Cost Dashboard shows, read from the ledger for one time range and filters (issue 13).

The contract between the ledger (which fills these, off the GUI thread) and the GUI (which only draws them).
Money is exact integer units of 1e-15 USD; times are epoch microseconds (UTC). Every figure follows the query's
range and filters.

Functions (implemented in this module):

    dashboard_data(ledger, query, *, tz=None) -> DashboardData
        cards, trend, provider / model breakdown, tier analysis, top 5 runs, the number of sessions
    sessions_page(ledger, query, *, sort="last", descending=True, offset=0, limit=200) -> SessionsPage
        one page of the sessions table (sortable by every column)
    session_lines(ledger, session_id) -> SessionLines
        a session's per-model and per-tier lines (the expanded row)
    run_tickets(ledger, run_id) -> tuple[TicketLine, ...]
        a run's tickets with their outcome and cost (the click on a run)
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import tzinfo
from itertools import pairwise

from .periods import US_PER_HOUR, period_bounds, period_start, to_datetime, to_us
from .queries import _RAW_VECTOR, _ROLLUP_VECTOR, CallFilter, _clause, _div, _vector, _where, exact_usd, narrowed
from .rollups import join_cost
from .store import Ledger

RANGES = ("1h", "24h", "7d", "30d", "month", "all", "custom")
SESSION_SORTS = ("last", "first", "cost", "calls", "input", "output", "cache", "runs", "session")


@dataclass(frozen=True, slots=True)
class DashboardQuery:
 """The range [since, until) (None: open) and the filters (None: all)."""

 since_us: int | None = None
 until_us: int | None = None
 provider: str | None = None
 model: str | None = None
 tier: str | None = None
 run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Cards:
 """The figures across the top of the dashboard."""

 spent_units: int
 runs: int
 avg_per_run_units: int  # spent / runs (0 without runs)
 spend_rate_units_per_hour: int  # spent over the range's hours (from its first call when the range is open)
 calls: int
 input_tokens: int
 output_tokens: int
 cache_read_tokens: int
 cache_write_tokens: int
 top_tier: str  # "" without calls
 top_tier_units: int
 unpriced_calls: int


@dataclass(frozen=True, slots=True)
class Trend:
 """Cost per bucket (an hour for ranges up to 48 h, else a day, in the query's time zone), per provider."""

 bucket: str  # "hour" or "day"
 starts_us: tuple[int, ...]  # the start of each bucket, ascending, every bucket of the range (gaps as 0)
 by_provider: dict[str, tuple[int, ...]] = field(default_factory=dict)  # provider -> units per bucket


@dataclass(frozen=True, slots=True)
class ModelShare:
 """One model's part of the range's spend (or one provider's, with model "")."""

 provider: str
 model: str
 cost_units: int
 share: float  # of the range's spend, 0..1 (display only)
 calls: int
 input_tokens: int
 output_tokens: int
 cache_read_tokens: int


@dataclass(frozen=True, slots=True)
class TierAnalysis:
 """One tier over the range: what its tickets cost, who ran it, and cost per successful vs failed ticket."""

 tier: str
 cost_units: int
 share: float
 tickets: int  # tickets with calls of this tier in the range (Tier 1: plans, one per run)
 avg_per_ticket_units: int
 main_provider: str  # the provider / model with the most cost in this tier
 main_model: str
 done_tickets: int  # tickets whose outcome is done (passed QA)
 failed_tickets: int  # blocked
 cost_per_done_units: int  # this tier's cost on done tickets / done tickets (0 when none)
 cost_per_failed_units: int


@dataclass(frozen=True, slots=True)
class RunLine:
 """A run (track run) in the top-5 list."""

 run_id: str
 goal: str
 status: str
 cost_units: int
 calls: int
 first_us: int
 last_us: int


@dataclass(frozen=True, slots=True)
class DashboardData:
 """Everything the dashboard draws for one query."""

 query: DashboardQuery
 cards: Cards
 trend: Trend
 providers: tuple[ModelShare, ...]  # dearest first, model ""
 models: tuple[ModelShare, ...]  # dearest first within their provider, providers in `providers` order
 tiers: tuple[TierAnalysis, ...]  # Tier 1..4 (tiers without calls included, at 0)
 top_runs: tuple[RunLine, ...]  # the 5 costliest runs
 sessions: int  # sessions with calls in the range (the sessions table's row count)


@dataclass(frozen=True, slots=True)
class SessionRow:
 """One row of the sessions table."""

 session_id: str
 first_us: int
 last_us: int
 cost_units: int
 calls: int
 input_tokens: int
 output_tokens: int
 cache_tokens: int  # read + write
 runs: int


@dataclass(frozen=True, slots=True)
class SessionsPage:
 """`rows` are rows offset .. offset + len(rows) of `total`, in the asked order."""

 total: int
 offset: int
 rows: tuple[SessionRow, ...]


@dataclass(frozen=True, slots=True)
class SessionLines:
 """A session's expanded row: per (provider, model) and per tier."""

 session_id: str
 by_model: tuple[ModelShare, ...]
 by_tier: tuple[tuple[str, int, int], ...]  # (tier, cost units, calls)
 run_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TicketLine:
 """One ticket of a run: its outcome (from the tickets table) and what its calls cost."""

 ticket_id: str
 title: str
 status: str
 attempts: int
 model: str
 cost_units: int
 calls: int


# Ranges -----------------------------------------------------------------------------------------------------------

_RANGE_US = {"1h": US_PER_HOUR, "24h": 24 * US_PER_HOUR, "7d": 7 * 24 * US_PER_HOUR, "30d": 30 * 24 * US_PER_HOUR}
HOURLY_TREND_MAX_US = 48 * US_PER_HOUR  # ranges up to this long trend per hour, longer ones per day
TOP_RUNS = 5
TIERS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")
DONE_STATUS = "done"  # the ticket passed QA
FAILED_STATUS = "blocked"
_MINUTE_US = 60_000_000
# Vector positions (queries._vector): calls, unpriced calls, cost units, the six token counts, latency ms.
_CALLS, _UNPRICED, _COST, _IN, _OUT, _READ, _WRITE = range(7)
_VECTOR_SIZE = 10


def range_query(
 name: str,
 now_us: int,
 tz: tzinfo | None = None,
 since_us: int | None = None,
 until_us: int | None = None,
 **filters: str | None,
) -> DashboardQuery:
 """The query of a range name (RANGES) at `now_us`: the last 1h / 24h / 7d / 30d up to now, this calendar month
 (in `tz`) up to now, everything up to now, or `custom` [since_us, until_us). `filters`: provider, model, tier,
 run_id (None or "": all)."""
 kept = {key: value or None for key, value in filters.items()}
 if name in _RANGE_US:
  return DashboardQuery(now_us - _RANGE_US[name], now_us, **kept)
 if name == "month":
  return DashboardQuery(period_start("month", now_us, tz), now_us, **kept)
 if name == "all":
  return DashboardQuery(None, now_us, **kept)
 if name == "custom":
  return DashboardQuery(since_us, until_us, **kept)
 raise ValueError(f"unknown range {name!r} (use {', '.join(RANGES)})")


def call_filter(query: DashboardQuery) -> CallFilter:
 """The calls that `query` covers, as a CallFilter (for the ledger's other reports and exports)."""
 return CallFilter(
  since_us=query.since_us,
  until_us=query.until_us,
  run_id=query.run_id,
  model=query.model,
  provider=query.provider,
  tier=query.tier,
 )


def _resolved(ledger: Ledger, filt: CallFilter) -> CallFilter | None:
 """`filt` with an open start at its first matching call and an open end after its last (None: no calls)."""
 if filt.since_us is not None and filt.until_us is not None:
  return filt
 where, params = _where(filt)
 # One ordered lookup each through the time index (min() and max() together, or with a filter, scan the range).
 ends = [f"SELECT ts_us FROM calls{where} ORDER BY ts_us {order} LIMIT 1" for order in ("ASC", "DESC")]
 first, last = (_one(ledger.connection.execute(sql, params).fetchone()) for sql in ends)
 if first is None:
  return None if filt.since_us is None or filt.until_us is None else filt
 since = first if filt.since_us is None else filt.since_us
 until = last + 1 if filt.until_us is None else filt.until_us
 return replace(filt, since_us=since, until_us=max(since, until))


def _one(row: tuple | None) -> int | None:
 return None if row is None else row[0]


# Buckets ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Buckets:
 kind: str
 starts: tuple[int, ...]

 def index(self, us: int) -> int:
  return bisect_right(self.starts, us) - 1


def _buckets(since_us: int, until_us: int, tz: tzinfo | None) -> _Buckets:
 """Every hour (ranges up to 48 h) or day of [since, until), in `tz`."""
 if until_us - since_us <= HOURLY_TREND_MAX_US:
  moment = to_datetime(since_us, tz).replace(minute=0, second=0, microsecond=0)
  return _Buckets("hour", tuple(range(to_us(moment), until_us, US_PER_HOUR)))
 starts = [period_start("day", since_us, tz)]
 while True:
  following = period_bounds("day", starts[-1], tz)[1]
  if following >= until_us:
   return _Buckets("day", tuple(starts))
  starts.append(following)


# Sums -------------------------------------------------------------------------------------------------------------


def _add(sums: dict, key: object, vector: list[int]) -> None:
 current = sums.get(key)
 if current is None:
  sums[key] = list(vector)
 else:
  for i, value in enumerate(vector):
   current[i] += value


def _raw_sums(conn, filt: CallFilter, keys: tuple[str, ...], spans: bool = False) -> Iterable[tuple[tuple, list[int]]]:
 """(key values, vector) of the matching calls summed per `keys` (SQL expressions; with `spans`, followed by the
 first and last call's time), costs too large for an INTEGER as extra vectors."""
 if filt.since_us is not None and filt.until_us is not None and filt.since_us >= filt.until_us:
  return
 where, params = _where(filt)
 columns, count = ", ".join(keys), len(keys) + 2 * spans
 group = ", ".join(str(i + 1) for i in range(len(keys)))
 span_sql = ", min(ts_us), max(ts_us)" if spans else ""
 for row in conn.execute(f"SELECT {columns}{span_sql}, {_RAW_VECTOR} FROM calls{where} GROUP BY {group}", params):
  yield row[:count], _vector(row[count:])
 glue = " AND " if where else " WHERE "
 span_sql = ", ts_us, ts_us" if spans else ""
 big = f"SELECT {columns}{span_sql}, cost_units_big FROM calls{where}{glue}cost_units_big IS NOT NULL"
 for row in conn.execute(big, params):
  yield row[:count], [0, 0, int(row[count])] + [0] * (_VECTOR_SIZE - 3)


_CELL_KEYS = ("provider", "model", "tier")


def _cells(conn, filt: CallFilter, buckets: _Buckets) -> dict[tuple[int, str, str, str], list[int]]:
 """Sums per (bucket, provider, model, tier): each bucket's whole hours from the hourly rollup, summed in SQL (when
 no run filter applies); the partial hours at the range's edges and hours a bucket boundary splits from the calls,
 per minute."""
 sums: dict = {}
 hours = _whole_hours(filt)
 if not filt.rollup_ok or hours is None:
  _add_raw_cells(conn, filt, buckets, sums)
  return sums
 spans, split = _bucket_hours(buckets, filt)
 where, params = _clause([(f"h.{c} = ?", v) for c, v in filt.matches()])
 sql = (
  f"SELECT b.key, h.provider, h.model, h.tier, {_ROLLUP_VECTOR} FROM json_each(?) b JOIN hourly h "
  "ON h.hour >= json_extract(b.value, '$[0]') AND h.hour < json_extract(b.value, '$[1]')"
  f"{where} GROUP BY 1, 2, 3, 4"
 )
 for bucket, provider, model, tier, *vector in conn.execute(sql, [json.dumps(spans), *params]):
  _add(sums, (bucket, provider, model, tier), _vector(vector))
 first_hour, end_hour = hours
 edges = [(filt.since_us, first_hour * US_PER_HOUR), (end_hour * US_PER_HOUR, filt.until_us)]
 edges += [(hour * US_PER_HOUR, (hour + 1) * US_PER_HOUR) for hour in split if first_hour <= hour < end_hour]
 for since, until in edges:
  _add_raw_cells(conn, replace(filt, since_us=since, until_us=until), buckets, sums)
 return sums


def _bucket_hours(buckets: _Buckets, filt: CallFilter) -> tuple[list[tuple[int, int]], list[int]]:
 """[first, end) of the whole hours of each bucket within the range, and the hours that a bucket boundary splits
 (in zones whose offset is not whole hours)."""
 ends = [*buckets.starts[1:], filt.until_us]
 spans = []
 for start, end in zip(buckets.starts, ends, strict=True):
  low, high = max(start, filt.since_us), min(end, filt.until_us)
  spans.append((-(-low // US_PER_HOUR), max(-(-low // US_PER_HOUR), high // US_PER_HOUR)))
 return spans, sorted({start // US_PER_HOUR for start in buckets.starts[1:] if start % US_PER_HOUR})


def _whole_hours(filt: CallFilter) -> tuple[int, int] | None:
 first = -(-filt.since_us // US_PER_HOUR)
 end = filt.until_us // US_PER_HOUR
 return (first, end) if first < end else None


def _add_raw_cells(conn, filt: CallFilter, buckets: _Buckets, sums: dict) -> None:
 for (minute, *cell), vector in _raw_sums(conn, filt, (f"ts_us / {_MINUTE_US}", *_CELL_KEYS)):
  _add(sums, (buckets.index(minute * _MINUTE_US), *cell), vector)


def _grouped(cells: dict, pick) -> dict:
 sums: dict = {}
 for key, vector in cells.items():
  _add(sums, pick(key), vector)
 return sums


# Runs and sessions in the range -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entity:
 """Where a run's or a session's figures are kept: its rollup table and its column in calls."""

 table: str
 column: str


_RUNS = _Entity("run_costs", "run_id")
_SESSIONS = _Entity("sessions", "session_id")
_ROLLUP_COLUMNS = "calls, unpriced_calls, cost_hi, cost_lo, input_tokens, output_tokens, cache_read_tokens, "
_ROLLUP_COLUMNS += "cache_write_tokens, cache_write_1h_tokens, reasoning_tokens, latency_ms"


def _entities(conn, filt: CallFilter, entity: _Entity) -> dict[str, list]:
 """id -> [vector, first_us, last_us] of the runs or sessions with matching calls in the range: from the rollup
 for those wholly inside it when only the range applies, from the calls otherwise."""
 found: dict[str, list] = {}
 if filt.matches():
  _add_raw_entities(conn, filt, entity, found, None)
 else:
  _rollup_entities(conn, filt, entity, found)
 found.pop("", None) if entity is _RUNS else None
 return found


def _rollup_entities(conn, filt: CallFilter, entity: _Entity, found: dict) -> None:
 since, until = filt.since_us, filt.until_us
 sql = f"SELECT {entity.column}, first_us, last_us, {_ROLLUP_COLUMNS} FROM {entity.table} "
 before, after = [], []
 for key, first, last, *vector in conn.execute(sql + "WHERE last_us >= ? AND first_us < ?", (since, until)):
  if first < since:
   before.append((key, last))
  elif last >= until:
   after.append((key, first))
  else:
   found[key] = [_vector(vector), first, last]
 # Those that begin before the range, and those that end after it, summed from their calls in it.
 _add_edge_entities(conn, filt, entity, found, before, after)


def _add_edge_entities(conn, filt: CallFilter, entity: _Entity, found: dict, before: list, after: list) -> None:
 if before:
  window = replace(filt, until_us=min(filt.until_us, max(last for _, last in before) + 1))
  _add_raw_entities(conn, window, entity, found, {key for key, _ in before})
 if after:
  window = replace(filt, since_us=max(filt.since_us, min(first for _, first in after)))
  _add_raw_entities(conn, window, entity, found, {key for key, _ in after})


def _add_raw_entities(conn, filt: CallFilter, entity: _Entity, found: dict, only: set | None) -> None:
 for (key, first, last), vector in _raw_sums(conn, filt, (entity.column,), spans=True):
  if only is None or key in only:
   _merge(found, key, vector, first, last)


def _merge(found: dict, key: str, vector: list[int], first: int, last: int) -> None:
 current = found.get(key)
 if current is None:
  found[key] = [vector, first, last]
  return
 for i, value in enumerate(vector):
  current[0][i] += value
 current[1], current[2] = min(current[1], first), max(current[2], last)


# Tickets ----------------------------------------------------------------------------------------------------------


def _ticket_sums(conn, filt: CallFilter) -> dict[str, dict[str, list[int]]]:
 """tier -> outcome ("done", "blocked", other or "" without one) -> [tickets, cost units] of the runs' tickets (a
 run's plan, ticket "", counts as one) with matching calls of that tier in the range. Runs wholly inside the range
 come from the tier_outcomes rollup unless a provider or model filter applies; the rest from their calls."""
 if filt.provider is not None or filt.model is not None:
  return _raw_ticket_sums(conn, filt, None, {})
 if filt.run_id is None and _holds_every_run(conn, filt):
  return _total_ticket_sums(conn, filt.tier)
 return _run_ticket_sums(conn, filt)


def _run_ticket_sums(conn, filt: CallFilter) -> dict[str, dict[str, list[int]]]:
 tiers: dict[str, dict[str, list[int]]] = {}
 where, params = _clause([("r.run_id = ?", filt.run_id), ("o.tier = ?", filt.tier)])
 glue = " AND " if where else " WHERE "
 sql = (
  "SELECT o.tier, o.status, sum(o.tickets), sum(o.cost_hi), sum(o.cost_lo) FROM run_costs r "
  f"CROSS JOIN tier_outcomes o ON o.run_id = r.run_id{where}{glue}r.first_us >= ? AND r.last_us < ? GROUP BY 1, 2"
 )
 for tier, status, tickets, hi, lo in conn.execute(sql, [*params, filt.since_us, filt.until_us]):
  tiers.setdefault(tier, {})[status] = [tickets, join_cost(hi, lo)]
 before, after = _edge_runs(conn, filt)
 if before:
  window = replace(filt, until_us=min(filt.until_us, max(last for _, last in before) + 1))
  _raw_ticket_sums(conn, window, {run for run, _ in before}, tiers)
 if after:
  window = replace(filt, since_us=max(filt.since_us, min(first for _, first in after)))
  _raw_ticket_sums(conn, window, {run for run, _ in after}, tiers)
 return tiers


def _holds_every_run(conn, filt: CallFilter) -> bool:
 first, last = conn.execute("SELECT min(first_us), max(last_us) FROM run_costs").fetchone()
 return first is None or (filt.since_us <= first and last < filt.until_us)


def _total_ticket_sums(conn, tier: str | None) -> dict[str, dict[str, list[int]]]:
 tiers: dict[str, dict[str, list[int]]] = {}
 where, params = _clause([("tier = ?", tier)])
 sql = f"SELECT tier, status, tickets, cost_hi, cost_lo FROM tier_outcome_totals{where}"
 for row_tier, status, tickets, hi, lo in conn.execute(sql, params):
  tiers.setdefault(row_tier, {})[status] = [tickets, join_cost(hi, lo)]
 return tiers


def _edge_runs(conn, filt: CallFilter) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
 """Runs with calls before the range and in it (run, last call), and runs that begin in it and end after it (run,
 first call)."""
 since, until = filt.since_us, filt.until_us
 where, params = _clause([("run_id = ?", filt.run_id)])
 glue = " AND " if where else " WHERE "
 sql = f"SELECT run_id, first_us, last_us FROM run_costs{where}{glue}last_us >= ? AND first_us < ? "
 sql += "AND (first_us < ? OR last_us >= ?)"
 rows = conn.execute(sql, [*params, since, until, since, until]).fetchall()
 before = [(run, last) for run, first, last in rows if first < since]
 after = [(run, first) for run, first, last in rows if first >= since]
 return before, after


def _raw_ticket_sums(conn, filt: CallFilter, only: set[str] | None, tiers: dict) -> dict[str, dict[str, list[int]]]:
 """Add the tickets of the matching calls (of the runs in `only`, None: all) to `tiers`."""
 costs: dict[tuple[str, str, str], int] = {}
 for key, vector in _raw_sums(conn, filt, ("tier", "run_id", "ticket_id")):
  if key[1] and (only is None or key[1] in only):
   costs[key] = costs.get(key, 0) + vector[_COST]
 outcomes = _outcomes(conn, {run for _, run, _ in costs})
 for (tier, run, ticket), units in costs.items():
  sums = tiers.setdefault(tier, {}).setdefault(outcomes.get((run, ticket), ""), [0, 0])
  sums[0] += 1
  sums[1] += units
 return tiers


def _outcomes(conn, runs: set[str]) -> dict[tuple[str, str], str]:
 found: dict[tuple[str, str], str] = {}
 ordered = sorted(runs)
 for first in range(0, len(ordered), 500):
  part = ordered[first : first + 500]
  marks = ", ".join("?" * len(part))
  sql = f"SELECT run_id, ticket_id, status FROM tickets WHERE run_id IN ({marks})"
  found.update(((run, ticket), status) for run, ticket, status in conn.execute(sql, part))
 return found


def _tier_analysis(tier: str, cells: dict, tickets: dict[str, list[int]], spent: int) -> TierAnalysis:
 own = {key: vector for key, vector in cells.items() if key[2] == tier}
 cost = sum(vector[_COST] for vector in own.values())
 provider, model = _dearest(own) if own else ("", "")
 count = sum(sums[0] for sums in tickets.values())
 done, failed = tickets.get(DONE_STATUS, [0, 0]), tickets.get(FAILED_STATUS, [0, 0])
 return TierAnalysis(
  tier=tier,
  cost_units=cost,
  share=_share(cost, spent),
  tickets=count,
  avg_per_ticket_units=_div(cost, count) if count else 0,
  main_provider=provider,
  main_model=model,
  done_tickets=done[0],
  failed_tickets=failed[0],
  cost_per_done_units=_div(done[1], done[0]) if done[0] else 0,
  cost_per_failed_units=_div(failed[1], failed[0]) if failed[0] else 0,
 )


def _dearest(cells: dict) -> tuple[str, str]:
 """The (provider, model) with the most cost among (provider, model, tier) cells (ties: most calls, then name)."""
 models = _grouped(cells, lambda key: key[:2])
 return min(models, key=lambda key: (-models[key][_COST], -models[key][_CALLS], key))


def _share(part: int, whole: int) -> float:
 return part / whole if whole else 0.0


# The dashboard ----------------------------------------------------------------------------------------------------


def dashboard_data(ledger: Ledger, query: DashboardQuery, *, tz: tzinfo | None = None) -> DashboardData:
 """Everything the dashboard shows for `query` (trend buckets in `tz`, None: local time)."""
 with ledger.reading() as conn:
  filt = _resolved(ledger, narrowed(ledger, call_filter(query)))
  if filt is None:
   return _empty(query)
  buckets = _buckets(filt.since_us, filt.until_us, tz)
  per_bucket = _cells(conn, filt, buckets)
  run_count, runs = _run_figures(conn, filt)
  sessions = len(_entities(conn, filt, _SESSIONS))
  tickets = _ticket_sums(conn, filt)
  top = _top_runs(conn, runs)
 cells = _grouped(per_bucket, lambda key: key[1:])  # (provider, model, tier)
 spent = sum(vector[_COST] for vector in cells.values())
 return DashboardData(
  query=query,
  cards=_cards(cells, run_count, filt),
  trend=_trend(buckets, per_bucket),
  providers=_provider_shares(cells, spent),
  models=_model_shares(cells, spent),
  tiers=tuple(_tier_analysis(t, cells, tickets.get(t, {}), spent) for t in _tiers(cells, tickets)),
  top_runs=top,
  sessions=sessions,
 )


def _empty(query: DashboardQuery) -> DashboardData:
 cards = Cards(0, 0, 0, 0, 0, 0, 0, 0, 0, "", 0, 0)
 empty_tiers = tuple(_tier_analysis(t, {}, {}, 0) for t in TIERS)
 return DashboardData(query, cards, Trend("hour", ()), (), (), empty_tiers, (), 0)


def _tiers(cells: dict, tickets: dict) -> list[str]:
 seen = {key[2] for key in cells} | set(tickets)
 return [*TIERS, *sorted(seen - set(TIERS))]


def _cards(cells: dict, runs: int, filt: CallFilter) -> Cards:
 total = [0] * _VECTOR_SIZE
 for vector in cells.values():
  for i, value in enumerate(vector):
   total[i] += value
 by_tier = _grouped(cells, lambda key: key[2])
 top = min(by_tier, key=lambda t: (-by_tier[t][_COST], -by_tier[t][_CALLS], t)) if by_tier else ""
 span = filt.until_us - filt.since_us
 return Cards(
  spent_units=total[_COST],
  runs=runs,
  avg_per_run_units=_div(total[_COST], runs) if runs else 0,
  spend_rate_units_per_hour=_div(total[_COST] * US_PER_HOUR, span) if span > 0 else 0,
  calls=total[_CALLS],
  input_tokens=total[_IN],
  output_tokens=total[_OUT],
  cache_read_tokens=total[_READ],
  cache_write_tokens=total[_WRITE],
  top_tier=top,
  top_tier_units=by_tier[top][_COST] if top else 0,
  unpriced_calls=total[_UNPRICED],
 )


def _trend(buckets: _Buckets, cells: dict) -> Trend:
 by_provider: dict[str, list[int]] = {}
 for (bucket, provider, _, _), vector in cells.items():
  by_provider.setdefault(provider, [0] * len(buckets.starts))[bucket] += vector[_COST]
 ordered = sorted(by_provider, key=lambda p: (-sum(by_provider[p]), p))
 return Trend(buckets.kind, buckets.starts, {p: tuple(by_provider[p]) for p in ordered})


def _model_share(provider: str, model: str, vector: list[int], spent: int) -> ModelShare:
 return ModelShare(
  provider, model, vector[_COST], _share(vector[_COST], spent), vector[_CALLS], vector[_IN], vector[_OUT], vector[_READ]
 )


def _dearest_first(sums: dict) -> list:
 return sorted(sums, key=lambda key: (-sums[key][_COST], -sums[key][_CALLS], key))


def _provider_shares(cells: dict, spent: int) -> tuple[ModelShare, ...]:
 providers = _grouped(cells, lambda key: key[0])
 return tuple(_model_share(p, "", providers[p], spent) for p in _dearest_first(providers))


def _model_shares(cells: dict, spent: int) -> tuple[ModelShare, ...]:
 models = _grouped(cells, lambda key: key[:2])
 order = {share.provider: i for i, share in enumerate(_provider_shares(cells, spent))}
 ranked = sorted(_dearest_first(models), key=lambda key: order[key[0]])  # stable: dearest first per provider
 return tuple(_model_share(p, m, models[p, m], spent) for p, m in ranked)


def _run_figures(conn, filt: CallFilter) -> tuple[int, dict[str, list]]:
 """(runs with matching calls in the range, the runs that may be among the costliest: id -> [vector, first, last]).
 Without filters, the runs wholly inside the range are counted and ranked in SQL (run_costs), those that cross
 its edges summed from their calls in it."""
 if filt.matches():
  runs = _entities(conn, filt, _RUNS)
  return len(runs), runs
 inside = "FROM run_costs WHERE first_us >= ? AND last_us < ?"
 span = (filt.since_us, filt.until_us)
 count = conn.execute(f"SELECT count(*) {inside}", span).fetchone()[0]
 top = f"SELECT run_id, first_us, last_us, {_ROLLUP_COLUMNS} {inside} ORDER BY cost_hi DESC, cost_lo DESC, run_id"
 found = {run: [_vector(v), first, last] for run, first, last, *v in conn.execute(f"{top} LIMIT {TOP_RUNS}", span)}
 edges: dict[str, list] = {}
 _add_edge_entities(conn, filt, _RUNS, edges, *_edge_runs(conn, filt))
 return count + len(edges), found | edges


def _top_runs(conn, runs: dict[str, list]) -> tuple[RunLine, ...]:
 top = sorted(runs, key=lambda run: (-runs[run][0][_COST], run))[:TOP_RUNS]
 lines = []
 for run in top:
  vector, first, last = runs[run]
  row = conn.execute("SELECT status, goal FROM runs WHERE run_id = ?", (run,)).fetchone()
  status, goal = row if row else ("unknown", "")
  lines.append(RunLine(run, goal, status, vector[_COST], vector[_CALLS], first, last))
 return tuple(lines)


# Sessions table ---------------------------------------------------------------------------------------------------

_SORT_FIELDS = {
 "last": "last_us",
 "first": "first_us",
 "cost": "cost_units",
 "calls": "calls",
 "input": "input_tokens",
 "output": "output_tokens",
 "cache": "cache_tokens",
 "runs": "runs",
 "session": "session_id",
}
assert set(_SORT_FIELDS) == set(SESSION_SORTS)
# A run counts in the session of its first call (a run lives in one session): by the sessions' spans when no two
# overlap, else through the time index.
_RUNS_PER_SESSION = (
 "SELECT c.session_id, count(DISTINCT r.run_id) FROM run_costs r CROSS JOIN calls c ON c.ts_us = r.first_us "
 "AND c.run_id = r.run_id WHERE r.last_us >= ? AND r.first_us < ? GROUP BY 1"
)


def sessions_page(
 ledger: Ledger,
 query: DashboardQuery,
 *,
 sort: str = "last",
 descending: bool = True,
 offset: int = 0,
 limit: int = 200,
) -> SessionsPage:
 """Rows offset .. offset + limit of the sessions with matching calls in the range, their figures within the range
 and filters, ordered by `sort` (SESSION_SORTS; ties by session id)."""
 if sort not in _SORT_FIELDS:
  raise ValueError(f"unknown sort {sort!r} (use {', '.join(SESSION_SORTS)})")
 if limit < 0 or offset < 0:
  raise ValueError(f"limit and offset must not be negative (got {limit}, {offset})")
 with ledger.reading() as conn:
  filt = _resolved(ledger, narrowed(ledger, call_filter(query)))
  if filt is None:
   return SessionsPage(0, offset, ())
  found = _entities(conn, filt, _SESSIONS)
  runs = _runs_per_session(conn, filt)
 rows = sorted((_session_row(key, value, runs.get(key, 0)) for key, value in found.items()), key=_session_id)
 name = _SORT_FIELDS[sort]
 rows.sort(key=lambda row: getattr(row, name), reverse=descending)
 return SessionsPage(len(rows), offset, tuple(rows[offset : offset + limit]))


def _session_id(row: SessionRow) -> str:
 return row.session_id


def _session_row(session_id: str, found: list, runs: int) -> SessionRow:
 vector, first, last = found
 cache = vector[_READ] + vector[_WRITE]
 return SessionRow(session_id, first, last, vector[_COST], vector[_CALLS], vector[_IN], vector[_OUT], cache, runs)


def _runs_per_session(conn, filt: CallFilter) -> dict[str, int]:
 if filt.matches():
  where, params = _where(filt)
  glue = " AND " if where else " WHERE "
  sql = f"SELECT session_id, count(DISTINCT run_id) FROM calls{where}{glue}run_id != '' GROUP BY 1"
  return dict(conn.execute(sql, params).fetchall())
 span = (filt.since_us, filt.until_us)
 firsts = [
  first for (first,) in conn.execute("SELECT first_us FROM run_costs WHERE last_us >= ? AND first_us < ?", span)
 ]
 if not firsts:
  return {}
 sessions = conn.execute(
  "SELECT session_id, first_us, last_us FROM sessions WHERE last_us >= ? AND first_us < ? ORDER BY first_us",
  (min(firsts), filt.until_us),
 ).fetchall()
 if not _disjoint(sessions):
  return dict(conn.execute(_RUNS_PER_SESSION, span).fetchall())
 return _sessions_holding(sessions, firsts)


def _disjoint(sessions: list[tuple[str, int, int]]) -> bool:
 return all(earlier[2] < later[1] for earlier, later in pairwise(sessions))


def _sessions_holding(sessions: list[tuple[str, int, int]], firsts: list[int]) -> dict[str, int]:
 """Runs per session, each run in the session whose span holds its first call: with spans that do not overlap,
 the one session that can have made that call."""
 starts = [first for _, first, _ in sessions]
 counts: dict[str, int] = {}
 for first in firsts:
  index = bisect_right(starts, first) - 1
  if index >= 0 and sessions[index][2] >= first:
   counts[sessions[index][0]] = counts.get(sessions[index][0], 0) + 1
 return counts


def session_lines(ledger: Ledger, session_id: str) -> SessionLines:
 """A session's figures per (provider, model), dearest first, and per tier; the runs it holds."""
 with ledger.reading() as conn:
  filt = narrowed(ledger, CallFilter(session_id=session_id))
  models = dict(_summed(_raw_sums(conn, filt, ("provider", "model"))))
  tiers = dict(_summed(_raw_sums(conn, filt, ("tier",))))
  where, params = _where(filt)
  run_ids = tuple(r for (r,) in conn.execute(f"SELECT DISTINCT run_id FROM calls{where} ORDER BY 1", params) if r)
 spent = sum(vector[_COST] for vector in models.values())
 by_model = tuple(_model_share(*key, models[key], spent) for key in _dearest_first(models))
 by_tier = tuple((tier, tiers[tier][_COST], tiers[tier][_CALLS]) for tier in sorted(tiers))
 return SessionLines(session_id, by_model, by_tier, run_ids)


def _summed(rows: Iterable[tuple[tuple, list[int]]]) -> list[tuple[object, list[int]]]:
 sums: dict = {}
 for key, vector in rows:
  _add(sums, key if len(key) > 1 else key[0], vector)
 return list(sums.items())


def run_tickets(ledger: Ledger, run_id: str) -> tuple[TicketLine, ...]:
 """A run's tickets (those with an outcome and those with calls; the plan is ticket ""), by ticket id."""
 with ledger.reading() as conn:
  filt = narrowed(ledger, CallFilter(run_id=run_id))
  costs = dict(_summed(_raw_sums(conn, filt, ("ticket_id",))))
  sql = "SELECT ticket_id, title, status, attempts, model FROM tickets WHERE run_id = ?"
  outcomes = {row[0]: row[1:] for row in conn.execute(sql, (run_id,))}
 lines = []
 for ticket in sorted(set(costs) | set(outcomes)):
  title, status, attempts, model = outcomes.get(ticket, ("", "", 0, ""))
  vector = costs.get(ticket, [0] * _VECTOR_SIZE)
  lines.append(TicketLine(ticket, title, status, attempts, model, vector[_COST], vector[_CALLS]))
 return tuple(lines)


# JSON -------------------------------------------------------------------------------------------------------------


def dashboard_json(data: DashboardData) -> dict:
 """`data` as JSON-ready dicts: every `..._units` figure also as exact USD text (`..._usd`), since JSON readers
 that hold numbers as doubles round integers past 2^53 units (about $9)."""
 return _with_usd(asdict(data))


def _with_usd(value):
 if isinstance(value, dict):
  out = {key: _with_usd(item) for key, item in value.items()}
  for key, item in value.items():
   if key.endswith("_units") and isinstance(item, int):
    out[key[: -len("_units")] + "_usd"] = exact_usd(item)
  return out
 if isinstance(value, list | tuple):
  return [_with_usd(item) for item in value]
 return value
