"""The pre-run estimate: finished runs' tokens from a real ledger, priced at today's tier models (cache rates too)."""

from fractions import Fraction

from ledger_factory import MONDAY, USD, call

from mma_conductor.ledger.estimates import run_history
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.config import load_price_book
from mma_conductor.pricing.run_estimate import Spread, estimate_run
from mma_conductor.pricing.usage import Usage

MODELS = {"Tier 1": "gpt-4o", "Tier 2": "gpt-4o", "Tier 3": "claude-haiku-4-5", "Tier 4": "claude-haiku-4-5"}
TENTH_CENT = USD // 10_000  # $0.0001


def history_ledger(path):
 """Run A (done, 2 tickets), run B (blocked, 1 ticket, later), run C (stopped: left out), each with a plan."""
 calls = [
  call(MONDAY, 0, run="A", ticket="", tier="Tier 1", usage=Usage(1000, 500), request_id="a0"),
  call(MONDAY + 1, 0, run="A", ticket="T1", usage=Usage(2000, 1000, cache_read_tokens=1000), request_id="a1"),
  call(MONDAY + 2, 0, run="A", ticket="T1", tier="Tier 4", usage=Usage(1000, 100), request_id="a2"),
  call(MONDAY + 3, 0, run="A", ticket="T2", usage=Usage(4000, 2000, cache_write_tokens=2000), request_id="a3"),
  call(MONDAY + 60, 0, run="B", ticket="", tier="Tier 1", usage=Usage(3000, 500), request_id="b0"),
  call(MONDAY + 61, 0, run="B", ticket="T1", usage=Usage(3000, 1500), request_id="b1"),
  call(MONDAY + 62, 0, run="B", ticket="T1", usage=Usage(3000, 1500), request_id="b2"),
  call(MONDAY + 120, 0, run="C", ticket="T1", usage=Usage(900_000, 90_000), request_id="c1"),
 ]
 ledger = Ledger.open(path)
 ledger.record_calls(calls)
 for run, status in (("A", "done"), ("B", "blocked"), ("C", "stopped")):
  ledger.record_run(run, status)
 return ledger


def test_history_per_ticket_and_per_plan_priced_at_todays_models(tmp_path):
 with history_ledger(tmp_path / "ledger.sqlite3") as ledger:
  history = run_history(ledger)
  assert history.runs == 2 and sorted(history.tickets_per_run) == [1, 2]
  estimate = estimate_run(history, MODELS, load_price_book(None))
  assert estimate.has_history and estimate.history_runs == 2 and estimate.tickets == (1, Fraction(3, 2), 2)
  # Tier 3 on claude-haiku-4-5 ($1 in, $5 out, $0.10 cache read, $1.25 cache write per 1M tokens), per ticket:
  # A/T1 1,000 + 1,000 cached in, 1,000 out: $0.0061; A/T2 2,000 + 2,000 written, 2,000 out: $0.0145;
  # B/T1 two calls of 3,000 in, 1,500 out: $0.0210. Tickets per run 1, 1.5, 2.
  assert estimate.tier("Tier 3") == Spread(61 * TENTH_CENT, 208 * TENTH_CENT, 420 * TENTH_CENT)
  # Tier 1's plan once per run on gpt-4o ($2.50 in, $10 out): A $0.0075, B $0.0125.
  assert estimate.tier("Tier 1") == Spread(75 * TENTH_CENT, 100 * TENTH_CENT, 125 * TENTH_CENT)
  # Tier 4: one ticket's QA, $0.0015, times 1, 1.5 and 2 tickets.
  assert estimate.tier("Tier 4") == Spread(15 * TENTH_CENT, 225 * TENTH_CENT // 10, 30 * TENTH_CENT)
  assert estimate.tier("Tier 2") == Spread()
  assert estimate.total.avg_units == (208 + 100) * TENTH_CENT + 225 * TENTH_CENT // 10
  assert estimate.line() == "estimated $0.0330 (from $0.0151 to $0.0575) from 2 past runs"
  assert estimate.as_dict()["total"]["avg_usd"] == "0.033050000000000"
  assert estimate.as_dict()["tiers"]["Tier 3"]["max"] == 0.042


def test_a_resumed_track_counts_its_tickets_and_no_plan(tmp_path):
 with history_ledger(tmp_path / "ledger.sqlite3") as ledger:
  estimate = estimate_run(run_history(ledger), MODELS, load_price_book(None), tickets=3)
 assert estimate.tier("Tier 1") == Spread() and not estimate.plans
 assert estimate.tier("Tier 3") == Spread(3 * 61 * TENTH_CENT, 3 * 416 * TENTH_CENT // 3, 3 * 210 * TENTH_CENT)


def test_the_most_recent_runs_and_no_history(tmp_path):
 with history_ledger(tmp_path / "ledger.sqlite3") as ledger:
  latest = run_history(ledger, limit=1)
  assert latest.runs == 1 and latest.tickets_per_run == (1,)  # run B
 with Ledger.open(tmp_path / "empty.sqlite3") as empty:
  estimate = estimate_run(run_history(empty), MODELS, load_price_book(None))
 assert not estimate.has_history and estimate.total == Spread()
 assert estimate.line() == "no history: the ledger holds no finished run to estimate from"
 assert estimate.as_dict()["no_history"] is True


def test_an_unpriced_tier_model_is_said_and_counted_as_zero(tmp_path):
 with history_ledger(tmp_path / "ledger.sqlite3") as ledger:
  estimate = estimate_run(run_history(ledger), {**MODELS, "Tier 3": "no-such-model-x"}, load_price_book(None))
 assert estimate.tier("Tier 3") == Spread()
 assert estimate.line().endswith("; unpriced, counted as $0: no-such-model-x")
