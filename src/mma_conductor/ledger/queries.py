"""Reading the ledger: records with filters and pages, summaries, sessions, runs, spend rate, re-pricing.

Summaries at recorded prices come from the hourly rollup for the whole hours of the range and from the calls
themselves for the partial hours at its edges (and for hours that a local day boundary splits, in zones whose
offset is not whole hours), so they are exact for any range and fast for long ones. Every sum is a Python int:
SQL adds the split parts (cost_hi, cost_lo), never whole units, so nothing overflows SQLite's 64 bits.

Summaries at today's prices re-price the tokens of `usage_slots` (per half hour, cell and context band), summed
per model and band, each sum through the price's own `cost_units`: all calls of a band pay the rates of one
tier, so the price of their summed tokens is the sum of their prices, to the unit. The calls themselves are
re-priced one by one at the range's partial edges, in half hours that a period boundary splits, and in a
band that one of the book's tier thresholds splits (a threshold that is none of rollups.BAND_LIMITS).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from ..pricing.line_items import fee_units
from ..pricing.money import UNITS_PER_USD, cost_label, format_usd_auto, units_to_decimal
from ..pricing.usage import Usage
from .periods import PERIODS, US_PER_HOUR, iso_utc, period_bounds, period_key, to_us
from .rollups import (
 BAND_SQL,
 COST_LO_MASK,
 COST_SPLIT_BITS,
 LATENCY_MS_SQL,
 SLOT_US,
 TOKEN_COLUMNS,
 US_PER_DAY,
 USAGE_COLUMNS,
 USAGE_DAYS,
 USAGE_SLOTS,
 UsageLevel,
 band_bounds,
 band_of,
 call_cost,
 join_cost,
)
from .store import Ledger

if TYPE_CHECKING:  # the price book and its table load only for reports at today's prices
 from ..pricing.book import PriceBook
 from ..pricing.prices import ModelPrice

COLUMN_GROUPS = ("provider", "model", "tier", "agent", "status")
GROUPINGS = (*COLUMN_GROUPS, *PERIODS)
PRICE_MODES = ("recorded", "today")

_CALL_COLUMNS = (
 "c.id, c.ts_us, c.session_id, c.run_id, c.ticket_id, c.tier, c.agent, c.provider, c.model, c.requested_model, "
 "c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens, c.cache_write_1h_tokens, "
 "c.reasoning_tokens, c.request_id, c.cost_units, c.cost_units_big, p.price_json, c.latency_s, c.status, c.error, "
 "c.attempts, c.raw_usage, c.cost_lines"
)
VECTOR_SIZE = 10  # calls, unpriced calls, cost units, six token counts, latency ms
_RAW_VECTOR = (
 "count(*), total(cost_units IS NULL AND cost_units_big IS NULL), "
 f"coalesce(sum(cost_units >> {COST_SPLIT_BITS}), 0), coalesce(sum(cost_units & {COST_LO_MASK}), 0), "
 + ", ".join(f"coalesce(sum({c}), 0)" for c in TOKEN_COLUMNS)
 + f", coalesce(sum({LATENCY_MS_SQL}), 0)"
)
_ROLLUP_VECTOR = "sum(calls), sum(unpriced_calls), sum(cost_hi), sum(cost_lo), " + ", ".join(
 f"sum({c})" for c in (*TOKEN_COLUMNS, "latency_ms")
)


@dataclass(frozen=True, slots=True)
class CallFilter:
 """Which calls: a time range [since, until) in epoch microseconds, and exact matches on the other fields."""

 since_us: int | None = None
 until_us: int | None = None
 session_id: str | None = None
 run_id: str | None = None
 agent: str | None = None
 model: str | None = None
 provider: str | None = None
 tier: str | None = None
 status: str | None = None

 def matches(self) -> list[tuple[str, str]]:
  """(column, value) of the exact-match filters that are set."""
  names = ("session_id", "run_id", "agent", "model", "provider", "tier", "status")
  return [(name, getattr(self, name)) for name in names if getattr(self, name) is not None]

 @property
 def rollup_ok(self) -> bool:
  """Whether the hourly rollup (keyed by provider, model, tier, agent, status) can answer."""
  return self.session_id is None and self.run_id is None


@dataclass(frozen=True, slots=True)
class Figures:
 """Cost and tokens of a group of calls. `cost_units` is exact; `unpriced_calls` had usage but no price."""

 key: str
 cost_units: int = 0
 calls: int = 0
 unpriced_calls: int = 0
 input_tokens: int = 0
 output_tokens: int = 0
 cache_read_tokens: int = 0
 cache_write_tokens: int = 0
 cache_write_1h_tokens: int = 0
 reasoning_tokens: int = 0
 latency_ms: int = 0

 @property
 def cost_usd(self) -> float:
  """Float USD, for display edges only."""
  return self.cost_units / UNITS_PER_USD

 @property
 def cost_label(self) -> str:
  """`$1.23`, `unpriced`, or `$1.23 + unpriced`."""
  return cost_label(self.cost_units, self.calls, self.unpriced_calls)

 @property
 def mean_latency_s(self) -> float:
  """Mean latency per call in seconds (0 when there are no calls)."""
  return self.latency_ms / 1000 / self.calls if self.calls else 0.0

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready: exact `cost_usd` as a decimal string, `cost_units` as an integer, the display label."""
  out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
  out["cost_usd"] = exact_usd(self.cost_units)
  out["cost"] = self.cost_label
  out["mean_latency_s"] = round(self.mean_latency_s, 3)
  return out


