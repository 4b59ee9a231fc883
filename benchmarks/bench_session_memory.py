"""Memory of one session's cost state: 4 tiers x 10 models (one agent), and the same with 3 agents.

Run: .venv/bin/python benchmarks/bench_session_memory.py

Two independent measurements:
- deep size: a recursive sys.getsizeof over gc.get_referents() that counts every object once, skips what the
  session does not own (the shared price book, classes, modules, functions, None/True/False and the small
  ints CPython caches), and counts strings (tier, model and agent names, shared with the caller) apart;
- tracemalloc: bytes still allocated after building the session, minus before (events are built first).

The original spec asked < 1 KB for "the session cost figures". Reported honestly in parts: the whole
accumulator, its cells (9 integer counters per tier/model/agent: the cost figures proper), only the 40 cost
integers, and the tier/model figures of a snapshot. The last line of output is one JSON object.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
import types

from _session_data import MODELS
from _timing import emit, environment

from mma_conductor.cost_tracker import SessionCosts, Usage, price_book
from mma_conductor.pricing.tiers import TIER_NAMES

TARGET_BYTES = 1024
EVENTS = 20_000

_SKIP_TYPES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def deep_size(root: object, exclude: tuple[object, ...] = ()) -> dict[str, int]:
 """Bytes of every object reachable from `root`, each counted once: {"total", "strings", "objects"}."""
 seen = {id(obj) for obj in exclude}
 stack = [root]
 total = strings = count = 0
 while stack:
  obj = stack.pop()
  if id(obj) in seen:
   continue
  seen.add(id(obj))
  if not owned(obj):
   continue
  size = sys.getsizeof(obj)
  total += size
  count += 1
  if isinstance(obj, str):
   strings += size
  else:
   stack.extend(referents(obj))
 return {"total": total, "strings": strings, "objects": count}


def owned(obj: object) -> bool:
 """Whether `obj` counts as the session's: not a singleton, class, module or function."""
 if obj is None or obj is True or obj is False or isinstance(obj, _SKIP_TYPES):
  return False
 return not (type(obj) is int and -5 <= obj <= 256)  # CPython's cached small ints exist anyway


def referents(obj: object) -> list[object]:
 """What an owned object refers to."""
 found = gc.get_referents(obj)
 # An instance of a plain class keeps its attributes in a dict that get_referents may not list as such:
 # count that dict too (reading __dict__ materializes it, which is why tracemalloc runs first).
 if hasattr(obj, "__dict__"):
  found.append(obj.__dict__)
 return found


def build_events(agents: tuple[str, ...], seed: int = 5) -> list[tuple[str, Usage, str, str]]:
 """Enough varied calls that every (tier, model, agent) cell exists and the counters are realistic."""
 rng = random.Random(seed)
 events = [(m, Usage(1000, 100), t, a) for t in TIER_NAMES for m in MODELS for a in agents]  # every cell
 for _ in range(EVENTS):
  prompt = rng.randint(1_000, 150_000)
  read = rng.randint(0, prompt // 2)
  output = rng.randint(10, 8_000)
  usage = Usage(prompt, output, read, 0, 0, rng.randint(0, output // 2))
  events.append((rng.choice(MODELS), usage, rng.choice(TIER_NAMES), rng.choice(agents)))
 return events


def measure(agents: tuple[str, ...], book) -> dict[str, object]:
 events = build_events(agents)
 ids = [f"req-{i:08d}" for i in range(len(events))]
 gc.collect()

 # tracemalloc first (deep_size may materialize instance dicts, which would then be counted).
 tracemalloc.start()
 before = tracemalloc.get_traced_memory()[0]
 session = SessionCosts(book)
 session.record_many(events)
 gc.collect()
 built = tracemalloc.get_traced_memory()[0]
 snapshot = session.snapshot()
 gc.collect()
 with_snapshot = tracemalloc.get_traced_memory()[0]
 tracemalloc.stop()

 # Dedup of request ids: every id is kept for the session's life; measure the growth per event.
 with_ids = SessionCosts(book)
 for (model, usage, tier, agent), request_id in zip(events, ids, strict=True):
  with_ids.record(model, usage, tier=tier, agent=agent, request_id=request_id)

 shared = (book, session.price_book)
 snap_saved, session._snapshot = session._snapshot, None
 state = deep_size(session, shared)
 session._snapshot = snap_saved
 state_snap = deep_size(session, shared)
 cells = deep_size(session._cells)
 cost_ints = sum(sys.getsizeof(cell[0]) for cell in session._cells.values())
 figures = deep_size((snapshot.by_tier, snapshot.by_model))
 ids_set = deep_size(with_ids._request_ids)
 return {
  "tiers": len(TIER_NAMES),
  "models": len(MODELS),
  "agents": len(agents),
  "cells": len(session._cells),
  "events": len(events),
  "state_deep_bytes": state["total"],
  "state_deep_bytes_excl_strings": state["total"] - state["strings"],
  "state_with_snapshot_deep_bytes": state_snap["total"],
  "state_tracemalloc_bytes": built - before,
  "state_with_snapshot_tracemalloc_bytes": with_snapshot - before,
  "cells_deep_bytes": cells["total"],
  "cells_deep_bytes_excl_strings": cells["total"] - cells["strings"],
  "cells_bytes_per_cell": round((cells["total"] - cells["strings"]) / len(session._cells), 1),
  "cost_ints_bytes": cost_ints,
  "cost_int64_packed_bytes": 8 * len(session._cells),
  "tier_and_model_figures_deep_bytes": figures["total"],
  "request_id_set_bytes_per_event": round(ids_set["total"] / len(events), 1),
 }


def main() -> None:
 started = time.perf_counter()
 book = price_book()
 for model in MODELS:
  assert book.price(model) is not None, model
 one = measure(("",), book)
 three = measure(("planner", "coder", "reviewer"), book)
 for label, r in (("4 tiers x 10 models x 1 agent", one), ("4 tiers x 10 models x 3 agents", three)):
  print(f"{label} ({r['cells']} cells, {r['events']:,} events):")
  print(
   f"  whole accumulator:     {r['state_deep_bytes']:>8,} B deep ({r['state_deep_bytes_excl_strings']:,} B without"
   f" name strings), {r['state_tracemalloc_bytes']:,} B tracemalloc"
  )
  print(
   f"  + cached snapshot:     {r['state_with_snapshot_deep_bytes']:>8,} B deep,"
   f" {r['state_with_snapshot_tracemalloc_bytes']:,} B tracemalloc"
  )
  print(
   f"  cost figures (cells):  {r['cells_deep_bytes']:>8,} B deep ({r['cells_deep_bytes_excl_strings']:,} B without"
   f" name strings, {r['cells_bytes_per_cell']} B per cell)"
  )
  print(
   f"  cost integers only:    {r['cost_ints_bytes']:>8,} B as Python ints, {r['cost_int64_packed_bytes']} B packed"
  )
  print(f"  request-id dedup set:  {r['request_id_set_bytes_per_event']:>8} B per recorded id (grows with the session)")
 emit(
  {
   "benchmark": "session_memory",
   "env": environment(),
   "one_agent": one,
   "three_agents": three,
   "target_bytes": TARGET_BYTES,
   "target_met_whole_state": one["state_deep_bytes"] < TARGET_BYTES,
   "target_met_cost_figures": one["cells_deep_bytes"] < TARGET_BYTES,
   "target_met_cost_ints_only": one["cost_ints_bytes"] < TARGET_BYTES,
   "runtime_s": round(time.perf_counter() - started, 1),
  }
 )


if __name__ == "__main__":
 main()
