"""What a track run will cost before it starts: past runs' tokens (from the ledger) priced at today's tier models.

A run is Tier 1's plan (once per run) and, per ticket, the calls of the tiers that work on it. From the ledger's
finished runs come, per tier, the tokens of each ticket (and of each plan), and the number of tickets per run;
`estimate_run` prices every sample at the model the tier is set to now (its input, output and cache rates, in the
context tier an average call of the sample falls in) and gives, per tier and in total:

    min = cheapest plan + fewest tickets x cheapest ticket
    avg = average plan + average tickets x average ticket
    max = dearest plan  + most tickets   x dearest ticket

A resumed track knows its tickets: their count replaces the history's, and Tier 1 does not plan again.
`over_budget` compares the average with what the budgets that would hold the run's calls have left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .budget_guard import BudgetStatus
from .money import format_usd_auto, units_to_decimal
from .tiers import TIER_NAMES
from .usage import Usage

HOLDING_ACTIONS = ("pause", "stop")


@dataclass(frozen=True, slots=True)
class TokenSample:
 """The calls of one tier for one ticket (or one plan) of a past run: how many, and their summed tokens."""

 calls: int
 usage: Usage


@dataclass(frozen=True, slots=True)
class RunHistory:
 """Token samples of past runs: per tier, one per ticket (`per_ticket`) and one per run for the calls made for
 no ticket (`per_run`: Tier 1's plan), and the number of tickets of each run."""

 runs: int = 0
 per_ticket: dict[str, tuple[TokenSample, ...]] = field(default_factory=dict)
 per_run: dict[str, tuple[TokenSample, ...]] = field(default_factory=dict)
 tickets_per_run: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Spread:
 """The least, the average and the most of an estimate, in exact units."""

 min_units: int = 0
 avg_units: int = 0
 max_units: int = 0

 def __add__(self, other: Spread) -> Spread:
  return Spread(self.min_units + other.min_units, self.avg_units + other.avg_units, self.max_units + other.max_units)

 def text(self) -> str:
  """`$0.42 (from $0.30 to $0.61)`."""
  return f"{_usd(self.avg_units)} (from {_usd(self.min_units)} to {_usd(self.max_units)})"

 def as_dict(self) -> dict[str, Any]:
  """Exact decimal strings and floats."""
  out: dict[str, Any] = {}
  for name in ("min", "avg", "max"):
   units = getattr(self, f"{name}_units")
   out[f"{name}_usd"], out[name] = format(units_to_decimal(units), ".15f"), float(units_to_decimal(units))
  return out


@dataclass(frozen=True, slots=True)
class TierEstimate:
 """One tier's share of the estimate, priced at `model` (`priced` False: the model has no price, counted $0)."""

 tier: str
 model: str
 spread: Spread
 priced: bool = True


@dataclass(frozen=True, slots=True)
class RunEstimate:
 """A run's estimated cost per tier and in total, and what it rests on (`history_runs` 0: no history)."""

 tiers: tuple[TierEstimate, ...] = ()
 history_runs: int = 0
 tickets: tuple[int, Fraction, int] = (0, Fraction(0), 0)
 plans: bool = True  # whether Tier 1 plans (a new track) or the tickets are known (a resumed one)

 @property
 def has_history(self) -> bool:
  """Whether any past run was there to estimate from."""
  return self.history_runs > 0

 @property
 def total(self) -> Spread:
  """All tiers together."""
  return sum((t.spread for t in self.tiers), Spread())

 def tier(self, name: str) -> Spread:
  """One tier's spread (zero when it has no calls in the history)."""
  return next((t.spread for t in self.tiers if t.tier == name), Spread())

 def for_budget(self, tier: str) -> Spread:
  """What counts against a budget of `tier` ("": all tiers)."""
  return self.tier(tier) if tier else self.total

 def line(self) -> str:
  """`estimated $0.42 (from $0.30 to $0.61) from 5 past runs` or the reason there is no estimate."""
  if not self.has_history:
   return "no history: the ledger holds no finished run to estimate from"
  runs = "1 past run" if self.history_runs == 1 else f"{self.history_runs:,} past runs"
  unpriced = [t.model for t in self.tiers if not t.priced]
  note = f"; unpriced, counted as $0: {', '.join(unpriced)}" if unpriced else ""
  return f"estimated {self.total.text()} from {runs}{note}"

 def as_dict(self) -> dict[str, Any]:
  """JSON-ready: exact decimal strings and floats, per tier and in total."""
  low, mean, high = self.tickets
  return {
   "history_runs": self.history_runs,
   "no_history": not self.has_history,
   "plans": self.plans,
   "tickets": {"min": low, "avg": float(mean), "max": high},
   "total": self.total.as_dict(),
   "tiers": {t.tier: {"model": t.model, "priced": t.priced, **t.spread.as_dict()} for t in self.tiers},
  }


NO_HISTORY = RunHistory()


def _usd(units: int) -> str:
 return format_usd_auto(units)


def estimate_run(history: RunHistory, models: dict[str, str], book: Any, tickets: int | None = None) -> RunEstimate:
 """Price `history` at `models` (tier -> model) with `book`. With `tickets` (a resumed track's unfinished tickets)
 that count replaces the history's and no plan is counted."""
 if not history.runs:
  return RunEstimate()
 counts = history.tickets_per_run or (0,)
 spread = (min(counts), Fraction(sum(counts), len(counts)), max(counts))
 if tickets is not None:
  spread = (tickets, Fraction(tickets), tickets)
 tiers = tuple(_tier(history, tier, models[tier], book, spread, tickets is None) for tier in TIER_NAMES)
 return RunEstimate(tiers, history.runs, spread, tickets is None)


def _tier(history: RunHistory, tier: str, model: str, book: Any, tickets: tuple, plans: bool) -> TierEstimate:
 per_ticket = [_sample_cost(book, model, s) for s in history.per_ticket.get(tier, ())]
 per_run = [_sample_cost(book, model, s) for s in history.per_run.get(tier, ())] if plans else []
 priced = None not in per_ticket + per_run
 return TierEstimate(tier, model, _spread(per_run, (1, 1, 1)) + _spread(per_ticket, tickets), priced)


def _spread(costs: list[int | None], times: tuple) -> Spread:
 known = [cost or 0 for cost in costs]
 if not known:
  return Spread()
 low, mean, high = times
 average = Fraction(sum(known), len(known)) * mean
 return Spread(min(known) * low, int(average), max(known) * high)


def _sample_cost(book: Any, model: str, sample: TokenSample) -> int | None:
 """The sample's calls at `model`: an average call priced (so a context tier applies as it would per call),
 times the number of calls."""
 if sample.calls <= 0:
  return 0
 usage, n = sample.usage, sample.calls
 average = Usage(
  usage.input_tokens // n,
  usage.output_tokens // n,
  usage.cache_read_tokens // n,
  usage.cache_write_tokens // n,
  usage.cache_write_1h_tokens // n,
  usage.reasoning_tokens // n,
 )
 cost = book.cost_units(model, average)
 return None if cost is None else cost * n


# Budgets -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverBudget:
 """A budget that would hold the run: what it has left and what the run is expected to cost against it."""

 status: BudgetStatus
 left_units: int
 spread: Spread

 def message(self, estimate: RunEstimate, now_us: int | None = None) -> str:
  """One line with the figures: the estimate, the budget, what it has left and when it resets."""
  budget, runs = self.status.budget, estimate.history_runs
  used = "" if budget.period == "run" else f" ({_usd(self.status.used_units)} used, {self.status.resets_text(now_us)})"
  return (
   f"this run is estimated at {self.spread.text()} from {runs:,} past run{'s' if runs != 1 else ''},"
   f" more than the {budget.label()} has left: {_usd(self.left_units)}{used}"
  )


def budget_left(status: BudgetStatus) -> int:
 """What a budget leaves a run that starts now: a per-run budget its whole limit, a calendar budget its limit less
 what the period has used and what calls in flight have reserved (never below 0)."""
 budget = status.budget
 if budget.period == "run":
  return budget.limit_units
 return max(0, budget.limit_units - status.used_units - status.reserved_units)


def over_budget(estimate: RunEstimate, statuses: tuple[BudgetStatus, ...]) -> OverBudget | None:
 """The tightest pause or stop budget whose left amount the run's average estimate exceeds (None: all hold)."""
 found = []
 for status in statuses:
  spread = estimate.for_budget(status.budget.tier)
  left = budget_left(status)
  if status.budget.action in HOLDING_ACTIONS and spread.avg_units > left:
   found.append(OverBudget(status, left, spread))
 return min(found, key=lambda o: o.left_units - o.spread.avg_units, default=None)
