"""The Cost Dashboard's ledger queries on a big ledger: dashboard_data and the first sessions page for each range
the window offers (1h, 24h, 7d, 30d, this month, all), unfiltered and with a provider filter.

Run: .venv/bin/python benchmarks/bench_dashboard_queries.py [--calls N] [--ledger PATH] [--reps N] [--filter-reps N]

The ledger holds N calls (default 1,000,000) spread over 30 days from 2026-01-01 (benchmarks/_ledger_data.py: four
tiers, nine models, a session per 20,000 calls, a run per 400, 37 tickets per run). It is built in a temporary
folder, or at --ledger PATH and reused from there (building 10,000,000 calls takes ~20 minutes: build it once, e.g.
at /tmp/ledger-10m.sqlite3). Ticket outcomes are added when the file has none: each run's tickets, one in five
blocked, the others done. "Now" is the end of the 30 days, so every range ends at the last calls. Each query runs on
a warm connection once, then `--reps` times (default 5; `--filter-reps`, default 3, with the filter; 0 skips the
filtered ranges); figures are wall-clock milliseconds (median, max). Target (issue 13): any range <= 200 ms at 10M
calls, off the GUI thread. The last line of output is one JSON object (see benchmarks/README.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

from _ledger_data import build_ledger
from _timing import emit, environment, percentile

from mma_conductor.ledger.dashboard import dashboard_data, range_query, sessions_page
from mma_conductor.ledger.store import Ledger, TicketOutcome


def _arg(name: str, default: int) -> int:
 return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


CALLS = _arg("--calls", 1_000_000)
REPS = _arg("--reps", 5)
FILTER_REPS = _arg("--filter-reps", 3)
START = 1_767_225_600  # 2026-01-01 00:00 UTC
SPAN_S = 30 * 86_400
NOW_US = (START + SPAN_S) * 1_000_000
RANGES = ("1h", "24h", "7d", "30d", "month", "all")
FILTER = {"provider": "anthropic"}
TARGET_MS = 200


def ledger_path() -> tuple[Path, Path | None]:
 if "--ledger" in sys.argv:
  return Path(sys.argv[sys.argv.index("--ledger") + 1]), None
 folder = Path(tempfile.mkdtemp(prefix="mma-dashboard-"))
 return folder / "ledger.sqlite3", folder


def add_ticket_outcomes(ledger: Ledger) -> int:
 """Outcomes for every run's 37 tickets (T-0..T-36) when the ledger has none; how many were added."""
 if ledger.connection.execute("SELECT count(*) FROM tickets").fetchone()[0]:
  return 0
 runs = [r for (r,) in ledger.connection.execute("SELECT run_id FROM run_costs ORDER BY run_id")]
 added = 0
 for first in range(0, len(runs), 500):
  outcomes = [
   TicketOutcome(run, f"T-{t}", "blocked" if (i + t) % 5 == 0 else "done", at=START + SPAN_S)
   for i, run in enumerate(runs[first : first + 500], first)
   for t in range(37)
  ]
  ledger.record_tickets(outcomes)
  added += len(outcomes)
 return added


def timed(run, reps: int) -> dict[str, float]:
 run()
 samples = []
 for _ in range(reps):
  started = time.perf_counter()
  run()
  samples.append((time.perf_counter() - started) * 1000)
 return {"median_ms": round(percentile(samples, 50), 1), "max_ms": round(max(samples), 1)}


def measure(ledger: Ledger, filters: dict[str, str], reps: int) -> dict[str, dict]:
 results = {}
 for name in RANGES:
  query = range_query(name, NOW_US, UTC, **filters)
  results[name] = {
   "dashboard_data": timed(lambda q=query: dashboard_data(ledger, q, tz=UTC), reps),
   "sessions_page": timed(lambda q=query: sessions_page(ledger, q, sort="cost"), reps),
  }
  data = dashboard_data(ledger, query, tz=UTC)
  results[name] |= {"calls": data.cards.calls, "sessions": data.sessions, "runs": data.cards.runs}
  row = results[name]
  print(
   f"{name:<6} {filters or ''!s:<26} calls {row['calls']:>10,}  dashboard_data median "
   f"{row['dashboard_data']['median_ms']:>8.1f} ms max {row['dashboard_data']['max_ms']:>8.1f}  "
   f"sessions_page median {row['sessions_page']['median_ms']:>8.1f} ms max {row['sessions_page']['max_ms']:>8.1f}",
   flush=True,
  )
 return results


def worst(results: dict[str, dict]) -> float | None:
 medians = [max(r["dashboard_data"]["median_ms"], r["sessions_page"]["median_ms"]) for r in results.values()]
 return max(medians, default=None)


def main() -> None:
 began = time.perf_counter()
 path, folder = ledger_path()
 try:
  build_s = build_ledger(path, CALLS, START, SPAN_S)
  print(f"ledger of {CALLS:,} calls: {path} (built in {build_s:.1f} s)" if build_s else f"reusing {path}")
  with Ledger.open(path, milestones_enabled=False) as ledger:
   tickets = add_ticket_outcomes(ledger)
   unfiltered = measure(ledger, {}, REPS)
   filtered = measure(ledger, FILTER, FILTER_REPS) if FILTER_REPS else {}
 finally:
  if folder is not None:
   shutil.rmtree(folder, ignore_errors=True)
 emit(
  {
   "benchmark": "dashboard_queries",
   "calls": CALLS,
   "repetitions": REPS,
   "filter_repetitions": FILTER_REPS,
   "ranges": unfiltered,
   "filter": FILTER,
   "filtered_ranges": filtered,
   "worst_median_ms": worst(unfiltered),
   "worst_filtered_median_ms": worst(filtered),
   "target_ms": TARGET_MS,
   "target_met": max(m for m in (worst(unfiltered), worst(filtered)) if m is not None) <= TARGET_MS,
   "ticket_outcomes_added": tickets,
   "build_s": round(build_s, 1),
   "runtime_s": round(time.perf_counter() - began, 1),
   "env": environment(),
  }
 )


if __name__ == "__main__":
 main()
