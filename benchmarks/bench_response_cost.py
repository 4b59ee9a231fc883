"""Pricing a provider's reply as it arrives: `usage_from_response(payload, provider)` then `usage_cost(model, usage)`,
for a real Anthropic Messages reply and a real OpenAI Chat Completions reply (JSON dicts), against litellm's
`completion_cost` and genai-prices' `extract_usage(...).calc_price()` on the same replies, in one run.

Run: .venv/bin/python benchmarks/bench_response_cost.py [--quick]

Target (issue 11): <= 1 us per reply (parse + price) for each provider. `cost_tracker.response_cost(payload,
provider)` is timed too when it exists (null otherwise). litellm is installed into benchmarks/.peers on first run
(see _peers.py). Every library's USD figure for each reply is printed, so that a speed-up that prices something
else would show. The last line of output is one JSON object (see benchmarks/README.md).
"""

from __future__ import annotations

import copy
import sys
import time
import warnings
from decimal import Decimal
from functools import partial

from _peers import peer, peer_version
from _timing import emit, environment, summary, time_batches

from mma_conductor import cost_tracker
from mma_conductor.cost_tracker import units_to_decimal, usage_cost, usage_cost_units, usage_from_response

QUICK = "--quick" in sys.argv
OURS = (200, 100) if QUICK else (1000, 400)  # (calls per batch, repetitions)
THEIRS = (10, 20) if QUICK else (20, 100)
TARGET_NS = 1000.0

# Shape of the Messages API response body, https://docs.claude.com/en/api/messages (200 response: `usage` with
# input_tokens (the uncached part), cache_creation_input_tokens, cache_read_input_tokens, cache_creation's 5m/1h
# split, output_tokens, server_tool_use, service_tier).
ANTHROPIC_MESSAGE = {
 "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
 "type": "message",
 "role": "assistant",
 "content": [{"type": "text", "text": "Here is the refactored module, with the tests it needs."}],
 "model": "claude-sonnet-4-5-20250929",
 "stop_reason": "end_turn",
 "stop_sequence": None,
 "usage": {
  "input_tokens": 2095,
  "cache_creation_input_tokens": 1800,
  "cache_read_input_tokens": 12000,
  "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1500},
  "output_tokens": 503,
  "server_tool_use": {"web_search_requests": 0},
  "service_tier": "standard",
 },
}

# Shape of the chat completion object, https://platform.openai.com/docs/api-reference/chat/object (`usage` with
# prompt_tokens including the cached ones, prompt_tokens_details.cached_tokens, completion_tokens_details).
OPENAI_CHAT_COMPLETION = {
 "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
 "object": "chat.completion",
 "created": 1741570283,
 "model": "gpt-4o-2024-08-06",
 "choices": [
  {
   "index": 0,
   "message": {"role": "assistant", "content": "Here you go.", "refusal": None, "annotations": []},
   "logprobs": None,
   "finish_reason": "stop",
  }
 ],
 "usage": {
  "prompt_tokens": 1117,
  "completion_tokens": 46,
  "total_tokens": 1163,
  "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
  "completion_tokens_details": {
   "reasoning_tokens": 0,
   "audio_tokens": 0,
   "accepted_prediction_tokens": 0,
   "rejected_prediction_tokens": 0,
  },
 },
 "service_tier": "default",
 "system_fingerprint": "fp_fc9f1d7035",
}

# case -> (payload, our provider hint, genai-prices provider_id and api_flavor)
CASES = {
 "anthropic_messages": (ANTHROPIC_MESSAGE, "anthropic", ("anthropic", "default")),
 "openai_chat": (OPENAI_CHAT_COMPLETION, "openai", ("openai", "chat")),
}


