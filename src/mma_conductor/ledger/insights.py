"""Insights: where the range's money went and how to spend less (issue 13, points 9-11).

The contract between the ledger side (which computes these off the GUI thread, for `costs optimize`, GET /insights
and the dashboard's Insights card) and the GUI. Money is exact integer units of 1e-15 USD.

    insights(ledger, query, book, tier_models, candidates, *, now_us=None) -> Insights
        query: a dashboard.DashboardQuery; book: the project's PriceBook; tier_models: {tier: (provider, model)}
        as configured now; candidates: the (provider, model) pairs to compare with (every configured model:
        the tiers' models and escalation ladders, plus any the user names).
"""

from __future__ import annotations

from dataclasses import dataclass

from .dashboard import DashboardQuery


@dataclass(frozen=True, slots=True)
class Alternative:
 """What one tier's recorded token volumes (input, output, cache read / write) over the range would have cost on
 another model, at that model's real prices including cache rates, and how that model fared in this tier."""

 tier: str
 current_provider: str
 current_model: str
 provider: str
 model: str
 recorded_units: int  # what the tier's calls cost as recorded
 would_cost_units: int  # the same volumes on `model`
 saving_units: int  # recorded - would_cost (negative: dearer)
 saving_pct: float  # of recorded (display only)
 saving_per_month_units: int  # the saving scaled to 30 days from the range's span
 success_current: float | None  # the tier's tickets done / (done + blocked) with the current model; None: no history
 success_model: float | None  # the same with `model`; None: no history
 recommended: bool  # saves money and has no worse a success rate (history on both); never without history
 note: str  # "no history", "fails more (40% vs 90%)", "as good (95% vs 94%)", ...


@dataclass(frozen=True, slots=True)
class Finding:
 """Another finding: `kind` is tier_share, cache, unpriced, long_context or retries."""

 kind: str
 text: str  # one line for people: "Tier 1 is 50% of spend", "3 calls hit the >200k tier: $1.20"
 units: int  # the money it is about (a share's cost, what caching would save, ...)


@dataclass(frozen=True, slots=True)
class Insights:
 """The alternatives per tier (best saving first within each tier) and the other findings."""

 query: DashboardQuery
 alternatives: tuple[Alternative, ...]
 findings: tuple[Finding, ...]
