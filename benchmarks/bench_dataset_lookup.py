"""What the FIRST lookup of a model outside the built-in table adds to a fresh process: time, memory, RSS.

Run: .venv/bin/python benchmarks/bench_dataset_lookup.py [--runs N] [--before-src PATH] [--trace-snapshot]

Each figure comes from new processes that import the cost engine, build the price book, then time one
`price_book().price(MODEL)` of a model only the genai-prices dataset prices (a dated OpenAI snapshot): that is when
the dataset is first read. Cases, each in `--runs` fresh processes (median reported):

 index      this checkout: the packaged dataset index (pricing/dataset_index.py)
 snapshot   genai-prices' own snapshot, the way the dataset was read before the index (dataset_price(), which
            still uses it for full pattern matching): data_snapshot.get_snapshot() + find_provider_model()
 before     with --before-src PATH (e.g. /work/main/src): the same book lookup run on another checkout

Time and RSS are measured in runs without tracemalloc; tracemalloc (its own runs) gives the Python allocations
the lookup keeps (current) and its peak. Under tracemalloc, importing genai-prices' snapshot takes minutes, so the
snapshot and before cases are traced once and only with --trace-snapshot (else their traced figures are null).
Target (issue 11): the first unknown-model lookup adds <= 20 ms and <= 5 MB.
The last line of output is one JSON object (see benchmarks/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from _timing import ROOT, emit, environment, percentile

MODEL = "gpt-4o-2024-05-13"
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 7
BEFORE_SRC = sys.argv[sys.argv.index("--before-src") + 1] if "--before-src" in sys.argv else None
TRACE_SNAPSHOT = "--trace-snapshot" in sys.argv
TARGET_MS = 20.0
TARGET_MB = 5.0

CHILD = r"""
import json, sys, time, tracemalloc
TRACE = sys.argv[2] == "trace"

def rss_kb():
 with open("/proc/self/status") as status:
  return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

from mma_conductor import cost_tracker
from mma_conductor.pricing import dataset
book = cost_tracker.price_book()
book.price("gpt-4o")  # the table path is warm; only the dataset is new
lookup = {
 "index": lambda: book.price(sys.argv[1]),
 "before": lambda: book.price(sys.argv[1]),
 "snapshot": lambda: dataset.dataset_price(sys.argv[1]),
}[sys.argv[3]]
if TRACE:
 tracemalloc.start()
rss = rss_kb()
started = time.perf_counter()
price = lookup()
elapsed = time.perf_counter() - started
out = {"ms": elapsed * 1000, "rss_mb": (rss_kb() - rss) / 1024, "priced": price is not None,
       "genai_prices_imported": "genai_prices.data" in sys.modules}
if TRACE:
 current, peak = tracemalloc.get_traced_memory()
 out.update(traced_mb=current / 2**20, traced_peak_mb=peak / 2**20)
print(json.dumps(out))
"""


def child(case: str, trace: bool) -> dict:
 src = BEFORE_SRC if case == "before" else str(ROOT / "src")
 env = {"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}
 if case == "before":
  env["PYTHONDONTWRITEBYTECODE"] = "1"  # never write into another checkout
 args = [sys.executable, "-c", CHILD, MODEL, "trace" if trace else "time", case]
 result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
 return json.loads(result.stdout.strip().splitlines()[-1])


def measure(case: str) -> dict:
 timed = [child(case, trace=False) for _ in range(RUNS)]
 trace_runs = max(3, RUNS // 2) if case == "index" else int(TRACE_SNAPSHOT)
 traced = [child(case, trace=True) for _ in range(trace_runs)]

 def median(runs: list[dict], key: str) -> float | None:
  return round(percentile([run[key] for run in runs], 50), 2) if runs else None

 return {
  "ms": median(timed, "ms"),
  "ms_max": round(max(run["ms"] for run in timed), 2),
  "rss_mb": median(timed, "rss_mb"),
  "traced_mb": median(traced, "traced_mb"),
  "traced_peak_mb": median(traced, "traced_peak_mb"),
  "priced": all(run["priced"] for run in timed),
  "genai_prices_imported": any(run["genai_prices_imported"] for run in timed),
 }


def main() -> None:
 began = time.perf_counter()
 cases = ["index", "snapshot"] + (["before"] if BEFORE_SRC else [])
 results = {case: measure(case) for case in cases}
 for case, r in results.items():
  print(
   f"{case:9s} first dataset lookup: {r['ms']:7.2f} ms (max {r['ms_max']:.2f})  RSS +{r['rss_mb']:.2f} MB  "
   f"tracemalloc +{r['traced_mb']} MB (peak {r['traced_peak_mb']})  genai_prices loaded: "
   f"{r['genai_prices_imported']}"
  )
 index = results["index"]
 emit(
  {
   "benchmark": "dataset_first_lookup",
   "model": MODEL,
   "runs": RUNS,
   "cases": results,
   "target_ms": TARGET_MS,
   "target_mb": TARGET_MB,
   "target_met": index["ms"] <= TARGET_MS and max(index["rss_mb"], index["traced_peak_mb"]) <= TARGET_MB,
   "before_src": BEFORE_SRC,
   "runtime_s": round(time.perf_counter() - began, 1),
   "env": environment(),
  }
 )


if __name__ == "__main__":
 main()
