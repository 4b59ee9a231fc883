"""The pre-run estimate of the app: the ledger's history of finished runs priced at the project's tier models now,
and the budgets it would not fit in (see pricing/run_estimate.py for how the figures are made)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..engine.tickets import FINISHED
from ..engine.track_store import load_track
from ..ledger.estimates import run_history
from ..ledger.store import LedgerError
from ..pricing.run_estimate import NO_HISTORY, OverBudget, RunEstimate, RunHistory, estimate_run, over_budget
from ..pricing.tiers import TIER_NAMES

HISTORY_FLUSH_S = 2.0


def pre_run_estimate(controller: Any, resume: str | None = None) -> RunEstimate:
 """What the next run of `controller`'s project should cost: a new track (planned by Tier 1), or the unfinished
 tickets of the saved track `resume` (TrackFileError when there is none)."""
 tickets = None
 if resume:
  track = load_track(controller.project_dir, resume)
  tickets = sum(1 for ticket in track.tickets if ticket.status not in FINISHED) if track.tickets else None
 models = {tier: controller.config.tiers[tier].model for tier in TIER_NAMES}
 return estimate_run(_history(controller.ledger_link), models, controller.price_book, tickets)


def _history(link: Any) -> RunHistory:
 if link is None:
  return NO_HISTORY
 link.writer.flush(timeout=HISTORY_FLUSH_S)  # the calls of a run that just ended count
 try:
  return run_history(link.ledger)
 except (LedgerError, sqlite3.Error, OSError):
  return NO_HISTORY  # a ledger that cannot be read has said so already; no history to estimate from


def budget_refusal(controller: Any, estimate: RunEstimate) -> OverBudget | None:
 """The tightest pause or stop budget that what is left of cannot hold the run's average estimate (None: all
 can, or there is no history)."""
 if not estimate.has_history:
  return None
 return over_budget(estimate, controller.budget_guard.statuses())
