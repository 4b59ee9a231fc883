"""Realistic ledger calls for the ledger benchmarks: four tiers, the default models, cache reads, 1h writes."""

from __future__ import annotations

import random

from _timing import ROOT  # noqa: F401 - puts src/ on sys.path

from mma_conductor.ledger.store import LedgerCall
from mma_conductor.pricing.usage import Usage

TIERS = {
 "Tier 1": ("orchestrator", (("gemini", "gemini-2.5-pro"), ("anthropic", "claude-opus-4-1"))),
 "Tier 2": ("tech-lead", (("anthropic", "claude-sonnet-4-5"), ("gemini", "gemini-2.5-flash"))),
 "Tier 3": ("worker", (("deepseek", "deepseek-chat"), ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5-mini"))),
 "Tier 4": ("qa", (("openai", "gpt-4o-mini"), ("gemini", "gemini-2.5-flash"))),
}
PRICES = {
 model: {"input": "1.25", "output": "10", "source": f"https://example.com/pricing/{model}", "as_of": "2026-11-22"}
 for _, models in TIERS.values()
 for _, model in models
}


def make_calls(
 count: int, start: float, span_s: float, seed: int = 7, prefix: str = "req", first: int = 0
) -> list[LedgerCall]:
 """`count` calls spread evenly over [start, start + span_s), with provider-style random request ids. `first` is
 the number of calls before these ones (a session per 20,000 calls, a run per 400, numbered from it)."""
 rng = random.Random(seed)
 tiers = list(TIERS)
 calls = []
 step = span_s / count
 for i in range(count):
  tier = rng.choice(tiers)
  agent, models = TIERS[tier]
  provider, model = rng.choice(models)
  prompt = rng.randint(500, 150_000)
  read = rng.randint(0, prompt // 2) if rng.random() < 0.6 else 0
  write = rng.randint(0, (prompt - read) // 4) if provider == "anthropic" and rng.random() < 0.3 else 0
  output = rng.randint(50, 8000)
  usage = Usage(prompt, output, read, write, write // 2, output // 3)
  calls.append(
   LedgerCall(
    timestamp=start + i * step,
    session_id=f"session-{(first + i) // 20_000}",
    run_id=f"run-{(first + i) // 400}",
    ticket_id=f"T-{i % 37}",
    tier=tier,
    agent=agent,
    provider=provider,
    model=model,
    usage=usage,
    cost_units=None if rng.random() < 0.002 else rng.randint(10**10, 2 * 10**15),
    request_id=f"{prefix}_{rng.getrandbits(96):024x}",
    status="success" if rng.random() < 0.97 else "failed",
    latency_s=rng.uniform(0.2, 30.0),
    price=PRICES[model],
   )
  )
 return calls


def build_ledger(path, count: int, start: float, span_s: float, batch: int = 5000) -> float:
 """Fill a new ledger at `path` with `count` calls over [start, start + span_s); return the seconds it took.
 An existing file with exactly `count` calls is reused (building 1M calls takes ~15 s); any other existing
 file is refused, never replaced."""
 import time
 from pathlib import Path

 from mma_conductor.ledger.queries import all_time
 from mma_conductor.ledger.store import Ledger

 path = Path(path)
 if path.exists():
  with Ledger.open(path, milestones_enabled=False) as ledger:
   found = all_time(ledger).calls
  if found == count:
   return 0.0
  raise SystemExit(f"{path} holds {found:,} calls, not {count:,}: pass a new path to build one")
 began = time.perf_counter()
 with Ledger.open(path, milestones_enabled=False) as ledger:
  for offset in range(0, count, 100_000):
   calls = make_calls(
    min(100_000, count - offset), start + span_s * offset / count, span_s * 100_000 / count, offset, first=offset
   )
   for first in range(0, len(calls), batch):
    ledger.record_calls(calls[first : first + batch])
  ledger.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
 return time.perf_counter() - began
