"""The Cost Dashboard's figures from a real ledger with known calls, runs and tickets, each checked against a figure
worked out by hand below (costs in whole dollars, so the sums are easy to follow)."""

from datetime import UTC, timedelta, timezone
from fractions import Fraction

import pytest
from ledger_factory import DAY, HOUR, MONDAY, USD, call

from mma_conductor.ledger.dashboard import (
 SESSION_SORTS,
 DashboardQuery,
 ModelShare,
 RunLine,
 SessionRow,
 TicketLine,
 dashboard_data,
 range_query,
 run_tickets,
 session_lines,
 sessions_page,
)
from mma_conductor.ledger.store import Ledger, TicketOutcome
from mma_conductor.pricing.usage import Usage

M = 60
US = 1_000_000
NOW = MONDAY + 3 * DAY
GPT, MINI, HAIKU, SONNET, PRO = "gpt-4o", "gpt-4o-mini", "claude-haiku-4-5", "claude-sonnet-4-5", "gemini-2.5-pro"


def _calls():
 r1 = {"session": "s1", "run": "r1"}
 r2 = {"session": "s2", "run": "r2"}
 s3 = {"session": "s3", "run": "", "ticket": "", "tier": "Tier 2", "provider": "anthropic", "model": SONNET}
 return [
  call(MONDAY + HOUR + 10 * M, 2 * USD, **r1, tier="Tier 1", provider="gemini", model=PRO, ticket=""),
  call(
   MONDAY + HOUR + 20 * M, 3 * USD, **r1, tier="Tier 3", model=GPT, ticket="T1", usage=Usage(5000, 500, 2000, 1000)
  ),
  call(MONDAY + HOUR + 30 * M, 1 * USD, **r1, tier="Tier 4", model=MINI, ticket="T1"),
  call(MONDAY + 2 * HOUR + 5 * M, 4 * USD, **r1, tier="Tier 3", provider="anthropic", model=HAIKU, ticket="T2"),
  call(MONDAY + 2 * HOUR + 6 * M, 1 * USD, **r1, tier="Tier 4", model=MINI, ticket="T2"),
  call(MONDAY + DAY + 3 * HOUR, 1 * USD, **r2, tier="Tier 1", provider="gemini", model=PRO, ticket=""),
  call(MONDAY + DAY + 3 * HOUR + 10 * M, 6 * USD, **r2, tier="Tier 3", model=GPT, ticket="T1"),
  call(MONDAY + DAY + 3 * HOUR + 20 * M, 2 * USD, **r2, tier="Tier 3", model=GPT, ticket="T1", status="failed"),
  call(MONDAY + 2 * DAY + 10 * HOUR, 5 * USD, **s3),
  call(MONDAY + 2 * DAY + 10 * HOUR + M, None, **s3),
 ]


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  opened.record_calls(_calls())
  opened.record_run("r1", "done", goal="Build A", started_at=MONDAY + HOUR)
  opened.record_run("r2", "blocked", goal="Build B", started_at=MONDAY + DAY + 3 * HOUR)
  opened.record_tickets(
   [
    TicketOutcome("r1", "T1", "done", "Parser", 1, GPT, (GPT,), MONDAY + 2 * HOUR),
    TicketOutcome("r1", "T2", "blocked", "Lexer", 3, HAIKU, (GPT, HAIKU), MONDAY + 3 * HOUR),
    TicketOutcome("r1", "T3", "todo", "Docs", 0, "", (), MONDAY + 3 * HOUR),
    TicketOutcome("r2", "T1", "done", "Counter", 2, GPT, (GPT,), MONDAY + DAY + 4 * HOUR),
   ]
  )
  yield opened


def _us(seconds: int) -> int:
 return seconds * US


def _rate(dollars: int, span_s: int) -> int:
 return round(Fraction(dollars * USD * 3600, span_s))  # half to even, as the ledger rounds


