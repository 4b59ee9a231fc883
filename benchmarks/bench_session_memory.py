"""Memory of one session's cost state: 4 tiers x 4 models (one agent), and the bytes each further (tier, model)
pair adds, growing to 4 tiers x 50 models.

Run: .venv/bin/python benchmarks/bench_session_memory.py
     PYTHONPATH=OTHER/src .venv/bin/python benchmarks/bench_session_memory.py   # another checkout's code

Targets (issue 11, "Hot paths"): the session cost state <= 1 KB for 4 tiers x 4 models, and <= 200 B per further
(tier, model) pair, measured with a deep size walk.

What is counted: the whole SessionCosts, everything it owns (its cells' counters and index, the lock, the session id
and start time, the request-id set), after every cell has calls. Not counted: the shared price book, and the
tier, model, agent and provider name strings, which are the caller's (and the price book's) and reported apart.
The cached snapshot is reported apart too: it is what readers share, rebuilt from the counters after a change.

Two independent measurements:
- deep size: a recursive sys.getsizeof over gc.get_referents() that counts every object once and skips what the
  session does not own (the price book, classes, modules, functions, None/True/False, CPython's cached small ints);
- tracemalloc: bytes still allocated after building the session, minus before (events are built first).
The last line of output is one JSON object (see benchmarks/README.md).
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

TARGET_4X4_BYTES = 1024
TARGET_PER_PAIR_BYTES = 200
EVENTS = 20_000
SMALL, LARGE = 4, 50  # models: 4 tiers x 4 models, then 4 tiers x 50 models

_SKIP_TYPES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def deep_size(root: object, exclude: tuple[object, ...] = (), names: frozenset[int] = frozenset()) -> dict:
 """Bytes of every object reachable from `root`, each counted once, except `exclude` (and what it alone reaches).
 Strings whose id is in `names` (the caller's) are tallied apart in "name_strings"; "by_type" splits the rest."""
 seen = {id(obj) for obj in exclude}
 stack = [root]
 tally = {"total": 0, "name_strings": 0, "objects": 0, "by_type": {}}
 while stack:
  obj = stack.pop()
  if id(obj) not in seen:
   seen.add(id(obj))
   stack.extend(count(obj, names, tally))
 return tally


def count(obj: object, names: frozenset[int], tally: dict) -> list[object]:
 """Add `obj` to the tally (when the session owns it); returns what to walk next."""
 if not owned(obj):
  return []
 size = sys.getsizeof(obj)
 if id(obj) in names:
  tally["name_strings"] += size
  return []
 tally["total"] += size
 tally["objects"] += 1
 kind = type(obj).__name__
 tally["by_type"][kind] = tally["by_type"].get(kind, 0) + size
 return [] if isinstance(obj, str) else referents(obj)


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


def model_names(count: int) -> list[str]:
 """`count` distinct model names: the benchmark's 10 real ones, then variants of them (new strings)."""
 return [MODELS[i] if i < len(MODELS) else f"{MODELS[i % len(MODELS)]}-v{i}" for i in range(count)]


def build_events(models: list[str], agents: tuple[str, ...], book, seed: int = 5) -> list[tuple]:
 """(model, usage, tier, agent, provider, cost_units): every cell once, then EVENTS varied calls. A variant is
 priced as the real model it is named after, so the counters have realistic sizes."""
 rng = random.Random(seed)
 events = [(m, Usage(1000, 100), t, a) for t in TIER_NAMES for m in models for a in agents]  # every cell
 for _ in range(EVENTS):
  prompt = rng.randint(1_000, 150_000)
  read = rng.randint(0, prompt // 2)
  output = rng.randint(10, 8_000)
  usage = Usage(prompt, output, read, 0, 0, rng.randint(0, output // 2))
  events.append((rng.choice(models), usage, rng.choice(TIER_NAMES), rng.choice(agents)))
 priced = []
 for model, usage, tier, agent in events:
  price = book.price(MODELS[models.index(model) % len(MODELS)])
  priced.append((model, usage, tier, agent, price.provider, price.cost_units(usage)))
 return priced


def feed(session: SessionCosts, events: list[tuple], with_ids: bool = False) -> None:
 for i, (model, usage, tier, agent, provider, cost) in enumerate(events):
  request_id = f"req-{i:08d}" if with_ids else None
  session.record(model, usage, tier=tier, agent=agent, provider=provider, cost_units=cost, request_id=request_id)


def measure(models: int, agents: tuple[str, ...], book) -> dict[str, object]:
 names = model_names(models)
 events = build_events(names, agents, book)
 gc.collect()

 # tracemalloc first (deep_size may materialize instance dicts, which would then be counted).
 tracemalloc.start()
 before = tracemalloc.get_traced_memory()[0]
 session = SessionCosts(book)
 feed(session, events)
 gc.collect()
 built = tracemalloc.get_traced_memory()[0]
 snapshot = session.snapshot()
 gc.collect()
 with_snapshot = tracemalloc.get_traced_memory()[0]
 tracemalloc.stop()

 name_ids = frozenset(id(s) for e in events for s in (e[0], e[2], e[3], e[4]))
 # The snapshot cache is the snapshot and the parts it is updated from (SessionCosts._builder, made by the first
 # snapshot): counted with "+ cached snapshot", not in the session's own state.
 state = deep_size(session, (book, snapshot, session._builder), name_ids)
 state_snap = deep_size(session, (book,), name_ids)
 # Request-id dedup: every id is kept for the session's life; the growth per recorded id (id strings included).
 with_ids = SessionCosts(book)
 feed(with_ids, events, with_ids=True)
 ids_state = deep_size(with_ids, (book,), name_ids)
 return {
  "tiers": len(TIER_NAMES),
  "models": models,
  "agents": len(agents),
  "cells": len(snapshot.cells),
  "events": len(events),
  "state_deep_bytes": state["total"],
  "name_strings_deep_bytes": state["name_strings"],
  "state_by_type": dict(sorted(state["by_type"].items(), key=lambda kv: -kv[1])),
  "state_objects": state["objects"],
  "state_with_snapshot_deep_bytes": state_snap["total"],
  "state_tracemalloc_bytes": built - before,
  "state_with_snapshot_tracemalloc_bytes": with_snapshot - before,
  "request_id_bytes_per_event": round((ids_state["total"] - state["total"]) / len(events), 1),
 }


def report(label: str, r: dict) -> None:
 print(f"{label} ({r['cells']} cells, {r['events']:,} events):")
 print(
  f"  session state:        {r['state_deep_bytes']:>8,} B deep, {r['state_tracemalloc_bytes']:,} B tracemalloc"
  f" (name strings apart: {r['name_strings_deep_bytes']:,} B)"
 )
 print(f"    by type:            {', '.join(f'{k} {v:,}' for k, v in r['state_by_type'].items())}")
 print(
  f"  + cached snapshot:    {r['state_with_snapshot_deep_bytes']:>8,} B deep,"
  f" {r['state_with_snapshot_tracemalloc_bytes']:,} B tracemalloc"
 )
 print(f"  request-id dedup:     {r['request_id_bytes_per_event']:>8} B per recorded id (grows with the session)")


def main() -> None:
 started = time.perf_counter()
 book = price_book()
 for model in MODELS:
  assert book.price(model) is not None, model
 small = measure(SMALL, ("",), book)
 large = measure(LARGE, ("",), book)
 ten = measure(10, ("",), book)
 three = measure(10, ("planner", "coder", "reviewer"), book)
 for label, r in (
  (f"4 tiers x {SMALL} models x 1 agent", small),
  (f"4 tiers x {LARGE} models x 1 agent", large),
  ("4 tiers x 10 models x 1 agent", ten),
  ("4 tiers x 10 models x 3 agents", three),
 ):
  report(label, r)
 per_pair = (large["state_deep_bytes"] - small["state_deep_bytes"]) / (large["cells"] - small["cells"])
 per_pair_tm = (large["state_tracemalloc_bytes"] - small["state_tracemalloc_bytes"]) / (large["cells"] - small["cells"])
 print(
  f"state for 4 x {SMALL}: {small['state_deep_bytes']:,} B (target <= {TARGET_4X4_BYTES:,});"
  f" per further (tier, model) pair: {per_pair:.1f} B deep, {per_pair_tm:.1f} B tracemalloc"
  f" (target <= {TARGET_PER_PAIR_BYTES})"
 )
 emit(
  {
   "benchmark": "session_memory",
   "env": environment(),
   "state_4x4_deep_bytes": small["state_deep_bytes"],
   "bytes_per_further_pair": round(per_pair, 1),
   "bytes_per_further_pair_tracemalloc": round(per_pair_tm, 1),
   "target_4x4_bytes": TARGET_4X4_BYTES,
   "target_per_pair_bytes": TARGET_PER_PAIR_BYTES,
   "target_met_4x4": small["state_deep_bytes"] <= TARGET_4X4_BYTES,
   "target_met_per_pair": per_pair <= TARGET_PER_PAIR_BYTES,
   "four_by_four": small,
   "four_by_fifty": large,
   "one_agent": ten,
   "three_agents": three,
   "runtime_s": round(time.perf_counter() - started, 1),
  }
 )


if __name__ == "__main__":
 main()