def litellm_response(litellm, case: str):
 """The reply as litellm's own ModelResponse: OpenAI's as it is; Anthropic's as litellm's Anthropic adapter
 reports it (whole prompt in prompt_tokens, cache reads in prompt_tokens_details, writes beside them)."""
 payload = CASES[case][0]
 if case == "openai_chat":
  return litellm.ModelResponse(**copy.deepcopy(payload))
 u = payload["usage"]
 whole = u["input_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]
 usage = litellm.Usage(
  prompt_tokens=whole,
  completion_tokens=u["output_tokens"],
  total_tokens=whole + u["output_tokens"],
  prompt_tokens_details={"cached_tokens": u["cache_read_input_tokens"]},
  cache_creation_input_tokens=u["cache_creation_input_tokens"],
  cache_read_input_tokens=u["cache_read_input_tokens"],
 )
 message = {"role": "assistant", "content": payload["content"][0]["text"]}
 choices = [{"index": 0, "message": message, "finish_reason": "stop"}]
 return litellm.ModelResponse(id=payload["id"], model=payload["model"], choices=choices, usage=usage)


def loop_parse(payload: dict, provider: str, model: str, usage) -> None:
 for _ in range(OURS[0]):
  usage_from_response(payload, provider)


def loop_price(payload: dict, provider: str, model: str, usage) -> None:
 for _ in range(OURS[0]):
  usage_cost(model, usage)


def loop_parse_and_price(payload: dict, provider: str, model: str, usage) -> None:
 for _ in range(OURS[0]):
  usage_cost(payload["model"], usage_from_response(payload, provider))


def loop_response_cost(payload: dict, provider: str, model: str, usage) -> None:
 response_cost = cost_tracker.response_cost
 for _ in range(OURS[0]):
  response_cost(payload, provider)


LOOPS = {
 "usage_from_response": loop_parse,
 "usage_cost": loop_price,
 "parse_and_price": loop_parse_and_price,
 "response_cost": loop_response_cost,
}


def our_runs(case: str) -> dict:
 """The loops timed for our side of one reply, by name (response_cost only when cost_tracker has it)."""
 payload, provider, _ = CASES[case]
 args = (payload, provider, payload["model"], usage_from_response(payload, provider))
 names = [name for name in LOOPS if name != "response_cost" or hasattr(cost_tracker, "response_cost")]
 return {name: partial(LOOPS[name], *args) for name in names}


def time_ours(case: str) -> dict[str, dict[str, float] | None]:
 timings = {name: summary(time_batches(run, *OURS)) for name, run in our_runs(case).items()}
 timings.setdefault("response_cost", None)
 return timings


def time_litellm(litellm, case: str) -> dict[str, dict[str, float]]:
 response = litellm_response(litellm, case)
 completion_cost = litellm.completion_cost
 batch, reps = THEIRS

 def run() -> None:
  for _ in range(batch):
   completion_cost(completion_response=response)

 return {"completion_cost": summary(time_batches(run, batch, reps))}


def time_genai(case: str) -> dict[str, dict[str, float]]:
 import genai_prices

 payload, _, (provider_id, flavor) = CASES[case]
 extract_usage = genai_prices.extract_usage
 batch, reps = THEIRS

 def run() -> None:
  for _ in range(batch):
   extract_usage(payload, provider_id=provider_id, api_flavor=flavor).calc_price()

 return {"extract_usage_calc_price": summary(time_batches(run, batch, reps))}


def costs_usd(litellm, case: str) -> dict[str, str | None]:
 """Each library's price of the reply (USD, as text), to check that all of them price the same thing."""
 import genai_prices

 payload, provider, (provider_id, flavor) = CASES[case]
 usage = usage_from_response(payload, provider)
 theirs = genai_prices.extract_usage(payload, provider_id=provider_id, api_flavor=flavor).calc_price()
 response_cost = getattr(cost_tracker, "response_cost", None)
 return {
  "ours_exact": str(units_to_decimal(usage_cost_units(payload["model"], usage)).normalize()),
  "ours_usage_cost": repr(usage_cost(payload["model"], usage)),
  "ours_response_cost": None if response_cost is None else repr(response_cost(payload, provider)),
  "genai_prices": str(Decimal(theirs.total_price).normalize()),
  "litellm": None
  if litellm is None
  else repr(litellm.completion_cost(completion_response=litellm_response(litellm, case))),
 }


def main() -> None:
 started = time.perf_counter()
 warnings.simplefilter("ignore")
 litellm = peer("litellm")
 if litellm is not None:
  litellm.suppress_debug_info = True
 results = {}
 for case, (payload, provider, _) in CASES.items():
  usage_cost(payload["model"], usage_from_response(payload, provider))  # the model's price is resolved once
  row = {"ours": time_ours(case), "genai_prices": time_genai(case)}
  row["litellm"] = time_litellm(litellm, case) if litellm is not None else None
  row["usd"] = costs_usd(litellm, case)
  results[case] = row
  print_row(case, row)
 worst = max(row["ours"]["parse_and_price"]["median_ns"] for row in results.values())
 emit(
  {
   "benchmark": "response_cost",
   "env": environment(),
   "quick": QUICK,
   "ours_calls_per_batch": OURS[0],
   "ours_repetitions": OURS[1],
   "theirs_calls_per_batch": THEIRS[0],
   "theirs_repetitions": THEIRS[1],
   "versions": {name: peer_version(name) for name in ("genai-prices", "litellm")},
   "response_cost_available": hasattr(cost_tracker, "response_cost"),
   "cases": results,
   "worst_parse_and_price_median_ns": worst,
   "target_ns": TARGET_NS,
   "target_met": worst <= TARGET_NS,
   "runtime_s": round(time.perf_counter() - started, 1),
  }
 )


def print_row(case: str, row: dict) -> None:
 ours = row["ours"]

 def ns(timing: dict | None) -> str:
  return "n/a" if timing is None else f"{timing['median_ns']:.0f} ns"

 def us(timing: dict | None) -> str:
  return "n/a" if timing is None else f"{timing['median_ns'] / 1000:.1f} us"

 litellm = row["litellm"]["completion_cost"] if row["litellm"] else None
 print(
  f"{case:19s} parse {ns(ours['usage_from_response'])} + price {ns(ours['usage_cost'])} = "
  f"{ns(ours['parse_and_price'])}  response_cost {ns(ours['response_cost'])}  "
  f"genai-prices {us(row['genai_prices']['extract_usage_calc_price'])}  litellm {us(litellm)}"
 )
 print(f"{'':19s} USD: {row['usd']}")


if __name__ == "__main__":
 main()
