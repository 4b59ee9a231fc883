"""Every query against figures computed by hand, and the rollup path against brute-force sums."""

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from ledger_factory import DAY, HOUR, MONDAY, USD, call

from mma_conductor.ledger.periods import parse_when, period_key
from mma_conductor.ledger.queries import (
 CallFilter,
 count_calls,
 iter_calls,
 list_calls,
 period_summary,
 spend_rate,
 summarize,
 today_and_all_time,
 unpriced_models_in_ledger,
)
from mma_conductor.ledger.reports import run_economics, session_breakdown, sessions, top_runs
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.prices import ModelPrice
from mma_conductor.pricing.usage import Usage

CENT = USD // 100
# (seconds after Monday 2026-01-05 00:00 UTC, cost, session, run, tier, agent, provider, model, status, usage)
CALLS = [
 (600, 150 * CENT, "s1", "r1", "Tier 1", "orchestrator", "gemini", "gemini-2.5-pro", "success", Usage(10000, 500)),
 (5400, 25 * CENT, "s1", "r1", "Tier 3", "worker", "anthropic", "claude-haiku-4-5", "success", Usage(2000, 300, 1000)),
 (6300, 75 * CENT, "s1", "r1", "Tier 3", "worker", "openai", "gpt-4o", "failed", Usage(3000, 200)),
 (
  26 * HOUR,
  200 * CENT,
  "s2",
  "r2",
  "Tier 2",
  "tech-lead",
  "anthropic",
  "claude-sonnet-4-5",
  "success",
  Usage(5000, 1000),
 ),
 (27 * HOUR, None, "s2", "r2", "Tier 3", "worker", "other", "mystery-model", "success", Usage(100, 10)),
 (
  7 * DAY + HOUR,
  400 * CENT,
  "s3",
  "r3",
  "Tier 1",
  "orchestrator",
  "gemini",
  "gemini-2.5-pro",
  "success",
  Usage(20000, 800),
 ),
 (27 * DAY, 10 * CENT, "s3", "", "Tier 4", "qa", "openai", "gpt-4o", "blocked", Usage(400, 20)),
]


def us(seconds: float) -> int:
 return round((MONDAY + seconds) * 10**6)


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  opened.record_calls(
   [
    call(
     MONDAY + at, cost, session=s, run=r, tier=t, agent=a, provider=p, model=m, status=st, usage=u, request_id=f"q{i}"
    )
    for i, (at, cost, s, r, t, a, p, m, st, u) in enumerate(CALLS)
   ]
  )
  opened.record_run("r1", "done", goal="first")
  opened.record_run("r2", "error")
  opened.record_run("r3", "done")
  yield opened


def groups(summary):
 return {g.key: (g.cost_units, g.calls) for g in summary.groups}


def test_totals(ledger):
 total = summarize(ledger).total
 assert (total.cost_units, total.calls, total.unpriced_calls) == (860 * CENT, 7, 1)
 assert (total.input_tokens, total.output_tokens, total.cache_read_tokens) == (40500, 2830, 1000)
 assert total.cost_label == "$8.60 + unpriced"


