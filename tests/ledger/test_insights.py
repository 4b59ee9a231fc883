"""Insights (issue 13, points 9-11) on a ledger whose right answers are worked out by hand below: Tier 3 ran on
claude-sonnet-4-5; its volumes on gemini-2.5-flash, gpt-4o-mini and deepseek-chat are priced from the list prices
written here, not from the price table."""

import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from mma_conductor.cli import main
from mma_conductor.ledger.api import start_local_api
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


PROJECT_TOML = """# my project
[tiers.tier3]
provider = "anthropic"
model = "claude-sonnet-4-5"
escalation = ["claude-opus-4-5"]

[tiers.tier2]
provider = "openai"
model = "gpt-4o-mini"

[ledger]
path = "l.sqlite3"
"""
RANGE = ["--since", "2026-01-05", "--until", "2026-01-19", "--utc"]  # the 19th included: 15 days


@pytest.fixture
def project(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text(PROJECT_TOML)
 build(tmp_path / "l.sqlite3").close()
 return tmp_path


def optimize(capsys, project, *args):
 code = main(["--project", str(project), "costs", "optimize", *args])
 out = capsys.readouterr()
 return code, out.out, out.err


def test_costs_optimize_compares_the_configured_and_named_models(capsys, project):
 code, out, err = optimize(capsys, project, *RANGE, "--candidates", "gemini-2.5-flash, deepseek-chat", "--json")
 assert (code, err) == (0, "")
 payload = json.loads(out)
 tier3 = [a for a in payload["alternatives"] if a["tier"] == "Tier 3"]
 # claude-opus-4-5 (the escalation ladder) and gpt-4o-mini (Tier 2's model) come from the project file.
 assert [a["model"] for a in tier3] == ["gpt-4o-mini", "deepseek-chat", "gemini-2.5-flash", "claude-opus-4-5"]
 flash = tier3[2]
 assert flash["saving_per_month_usd"] == "5.844000000000000" and flash["recommended"] is True
 # Tier 1 is not configured: it is compared from the model it spent most on.
 tier1 = {a["model"]: a for a in payload["alternatives"] if a["tier"] == "Tier 1"}
 assert tier1["gemini-2.5-flash"]["current"] == {"provider": "gemini", "model": "gemini-2.5-pro"}
 assert {f["kind"] for f in payload["findings"]} == {"tier_share", "cache", "unpriced", "long_context", "retries"}

 code, out, err = optimize(capsys, project, *RANGE, "--tier", "3", "--candidates", "gemini-2.5-flash,nope-9")
 assert code == 0 and err == "mma-conductor: --candidates nope-9: no price for it (left out)\n"
 lines = out.splitlines()
 assert lines[0] == "Tier 3 on anthropic/claude-sonnet-4-5: $4.03 recorded"
 flash_line = next(line for line in lines if line.startswith("gemini/gemini-2.5-flash"))
 assert flash_line.split() == [
  "gemini/gemini-2.5-flash",
  "$1.10",  # $1.105: half to even
  "$2.92",
  "$5.84",
  "72.6%",
  "better",
  "(100%",
  "vs",
  "90%)",
  "yes",
 ]
 assert "Findings" in lines and "- Tier 3 is 100% of spend ($4.03)" in lines


def test_costs_optimize_errors_are_one_line(capsys, project):
 assert optimize(capsys, project, "--tier", "7")[::2] == (
  2,
  "mma-conductor: --tier 7: unknown tier (use Tier 1, Tier 2, Tier 3, Tier 4)\n",
 )
 (project / "mma_conductor.toml").write_text("[tiers.tier3\nmodel = 1\n")
 code, out, err = optimize(capsys, project, "--ledger", str(project / "l.sqlite3"))
 assert code == 1 and out == "" and err.count("\n") == 1 and "mma_conductor.toml" in err


def test_get_insights_answers_the_json_of_costs_optimize(capsys, project):
 _, out, _ = optimize(capsys, project, *RANGE, "--candidates", "deepseek-chat", "--json")
 with Ledger.open(project / "l.sqlite3") as ledger:
  server = start_local_api(0, dict, ledger, project_dir=project)
  try:
   url = f"{server.url}/insights?since=2026-01-05&until=2026-01-19&utc=1&candidates=deepseek-chat"
   with urllib.request.urlopen(url, timeout=30) as response:
    assert response.status == 200
    assert json.loads(response.read()) == json.loads(out)
   with pytest.raises(urllib.error.HTTPError) as bad:
    urllib.request.urlopen(f"{server.url}/insights?tier=Tier%209", timeout=30)
   assert bad.value.code == 400 and "unknown tier" in json.loads(bad.value.read())["error"]
  finally:
   server.close()
