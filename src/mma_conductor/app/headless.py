"""`mma-conductor run`: a track without the GUI, progress per tier as it goes, a cost table at the end.

Budgets: a headless run has nobody to answer a pause budget's hold, so a held call ends the run there, as a stop
budget does; it exits with EXIT_BUDGET and says how to go on. `budget_check` first estimates the run from the
ledger's history and refuses to start one whose average estimate exceeds what a pause or stop budget has left.
"""

from __future__ import annotations

import shlex
import sys
import threading
from pathlib import Path
from typing import TextIO

from ..engine.events import BudgetHeld, CallRecord
from ..ledger.text import visible
from ..pricing.money import UNITS_PER_USD, format_usd, format_usd_auto
from ..pricing.report import format_table
from ..pricing.session_costs import SessionSnapshot
from ..pricing.tiers import TIER_NAMES
from .controller import AppController
from .ledger_link import connect_ledger

PRINTED_LEVELS = ("error", "milestone", "budget")  # what a headless run prints of the comms log at its end
EXIT_DONE = 0
EXIT_ERROR = 1
EXIT_BLOCKED = 3
EXIT_BUDGET = 4
EXIT_OVER_ESTIMATE = 5
EXIT_STOPPED = 130


def run_headless(
 goal: str | None,
 project_dir: Path | str,
 *,
 resume: str | None = None,
 out: TextIO = sys.stdout,
 controller: AppController | None = None,
 quiet: bool = False,
 budget_check: bool = False,
 err: TextIO = sys.stderr,
) -> int:
 """Run one track to its end and print progress and costs. Exit codes: 0 every ticket done, 3 some
 tickets blocked, 1 error (bad plan, credentials), 4 stopped by a budget (a stop budget, or a pause budget's
 hold: nobody is there to answer it), 5 not started: `budget_check` found the estimate above what a budget has
 left, 130 stopped (Ctrl-C)."""
 if controller is None:
  controller = AppController(project_dir)
  connect_ledger(controller, project_dir, serve_api=False)
 if budget_check and not check_budgets(controller, resume, out, err):
  controller.shutdown()
  return EXIT_OVER_ESTIMATE
 if not quiet:
  controller.record_sinks.append(lambda record: say(out, progress_line(record)))
 held = _BudgetWatch(controller)
 track = controller.resume_track(resume) if resume else controller.start_track(goal or "")
 if not quiet:
  say(out, f"track {track.id}: {track.goal}")
 printed_tickets: dict[str, str] = {}
 _drive(controller, lambda: (held.stop_at_hold(), _print_ticket_changes(controller, printed_tickets, out, quiet)), out)
 _print_ticket_changes(controller, printed_tickets, out, quiet)
 _print_log(controller, out)
 return _finish(controller, track, held.event, Path(project_dir), out)


def _finish(controller: AppController, track, held: BudgetHeld | None, project_dir: Path, out: TextIO) -> int:
 """Print the outcome and the cost table; the exit code."""
 status = controller.track_status
 message = "stopped by a budget (see below)" if held is not None else controller.track_message
 say(out, f"\ntrack {track.id} {status}: {message}")
 say(out, cost_table(controller.session()))
 if held is not None:
  say(out, budget_stop_text(held, track.id, project_dir))
  return EXIT_BUDGET
 if status in ("stopped", "error") and not track.finished:
  print(f"resume it with: mma-conductor run --resume {track.id}", file=out, flush=True)
 return {"done": EXIT_DONE, "blocked": EXIT_BLOCKED, "stopped": EXIT_STOPPED}.get(status, EXIT_ERROR)


class _BudgetWatch:
 """The first budget hold of the run (seen as the conductor posts it); a pause budget's hold stops the run."""

 def __init__(self, controller: AppController) -> None:
  self.controller = controller
  self.event: BudgetHeld | None = None
  self._stopping = False
  controller.post_taps.append(self._tap)

 def _tap(self, event: object) -> None:
  if isinstance(event, BudgetHeld) and self.event is None:
   self.event = event

 def stop_at_hold(self) -> None:
  """On the draining thread: end a run that a pause budget holds (a stop budget ends it by itself)."""
  if self.event is not None and not self.event.stopped and not self._stopping:
   self._stopping = True
   self.controller.stop()


