"""Insights (issue 13, points 9-11) on a ledger whose right answers are worked out by hand below: Tier 3 ran on
claude-sonnet-4-5; its volumes on gemini-2.5-flash, gpt-4o-mini and deepseek-chat are priced from the list prices
written here, not from the price table."""

from decimal import Decimal

import pytest

from mma_conductor.ledger.dashboard import DashboardQuery
from mma_conductor.ledger.insights import insights, insights_json
from mma_conductor.ledger.store import Ledger, LedgerCall, TicketOutcome
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.usage import Usage

MONDAY = 1_767_571_200  # 2026-01-05 00:00 UTC
HOUR, DAY = 3600, 86_400
SINCE_US, UNTIL_US = MONDAY * 10**6, (MONDAY + 15 * DAY) * 10**6  # 15 days: a month is twice the range


def usd(text: str) -> int:
 return int(Decimal(text) * 10**15)


# One Tier 3 call: 100k prompt (40k read from cache, 10k written to it), 10k output. Per 1M tokens:
#   claude-sonnet-4-5: input 3, output 15, cache read 0.30, write 3.75 -> 50k*3 + 40k*0.3 + 10k*3.75 + 10k*15
SONNET_CALL = usd("0.15") + usd("0.012") + usd("0.0375") + usd("0.15")  # $0.3495
#   gemini-2.5-flash: input 0.30, output 2.50, cache read 0.03, writes at the input rate
FLASH_CALL = usd("0.015") + usd("0.0012") + usd("0.003") + usd("0.025")  # $0.0442
#   gpt-4o-mini: input 0.15, output 0.60, cache read 0.075, writes at the input rate
MINI_CALL = usd("0.0075") + usd("0.003") + usd("0.0015") + usd("0.006")  # $0.018
#   deepseek-chat: input 0.28, output 0.42, cache read 0.028, writes at the input rate
DEEPSEEK_CALL = usd("0.014") + usd("0.00112") + usd("0.0028") + usd("0.0042")  # $0.02212
WORKER_USAGE = Usage(100_000, 10_000, 40_000, 10_000)
# Tier 1: one 250k prompt on gemini-2.5-pro, above its 200k threshold: input 2.50, output 15 (base 1.25, 10).
LONG_CALL = usd("0.625") + usd("0.03")
LONG_BASE = usd("0.3125") + usd("0.02")
FAILED_CALL = usd("0.0015")  # Tier 2, failed but billed: 10k input on gpt-4o-mini
RETRIED_CALL = usd("0.003") + usd("0.0006")  # Tier 2, 2 attempts: 20k input, 1k output on gpt-4o-mini
# Tier 3 recorded: 10 calls on sonnet, 10 on flash, 5 on gpt-4o-mini (the history of the other models)
TIER3 = 10 * SONNET_CALL + 10 * FLASH_CALL + 5 * MINI_CALL  # $4.027

TIER_MODELS = {
 "Tier 1": ("gemini", "gemini-2.5-pro"),
 "Tier 2": ("openai", "gpt-4o-mini"),
 "Tier 3": ("anthropic", "claude-sonnet-4-5"),
 "Tier 4": ("local", "my-local-model"),
}
PROVIDERS = {"claude": "anthropic", "gemini": "gemini", "gpt": "openai"}
CANDIDATES = [
 ("gemini", "gemini-2.5-flash"),
 ("openai", "gpt-4o-mini"),
 ("deepseek", "deepseek-chat"),
 ("anthropic", "claude-sonnet-4-5"),
 ("nobody", "no-such-model"),
]


def _call(n: int, tier: str, model: str, usage: Usage, cost: int | None, **fields) -> LedgerCall:
 fields.setdefault("run_id", "r1")
 fields.setdefault("ticket_id", f"T{n}")
 return LedgerCall(
  timestamp=MONDAY + n * HOUR,
  session_id="s1",
  tier=tier,
  agent=tier.lower(),
  provider=PROVIDERS.get(model.split("-")[0], "local"),
  model=model,
  usage=usage,
  cost_units=cost,
  request_id=f"q{n}-{tier}",
  **fields,
 )


def build(path) -> Ledger:
 ledger = Ledger.open(path)
 calls, tickets = [], []
 worker_runs = (("claude-sonnet-4-5", SONNET_CALL, 10, 9, "r1"), ("gemini-2.5-flash", FLASH_CALL, 10, 10, "r2"))
 for model, cost, count, done, run in (*worker_runs, ("gpt-4o-mini", MINI_CALL, 5, 2, "r3")):
  for i in range(count):
   n = len(calls)
   calls.append(_call(n, "Tier 3", model, WORKER_USAGE, cost, run_id=run))
   tickets.append(TicketOutcome(run, f"T{n}", "done" if i < done else "blocked", model=model, at=MONDAY + n))
 calls += [
  _call(40, "Tier 1", "gemini-2.5-pro", Usage(250_000, 2_000), LONG_CALL, ticket_id=""),
  _call(41, "Tier 2", "gpt-4o-mini", Usage(10_000, 0), FAILED_CALL, status="failed", ticket_id="T0"),
  _call(42, "Tier 2", "gpt-4o-mini", Usage(20_000, 1_000), RETRIED_CALL, attempts=2, ticket_id="T1"),
  _call(43, "Tier 4", "my-local-model", Usage(1_000, 100), None, ticket_id="T2"),
 ]
 ledger.record_calls(calls)
 ledger.record_tickets(tickets)
 return ledger