@pytest.mark.parametrize(
 ("by", "expected"),
 [
  ("provider", {"gemini": (550 * CENT, 2), "anthropic": (225 * CENT, 2), "openai": (85 * CENT, 2), "other": (0, 1)}),
  ("tier", {"Tier 1": (550 * CENT, 2), "Tier 2": (200 * CENT, 1), "Tier 3": (100 * CENT, 3), "Tier 4": (10 * CENT, 1)}),
  (
   "agent",
   {"orchestrator": (550 * CENT, 2), "tech-lead": (200 * CENT, 1), "worker": (100 * CENT, 3), "qa": (10 * CENT, 1)},
  ),
  ("status", {"success": (775 * CENT, 5), "failed": (75 * CENT, 1), "blocked": (10 * CENT, 1)}),
  (
   "model",
   {
    "gemini-2.5-pro": (550 * CENT, 2),
    "claude-sonnet-4-5": (200 * CENT, 1),
    "gpt-4o": (85 * CENT, 2),
    "claude-haiku-4-5": (25 * CENT, 1),
    "mystery-model": (0, 1),
   },
  ),
  (
   "day",
   {
    "2026-01-05": (250 * CENT, 3),
    "2026-01-06": (200 * CENT, 2),
    "2026-01-12": (400 * CENT, 1),
    "2026-02-01": (10 * CENT, 1),
   },
  ),
  ("week", {"2026-W02": (450 * CENT, 5), "2026-W03": (400 * CENT, 1), "2026-W05": (10 * CENT, 1)}),
  ("month", {"2026-01": (850 * CENT, 6), "2026-02": (10 * CENT, 1)}),
 ],
)
def test_summaries_by_every_grouping(ledger, by, expected):
 summary = summarize(ledger, by, tz=UTC)
 assert groups(summary) == expected
 keys = [g.key for g in summary.groups]
 assert keys == (sorted(keys) if by in ("day", "week", "month") else keys)
 if by not in ("day", "week", "month"):
  assert [g.cost_units for g in summary.groups] == sorted((g.cost_units for g in summary.groups), reverse=True)


def test_ranges_with_unaligned_edges_and_filters(ledger):
 middle = CallFilter(since_us=us(HOUR + 900), until_us=us(26 * HOUR + 1800))
 assert (summarize(ledger, filt=middle).total.cost_units, summarize(ledger, filt=middle).total.calls) == (300 * CENT, 3)
 assert groups(summarize(ledger, "day", middle, tz=UTC)) == {
  "2026-01-05": (100 * CENT, 2),
  "2026-01-06": (200 * CENT, 1),
 }
 anthropic = CallFilter(provider="anthropic")
 assert summarize(ledger, filt=anthropic).total.cost_units == 225 * CENT
 assert summarize(ledger, filt=CallFilter(session_id="s1", status="failed")).total.cost_units == 75 * CENT
 assert summarize(ledger, filt=CallFilter(run_id="r2")).total.calls == 2
 until_exact = CallFilter(until_us=us(600))  # the end is excluded
 assert summarize(ledger, filt=until_exact).total.calls == 0
 assert summarize(ledger, filt=CallFilter(since_us=us(600))).total.calls == 7


def test_records_with_filters_and_pages(ledger):
 newest = list_calls(ledger, limit=3, offset=2)
 assert [r.request_id for r in newest] == ["q4", "q3", "q2"]
 oldest = list_calls(ledger, limit=2, newest_first=False)
 assert [r.request_id for r in oldest] == ["q0", "q1"]
 (only,) = list_calls(ledger, CallFilter(model="gpt-4o", status="failed"))
 assert (only.request_id, only.cost_units, only.usage) == ("q2", 75 * CENT, Usage(3000, 200))
 assert count_calls(ledger, CallFilter(tier="Tier 3")) == 3
 assert [r.request_id for r in iter_calls(ledger, CallFilter(agent="worker"), chunk=1)] == ["q1", "q2", "q4"]
 with pytest.raises(ValueError):
  list_calls(ledger, limit=-1)


def test_sessions_and_one_session_by_model_and_tier(ledger):
 found = sessions(ledger)
 assert [(s.session_id, s.figures.cost_units, s.figures.calls) for s in found] == [
  ("s3", 410 * CENT, 2),
  ("s2", 200 * CENT, 2),
  ("s1", 250 * CENT, 3),
 ]
 assert [s.session_id for s in sessions(ledger, limit=1, offset=1)] == ["s2"]
 assert [s.session_id for s in sessions(ledger, CallFilter(until_us=us(DAY)))] == ["s1"]
 breakdown = session_breakdown(ledger, "s1")
 assert breakdown.total.cost_units == 250 * CENT
 assert [(f.key, f.cost_units) for f in breakdown.by_model] == [
  ("gemini-2.5-pro", 150 * CENT),
  ("gpt-4o", 75 * CENT),
  ("claude-haiku-4-5", 25 * CENT),
 ]
 assert [(f.key, f.cost_units) for f in breakdown.by_tier] == [("Tier 1", 150 * CENT), ("Tier 3", 100 * CENT)]


