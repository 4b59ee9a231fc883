"""Money is exact: totals are integers of 10^-15 USD, identical in any order and from any thread."""

import random
import threading
from decimal import Decimal

import pytest

from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.money import UNITS_PER_USD
from mma_conductor.pricing.session_costs import SessionCosts
from mma_conductor.pricing.usage import Usage

MODELS = ["gpt-4o-mini", "claude-haiku-4-5", "gemini-2.5-flash-lite", "deepseek-chat"]
LIST_PRICES = {  # USD per 1M tokens, written out here independently of pricing/table.py
 "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60"), Decimal("0.075")),
 "claude-haiku-4-5": (Decimal(1), Decimal(5), Decimal("0.10")),
 "gemini-2.5-flash-lite": (Decimal("0.10"), Decimal("0.40"), Decimal("0.01")),
 "deepseek-chat": (Decimal("0.28"), Decimal("0.42"), Decimal("0.028")),
}


def hand_cost_units(model: str, usage: Usage) -> int:
 i, o, cr = LIST_PRICES[model]
 usd = ((usage.input_tokens - usage.cache_read_tokens) * i + usage.cache_read_tokens * cr + usage.output_tokens * o) / (
  10**6
 )
 exact = usd * UNITS_PER_USD
 assert exact == exact.to_integral_value()
 return int(exact)


@pytest.mark.slow
def test_ten_million_small_costs_sum_identically_in_any_order():
 rng = random.Random(20261122)
 book = PriceBook(use_dataset=False)
 distinct = []
 for _ in range(1000):
  model = rng.choice(MODELS)
  prompt = rng.randint(1, 3000)
  usage = Usage(prompt, rng.randint(0, 800), cache_read_tokens=rng.randint(0, prompt))
  units = book.cost_units(model, usage)
  assert units == hand_cost_units(model, usage)
  distinct.append(units)
 costs = [distinct[rng.randrange(1000)] for _ in range(10_000_000)]
 forward = sum(costs)
 assert sum(reversed(costs)) == forward
 assert sum(sorted(costs)) == forward
 rng.shuffle(costs)
 assert sum(costs) == forward
 # The same costs as floats do depend on order, which is why floats stay at the edges.
 floats = [c / UNITS_PER_USD for c in costs[:1_000_000]]
 float_orders = {sum(floats), sum(sorted(floats)), sum(sorted(floats, reverse=True))}
 assert len(float_orders) > 1
 assert sum(costs[:1_000_000]) == sum(sorted(costs[:1_000_000]))


def random_events(rng: random.Random, count: int = 100) -> list[tuple[str, Usage]]:
 events = []
 for _ in range(count):
  model = rng.choice(MODELS)
  prompt = rng.randint(1, 5000)
  events.append((model, Usage(prompt, rng.randint(0, 1000), cache_read_tokens=rng.randint(0, prompt))))
 return events


def replay(costs: SessionCosts, barrier: threading.Barrier, worker: int, events: list[tuple[str, Usage]]) -> None:
 barrier.wait()
 tier = f"Tier {worker % 4 + 1}"
 for _ in range(1000):
  for model, usage in events:
   costs.record(model, usage, tier=tier, agent=f"worker-{worker}")


def test_eight_threads_times_100k_events_give_exact_totals():
 costs = SessionCosts(PriceBook(use_dataset=False))
 rng = random.Random(7)
 workloads = [random_events(rng) for _ in range(8)]
 # each worker replays its 100 distinct events 1,000 times: 100,000 events per thread
 expected_units = sum(hand_cost_units(m, u) for events in workloads for m, u in events) * 1000
 expected_input = sum(u.input_tokens for events in workloads for _, u in events) * 1000
 barrier = threading.Barrier(8)
 threads = [threading.Thread(target=replay, args=(costs, barrier, *w)) for w in enumerate(workloads)]
 for t in threads:
  t.start()
 for t in threads:
  t.join()
 snap = costs.snapshot()
 assert snap.total.calls == 800_000
 assert snap.total.cost_units == expected_units
 assert snap.total.input_tokens == expected_input
 assert sum(f.cost_units for f in snap.by_agent) == expected_units
 assert sum(f.calls for f in snap.by_tier) == 800_000
