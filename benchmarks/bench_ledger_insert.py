"""Ledger insert throughput: `Ledger.record_calls()` in batches, and `LedgerWriter` end to end.

Run: .venv/bin/python benchmarks/bench_ledger_insert.py [--quick]

Each round records N pre-built calls (random provider-style request ids, so the unique index sees random
keys, the price provenance of every call, ~0.2% unpriced) into a fresh ledger file, in batches of B, each batch
one transaction with its rollups; the clock covers only the recording. Target (from the issue): >= 100,000
records/s in batches. Then one ledger is grown to 5 x N calls (--quick: 2 x N) in batches of 5,000 and each
chunk's rate is reported: the rate a ledger keeps as it fills, with its file sizes (database, -wal). Last, untimed,
500 calls are recorded one commit each, as the app does, and the largest -wal file seen is reported: the
checkpoints keep it bounded. The last line of output is one JSON object (see benchmarks/README.md).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _ledger_data import make_calls
from _timing import emit, environment

from mma_conductor.ledger.store import Ledger
from mma_conductor.ledger.writer import LedgerWriter
from mma_conductor.pricing.book import PriceBook

QUICK = "--quick" in sys.argv
CALLS = 50_000 if QUICK else 200_000
ROUNDS = 2 if QUICK else 5
BATCHES = (500, 1000, 5000)
TARGET = 100_000
START = 1_767_225_600  # 2026-01-01 UTC


def round_rate(calls, batch: int, folder: Path) -> float:
 path = folder / f"bench-{batch}-{time.perf_counter_ns()}.sqlite3"
 ledger = Ledger.open(path, milestones_enabled=False)
 started = time.perf_counter()
 for start in range(0, len(calls), batch):
  ledger.record_calls(calls[start : start + batch])
 elapsed = time.perf_counter() - started
 ledger.close()
 for suffix in ("", "-wal", "-shm"):
  Path(str(path) + suffix).unlink(missing_ok=True)
 return len(calls) / elapsed


def growth_rates(folder: Path, chunks: int, chunk: int, batch: int = 5000) -> tuple[list[int], dict[str, int]]:
 """Records/s of each successive chunk recorded into ONE ledger as it grows (indexes get bigger), and the
 ledger's file sizes at the end (before closing, which checkpoints and removes the -wal file)."""
 path = folder / "growing.sqlite3"
 ledger = Ledger.open(path, milestones_enabled=False)
 rates = []
 for index in range(chunks):
  calls = make_calls(chunk, START + index * 86_400 * 6, 86_400 * 6, seed=100 + index, prefix=f"g{index}")
  started = time.perf_counter()
  for first in range(0, chunk, batch):
   ledger.record_calls(calls[first : first + batch])
  rates.append(round(chunk / (time.perf_counter() - started)))
 sizes = {"db_bytes": path.stat().st_size, "wal_bytes": wal_size(path)}
 ledger.close()
 return rates, sizes


def wal_size(path: Path) -> int:
 wal = Path(str(path) + "-wal")
 return wal.stat().st_size if wal.exists() else 0


def small_commit_sizes(calls, folder: Path, commits: int = 500) -> dict[str, int]:
 """File sizes after `commits` commits of one call each (the app's pattern); untimed."""
 path = folder / "small-commits.sqlite3"
 ledger = Ledger.open(path, milestones_enabled=False)
 largest = 0
 for item in calls[:commits]:
  ledger.record_calls([item])
  largest = max(largest, wal_size(path))
 sizes = {"commits": commits, "db_bytes": path.stat().st_size, "wal_bytes": wal_size(path), "wal_max_bytes": largest}
 ledger.close()
 return sizes


def writer_rate(calls, folder: Path) -> float:
 ledger = Ledger.open(folder / "writer.sqlite3", milestones_enabled=False)
 writer = LedgerWriter(ledger, price_book=PriceBook(), batch_size=1000)
 started = time.perf_counter()
 for item in calls:
  writer.submit(item)
 writer.flush()
 elapsed = time.perf_counter() - started
 writer.close()
 ledger.close()
 return len(calls) / elapsed


def main() -> None:
 began = time.perf_counter()
 calls = make_calls(CALLS, START, 30 * 86_400)
 folder = Path(tempfile.mkdtemp(prefix="mma-ledger-bench-"))
 try:
  results = {}
  for batch in BATCHES:
   rates = [round_rate(calls, batch, folder) for _ in range(ROUNDS)]
   results[f"batch_{batch}"] = {
    "median_records_per_s": round(statistics.median(rates)),
    "min_records_per_s": round(min(rates)),
    "max_records_per_s": round(max(rates)),
   }
   print(f"batches of {batch:>5}: median {statistics.median(rates):>10,.0f} records/s (min {min(rates):,.0f})")
  writer = writer_rate(calls, folder)
  print(f"LedgerWriter submit+flush: {writer:,.0f} records/s")
  growth, growth_sizes = growth_rates(folder, 2 if QUICK else 5, CALLS)
  print(f"growing one ledger to {len(growth) * CALLS:,} calls, per {CALLS:,}: " + ", ".join(f"{r:,}" for r in growth))
  print(f"  its files: database {growth_sizes['db_bytes']:,} bytes, -wal {growth_sizes['wal_bytes']:,} bytes")
  small = small_commit_sizes(calls, folder)
  print(
   f"{small['commits']} commits of one call: database {small['db_bytes']:,} bytes, -wal {small['wal_bytes']:,} "
   f"bytes (largest {small['wal_max_bytes']:,})"
  )
 finally:
  shutil.rmtree(folder, ignore_errors=True)
 best = max(r["median_records_per_s"] for r in results.values())
 emit(
  {
   "benchmark": "ledger_insert",
   "records_per_round": CALLS,
   "rounds": ROUNDS,
   **results,
   "ledger_writer_records_per_s": round(writer),
   "growing_ledger_records_per_s_per_chunk": growth,
   "growing_ledger_file_bytes": growth_sizes,
   "small_commits_file_bytes": small,
   "best_median_records_per_s": best,
   "target_records_per_s": TARGET,
   "target_met": best >= TARGET,
   "quick": QUICK,
   "runtime_s": round(time.perf_counter() - began, 1),
   "env": environment(),
  }
 )


if __name__ == "__main__":
 main()