def exact_usd(units: int) -> str:
 """Units as an exact USD decimal string with 15 places."""
 return format(units_to_decimal(units), ".15f")


ALL_CALLS = CallFilter()


def _figures(key: str, vector: list[int]) -> Figures:
 return Figures(key, vector[2], vector[0], vector[1], *vector[3:])


@dataclass(frozen=True, slots=True)
class Summary:
 """A range's total and its groups (chronological for periods, costliest first otherwise)."""

 by: str | None
 since_us: int | None
 until_us: int | None
 prices: str
 total: Figures
 groups: tuple[Figures, ...] = ()

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  return {
   "by": self.by,
   "since": iso_utc(self.since_us) if self.since_us is not None else None,
   "until": iso_utc(self.until_us) if self.until_us is not None else None,
   "prices": self.prices,
   "total": self.total.as_dict(),
   "groups": [g.as_dict() for g in self.groups],
  }


@dataclass(frozen=True, slots=True)
class LedgerRecord:
 """One stored call."""

 id: int
 ts_us: int
 session_id: str
 run_id: str
 ticket_id: str
 tier: str
 agent: str
 provider: str
 model: str
 requested_model: str
 usage: Usage
 request_id: str
 cost_units: int | None
 price_json: str | None
 latency_s: float
 status: str
 error: str
 attempts: int
 raw_usage: str | None
 cost_lines_json: str | None = None

 @property
 def timestamp(self) -> float:
  """Epoch seconds."""
  return self.ts_us / 1_000_000

 @property
 def price(self) -> dict[str, Any] | None:
  """The prices used and where they came from (ModelPrice.as_dict() and how the name resolved)."""
  return json.loads(self.price_json) if self.price_json else None

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready, exact cost as a decimal string (None when unpriced)."""
  return {
   "id": self.id,
   "ts": iso_utc(self.ts_us),
   "ts_us": self.ts_us,
   "session_id": self.session_id,
   "run_id": self.run_id,
   "ticket_id": self.ticket_id,
   "tier": self.tier,
   "agent": self.agent,
   "provider": self.provider,
   "model": self.model,
   "requested_model": self.requested_model,
   **self.usage.to_dict(),
   "request_id": self.request_id,
   "cost_units": self.cost_units,
   "cost_usd": None if self.cost_units is None else exact_usd(self.cost_units),
   "price": self.price,
   "latency_s": self.latency_s,
   "status": self.status,
   "error": self.error,
   "attempts": self.attempts,
   "raw_usage": json.loads(self.raw_usage) if self.raw_usage else None,
   **_lines_fields(self.cost_lines),
  }

 @property
 def cost_lines(self) -> list[dict[str, Any]] | None:
  """The lines the call's cost is made of when they say more than its token counts (fees, tier rates, ...)."""
  return json.loads(self.cost_lines_json) if self.cost_lines_json else None


def _lines_fields(lines: list[dict[str, Any]] | None) -> dict[str, Any]:
 """A record's cost lines and, when it kept any, its server-tool fees as exact USD."""
 return {"cost_lines": lines, "fees_usd": exact_usd(fee_units(lines)) if lines else None}


def _record(row: tuple) -> LedgerRecord:
 """A LedgerRecord from a row of _CALL_COLUMNS."""
 return LedgerRecord(*row[:10], Usage(*row[10:16]), row[16] or "", call_cost(row[17], row[18]), *row[19:26])