def test_runs_top_n_and_cost_per_successful_run(ledger):
 assert [(r.run_id, r.status, r.figures.cost_units) for r in top_runs(ledger, 2)] == [
  ("r3", "done", 400 * CENT),
  ("r1", "done", 250 * CENT),
 ]
 economics = run_economics(ledger)
 assert (economics.runs, economics.successful_runs) == (3, 2)
 assert economics.cost_units == 850 * CENT
 assert economics.cost_per_successful_run_units == 425 * CENT  # (2.50 + 2.00 + 4.00) / 2
 assert economics.mean_successful_run_units == 325 * CENT  # (2.50 + 4.00) / 2
 assert economics.as_dict()["cost_per_successful_run_usd"] == "4.250000000000000"


def test_spend_rate(ledger):
 rate = spend_rate(ledger, CallFilter(since_us=us(0), until_us=us(2 * DAY)))
 assert rate.cost_units == 450 * CENT
 assert rate.units_per_day == 225 * CENT
 assert rate.units_per_hour == 9_375_000_000_000_0  # $0.09375
 open_start = spend_rate(ledger, CallFilter(until_us=us(2 * DAY)))  # starts at the first call, 600 s in
 assert open_start.span_s == 2 * DAY - 600
 # a short span is not extrapolated: the rate divides by at least one day
 short = spend_rate(ledger, CallFilter(since_us=us(0), until_us=us(3600)))
 assert short.span_s == 3600 and short.cost_units > 0
 assert short.units_per_day == short.cost_units and short.units_per_hour == short.cost_units // 24


def test_periods_and_today_and_all_time(ledger):
 now = MONDAY + 27 * HOUR + 60  # Tuesday 03:01 UTC
 periods = period_summary(ledger, now=now, tz=UTC)
 assert periods["today"].cost_units == 200 * CENT and periods["today"].calls == 2
 assert periods["this_week"].cost_units == 450 * CENT
 assert periods["this_month"].cost_units == 850 * CENT
 assert periods["all_time"].cost_units == 860 * CENT
 today, all_time = today_and_all_time(ledger, now=now, tz=UTC)
 assert (today.key, today.cost_units, all_time.cost_units) == ("today", 200 * CENT, 860 * CENT)
 assert all_time.as_dict()["cost_usd"] == "8.600000000000000"


def test_repricing_at_todays_prices(ledger):
 book = PriceBook(
  {
   "gpt-4o": ModelPrice(Decimal("2.5"), Decimal("10"), provider="openai"),
   "mystery-model": ModelPrice(Decimal("1"), Decimal("2"), provider="other"),
  },
  use_dataset=False,
 )
 repriced = summarize(ledger, "model", prices="today", book=book)
 by_model = {g.key: (g.cost_units, g.unpriced_calls) for g in repriced.groups}
 assert by_model["gpt-4o"] == (3000 * 2_500_000_000 + 200 * 10**10 + 400 * 2_500_000_000 + 20 * 10**10, 0)
 assert by_model["mystery-model"] == (100 * 10**9 + 10 * 2 * 10**9, 0)
 assert by_model["gemini-2.5-pro"] == (0, 2)  # no price in this book
 assert repriced.prices == "today"
 recorded = summarize(ledger, "model")
 assert {g.key: g.cost_units for g in recorded.groups}["gpt-4o"] == 85 * CENT
 by_day = summarize(ledger, "day", prices="today", book=book, tz=UTC)
 assert groups(by_day)["2026-02-01"] == (400 * 2_500_000_000 + 20 * 10**10, 1)


def test_repricing_needs_a_price_book(ledger):
 with pytest.raises(ValueError, match="price book"):
  summarize(ledger, "model", prices="today")


def test_unpriced_models_in_the_ledger(ledger):
 assert unpriced_models_in_ledger(ledger) == [("mystery-model", 1)]


