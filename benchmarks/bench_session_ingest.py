"""Single-thread ingest throughput of `SessionCosts.record()`, and the cost of `snapshot()`.

Run: .venv/bin/python benchmarks/bench_session_ingest.py [--quick] [--compare OTHER/session_costs.py]

A session with 4 tiers x 10 models x 3 agents (120 cells) is fed pre-built `Usage` objects, so the figures
are the accumulator's own cost (pricing included), not payload parsing. Target (from the issue): >= 500,000
usage events per second on one thread. The last line of output is one JSON object (see benchmarks/README.md).

`--feed N` only records N <= 10,000 events into a warm session (2,000 events first) and stops: run it under callgrind
with N = 0 and N = 10,000 and divide the difference of instructions by 10,000 for a load-independent cost per call.
`--compare PATH` also loads another checkout's `pricing/session_costs.py` (e.g. main's) beside this one and feeds
both the same events in alternating rounds, timed in process CPU time: a before/after ratio that the load of a
shared machine affects alike on both sides.
"""

from __future__ import annotations

import gc
import importlib.util
import random
import sys
import time

from _session_data import MODELS
from _timing import emit, environment, percentile, summary, time_batches

from mma_conductor.cost_tracker import SessionCosts, Usage, price_book
from mma_conductor.pricing.tiers import TIER_NAMES

AGENTS = ("planner", "coder", "reviewer")
TARGET_EVENTS_PER_S = 500_000

QUICK = "--quick" in sys.argv
COMPARE = sys.argv[sys.argv.index("--compare") + 1] if "--compare" in sys.argv else None
FEED = int(sys.argv[sys.argv.index("--feed") + 1]) if "--feed" in sys.argv else None
EVENTS = 50_000 if QUICK else 200_000
ROUNDS = 3 if QUICK else 7
BATCH = 1_000
SNAPSHOT_REPS = 100 if QUICK else 500


