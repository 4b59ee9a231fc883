"""The AppController owns application state. The conductor's worker thread only posts events to a
lock-guarded queue; the GUI thread (or the headless runner) drains it once per frame and applies them, so
app state is only ever written by one thread. No imgui import lives here or below.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..engine.conductor import ClientFactory, ConductorEngine
from ..engine.config import ProjectConfig, TierConfig
from ..engine.events import BudgetHeld, CallRecord, LogEvent, TextDelta, TicketUpdate, TrackUpdate
from ..engine.tickets import Ticket, Track
from ..engine.track_store import list_tracks, load_track, load_track_file
from ..pricing.book import PriceBook
from ..pricing.budget_guard import BudgetAlert, BudgetGuard, BudgetStatus
from ..pricing.budgets import Budget, BudgetSettings, save_budget_settings
from ..pricing.config import load_price_book
from ..pricing.overrides import PricingConfigError
from ..pricing.run_estimate import RunEstimate
from ..pricing.session_costs import SessionCosts, SessionSnapshot
from ..pricing.table import BUILTIN_PRICES
from ..pricing.tiers import TIER_NAMES
from ..providers.factory import resolve_api_key
from ..providers.keys import load_user_keys
from .budget_alerts import AlertDelivered, BudgetAlertDelivery
from .cost_timeline import CostTimeline
from .dashboard_link import DashboardLink, DashboardResult, insight_inputs
from .ledger_link import HistoryUpdate, LedgerLink, LedgerProblem
from .project_config import CONFIG_NAME, AppliedTier, load_project_config, save_tier_config

CALL_LOG_LIMIT = 10_000
TEXT_LIMIT = 200_000
LOG_LIMIT = 2_000
PENDING_SOFT_LIMIT = 5_000
BACKPRESSURE_WAIT_S = 0.25
NOTIFICATION_LIMIT = 50
BUDGET_CHECK_EVERY = 8  # events applied between clock reads: a call takes ~5-10 us to apply, a read ~0.1 us


@dataclass(frozen=True, slots=True)
class BudgetUpdate:
 """Every budget's figures after a change (posted by the budget guard's owner, applied like any event)."""

 statuses: tuple[BudgetStatus, ...]


@dataclass
class TierStream:
 """Recent streamed text of one tier (bounded), for the tier output windows."""

 text: list[str] = field(default_factory=list)
 size: int = 0
 version: int = 0

 def append(self, piece: str) -> None:
  """Add text, dropping the oldest beyond TEXT_LIMIT characters."""
  self.text.append(piece)
  self.size += len(piece)
  while self.size > TEXT_LIMIT and len(self.text) > 1:
   self.size -= len(self.text.pop(0))
  self.version += 1


class AppController:
 """Application state and the bridge between the conductor thread and the GUI thread.

 Thread rules: `post()` may be called from any thread; everything else runs on the thread that calls
 `drain_pending()` (the GUI thread). `wakeup` is called after each post so an idle GUI redraws at once.
 """

 def __init__(
  self,
  project_dir: Path | str,
  *,
  config: ProjectConfig | None = None,
  price_book: PriceBook | None = None,
  client_factory: ClientFactory | None = None,
  persist: bool = True,
 ) -> None:
  self.project_dir = Path(project_dir)
  self.config = config or load_project_config(self.project_dir)
  self.pricing_problem = ""
  if price_book is None:
   price_book, self.pricing_problem = project_price_book(self.project_dir)
  self.price_book = price_book
  self.costs = SessionCosts(self.price_book)
  self.budget_guard = BudgetGuard(self.config.budgets, spent=self._budget_spent, on_change=self._budgets_changed)
  self.engine = ConductorEngine(
   self.config,
   self.post,
   price_book=self.price_book,
   client_factory=client_factory,
   session_id=self.costs.session_id,
   persist=persist,
   records_durable=self._records_durable,
   budget_guard=self.budget_guard,
  )
  self.wakeup: Callable[[], None] | None = None
  self.record_sinks: list[Callable[[CallRecord], None]] = []
  # Called with every event on the thread that posts it, before it is queued: for what must not wait for a
  # frame (the ledger records calls straight from the conductor's thread).
  self.post_taps: list[Callable[[object], None]] = []
  self.track_sinks: list[Callable[[TrackUpdate], None]] = []
  # Alerts are claimed in the ledger and delivered (command, webhook, costs.log) on their own thread.
  self.budget_alerts = BudgetAlertDelivery(self.post, lambda: self.budget_guard.settings, cwd=self.project_dir)
  self.post_taps.append(self.budget_alerts.on_posted)
  self.ledger_link = None
  self.dashboard: DashboardLink | None = None  # the Cost Dashboard's query runner, once a ledger is attached
  self.history = None
  self.history_version = 0
  self.ledger_problem = ""
  self._pending: list[object] = []
  self._pending_lock = threading.Lock()
  self._drained = threading.Condition(self._pending_lock)
  # State below is owned by the draining thread.
  self.track: Track | None = None
  self.track_status = "idle"
  self.track_message = ""
  self.tickets: dict[str, Ticket] = {}
  # What each ticket cost in this session (priced calls, repeats counted once): the ticket list shows this, so
  # it always adds up to the session total, after a reset and on a resumed track alike.
  self.ticket_costs: dict[str, int] = {}
  self.tickets_version = 0
  self.call_log: deque[CallRecord] = deque(maxlen=CALL_LOG_LIMIT)
  self.call_log_version = 0
  self.cost_timeline = CostTimeline()
  self.tier_streams: dict[str, TierStream] = {tier: TierStream() for tier in TIER_NAMES}
  self.log: deque[LogEvent] = deque(maxlen=LOG_LIMIT)
  self.log_version = 0
  self.events_applied = 0
  # The budgets' figures before any run (a window shows them at once); updated by BudgetUpdate events after.
  self.budget_statuses: tuple[BudgetStatus, ...] = self.budget_guard.statuses()
  self.budget_version = 0
  self.budget_hold: BudgetHeld | None = None  # the hold the run is paused on, for the GUI's decision modal
  self.notifications: deque[BudgetAlert] = deque(maxlen=NOTIFICATION_LIMIT)
  self.notifications_version = 0
  if self.pricing_problem:
   self.post(LogEvent("error", self.pricing_problem))

 # Any thread --------------------------------------------------------------------------------------

 def post(self, event: object) -> None:
  """Queue an event for the draining thread (thread-safe) and wake it. A producer that runs far ahead
  of the GUI (more than PENDING_SOFT_LIMIT events queued) is slowed down, never the GUI."""
  for tap in self.post_taps:
   tap(event)
  with self._pending_lock:
   self._pending.append(event)
   backlog = len(self._pending)
  wakeup = self.wakeup
  if wakeup is not None:
   wakeup()
  if backlog > PENDING_SOFT_LIMIT:
   # Wait (releasing the GIL) until the GUI has caught up by half; bounded so a stalled GUI cannot
   # hang the conductor.
   with self._drained:
    self._drained.wait_for(lambda: len(self._pending) < PENDING_SOFT_LIMIT // 2, BACKPRESSURE_WAIT_S)

 def pending_count(self) -> int:
  """Events waiting to be drained."""
  with self._pending_lock:
   return len(self._pending)

 # The draining (GUI) thread --------------------------------------------------------------------------

 def drain_pending(self, budget_s: float | None = None) -> int:
  """Apply queued events in arrival order; returns how many. Call once per frame.

  With `budget_s` (the GUI passes half a millisecond) it stops when the budget is spent and leaves the
  rest, in order, for the next frame, so that a flood of events never freezes a frame; without it, it
  applies everything (headless use)."""
  with self._pending_lock:
   if not self._pending:
    return 0
   events, self._pending = self._pending, []
  try:
   return self._apply_events(events, budget_s)
  finally:
   with self._drained:
    self._drained.notify_all()

 def _apply_events(self, events: list[object], budget_s: float | None) -> int:
  applied = self._apply_all(events) if budget_s is None else self._apply_within(events, budget_s)
  if applied < len(events):
   with self._pending_lock:
    self._pending[:0] = events[applied:]
  self.events_applied += applied
  return applied

 def _apply_all(self, events: list[object]) -> int:
  for event in events:
   self._apply(event)
  return len(events)

 def _apply_within(self, events: list[object], budget_s: float) -> int:
  deadline = time.perf_counter() + budget_s
  applied = 0
  for event in events:
   self._apply(event)
   applied += 1
   if applied % BUDGET_CHECK_EVERY == 0 and time.perf_counter() > deadline:
    break
  return applied

 def _apply(self, event: object) -> None:
  handler = _APPLY.get(type(event))
  if handler is not None:
   handler(self, event)

 def _apply_text(self, event: TextDelta) -> None:
  self.tier_streams[event.tier].append(event.text)

 def _apply_ticket(self, event: TicketUpdate) -> None:
  self.tickets[event.ticket.id] = event.ticket
  self.tickets_version += 1

 def _apply_track(self, event: TrackUpdate) -> None:
  self.track_status = event.status
  self.track_message = event.message
  if event.status != "paused" and self.budget_hold is not None:
   self.budget_hold = None
   self.budget_version += 1
  for sink in self.track_sinks:
   sink(event)

 def _apply_log(self, event: LogEvent) -> None:
  self.log.append(event)
  self.log_version += 1

 def _apply_history(self, event: HistoryUpdate) -> None:
  self.history = event
  self.history_version += 1
  self.ledger_problem = ""

 def _apply_ledger_problem(self, event: LedgerProblem) -> None:
  self.ledger_problem = event.message
  self.history_version += 1
  self._apply_log(LogEvent("error", f"ledger: {event.message}"))

 def _apply_budgets(self, event: BudgetUpdate) -> None:
  self.budget_statuses = event.statuses
  self.budget_version += 1

 def _apply_dashboard(self, event: DashboardResult) -> None:
  if self.dashboard is not None:
   self.dashboard.apply(event)

 def _apply_budget_held(self, event: BudgetHeld) -> None:
  self.budget_hold = None if event.stopped else event
  self.budget_version += 1
  self._apply_log(LogEvent("error" if event.stopped else "warning", f"budget: {event.message}"))

 def _apply_budget_alert(self, event: AlertDelivered) -> None:
  self.notifications.append(event.alert)
  self.notifications_version += 1
  self._apply_log(LogEvent("budget", f"budget alert: {event.message}"))

 def _apply_call(self, record: CallRecord) -> None:
  self.call_log.append(record)
  self.call_log_version += 1
  for sink in self.record_sinks:
   sink(record)
  if record.session_id != self.costs.session_id or not record.billed:
   return
  added = self._record_in_session(record)
  if added == -1:
   return
  self.cost_timeline.append(record.timestamp, added or 0)
  if record.ticket_id:
   self.ticket_costs[record.ticket_id] = self.ticket_costs.get(record.ticket_id, 0) + (added or 0)
   self.tickets_version += 1

 def _record_in_session(self, record: CallRecord) -> int | None:
  request_id = f"{record.provider}:{record.request_id}" if record.request_id else None
  where = {"tier": record.tier, "agent": record.role, "provider": record.provider, "request_id": request_id}
  if record.usage is None:  # billed, but the provider never said how much
   return self.costs.record_unknown_usage(record.model, **where)
  return self.costs.record(record.model, record.usage, cost_units=record.cost_units, **where)

 def attach_ledger(self, ledger, *, record_simulated: bool = False) -> object:
  """Record every real call and every run in `ledger` (off this thread; simulated calls only when asked)
  and receive today's and all-time figures."""
  self.ledger_link = LedgerLink(self, ledger, record_simulated=record_simulated)
  self.budget_alerts.ledger = ledger  # alerts are delivered once per period across restarts and processes
  # Budgets count what the ledger counts: calls of the simulated provider only when it records them.
  self.budget_guard.count_simulated = record_simulated
  self.budget_guard.update_settings(self.config.budgets)  # spend so far now comes from the ledger
  link = self.ledger_link
  self.dashboard = DashboardLink(
   ledger, self.post, flush=link.writer.flush, insight_inputs=insight_inputs(self), record_simulated=record_simulated
  )
  self.post_taps.append(self.dashboard.on_posted)
  return self.ledger_link

 def _budget_spent(self, budget: Budget, start_us: int, end_us: int) -> int:
  # On the conductor's thread (or the caller's): the guard asks at a run's start and when a period turns.
  link = self.ledger_link
  return 0 if link is None else link.spent(budget.tier, start_us, end_us)

 def _budgets_changed(self) -> None:
  self.post(BudgetUpdate(self.budget_guard.statuses()))

 def _records_durable(self) -> bool:
  # Runs on the conductor's thread; ledger_link is set once, before any run.
  link = self.ledger_link
  return link is None or link.records_durable()

 def session(self) -> SessionSnapshot:
  """The session's cost figures now (cached until the next call)."""
  return self.costs.snapshot()

 def simulated_tiers(self) -> tuple[list[str], str]:
  """The tiers that will run on the simulated provider (chosen, or no API key for their provider), and the
  problem with the user's keys file ("" when there is none)."""
  try:
   keys, problem = load_user_keys(), ""
  except ValueError as exc:
   keys, problem = {}, str(exc)
  tiers = [tier for tier in TIER_NAMES if not _has_key(self.config.tiers[tier].provider, keys)]
  return tiers, problem

 def resumable_track_id(self) -> str:
  """The newest of this project's last five saved tracks that has unfinished tickets ("" if none)."""
  for path in list_tracks(self.project_dir)[:5]:
   try:
    track = load_track_file(path)
   except ValueError:
    continue
   if track.tickets and not track.finished:
    return track.id
  return ""

 # Commands (the draining thread) --------------------------------------------------------------------

 def start_track(self, goal: str) -> Track:
  """Plan and run a new track for `goal`."""
  goal = goal.strip()
  if not goal:
   raise ValueError("the goal is empty: say what the track should achieve")
  return self._start(Track(goal=goal))

 def resume_track(self, track_id: str) -> Track:
  """Resume a saved track of this project (unfinished tickets run again)."""
  return self._start(load_track(self.project_dir, track_id))

 def pre_run_estimate(self, resume: str | None = None) -> RunEstimate:
  """What the next run should cost (min, average, max per tier and in total), from the ledger's finished runs
  priced at the tier models set now; `resume`: the saved track's unfinished tickets. No history: no figures."""
  from .estimates import pre_run_estimate

  return pre_run_estimate(self, resume)

 def _start(self, track: Track) -> Track:
  if self.engine.running:
   raise RuntimeError("a track is already running; stop it first")
  self.track = track
  self.tickets = {t.id: t.copy() for t in track.tickets}
  self.tickets_version += 1
  for stream in self.tier_streams.values():
   stream.text.clear()
   stream.size = 0
   stream.version += 1
  self.track_status = "starting"
  self.track_message = ""
  self.engine.session_id = self.costs.session_id
  self.engine.start(track)
  return track

 # Budgets (the draining thread) ----------------------------------------------------------------------

 def set_budget(self, budget: Budget) -> None:
  """Add or change a budget: saved to the project file first (a file that cannot be written changes
  nothing), then in force for the next call."""
  self._save_budgets(self.config.budgets.with_budget(budget))

 def remove_budget(self, key: str) -> None:
  """Remove the budget named `key` (`monthly`, `Tier 3 run`) from the project file and from force."""
  self._save_budgets(self.config.budgets.without(key))

 def _save_budgets(self, settings: BudgetSettings) -> None:
  save_budget_settings(self.project_dir / CONFIG_NAME, settings)
  self.config = replace(self.config, budgets=settings)
  self.engine.config = self.config
  self.budget_guard.update_settings(settings)

 def raise_budget_limit(self, key: str, limit_units: int) -> None:
  """The held call's budget gets a new limit (saved), and the run resumes."""
  budget = self.config.budgets.find(key)
  if budget is None:
   raise KeyError(f"no {key} budget")
  self.set_budget(replace(budget, limit_units=limit_units))
  self.resume()

 def allow_budget_once(self, key: str) -> None:
  """Let the held call through this once, and resume."""
  self.budget_guard.allow_once(key)
  self.resume()

 def allow_budget_run(self, key: str) -> None:
  """Stop holding calls on this budget until the run ends, and resume."""
  self.budget_guard.allow_run(key)
  self.resume()

 def set_tier_config(self, tier: str, config: TierConfig) -> None:
  """Change who runs a tier; applies to the next call the engine makes."""
  self.config = self.config.with_tier(tier, config)
  self.engine.config = self.config

 def apply_suggestion(self, tier: str, provider: str, model: str) -> AppliedTier:
  """Run `tier` on `provider`/`model` from the next call, saved to the project file's [tiers.tierN] (its
  escalation ladder kept); a file that cannot be written changes nothing (ConfigError). The result undoes it."""
  previous = self.config.tiers[tier]
  applied = replace(previous, provider=provider, model=model)
  save_tier_config(self.project_dir, tier, applied)
  self.set_tier_config(tier, applied)
  return AppliedTier(tier, previous, applied)

 def undo_suggestion(self, token: AppliedTier) -> None:
  """Put back the tier settings an apply_suggestion changed, in the project file and for the next call."""
  save_tier_config(self.project_dir, token.tier, token.previous)
  self.set_tier_config(token.tier, token.previous)

 def pause(self) -> None:
  """Start no new call (in-flight calls finish and are still counted)."""
  self.engine.pause()

 def resume(self) -> None:
  """Run freely again."""
  self.engine.resume()

 def step(self) -> None:
  """Allow one more call."""
  self.engine.step()

 def stop(self) -> None:
  """Cancel in-flight calls; the track can be resumed later."""
  self.engine.stop()

 def reset_session(self) -> str:
  """Start a new session: clear everything the windows show of the old one (session figures per tier and
  model, the cost timeline, the comms log, the tickets' costs). Tickets keep their status; the ledger keeps
  every call."""
  session_id = self.costs.reset()
  self.engine.session_id = session_id
  self.cost_timeline = CostTimeline()
  self.call_log.clear()
  self.call_log_version += 1
  self.ticket_costs.clear()
  self.tickets_version += 1
  self.post(LogEvent("info", f"new session {session_id}"))
  return session_id

 def wait_idle(self, timeout: float = 30.0) -> bool:
  """Headless helper: wait for the worker to end, then drain everything; True if it ended in time."""
  deadline = time.monotonic() + timeout
  while self.engine.running and time.monotonic() < deadline:
   self.drain_pending()
   self.engine.join(0.01)
  ended = self.engine.join(max(0.0, deadline - time.monotonic()))
  self.budget_alerts.flush(max(0.0, deadline - time.monotonic()))
  self.drain_pending()
  return ended

 def shutdown(self, timeout: float = 5.0) -> None:
  """Stop the worker (if any), apply what it said last, and write what the ledger still holds."""
  if self.engine.running:
   self.engine.stop()
  self.engine.join(timeout)
  # Alerts being delivered may run their command and webhook to their timeout, but no longer.
  if not self.budget_alerts.close(timeout + 2 * self.budget_guard.settings.alert_timeout_s):
   self.post(LogEvent("error", "budget alerts: a command or webhook was still running at exit"))
  self.drain_pending()
  if self.dashboard is not None:
   self.dashboard.close(timeout)
  self._close_ledger()

 def _close_ledger(self) -> None:
  if self.ledger_link is not None:
   unwritten = self.ledger_link.close()
   if unwritten:
    self.post(LogEvent("error", f"ledger: {unwritten} item(s) could not be written"))
   self.drain_pending()  # what the writer said while finishing (milestones, problems)


