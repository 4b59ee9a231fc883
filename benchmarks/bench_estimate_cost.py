"""Per-call cost of `estimate_cost` and `usage_cost`, against a bare dict-and-multiply floor, genai-prices,
litellm and tokencost, in one run.

Run: .venv/bin/python benchmarks/bench_estimate_cost.py [--quick]

Targets (from the issues): `estimate_cost` median <= 150 ns per call (issue 11), both functions <= 1 us, and
>= 100x faster than both genai-prices' `calc_price` and litellm's `cost_per_token`. litellm and tokencost are
installed into benchmarks/.peers on first run (see _peers.py), never into the product's environment. Also
checks that our exact costs agree with genai-prices for the benchmarked models and prints every disagreement.
The last line of output is one JSON object (see benchmarks/README.md).
"""

from __future__ import annotations

import random
import sys
import time
import warnings
from decimal import Decimal
from functools import partial

from _peers import peer, peer_version
from _timing import emit, environment, summary, time_batches

from mma_conductor import cost_tracker
from mma_conductor.cost_tracker import Usage, units_to_decimal

# model -> (genai-prices provider_id, litellm model name, tokencost model name)
MODELS = {
 "gpt-4o": ("openai", "gpt-4o", "gpt-4o"),
 # tokencost 0.1.26 has no claude-sonnet-4-5; Sonnet 4 has the same list prices ($3 / $15)
 "claude-sonnet-4-5": ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-20250514"),
 "gemini-2.5-flash": ("google", "gemini/gemini-2.5-flash", "gemini-2.5-flash"),
 "deepseek-chat": ("deepseek", "deepseek/deepseek-chat", "deepseek-chat"),  # litellm needs the provider prefix
}
# The floor: what a bare dict of model -> (input, output) USD per token and two multiplications cost.
FLOOR_RATES = {model: (float(p.input) / 1e6, float(p.output) / 1e6) for model, p in cost_tracker.MODEL_PRICING.items()}
TARGET_ESTIMATE_NS = 150.0
TARGET_MEDIAN_NS = 1000.0
TARGET_RATIO = 100.0

QUICK = "--quick" in sys.argv
# (calls per batch, repetitions): ours take ~0.3 us a call, the other libraries ~50-150 us.
OURS = (200, 300) if QUICK else (1000, 1500)
THEIRS = (10, 30) if QUICK else (20, 150)


def token_pairs(count: int, seed: int = 7) -> list[tuple[int, int]]:
 """Realistic (input, output) counts; about 1 in 20 prompts is above 200k tokens (long-context tiers)."""
 rng = random.Random(seed)
 pairs = []
 for _ in range(count):
  long = rng.random() < 0.05
  pairs.append((rng.randint(200_001, 900_000) if long else rng.randint(100, 150_000), rng.randint(1, 8_000)))
 return pairs


def run_estimate(estimate_cost, model: str, pairs: list[tuple[int, int]]) -> None:
 for i, o in pairs:
  estimate_cost(model, i, o)


def run_usage(usage_cost, model: str, usages: list[Usage]) -> None:
 for usage in usages:
  usage_cost(model, usage)


def run_empty(pairs: list[tuple[int, int]]) -> None:
 for _i, _o in pairs:
  pass


def run_floor(model: str, pairs: list[tuple[int, int]]) -> None:
 rates = FLOOR_RATES
 for i, o in pairs:
  rates[model][0] * i + rates[model][1] * o


def floor_cost(model: str, input_tokens: int, output_tokens: int) -> float:
 rates = FLOOR_RATES[model]
 return rates[0] * input_tokens + rates[1] * output_tokens


