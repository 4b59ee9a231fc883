"""Cold start of `mma-conductor costs summary` on a SMALL ledger: what a fresh process costs before any query
work, and which imports it pays for (`python -X importtime`). Used by bench_costs_cli.py.

The process runs from this checkout's src with bytecode caches allowed (one untimed run writes them first), as
an installed package would: without them every module is compiled from source on every run, which measures the
compiler, not the import graph.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from _ledger_data import build_ledger
from _timing import ROOT, percentile

SMALL_CALLS = 1_000
TARGET_S = 0.150
# Modules a ledger report has no use for: if one of these loads, an import on the path should be made lazy.
MUST_NOT_LOAD = (
 "numpy",
 "genai_prices",
 "anthropic",
 "openai",
 "google.genai",
 "imgui_bundle",
 "asyncio",
 "ssl",
 "mma_conductor.providers",
 "mma_conductor.app",
 "mma_conductor.engine",
 "mma_conductor.gui",
 "mma_conductor.pricing.dataset",
)


def _env() -> dict[str, str]:
 env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
 env["PYTHONPATH"] = str(ROOT / "src")
 return env


def _args(ledger: Path, *extra: str) -> list[str]:
 return [sys.executable, *extra, "-m", "mma_conductor.cli", "costs", "summary", "--ledger", str(ledger)]


def cold_start(folder: Path, runs: int) -> dict:
 """Median wall time of `costs summary` on a 1,000-call ledger in fresh processes, and the import findings."""
 ledger = folder / "small.sqlite3"
 build_ledger(ledger, SMALL_CALLS, 1_767_225_600, 30 * 86_400)
 subprocess.run(_args(ledger), env=_env(), capture_output=True, check=True)  # writes the bytecode caches
 times = []
 for _ in range(runs):
  started = time.perf_counter()
  subprocess.run(_args(ledger), env=_env(), capture_output=True, check=True)
  times.append(time.perf_counter() - started)
 startup = []
 for _ in range(runs):
  started = time.perf_counter()
  subprocess.run([sys.executable, "-c", "pass"], env=_env(), capture_output=True, check=True)
  startup.append(time.perf_counter() - started)
 median = percentile(times, 50)
 return {
  "calls_in_ledger": SMALL_CALLS,
  "runs": runs,
  "median_s": round(median, 3),
  "min_s": round(min(times), 3),
  "max_s": round(max(times), 3),
  "python_startup_median_s": round(percentile(startup, 50), 3),
  "target_s": TARGET_S,
  "target_met": median <= TARGET_S,
  "importtime": import_findings(ledger),
 }


def import_findings(ledger: Path, top: int = 12) -> dict:
 """One run under `-X importtime`: the total, the costliest top-level imports, and any module that should not load."""
 result = subprocess.run(_args(ledger, "-X", "importtime"), env=_env(), capture_output=True, text=True, check=True)
 rows = _parse(result.stderr)
 top_level = sorted((r for r in rows if r[2] == 0), key=lambda r: -r[1])
 loaded = {name for name, _, _ in rows}
 return {
  "modules": len(rows),
  "total_ms": round(sum(r[1] for r in top_level) / 1000, 1),
  "costliest_ms": {name: round(cumulative / 1000, 1) for name, cumulative, _ in top_level[:top]},
  "should_not_load": sorted({p for p in MUST_NOT_LOAD for m in loaded if m == p or m.startswith(f"{p}.")}),
 }


def _parse(stderr: str) -> list[tuple[str, int, int]]:
 """(module, cumulative us, nesting depth) of each `import time:` line."""
 rows = []
 for line in stderr.splitlines():
  if not line.startswith("import time:") or "self [us]" in line:
   continue
  _, cumulative, name = line.removeprefix("import time:").split("|")
  depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
  rows.append((name.strip(), int(cumulative), depth))
 return rows


def print_cold_start(result: dict) -> None:
 imports = result["importtime"]
 print(
  f"cold costs summary ({result['calls_in_ledger']:,}-call ledger): median {result['median_s']:.3f} s "
  f"(python -c pass {result['python_startup_median_s']:.3f} s; target <= {result['target_s']} s)"
 )
 print(f"  -X importtime: {imports['modules']} modules, {imports['total_ms']} ms of imports; costliest top-level:")
 for name, ms in imports["costliest_ms"].items():
  print(f"    {ms:7.1f} ms  {name}")
 print(f"  loaded that a ledger report should not: {', '.join(imports['should_not_load']) or 'none'}")
