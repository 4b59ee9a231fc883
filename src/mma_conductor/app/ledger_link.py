"""Connects an AppController to the ledger: every call and run update goes to a LedgerWriter (off the GUI
thread), today's and all-time figures come back as events, and the local API serves the live session.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ..engine.events import CallRecord, LogEvent, TicketUpdate, TrackUpdate
from ..ledger.api import LocalApiError, start_local_api
from ..ledger.budget_report import BudgetRow, budgets_json, latest_run, ledger_row
from ..ledger.config import load_ledger_settings
from ..ledger.queries import Figures, spent_between, today_and_all_time
from ..ledger.store import Ledger, LedgerError
from ..ledger.writer import LedgerWriter
from ..pricing.budget_guard import BudgetStatus
from ..pricing.calendar import to_us
from ..pricing.money import format_usd, units_to_decimal
from ..pricing.session_costs import CostFigures, SessionSnapshot

HISTORY_REFRESH_S = 1.0
DURABLE_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class HistoryUpdate:
 """Today's and all-time figures from the ledger (posted to the controller like any conductor event)."""

 today: Figures
 all_time: Figures


@dataclass(frozen=True, slots=True)
class LedgerProblem:
 """The ledger cannot be written right now (the calls wait in memory and are retried)."""

 message: str


class LedgerLink:
 """Feeds `controller`'s calls and track updates to `ledger` and keeps the history figures fresh.

 Everything here runs off the GUI thread: the writer batches inserts on its thread; a refresher thread
 re-reads today's and all-time totals at most once per HISTORY_REFRESH_S after new calls, and posts them.
 """

 def __init__(
  self, controller: Any, ledger: Ledger, *, writer: LedgerWriter | None = None, record_simulated: bool = False
 ) -> None:
  self.controller = controller
  self.ledger = ledger
  self.record_simulated = record_simulated
  self.writer = writer or LedgerWriter(
   ledger,
   price_book=controller.costs.price_book,
   on_error=lambda message: controller.post(LedgerProblem(message)),
   on_milestone=lambda line: controller.post(LogEvent("milestone", line)),
  )
  self._recorded_runs: set[str] = set()
  self._ticket_outcomes: dict[tuple[str, str], tuple] = {}
  self._dirty = threading.Event()
  self._closing = threading.Event()
  controller.post_taps.append(self._on_posted)
  self._refresher = threading.Thread(target=self._refresh_loop, name="ledger-history", daemon=True)
  self._refresher.start()
  self._dirty.set()

 def _on_posted(self, event: object) -> None:
  # On the conductor's thread: calls and run updates reach the writer in the order they happened, without
  # waiting for the GUI to draw a frame.
  handler = _TAPPED.get(type(event))
  if handler is not None:
   handler(self, event)

 def records_durable(self) -> bool:
  """Whether every call submitted so far is written (waits up to DURABLE_WAIT_S). A read-only or damaged ledger
  can make nothing durable and has said so already: the run goes on as without a ledger."""
  return self.ledger.readonly or bool(self.ledger.damage(timeout=0)) or self.writer.flush(timeout=DURABLE_WAIT_S)

 def _on_call(self, record: CallRecord) -> None:
  if record.simulated and not self.record_simulated:
   return  # an offline simulation spent nothing: the ledger holds real spend only
  try:
   if record.track_id and record.track_id not in self._recorded_runs:
    # A run enters the ledger with its first recorded call, so that runs that only simulated stay out.
    self._recorded_runs.add(record.track_id)
    track = self.controller.track
    goal = track.goal if track is not None and track.id == record.track_id else ""
    self.writer.submit_run(record.track_id, "running", goal=goal)
   self.writer.submit(record)
  except ValueError as exc:  # a record the ledger refuses is reported, the session goes on
   self.controller.post(LogEvent("error", f"ledger: {exc}"))
  else:
   self._dirty.set()

 def _on_track(self, update: TrackUpdate) -> None:
  if update.track_id in self._recorded_runs:
   self.writer.submit(update)

 def _on_ticket(self, update: TicketUpdate) -> None:
  # Only the outcome matters to the ledger (status, attempts, worker model), not each piece of streamed output.
  ticket = update.ticket
  outcome = (ticket.status, ticket.attempts, ticket.model, ticket.title)
  key = (update.track_id, ticket.id)
  if update.track_id in self._recorded_runs and self._ticket_outcomes.get(key) != outcome:
   self._ticket_outcomes[key] = outcome
   self.writer.submit(update)

 def _refresh_loop(self) -> None:
  while not self._closing.is_set():
   if not self._dirty.wait(0.5):
    continue
   self._dirty.clear()
   self.writer.flush(timeout=5)
   self.controller.post(self.history())
   self._closing.wait(HISTORY_REFRESH_S)

 def spent(self, tier: str, start_us: int, end_us: int) -> int:
  """Recorded spend in [start, end) (of `tier`, or all tiers when ""), after writing what is queued: what a
  budget's period has used. A ledger that cannot answer counts 0 (and has said why already)."""
  self.writer.flush(timeout=DURABLE_WAIT_S)
  try:
   return spent_between(self.ledger, start_us, end_us, tier)
  except (LedgerError, OSError, ValueError) as exc:
   self.controller.post(LogEvent("error", f"budgets cannot read the ledger: {exc}"))
   return 0

 def history(self) -> HistoryUpdate:
  """Read today's and all-time figures now (any thread but the GUI's)."""
  return HistoryUpdate(*today_and_all_time(self.ledger))

 def close(self, timeout: float = 10.0) -> int:
  """Write what is queued and stop; returns how many items could not be written (a damaged ledger is not waited
  for: nothing can be written into it)."""
  if self.ledger.damage(timeout=0):
   timeout = 0.0
  self._closing.set()
  self._dirty.set()
  self._refresher.join(timeout)
  return self.writer.close(timeout)