def bench_ours(model: str, pairs: list[tuple[int, int]]) -> dict[str, dict[str, float]]:
 usages = [Usage(i, o) for i, o in pairs]
 batch, reps = len(pairs), OURS[1]
 runs = {
  "estimate_cost": partial(run_estimate, cost_tracker.estimate_cost, model, pairs),
  "usage_cost": partial(run_usage, cost_tracker.usage_cost, model, usages),
  "loop_overhead": partial(run_empty, pairs),
  "floor_inline": partial(run_floor, model, pairs),
  "floor_call": partial(run_estimate, floor_cost, model, pairs),
 }
 return {name: summary(time_batches(run, batch, reps)) for name, run in runs.items()}


def bench_genai(model: str, provider: str, pairs: list[tuple[int, int]]) -> dict[str, dict[str, float]]:
 import genai_prices

 calc_price, GUsage = genai_prices.calc_price, genai_prices.Usage
 usages = [GUsage(input_tokens=i, output_tokens=o) for i, o in pairs]
 batch, reps = len(pairs), THEIRS[1]

 def run_with_usage() -> None:
  for i, o in pairs:
   calc_price(GUsage(input_tokens=i, output_tokens=o), model_ref=model, provider_id=provider)

 def run_prebuilt() -> None:
  for usage in usages:
   calc_price(usage, model_ref=model, provider_id=provider)

 return {
  "calc_price": summary(time_batches(run_with_usage, batch, reps)),
  "calc_price_prebuilt_usage": summary(time_batches(run_prebuilt, batch, reps)),
 }


def import_litellm():
 litellm = peer("litellm")
 if litellm is not None:
  litellm.suppress_debug_info = True
 return litellm


def bench_litellm(litellm, name: str, pairs: list[tuple[int, int]]) -> dict[str, dict[str, float]]:
 cost_per_token = litellm.cost_per_token
 batch, reps = len(pairs), THEIRS[1]

 def run() -> None:
  for i, o in pairs:
   cost_per_token(model=name, prompt_tokens=i, completion_tokens=o)

 return {"cost_per_token": summary(time_batches(run, batch, reps))}


def bench_tokencost(tokencost, name: str, pairs: list[tuple[int, int]]) -> dict[str, dict[str, float]]:
 by_tokens = tokencost.calculate_cost_by_tokens
 batch, reps = len(pairs), THEIRS[1]

 def run() -> None:
  for i, o in pairs:
   by_tokens(i, name, "input") + by_tokens(o, name, "output")

 return {"calculate_cost_by_tokens": summary(time_batches(run, batch, reps))}


# Agreement -------------------------------------------------------------------------------------------------

AGREEMENT_CASES = [
 Usage(1_000, 500),
 Usage(123_456, 7_890),
 Usage(250_000, 1_000),  # above 200k: long-context tier where the model has one
 Usage(50_000, 300, cache_read_tokens=20_000),
 Usage(10_000, 200, cache_read_tokens=2_000, cache_write_tokens=3_000, cache_write_1h_tokens=1_000),
]


def check_agreement() -> tuple[int, list[dict[str, object]]]:
 """Compare our exact cost (and the float of estimate_cost) with genai-prices' Decimal, case by case."""
 checked, disagreements = 0, []
 for model, (provider, *_) in MODELS.items():
  for usage in AGREEMENT_CASES:
   if usage.cache_write_tokens and provider != "anthropic":
    continue  # only Anthropic bills cache writes apart from input; others are covered by the cases above
   checked += 1
   disagreement = compare_with_genai_prices(model, provider, usage)
   if disagreement is not None:
    disagreements.append(disagreement)
 return checked, disagreements


