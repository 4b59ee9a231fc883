"""Derived display data, rebuilt only when the controller's data change (a version check per frame)."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections import Counter
from dataclasses import dataclass

from ..app.controller import AppController
from ..pricing.money import format_usd, format_usd_auto
from ..pricing.session_costs import SessionSnapshot
from .budget_view import EMPTY_BUDGET_VIEW, BudgetView, build_budget_view
from .cost_view import CHART_COLUMNS, CostView, CostViewBuilder


@dataclass(frozen=True, slots=True)
class TicketRow:
 """A ticket list row, formatted."""

 id: str
 title: str
 status: str
 model: str
 attempts: str
 cost: str
 detail: str


@dataclass(frozen=True, slots=True)
class CallRow:
 """A comms log row, formatted."""

 time: str
 tier: str
 ticket: str
 model: str
 tokens: str
 cost: str
 latency: str
 status: str
 failed: bool


@dataclass(frozen=True, slots=True)
class LogLine:
 """An event log line, formatted; its level picks the color."""

 level: str
 text: str


CALL_ROW_CACHE = 2048
RESETS_TEXT_EVERY_S = 60  # "resets in 9 days" / "in 12 min" is re-worded at most once a minute


class ViewCache:
 """Holds the formatted views of one controller; `refresh()` once per frame rebuilds what changed."""

 def __init__(self, controller: AppController) -> None:
  self.controller = controller
  self.chart_columns = CHART_COLUMNS  # the cost chart's width in pixels, as the panel last drew it
  self._cost_builder = CostViewBuilder()
  self.cost: CostView = self._cost_builder.build(controller.session(), controller.cost_timeline)
  self.tickets: tuple[TicketRow, ...] = ()
  self.ticket_summary = ""
  self._call_rows: dict[int, CallRow] = {}
  self.stream_text: dict[str, str] = {}
  self._tickets_version = -1
  self._stream_versions: dict[str, int] = {}
  self.rebuilds = 0
  self.history_line = ""
  self._history_version: tuple[int, bool] = (-1, False)
  self.follow_calls = False
  self.log_lines: tuple[LogLine, ...] = ()
  self._log_version = -1
  self.budgets: BudgetView = EMPTY_BUDGET_VIEW
  self._budget_version: tuple[int, int] = (-1, -1)

 def refresh(self) -> None:
  """Rebuild the parts whose data changed since the last frame."""
  snapshot = self.controller.session()
  self._refresh_cost(snapshot)
  self._refresh_tickets()
  self._refresh_history(snapshot)
  self._refresh_streams()
  self._refresh_log()
  self._refresh_budgets()

 def _refresh_budgets(self) -> None:
  controller = self.controller
  version = (controller.budget_version, int(time.time() // RESETS_TEXT_EVERY_S))
  if version != self._budget_version:
   self._budget_version = version
   held = controller.budget_hold
   self.budgets = build_budget_view(controller.budget_statuses, held.hold if held is not None else None)

 def _refresh_cost(self, snapshot: SessionSnapshot) -> None:
  timeline = self.controller.cost_timeline
  if (snapshot.version, len(timeline)) != self.cost.version or snapshot.session_id != self.cost.session_id:
   self.cost = self._cost_builder.build(snapshot, timeline, self.chart_columns)
   self.rebuilds += 1
   return
  series = self._cost_builder.series(timeline, self.chart_columns)
  if series.x is not self.cost.timeline_x:  # the chart was drawn at a new width
   self.cost = dataclasses.replace(self.cost, timeline_x=series.x, timeline_y=series.y, timeline_limits=series.limits)

 def _refresh_tickets(self) -> None:
  controller = self.controller
  if controller.tickets_version == self._tickets_version:
   return
  self._tickets_version = controller.tickets_version
  costs = controller.ticket_costs
  self.tickets = tuple(_ticket_row(t, costs.get(t.id, 0)) for t in controller.tickets.values())
  counts = Counter(row.status for row in self.tickets)
  self.ticket_summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "planning ..."

 def _refresh_history(self, snapshot: SessionSnapshot) -> None:
  controller = self.controller
  simulated = bool(snapshot.total.calls) and any(f.key == "simulated" for f in snapshot.by_provider)
  if (controller.history_version, simulated) == self._history_version:
   return
  self._history_version = (controller.history_version, simulated)
  link = controller.ledger_link
  skipped = simulated and link is not None and not link.record_simulated
  self.history_line = history_line(controller.history, controller.ledger_problem, skipped)

 def _refresh_streams(self) -> None:
  for tier, stream in self.controller.tier_streams.items():
   if self._stream_versions.get(tier) != stream.version:
    self._stream_versions[tier] = stream.version
    self.stream_text[tier] = "".join(stream.text)

 def _refresh_log(self) -> None:
  controller = self.controller
  if controller.log_version != self._log_version:
   self._log_version = controller.log_version
   self.log_lines = tuple(LogLine(event.level, f"[{event.level}] {event.message}") for event in controller.log)

 @property
 def call_count(self) -> int:
  """Calls in the comms log."""
  return len(self.controller.call_log)

 def call_row(self, index: int) -> CallRow:
  """Row `index` of the comms log, formatted on first sight only: the log is drawn through a clipper, so
  a flood of calls costs one formatting per row that actually scrolls into view."""
  log = self.controller.call_log
  sequence = self.controller.call_log_version - len(log) + index
  row = self._call_rows.get(sequence)
  if row is None:
   if len(self._call_rows) > CALL_ROW_CACHE:
    self._call_rows.clear()
   row = self._call_rows[sequence] = _call_row(log[index])
  return row


def history_line(history, problem: str, simulated_skipped: bool = False) -> str:
 """`History: today $1.23 (40 calls) | all time $45.67 (1,234 calls)` from the ledger, or what is wrong."""
 if problem:
  return f"History: {problem}"
 if history is None:
  return ""
 line = (
  f"History: today {history.today.cost_label} ({history.today.calls:,} calls)  |  "
  f"all time {history.all_time.cost_label} ({history.all_time.calls:,} calls)"
 )
 return line + "\n(history holds real spend only: simulated calls are not recorded)" if simulated_skipped else line


def _ticket_row(ticket, units: int) -> TicketRow:
 detail = ticket.blocked_reason or next(iter(ticket.review.splitlines()), "")
 return TicketRow(
  id=ticket.id,
  title=ticket.title,
  status=ticket.status,
  model=" > ".join(ticket.models) if ticket.models else "-",
  attempts=str(ticket.attempts),
  cost=format_usd_auto(units) if units else "-",
  detail=detail,
 )


@functools.lru_cache(maxsize=64)
def clock_text(second: int) -> str:
 """`HH:MM:SS` of a Unix second in local time: calls arrive many to a second, and strftime took a third of
 the time of formatting a comms log row."""
 return time.strftime("%H:%M:%S", time.localtime(second))


def _call_row(record) -> CallRow:
 usage = record.usage
 tokens = f"{usage.input_tokens:,} / {usage.output_tokens:,}" if usage else "-"
 cost = "unpriced" if usage else "-"
 if record.cost_units is not None:
  cost = format_usd(record.cost_units, 6)
 model = record.model + (" (sim)" if record.simulated else "")
 return CallRow(
  time=clock_text(int(record.timestamp)),
  tier=record.tier,
  ticket=record.ticket_id or "plan",
  model=model,
  tokens=tokens,
  cost=cost,
  latency=f"{record.latency_s * 1000:.0f} ms",
  status=record.status if not record.error else f"{record.status}: {record.error}",
  failed=record.status != "success",
 )
