"""The background writer: batches off the caller's thread, price provenance, and a full or read-only disk
reported while the app keeps running and nothing is lost."""

import threading
import time
from decimal import Decimal

import pytest
from ledger_factory import MONDAY, call
from real_disks import remount, tmpfs

from mma_conductor.engine.events import CallRecord, TrackUpdate
from mma_conductor.ledger.queries import all_time, count_calls, list_calls
from mma_conductor.ledger.reports import run_totals
from mma_conductor.ledger.store import Ledger, LedgerError
from mma_conductor.ledger.writer import LedgerWriter
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.prices import ModelPrice
from mma_conductor.pricing.table import BUILTIN_PRICES
from mma_conductor.pricing.usage import Usage

BOOK = PriceBook(BUILTIN_PRICES)

SONNET_USAGE = Usage(81_200, 850, 50_000, 30_000, 10_000)


def record(i, model="claude-sonnet-4-5", usage=SONNET_USAGE, **fields):
 values = dict(
  session_id="sess",
  track_id="track-1",
  ticket_id=f"T{i}",
  tier="Tier 3",
  role="worker",
  provider="anthropic",
  model=model,
  usage=usage,
  cost_units=BOOK.cost_units(model, usage) if usage else None,
  latency_s=1.25,
  request_id=f"req-{i}",
  status="success",
  timestamp=MONDAY + i,
 )
 values.update(fields)
 return CallRecord(**values)


def test_submitted_calls_are_written_in_batches_with_their_prices(tmp_path):
 ledger = Ledger.open(tmp_path / "ledger.sqlite3")
 writer = LedgerWriter(ledger, price_book=BOOK, batch_size=100, flush_interval_s=0.05)
 started = time.perf_counter()
 for i in range(1000):
  writer.submit(record(i))
 submitting = time.perf_counter() - started
 writer.submit(record(5))  # the same request id again
 writer.submit(TrackUpdate("track-1", "done", goal="price everything"))
 assert writer.flush(timeout=30)
 assert writer.stored == 1000 and writer.pending == 0
 assert count_calls(ledger) == 1000
 assert all_time(ledger).cost_units == 1000 * 166_350_000_000_000
 stored = list_calls(ledger, limit=1)[0]
 assert stored.price["source"].startswith("https://") and stored.price["matched"] == "claude-sonnet-4-5"
 assert stored.price["input"] == "3" and stored.price["cache_write_1h"] == "6"
 assert run_totals(ledger, "track-1").status == "done"
 assert writer.close() == 0
 assert submitting < 5  # generous: submitting only queues; the point is that it does not wait for the disk
 ledger.close()


def test_a_call_without_cost_is_priced_and_a_failed_call_without_usage_is_free(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  writer = LedgerWriter(ledger, price_book=BOOK)
  writer.submit(record(1, cost_units=None))
  writer.submit(record(2, usage=None, status="failed", error="timeout"))
  writer.submit(record(3, model="zz-no-such-model"))
  writer.close()
  by_id = {r.request_id: r for r in list_calls(ledger)}
  assert by_id["req-1"].cost_units == 166_350_000_000_000
  assert (by_id["req-2"].cost_units, by_id["req-2"].error, by_id["req-2"].price) == (0, "timeout", None)
  assert by_id["req-3"].cost_units is None and by_id["req-3"].price is None
  assert all_time(ledger).unpriced_calls == 1


def test_calls_are_priced_with_the_book_the_writer_was_given(tmp_path):
 book = PriceBook({"house-model": ModelPrice(Decimal("1"), Decimal("2"), provider="other")}, use_dataset=False)
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  writer = LedgerWriter(ledger, price_book=book)
  writer.submit(record(1, model="house-model", usage=Usage(1000, 100), cost_units=None))
  writer.submit(record(2, cost_units=None))  # a built-in model, but not in this book
  writer.close()
  by_id = {r.request_id: r for r in list_calls(ledger)}
 assert by_id["req-1"].cost_units == 1000 * 10**9 + 100 * 2 * 10**9
 assert (by_id["req-1"].price["matched"], by_id["req-1"].price["rule"]) == ("house-model", "exact")
 assert by_id["req-2"].cost_units is None and by_id["req-2"].price is None


def test_bad_submissions_fail_in_the_caller(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  writer = LedgerWriter(ledger, price_book=BOOK)
  with pytest.raises(ValueError, match="status"):
   writer.submit(record(1, status="weird"))
  with pytest.raises(ValueError, match="cannot record a str"):
   writer.submit("hello")
  writer.close()
  with pytest.raises(LedgerError, match="closed"):
   writer.submit(record(2))


def test_many_threads_submitting_at_once(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  writer = LedgerWriter(ledger, price_book=BOOK, batch_size=64)

  def feed(base):
   for i in range(500):
    writer.submit(call(MONDAY + i, 1, request_id=f"{base}-{i}"))

  threads = [threading.Thread(target=feed, args=(n,)) for n in range(8)]
  for thread in threads:
   thread.start()
  for thread in threads:
   thread.join()
  assert writer.close() == 0
  assert count_calls(ledger) == 4000 and ledger.total_units() == 4000


def test_a_full_disk_is_reported_the_calls_wait_and_nothing_is_lost(tmp_path):
 with tmpfs("600k") as disk:
  ledger = Ledger.open(disk / "ledger.sqlite3", milestones_enabled=False)
  errors = []
  writer = LedgerWriter(ledger, price_book=BOOK, batch_size=200, flush_interval_s=0.02, on_error=errors.append)
  for i in range(4000):
   writer.submit(call(MONDAY + i, 1, request_id=f"r{i}", session="x" * 200))
  assert not writer.flush(timeout=3)  # cannot finish: the disk is full
  assert errors and "full" in errors[0] and str(disk / "ledger.sqlite3") in errors[0]
  assert writer.pending > 0
  written_so_far = count_calls(ledger)
  assert written_so_far < 4000
  remount(disk, "size=64m")
  assert writer.flush(timeout=30)
  assert writer.close() == 0
  assert count_calls(ledger) == 4000 and ledger.total_units() == 4000
  ledger.close()


def test_a_read_only_disk_is_reported_and_writing_resumes_when_it_is_writable_again(tmp_path):
 with tmpfs("16m") as disk:
  path = disk / "ledger.sqlite3"
  with Ledger.open(path) as ledger:
   ledger.record_calls([call(MONDAY, 7, request_id="before")])
  remount(disk, "ro")
  ledger = Ledger.open(path)
  assert ledger.readonly and count_calls(ledger) == 1  # the app keeps running and can still read
  with pytest.raises(LedgerError, match="read-only"):
   ledger.record_calls([call(MONDAY, 1)])
  errors = []
  writer = LedgerWriter(ledger, price_book=BOOK, batch_size=10, flush_interval_s=0.02, on_error=errors.append)
  for i in range(25):
   writer.submit(call(MONDAY + i, 1, request_id=f"r{i}"))
  assert not writer.flush(timeout=1.5)
  assert errors and "read-only" in errors[0] and str(path) in errors[0]
  assert writer.pending == 25
  remount(disk, "rw")
  assert writer.flush(timeout=30)
  writer.close()
  assert not ledger.readonly
  assert count_calls(ledger) == 26 and ledger.total_units() == 32
  ledger.close()