def compare_with_genai_prices(model: str, provider: str, usage: Usage) -> dict[str, object] | None:
 """What of ours disagrees with genai-prices on one call, or None when everything agrees."""
 import genai_prices

 counts = {
  "input_tokens": usage.input_tokens,
  "output_tokens": usage.output_tokens,
  "cache_read_tokens": usage.cache_read_tokens,
  "cache_write_tokens": usage.cache_write_tokens,
  "cache_write_1h_tokens": usage.cache_write_1h_tokens,
 }
 theirs = genai_prices.calc_price(
  genai_prices.Usage(**{k: v for k, v in counts.items() if v}), model_ref=model, provider_id=provider
 )
 ours_exact = units_to_decimal(cost_tracker.usage_cost_units(model, usage))
 ours_float = cost_tracker.usage_cost(model, usage)
 estimate = cost_tracker.estimate_cost(
  model,
  usage.input_tokens,
  usage.output_tokens,
  cache_read_tokens=usage.cache_read_tokens,
  cache_write_tokens=usage.cache_write_tokens,
 )
 agrees = {
  "usage_cost_units": ours_exact == theirs.total_price,
  "usage_cost": ours_float == float(theirs.total_price),
  # estimate_cost has no 1h-write parameter
  "estimate_cost": bool(usage.cache_write_1h_tokens) or estimate == float(theirs.total_price),
 }
 problems = [name for name, agreed in agrees.items() if not agreed]
 if not problems:
  return None
 price = cost_tracker.resolve_model(model).price
 return {
  "model": model,
  "usage": {k: v for k, v in counts.items() if v},
  "ours_usd": str(ours_exact.normalize()),
  "genai_prices_usd": str(Decimal(theirs.total_price).normalize()),
  "genai_prices_rates": str(theirs.model_price),
  "ours_rates": f"${price.input}/input MTok, ${price.output}/output MTok,"
  f" ${price.effective('cache_read')}/cache read MTok ({price.origin}, {price.source}, checked {price.as_of})",
  "fields": problems,
 }


def ratio(theirs: float, ours: float) -> float:
 return round(theirs / ours, 1)


def bench_models(pairs_ours: list, pairs_theirs: list, litellm, tokencost) -> dict[str, dict[str, dict[str, float]]]:
 """Every timing of every model, printing one line a model."""
 per_model: dict[str, dict[str, dict[str, float]]] = {}
 for model, (provider, litellm_name, tokencost_name) in MODELS.items():
  row = bench_ours(model, pairs_ours)
  row.update({f"genai_prices.{k}": v for k, v in bench_genai(model, provider, pairs_theirs).items()})
  if litellm is not None:
   row.update({f"litellm.{k}": v for k, v in bench_litellm(litellm, litellm_name, pairs_theirs).items()})
  if tokencost is not None:
   row.update({f"tokencost.{k}": v for k, v in bench_tokencost(tokencost, tokencost_name, pairs_theirs).items()})
  per_model[model] = row
  print_row(model, row)
 return per_model


def print_row(model: str, row: dict[str, dict[str, float]]) -> None:
 def us(key: str) -> str:
  return f"{row[key]['median_ns'] / 1000:7.1f} us" if key in row else "    n/a"

 print(
  f"{model:18s} estimate_cost {row['estimate_cost']['median_ns']:6.1f} ns"
  f" (floor {row['floor_inline']['median_ns']:5.1f} inline, {row['floor_call']['median_ns']:5.1f} as a call)"
  f"  usage_cost {row['usage_cost']['median_ns']:6.1f} ns  "
  f"genai-prices {us('genai_prices.calc_price')}  litellm {us('litellm.cost_per_token')}  "
  f"tokencost {us('tokencost.calculate_cost_by_tokens')}"
 )


def model_ratios(row: dict[str, dict[str, float]], with_litellm: bool, with_tokencost: bool) -> dict[str, float]:
 """Their median over ours for one model."""
 r = {
  "genai_prices_vs_estimate_cost": ratio(
   row["genai_prices.calc_price"]["median_ns"], row["estimate_cost"]["median_ns"]
  ),
  "genai_prices_vs_usage_cost": ratio(
   row["genai_prices.calc_price_prebuilt_usage"]["median_ns"], row["usage_cost"]["median_ns"]
  ),
 }
 if with_litellm:
  r["litellm_vs_estimate_cost"] = ratio(row["litellm.cost_per_token"]["median_ns"], row["estimate_cost"]["median_ns"])
  r["litellm_vs_usage_cost"] = ratio(row["litellm.cost_per_token"]["median_ns"], row["usage_cost"]["median_ns"])
 if with_tokencost:
  r["tokencost_vs_estimate_cost"] = ratio(
   row["tokencost.calculate_cost_by_tokens"]["median_ns"], row["estimate_cost"]["median_ns"]
  )
 r["estimate_cost_vs_floor_call"] = ratio(row["estimate_cost"]["median_ns"], row["floor_call"]["median_ns"])
 return r