def make_events(count: int, seed: int = 11) -> list[tuple[str, Usage, str, str]]:
 """(model, usage, tier, agent) with varied counts: cache reads, 5m/1h writes, reasoning, some long prompts."""
 rng = random.Random(seed)
 events = []
 for _ in range(count):
  model = rng.choice(MODELS)
  prompt = rng.randint(200_001, 400_000) if rng.random() < 0.03 else rng.randint(100, 120_000)
  read = rng.randint(0, prompt // 2) if rng.random() < 0.6 else 0
  write = rng.randint(0, (prompt - read) // 4) if model.startswith("claude") and rng.random() < 0.3 else 0
  write_1h = rng.randint(0, write) if write and rng.random() < 0.5 else 0
  output = rng.randint(1, 8_000)
  reasoning = rng.randint(0, output) if rng.random() < 0.3 else 0
  usage = Usage(prompt, output, read, write, write_1h, reasoning)
  events.append((model, usage, rng.choice(TIER_NAMES), rng.choice(AGENTS)))
 return events


def throughput(events: list, ids: list[str] | None, book) -> tuple[list[float], SessionCosts]:
 """Seconds per round of feeding every event to a fresh session, one `record()` call each."""
 seconds = []
 session = None
 for _ in range(ROUNDS):
  session = SessionCosts(book, session_id="bench")
  record = session.record
  gc.collect()
  start = time.perf_counter_ns()
  if ids is None:
   for model, usage, tier, agent in events:
    record(model, usage, tier=tier, agent=agent)
  else:
   for (model, usage, tier, agent), request_id in zip(events, ids, strict=True):
    record(model, usage, tier=tier, agent=agent, request_id=request_id)
  seconds.append((time.perf_counter_ns() - start) / 1e9)
 return seconds, session


def record_many_rounds(events: list, book) -> list[float]:
 seconds = []
 for _ in range(ROUNDS):
  session = SessionCosts(book, session_id="bench")
  gc.collect()
  start = time.perf_counter_ns()
  session.record_many(events)
  seconds.append((time.perf_counter_ns() - start) / 1e9)
 return seconds


def rate(seconds: list[float], count: int) -> dict[str, float]:
 """Events per second at the median round, and at the slowest and fastest rounds."""
 return {
  "median_events_per_s": round(count / percentile(seconds, 50)),
  "min_events_per_s": round(count / max(seconds)),
  "max_events_per_s": round(count / min(seconds)),
  "median_round_s": round(percentile(seconds, 50), 4),
 }


def record_latency(events: list, book) -> dict[str, float]:
 """Per-call latency of record() over batches of BATCH calls, on a warm session (all cells exist)."""
 warm = SessionCosts(book, session_id="bench")
 warm.record_many(events[:5_000])
 record = warm.record
 batches = [events[i : i + BATCH] for i in range(0, min(len(events), 100 * BATCH), BATCH)]
 position = iter(range(10**9))

 def run_batch() -> None:
  for model, usage, tier, agent in batches[next(position) % len(batches)]:
   record(model, usage, tier=tier, agent=agent)

 return summary(time_batches(run_batch, BATCH, 10 * len(batches) if not QUICK else 2 * len(batches)))


def snapshot_times(events: list, book) -> tuple[list[float], list[float], int]:
 """snapshot(): ns to rebuild after each of SNAPSHOT_REPS changes, ns per call when nothing changed (the
 cached object), and the number of cells of the snapshot."""
 snap_session = SessionCosts(book, session_id="bench")
 snap_session.record_many(events[:20_000])
 snap_session.snapshot()
 after_change = []
 clock = time.perf_counter_ns
 for i in range(SNAPSHOT_REPS):
  model, usage, tier, agent = events[i]
  snap_session.record(model, usage, tier=tier, agent=agent)
  start = clock()
  snap_session.snapshot()
  after_change.append(clock() - start)
 snapshot = snap_session.snapshot()
 snapshot_fn = snap_session.snapshot

 def run_unchanged() -> None:
  for _ in range(BATCH):
   snapshot_fn()

 unchanged = time_batches(run_unchanged, BATCH, 200)
 assert snap_session.snapshot() is snapshot
 return after_change, unchanged, len(snapshot.cells)


def load_compared(path: str) -> type:
 """SessionCosts of another copy of pricing/session_costs.py, imported beside this checkout's modules (it must work
 with this checkout's book, prices and usage modules)."""
 spec = importlib.util.spec_from_file_location("mma_conductor.pricing._compared_session_costs", path)
 module = importlib.util.module_from_spec(spec)
 sys.modules[spec.name] = module
 spec.loader.exec_module(module)
 return module.SessionCosts


def compare(events: list, book, other: type) -> dict[str, object]:
 """Alternating rounds of record() on this checkout's SessionCosts and `other`, in process CPU time."""
 seconds: dict[str, list[float]] = {"this": [], "compared": []}
 for _ in range(2 * ROUNDS + 1):
  for side, cls in (("this", SessionCosts), ("compared", other)):
   record = cls(book, session_id="bench").record
   gc.collect()
   start = time.process_time()
   for model, usage, tier, agent in events:
    record(model, usage, tier=tier, agent=agent)
   seconds[side].append(time.process_time() - start)
 this, compared = (percentile(seconds[side], 50) for side in ("this", "compared"))
 return {
  "compared_file": COMPARE,
  "rounds_each": 2 * ROUNDS + 1,
  "this_median_events_per_cpu_s": round(len(events) / this),
  "compared_median_events_per_cpu_s": round(len(events) / compared),
  "this_time_over_compared": round(this / compared, 3),
 }


def feed_only(book, count: int) -> None:
 """Record `count` (<= 10,000) events after 2,000 warm-up events, for an instruction counter run around the
 process. The same 12,000 events are built whatever `count`, so that only the recording differs."""
 events = make_events(12_000)
 record = SessionCosts(book, session_id="bench").record
 for model, usage, tier, agent in events[: 2_000 + min(count, 10_000)]:
  record(model, usage, tier=tier, agent=agent)
 emit({"benchmark": "session_ingest_feed", "env": environment(), "events_after_warmup": count})


def main() -> None:
 started = time.perf_counter()
 book = price_book()
 for model in MODELS:  # resolve once: the steady state is a dict hit per name
  assert book.price(model) is not None, model
 if FEED is not None:
  feed_only(book, FEED)
  return
 events = make_events(EVENTS)
 ids = [f"req-{i:08d}" for i in range(EVENTS)]

 plain_s, session = throughput(events, None, book)
 cells = len(session.snapshot().cells)
 with_ids_s, _ = throughput(events, ids, book)
 many_s = record_many_rounds(events, book)

 per_call = record_latency(events, book)
 compared = compare(events, book, load_compared(COMPARE)) if COMPARE else None
 after_change, unchanged, snapshot_cells = snapshot_times(events, book)

 results = {
  "record": rate(plain_s, EVENTS),
  "record_with_request_id": rate(with_ids_s, EVENTS),
  "record_many": rate(many_s, EVENTS),
 }
 for name, r in results.items():
  print(f"{name:24s} {r['median_events_per_s']:>10,} events/s (median of {ROUNDS} rounds of {EVENTS:,})")
 print(f"record() per call: median {per_call['median_ns']} ns, p99 {per_call['p99_ns']} ns (batches of {BATCH})")
 print(
  f"snapshot() after a change: median {summary(after_change)['median_ns'] / 1000:.1f} us with {snapshot_cells} "
  f"cells; unchanged: median {summary(unchanged)['median_ns']} ns"
 )
 if compared:
  print(
   f"record() CPU time, this / compared ({compared['compared_file']}): {compared['this_time_over_compared']}"
   f" ({compared['this_median_events_per_cpu_s']:,} vs {compared['compared_median_events_per_cpu_s']:,} events/CPU s)"
  )
 worst = min(r["median_events_per_s"] for r in results.values())
 emit(
  {
   "benchmark": "session_ingest",
   "env": environment(),
   "quick": QUICK,
   "tiers": len(TIER_NAMES),
   "models": len(MODELS),
   "agents": len(AGENTS),
   "cells": cells,
   "events_per_round": EVENTS,
   "rounds": ROUNDS,
   **results,
   "record_per_call": per_call,
   "snapshot_after_change": summary(after_change),
   "snapshot_unchanged": summary(unchanged),
   "target_events_per_s": TARGET_EVENTS_PER_S,
   "worst_median_events_per_s": worst,
   "target_met": worst >= TARGET_EVENTS_PER_S,
   "compare": compared,
   "runtime_s": round(time.perf_counter() - started, 1),
  }
 )


if __name__ == "__main__":
 main()