def budget_stop_text(held: BudgetHeld, track_id: str, project_dir: Path) -> str:
 """What stopped the run, and how to go on: raise the limit or wait for the reset, then resume."""
 hold, budget = held.hold, held.hold.budget
 project = "" if project_dir.resolve() == Path.cwd().resolve() else f" --project {shlex.quote(str(project_dir))}"
 tier = f" --tier {shlex.quote(budget.tier)}" if budget.tier else ""
 cent = UNITS_PER_USD // 100
 needed = format_usd(-(-(hold.used_units + hold.reserved_units + hold.estimate_units) // cent) * cent, 2)
 raise_it = f"mma-conductor{project} costs budget set --period {budget.period}{tier} --limit AMOUNT"
 why = "" if held.stopped else f" (a {budget.action} budget: a headless run has nobody to answer it, so it stops)"
 wait = "" if budget.period == "run" else f" or wait for the reset ({hold.message().rsplit('; ', 1)[-1]})"
 return (
  f"budget: {held.message}\n"
  f"the run stopped at the {budget.name}{why}\n"
  f"to go on: raise the limit above {needed} ({raise_it}){wait},"
  f" then: mma-conductor{project} run --resume {track_id}"
 )


def check_budgets(controller: AppController, resume: str | None, out: TextIO, err: TextIO) -> bool:
 """`--budget-check`: print the estimate and whether the run may start; False (with a one-line reason on `err`)
 when its average exceeds what a pause or stop budget has left."""
 from .estimates import budget_refusal

 estimate = controller.pre_run_estimate(resume)
 if not estimate.has_history:
  say(out, f"budget check: {estimate.line()}; starting")
  return True
 refusal = budget_refusal(controller, estimate)
 if refusal is not None:
  say(err, f"mma-conductor: budget check: {refusal.message(estimate)}; not started")
  return False
 say(out, f"budget check: {estimate.line()}; within the budgets, starting")
 return True


def _drive(controller: AppController, after_drain, out: TextIO) -> None:
 """Apply the engine's events as they come until it ends (Ctrl-C stops it), then shut down."""
 woken = threading.Event()
 controller.wakeup = woken.set
 try:
  while controller.engine.running:
   woken.wait(0.25)
   woken.clear()
   controller.drain_pending()
   after_drain()
 except KeyboardInterrupt:
  print("stopping: cancelling calls in flight ...", file=out, flush=True)
  controller.stop()
 controller.shutdown()


def say(out: TextIO, text: str) -> None:
 """Print `text` line by line with control characters shown as escapes: model names, goals and errors come
 from providers, files and users, and a terminal must never act on them."""
 print("\n".join(visible(line) for line in text.split("\n")), file=out, flush=True)


def progress_line(record: CallRecord) -> str:
 """One call as a progress line: tier, ticket, model, tokens, cost (and the failure, if any)."""
 usage = record.usage
 tokens = f"{usage.input_tokens:,} in / {usage.output_tokens:,} out" if usage else "no usage"
 cost = "unpriced" if record.cost_units is None and usage else format_usd_auto(record.cost_units or 0)
 where = record.ticket_id or "plan"
 sim = " (simulated)" if record.simulated else ""
 line = f"[{record.tier}] {where:<10} {record.model}{sim}: {tokens}, {cost}"
 return line if record.status == "success" else f"{line}  FAILED: {record.error}"


def _print_log(controller: AppController, out: TextIO) -> None:
 for event in controller.log:
  if event.level in PRINTED_LEVELS:
   say(out, f"[{event.level}] {event.message}")


def _print_ticket_changes(controller: AppController, seen: dict[str, str], out: TextIO, quiet: bool) -> None:
 if quiet:
  return
 for ticket_id, ticket in controller.tickets.items():
  status = ticket.status
  if seen.get(ticket_id) != status and status in ("done", "blocked"):
   seen[ticket_id] = status
   detail = f" ({ticket.blocked_reason})" if status == "blocked" else ""
   say(out, f"  ticket {ticket_id} {status}{detail}")


def cost_table(snapshot: SessionSnapshot) -> str:
 """Per tier, per model with tokens, and the total, as aligned plain text."""
 headers = ["Tier", "Models", "Calls", "Input", "Output", "Cached", "Cost"]
 rows = []
 for tier in TIER_NAMES:
  figures = snapshot.tier(tier)
  models = ", ".join(snapshot.models_in_tier(tier)) or "-"
  rows.append(_row(tier, models, figures))
 rows.append(_row("Total", "", snapshot.total))
 text = format_table(headers, rows, right={2, 3, 4, 5, 6})
 headers = ["Model", "Provider", "Calls", "Input", "Output", "Cached", "Cost"]
 model_rows = [_row(f.key, f.provider, f) for f in snapshot.by_model]
 text += "\n\n" + format_table(headers, model_rows, right={2, 3, 4, 5, 6})
 if snapshot.unpriced_models:
  text += "\nUnpriced (tokens counted, no price): " + ", ".join(snapshot.unpriced_models)
 return text


def _row(label: str, second: str, figures) -> list[str]:
 return [
  label,
  second,
  f"{figures.calls:,}",
  f"{figures.input_tokens:,}",
  f"{figures.output_tokens:,}",
  f"{figures.cached_tokens:,}",
  figures.cost_label if figures.calls else "$0.00",
 ]