# The span of a session's or a run's calls, from their rollups.
_SPANS = (
 ("session_id", "SELECT first_us, last_us FROM sessions WHERE session_id = ?"),
 ("run_id", "SELECT first_us, last_us FROM run_costs WHERE run_id = ?"),
)


def narrowed(ledger: Ledger, filt: CallFilter) -> CallFilter:
 """`filt` with its time range cut to the span of its session or run (from their rollups), so that the
 calls of one session or run are found through the time index."""
 since, until = filt.since_us, filt.until_us
 for name, sql in _SPANS:
  key = getattr(filt, name)
  if key is not None:
   since, until = _within_span(ledger, sql, key, since, until)
 if (since, until) == (filt.since_us, filt.until_us):
  return filt
 return _range(filt, since, until)


def _within_span(ledger: Ledger, sql: str, key: str, since: int | None, until: int | None) -> tuple[int, int]:
 """[since, until) cut to the span that `sql` finds for `key` (empty, never reversed, when there is none)."""
 with ledger.reading() as conn:
  row = conn.execute(sql, (key,)).fetchone()
 first, last = row if row else (0, -1)  # unknown: an empty range
 since = first if since is None else max(since, first)
 until = last + 1 if until is None else min(until, last + 1)
 return since, max(since, until)


def _clause(conditions: Iterable[tuple[str, Any]]) -> tuple[str, list[Any]]:
 """` WHERE a AND b ...` of the (condition, value) pairs whose value is not None, and those values."""
 kept = [(condition, value) for condition, value in conditions if value is not None]
 where = " WHERE " + " AND ".join(condition for condition, _ in kept) if kept else ""
 return where, [value for _, value in kept]


def _where(filt: CallFilter, prefix: str = "") -> tuple[str, list[Any]]:
 return _clause(
  [
   (f"{prefix}ts_us >= ?", filt.since_us),
   (f"{prefix}ts_us < ?", filt.until_us),
   *((f"{prefix}{column} = ?", value) for column, value in filt.matches()),
  ]
 )


# Records ----------------------------------------------------------------------------------------------------------


def list_calls(
 ledger: Ledger, filt: CallFilter = ALL_CALLS, *, limit: int = 100, offset: int = 0, newest_first: bool = True
) -> list[LedgerRecord]:
 """One page of calls matching `filt`, newest first by default."""
 filt = narrowed(ledger, filt)
 if limit < 0 or offset < 0:
  raise ValueError(f"limit and offset must not be negative (got {limit}, {offset})")
 where, params = _where(filt, "c.")
 order = "DESC" if newest_first else "ASC"
 sql = (
  f"SELECT {_CALL_COLUMNS} FROM calls c LEFT JOIN prices p ON p.id = c.price_id{where} "
  f"ORDER BY c.ts_us {order}, c.id {order} LIMIT ? OFFSET ?"
 )
 with ledger.reading():
  rows = ledger.connection.execute(sql, [*params, limit, offset]).fetchall()
 return [_record(r) for r in rows]


def count_calls(ledger: Ledger, filt: CallFilter = ALL_CALLS) -> int:
 """How many calls match `filt`."""
 filt = narrowed(ledger, filt)
 where, params = _where(filt)
 with ledger.reading():
  return ledger.connection.execute(f"SELECT count(*) FROM calls{where}", params).fetchone()[0]


def iter_calls(ledger: Ledger, filt: CallFilter = ALL_CALLS, chunk: int = 2000) -> Iterator[LedgerRecord]:
 """Every matching call in storage order, a chunk at a time (the lock is not held between chunks)."""
 filt = narrowed(ledger, filt)
 where, params = _where(filt, "c.")
 glue = " AND " if where else " WHERE "
 last = 0
 while True:
  sql = f"SELECT {_CALL_COLUMNS} FROM calls c LEFT JOIN prices p ON p.id = c.price_id{where}{glue}c.id > ? "
  with ledger.reading():
   rows = ledger.connection.execute(sql + "ORDER BY c.id LIMIT ?", [*params, last, chunk]).fetchall()
  if not rows:
   return
  for row in rows:
   yield _record(row)
  last = rows[-1][0]