@pytest.fixture
def found(tmp_path):
 with build(tmp_path / "l.sqlite3") as ledger:
  yield insights(
   ledger, DashboardQuery(SINCE_US, UNTIL_US), PriceBook(), TIER_MODELS, CANDIDATES, now_us=UNTIL_US + 10**9
  )


def test_tier3_alternatives_match_the_hand_computation(found):
 tier3 = [a for a in found.alternatives if a.tier == "Tier 3"]
 by_model = {a.model: a for a in tier3}
 assert list(by_model) == ["gpt-4o-mini", "deepseek-chat", "gemini-2.5-flash"]  # best saving first; no current
 flash = by_model["gemini-2.5-flash"]
 assert (flash.current_provider, flash.current_model, flash.provider) == ("anthropic", "claude-sonnet-4-5", "gemini")
 assert flash.recorded_units == TIER3 == usd("4.027")
 assert flash.would_cost_units == 25 * FLASH_CALL
 assert flash.saving_units == TIER3 - 25 * FLASH_CALL == usd("2.922")
 assert flash.saving_per_month_units == 2 * flash.saving_units  # 15 days of data: a month is twice
 assert flash.saving_pct == pytest.approx(2.922 / 4.027 * 100)
 assert (flash.success_current, flash.success_model) == (0.9, 1.0)
 assert flash.recommended and flash.note == "better (100% vs 90%)"
 mini = by_model["gpt-4o-mini"]
 assert mini.saving_units == TIER3 - 25 * MINI_CALL  # the biggest saving, but it failed more
 assert not mini.recommended and mini.note == "fails more (40% vs 90%)"
 deepseek = by_model["deepseek-chat"]
 assert deepseek.saving_units == TIER3 - 25 * DEEPSEEK_CALL
 assert not deepseek.recommended and deepseek.note == "no history" and deepseek.success_model is None
 assert [a.model for a in found.alternatives if a.recommended] == ["gemini-2.5-flash"]


def test_the_long_context_call_is_priced_at_its_tier_on_a_candidate(found):
 # Tier 1's 250k prompt on claude-sonnet-4-5 pays its >200k rates: input 6, output 22.50 per 1M.
 sonnet = next(a for a in found.alternatives if a.tier == "Tier 1" and a.model == "claude-sonnet-4-5")
 assert sonnet.would_cost_units == usd("1.5") + usd("0.045")
 assert sonnet.saving_units == LONG_CALL - sonnet.would_cost_units < 0
 assert not sonnet.recommended


def test_findings_say_shares_cache_unpriced_long_context_and_retries(found):
 texts = {f.kind: [] for f in found.findings}
 for f in found.findings:
  texts[f.kind].append((f.text, f.units))
 total = TIER3 + LONG_CALL + FAILED_CALL + RETRIED_CALL  # $4.6871
 assert texts["tier_share"][:2] == [
  ("Tier 3 is 86% of spend ($4.03)", TIER3),
  ("Tier 1 is 14% of spend ($0.6550)", LONG_CALL),
 ]
 assert round(TIER3 / total * 100) == 86
 # Caching: half of the input that missed the cache (prompt - read - written) at (input - cache read) rate.
 missed = (
  10 * 50_000 * (usd("3") - usd("0.3"))
  + 10 * 50_000 * (usd("0.30") - usd("0.03"))
  + 5 * 50_000 * (usd("0.15") - usd("0.075"))
  + 250_000 * (usd("2.50") - usd("0.25"))
  + 30_000 * (usd("0.15") - usd("0.075"))
 ) // 10**6
 assert missed // 2 == usd("1.03425")
 [(cache_text, cache_units)] = texts["cache"]
 assert cache_units == usd("1.03425")
 assert cache_text.startswith("cache hit rate 36% (1,000,000 of 2,781,000 input tokens read from cache); if 1/2")
 assert texts["unpriced"] == [("1 unpriced calls (not in any total): my-local-model (1 call)", 0)]
 assert texts["long_context"] == [
  ("1 call hit the >200k long-context tier: $0.3225 more than at the base rates", LONG_CALL - LONG_BASE)
 ]
 assert texts["retries"] == [
  ("1 failed calls were billed: $0.0015; 1 calls took more than one attempt: $0.0036", FAILED_CALL + RETRIED_CALL)
 ]


def test_json_has_exact_money_and_an_empty_range_has_nothing(found, tmp_path):
 payload = insights_json(found)
 flash = next(a for a in payload["alternatives"] if a["tier"] == "Tier 3" and a["model"] == "gemini-2.5-flash")
 assert flash["saving_usd"] == "2.922000000000000" and flash["saving_per_month_usd"] == "5.844000000000000"
 assert flash["recommended"] is True and flash["current"] == {"provider": "anthropic", "model": "claude-sonnet-4-5"}
 with Ledger.open(tmp_path / "empty.sqlite3") as ledger:
  empty = insights(ledger, DashboardQuery(), PriceBook(), TIER_MODELS, CANDIDATES)
 assert empty.alternatives == () and empty.findings == ()
