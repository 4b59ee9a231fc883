"""Summaries at today's prices from the usage rollups must equal re-pricing every call one by one, to the unit."""

import random
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from ledger_factory import DAY, HOUR, MONDAY, call

from mma_conductor.ledger.queries import CallFilter, iter_calls, summarize
from mma_conductor.ledger.rollups import BAND_LIMITS, rebuild_rollups
from mma_conductor.ledger.schema import SCHEMA_VERSION
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.prices import ModelPrice, PriceTier
from mma_conductor.pricing.usage import Usage

D = Decimal
NEPAL = timezone(timedelta(hours=5, minutes=45))  # local midnight at :15 UTC: it splits a half hour
ODD_THRESHOLD = 150_000
assert ODD_THRESHOLD not in BAND_LIMITS and 200_000 in BAND_LIMITS
MODELS = (
 ("anthropic", "claude-sonnet-4-5"),
 ("gemini", "gemini-2.5-pro"),
 ("openai", "gpt-4o"),
 ("other", "odd-tier-model"),
 ("other", "mystery-model"),  # not in the book: unpriced today
)
# Prompt sizes at and around every threshold of the book, and far above them.
EDGE_PROMPTS = (0, 1, 32_000, 32_001, ODD_THRESHOLD, ODD_THRESHOLD + 1, 199_999, 200_000, 200_001, 1_500_000)


def today_book() -> PriceBook:
 """Long-context tiers above 200,000 (a band limit) with their own cache rates, one above 150,000 (inside a
 band), a flat price, and no price for mystery-model."""
 sonnet = ModelPrice(
  D("3"),
  D("15"),
  cache_read=D("0.3"),
  cache_write=D("3.75"),
  cache_write_1h=D("6"),
  tiers=(PriceTier(200_000, D("6"), D("22.5"), D("0.6"), D("7.5"), D("12")),),
 )
 gemini = ModelPrice(
  D("1.25"), D("10"), cache_read=D("0.31"), tiers=(PriceTier(200_000, D("2.5"), D("15"), D("0.625")),)
 )
 odd = ModelPrice(D("0.5"), D("1.5"), tiers=(PriceTier(ODD_THRESHOLD, D("0.75"), D("2.25")),))
 return PriceBook(
  {
   "claude-sonnet-4-5": sonnet,
   "gemini-2.5-pro": gemini,
   "gpt-4o": ModelPrice(D("2.5"), D("10")),
   "odd-tier-model": odd,
  },
  use_dataset=False,
 )


