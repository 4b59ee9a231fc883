"""Wall time of `mma-conductor run` for a 20-ticket track on the simulated provider with zero latency, from a
cold process start (what a user waits for). Target: seconds, not minutes."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import emit, environment

RUNS = 3


def main() -> None:
 times = []
 calls = 0
 with tempfile.TemporaryDirectory() as project:
  Path(project, "mma_conductor.toml").write_text("[simulated]\nlatency_ms = 0\nreject_rate = 0.25\n")
  for _ in range(RUNS):
   started = time.perf_counter()
   result = subprocess.run(
    [
     sys.executable,
     "-m",
     "mma_conductor.cli",
     "--project",
     project,
     "run",
     "--quiet",
     "--goal",
     "Build a site in 20 tickets",
    ],
    capture_output=True,
    text=True,
    env={"PATH": "/usr/bin:/bin", "MMA_CONDUCTOR_CONFIG_DIR": str(Path(project, "config"))},
   )
   times.append(time.perf_counter() - started)
   if result.returncode not in (0, 3):
    sys.exit(f"run failed ({result.returncode}): {result.stderr}")
   total = next(line for line in result.stdout.splitlines() if line.startswith("Total"))
   calls = int(re.split(r"\s+", total)[1].replace(",", ""))
   print(f"run: {times[-1]:.2f} s, {calls} calls, exit {result.returncode}")
 emit(
  {
   "benchmark": "headless_track_20_tickets",
   "env": environment(),
   "runs": RUNS,
   "calls_last_run": calls,
   "wall_s": {"min": round(min(times), 3), "median": round(sorted(times)[len(times) // 2], 3)},
   "target": "seconds, not minutes",
   "target_met": max(times) < 30,
  }
 )


if __name__ == "__main__":
 main()
