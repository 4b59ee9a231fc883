"""The ConductorEngine: runs a track's four tiers on a worker thread with asyncio, and reports by events.

It never touches GUI state: everything it has to say goes through `emit(event)` (the controller's
thread-safe queue). Tier 1 plans the goal into tickets; per ticket, Tier 2 writes a brief, Tier 3 does the
work and Tier 4 reviews it; a rejection is retried on the next stronger model of the escalation ladder, at
most `max_escalations` times, then the ticket is blocked. Independent tickets run in parallel up to
`max_parallel`. Pause and step gate each new call; stop cancels in-flight calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..pricing.book import PriceBook
from ..pricing.budget_guard import NO_RESERVATION, BudgetGuard, BudgetHold, Reservation
from ..pricing.budgets import call_estimate_units, prompt_tokens_estimate
from ..pricing.lines import CostLine, lines_units, reply_cost_lines
from ..pricing.reply import Reply
from ..pricing.tiers import TIER_ROLES
from ..providers.base import CallInterrupted
from ..providers.types import CallError, CallResult, LLMClient
from .config import ProjectConfig, TierConfig
from .events import BudgetAlerted, BudgetHeld, CallRecord, LogEvent, TextDelta, TicketUpdate, TrackUpdate
from .prompts import (
 ORCHESTRATOR_SYSTEM,
 QA_SYSTEM,
 TECH_LEAD_SYSTEM,
 WORKER_SYSTEM,
 brief_prompt,
 parse_plan,
 parse_verdict,
 plan_prompt,
 review_prompt,
 work_prompt,
)
from .tickets import FINISHED, UNFINISHED, PlanError, Ticket, Track, ready_tickets, stuck_tickets
from .track_store import save_track

ClientFactory = Callable[[TierConfig, ProjectConfig], LLMClient]
SAVE_INTERVAL_S = 1.0
TEXT_FLUSH_S = 0.05
Emit = Callable[[object], None]


class CallFailed(Exception):
 """A call that the provider billed but did not finish (already recorded with its usage)."""


class TrackAborted(Exception):
 """An error that ends the whole track (bad credentials, an unusable plan)."""


class BudgetStopped(Exception):
 """A stop budget held a call back: the run ends, and its message says which budget and why."""


@dataclass
class _RunState:
 track: Track
 clients: dict[str, LLMClient]


@dataclass(frozen=True, slots=True)
class _CallContext:
 """Who makes one call: the track, the ticket (None for Tier 1's plan), the tier and the requested model."""

 track_id: str
 ticket: Ticket | None
 tier: str
 model: str

 @property
 def ticket_id(self) -> str:
  return self.ticket.id if self.ticket else ""


class _TextCoalescer:
 """Streamed text pieces joined into one event per TEXT_FLUSH_S: the GUI redraws at frame rate, so one event
 per frame is all it can show."""

 def __init__(self, send: Callable[[str], None]) -> None:
  self._send = send
  self._pieces: list[str] = []
  self._last_flush = float("-inf")  # the first piece is shown at once: the call has started answering

 def add(self, text: str) -> None:
  """Take one streamed piece; send what has gathered once TEXT_FLUSH_S has passed."""
  self._pieces.append(text)
  if time.monotonic() - self._last_flush >= TEXT_FLUSH_S:
   self.flush()

 def flush(self) -> None:
  """Send what has gathered (if anything)."""
  if self._pieces:
   self._send("".join(self._pieces))
   self._pieces.clear()
  self._last_flush = time.monotonic()


class ConductorEngine:
 """Runs one track at a time on its own thread. Thread-safe controls: pause, resume, step, stop."""

 def __init__(
  self,
  config: ProjectConfig,
  emit: Emit,
  *,
  price_book: PriceBook,
  client_factory: ClientFactory | None = None,
  session_id: str = "",
  persist: bool = True,
  records_durable: Callable[[], bool] | None = None,
  budget_guard: BudgetGuard | None = None,
 ) -> None:
  self.config = config
  self.price_book = price_book
  self.session_id = session_id
  self.persist = persist
  # Asked before a track file is written: are the calls emitted so far durably recorded? A ticket saved as
  # done is never run again on resume, so it must not be saved before its calls are safe.
  self._records_durable = records_durable or (lambda: True)
  self._durability_warned = False
  self.budget_guard = budget_guard
  self.budget_hold: BudgetHeld | None = None  # the hold the run is paused on (None: not held by a budget)
  self.stop_reason = ""  # why the last run stopped: "" (done, or stopped by the user) or the budget's message
  self._unpriced_warned: set[str] = set()
  self._emit = emit
  self._client_factory = client_factory or default_client_factory
  self._lock = threading.Lock()
  self._mode = "running"
  self._permits = 0
  self._thread: threading.Thread | None = None
  self._loop: asyncio.AbstractEventLoop | None = None
  self._wake: asyncio.Event | None = None
  self._main_task: asyncio.Task | None = None
  self._stop_requested = False
  self._saved_once: set[str] = set()
  self._last_save = 0.0
  self.track: Track | None = None

 # Controls (any thread) ------------------------------------------------------------------------------

 @property
 def running(self) -> bool:
  """True while the worker thread is alive."""
  return self._thread is not None and self._thread.is_alive()

 @property
 def mode(self) -> str:
  """running, paused or step."""
  return self._mode

 def start(self, track: Track, *, mode: str = "running") -> None:
  """Run (or resume) `track` on a new worker thread."""
  if self.running:
   raise RuntimeError("a track is already running")
  self.track = track
  self._mode = mode
  self._permits = 0
  self._stop_requested = False
  self.budget_hold = None
  self.stop_reason = ""
  self._thread = threading.Thread(target=self._thread_main, args=(track,), name="conductor", daemon=True)
  self._thread.start()

 def pause(self) -> None:
  """Let in-flight calls finish but start no new call until resume() or step()."""
  self._set_mode("paused")

 def resume(self) -> None:
  """Run freely again."""
  self._set_mode("running")

 def step(self) -> None:
  """Allow exactly one more call, then wait again."""
  with self._lock:
   self._mode = "step"
   self._permits += 1
   self.budget_hold = None
  self._notify()

 def stop(self) -> None:
  """Cancel in-flight calls and end the run; unfinished tickets go back to todo so the track can resume."""
  self._stop_requested = True
  loop, task = self._loop, self._main_task
  if loop is not None and task is not None:
   loop.call_soon_threadsafe(task.cancel)

 def join(self, timeout: float | None = None) -> bool:
  """Wait for the worker thread; True when it has ended."""
  if self._thread is None:
   return True
  self._thread.join(timeout)
  return not self._thread.is_alive()

 def _set_mode(self, mode: str) -> None:
  with self._lock:
   self._mode = mode
   self._permits = 0
   if mode != "paused":
    self.budget_hold = None  # resumed: a call still over its budget will be held (and said) again
  self._notify()

 def _notify(self) -> None:
  # The track's status is only ever written on the engine thread: hand the change over to it.
  loop, wake = self._loop, self._wake
  if loop is not None and wake is not None:
   with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
    loop.call_soon_threadsafe(self._mode_changed)

 def _mode_changed(self) -> None:
  self._wake.set()
  track = self.track
  if track is not None and track.status in ("running", "paused", "step"):
   track.status = self._mode
   self._emit(TrackUpdate(track.id, track.status, goal=track.goal))

  # The run (worker thread) ------------------------------------------------------------------------------

 def _thread_main(self, track: Track) -> None:
  try:
   asyncio.run(self._main(track))
  except Exception as exc:  # the worker must report, never die silently
   self._emit(LogEvent("error", f"conductor crashed: {type(exc).__name__}: {exc}"))
   track.status, track.error = "error", str(exc)
   self._emit(TrackUpdate(track.id, "error", str(exc), track.goal))
  finally:
   self._loop = None
   self._wake = None
   self._main_task = None

 async def _main(self, track: Track) -> None:
  self._loop = asyncio.get_running_loop()
  self._wake = asyncio.Event()
  self._main_task = asyncio.current_task()
  state = _RunState(track, {})
  try:
   if self._stop_requested:
    raise asyncio.CancelledError
   self._begin_budgets(track)
   await self._run(state)
  except asyncio.CancelledError:
   self._stopped(track)
  except BudgetStopped as exc:
   self.stop_reason = str(exc)
   self._stopped(track, f"stopped by the {exc}")
  except TrackAborted as exc:
   self._aborted(track, str(exc))
  finally:
   await _close_clients(state.clients.values())

 def _stopped(self, track: Track, reason: str = "stopped by the user") -> None:
  for ticket in track.tickets:
   if ticket.status in UNFINISHED:
    ticket.status = "todo"
    self._ticket_changed(track, ticket)
  track.status = "stopped"
  self._save(track)
  self._emit(TrackUpdate(track.id, "stopped", reason, track.goal))

 def _aborted(self, track: Track, reason: str) -> None:
  track.status, track.error = "error", reason
  self._save(track)
  self._emit(LogEvent("error", reason))
  self._emit(TrackUpdate(track.id, "error", reason, track.goal))

 async def _run(self, state: _RunState) -> None:
  track = state.track
  for ticket in track.tickets:
   if ticket.status in UNFINISHED:
    ticket.status = "todo"
  if not track.tickets:
   await self._plan_tickets(state)
  track.status = self._mode
  self._save(track)
  self._emit(TrackUpdate(track.id, track.status, f"{len(track.tickets)} tickets", track.goal))
  await self._work_ready_tickets(state)
  self._block_stuck(track)
  counts = track.counts()
  track.status = "done" if counts["done"] == len(track.tickets) else "blocked"
  self._save(track)
  message = f"{counts['done']} done, {counts['blocked']} blocked"
  self._emit(TrackUpdate(track.id, track.status, message, track.goal))

 async def _plan_tickets(self, state: _RunState) -> None:
  track = state.track
  track.status = "planning"
  self._emit(TrackUpdate(track.id, "planning", "Tier 1 is planning", track.goal))
  track.tickets = await self._plan(state)
  for ticket in track.tickets:
   self._ticket_changed(track, ticket)

 async def _work_ready_tickets(self, state: _RunState) -> None:
  limit = asyncio.Semaphore(self.config.max_parallel)
  running: dict[str, asyncio.Task] = {}
  try:
   while self._start_ready(state, limit, running):
    finished, _ = await asyncio.wait(running.values(), return_when=asyncio.FIRST_COMPLETED)
    for task in finished:
     del running[task.get_name()]
     task.result()
  finally:
   await _cancel_all(running.values())

 def _start_ready(self, state: _RunState, limit: asyncio.Semaphore, running: dict[str, asyncio.Task]) -> bool:
  """Start a task for every ready ticket not yet running; False when nothing runs any more."""
  for ticket in ready_tickets(state.track.tickets):
   if ticket.id not in running:
    running[ticket.id] = asyncio.create_task(self._ticket_under(limit, state, ticket), name=ticket.id)
  return bool(running)

 def _block_stuck(self, track: Track) -> None:
  for ticket in stuck_tickets(track.tickets):
   blocked = [d for d in ticket.depends_on if track.ticket(d).status != "done"]
   ticket.status = "blocked"
   ticket.blocked_reason = f"depends on blocked ticket(s): {', '.join(blocked)}"
   self._ticket_changed(track, ticket)

 async def _plan(self, state: _RunState) -> list[Ticket]:
  error = ""
  for _ in range(2):
   result = await self._call(
    state, None, "Tier 1", None, ORCHESTRATOR_SYSTEM, plan_prompt(state.track.goal, error), 4096
   )
   try:
    return parse_plan(result.text)
   except PlanError as exc:
    error = str(exc)
    self._emit(LogEvent("warning", f"Tier 1 plan was malformed ({error}); asking once more"))
  raise TrackAborted(f"Tier 1 could not produce a usable plan: {error}")

 async def _ticket_under(self, limit: asyncio.Semaphore, state: _RunState, ticket: Ticket) -> None:
  async with limit:
   await self._work_ticket(state, ticket)

 async def _work_ticket(self, state: _RunState, ticket: Ticket) -> None:
  track = state.track
  ticket.status = "in_progress"
  self._ticket_changed(track, ticket)
  try:
   await self._brief(state, ticket)
   await self._attempts(state, ticket)
  except (CallError, CallFailed) as exc:
   if isinstance(exc, CallError) and exc.kind == "auth":
    raise TrackAborted(f"{exc.provider or 'provider'}: {exc}") from None
   ticket.status = "blocked"
   ticket.blocked_reason = f"call failed: {exc}"
  self._ticket_changed(track, ticket)

 async def _brief(self, state: _RunState, ticket: Ticket) -> None:
  if ticket.brief:
   return
  track = state.track
  done = [t for t in track.tickets if t.status == "done"]
  result = await self._call(
   state, ticket, "Tier 2", None, TECH_LEAD_SYSTEM, brief_prompt(track.goal, ticket, done), 1024
  )
  ticket.brief = result.text.strip()
  self._ticket_changed(track, ticket)

 async def _attempts(self, state: _RunState, ticket: Ticket) -> None:
  """Tier 3 works and Tier 4 reviews, climbing the escalation ladder on each rejection; blocked at the top."""
  worker = self.config.tiers["Tier 3"]
  ladder = [worker.model, *worker.escalation]
  tries = self.config.max_escalations + 1
  rejection = ""
  for attempt in range(tries):
   approved, rejection = await self._attempt(state, ticket, ladder[min(attempt, len(ladder) - 1)], rejection)
   if approved:
    return
   if attempt + 1 < tries:
    nxt = ladder[min(attempt + 1, len(ladder) - 1)]
    self._emit(LogEvent("info", f"{ticket.id}: QA rejected ({rejection}); retrying on {nxt}"))
  ticket.status = "blocked"
  ticket.blocked_reason = f"QA rejected {tries} attempts; last: {rejection}"

 async def _attempt(self, state: _RunState, ticket: Ticket, model: str, rejection: str) -> tuple[bool, str]:
  """One Tier 3 attempt and its Tier 4 review: (approved, QA's reason)."""
  track = state.track
  ticket.attempts += 1
  ticket.status = "in_progress"
  self._ticket_changed(track, ticket)
  result = await self._call(state, ticket, "Tier 3", model, WORKER_SYSTEM, work_prompt(ticket, rejection), 4096)
  ticket.output = result.text
  ticket.status = "review"
  self._ticket_changed(track, ticket)
  review = await self._call(state, ticket, "Tier 4", None, QA_SYSTEM, review_prompt(ticket, result.text), 1024)
  approved, reason = parse_verdict(review.text)
  ticket.review = review.text.strip()
  if approved:
   ticket.status = "done"
   self._ticket_changed(track, ticket)
  return approved, reason

 async def _call(
  self,
  state: _RunState,
  ticket: Ticket | None,
  tier: str,
  model: str | None,
  system: str,
  prompt: str,
  max_tokens: int,
 ) -> CallResult:
  tier_config = self.config.tiers[tier]
  model = model or tier_config.model
  client = self._client_for(state, tier, tier_config)
  call = _CallContext(state.track.id, ticket, tier, model)
  reservation = await self._admit(state.track, call, client.provider, (system, prompt), max_tokens)
  try:
   return await self._send(call, client, system, prompt, max_tokens, reservation)
  finally:
   self._release(reservation)  # a call that settled is already closed: this only drops an unsettled estimate

 async def _send(
  self, call: _CallContext, client: LLMClient, system: str, prompt: str, max_tokens: int, reservation: Reservation
 ) -> CallResult:
  tier = call.tier
  text = _TextCoalescer(lambda joined: self._emit(TextDelta(call.track_id, call.ticket_id, tier, joined)))
  started = time.perf_counter()
  try:
   result = await client.complete(
    model=call.model, system=system, prompt=prompt, max_tokens=max_tokens, stream=True, on_text=text.add
   )
  except CallError as exc:
   text.flush()
   self._emit(self._failure_record(call, client.provider, exc, time.perf_counter() - started))
   raise
  except CallInterrupted as exc:  # stopped mid-answer: what the provider billed so far is recorded
   text.flush()
   self._account(call, exc.result, reservation)
   raise
  text.flush()
  self._account(call, result, reservation)
  if not result.ok:
   raise CallFailed(result.error or "the call broke after the provider started answering")
  return result

 def _client_for(self, state: _RunState, tier: str, tier_config: TierConfig) -> LLMClient:
  client = state.clients.get(tier_config.provider)
  if client is not None:
   return client
  try:
   client = self._client_factory(tier_config, self.config)
  except (ValueError, ImportError, CallError) as exc:  # no SDK, a broken keys file, a missing key
   raise TrackAborted(f"{tier}: cannot use provider {tier_config.provider}: {exc}") from None
  state.clients[tier_config.provider] = client
  return client

 def _account(self, call: _CallContext, result: CallResult, reservation: Reservation) -> None:
  """Price the call at the model the API reported, charge its ticket, settle its budget reservation, and report
  the CallRecord."""
  lines = _cost_lines(self.price_book, result)
  cost_units = lines_units(lines)
  self._settle(reservation, cost_units)
  ticket = call.ticket
  if ticket is not None:
   ticket.cost_units += cost_units or 0
   if call.tier == "Tier 3":
    _charge_worker_model(ticket, result.model)
  self._emit(
   CallRecord(
    session_id=self.session_id,
    track_id=call.track_id,
    ticket_id=call.ticket_id,
    tier=call.tier,
    role=TIER_ROLES[call.tier],
    provider=result.provider,
    model=result.model,
    usage=result.usage,
    cost_units=cost_units,
    latency_s=result.latency_s,
    request_id=result.request_id or "",
    status=result.status,
    error=result.error or "",
    requested_model=call.model,
    attempts=result.attempts,
    raw_usage=result.raw_usage,
    cost_lines=tuple(lines or ()),
   )
  )

 def _failure_record(self, call: _CallContext, provider: str, exc: CallError, latency: float) -> CallRecord:
  return CallRecord(
   session_id=self.session_id,
   track_id=call.track_id,
   ticket_id=call.ticket_id,
   tier=call.tier,
   role=TIER_ROLES[call.tier],
   provider=provider,
   model=call.model,
   usage=None,
   cost_units=None,
   latency_s=latency,
   request_id=exc.request_id or "",
   status="failed",
   error=f"{exc.kind}: {exc}",
   requested_model=call.model,
   attempts=exc.attempts,
   billed=False,
  )

 # Budgets ------------------------------------------------------------------------------------------------

 def _begin_budgets(self, track: Track) -> None:
  if self.budget_guard is not None and self.budget_guard.active:
   self._alert(self.budget_guard.begin_run(track.id))

 async def _admit(
  self, track: Track, call: _CallContext, provider: str, texts: tuple[str, str], max_tokens: int
 ) -> Reservation:
  """Wait for the gate (pause, step), then reserve the call's estimate against the budgets; a call a budget
  holds back pauses the run (or stops it) and is tried again when the run resumes."""
  while True:
   await self._gate(track, call.tier, call.ticket, call.model)
   decision = self._reserve(call, provider, texts, max_tokens)
   if isinstance(decision, Reservation):
    return decision
   self._held(track, decision)

 def _reserve(
  self, call: _CallContext, provider: str, texts: tuple[str, str], max_tokens: int
 ) -> Reservation | BudgetHold:
  guard = self.budget_guard
  if guard is None or not guard.active or (provider == "simulated" and not guard.count_simulated):
   return NO_RESERVATION
  estimate = call_estimate_units(self.price_book, call.model, prompt_tokens_estimate(*texts), max_tokens)
  if estimate is None:
   self._warn_unpriced(call.model)
  what = f"{call.tier} {call.ticket_id or 'plan'} on {call.model}"
  return guard.reserve(call.tier, estimate or 0, what)

 def _held(self, track: Track, hold: BudgetHold) -> None:
  """Pause the run on `hold` (said once, however many workers it holds), or end it for a stop budget."""
  message = f"held back {hold.what}: {hold.message()}"
  if hold.budget.action == "stop":
   self._emit(BudgetHeld(track.id, hold, message, stopped=True))
   raise BudgetStopped(f"{hold.message()} (held back {hold.what})")
  with self._lock:
   first = self.budget_hold is None
   self._mode, self._permits = "paused", 0
   if first:
    self.budget_hold = BudgetHeld(track.id, hold, message)
  if first:
   self._emit(self.budget_hold)
   track.status = "paused"
   self._emit(TrackUpdate(track.id, "paused", message, track.goal))

 def _settle(self, reservation: Reservation, cost_units: int | None) -> None:
  if self.budget_guard is not None and reservation.open:
   self._alert(self.budget_guard.settle(reservation, cost_units))

 def _release(self, reservation: Reservation) -> None:
  if self.budget_guard is not None and reservation.open:
   self.budget_guard.release(reservation)

 def _alert(self, alerts) -> None:
  for alert in alerts:
   self._emit(BudgetAlerted(alert, alert.message()))

 def _warn_unpriced(self, model: str) -> None:
  if model not in self._unpriced_warned:
   self._unpriced_warned.add(model)
   self._emit(LogEvent("warning", f"budget: {model} has no price, so its calls cannot be estimated or held back"))

 async def _gate(self, track: Track, tier: str, ticket: Ticket | None, model: str) -> None:
  announced = False
  while True:
   with self._lock:
    if self._mode == "running":
     return
    if self._mode == "step" and self._permits > 0:
     self._permits -= 1
     return
    mode = self._mode
   if not announced and mode == "step":
    what = f"{tier} {ticket.id if ticket else 'plan'} on {model}"
    self._emit(TrackUpdate(track.id, "step", f"next call: {what}; press Step", track.goal))
    announced = True
   await self._wake.wait()
   self._wake.clear()

 def _ticket_changed(self, track: Track, ticket: Ticket) -> None:
  self._emit(TicketUpdate(track.id, ticket.copy()))
  # A finished ticket is saved at once (a resume must never pay for it again); progress in between at
  # most every SAVE_INTERVAL_S, since an interrupted ticket restarts from its brief anyway.
  if ticket.status in FINISHED or time.monotonic() - self._last_save > SAVE_INTERVAL_S:
   self._save(track)

 def _save(self, track: Track) -> None:
  if not self.persist or not self._calls_are_recorded():
   return
  try:
   save_track(self.config.project_dir, track, check_existing=track.id not in self._saved_once)
  except (OSError, ValueError) as exc:
   self._emit(LogEvent("error", f"could not save track {track.id}: {exc}"))
  else:
   self._saved_once.add(track.id)
   self._last_save = time.monotonic()

 def _calls_are_recorded(self) -> bool:
  if self._records_durable():
   return True
  if not self._durability_warned:
   self._durability_warned = True
   self._emit(LogEvent("warning", "the track file waits until the calls so far are recorded in the ledger"))
  return False


async def _close_clients(clients) -> None:
 for client in clients:
  with contextlib.suppress(Exception):  # closing must not hide the run's outcome
   await client.aclose()


async def _cancel_all(tasks) -> None:
 tasks = list(tasks)
 for task in tasks:
  task.cancel()
 if tasks:
  await asyncio.gather(*tasks, return_exceptions=True)


def _charge_worker_model(ticket: Ticket, model: str) -> None:
 if model not in ticket.models:
  ticket.models.append(model)
 ticket.tier, ticket.model = "Tier 3", model


def default_client_factory(tier: TierConfig, config: ProjectConfig) -> LLMClient:
 """A real client when the tier's provider has an API key, else the simulated provider."""
 from ..providers.factory import make_client, resolve_api_key
 from ..providers.keys import load_user_keys

 if tier.provider != "simulated":
  key = resolve_api_key(tier.provider, config=load_user_keys())
  if key:
   return make_client(tier.provider, api_key=key, timeout=config.timeout_s, max_retries=config.max_retries)
 sim = config.simulated
 return make_client("simulated", seed=sim.seed, latency_s=sim.latency_ms / 1000, reject_rate=sim.reject_rate)


def _cost_lines(book: PriceBook, result: CallResult) -> list[CostLine] | None:
 """The lines of a call's cost at the model the API reported; None when unpriced or nothing was reported. A
 call retried after a billed attempt is priced on the usage of all its attempts, with the last one's facts."""
 if result.usage is None:
  return None
 reply = result.reply or Reply(result.usage)
 if reply.usage != result.usage:
  reply = replace(reply, usage=result.usage, steps=())
 return reply_cost_lines(book, reply, result.model)
