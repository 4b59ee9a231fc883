"""Headless frame cost of the Cost Dashboard window with 100,000 sessions in its sessions table (clipped), against an
empty frame in the same run. Target: <= 1 ms per frame (median).

The window runs exactly as in the app: a real ledger of 100,000 calls in 100,000 sessions (built once into
/tmp/ledger-dash-100k.sqlite3 and reused; `--ledger PATH` to choose), the app's AppController and its query
runner thread, answers applied by draining the controller's queue before each frame. Three series are timed:
  steady     the figures and the first page of sessions loaded, nothing changing (an idle, open dashboard);
  scrolling  the sessions table jumps 37 rows further every frame: rows not yet read show "..." while their page
             is read on the runner thread (the GIL is shared with it), rows that arrive are formatted once;
  empty      an empty window, the floor of a frame.
Each sample is one whole frame (drain, new_frame .. render) timed with perf_counter_ns.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _timing import emit, environment, percentile
from imgui_bundle import imgui

from mma_conductor.app.controller import AppController
from mma_conductor.gui.cost_dashboard import CostDashboard
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.ledger.store import Ledger, LedgerCall
from mma_conductor.pricing.usage import Usage

SESSIONS = 100_000
STEADY_FRAMES = 2000
SCROLL_FRAMES = 1000
WARMUP = 100
SCROLL_STEP = 37
DEFAULT_LEDGER = Path("/tmp/ledger-dash-100k.sqlite3")
PROVIDERS = (
 ("openai", "gpt-4o"),
 ("openai", "gpt-4o-mini"),
 ("anthropic", "claude-sonnet-4-5"),
 ("gemini", "gemini-2.5-pro"),
)
TIERS = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")


def build(path: Path, now: float) -> None:
 """100,000 calls over the last 20 days, each in a session of its own, 500 runs."""
 if path.exists():
  return
 print(f"building {path} ({SESSIONS:,} sessions) ...")
 with Ledger.open(path) as ledger:
  for first in range(0, SESSIONS, 10_000):
   ledger.record_calls([_call(i, now) for i in range(first, first + 10_000)])


def _call(i: int, now: float) -> LedgerCall:
 provider, model = PROVIDERS[i % len(PROVIDERS)]
 return LedgerCall(
  timestamp=now - 20 * 86400 + i * (19 * 86400 / SESSIONS),
  session_id=f"s{i:06d}",
  run_id=f"r{i % 500:03d}",
  ticket_id=f"T{i % 7}",
  tier=TIERS[i % 4],
  agent="worker",
  provider=provider,
  model=model,
  usage=Usage(1000 + i % 900, 100 + i % 90, i % 500),
  cost_units=(1 + i % 97) * 10**12,
  request_id="",
  status="success",
  latency_s=1.0,
 )


def frame(controller: AppController, body) -> float:
 start = time.perf_counter_ns()
 controller.drain_pending(0.0005)
 imgui.new_frame()
 imgui.set_next_window_pos(imgui.ImVec2(0, 0))
 imgui.set_next_window_size(imgui.ImVec2(1600, 1000))
 imgui.begin("Cost Dashboard")
 body()
 imgui.end()
 imgui.render()
 return (time.perf_counter_ns() - start) / 1e6


def loaded(dash: CostDashboard, controller: AppController, timeout: float = 600.0) -> None:
 deadline = time.monotonic() + timeout
 while time.monotonic() < deadline:
  frame(controller, dash.render)
  state = dash.link.state
  if state.data is not None and 0 in state.pages and not state.running:
   return
  time.sleep(0.01)
 raise SystemExit("the dashboard's queries did not answer in time")


def series(controller: AppController, body, frames: int, each=lambda index: None) -> list[float]:
 samples = []
 for index in range(WARMUP + frames):
  each(index)
  took = frame(controller, body)
  if index >= WARMUP:
   samples.append(took)
 return samples


def figures(samples: list[float]) -> dict[str, float]:
 return {"median": round(percentile(samples, 50), 4), "p99": round(percentile(samples, 99), 4)}


def main() -> None:
 parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
 parser.add_argument("--ledger", type=Path, default=DEFAULT_LEDGER)
 args = parser.parse_args()
 now = time.time()
 build(args.ledger, now)
 project = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
 controller = AppController(project)
 controller.attach_ledger(Ledger.open(args.ledger, check_at_open=False), record_simulated=False)
 try:
  with headless_imgui(1600, 1000):
   dash = CostDashboard(controller)
   dash.change(range="all")
   started = time.monotonic()
   loaded(dash, controller)
   first_answer_s = time.monotonic() - started
   sessions = dash.view.sessions
   empty = series(controller, lambda: None, STEADY_FRAMES)
   steady = series(controller, dash.render, STEADY_FRAMES)

   def scroll(index: int) -> None:
    dash.scroll_to_row = (index * SCROLL_STEP) % sessions

   scrolling = series(controller, dash.render, SCROLL_FRAMES, scroll)
   pages = len(dash.link.state.pages)
 finally:
  controller.shutdown()
 print(f"sessions in the table: {sessions:,}; first figures and page after {first_answer_s:.2f} s (off-thread)")
 for name, samples in (("empty", empty), ("steady", steady), ("scrolling", scrolling)):
  print(f"{name:>9}: median {percentile(samples, 50) * 1000:.0f} us, p99 {percentile(samples, 99) * 1000:.0f} us")
 print(f"pages of {200} rows read while scrolling: {pages}")
 median = percentile(steady, 50)
 emit(
  {
   "benchmark": "dashboard_frame",
   "env": environment(),
   "sessions": sessions,
   "frames": {"steady": STEADY_FRAMES, "scrolling": SCROLL_FRAMES},
   "empty_ms": figures(empty),
   "steady_ms": figures(steady),
   "scrolling_ms": figures(scrolling),
   "pages_read": pages,
   "first_answer_s": round(first_answer_s, 3),
   "target_ms": 1.0,
   "target_met": median <= 1.0 and percentile(scrolling, 50) <= 1.0,
  }
 )


if __name__ == "__main__":
 main()
