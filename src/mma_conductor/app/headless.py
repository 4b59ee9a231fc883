"""`mma-conductor run`: a track without the GUI, progress per tier as it goes, a cost table at the end."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TextIO

from ..engine.events import CallRecord
from ..ledger.text import visible
from ..pricing.money import format_usd_auto
from ..pricing.report import format_table
from ..pricing.session_costs import SessionSnapshot
from ..pricing.tiers import TIER_NAMES
from .controller import AppController
from .ledger_link import connect_ledger

EXIT_DONE = 0
EXIT_ERROR = 1
EXIT_BLOCKED = 3
EXIT_STOPPED = 130


def run_headless(
 goal: str | None,
 project_dir: Path | str,
 *,
 resume: str | None = None,
 out: TextIO = sys.stdout,
 controller: AppController | None = None,
 quiet: bool = False,
) -> int:
 """Run one track to its end and print progress and costs. Exit codes: 0 every ticket done, 3 some
 tickets blocked, 1 error (bad plan, credentials), 130 stopped (Ctrl-C)."""
 if controller is None:
  controller = AppController(project_dir)
  connect_ledger(controller, project_dir, serve_api=False)
 if not quiet:
  controller.record_sinks.append(lambda record: say(out, progress_line(record)))
 track = controller.resume_track(resume) if resume else controller.start_track(goal or "")
 if not quiet:
  say(out, f"track {track.id}: {track.goal}")
 printed_tickets: dict[str, str] = {}
 _drive(controller, lambda: _print_ticket_changes(controller, printed_tickets, out, quiet), out)
 _print_ticket_changes(controller, printed_tickets, out, quiet)
 _print_log(controller, out)
 status = controller.track_status
 say(out, f"\ntrack {track.id} {status}: {controller.track_message}")
 say(out, cost_table(controller.session()))
 if status in ("stopped", "error") and not track.finished:
  print(f"resume it with: mma-conductor run --resume {track.id}", file=out, flush=True)
 return {"done": EXIT_DONE, "blocked": EXIT_BLOCKED, "stopped": EXIT_STOPPED}.get(status, EXIT_ERROR)


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
  if event.level in ("error", "milestone"):
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
