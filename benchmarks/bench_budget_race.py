"""Worst overspend past a budget with 8 workers racing, through the OpenAI SDK against the loopback server.

Each race runs a track of 24 independent tickets, 8 at once, under a $0.02 per-run pause budget, until the budget
holds a call and the calls in flight have settled; overspend = spent - limit. Scenarios: `honest` (the provider
reports about 4 characters a token, below the guard's 3-character estimate) and `inflated` (it reports 20,000
prompt tokens for prompts of a few hundred characters, so every call costs more than its estimate). Each scenario
runs with the guard's reservations and, as the comparison, with a check of settled spend only (what a budget
without reservations does: every worker passes the check while the others are still in flight).

    .venv/bin/python benchmarks/bench_budget_race.py [--races 10]

Prints one line per scenario, then a JSON line last.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback provider server and the race driver the tests use
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import emit, environment  # noqa: E402
from budget_race import KEY, run_race  # noqa: E402
from provider_servers import ProviderServer  # noqa: E402

from mma_conductor.pricing import budget_guard  # noqa: E402

SCENARIOS = {"honest": None, "inflated": 20_000}


class SettledOnlyGuard(budget_guard.BudgetGuard):
 """The comparison: a budget that checks only what has settled (calls in flight count nothing)."""

 def reserve(self, tier, estimate_units, what=""):
  return super().reserve(tier, 0, what)


def races(server: ProviderServer, scenario: str, count: int, settled_only: bool) -> list:
 original = budget_guard.BudgetGuard
 results = []
 with tempfile.TemporaryDirectory() as folder:
  for seed in range(count):
   if settled_only:
    _swap_guard(SettledOnlyGuard)
   try:
    results.append(run_race(Path(folder) / f"{scenario}-{seed}", server, seed=seed, prompt_tokens=SCENARIOS[scenario]))
   finally:
    _swap_guard(original)
 return results


def _swap_guard(cls) -> None:
 from mma_conductor.app import controller

 controller.BudgetGuard = cls


def summary(results: list) -> dict:
 worst = max(results, key=lambda r: r.overspend_units)
 mean_call = sum(r.spent_units for r in results) / max(1, sum(r.calls for r in results))
 return {
  "races": len(results),
  "held": sum(r.held for r in results),
  "worst_overspend_usd": worst.overspend_units / 1e15,
  "worst_overspend_calls": round(worst.overspend_units / mean_call, 2) if mean_call else 0.0,
  "worst_excess_bound_usd": worst.excess_units / 1e15,
  "within_bound": all(r.spent_units <= r.limit_units + r.excess_units for r in results),
  "mean_call_usd": mean_call / 1e15,
  "peak_in_flight": max(r.peak_in_flight for r in results),
  "limit_usd": results[0].limit_units / 1e15,
 }


def main() -> None:
 parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
 parser.add_argument("--races", type=int, default=10, help="races per scenario and guard (default 10)")
 args = parser.parse_args()
 server = ProviderServer().start()
 os.environ.update(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.base_url + "/v1")
 os.environ.setdefault("MMA_CONDUCTOR_CONFIG_DIR", tempfile.mkdtemp(prefix="mma-bench-config-"))
 report = {"bench": "budget_race", "workers": 8, "env": environment()}
 try:
  for scenario in SCENARIOS:
   for name, settled_only in (("reservations", False), ("settled_only", True)):
    figures = summary(races(server, scenario, args.races, settled_only))
    report[f"{scenario}_{name}"] = figures
    print(
     f"{scenario:9s} {name:13s} worst overspend ${figures['worst_overspend_usd']:.6f}"
     f" ({figures['worst_overspend_calls']} mean calls), peak in flight {figures['peak_in_flight']}"
    )
 finally:
  server.stop()
 emit(report)


if __name__ == "__main__":
 main()
