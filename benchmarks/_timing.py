"""Shared helpers of the benchmark scripts: batch timing, percentiles, and the JSON summary line."""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This checkout's code is measured, unless PYTHONPATH says which (to measure another checkout's in the same session).
if str(ROOT / "src") not in sys.path and not os.environ.get("PYTHONPATH"):
 sys.path.insert(0, str(ROOT / "src"))


def percentile(values: list[float], q: float) -> float:
 """The q-th percentile (0..100) of `values`, nearest-rank on the sorted list."""
 ordered = sorted(values)
 if not ordered:
  return float("nan")
 rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
 return ordered[rank]


def time_batches(
 run_batch: Callable[[], object], calls_per_batch: int, repetitions: int, warmup: int = 3
) -> list[float]:
 """Run `run_batch` (which makes `calls_per_batch` calls) `repetitions` times; return ns per call of each run.

 Timing a whole batch with one pair of perf_counter_ns reads amortizes the timer's own cost (~50-100 ns)
 over the batch. The loop that drives the calls is included, so the figures are slightly pessimistic.
 """
 for _ in range(warmup):
  run_batch()
 gc.collect()
 clock = time.perf_counter_ns
 samples = []
 for _ in range(repetitions):
  start = clock()
  run_batch()
  samples.append((clock() - start) / calls_per_batch)
 return samples


def summary(samples: list[float]) -> dict[str, float]:
 """Median, p99, min and mean of per-call samples (ns), rounded to 0.1 ns."""
 return {
  "median_ns": round(percentile(samples, 50), 1),
  "p99_ns": round(percentile(samples, 99), 1),
  "min_ns": round(min(samples), 1),
  "mean_ns": round(sum(samples) / len(samples), 1),
 }


def environment() -> dict[str, str]:
 """Interpreter, machine and the source folder of the code measured, so that numbers are not compared blindly."""
 package = sys.modules.get("mma_conductor")
 return {
  "python": platform.python_version(),
  "implementation": platform.python_implementation(),
  "machine": platform.machine(),
  "code": str(Path(package.__file__).parent.parent) if package else "",
 }


def emit(result: dict) -> None:
 """Print the result as ONE JSON line, the last line of the script's output."""
 sys.stdout.flush()
 print(json.dumps(result, sort_keys=False, separators=(",", ":")), flush=True)
