"""The Cost Dashboard's strings and plot arrays, built when its data change (a version check per frame), never
while drawing: the window only draws what is here."""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from ..app.dashboard_link import (
 Alternative,
 DashboardData,
 DashboardState,
 Insights,
 SessionLines,
 SessionRow,
 TicketLine,
 TierAnalysis,
 Trend,
)
from ..pricing.budget_guard import BudgetStatus
from ..pricing.money import UNITS_PER_USD, format_usd_auto

US = 1_000_000
ROW_CACHE = 4096
# The budget drawn on the trend: per bucket, the budget of that length (or a longer one, pro rata).
BUDGET_PER_BUCKET = {
 "hour": (("daily", 24), ("weekly", 168), ("monthly", 720)),
 "day": (("daily", 1), ("weekly", 7), ("monthly", 30)),
}
BUDGET_CARD_ORDER = ("monthly", "weekly", "daily", "run")


@dataclass(frozen=True, slots=True)
class Card:
 """One figure across the top: its label, value and a line under it."""

 label: str
 value: str
 note: str = ""


@dataclass(frozen=True, slots=True)
class TrendPlot:
 """The trend as ImPlot arrays: x in Unix seconds (bucket middles), per provider the stacked top of its bar."""

 x: np.ndarray
 stacks: tuple[tuple[str, np.ndarray], ...]  # (provider, top of its part), drawn in this order (highest first)
 bar_width: float  # seconds
 starts: tuple[float, ...]  # bucket starts (seconds), for hover
 hover: tuple[str, ...]  # each bucket's figures
 budget: tuple[str, np.ndarray] | None  # (label, [USD per bucket]) for a horizontal line
 y_max: float
 bucket: str


@dataclass(frozen=True, slots=True)
class ShareRow:
 """A provider (model "") or one of its models in the breakdown."""

 label: str
 cost: str
 share: float
 share_text: str
 calls: str
 is_provider: bool


@dataclass(frozen=True, slots=True)
class RunRow:
 """A run in the top-5 list."""

 run_id: str
 cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlternativeRow:
 """One suggestion of the Insights card."""

 key: str
 tier: str
 provider: str
 model: str
 cells: tuple[str, ...]
 recommended: bool


@dataclass(frozen=True, slots=True)
class DashboardView:
 """Everything the window draws for one version of the dashboard's data."""

 version: int
 range_text: str
 cards: tuple[Card, ...]
 trend: TrendPlot | None
 shares: tuple[ShareRow, ...]
 tiers: tuple[tuple[str, ...], ...]
 runs: tuple[RunRow, ...]
 sessions: int
 alternatives: tuple[AlternativeRow, ...]
 findings: tuple[str, ...]
 options: dict[str, tuple[str, ...]]


EMPTY_VIEW = DashboardView(-1, "", (), None, (), (), (), 0, (), (), {})


def build_view(state: DashboardState, budgets: tuple[BudgetStatus, ...], seen: dict[str, set]) -> DashboardView:
 """The view of `state` (`seen` gathers the filter choices met so far: a filter keeps its other choices)."""
 data = state.data
 if data is None:
  return DashboardView(state.version, "loading ...", (), None, (), (), (), 0, (), (), _options(seen))
 _remember(seen, data)
 alternatives, findings = _insight_rows(state.insights)
 return DashboardView(
  version=state.version,
  range_text=range_text(data),
  cards=cards(data, budgets),
  trend=trend_plot(data.trend, budgets),
  shares=share_rows(data),
  tiers=tuple(tier_cells(t) for t in data.tiers),
  runs=tuple(_run_row(run) for run in data.top_runs),
  sessions=data.sessions,
  alternatives=alternatives,
  findings=findings,
  options=_options(seen),
 )


def _remember(seen: dict[str, set], data: DashboardData) -> None:
 seen.setdefault("provider", set()).update(s.provider for s in data.providers)
 seen.setdefault("model", set()).update(s.model for s in data.models)
 seen.setdefault("tier", set()).update(t.tier for t in data.tiers)
 seen.setdefault("run_id", set()).update(r.run_id for r in data.top_runs)


def _options(seen: dict[str, set]) -> dict[str, tuple[str, ...]]:
 return {key: tuple(sorted(values)) for key, values in seen.items()}


def usd(units: int) -> str:
 """Money as the dashboard shows it."""
 return format_usd_auto(units)


def clock(us: int, pattern: str = "%Y-%m-%d %H:%M") -> str:
 """Local wall-clock time of epoch microseconds."""
 return time.strftime(pattern, time.localtime(us / US))


def range_text(data: DashboardData) -> str:
 """`2026-01-01 00:00 .. 2026-01-31 12:00, provider openai`."""
 query = data.query
 since = "the first call" if query.since_us is None else clock(query.since_us)
 until = "now" if query.until_us is None else clock(query.until_us)
 filters = [f"{name} {value}" for name, value in _filters(query) if value]
 return ", ".join([f"{since} .. {until}", *filters])


def _filters(query) -> tuple[tuple[str, str | None], ...]:
 return (("provider", query.provider), ("model", query.model), ("tier", query.tier), ("track", query.run_id))


