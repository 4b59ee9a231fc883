"""Recording calls off the GUI thread: `LedgerWriter(ledger, price_book=book).submit(call_record)` returns at
once, a background thread writes in batches.

    writer = LedgerWriter(ledger, price_book=book, on_error=show_in_status_bar)
    writer.submit(call_record)            # events.CallRecord or ledger.LedgerCall; never blocks on the disk
    writer.submit_run("track-1", "done")  # or writer.submit(track_update) with an events.TrackUpdate
    writer.flush()                        # wait until everything submitted so far is written
    writer.close()

A batch is written when `batch_size` calls are waiting or `flush_interval_s` has passed, in one transaction,
so a crash loses at most the calls not yet written. When writing fails (disk full, read-only file, a lock
held too long) the calls stay queued, `on_error` is told once per distinct problem, and the writer retries
with a growing pause; the app keeps running. Submitted calls are validated at once (ValueError in the caller).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..pricing.book import PriceBook
from ..pricing.lines import CostLine, tells_more
from .store import Ledger, LedgerCall, LedgerError, TicketOutcome, check_call

TERMINAL_RUN_STATUSES = frozenset({"done", "blocked", "stopped", "error"})
_RETRY_FIRST_S = 0.25
_RETRY_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class _RunUpdate:
 run_id: str
 status: str
 goal: str
 at: float


class LedgerWriter:
 """A background thread that writes submitted calls and run updates to `ledger` in batches; `price_book` prices
 the events.CallRecords submitted (their price provenance, and their cost when they carry none)."""

 def __init__(
  self,
  ledger: Ledger,
  *,
  price_book: PriceBook,
  batch_size: int = 1000,
  flush_interval_s: float = 0.2,
  on_error: Callable[[str], None] | None = None,
  on_milestone: Callable[[str], None] | None = None,
 ) -> None:
  if batch_size < 1 or flush_interval_s <= 0:
   raise ValueError(f"batch_size must be >= 1 and flush_interval_s > 0, got {batch_size}, {flush_interval_s}")
  self.ledger = ledger
  self.batch_size = batch_size
  self.flush_interval_s = flush_interval_s
  self.price_book = price_book
  self._on_error = on_error
  self._on_milestone = on_milestone
  self._queue: deque[LedgerCall | _RunUpdate] = deque()
  self._cond = threading.Condition()
  self._submitted = 0
  self._done = 0
  self._stored = 0
  self._closing = False
  self._flush_wanted = False
  self._prices: dict[str, dict[str, Any] | None] = {}
  self.last_error = ""
  self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
  self._thread.start()

 # Submitting (any thread) -------------------------------------------------------------------------------------

 def submit(self, item: Any) -> None:
  """Queue an events.CallRecord, a LedgerCall, an events.TrackUpdate or an events.TicketUpdate; returns at once."""
  if isinstance(item, LedgerCall | TicketOutcome):
   queued = item
  else:
   convert = _SUBMITTED.get(type(item).__name__)
   if convert is None:
    kind = type(item).__name__
    raise ValueError(f"cannot record a {kind} in the ledger (expected CallRecord, TrackUpdate or TicketUpdate)")
   queued = convert(self, item)
  if isinstance(queued, LedgerCall):
   check_call(queued)
  if queued is not None:
   self._put(queued)

 def submit_run(self, run_id: str, status: str, *, goal: str = "") -> None:
  """Queue a run's status (first seen = its start; done, blocked, stopped or error = its end)."""
  if not isinstance(run_id, str) or not run_id or not isinstance(status, str) or not status:
   raise ValueError(f"run id and status must be non-empty strings, got {run_id!r}, {status!r}")
  self._put(_RunUpdate(run_id, status, goal or "", time.time()))

 def _put(self, item: LedgerCall | _RunUpdate) -> None:
  with self._cond:
   if self._closing:
    raise LedgerError(f"{self.ledger.path}: the ledger writer is closed")
   self._queue.append(item)
   self._submitted += 1
   if len(self._queue) >= self.batch_size:
    self._cond.notify_all()

 def ledger_call(self, record: Any) -> LedgerCall:
  """A LedgerCall from an events.CallRecord: the price book's price for its model, with where it came from."""
  price = self._price_of(record.model) if record.usage is not None else None
  cost = record.cost_units
  if cost is None and record.usage is not None and price is not None:
   cost = self.price_book.cost_units(record.model, record.usage)
  return LedgerCall(
   timestamp=record.timestamp,
   session_id=record.session_id,
   run_id=record.track_id,
   ticket_id=record.ticket_id,
   tier=record.tier,
   agent=record.role,
   provider=record.provider,
   model=record.model,
   usage=record.usage,
   cost_units=cost,
   request_id=record.request_id or "",
   status=record.status,
   latency_s=record.latency_s,
   price=price,
   raw_usage=list(getattr(record, "raw_usage", ())) or None,  # the provider's own usage objects
   requested_model=record.requested_model,
   error=record.error,
   attempts=record.attempts,
   cost_lines=_telling_lines(getattr(record, "cost_lines", ())),
  )

 def _price_of(self, model: str) -> dict[str, Any] | None:
  # One dict per model: the store serializes each distinct dict once.
  try:
   return self._prices[model]
  except KeyError:
   found = self.price_book.resolve(model)
   price = None if found is None else {**found.price.as_dict(), "matched": found.matched, "rule": found.rule}
   self._prices[model] = price
   return price

 # State --------------------------------------------------------------------------------------------------------

 @property
 def pending(self) -> int:
  """Items submitted and not yet written."""
  with self._cond:
   return self._submitted - self._done

 @property
 def stored(self) -> int:
  """Calls written so far (repeated request ids not counted)."""
  return self._stored

 def flush(self, timeout: float | None = None) -> bool:
  """Wait until everything submitted before this call is written; False if `timeout` passed first."""
  deadline = None if timeout is None else time.monotonic() + timeout
  with self._cond:
   target = self._submitted
   self._flush_wanted = True
   self._cond.notify_all()
   while self._done < target:
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
     return False
    if not self._thread.is_alive():
     return False
    self._cond.wait(remaining if remaining is not None else 0.5)
  return True

 def close(self, timeout: float | None = 10.0) -> int:
  """Write what is queued (waiting up to `timeout`), stop the thread; return how many items stay unwritten."""
  self.flush(timeout)
  with self._cond:
   self._closing = True
   self._cond.notify_all()
  self._thread.join(timeout)
  with self._cond:
   return self._submitted - self._done

 # The thread ---------------------------------------------------------------------------------------------------

 def _run(self) -> None:
  pause = _RETRY_FIRST_S
  while (batch := self._next_batch()) is not None:
   left = self._write(batch)
   with self._cond:
    self._done += len(batch) - len(left)
    self._cond.notify_all()
    if not left:
     pause = _RETRY_FIRST_S
     continue
    self._queue.extendleft(reversed(left))
    if self._closing:
     return
    self._cond.wait(pause)
    pause = min(_RETRY_MAX_S, pause * 2)

 def _next_batch(self) -> list[LedgerCall | _RunUpdate] | None:
  """Wait for a full batch, the flush interval, a flush or closing; None when closed with nothing queued."""
  with self._cond:
   while not self._queue and not self._closing:
    self._cond.wait()
   if not self._queue:
    return None
   if len(self._queue) < self.batch_size and not self._closing and not self._flush_wanted:
    self._cond.wait(self.flush_interval_s)
   batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
   if not self._queue:
    self._flush_wanted = False
   return batch

 def _write(self, batch: list) -> list:
  """Write the batch; return what is still unwritten (calls are one transaction, so all or none of them)."""
  calls = [item for item in batch if isinstance(item, LedgerCall)]
  runs = [item for item in batch if isinstance(item, _RunUpdate)]
  tickets = [item for item in batch if isinstance(item, TicketOutcome)]
  if self.ledger.readonly:
   self.ledger.try_writable()
  if calls and not self._write_calls(calls, len(batch)):
   return batch
  return self._write_runs(runs) + self._write_tickets(tickets)

 def _write_tickets(self, tickets: list[TicketOutcome]) -> list[TicketOutcome]:
  if not tickets:
   return []
  try:
   self.ledger.record_tickets(tickets)
  except (LedgerError, ValueError) as exc:
   self._report(f"{exc} (will retry; {len(tickets)} ticket update(s) kept in memory)")
   return tickets
  return []

 def _write_calls(self, calls: list[LedgerCall], batch_size: int) -> bool:
  try:
   outcome = self.ledger.record_calls(calls)
  except (LedgerError, ValueError) as exc:
   self._report(f"{exc} (will retry; {batch_size} item(s) kept in memory)")
   return False
  self._stored += outcome.stored
  for line in outcome.milestone_lines:
   self._tell(self._on_milestone, line)
  if outcome.warning:
   self._report(outcome.warning)
  return True

 def _write_runs(self, runs: list[_RunUpdate]) -> list[_RunUpdate]:
  for index, item in enumerate(runs):
   ended = item.at if item.status in TERMINAL_RUN_STATUSES else None
   try:
    self.ledger.record_run(item.run_id, item.status, goal=item.goal, started_at=item.at, ended_at=ended)
   except (LedgerError, ValueError) as exc:
    self._report(f"{exc} (will retry; {len(runs) - index} run update(s) kept in memory)")
    return list(runs[index:])
  self.last_error = ""
  return []

 def _report(self, message: str) -> None:
  if message != self.last_error:
   self.last_error = message
   self._tell(self._on_error, message)

 @staticmethod
 def _tell(callback: Callable[[str], None] | None, message: str) -> None:
  if callback is not None:
   with contextlib.suppress(Exception):  # a broken callback must not stop the recording
    callback(message)


def _ticket_outcome(_writer: LedgerWriter, update: Any) -> TicketOutcome:
 ticket = update.ticket
 models = tuple(ticket.models)
 return TicketOutcome(
  update.track_id, ticket.id, ticket.status, ticket.title, ticket.attempts, ticket.model, models, time.time()
 )


def _run_update(writer: LedgerWriter, update: Any) -> None:
 writer.submit_run(update.track_id, update.status, goal=update.goal)


# How each event the conductor posts becomes something to write (None: queued by the function itself).
_SUBMITTED: dict[str, Callable[[LedgerWriter, Any], Any]] = {
 "CallRecord": LedgerWriter.ledger_call,
 "TrackUpdate": _run_update,
 "TicketUpdate": _ticket_outcome,
}


def _telling_lines(lines: tuple[CostLine, ...]) -> list[dict[str, Any]] | None:
 """The cost lines worth keeping with a call: those that say more than its six token counts."""
 return [line.as_dict() for line in lines] if lines and tells_more(lines) else None
