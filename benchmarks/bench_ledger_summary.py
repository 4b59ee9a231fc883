"""Summaries over a ledger of 1,000,000 calls in one month: the month's total, breakdowns, the GUI's figures,
and the same at today's prices (re-priced with the price book).

Run: .venv/bin/python benchmarks/bench_ledger_summary.py [--quick] [--calls N] [--ledger PATH] [--no-check]
 [--today-reps N]

The ledger holds 1,000,000 calls spread over January 2026 (30 days; --quick: 200,000; --calls N: N). It is built
in a temporary folder, or at --ledger PATH and reused from there on the next run (building 10,000,000 calls takes
~15 minutes). Each query runs on a warm connection, `REPS` times, the re-priced ones `--today-reps` times
(default 10); the figures are wall-clock milliseconds (median, p99, max). The all-time total at today's prices
is then checked against re-pricing every call one by one, in this script, with the same book (timed once:
`row_by_row_s`; --no-check skips it). Targets (from the issue): a month summary <= 50 ms; the all-time total at
today's prices <= 500 ms at 10M calls, equal to the row-by-row figure. The last line of output is one JSON
object (see benchmarks/README.md).
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

from mma_conductor.ledger.queries import CallFilter, period_summary, summarize, today_and_all_time
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.config import load_price_book
from mma_conductor.pricing.usage import Usage

QUICK = "--quick" in sys.argv
CALLS = int(sys.argv[sys.argv.index("--calls") + 1]) if "--calls" in sys.argv else 200_000 if QUICK else 1_000_000
REPS = 10 if QUICK else 30
TODAY_REPS = int(sys.argv[sys.argv.index("--today-reps") + 1]) if "--today-reps" in sys.argv else 3 if QUICK else 10
TARGET_MS = 50
TODAY_TARGET_MS = 500
JANUARY = 1_767_225_600  # 2026-01-01 00:00 UTC
MONTH_S = 31 * 86_400


def ledger_path() -> tuple[Path, Path | None]:
 if "--ledger" in sys.argv:
  return Path(sys.argv[sys.argv.index("--ledger") + 1]), None
 folder = Path(tempfile.mkdtemp(prefix="mma-ledger-summary-"))
 return folder / "ledger.sqlite3", folder


def timed(run, reps: int = REPS) -> dict[str, float]:
 run()
 samples = []
 for _ in range(reps):
  started = time.perf_counter()
  run()
  samples.append((time.perf_counter() - started) * 1000)
 return {
  "median_ms": round(percentile(samples, 50), 2),
  "p99_ms": round(percentile(samples, 99), 2),
  "max_ms": round(max(samples), 2),
 }


def row_by_row(ledger: Ledger, book) -> tuple[int, int, float]:
 """(cost units, unpriced calls, seconds): every call re-priced alone, as the ledger did before usage_slots."""
 started = time.perf_counter()
 units = unpriced = 0
 sql = "SELECT model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, "
 with ledger.reading() as conn:
  for model, *tokens in conn.execute(sql + "reasoning_tokens FROM calls"):
   if tokens[0] or tokens[1]:
    cost = book.cost_units(model, Usage(*tokens))
    units, unpriced = (units, unpriced + 1) if cost is None else (units + cost, unpriced)
 return units, unpriced, time.perf_counter() - started


def today_figures(ledger: Ledger, month: CallFilter) -> tuple[dict, object]:
 book = load_price_book(use_dataset=True)
 today = summarize(ledger, None, prices="today", book=book).total  # warms the book's name lookups too
 results = {
  "all_time_today_prices": timed(lambda: summarize(ledger, None, prices="today", book=book), TODAY_REPS),
  "month_by_model_today_prices": timed(
   lambda: summarize(ledger, "model", month, tz=UTC, prices="today", book=book), TODAY_REPS
  ),
  "month_by_day_today_prices": timed(lambda: summarize(ledger, "day", month, prices="today", book=book), TODAY_REPS),
 }
 return results, (book, today)


def exactness(ledger: Ledger, book, today) -> dict:
 if "--no-check" in sys.argv:
  return {"checked": False}
 units, unpriced, seconds = row_by_row(ledger, book)
 return {
  "checked": True,
  "row_by_row_s": round(seconds, 2),
  "today_prices_exact": (units, unpriced) == (today.cost_units, today.unpriced_calls),
 }


def main() -> None:
 began = time.perf_counter()
 path, folder = ledger_path()
 try:
  build_s = build_ledger(path, CALLS, JANUARY, 30 * 86_400)
  print(f"ledger of {CALLS:,} calls: {path} (built in {build_s:.1f} s)" if build_s else f"reusing {path}")
  month = CallFilter(since_us=JANUARY * 10**6, until_us=(JANUARY + MONTH_S) * 10**6)
  unaligned = CallFilter(since_us=JANUARY * 10**6 + 123_456, until_us=(JANUARY + MONTH_S) * 10**6 - 654_321)
  with Ledger.open(path, milestones_enabled=False) as ledger:
   total = summarize(ledger, None, month).total
   assert total.calls == CALLS, total
   results = {
    "month_total": timed(lambda: summarize(ledger, None, month, tz=UTC)),
    "month_total_unaligned_edges": timed(lambda: summarize(ledger, None, unaligned, tz=UTC)),
    "month_by_model": timed(lambda: summarize(ledger, "model", month, tz=UTC)),
    "month_by_tier": timed(lambda: summarize(ledger, "tier", month, tz=UTC)),
    "month_by_day_local_time": timed(lambda: summarize(ledger, "day", month)),
    "period_summary_today_week_month_all": timed(lambda: period_summary(ledger, now=JANUARY + 20 * 86_400)),
    "today_and_all_time": timed(lambda: today_and_all_time(ledger, now=JANUARY + 20 * 86_400)),
   }
   today_results, (book, today) = today_figures(ledger, month)
   results |= today_results
   check = exactness(ledger, book, today)
  for name, figures in results.items():
   print(f"{name:<40} median {figures['median_ms']:>8.2f} ms   p99 {figures['p99_ms']:>8.2f} ms")
  print(f"today's prices vs row by row: {check}")
 finally:
  if folder is not None:
   shutil.rmtree(folder, ignore_errors=True)
 emit(
  {
   "benchmark": "ledger_summary",
   "calls": CALLS,
   "repetitions": REPS,
   **results,
   "month_total_cost_units": total.cost_units,
   "all_time_today_prices_cost_units": today.cost_units,
   **check,
   "build_s": round(build_s, 1),
   "target_ms": TARGET_MS,
   "target_met": results["month_total"]["median_ms"] <= TARGET_MS
   and results["month_total_unaligned_edges"]["median_ms"] <= TARGET_MS,
   "today_target_ms": TODAY_TARGET_MS,
   "today_target_met": results["all_time_today_prices"]["median_ms"] <= TODAY_TARGET_MS
   and check.get("today_prices_exact", True),
   "quick": QUICK,
   "runtime_s": round(time.perf_counter() - began, 1),
   "env": environment(),
  }
 )


if __name__ == "__main__":
 main()