def print_agreement(checked: int, disagreements: list[dict[str, object]]) -> None:
 print(f"agreement with genai-prices: {checked - len(disagreements)}/{checked} cases identical")
 for d in disagreements:
  print(f"  DISAGREE {d['model']} {d['usage']}: ours ${d['ours_usd']} vs genai-prices ${d['genai_prices_usd']}")
  print(f"    genai-prices used: {d['genai_prices_rates']}")
  print(f"    ours used:         {d['ours_rates']}")


def main() -> None:
 started = time.perf_counter()
 warnings.simplefilter("ignore")  # genai-prices/litellm deprecation chatter would clutter the output
 pairs_ours = token_pairs(OURS[0])
 pairs_theirs = token_pairs(THEIRS[0])
 for model in MODELS:  # resolve once so the timed calls see the steady state (a dict hit per name)
  cost_tracker.estimate_cost(model, 1, 1)
 litellm = import_litellm()
 tokencost = peer("tokencost")

 per_model = bench_models(pairs_ours, pairs_theirs, litellm, tokencost)
 # Ratios per model (their median / our median); the headline is the smallest over the models.
 ratios = {model: model_ratios(row, litellm is not None, tokencost is not None) for model, row in per_model.items()}
 min_ratios = {key: min(r[key] for r in ratios.values()) for key in next(iter(ratios.values()))}
 worst_estimate = max(row["estimate_cost"]["median_ns"] for row in per_model.values())
 worst_median = max(
  max(row["estimate_cost"]["median_ns"], row["usage_cost"]["median_ns"]) for row in per_model.values()
 )
 worst_p99 = max(max(row["estimate_cost"]["p99_ns"], row["usage_cost"]["p99_ns"]) for row in per_model.values())
 for key, value in min_ratios.items():
  print(f"min ratio {key}: {value}x")
 print(f"estimate_cost worst median {worst_estimate} ns (target <= {TARGET_ESTIMATE_NS} ns)")

 checked, disagreements = check_agreement()
 print_agreement(checked, disagreements)

 emit(
  {
   "benchmark": "estimate_cost",
   "env": environment(),
   "quick": QUICK,
   "ours_calls_per_batch": OURS[0],
   "ours_repetitions": OURS[1],
   "theirs_calls_per_batch": THEIRS[0],
   "theirs_repetitions": THEIRS[1],
   "litellm_available": litellm is not None,
   "tokencost_available": tokencost is not None,
   "versions": {name: peer_version(name) for name in ("genai-prices", "litellm", "tokencost")},
   "per_model": per_model,
   "ratios": ratios,
   "min_ratios": min_ratios,
   "worst_estimate_cost_median_ns": worst_estimate,
   "target_estimate_cost_median_ns": TARGET_ESTIMATE_NS,
   "estimate_cost_target_met": worst_estimate <= TARGET_ESTIMATE_NS,
   "worst_median_ns": worst_median,
   "worst_p99_ns": worst_p99,
   "target_median_ns": TARGET_MEDIAN_NS,
   "target_ratio": TARGET_RATIO,
   "median_target_met": worst_median <= TARGET_MEDIAN_NS,
   "ratio_target_met": all(v >= TARGET_RATIO for k, v in min_ratios.items() if not k.endswith("_vs_floor_call")),
   "agreement_checked": checked,
   "agreement_disagreements": disagreements,
   "runtime_s": round(time.perf_counter() - started, 1),
  }
 )


if __name__ == "__main__":
 main()