def test_a_half_hour_zone_splits_hours_at_midnight_exactly(tmp_path):
 india = timezone(timedelta(hours=5, minutes=30))
 # 18:15 and 18:45 UTC are 23:45 and 00:15 in India: the same UTC hour, two local days; 18:30:01 UTC on
 # Tuesday is 00:00:01 on Wednesday.
 stamps = [MONDAY + 18 * HOUR + 900, MONDAY + 18 * HOUR + 2700, MONDAY + 3 * HOUR, MONDAY + 42 * HOUR + 1801]
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  ledger.record_calls([call(at, (i + 1) * USD) for i, at in enumerate(stamps)])
  by_day = groups(summarize(ledger, "day", tz=india))
 assert by_day == {"2026-01-05": (4 * USD, 2), "2026-01-06": (2 * USD, 1), "2026-01-07": (4 * USD, 1)}


def test_rollups_agree_with_brute_force_sums_for_random_ranges(tmp_path):
 rng = random.Random(20260105)
 zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]
 calls = []
 for i in range(3000):
  at = MONDAY + rng.uniform(0, 40 * DAY)
  cost = None if rng.random() < 0.05 else rng.randrange(0, 3 * USD)
  calls.append(
   call(
    at,
    cost,
    provider=rng.choice(["openai", "gemini", "anthropic"]),
    tier=rng.choice(["Tier 1", "Tier 2", "Tier 3", "Tier 4"]),
    session=f"s{rng.randrange(20)}",
    request_id=f"r{i}",
   )
  )
 with Ledger.open(tmp_path / "ledger.sqlite3", milestones_enabled=False) as ledger:
  for start in range(0, len(calls), 250):
   ledger.record_calls(calls[start : start + 250])
  for _ in range(40):
   since = MONDAY + rng.uniform(-DAY, 41 * DAY)
   until = since + rng.uniform(0, 20 * DAY)
   since_us, until_us = round(since * 10**6), round(until * 10**6)
   inside = [c for c in calls if since_us <= round(c.timestamp * 10**6) < until_us]
   filt = CallFilter(since_us=since_us, until_us=until_us)
   assert summarize(ledger, filt=filt).total.cost_units == sum(c.cost_units or 0 for c in inside)
   assert summarize(ledger, filt=filt).total.unpriced_calls == sum(c.cost_units is None for c in inside)
   expected = costs_by(inside, lambda c: c.provider)
   assert {g.key: g.cost_units for g in summarize(ledger, "provider", filt).groups} == expected
   tz = rng.choice(zones)
   expected = costs_by(inside, day_in(tz))
   assert {g.key: g.cost_units for g in summarize(ledger, "day", filt, tz=tz).groups} == expected


def day_in(tz):
 """The local day of a call in `tz`, computed the plain way."""
 return lambda c: datetime.fromtimestamp(round(c.timestamp * 10**6) // 10**6, tz).strftime("%Y-%m-%d")


def costs_by(calls, key_of):
 """Brute force: the calls' cost summed per key."""
 sums: dict[str, int] = {}
 for c in calls:
  sums[key_of(c)] = sums.get(key_of(c), 0) + (c.cost_units or 0)
 return sums


def test_parse_when():
 assert parse_when("2026-01-05", "--since", tz=UTC) == MONDAY * 10**6
 assert parse_when("2026-01-05", "--until", end=True, tz=UTC) == (MONDAY + DAY) * 10**6
 assert parse_when("2026-01-05T10:00Z", "--since") == (MONDAY + 10 * HOUR) * 10**6
 assert parse_when("2026-01-05T10:00+02:00", "--since") == (MONDAY + 8 * HOUR) * 10**6
 assert parse_when("7d", "--since", now_us=(MONDAY + 7 * DAY + 5) * 10**6, tz=UTC) == MONDAY * 10**6
 assert parse_when("today", "--until", end=True, now_us=(MONDAY + 5) * 10**6, tz=UTC) == (MONDAY + DAY) * 10**6
 for bad in ("2026-13-01", "yesterday-ish", "2026-02-30", ""):
  with pytest.raises(ValueError, match=r"--since: .* is not a date"):
   parse_when(bad, "--since")
 assert period_key(MONDAY * 10**6 - 1, "week", UTC) == "2026-W01"
