"""Frame times of the whole app's windows while calls pour in. Target: p99 frame time under 16 ms.

Two loads, each for a few seconds, with the GUI loop as the app runs it (drain the controller's queue,
refresh the cached views, draw every window) in a headless imgui context:

- engine: the real conductor running 8 tickets in parallel on the simulated provider with zero latency,
  i.e. the worker thread producing calls as fast as it can (the app's real threading);
- threads: 8 extra OS threads posting call records to the controller as fast as they can, a harsher load
  than the app ever makes: its workers are asyncio tasks on ONE conductor thread. Eight CPU-bound Python
  threads starve any other thread of the GIL, so this run shows the limit and that the controller's
  backpressure keeps the queue bounded; the target is judged on the engine run, the app's real threading.

Frame time is wall time from new_frame to render, which is what a user sees; GL drawing is not included.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import threading
import time

from _timing import emit, environment, percentile
from imgui_bundle import imgui

from mma_conductor.app.controller import AppController
from mma_conductor.app.project_config import SimulatedConfig, TierConfig, load_project_config
from mma_conductor.cost_tracker import usage_cost_units
from mma_conductor.engine.events import CallRecord
from mma_conductor.engine.tickets import Ticket, Track
from mma_conductor.gui.app import GuiApp
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.pricing.usage import Usage

SECONDS = 4.0
MODELS = [f"gemini-2.5-flash{s}" for s in ("", "-lite")] + ["gpt-4o", "claude-sonnet-4-5", "deepseek-chat"]


def frame(app: GuiApp) -> None:
 app.pre_frame()
 imgui.new_frame()
 for title, draw in (
  ("Track", app.track_window),
  ("MMA Dashboard", app.dashboard_window),
  ("Cost Analytics", app.cost_window),
  ("Comms Log", app.comms_window),
  ("Tier Streams", app.streams_window),
 ):
  imgui.set_next_window_size(imgui.ImVec2(780, 480), imgui.Cond_.once)
  imgui.begin(title)
  draw()
  imgui.end()
 imgui.render()


def run_frames(app: GuiApp, until) -> list[float]:
 samples = []
 clock = time.perf_counter_ns
 while not until():
  start = clock()
  frame(app)
  samples.append((clock() - start) / 1e6)
  time.sleep(0.001)  # a vsync'd app waits between frames; leave the GIL to the workers as it would
 return samples


def engine_load(project: str) -> dict:
 config = load_project_config(project)
 tiers = {tier: TierConfig("simulated", cfg.model, cfg.escalation) for tier, cfg in config.tiers.items()}
 config = dataclasses.replace(
  config, tiers=tiers, max_parallel=8, simulated=SimulatedConfig(seed=1, latency_ms=0, reject_rate=0.2)
 )
 controller = AppController(project, config=config, persist=False)
 app = GuiApp(controller)
 frame(app)
 started = time.monotonic()
 batches = 0
 samples: list[float] = []
 while time.monotonic() - started < SECONDS:
  controller._start(Track("load", tickets=[Ticket(f"t{i}", f"task {i}") for i in range(200)]))
  batches += 1
  samples += run_frames(app, lambda: not controller.engine.running or time.monotonic() - started > SECONDS)
  controller.shutdown()
 frame(app)
 calls = controller.session().total.calls
 return {"calls": calls, "calls_per_s": round(calls / SECONDS), "frames": len(samples), **stats(samples)}


def threads_load(project: str) -> dict:
 controller = AppController(project, persist=False)
 app = GuiApp(controller)
 stop = threading.Event()
 posted = [0] * 8

 def worker(index: int) -> None:
  n = 0
  while not stop.is_set():
   model = MODELS[n % len(MODELS)]
   usage = Usage(1000 + n % 500, 100 + n % 50)
   controller.post(
    CallRecord(
     session_id=controller.costs.session_id,
     track_id="load",
     ticket_id=f"t{index}",
     tier=f"Tier {n % 4 + 1}",
     role="worker",
     provider="gemini",
     model=model,
     usage=usage,
     cost_units=usage_cost_units(model, usage),
     latency_s=0.0,
     request_id=f"{index}-{n}",
     status="success",
    )
   )
   n += 1
   posted[index] = n

 workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(8)]
 for w in workers:
  w.start()
 started = time.monotonic()
 samples = run_frames(app, lambda: time.monotonic() - started > SECONDS)
 stop.set()
 for w in workers:
  w.join()
 lag = controller.pending_count()
 controller.drain_pending()
 frame(app)
 applied = controller.session().total.calls
 assert applied == sum(posted), (applied, sum(posted))
 return {
  "calls": applied,
  "calls_per_s": round(applied / SECONDS),
  "queued_at_end": lag,
  "frames": len(samples),
  **stats(samples),
 }


def stats(samples: list[float]) -> dict:
 return {
  "frame_ms_median": round(percentile(samples, 50), 3),
  "frame_ms_p99": round(percentile(samples, 99), 3),
  "frame_ms_max": round(max(samples), 3),
 }


def main() -> None:
 with tempfile.TemporaryDirectory() as project:
  with headless_imgui():
   engine = engine_load(project)
  print(f"engine, 8 parallel tickets: {engine}")
  with headless_imgui():
   threads = threads_load(project)
  print(f"8 posting threads: {threads}")
 emit(
  {
   "benchmark": "gui_responsiveness",
   "env": environment(),
   "switch_interval_s": sys.getswitchinterval(),
   "engine_8_parallel": engine,
   "stress_8_os_threads": threads,
   "target_p99_ms": 16,
   "target_met": engine["frame_ms_p99"] < 16,
  }
 )


if __name__ == "__main__":
 main()