def test_all_time_cards(ledger):
 data = dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC)
 cards = data.cards
 # 2+3+1+4+1 (r1) + 1+6+2 (r2) + 5 (s3, one more call unpriced) = $25 in 10 calls.
 assert (cards.spent_units, cards.calls, cards.unpriced_calls) == (25 * USD, 10, 1)
 assert (cards.runs, cards.avg_per_run_units) == (2, 25 * USD // 2)
 # From the first call (Monday 01:10) to now (Thursday 00:00): 70 h 50 min.
 assert cards.spend_rate_units_per_hour == _rate(25, 3 * DAY - HOUR - 10 * M)
 assert (cards.input_tokens, cards.output_tokens) == (9 * 1000 + 5000, 9 * 100 + 500)
 assert (cards.cache_read_tokens, cards.cache_write_tokens) == (2000, 1000)
 assert (cards.top_tier, cards.top_tier_units) == ("Tier 3", 15 * USD)  # 3 + 4 + 6 + 2
 assert data.sessions == 3


def test_all_time_trend_is_per_day_stacked_by_provider(ledger):
 trend = dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC).trend
 assert trend.bucket == "day"
 assert trend.starts_us == (_us(MONDAY), _us(MONDAY + DAY), _us(MONDAY + 2 * DAY))
 assert trend.by_provider == {
  "openai": (5 * USD, 8 * USD, 0),
  "anthropic": (4 * USD, 0, 5 * USD),
  "gemini": (2 * USD, 1 * USD, 0),
 }


def test_all_time_providers_and_models_with_shares(ledger):
 data = dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC)
 assert data.providers == (
  ModelShare("openai", "", 13 * USD, 13 / 25, 5, 4000 + 5000, 400 + 500, 2000),
  ModelShare("anthropic", "", 9 * USD, 9 / 25, 3, 3000, 300, 0),
  ModelShare("gemini", "", 3 * USD, 3 / 25, 2, 2000, 200, 0),
 )
 assert [(m.provider, m.model, m.cost_units, m.calls) for m in data.models] == [
  ("openai", GPT, 11 * USD, 3),
  ("openai", MINI, 2 * USD, 2),
  ("anthropic", SONNET, 5 * USD, 2),
  ("anthropic", HAIKU, 4 * USD, 1),
  ("gemini", PRO, 3 * USD, 2),
 ]
 assert data.models[0].share == 11 / 25


