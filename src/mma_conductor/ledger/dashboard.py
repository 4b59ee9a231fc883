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

from dataclasses import dataclass, field

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