# Cards ------------------------------------------------------------------------------------------------------------


def cards(data: DashboardData, budgets: tuple[BudgetStatus, ...]) -> tuple[Card, ...]:
 """Spent, runs, average per run, spend rate, calls, tokens, top tier, budget."""
 c = data.cards
 unpriced = f"+ {c.unpriced_calls:,} unpriced calls" if c.unpriced_calls else ""
 return (
  Card("Spent", usd(c.spent_units), unpriced),
  Card("Runs", f"{c.runs:,}", f"{data.sessions:,} sessions"),
  Card("Avg per run", usd(c.avg_per_run_units)),
  Card("Spend rate", f"{usd(c.spend_rate_units_per_hour)}/h"),
  Card("Calls", f"{c.calls:,}"),
  Card("Tokens in / out", f"{c.input_tokens:,} / {c.output_tokens:,}"),
  Card("Cache read / write", f"{c.cache_read_tokens:,} / {c.cache_write_tokens:,}"),
  Card("Top tier", c.top_tier or "-", usd(c.top_tier_units) if c.top_tier else ""),
  budget_card(budgets),
 )


def budget_card(budgets: tuple[BudgetStatus, ...]) -> Card:
 """The widest budget (monthly first) for all tiers: used of limit, and what is left."""
 ranked = sorted(budgets, key=lambda s: (bool(s.budget.tier), _period_rank(s.budget.period)))
 if not ranked:
  return Card("Budget", "none set", "Session > Budgets... sets one")
 status = ranked[0]
 used = f"{usd(status.used_units)} of {usd(status.budget.limit_units)} ({status.percent:.0f}%)"
 return Card(f"Budget ({status.budget.key})", used, f"{usd(status.left_units)} left")


def _period_rank(period: str) -> int:
 return BUDGET_CARD_ORDER.index(period) if period in BUDGET_CARD_ORDER else len(BUDGET_CARD_ORDER)


# Trend ------------------------------------------------------------------------------------------------------------


def trend_plot(trend: Trend, budgets: tuple[BudgetStatus, ...]) -> TrendPlot | None:
 """Stacked bars per provider on a time axis, each bucket's figures for hover, and the budget per bucket."""
 if not trend.starts_us:
  return None
 starts = np.array(trend.starts_us, dtype=np.float64) / US
 width = float(starts[1] - starts[0]) if len(starts) > 1 else (3600.0 if trend.bucket == "hour" else 86400.0)
 running = np.zeros(len(starts), dtype=np.float64)
 stacks = []
 for provider, units in trend.by_provider.items():
  running = running + np.array(units, dtype=np.float64) / UNITS_PER_USD
  stacks.append((provider, running))
 budget = trend_budget(trend.bucket, budgets)
 y_max = max(float(running.max()), budget[1] if budget else 0.0)
 return TrendPlot(
  x=starts + width / 2,
  stacks=tuple(reversed(stacks)),
  bar_width=width * 0.8,
  starts=tuple(starts),
  hover=tuple(_bucket_text(trend, i) for i in range(len(trend.starts_us))),
  budget=None if budget is None else (budget[0], np.array([budget[1]], dtype=np.float64)),
  y_max=y_max * 1.1 or 1.0,
  bucket=trend.bucket,
 )


def trend_budget(bucket: str, budgets: tuple[BudgetStatus, ...]) -> tuple[str, float] | None:
 """(label, USD per bucket) of the all-tier budget nearest the bucket's length, pro rata."""
 limits = {s.budget.period: s.budget.limit_units for s in budgets if not s.budget.tier}
 for period, buckets in BUDGET_PER_BUCKET[bucket]:
  if period in limits:
   label = f"{period} budget" if buckets == 1 else f"{period} budget / {buckets}"
   return label, limits[period] / UNITS_PER_USD / buckets
 return None


def _bucket_text(trend: Trend, index: int) -> str:
 pattern = "%Y-%m-%d %H:00" if trend.bucket == "hour" else "%a %Y-%m-%d"
 parts = [(p, units[index]) for p, units in trend.by_provider.items() if units[index]]
 total = sum(units for _, units in parts)
 lines = [f"{clock(trend.starts_us[index], pattern)}: {usd(total)}"]
 return "\n".join([*lines, *(f"  {p}: {usd(u)}" for p, u in parts)])


def bucket_at(plot: TrendPlot, seconds: float) -> int | None:
 """The bucket under the mouse at `seconds` (None outside the range)."""
 index = bisect_right(plot.starts, seconds) - 1
 if index < 0 or seconds >= plot.starts[index] + plot.bar_width / 0.8:
  return None
 return index


# Tables -----------------------------------------------------------------------------------------------------------


def share_rows(data: DashboardData) -> tuple[ShareRow, ...]:
 """Each provider, then its models (indented), dearest first."""
 rows = []
 for provider in data.providers:
  rows.append(_share_row(provider.provider, provider, True))
  rows += [_share_row(f"  {m.model}", m, False) for m in data.models if m.provider == provider.provider]
 return tuple(rows)


