"""SimulatedClient: offline, deterministic, sized like real calls, and failing on demand."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

import pytest

from mma_conductor.engine.prompts import ORCHESTRATOR_SYSTEM, QA_SYSTEM, parse_plan, parse_verdict
from mma_conductor.pricing.usage import Usage
from mma_conductor.providers.factory import BROKEN, JSON_PLAN_MARKER, CallError, CallResult, LLMClient, make_client

pytestmark = pytest.mark.usefixtures("loopback_only")

SYSTEM = "You are Tier 3, a worker."
PROMPT = "Implement the tokenizer for the expression parser, with tests for unicode identifiers."


def run(client: Any, **kw: Any) -> CallResult:
 args = {"model": "sim-flash", "system": SYSTEM, "prompt": PROMPT, **kw}
 return asyncio.run(client.complete(**args))


def test_results_are_labeled_simulated_and_report_the_requested_model() -> None:
 client = make_client("simulated")
 result = run(client, model="sim-pro")
 assert isinstance(client, LLMClient)
 assert (result.provider, result.model, result.status, result.attempts) == ("simulated", "sim-pro", "success", 1)
 assert result.request_id and result.request_id.startswith("sim_") and result.finish_reason == "stop"
 assert result.text.strip() and result.error is None


def test_same_seed_and_inputs_give_the_same_text_and_usage() -> None:
 first = run(make_client("simulated", seed=11))
 again = run(make_client("simulated", seed=11))
 assert (first.text, first.usage) == (again.text, again.usage)
 assert first.request_id != again.request_id  # ids identify calls, and two calls are two bills
 other_seed = run(make_client("simulated", seed=12))
 other_prompt = run(make_client("simulated", seed=11), prompt=PROMPT + " Also handle tabs.")
 assert other_seed.text != first.text and other_prompt.text != first.text


def test_streaming_yields_the_same_answer_in_pieces() -> None:
 deltas: list[str] = []
 streamed = run(make_client("simulated", seed=3), stream=True, on_text=deltas.append)
 whole = run(make_client("simulated", seed=3))
 assert len(deltas) > 3 and "".join(deltas) == streamed.text == whole.text
 assert streamed.usage == whole.usage


def test_token_counts_follow_prompt_and_answer_sizes() -> None:
 client = make_client("simulated", seed=5)
 short = run(client, prompt="Fix the parser.")
 long = run(client, prompt="Fix the parser. " * 40)
 assert short.usage is not None and long.usage is not None
 assert short.usage.input_tokens == math.ceil(len(SYSTEM) / 4) + math.ceil(len("Fix the parser.") / 4)
 assert long.usage.input_tokens == math.ceil(len(SYSTEM) / 4) + math.ceil(len("Fix the parser. " * 40) / 4)
 for result in (short, long):
  assert result.usage == Usage(result.usage.input_tokens, math.ceil(len(result.text) / 4))
 fine = run(make_client("simulated", seed=5, chars_per_token=2), prompt="Fix the parser.")
 assert fine.text == short.text and fine.usage is not None and fine.usage.output_tokens == math.ceil(len(fine.text) / 2)


def test_answer_is_cut_at_max_tokens() -> None:
 result = run(make_client("simulated"), max_tokens=5)
 assert result.finish_reason == "max_tokens" and len(result.text) == 20
 assert result.usage is not None and result.usage.output_tokens == 5


def test_latency_is_configurable_and_zero_is_instant() -> None:
 started = time.monotonic()
 slow = run(make_client("simulated", latency_s=0.2), stream=True)
 assert time.monotonic() - started >= 0.2 and slow.latency_s >= 0.2
 started = time.monotonic()
 for _ in range(20):
  run(make_client("simulated", latency_s=0))
 assert time.monotonic() - started < 1.0


def test_cancelling_a_slow_call_raises_cancelled_error() -> None:
 async def scenario() -> None:
  client = make_client("simulated", latency_s=5)
  task = asyncio.ensure_future(client.complete(model="sim-flash", system=SYSTEM, prompt=PROMPT))
  await asyncio.sleep(0.05)
  task.cancel()
  await task

 started = time.monotonic()
 with pytest.raises(asyncio.CancelledError):
  asyncio.run(scenario())
 assert time.monotonic() - started < 1.0


def test_latency_beyond_timeout_is_a_timeout() -> None:
 client = make_client("simulated", latency_s=5, timeout=0.05, max_retries=1, base_delay=0.01)
 with pytest.raises(CallError) as info:
  run(client)
 assert info.value.kind == "timeout" and info.value.attempts == 2


def test_json_plan_marker_gets_a_valid_acyclic_ticket_plan() -> None:
 system = f"Plan the work.\n{JSON_PLAN_MARKER}"
 result = run(make_client("simulated", seed=9), system=system, prompt="Build a markdown exporter with a CLI.")
 tickets = json.loads(result.text)
 assert isinstance(tickets, list) and 3 <= len(tickets) <= 5
 seen: set[str] = set()
 for ticket in tickets:
  assert set(ticket) == {"id", "title", "description", "depends_on"}
  assert ticket["title"] and ticket["description"] and isinstance(ticket["depends_on"], list)
  assert set(ticket["depends_on"]) <= seen  # only earlier tickets, so no cycle is possible
  seen.add(ticket["id"])
 assert len(seen) == len(tickets)
 assert any(ticket["depends_on"] for ticket in tickets)


def test_the_conductor_tier_prompts_get_a_plan_and_verdicts_they_can_parse() -> None:
 client = make_client("simulated", seed=4, reject_rate=0.5)
 planned = run(client, system=ORCHESTRATOR_SYSTEM, prompt="Goal:\nAdd CSV export to the report tool.\n")
 assert len(parse_plan(planned.text)) >= 3
 verdicts = [parse_verdict(run(client, system=QA_SYSTEM, prompt=f"Worker output {i}").text) for i in range(20)]
 approved = [ok for ok, _ in verdicts]
 assert any(approved) and not all(approved)
 assert all(reason != "empty review" and not reason.startswith("unclear") for _, reason in verdicts)
 never = make_client("simulated", seed=4, reject_rate=0.0)
 assert all(parse_verdict(run(never, system=QA_SYSTEM, prompt=f"output {i}").text)[0] for i in range(10))


# Real words a plan's titles may use besides the goal's own: a small vocabulary of software work.
TITLE_WORDS = frozenset(
 (
  *("a", "add", "as", "build", "caching", "cases", "codes", "command-line", "configuration", "core", "data"),
  *("define", "design", "display", "document", "edge", "empty", "error", "examples", "exit", "file", "for"),
  *("format", "handle", "handling", "help", "how", "improve", "in", "input", "inputs", "interface", "large"),
  *("logging", "logic", "main", "model", "of", "options", "outline", "output", "packaging", "parsing"),
  *("performance", "plan", "progress", "read", "review", "set", "settings", "storage", "structure", "support"),
  *("test", "text", "the", "to", "unicode", "up", "usage", "use", "validation", "whole", "write"),
 )
)


@pytest.mark.parametrize(
 ("goal", "subject"),
 [
  ("Build a word counter CLI", "word counter CLI"),
  ("Add CSV export to the report tool.", "CSV export"),
  ("Please create an expression parser for unicode identifiers", "expression parser"),
 ],
)
def test_plan_titles_are_plausible_tasks_in_real_words_and_deterministic(goal: str, subject: str) -> None:
 goal_words = {word.lower() for word in goal.replace(".", "").split()}
 for seed in range(8):
  client = make_client("simulated", seed=seed)
  tickets = parse_plan(run(client, system=ORCHESTRATOR_SYSTEM, prompt=f"Goal:\n{goal}\n").text)
  titles = [ticket.title for ticket in tickets]
  assert len(set(titles)) == len(titles), titles  # no task twice in one plan
  for title in titles:
   assert title[0].isupper() and subject in title, title
   assert {word.lower() for word in title.split()} <= TITLE_WORDS | goal_words, title
  again = parse_plan(
   run(make_client("simulated", seed=seed), system=ORCHESTRATOR_SYSTEM, prompt=f"Goal:\n{goal}\n").text
  )
  assert [t.title for t in again] == titles  # the same seed, the same plan
 many = parse_plan(
  run(
   make_client("simulated", seed=1), system=ORCHESTRATOR_SYSTEM, prompt=f"Goal:\n{goal} in 50 tickets", max_tokens=16000
  ).text
 )
 assert len(many) == 50 and len({t.title for t in many}) == 50  # the whole table, each task once


def test_prose_is_not_json_without_a_plan_request() -> None:
 text = run(make_client("simulated", seed=9), prompt="Build a markdown exporter with a CLI.").text
 with pytest.raises(json.JSONDecodeError):
  json.loads(text)
 assert "exporter" in text or "markdown" in text


def test_injected_rate_limits_are_retried_like_real_ones() -> None:
 client = make_client("simulated", failures=["rate_limit", "server"], max_retries=3, base_delay=0.01)
 result = run(client)
 assert result.status == "success" and result.attempts == 3


def test_injected_auth_failure_is_raised_once() -> None:
 client = make_client("simulated", failures=["auth"], max_retries=3, base_delay=0.01)
 with pytest.raises(CallError) as info:
  run(client)
 assert (info.value.kind, info.value.status_code, info.value.attempts) == ("auth", 401, 1)
 assert run(client).status == "success"  # the queue is used up


def test_injected_broken_stream_is_a_failed_result_with_billed_usage() -> None:
 whole = run(make_client("simulated", seed=2))
 deltas: list[str] = []
 client = make_client("simulated", seed=2, failures=[BROKEN], max_retries=3)
 result = run(client, stream=True, on_text=deltas.append)
 assert result.status == "failed" and result.attempts == 1 and result.error and "connection" in result.error
 assert result.text == "".join(deltas) and whole.text.startswith(result.text) and result.text != whole.text
 assert whole.usage is not None
 assert result.usage == Usage(whole.usage.input_tokens, math.ceil(len(result.text) / 4))


def test_broken_answer_before_any_text_is_retried_and_both_attempts_are_billed() -> None:
 whole = run(make_client("simulated", seed=2))
 result = run(make_client("simulated", seed=2, failures=[BROKEN], max_retries=1, base_delay=0.01))
 assert result.status == "success" and result.attempts == 2 and result.text == whole.text
 assert whole.usage is not None and result.usage == whole.usage + whole.usage


def test_failure_rate_is_deterministic_for_a_seed() -> None:
 def outcomes(seed: int) -> list[int | str]:
  client = make_client("simulated", seed=seed, failure_rate=0.5, max_retries=0)
  seen: list[int | str] = []
  for i in range(12):
   try:
    seen.append(run(client, prompt=f"task {i}").attempts)
   except CallError as err:
    seen.append(err.kind)
  return seen

 first = outcomes(21)
 assert first == outcomes(21) and "server" in first and 1 in first


def test_bad_options_are_rejected() -> None:
 with pytest.raises(ValueError, match="failure kind"):
  make_client("simulated", failures=["meltdown"])
 with pytest.raises(ValueError, match="latency_s"):
  make_client("simulated", latency_s=-1)
 with pytest.raises(ValueError, match="max_tokens"):
  run(make_client("simulated"), max_tokens=0)