# Summaries --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Groups:
 by: str | None
 tz: tzinfo | None
 sums: dict[str, list[int]] = field(default_factory=dict)
 span_keys: dict[tuple[int, int], str | None] = field(default_factory=dict)

 def add(self, key: str, vector: list[int] | tuple) -> None:
  current = self.sums.get(key)
  if current is None:
   self.sums[key] = list(vector)
  else:
   _add_into(current, vector)

 def hour_key(self, hour: int) -> str | None:
  """The period key of a whole hour, or None when a period boundary falls inside it."""
  return self.span_key(hour * US_PER_HOUR, US_PER_HOUR)

 def span_key(self, start_us: int, length_us: int) -> str | None:
  """The period key of [start_us, start_us + length_us), or None when a period boundary falls inside it."""
  try:
   return self.span_keys[start_us, length_us]
  except KeyError:
   first = period_key(start_us, self.by, self.tz)
   last = period_key(start_us + length_us - 1, self.by, self.tz)
   key = self.span_keys[start_us, length_us] = first if first == last else None
   return key

 def key(self, value: Any, per_call: bool = False) -> str | None:
  """The group of a row's first column: the column itself, or the period of an hour (None when a period
  boundary splits the hour) or of a call's timestamp (`per_call`)."""
  if self.by not in PERIODS:
   return value
  return period_key(value, self.by, self.tz) if per_call else self.hour_key(value)

 def column(self, hour: str, per_call: bool = False) -> str:
  """What to group rows by in SQL: the grouped column, `hour` (or each call's ts_us) for periods, or one group."""
  if self.by in COLUMN_GROUPS:
   return self.by
  if self.by in PERIODS:
   return "ts_us" if per_call else hour
  return "'total'"

 def add_rows(self, rows: Iterable[tuple], per_call: bool = False) -> list[int]:
  """Add (group column, calls, unpriced, hi, lo, tokens..., latency) rows; return the hours left out
  because a period boundary splits them."""
  split_hours = []
  for row in rows:
   key = self.key(row[0], per_call)
   if key is None:
    split_hours.append(row[0])
   else:
    self.add(key, _vector(row[1:]))
  return split_hours

 def figures(self) -> tuple[Figures, list[Figures]]:
  """The total and the groups (chronological for periods, costliest first otherwise)."""
  total = [0] * VECTOR_SIZE
  for vector in self.sums.values():
   _add_into(total, vector)
  groups = [_figures(key, vector) for key, vector in self.sums.items()]
  groups.sort(key=_chronological if self.by in PERIODS else _costliest_first)
  return _figures("total", total), groups


def _add_into(into: list[int], vector: list[int] | tuple) -> None:
 for i, value in enumerate(vector):
  into[i] += value


def _chronological(figures: Figures) -> str:
 return figures.key


def _costliest_first(figures: Figures) -> tuple[int, int, str]:
 return (-figures.cost_units, -figures.calls, figures.key)


def _vector(row: tuple) -> list[int]:
 """A (calls, unpriced, hi, lo, tokens..., latency) SQL row as a vector with exact joined cost."""
 return [row[0], int(row[1]), join_cost(row[2], row[3]), *row[4:]]


def summarize(
 ledger: Ledger,
 by: str | None = None,
 filt: CallFilter = ALL_CALLS,
 *,
 tz: tzinfo | None = None,
 prices: str = "recorded",
 book: PriceBook | None = None,
) -> Summary:
 """Total and groups (`by`: provider, model, tier, agent, status, day, week, month, or None) of the calls
 matching `filt`. `prices="today"` re-prices every call's usage with `book` (required then) instead of the
 prices recorded with it. Periods are calendar periods in `tz` (None: local time)."""
 _check_summary(by, prices, book)
 query = narrowed(ledger, filt)
 groups = _Groups(by, tz)
 with ledger.reading():
  if prices == "today":
   _repriced(ledger, query, groups, book)
  else:
   _recorded(ledger, query, groups)
 total, figures = groups.figures()
 return Summary(by, filt.since_us, filt.until_us, prices, total, tuple(figures) if by else ())


def _check_summary(by: str | None, prices: str, book: PriceBook | None) -> None:
 if by is not None and by not in GROUPINGS:
  raise ValueError(f"unknown grouping {by!r} (use {', '.join(GROUPINGS)})")
 if prices not in PRICE_MODES:
  raise ValueError(f"unknown prices {prices!r} (use recorded or today)")
 if prices == "today" and book is None:
  raise ValueError("prices='today' re-prices with a price book: pass book=")


