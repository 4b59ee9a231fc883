"""Recording calls and runs: dedup by request id, validation, exact money beyond 64 bits, price provenance."""

import math
from datetime import UTC

import pytest
from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.queries import all_time, count_calls, list_calls, summarize
from mma_conductor.ledger.reports import run_totals, runs, sessions
from mma_conductor.ledger.store import Ledger, LedgerCall
from mma_conductor.pricing.usage import Usage


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  yield opened


def test_a_request_id_is_stored_once_within_a_batch_across_batches_and_reopens(ledger, tmp_path):
 first = ledger.record_calls([call(MONDAY, 10, request_id="req-1"), call(MONDAY + 1, 10, request_id="req-1")])
 assert (first.stored, first.duplicates) == (1, 1)
 again = ledger.record_calls([call(MONDAY + 2, 10, request_id="req-1"), call(MONDAY + 3, 20, request_id="req-2")])
 assert (again.stored, again.duplicates) == (1, 1)
 with Ledger.open(tmp_path / "ledger.sqlite3") as other:
  assert other.record_calls([call(MONDAY + 4, 99, request_id="req-2")]).duplicates == 1
 assert count_calls(ledger) == 2
 assert all_time(ledger).cost_units == 30


def test_request_ids_are_unique_within_the_hour_of_the_call(ledger):
 # The same call delivered twice carries its timestamp: stored once. The index is keyed by the hour first, so
 # that recording stays fast at millions of calls; an id seen again hours later is taken as another call.
 hour = 3600
 assert (
  ledger.record_calls([call(MONDAY + 10, 5, request_id="x"), call(MONDAY + hour - 1, 5, request_id="x")]).stored == 1
 )
 assert ledger.record_calls([call(MONDAY + hour, 5, request_id="x")]).stored == 1
 assert count_calls(ledger) == 2


def test_the_same_request_id_from_two_providers_is_two_calls_and_a_redelivery_is_one(ledger):
 # Request ids are unique per provider only: an OpenAI and an Anthropic call may carry the same id in one hour.
 both = ledger.record_calls(
  [
   call(MONDAY + 10, 5, provider="openai", request_id="req_1"),
   call(MONDAY + 11, 7, provider="anthropic", request_id="req_1"),
  ]
 )
 assert (both.stored, both.duplicates) == (2, 0)
 again = ledger.record_calls(
  [
   call(MONDAY + 10, 5, provider="openai", request_id="req_1"),
   call(MONDAY + 11, 7, provider="anthropic", request_id="req_1"),
  ]
 )
 assert (again.stored, again.duplicates) == (0, 2)
 assert ledger.record_calls([call(MONDAY + 12, 9, provider="gemini", request_id="req_1")]).stored == 1
 assert sorted((r.provider, r.cost_units) for r in list_calls(ledger)) == [
  ("anthropic", 7),
  ("gemini", 9),
  ("openai", 5),
 ]
 assert all_time(ledger).cost_units == 21


def test_calls_without_request_id_never_collide(ledger):
 outcome = ledger.record_calls([call(MONDAY, 1, request_id=""), call(MONDAY, 1, request_id="  "), call(MONDAY, 1)])
 assert outcome.stored == 3
 assert ledger.record_calls([call(MONDAY, 1)]).stored == 1
 assert all_time(ledger).calls == 4
 assert {r.request_id for r in list_calls(ledger)} == {""}


@pytest.mark.parametrize(
 ("bad", "field"),
 [
  ({"status": "ok"}, "status"),
  ({"cost_units": -1}, "cost_units"),
  ({"cost_units": 1.5}, "cost_units"),
  ({"usage": {"input_tokens": 3}}, "usage"),
  ({"timestamp": math.nan}, "timestamp"),
  ({"latency_s": -0.1}, "latency_s"),
  ({"session_id": None}, "session_id"),
  ({"model": " "}, "model"),
 ],
)
def test_a_bad_call_is_refused_naming_the_field_and_nothing_of_the_batch_is_stored(ledger, bad, field):
 good = call(MONDAY, 5, request_id="good")
 values = {name: getattr(good, name) for name in LedgerCall.__dataclass_fields__}
 values.update(bad)
 with pytest.raises(ValueError, match=rf"call 1: {field}"):
  ledger.record_calls([good, LedgerCall(**values)])
 assert count_calls(ledger) == 0


def test_costs_beyond_64_bits_stay_exact_in_every_sum(ledger):
 huge = 2**70  # ~ $1.18M: no real call costs this, but nothing may wrap or round if one did
 near = 2**62 + 12345  # fits in SQLite's INTEGER on its own; four of them do not
 calls = [call(MONDAY + i, near, request_id=f"n{i}", model="m-near") for i in range(4)]
 calls.append(call(MONDAY + 10, huge, request_id="h", model="m-huge", run="r2", session="s2"))
 ledger.record_calls(calls)
 expected = 4 * near + huge
 assert expected > 2**64
 assert all_time(ledger).cost_units == expected
 assert summarize(ledger).total.cost_units == expected
 by_model = {g.key: g.cost_units for g in summarize(ledger, "model").groups}
 assert by_model == {"m-huge": huge, "m-near": 4 * near}
 assert {g.key: g.cost_units for g in summarize(ledger, "day", tz=UTC).groups} == {"2026-01-05": expected}
 # The raw path (a range inside one hour) adds the oversized cost from its text column.
 inside = summarize(ledger, "model", filt=_range(MONDAY + 1, MONDAY + 11))
 assert {g.key: g.cost_units for g in inside.groups} == {"m-huge": huge, "m-near": 3 * near}
 assert {s.session_id: s.figures.cost_units for s in sessions(ledger)} == {"s1": 4 * near, "s2": huge}
 assert run_totals(ledger, "r1").figures.cost_units == 4 * near
 assert [r.run_id for r in runs(ledger, costliest=True)] == ["r2", "r1"]
 assert next(r for r in list_calls(ledger) if r.request_id == "h").cost_units == huge