def _share_row(label: str, share, is_provider: bool) -> ShareRow:
 return ShareRow(label, usd(share.cost_units), share.share, f"{share.share:.1%}", f"{share.calls:,}", is_provider)


TIER_COLUMNS = ("Tier", "Tickets", "Avg / ticket", "Main model", "Share", "Cost", "Per done", "Per failed")


def tier_cells(tier: TierAnalysis) -> tuple[str, ...]:
 """A row of the tier / role analysis."""
 main = f"{tier.main_provider}/{tier.main_model}" if tier.main_model else "-"
 done = f"{usd(tier.cost_per_done_units)} ({tier.done_tickets})" if tier.done_tickets else "-"
 failed = f"{usd(tier.cost_per_failed_units)} ({tier.failed_tickets})" if tier.failed_tickets else "-"
 avg = usd(tier.avg_per_ticket_units) if tier.tickets else "-"
 return (tier.tier, f"{tier.tickets:,}", avg, main, f"{tier.share:.1%}", usd(tier.cost_units), done, failed)


RUN_COLUMNS = ("Run", "Goal", "Status", "Cost", "Calls", "Last call")


def _run_row(run) -> RunRow:
 cells = (run.run_id, run.goal or "-", run.status, usd(run.cost_units), f"{run.calls:,}", clock(run.last_us))
 return RunRow(run.run_id, cells)


SESSION_COLUMNS = ("Session", "First", "Last", "Cost", "Calls", "Input", "Output", "Cache", "Runs")
SESSION_SORT_KEYS = ("session", "first", "last", "cost", "calls", "input", "output", "cache", "runs")


def session_cells(row: SessionRow) -> tuple[str, ...]:
 """A sessions table row."""
 return (
  row.session_id,
  clock(row.first_us),
  clock(row.last_us),
  usd(row.cost_units),
  f"{row.calls:,}",
  f"{row.input_tokens:,}",
  f"{row.output_tokens:,}",
  f"{row.cache_tokens:,}",
  f"{row.runs:,}",
 )


def line_cells(lines: SessionLines | None) -> tuple[tuple[str, str, str, str], ...]:
 """An expanded session's lines: (kind, label, cost, calls); kind is model, tier, run or wait."""
 if lines is None:
  return (("wait", "  loading ...", "", ""),)
 found = [("model", f"  {m.provider}/{m.model}", usd(m.cost_units), f"{m.calls:,}") for m in lines.by_model]
 found += [("tier", f"  {tier}", usd(units), f"{calls:,}") for tier, units, calls in lines.by_tier]
 found += [("run", run, "", "") for run in lines.run_ids]
 return tuple(found)


TICKET_COLUMNS = ("Ticket", "Title", "Status", "Attempts", "Model", "Cost", "Calls")


def ticket_cells(ticket: TicketLine) -> tuple[str, ...]:
 """A row of a run's tickets."""
 name = ticket.ticket_id or "plan"
 return (
  name,
  ticket.title,
  ticket.status or "-",
  str(ticket.attempts),
  ticket.model or "-",
  usd(ticket.cost_units),
  f"{ticket.calls:,}",
 )


class SessionRowCache:
 """Formatted session rows by (order generation, index): formatted on first sight, as the clipper shows them."""

 def __init__(self) -> None:
  self._rows: dict[tuple[int, int], tuple[str, ...]] = {}

 def get(self, generation: int, index: int, row: SessionRow) -> tuple[str, ...]:
  """The cells of `row`, shown at `index` in order `generation`."""
  key = (generation, index)
  cells = self._rows.get(key)
  if cells is None:
   if len(self._rows) > ROW_CACHE:
    self._rows.clear()
   cells = self._rows[key] = session_cells(row)
  return cells


# Insights ---------------------------------------------------------------------------------------------------------

ALTERNATIVE_COLUMNS = ("Tier", "Now", "Instead", "Saving / month", "Saving", "Quality")


def _insight_rows(found: Insights | None) -> tuple[tuple[AlternativeRow, ...], tuple[str, ...]]:
 if found is None:
  return (), ("insights: loading ...",)
 best = _best_per_tier(found.alternatives)
 return tuple(_alternative_row(a) for a in best), tuple(f.text for f in found.findings)


def _best_per_tier(alternatives: tuple[Alternative, ...], per_tier: int = 3) -> list[Alternative]:
 """The best savings of each tier (as insights() orders them), at most `per_tier`."""
 kept: dict[str, list[Alternative]] = {}
 for a in alternatives:
  rows = kept.setdefault(a.tier, [])
  if len(rows) < per_tier and a.saving_units > 0:
   rows.append(a)
 return [a for rows in kept.values() for a in rows]


def _alternative_row(a: Alternative) -> AlternativeRow:
 cells = (
  a.tier,
  a.current_model,
  f"{a.provider}/{a.model}",
  usd(a.saving_per_month_units),
  f"{a.saving_pct:.0f}%",
  a.note,
 )
 return AlternativeRow(f"{a.tier}:{a.provider}:{a.model}", a.tier, a.provider, a.model, cells, a.recommended)