def _recorded(ledger: Ledger, filt: CallFilter, groups: _Groups) -> None:
 """Whole hours from the hourly rollup, the partial hours at the edges and split hours from the calls."""
 conn = ledger.connection
 hours = _whole_hours(filt)
 if not filt.rollup_ok or hours is None:
  _raw(conn, filt, groups)
  return
 first_hour, end_hour = hours
 where, params = _clause(
  [("hour >= ?", first_hour), ("hour < ?", end_hour), *((f"{c} = ?", v) for c, v in filt.matches())]
 )
 sql = f"SELECT {groups.column('hour')}, {_ROLLUP_VECTOR} FROM hourly{where} GROUP BY 1"
 split_hours = groups.add_rows(conn.execute(sql, params))
 if first_hour is not None:
  _raw(conn, _range(filt, filt.since_us, first_hour * US_PER_HOUR), groups)
 if end_hour is not None:
  _raw(conn, _range(filt, end_hour * US_PER_HOUR, filt.until_us), groups)
 _raw_hours(conn, filt, groups, split_hours)


def _whole_hours(filt: CallFilter, step_us: int = US_PER_HOUR) -> tuple[int | None, int | None] | None:
 """[first, end) hours (or steps of `step_us`) wholly inside the range (None: open), or None when none is."""
 first = None if filt.since_us is None else -(-filt.since_us // step_us)
 end = None if filt.until_us is None else filt.until_us // step_us
 if first is not None and end is not None and first >= end:
  return None
 return first, end


def _range(filt: CallFilter, since: int | None, until: int | None) -> CallFilter:
 values = {f.name: getattr(filt, f.name) for f in fields(filt)}
 values.update(since_us=since, until_us=until)
 return CallFilter(**values)


def _raw(conn, filt: CallFilter, groups: _Groups, per_call: bool = False) -> None:
 """Add the matching calls, summed in SQL by group (by hour for periods; per call for split hours)."""
 if filt.since_us is not None and filt.until_us is not None and filt.since_us >= filt.until_us:
  return
 where, params = _where(filt)
 column = groups.column(f"ts_us / {US_PER_HOUR}", per_call)
 sums = conn.execute(f"SELECT {column}, {_RAW_VECTOR} FROM calls{where} GROUP BY 1", params)
 split_hours = groups.add_rows(sums, per_call)
 glue = " AND " if where else " WHERE "
 big = conn.execute(f"SELECT {column}, cost_units_big FROM calls{where}{glue}cost_units_big IS NOT NULL", params)
 _add_big_costs(groups, big, per_call)
 _raw_hours(conn, filt, groups, split_hours)


def _add_big_costs(groups: _Groups, rows: Iterable[tuple], per_call: bool) -> None:
 """Add the costs stored as text (beyond SQLite's INTEGER), which SQL did not sum; split hours come later."""
 for value, text in rows:
  key = groups.key(value, per_call)
  if key is not None:
   groups.add(key, [0, 0, int(text)] + [0] * (VECTOR_SIZE - 3))


def _raw_hours(conn, filt: CallFilter, groups: _Groups, hours: list[int]) -> None:
 """Add the calls of hours that a period boundary splits, one call at a time (within the range of `filt`)."""
 for hour in hours:
  since = max(hour * US_PER_HOUR, filt.since_us or 0)
  until = (hour + 1) * US_PER_HOUR if filt.until_us is None else min((hour + 1) * US_PER_HOUR, filt.until_us)
  _raw(conn, _range(filt, since, until), groups, per_call=True)


def _repriced(ledger: Ledger, filt: CallFilter, groups: _Groups, book: PriceBook) -> None:
 """Whole days and half hours from the usage rollups; the partial half hours at the edges, those a period
 boundary splits and the bands a tier threshold splits from the calls, one by one."""
 conn = ledger.connection
 slots = _whole_hours(filt, SLOT_US)
 if not filt.rollup_ok or slots is None:
  _repriced_calls(conn, filt, groups, book)
  return
 first, end = slots
 whole = _range(filt, _times(first, SLOT_US), _times(end, SLOT_US))
 split_slots: set[int] = set()
 split_bands: set[tuple[str, int]] = set()
 prices = _BandPrices(book)
 for part in _usage_parts(conn, whole, groups, prices, split_bands):
  split_slots |= _repriced_level(conn, part, groups, prices, USAGE_SLOTS, split_bands)
 for since, until in ((filt.since_us, whole.since_us), (whole.until_us, filt.until_us)):
  if since is not None or until is not None:
   _repriced_calls(conn, _range(filt, since, until), groups, book)
 _repriced_splits(conn, whole, groups, book, split_slots, split_bands)


def _times(step: int | None, step_us: int) -> int | None:
 return None if step is None else step * step_us


def _usage_parts(
 conn, whole: CallFilter, groups: _Groups, prices: _BandPrices, split_bands: set[tuple[str, int]]
) -> list[CallFilter]:
 """Add the whole UTC days of `whole` from usage_days; return the rest of it (the partial days at its edges and
 the days that a period boundary splits), for usage_slots."""
 days = _whole_hours(whole, US_PER_DAY)
 if days is None:
  return [whole]
 first, end = days
 in_days = _range(whole, _times(first, US_PER_DAY), _times(end, US_PER_DAY))
 split_days = _repriced_level(conn, in_days, groups, prices, USAGE_DAYS, split_bands)
 parts = [(whole.since_us, in_days.since_us), (in_days.until_us, whole.until_us)]
 parts += [(day * US_PER_DAY, (day + 1) * US_PER_DAY) for day in sorted(split_days)]
 return [_range(whole, since, until) for since, until in parts if since is not None or until is not None]


def _repriced_splits(
 conn, whole: CallFilter, groups: _Groups, book: PriceBook, slots: set[int], bands: set[tuple[str, int]]
) -> None:
 """Re-price call by call the half hours that a period boundary splits (but the split bands) and the (model,
 band) pairs that a tier threshold splits (in every whole half hour)."""
 for slot in slots:
  slot_calls = _range(whole, slot * SLOT_US, (slot + 1) * SLOT_US)
  _repriced_calls(conn, slot_calls, groups, book, _CallsOf(skip=frozenset(bands)))
 for model, band in bands:
  _repriced_calls(conn, replace(whole, model=model), groups, book, _CallsOf(band=band))


_USAGE_SUMS = ", ".join(f"sum({name})" for name in USAGE_COLUMNS)


def _repriced_level(
 conn, filt: CallFilter, groups: _Groups, prices: _BandPrices, level: UsageLevel, split_bands: set[tuple[str, int]]
) -> set[int]:
 """Add the usage of `level` in the range of `filt` (whole steps of it), summed per group, model and band, each
 sum priced once. Return the steps that a period boundary splits; add to `split_bands` the (model, band) pairs
 that a tier threshold splits. Neither was added."""
 steps = _whole_hours(filt, level.step_us)
 if steps is None:
  return set()
 column = level.column
 where, params = _clause(
  [(f"{column} >= ?", steps[0]), (f"{column} < ?", steps[1]), *((f"{c} = ?", v) for c, v in filt.matches())]
 )
 sql = f"SELECT {groups.column(column)}, model, band, {_USAGE_SUMS} FROM {level.table}{where} GROUP BY 1, 2, 3"
 sums, split_steps = _usage_by_group(conn.execute(sql, params), groups, prices, level.step_us, split_bands)
 for (key, model, band), usage in sums.items():
  groups.add(key, _priced_usage(prices.price(model, band), usage))
 return split_steps


def _usage_by_group(
 rows: Iterable[tuple], groups: _Groups, prices: _BandPrices, step_us: int, split_bands: set[tuple[str, int]]
) -> tuple[dict[tuple[str, str, int], list[int]], set[int]]:
 """Usage rows (group column, model, band, sums) summed per (group, model, band), and the steps that a period
 boundary splits; the (model, band) pairs that a tier threshold splits go to `split_bands`."""
 sums: dict[tuple[str, str, int], list[int]] = {}
 split_steps: set[int] = set()
 for value, model, band, *usage in rows:
  key = groups.span_key(value * step_us, step_us) if groups.by in PERIODS else value
  if prices.price(model, band) is _SPLIT:
   split_bands.add((model, band))
  elif key is None:
   split_steps.add(value)
  else:
   _add_usage_sums(sums, (key, model, band), usage)
 return sums, split_steps


def _add_usage_sums(sums: dict, key: tuple, usage: list[int]) -> None:
 current = sums.get(key)
 if current is None:
  sums[key] = usage
 else:
  _add_into(current, usage)


def _priced_usage(price: ModelPrice | None, usage: list[int]) -> list[int]:
 """A summary vector from summed usage (calls, billed calls, six token counts, latency) at `price`."""
 calls, billed, *tokens, latency_ms = usage
 if price is None:
  return [calls, billed, 0, *tokens, latency_ms]
 return [calls, 0, price.cost_units(Usage(*tokens)), *tokens, latency_ms]


_SPLIT = object()  # a band that a tier threshold of the price splits: its calls pay different rates


class _BandPrices:
 """Each model's price as it bills every prompt of one band (None: unpriced; _SPLIT), looked up once."""

 def __init__(self, book: PriceBook) -> None:
  self.book = book
  self.prices: dict[tuple[str, int], Any] = {}

 def price(self, model: str, band: int) -> Any:
  try:
   return self.prices[model, band]
  except KeyError:
   price = self.book.price(model)
   found = self.prices[model, band] = None if price is None else band_price(price, band)
   return found


def band_price(price: ModelPrice, band: int) -> ModelPrice | object:
 """`price` as it bills every prompt of `band`: the rates of the one tier that applies to all of them and no
 tiers, so that its cost of the calls' summed tokens is the sum of their costs; _SPLIT when a tier threshold
 falls inside the band (its prompts pay different rates)."""
 low, high = band_bounds(band)
 thresholds = [tier.above_input_tokens for tier in price.tiers]
 if any(low <= t and (high is None or t < high) for t in thresholds):
  return _SPLIT
 from ..pricing.prices import PRICE_FIELDS

 below = [tier for tier in price.tiers if tier.above_input_tokens < low]
 if not below:
  return replace(price, tiers=())
 return replace(price, tiers=(), **{name: getattr(below[-1], name) for name in PRICE_FIELDS})


@dataclass(frozen=True, slots=True)
class _CallsOf:
 """Which calls of a range to re-price one by one: only those of one band, or all but some (model, band)."""

 band: int | None = None
 skip: frozenset[tuple[str, int]] = frozenset()


_ALL_OF_RANGE = _CallsOf()
_REPRICE_COLUMNS = f"ts_us, provider, model, tier, agent, status, {', '.join(TOKEN_COLUMNS)}, {LATENCY_MS_SQL}"
_GROUP_INDEX = {"provider": 1, "model": 2, "tier": 3, "agent": 4, "status": 5}


def _repriced_calls(conn, filt: CallFilter, groups: _Groups, book: PriceBook, which: _CallsOf = _ALL_OF_RANGE) -> None:
 """Re-price the calls of `filt` one by one (each with its own prompt's tier)."""
 if filt.since_us is not None and filt.until_us is not None and filt.since_us >= filt.until_us:
  return
 where, params = _where(filt)
 if which.band is not None:
  where, params = f"{where}{' AND ' if where else ' WHERE '}{BAND_SQL} = ?", [*params, which.band]
 index = _GROUP_INDEX.get(groups.by)
 for row in conn.execute(f"SELECT {_REPRICE_COLUMNS} FROM calls{where}", params):
  if which.skip and (row[2], band_of(row[6])) in which.skip:
   continue
  groups.add(_call_key(groups, row, index), _repriced_call(book, row))


def _call_key(groups: _Groups, row: tuple, index: int | None) -> str:
 if groups.by in PERIODS:
  return groups.hour_key(row[0] // US_PER_HOUR) or period_key(row[0], groups.by, groups.tz)
 return row[index] if index is not None else "total"


def _repriced_call(book: PriceBook, row: tuple) -> list[int]:
 """The summary vector of one call row at the book's price: what every re-priced figure must equal."""
 tokens = row[6:12]
 if not (tokens[0] or tokens[1]):  # no usage (a call that failed before anything was billed): free at any price
  return [1, 0, 0, *row[6:13]]
 cost = book.cost_units(row[2], Usage(*tokens))
 return [1, 1, 0, *row[6:13]] if cost is None else [1, 0, cost, *row[6:13]]


def period_summary(
 ledger: Ledger,
 *,
 now: float | None = None,
 tz: tzinfo | None = None,
 prices: str = "recorded",
 book: PriceBook | None = None,
) -> dict[str, Figures]:
 """Figures of today, this week (ISO, from Monday), this month (local calendar in `tz`) and all time, at the
 recorded prices or re-priced (`prices="today"` with `book`, as in summarize)."""
 now_us = to_us(time.time() if now is None else now)
 out = {}
 for name, period in (("today", "day"), ("this_week", "week"), ("this_month", "month")):
  start, end = period_bounds(period, now_us, tz)
  figures = summarize(ledger, None, CallFilter(since_us=start, until_us=end), tz=tz, prices=prices, book=book).total
  out[name] = _renamed(figures, name)
 if prices == "recorded":
  out["all_time"] = all_time(ledger)
 else:
  out["all_time"] = _renamed(summarize(ledger, None, prices=prices, book=book).total, "all time")
 return out


def all_time(ledger: Ledger) -> Figures:
 """All-time figures from the totals row (instant)."""
 with ledger.reading():
  row = ledger.connection.execute(
   "SELECT calls, unpriced_calls, cost_hi, cost_lo, "
   + ", ".join(TOKEN_COLUMNS)
   + ", latency_ms FROM totals WHERE id = 1"
  ).fetchone()
 return _figures("all time", _vector(row))


def today_and_all_time(
 ledger: Ledger, *, now: float | None = None, tz: tzinfo | None = None
) -> tuple[Figures, Figures]:
 """(today, all time): what the GUI's Cost Analytics shows beside the session's figures."""
 now_us = to_us(time.time() if now is None else now)
 start, end = period_bounds("day", now_us, tz)
 today = summarize(ledger, None, CallFilter(since_us=start, until_us=end), tz=tz).total
 return _renamed(today, "today"), all_time(ledger)


def _renamed(figures: Figures, key: str) -> Figures:
 values = {f.name: getattr(figures, f.name) for f in fields(figures)}
 values["key"] = key
 return Figures(**values)


@dataclass(frozen=True, slots=True)
class SpendRate:
 """Spend over a span of time: exact units, and the rate per hour and per day (rounded to whole units)."""

 cost_units: int
 span_s: float
 units_per_hour: int
 units_per_day: int

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready."""
  return {
   "cost_usd": exact_usd(self.cost_units),
   "span_hours": round(self.span_s / 3600, 3),
   "usd_per_hour": exact_usd(self.units_per_hour),
   "usd_per_day": exact_usd(self.units_per_day),
   "per_day": format_usd_auto(self.units_per_day),
  }


def spend_rate(
 ledger: Ledger,
 filt: CallFilter = ALL_CALLS,
 *,
 now: float | None = None,
 prices: str = "recorded",
 book: PriceBook | None = None,
) -> SpendRate:
 """Cost of the range (at `prices`, as in summarize) divided by its length; an open start begins at the first
 matching call, an open end is now. The rates divide by at least one day: ten minutes of calls say nothing about
 a day's spend, and multiplying them by 144 would forecast a bill nobody will pay."""
 now_us = to_us(time.time() if now is None else now)
 total = summarize(ledger, None, filt, prices=prices, book=book).total
 start = filt.since_us
 if start is None:
  where, params = _where(filt)
  with ledger.reading():
   start = ledger.connection.execute(f"SELECT min(ts_us) FROM calls{where}", params).fetchone()[0]
 end = filt.until_us if filt.until_us is not None else now_us
 span_us = max(0, end - start) if start is not None else 0
 if span_us == 0:
  return SpendRate(total.cost_units, 0.0, 0, 0)
 divisor = max(span_us, US_PER_HOUR * 24)
 per_hour = _div(total.cost_units * US_PER_HOUR, divisor)
 per_day = _div(total.cost_units * US_PER_HOUR * 24, divisor)
 return SpendRate(total.cost_units, span_us / 1_000_000, per_hour, per_day)


def _div(numerator: int, denominator: int) -> int:
 """Integer division rounded half to even."""
 quotient, remainder = divmod(numerator, denominator)
 if remainder * 2 > denominator or (remainder * 2 == denominator and quotient % 2):
  quotient += 1
 return quotient


def call_span(ledger: Ledger, filt: CallFilter = ALL_CALLS) -> tuple[int | None, int | None]:
 """(first, last) timestamp in epoch microseconds of the matching calls, (None, None) when there are none."""
 filt = narrowed(ledger, filt)
 where, params = _where(filt)
 with ledger.reading():
  first, last = ledger.connection.execute(f"SELECT min(ts_us), max(ts_us) FROM calls{where}", params).fetchone()
 return first, last


# Sessions ---------------------------------------------------------------------------------------------------------


def unpriced_models_in_ledger(ledger: Ledger, book: PriceBook | None = None) -> list[tuple[str, int]]:
 """(model, calls) of the models recorded with usage but without a price; with `book`, of the models with usage
 that the book cannot price (today's unpriced)."""
 if book is not None:
  with ledger.reading() as conn:
   rows = conn.execute("SELECT model, sum(billed_calls) FROM usage_days GROUP BY model ORDER BY model").fetchall()
  return [(model, calls) for model, calls in rows if calls and book.price(model) is None]
 with ledger.reading():
  rows = ledger.connection.execute(
   "SELECT model, sum(unpriced_calls) FROM hourly GROUP BY model HAVING sum(unpriced_calls) > 0 ORDER BY model"
  ).fetchall()
 return [(r[0], r[1]) for r in rows]


def spent_between(ledger: Ledger, since_us: int, until_us: int, tier: str | None = None) -> int:
 """Recorded spend (exact units) of the calls in [since, until), of `tier` or of all tiers: what a budget's period
 has used. Whole hours come from the hourly rollup."""
 filt = CallFilter(since_us=since_us, until_us=until_us, tier=tier or None)
 return summarize(ledger, None, filt).total.cost_units