def test_all_time_tier_analysis(ledger):
 tiers = {t.tier: t for t in dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC).tiers}
 assert list(tiers) == ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
 one, two, three, four = tiers.values()
 # Tier 1: the plans of r1 ($2) and r2 ($1), one "ticket" per run, with no outcome of their own.
 assert (one.cost_units, one.share, one.tickets, one.avg_per_ticket_units) == (3 * USD, 3 / 25, 2, 3 * USD // 2)
 assert (one.main_provider, one.main_model, one.done_tickets, one.failed_tickets) == ("gemini", PRO, 0, 0)
 # Tier 2: $5 in a session without a run or ticket: cost, but no ticket.
 assert (two.cost_units, two.tickets, two.avg_per_ticket_units, two.main_model) == (5 * USD, 0, 0, SONNET)
 # Tier 3: r1/T1 $3 (done), r1/T2 $4 (blocked), r2/T1 $6 + $2 retry (done).
 assert (three.cost_units, three.share, three.tickets, three.avg_per_ticket_units) == (15 * USD, 15 / 25, 3, 5 * USD)
 assert (three.main_provider, three.main_model) == ("openai", GPT)
 assert (three.done_tickets, three.cost_per_done_units) == (2, (3 + 8) * USD // 2)
 assert (three.failed_tickets, three.cost_per_failed_units) == (1, 4 * USD)
 # Tier 4: QA of r1/T1 $1 (done) and r1/T2 $1 (blocked).
 assert (four.cost_units, four.tickets, four.done_tickets, four.failed_tickets) == (2 * USD, 2, 1, 1)
 assert (four.cost_per_done_units, four.cost_per_failed_units, four.main_model) == (USD, USD, MINI)


def test_all_time_top_runs(ledger):
 top = dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC).top_runs
 assert top == (
  RunLine("r1", "Build A", "done", 11 * USD, 5, _us(MONDAY + HOUR + 10 * M), _us(MONDAY + 2 * HOUR + 6 * M)),
  RunLine("r2", "Build B", "blocked", 9 * USD, 3, _us(MONDAY + DAY + 3 * HOUR), _us(MONDAY + DAY + 3 * HOUR + 20 * M)),
 )


# Monday 01:25 to Tuesday 03:15: the range cuts run r1 / session s1 (begun before) and r2 / s2 (going on after).
CUT = DashboardQuery(_us(MONDAY + HOUR + 25 * M), _us(MONDAY + DAY + 3 * HOUR + 15 * M))


def test_a_range_that_cuts_runs_and_sessions(ledger):
 data = dashboard_data(ledger, CUT, tz=UTC)
 # In it: $1 + $4 + $1 of r1, $1 + $6 of r2.
 assert (data.cards.spent_units, data.cards.calls, data.cards.runs, data.sessions) == (13 * USD, 5, 2, 2)
 assert data.cards.spend_rate_units_per_hour == _rate(13, DAY + HOUR + 50 * M)
 # 25 h 50 min: per hour, from 01:00 to Tuesday 03:00, 27 buckets.
 assert data.trend.bucket == "hour"
 assert data.trend.starts_us == tuple(_us(MONDAY + HOUR + i * HOUR) for i in range(27))
 openai, anthropic, gemini = [0] * 27, [0] * 27, [0] * 27
 openai[0], openai[1], openai[26] = USD, USD, 6 * USD
 anthropic[1], gemini[26] = 4 * USD, USD
 assert data.trend.by_provider == {"openai": tuple(openai), "anthropic": tuple(anthropic), "gemini": tuple(gemini)}
 assert [(r.run_id, r.cost_units, r.calls) for r in data.top_runs] == [("r2", 7 * USD, 2), ("r1", 6 * USD, 3)]
 assert data.top_runs[1].first_us == _us(MONDAY + HOUR + 30 * M)  # its first call in the range
 three = data.tiers[2]
 assert (three.tickets, three.done_tickets, three.cost_per_done_units, three.cost_per_failed_units) == (
  2,
  1,
  6 * USD,
  4 * USD,
 )


def test_filters(ledger):
 def spent(**filters):
  data = dashboard_data(ledger, range_query("all", _us(NOW), UTC, **filters), tz=UTC)
  return data.cards.spent_units // USD, data.cards.calls, data.cards.runs, data.sessions

 assert spent(provider="openai") == (13, 5, 2, 2)
 assert spent(model=MINI) == (2, 2, 1, 1)
 assert spent(tier="Tier 3") == (15, 4, 2, 2)
 assert spent(run_id="r2") == (9, 3, 1, 1)
 assert spent(provider="anthropic", tier="Tier 2") == (5, 2, 0, 1)
 assert spent(provider="nobody") == (0, 0, 0, 0)
 openai = dashboard_data(ledger, range_query("all", _us(NOW), UTC, provider="openai"), tz=UTC)
 assert [(p.provider, p.share) for p in openai.providers] == [("openai", 1.0)]
 assert list(openai.trend.by_provider) == ["openai"]
 assert [(r.run_id, r.cost_units) for r in openai.top_runs] == [("r2", 8 * USD), ("r1", 5 * USD)]
 three = openai.tiers[2]  # only r1/T1 ($3, done) and r2/T1 ($8, done) are openai's
 assert (three.cost_units, three.tickets, three.done_tickets, three.failed_tickets) == (11 * USD, 2, 2, 0)
 run = dashboard_data(ledger, range_query("all", _us(NOW), UTC, run_id="r2"), tz=UTC)
 assert run.trend.bucket == "hour"  # r2's calls span 20 minutes
 assert run.tiers[2].cost_per_done_units == 8 * USD


def test_ranges_by_name():
 now = _us(MONDAY + 10 * DAY + 5 * HOUR)  # Thursday 15 January 05:00 UTC
 assert range_query("1h", now) == DashboardQuery(now - _us(HOUR), now)
 assert range_query("24h", now, provider="openai") == DashboardQuery(now - _us(DAY), now, provider="openai")
 assert range_query("7d", now).since_us == now - _us(7 * DAY)
 assert range_query("30d", now).since_us == now - _us(30 * DAY)
 assert range_query("month", now, UTC) == DashboardQuery(_us(MONDAY - 4 * DAY), now)  # 1 January
 east = timezone(timedelta(hours=10))
 assert range_query("month", now, east).since_us == _us(MONDAY - 4 * DAY - 10 * HOUR)
 assert range_query("all", now, tier="") == DashboardQuery(None, now)
 assert range_query("custom", now, None, 5, 9) == DashboardQuery(5, 9)
 with pytest.raises(ValueError, match="unknown range"):
  range_query("week", now)


def test_an_empty_range(ledger):
 data = dashboard_data(ledger, DashboardQuery(_us(MONDAY - DAY), _us(MONDAY)), tz=UTC)
 assert (data.cards.spent_units, data.cards.runs, data.sessions, data.top_runs, data.providers) == (0, 0, 0, (), ())
 assert len(data.trend.starts_us) == 24 and data.trend.by_provider == {}
 assert [t.tier for t in data.tiers] == ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
 empty = dashboard_data(ledger, DashboardQuery(provider="nobody"), tz=UTC)
 assert (empty.cards.calls, empty.trend.starts_us) == (0, ())


INDIA = timezone(timedelta(hours=5, minutes=30))  # local midnight and hours fall at :30 UTC


def test_buckets_in_a_zone_whose_hours_are_not_utc_hours(tmp_path):
 with Ledger.open(tmp_path / "l.sqlite3") as ledger:
  ledger.record_calls(
   [
    call(MONDAY + 18 * HOUR + 10 * M, USD),  # 23:40 on Monday in India
    call(MONDAY + 18 * HOUR + 40 * M, 2 * USD),  # 00:10 on Tuesday
    call(MONDAY + 20 * HOUR, 4 * USD),
   ]
  )
  days = dashboard_data(ledger, DashboardQuery(_us(MONDAY), _us(MONDAY + 3 * DAY)), tz=INDIA).trend
  hours = dashboard_data(ledger, DashboardQuery(_us(MONDAY + 18 * HOUR), _us(MONDAY + 22 * HOUR)), tz=INDIA).trend
 midnight = MONDAY - 5 * HOUR - 30 * M  # Monday 00:00 in India
 assert days.starts_us == tuple(_us(midnight + i * DAY) for i in range(4))
 assert days.by_provider == {"openai": (USD, 6 * USD, 0, 0)}
 assert hours.starts_us == tuple(_us(MONDAY + 17 * HOUR + 30 * M + i * HOUR) for i in range(5))
 assert hours.by_provider == {"openai": (USD, 2 * USD, 4 * USD, 0, 0)}


# The sessions table over all time: s1 $11 5 calls, s2 $9 3 calls, s3 $5 2 calls.
S1 = SessionRow("s1", _us(MONDAY + HOUR + 10 * M), _us(MONDAY + 2 * HOUR + 6 * M), 11 * USD, 5, 9000, 900, 3000, 1)
S2 = SessionRow("s2", _us(MONDAY + DAY + 3 * HOUR), _us(MONDAY + DAY + 3 * HOUR + 20 * M), 9 * USD, 3, 3000, 300, 0, 1)
S3 = SessionRow(
 "s3", _us(MONDAY + 2 * DAY + 10 * HOUR), _us(MONDAY + 2 * DAY + 10 * HOUR + M), 5 * USD, 2, 2000, 200, 0, 0
)
# Ascending order per sort key; ties (cache: s2 = s3 = 0; runs: s1 = s2 = 1) by session id in both directions.
ASCENDING = {
 "last": ["s1", "s2", "s3"],
 "first": ["s1", "s2", "s3"],
 "cost": ["s3", "s2", "s1"],
 "calls": ["s3", "s2", "s1"],
 "input": ["s3", "s2", "s1"],
 "output": ["s3", "s2", "s1"],
 "cache": ["s2", "s3", "s1"],
 "runs": ["s3", "s1", "s2"],
 "session": ["s1", "s2", "s3"],
}
DESCENDING = {**{k: v[::-1] for k, v in ASCENDING.items()}, "cache": ["s1", "s2", "s3"], "runs": ["s1", "s2", "s3"]}


@pytest.mark.parametrize("sort", SESSION_SORTS)
def test_the_sessions_table_sorts_by_every_column(ledger, sort):
 query = range_query("all", _us(NOW), UTC)
 up = sessions_page(ledger, query, sort=sort, descending=False)
 down = sessions_page(ledger, query, sort=sort, descending=True)
 assert [r.session_id for r in up.rows] == ASCENDING[sort]
 assert [r.session_id for r in down.rows] == DESCENDING[sort]
 assert up.total == down.total == 3


def test_a_sessions_page_holds_the_figures_within_range_and_filters(ledger):
 query = range_query("all", _us(NOW), UTC)
 assert sessions_page(ledger, query, sort="session", descending=False).rows == (S1, S2, S3)
 page = sessions_page(ledger, query, sort="cost", offset=1, limit=1)
 assert (page.total, page.offset, page.rows) == (3, 1, (S2,))
 cut = sessions_page(ledger, CUT, sort="session", descending=False)
 assert [(r.session_id, r.cost_units, r.calls, r.runs) for r in cut.rows] == [
  ("s1", 6 * USD, 3, 1),
  ("s2", 7 * USD, 2, 1),
 ]
 openai = sessions_page(ledger, range_query("all", _us(NOW), UTC, provider="openai"), sort="cost")
 assert [(r.session_id, r.cost_units, r.calls, r.runs) for r in openai.rows] == [
  ("s2", 8 * USD, 2, 1),
  ("s1", 5 * USD, 3, 1),
 ]
 with pytest.raises(ValueError, match="unknown sort"):
  sessions_page(ledger, query, sort="price")


def test_a_sessions_expanded_lines(ledger):
 lines = session_lines(ledger, "s1")
 assert [(m.provider, m.model, m.cost_units, m.calls) for m in lines.by_model] == [
  ("anthropic", HAIKU, 4 * USD, 1),
  ("openai", GPT, 3 * USD, 1),
  ("openai", MINI, 2 * USD, 2),  # as dear as the plan, in more calls
  ("gemini", PRO, 2 * USD, 1),
 ]
 assert lines.by_model[0].share == 4 / 11
 assert lines.by_tier == (("Tier 1", 2 * USD, 1), ("Tier 3", 7 * USD, 2), ("Tier 4", 2 * USD, 2))
 assert lines.run_ids == ("r1",)
 assert session_lines(ledger, "s3").run_ids == ()


def test_a_runs_tickets(ledger):
 assert run_tickets(ledger, "r1") == (
  TicketLine("", "", "", 0, "", 2 * USD, 1),
  TicketLine("T1", "Parser", "done", 1, GPT, 4 * USD, 2),
  TicketLine("T2", "Lexer", "blocked", 3, HAIKU, 5 * USD, 2),
  TicketLine("T3", "Docs", "todo", 0, "", 0, 0),
 )
 assert run_tickets(ledger, "nobody") == ()


def _tier_three(ledger, query=None):
 query = query or range_query("all", _us(NOW), UTC)
 three = dashboard_data(ledger, query, tz=UTC).tiers[2]
 return three.tickets, three.done_tickets, three.cost_per_done_units, three.failed_tickets, three.cost_per_failed_units


def test_a_tickets_outcome_may_come_before_after_and_between_its_calls(tmp_path):
 with Ledger.open(tmp_path / "l.sqlite3") as ledger:
  ledger.record_tickets([TicketOutcome("r9", "T1", "in_progress")])
  ledger.record_calls([call(MONDAY + HOUR, 2 * USD, run="r9", ticket="T1")])
  ledger.record_tickets([TicketOutcome("r9", "T1", "done")])
  assert _tier_three(ledger) == (1, 1, 2 * USD, 0, 0)
  ledger.record_calls([call(MONDAY + 2 * HOUR, 3 * USD, run="r9", ticket="T1")])  # QA reopened it: one ticket still
  assert _tier_three(ledger) == (1, 1, 5 * USD, 0, 0)
  ledger.record_tickets([TicketOutcome("r9", "T1", "blocked"), TicketOutcome("r9", "T2", "done")])
  assert _tier_three(ledger) == (1, 0, 0, 1, 5 * USD)
  # The same from the calls (a range that cuts the run reads them), and with a filter that the rollup cannot answer.
  cut = DashboardQuery(_us(MONDAY + HOUR), _us(MONDAY + 2 * HOUR + 1))
  assert _tier_three(ledger, cut) == (1, 0, 0, 1, 5 * USD)
  assert _tier_three(ledger, range_query("all", _us(NOW), UTC, provider="openai")) == (1, 0, 0, 1, 5 * USD)


def test_a_version_7_ledger_gains_the_ticket_rollups(tmp_path):
 import sqlite3

 from mma_conductor.ledger.schema import SCHEMA_VERSION

 path = tmp_path / "v7.sqlite3"
 with Ledger.open(path) as ledger:
  ledger.record_calls(_calls())
  ledger.record_tickets([TicketOutcome("r1", "T1", "done"), TicketOutcome("r1", "T2", "blocked")])
  ledger.record_tickets([TicketOutcome("r2", "T1", "done")])
  expected = dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC).tiers
 conn = sqlite3.connect(path, isolation_level=None)
 conn.execute("DROP TABLE ticket_costs")
 conn.execute("DROP TABLE tier_outcomes")
 conn.execute("DROP TABLE tier_outcome_totals")
 conn.execute("PRAGMA user_version = 7")
 conn.close()
 with Ledger.open(path) as ledger:
  assert ledger.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
  assert dashboard_data(ledger, range_query("all", _us(NOW), UTC), tz=UTC).tiers == expected
  assert _tier_three(ledger) == (3, 2, 11 * USD // 2, 1, 4 * USD)


def test_the_range_exports_hold_the_range_and_filters_shown(ledger, tmp_path):
 import csv
 import json

 from pypdf import PdfReader

 from mma_conductor.ledger.dashboard_export import export_range
 from mma_conductor.ledger.errors import ExportError

 openai = range_query("all", _us(NOW), UTC, provider="openai")
 assert export_range(ledger, openai, "csv", tmp_path / "range.csv") == 5
 rows = list(csv.DictReader((tmp_path / "range.csv").open(newline="")))
 assert {r["provider"] for r in rows} == {"openai"} and len(rows) == 5
 assert export_range(ledger, CUT, "json", tmp_path / "range.jsonl") == 5  # c3 .. c7
 lines = [json.loads(line) for line in (tmp_path / "range.jsonl").read_text().splitlines()]
 assert sorted(line["cost_usd"] for line in lines) == sorted(f"{d}.000000000000000" for d in (1, 4, 1, 1, 6))
 assert export_range(ledger, range_query("all", _us(NOW), UTC), "pdf", tmp_path / "d.pdf", tz=UTC, now=NOW) == 10
 flat = " ".join(" ".join(page.extract_text() for page in PdfReader(tmp_path / "d.pdf").pages).split())
 assert "Cost dashboard" in flat and "to 08 Jan 2026 00:00" in flat
 assert "$25.00" in flat and "10 calls, 1 unpriced" in flat and "3 sessions" in flat  # cards
 assert "$12.50" in flat and "Tier 3" in flat and "$15.00" in flat  # average per run, top tier
 assert "Cost per day, by provider" in flat and "05 Jan" in flat
 for name in ("OpenAI", "Anthropic", "Gemini", "gpt-4o (openai)", "claude-sonnet-4-5 (anthropic)"):
  assert name in flat
 assert "2 x $5.50" in flat and "1 x $4.00" in flat  # Tier 3's done and failed tickets
 assert "Build A" in flat and "Build B" in flat and "blocked" in flat  # the costliest runs
 export_range(ledger, openai, "pdf", tmp_path / "openai.pdf", tz=UTC, now=NOW)
 assert "provider openai" in " ".join(PdfReader(tmp_path / "openai.pdf").pages[0].extract_text().split())
 with pytest.raises(ExportError, match="unknown export format"):
  export_range(ledger, openai, "xlsx", tmp_path / "x.xlsx")


def test_runs_per_session_when_sessions_overlap(tmp_path):
 # Two app windows at once: session "a" spans both of "b"'s runs' first calls.
 with Ledger.open(tmp_path / "l.sqlite3") as ledger:
  ledger.record_calls(
   [
    call(MONDAY, USD, session="a", run="ra"),
    call(MONDAY + 5 * M, USD, session="b", run="rb1"),
    call(MONDAY + 7 * M, USD, session="a", run="ra2"),  # begun inside b's span: still a's
    call(MONDAY + 8 * M, USD, session="b", run="rb2"),
    call(MONDAY + 10 * M, USD, session="a", run="ra"),
    call(MONDAY + 20 * M, USD, session="c", run="rc"),
   ]
  )
  rows = sessions_page(ledger, DashboardQuery(_us(MONDAY), _us(MONDAY + HOUR)), sort="session", descending=False).rows
 assert [(r.session_id, r.runs) for r in rows] == [("a", 2), ("b", 2), ("c", 1)]
