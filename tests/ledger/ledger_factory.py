"""Building ledger calls for tests: every field explicit, nothing of the ledger's own code reused."""

from __future__ import annotations

from mma_conductor.ledger.store import LedgerCall
from mma_conductor.pricing.usage import Usage

# 2026-01-05 00:00:00 UTC, a Monday.
MONDAY = 1_767_571_200
HOUR = 3600
DAY = 86_400
USD = 10**15


def call(
 at: float,
 cost: int | None,
 *,
 session: str = "s1",
 run: str = "r1",
 tier: str = "Tier 3",
 agent: str = "worker",
 provider: str = "openai",
 model: str = "gpt-4o",
 usage: Usage | None = None,
 request_id: str = "",
 status: str = "success",
 latency_s: float = 1.0,
 price: dict | None = None,
 ticket: str = "T1",
 raw_usage: dict | str | None = None,
) -> LedgerCall:
 """One call at epoch second `at` costing `cost` units (None: unpriced)."""
 return LedgerCall(
  timestamp=at,
  session_id=session,
  run_id=run,
  ticket_id=ticket,
  tier=tier,
  agent=agent,
  provider=provider,
  model=model,
  usage=usage if usage is not None else Usage(1000, 100),
  cost_units=cost,
  request_id=request_id,
  status=status,
  latency_s=latency_s,
  price=price,
  raw_usage=raw_usage,
 )