def project_price_book(project_dir: Path) -> tuple[PriceBook, str]:
 """The project's prices, and "" when every pricing file and variable is good. When one is broken the app still
 opens: it prices with what remains good (without the project's file; then the built-in prices alone) and the
 returned problem says which file is broken and what is used instead."""
 try:
  return load_price_book(project_dir), ""
 except PricingConfigError as exc:
  problem = str(exc)
 try:
  book, instead = load_price_book(None), "the built-in prices and your user pricing file"
 except PricingConfigError:
  book, instead = PriceBook(dict(BUILTIN_PRICES)), "the built-in prices only"
 return book, f"prices: {problem}; using {instead} until it is fixed"


def _has_key(provider: str, keys: dict) -> bool:
 return provider != "simulated" and bool(resolve_api_key(provider, config=keys))


# What each event does to the app state: one handler per event type (all run on the draining thread).
_APPLY: dict[type, Callable[[AppController, object], None]] = {
 CallRecord: AppController._apply_call,
 TextDelta: AppController._apply_text,
 TicketUpdate: AppController._apply_ticket,
 TrackUpdate: AppController._apply_track,
 LogEvent: AppController._apply_log,
 HistoryUpdate: AppController._apply_history,
 LedgerProblem: AppController._apply_ledger_problem,
 BudgetUpdate: AppController._apply_budgets,
 BudgetHeld: AppController._apply_budget_held,
 AlertDelivered: AppController._apply_budget_alert,
 DashboardResult: AppController._apply_dashboard,
}