# What the ledger link does with each event the conductor posts (on the conductor's thread).
_TAPPED = {CallRecord: LedgerLink._on_call, TrackUpdate: LedgerLink._on_track, TicketUpdate: LedgerLink._on_ticket}


def session_json(snapshot: SessionSnapshot) -> dict[str, Any]:
 """The live session's figures for the local API: totals (exact and formatted) and per agent, model, tier."""

 def entry(figures: CostFigures) -> dict[str, Any]:
  return {
   "cost": figures.cost_usd,
   "cost_usd": _exact(figures.cost_units),
   "cost_label": figures.cost_label,
   "calls": figures.calls,
   "unpriced_calls": figures.unpriced_calls,
   "input_tokens": figures.input_tokens,
   "output_tokens": figures.output_tokens,
   "cached_tokens": figures.cached_tokens,
   "reasoning_tokens": figures.reasoning_tokens,
  }

 total = snapshot.total
 return {
  "session_id": snapshot.session_id,
  "started_at": snapshot.started_at,
  "total_cost": total.cost_usd,
  "total_cost_usd": _exact(total.cost_units),
  "total_cost_dollars": format_usd(total.cost_units, 2),
  "total": entry(total),
  "by_agent": {f.key: entry(f) for f in snapshot.by_agent},
  "by_model": {f.key: {**entry(f), "provider": f.provider} for f in snapshot.by_model},
  "by_tier": {f.key: entry(f) for f in snapshot.by_tier},
  "unpriced_models": list(snapshot.unpriced_models),
 }


def live_budgets_json(controller: Any, ledger: Ledger) -> dict[str, Any]:
 """The budgets as the guard sees them now (with what calls in flight reserved), for the local API's `/budgets`;
 before the app's first run a per-run budget shows the ledger's latest run, as `costs budget` does."""
 guard, now = controller.budget_guard, to_us(time.time())
 track = controller.track
 run_id = track.id if track is not None else latest_run(ledger)
 rows = [_live_row(status, track is not None, ledger, guard.settings, now, run_id) for status in guard.statuses()]
 return budgets_json(guard.settings, rows, now, "app")


def _live_row(status: BudgetStatus, running: bool, ledger: Ledger, settings: Any, now: int, run_id: str) -> BudgetRow:
 if status.budget.period != "run":
  return BudgetRow(status)
 return BudgetRow(status, run_id) if running else ledger_row(ledger, settings, status.budget, now, run_id)


def _exact(units: int) -> str:
 return format(units_to_decimal(units), ".15f")


def connect_ledger(controller: Any, project_dir: Any, *, serve_api: bool = True) -> tuple[LedgerLink | None, Any]:
 """Open the project's ledger, attach it to `controller`, and start the local API when the project's
 `[ledger] api_port` asks for it. A ledger or API that cannot be used is reported in the controller's log
 (and the app goes on without it); returns (link or None, API server or None)."""
 try:
  settings = load_ledger_settings(project_dir)
  ledger = Ledger.open(project_dir=project_dir)
 except (LedgerError, ValueError, OSError) as exc:
  controller.post(LogEvent("error", f"cost history is off: {exc}"))
  controller.post(LedgerProblem(f"off: {exc}"))
  return None, None
 link = controller.attach_ledger(ledger, record_simulated=settings.record_simulated)
 if ledger.readonly:
  controller.post(LedgerProblem(f"{ledger.path} is read-only: new calls are kept in memory only"))
 threading.Thread(target=_report_damage, args=(controller, ledger), name="ledger-damage", daemon=True).start()
 server = _serve_api(controller, ledger, settings.api_port) if serve_api and settings.api_port else None
 return link, server


def _report_damage(controller: Any, ledger: Ledger) -> None:
 # The integrity check runs in the background from opening; a damaged file is said at once, not at the first call.
 problem = ledger.damage()
 if problem:
  controller.post(LogEvent("error", f"cost history is off: {problem}"))
  controller.post(LedgerProblem(problem))


def _serve_api(controller: Any, ledger: Ledger, port: int) -> Any:
 try:
  server = start_local_api(
   port,
   lambda: session_json(controller.session()),
   ledger,
   budgets=lambda: live_budgets_json(controller, ledger),
   project_dir=controller.project_dir,  # GET /insights reads the project's tiers and prices
  )
 except LocalApiError as exc:
  controller.post(LogEvent("error", str(exc)))
  return None
 controller.post(LogEvent("info", f"local API on {server.url}/ (read-only)"))
 return server