def random_usage(rng: random.Random) -> Usage:
 prompt = rng.choice(EDGE_PROMPTS) if rng.random() < 0.2 else rng.randint(1, 400_000)
 if rng.random() < 0.05:
  return Usage()  # failed before anything was billed
 read = rng.randint(0, prompt // 2) if rng.random() < 0.5 else 0
 write = rng.randint(0, (prompt - read) // 3) if rng.random() < 0.4 else 0
 output = rng.randint(0, 9000)
 return Usage(prompt, output, read, write, rng.randint(0, write), rng.randint(0, output))


def random_calls(count: int, seed: int = 11) -> list:
 rng = random.Random(seed)
 calls = []
 for i in range(count):
  provider, model = rng.choice(MODELS)
  calls.append(
   call(
    MONDAY + rng.uniform(0, 3 * DAY),
    rng.randint(1, 10**13),
    session=f"s{i % 3}",
    tier=rng.choice(("Tier 1", "Tier 3")),
    agent=rng.choice(("worker", "qa")),
    provider=provider,
    model=model,
    usage=random_usage(rng),
    request_id=f"req-{i}",
    status=rng.choice(("success", "success", "failed")),
    latency_s=rng.uniform(0, 5),
   )
  )
 return calls


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3", milestones_enabled=False) as opened:
  calls = random_calls(3000)
  for first in range(0, len(calls), 250):
   opened.record_calls(calls[first : first + 250])
  yield opened


def row_by_row(ledger, by, filt, book, tz):
 """{group: (cost, calls, unpriced calls, input, output, cache read, cache write, 1h write, reasoning)}, each
 call priced alone with its whole usage (so with its own prompt's tier), as a bill is."""
 figures = {}
 for record in iter_calls(ledger, filt):
  key = group_of(record, by, tz)
  billed = record.usage.input_tokens or record.usage.output_tokens
  cost = book.cost_units(record.model, record.usage) if billed else 0
  usage = record.usage
  counts = (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
  counts += (usage.cache_write_1h_tokens, usage.reasoning_tokens)
  vector = (cost or 0, 1, int(cost is None), *counts)
  figures[key] = tuple(a + b for a, b in zip(figures.get(key, (0,) * 9), vector, strict=True))
 return figures


def group_of(record, by, tz):
 if by is None:
  return "total"
 if by == "day":
  return datetime.fromtimestamp(record.ts_us / 10**6, tz).strftime("%Y-%m-%d")
 return getattr(record, by)


def from_rollups(summary):
 out = {}
 for figures in summary.groups or (summary.total,):
  key = figures.key
  out[key] = (figures.cost_units, figures.calls, figures.unpriced_calls, figures.input_tokens)
  out[key] += (figures.output_tokens, figures.cache_read_tokens, figures.cache_write_tokens)
  out[key] += (figures.cache_write_1h_tokens, figures.reasoning_tokens)
 return out


RANGES = {
 "all time": CallFilter(),
 "unaligned edges": CallFilter(since_us=(MONDAY + 1234) * 10**6 + 7, until_us=(MONDAY + 2 * DAY + 4321) * 10**6),
 "one model": CallFilter(since_us=(MONDAY + HOUR + 17) * 10**6, model="claude-sonnet-4-5"),
 "one session (calls only)": CallFilter(session_id="s1"),
 "inside one half hour": CallFilter(since_us=(MONDAY + 60) * 10**6, until_us=(MONDAY + 1000) * 10**6),
}


@pytest.mark.parametrize("range_name", RANGES)
@pytest.mark.parametrize(("by", "tz"), [(None, UTC), ("model", UTC), ("tier", UTC), ("day", UTC), ("day", NEPAL)])
def test_repricing_from_rollups_equals_repricing_every_call(ledger, range_name, by, tz):
 book = today_book()
 filt = RANGES[range_name]
 expected = row_by_row(ledger, by, filt, book, tz)
 assert from_rollups(summarize(ledger, by, filt, tz=tz, prices="today", book=book)) == (expected or {"total": (0,) * 9})


def test_the_ledger_holds_what_the_check_is_about(ledger):
 calls = list(iter_calls(ledger))
 long_priced = [
  c for c in calls if c.model in ("claude-sonnet-4-5", "gemini-2.5-pro") and c.usage.input_tokens > 200_000
 ]
 assert len(long_priced) > 100
 assert any(c.usage.cache_write_1h_tokens for c in long_priced) and any(c.usage.cache_read_tokens for c in long_priced)
 assert any(c.model == "mystery-model" and c.usage.input_tokens for c in calls)
 assert any(c.model == "odd-tier-model" and 128_000 < c.usage.input_tokens <= ODD_THRESHOLD for c in calls)
 assert any(c.model == "odd-tier-model" and ODD_THRESHOLD < c.usage.input_tokens <= 199_999 for c in calls)
 assert any(c.usage == Usage() for c in calls)


def traced(ledger):
 statements = []
 ledger.connection.set_trace_callback(statements.append)
 return statements


def test_whole_days_and_half_hours_are_read_from_the_rollups_not_the_calls(ledger):
 flat_book = PriceBook({"gpt-4o": ModelPrice(D("2.5"), D("10"))}, use_dataset=False)
 statements = traced(ledger)
 summarize(ledger, "model", prices="today", book=flat_book)
 assert any("FROM usage_days" in sql for sql in statements)
 assert not any("FROM calls" in sql for sql in statements)
 statements.clear()
 unaligned = CallFilter(since_us=(MONDAY + DAY - 1800) * 10**6, until_us=(MONDAY + 2 * DAY + 3600) * 10**6)
 summarize(ledger, "model", unaligned, prices="today", book=flat_book)
 assert not any("FROM calls" in sql for sql in statements)
 assert any("FROM usage_slots" in sql for sql in statements) and any("FROM usage_days" in sql for sql in statements)
 # A threshold inside a band: that model's calls of that band alone are read one by one.
 statements.clear()
 summarize(ledger, "model", prices="today", book=today_book())
 from_calls = [sql for sql in statements if "FROM calls" in sql]
 assert len(from_calls) == 1 and "model = 'odd-tier-model'" in from_calls[0].replace('"', "'")


def usage_slots(conn):
 """Both usage rollups, every row."""
 return [
  conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6, 7").fetchall() for t in ("usage_slots", "usage_days")
 ]


def test_both_recording_paths_and_a_rebuild_fill_usage_slots_alike(tmp_path):
 calls = random_calls(600, seed=5)
 with Ledger.open(tmp_path / "other.sqlite3", milestones_enabled=False) as other:
  # A batch with a request id already stored is summed by SQL from the table, the others in Python.
  other.record_calls(calls[:300])
  assert other.record_calls([calls[0], *calls[300:]]).duplicates == 1
  conn = other.connection
  recorded = usage_slots(conn)
  conn.execute("BEGIN")
  rebuild_rollups(conn)
  conn.execute("COMMIT")
  assert usage_slots(conn) == recorded
  assert [sum(row[7] for row in rows) for rows in recorded] == [600, 600]


def test_a_version_3_ledger_migrates_keeps_every_record_and_reprices_exactly(tmp_path):
 path = tmp_path / "v3.sqlite3"
 with Ledger.open(path, milestones_enabled=False) as current:
  current.record_calls(random_calls(800, seed=3))
  slots_recorded = usage_slots(current.connection)
 conn = sqlite3.connect(path, isolation_level=None)
 conn.execute("DROP TABLE usage_slots")  # version 3 is version 4 without the usage rollups
 conn.execute("DROP TABLE usage_days")
 conn.execute("DROP INDEX calls_with_lines")  # and version 4 is version 5 without the calls' cost lines
 conn.execute("ALTER TABLE calls DROP COLUMN cost_lines")
 conn.execute("DROP TABLE budget_alerts")  # and version 5 is version 6 without the delivered budget alerts
 conn.execute("DROP TABLE tickets")  # and version 6 is version 7 without the tickets' outcomes
 conn.execute("DROP TABLE ticket_costs")  # and version 7 is version 8 without the ticket rollups
 conn.execute("DROP TABLE tier_outcomes")
 conn.execute("DROP TABLE tier_outcome_totals")
 conn.execute("PRAGMA user_version = 3")
 tables = ("calls", "prices", "runs", "meta", "hourly", "sessions", "run_costs", "totals")
 before = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables}
 conn.close()
 with Ledger.open(path, milestones_enabled=False) as migrated:
  conn = migrated.connection
  assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
  after = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables}
  after["calls"] = [row[:-1] for row in after["calls"]]  # cost_lines, added by version 5: none for these calls
  assert after == before
  assert len(before["calls"]) == 800
  assert usage_slots(conn) == slots_recorded
  book = today_book()
  expected = row_by_row(migrated, "model", CallFilter(), book, UTC)
  assert from_rollups(summarize(migrated, "model", prices="today", book=book)) == expected