def _range(since_s, until_s):
 from mma_conductor.ledger.queries import CallFilter

 return CallFilter(since_us=since_s * 10**6, until_us=until_s * 10**6)


def test_no_usage_costs_nothing_while_no_price_is_unpriced(ledger):
 no_usage = LedgerCall(MONDAY, "s", "r", "t", "Tier 3", "worker", "openai", "gpt-4o", None, None, status="failed")
 unpriced = call(MONDAY, None, model="zz-unknown")
 ledger.record_calls([no_usage, unpriced, call(MONDAY, 7)])
 total = all_time(ledger)
 assert (total.calls, total.unpriced_calls, total.cost_units) == (3, 1, 7)
 assert total.cost_label == "$0.000000 + unpriced"
 stored = {r.model: r for r in list_calls(ledger)}
 assert stored["zz-unknown"].cost_units is None
 failed = next(r for r in list_calls(ledger) if r.status == "failed")
 assert failed.cost_units == 0 and failed.raw_usage is None


def test_prices_and_their_source_are_kept_once_per_distinct_price(ledger):
 price = {"input": "2.5", "output": "10", "source": "https://openai.com/api/pricing", "as_of": "2026-11-22"}
 raw = {"prompt_tokens": 1000, "completion_tokens": 100}
 ledger.record_calls([call(MONDAY, 1, price=price, raw_usage=raw), call(MONDAY + 1, 1, price=dict(price))])
 records = list_calls(ledger, newest_first=False)
 assert records[0].price == price and records[1].price == price
 assert records[0].as_dict()["raw_usage"] == raw
 assert ledger.connection.execute("SELECT count(*) FROM prices").fetchone()[0] == 1


def test_runs_keep_their_first_start_latest_status_and_goal(ledger):
 ledger.record_run("r1", "planning", goal="ship the exporter", started_at=MONDAY)
 ledger.record_run("r1", "running", started_at=MONDAY + 50)
 ledger.record_run("r1", "done", ended_at=MONDAY + 600)
 ledger.record_calls([call(MONDAY + 10, 3 * USD, run="r1"), call(MONDAY + 20, USD, run="r1")])
 run = run_totals(ledger, "r1")
 assert (run.status, run.goal, run.first_us, run.last_us) == (
  "done",
  "ship the exporter",
  MONDAY * 10**6,
  (MONDAY + 600) * 10**6,
 )
 assert (run.figures.calls, run.figures.cost_units) == (2, 4 * USD)
 with pytest.raises(ValueError, match="status"):
  ledger.record_run("r1", "")


def test_usage_counts_are_stored_normalized(ledger):
 usage = Usage(81_200, 850, 50_000, 30_000, 10_000, 200)
 ledger.record_calls([call(MONDAY, 166_350_000_000_000, usage=usage, model="claude-sonnet-4-5")])
 (record,) = list_calls(ledger)
 assert record.usage == usage
 total = all_time(ledger)
 assert (total.cache_read_tokens, total.cache_write_tokens, total.cache_write_1h_tokens) == (50_000, 30_000, 10_000)


def test_python_and_sql_rollups_agree_to_the_unit(tmp_path):
 import random

 from mma_conductor.ledger.rollups import rebuild_rollups

 rng = random.Random(5)
 calls = [
  call(
   MONDAY + rng.uniform(0, 3 * 86_400),
   rng.choice([None, 0, rng.randrange(10**15), 2**63 + rng.randrange(10**6)]),
   session=f"s{rng.randrange(4)}",
   run=rng.choice(["", "r1", "r2"]),
   tier=rng.choice(["Tier 1", "Tier 3"]),
   provider=rng.choice(["openai", "gemini"]),
   status=rng.choice(["success", "failed", "blocked"]),
   usage=Usage(rng.randrange(1, 10**6), rng.randrange(10**4), 0, 0, 0, 0),
   latency_s=rng.choice([0.0025, 0.0015, rng.uniform(0, 30)]),
   request_id=f"q{i}",
  )
  for i in range(400)
 ]
 tables = ("hourly", "sessions", "run_costs", "totals")

 def dump(ledger):
  return {t: ledger.connection.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6").fetchall() for t in tables}

 with Ledger.open(tmp_path / "fast.sqlite3") as fast, Ledger.open(tmp_path / "slow.sqlite3") as slow:
  fast.record_calls(calls)  # no repeated request id: summed in Python
  slow.record_calls(calls[:1])
  assert slow.record_calls(calls).duplicates == 1  # a repeat: summed in SQL over the new ids
  assert dump(fast) == dump(slow)
  before = dump(fast)
  fast.connection.execute("BEGIN")
  rebuild_rollups(fast.connection)
  fast.connection.execute("COMMIT")
  assert dump(fast) == before
  assert before["totals"][0][1] == 400
