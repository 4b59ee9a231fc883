"""The session's packed counters stay exact past their machine words: money past 2^63 and 2^64 units, token
counts past 2^32 and 2^64, in every grouping of the snapshot."""

import random
import threading
from dataclasses import fields

import pytest

from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.session_costs import COUNTERS, CostFigures, SessionCosts
from mma_conductor.pricing.usage import Usage

INT64_MAX = 2**63 - 1
SMALL_CALL = Usage(10, 1)


@pytest.fixture
def costs():
 return SessionCosts(PriceBook(use_dataset=False))


def record(costs, units, usage=SMALL_CALL, tier="Tier 1", model="gpt-4o"):
 return costs.record(model, usage, tier=tier, agent="a", provider="openai", cost_units=units)


def groups(snap):
 return (snap.total, *snap.by_model, *snap.by_tier, *snap.by_provider, *snap.by_agent, snap.cells[0].figures)


def test_costs_summing_past_int64_stay_exact(costs):
 parts = [INT64_MAX, 1, INT64_MAX, 2**62, 12_345, 2**64 + 7, 3]
 for units in parts:
  record(costs, units)
 snap = costs.snapshot()
 for figures in groups(snap):
  assert figures.cost_units == sum(parts)
  assert figures.calls == len(parts)
 assert snap.total.cost_units > 2**65


def test_costs_keep_adding_exactly_after_a_cell_outgrew_64_bits(costs):
 record(costs, 2**64 - 1)
 record(costs, 2)  # past 2^64: carried
 for _ in range(1000):
  record(costs, 10**12)  # back in the word
 record(costs, 10**12, tier="Tier 2")
 snap = costs.snapshot()
 assert snap.tier("Tier 1").cost_units == 2**64 + 1 + 1000 * 10**12
 assert snap.tier("Tier 2").cost_units == 10**12
 assert snap.total.cost_units == 2**64 + 1 + 1001 * 10**12


def test_each_cell_keeps_its_own_cost_past_int64(costs):
 for tier in ("Tier 1", "Tier 2", "Tier 3"):
  record(costs, INT64_MAX, tier=tier)
  record(costs, INT64_MAX, tier=tier)
 record(costs, 5, tier="Tier 4")
 snap = costs.snapshot()
 assert [snap.tier(t).cost_units for t in ("Tier 1", "Tier 2", "Tier 3", "Tier 4")] == [2 * INT64_MAX] * 3 + [5]
 assert snap.total.cost_units == 6 * INT64_MAX + 5


def test_token_counts_past_32_and_64_bits_stay_exact(costs):
 small = Usage(1000, 100, cache_read_tokens=400, cache_write_tokens=200, cache_write_1h_tokens=50, reasoning_tokens=7)
 big = Usage(3 * 10**9, 2 * 10**9, cache_read_tokens=10**9, reasoning_tokens=10**9)  # one word overflows 2^32
 huge = Usage(2**70, 2**66, cache_write_tokens=2**69, cache_write_1h_tokens=2**68)  # more than 64 bits at once
 calls = [small, big, small, big, huge, small, huge, small]
 for usage in calls:
  record(costs, 1, usage)
 record(costs, 1, small, tier="Tier 2")
 snap = costs.snapshot()
 expected = sum(calls, Usage())
 assert snap.tier("Tier 1").usage() == expected
 assert snap.tier("Tier 1").calls == len(calls)
 assert snap.tier("Tier 2").usage() == small
 assert snap.total.usage() == expected + small
 assert snap.total.cost_units == len(calls) + 1


def test_counts_of_other_cells_survive_a_carry(costs):
 quarter = Usage(2**30, 2**30 - 1)
 for tier in ("Tier 1", "Tier 2", "Tier 3"):
  record(costs, 7, quarter, tier=tier)
 for _ in range(4):  # past 2^32 in Tier 1: its counts are carried
  record(costs, 7, quarter, tier="Tier 1")
 costs.record("mystery-model-9", quarter, tier="Tier 1", agent="a", provider="openai")
 record(costs, 7, Usage(2**64, 0), tier="Tier 4")  # more than 2^32 in one call: straight into the carry
 record(costs, 7, quarter, tier="Tier 2")
 snap = costs.snapshot()
 tier_1 = snap.tier("Tier 1")
 assert (tier_1.input_tokens, tier_1.output_tokens) == (6 * 2**30, 6 * (2**30 - 1))
 assert (tier_1.calls, tier_1.unpriced_calls, tier_1.cost_units) == (6, 1, 35)
 assert snap.tier("Tier 2").usage() == quarter + quarter and snap.tier("Tier 2").calls == 2
 assert snap.tier("Tier 3").usage() == quarter
 assert snap.tier("Tier 4").input_tokens == 2**64
 assert snap.total.calls == 10 and snap.total.cost_units == 9 * 7


def test_reset_after_a_carry_starts_from_zero(costs):
 record(costs, 2**64 + 1)
 record(costs, 1, Usage(2**65, 0))
 costs.reset()
 record(costs, 3)
 snap = costs.snapshot()
 assert snap.total.cost_units == 3 and snap.total.calls == 1 and snap.total.input_tokens == 10


def test_unpriced_calls_and_unknown_usage_are_counted_in_the_packed_cells(costs):
 costs.record("mystery-model-9", Usage(1000, 10), tier="Tier 2")
 costs.record_unknown_usage("mystery-model-9", tier="Tier 2")
 figures = costs.snapshot().tier("Tier 2")
 assert (figures.calls, figures.unpriced_calls, figures.cost_units, figures.input_tokens) == (2, 2, 0, 1000)


def test_the_counter_table_is_the_order_of_the_cost_figures():
 assert tuple(f.name for f in fields(CostFigures))[2:] == COUNTERS


def test_cells_match_python_integer_sums_through_many_carries(costs):
 rng = random.Random(11)
 expected: dict[tuple[str, str], list[int]] = {}
 for _ in range(3000):
  model, tier = rng.choice(("gpt-4o", "mystery-model-9")), rng.choice(("Tier 1", "Tier 2", "Tier 3"))
  prompt = rng.choice((rng.randint(0, 10**6), rng.randint(2**28, 2**31)))
  read = rng.randint(0, prompt)
  write = rng.randint(0, prompt - read)
  output = rng.randint(0, 2**29)
  usage = Usage(prompt, output, read, write, rng.randint(0, write), rng.randint(0, output))
  units = rng.choice((None, rng.randint(0, 10**12), rng.randint(2**61, 2**63)))
  # without units the book prices the call, or it is unpriced (mystery-model-9): what record returns is counted
  units = costs.record(model, usage, tier=tier, agent="a", provider="openai", cost_units=units)
  row = expected.setdefault((model, tier), [0] * len(COUNTERS))
  values = {"cost_units": units or 0, "calls": 1, "unpriced_calls": int(units is None)}
  for i, name in enumerate(COUNTERS):
   row[i] += values[name] if name in values else getattr(usage, name)
 assert max(row[COUNTERS.index("unpriced_calls")] for row in expected.values()) > 0
 cells = {(c.model, c.tier): c.figures for c in costs.snapshot().cells}
 assert {key: [getattr(f, name) for name in COUNTERS] for key, f in cells.items()} == expected
 assert max(row[COUNTERS.index("cache_read_tokens")] for row in expected.values()) > 2**36
 assert max(row[0] for row in expected.values()) > 2**66


def test_threads_carrying_the_same_cell_lose_nothing(costs):
 barrier = threading.Barrier(4)

 def worker():
  barrier.wait()
  for _ in range(2000):
   record(costs, 2**62, Usage(2**20, 2**10))

 threads = [threading.Thread(target=worker) for _ in range(4)]
 for thread in threads:
  thread.start()
 for thread in threads:
  thread.join()
 total = costs.snapshot().total
 assert (total.cost_units, total.calls) == (8000 * 2**62, 8000)
 assert (total.input_tokens, total.output_tokens) == (8000 * 2**20, 8000 * 2**10)


def test_snapshots_taken_between_calls_equal_a_rebuild_from_every_cell():
 import random

 from mma_conductor.pricing.book import PriceBook
 from mma_conductor.pricing.session_costs import SessionCosts
 from mma_conductor.pricing.usage import Usage

 rng = random.Random(11)
 costs = SessionCosts(PriceBook())
 models = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash", "zz-unpriced", "deepseek-chat"]
 for step in range(3000):
  model, tier = rng.choice(models), rng.choice(["Tier 1", "Tier 2", "Tier 3", "Tier 4", "Other"])
  usage = Usage(rng.randrange(10**6), rng.randrange(10**4))
  big = rng.random() < 0.01  # now and then a cost past a 64-bit word: the cell's carry changes, its record resets
  costs.record(model, usage, tier=tier, agent=rng.choice(["a", "b"]), cost_units=2**65 if big else None)
  if rng.random() < 0.2:
   assert costs.snapshot() == costs.rebuilt_snapshot(), step
  if step == 2000:
   costs.reset()
 assert costs.snapshot() == costs.rebuilt_snapshot()


def test_a_snapshot_keeps_the_figures_objects_of_what_did_not_change():
 from mma_conductor.pricing.book import PriceBook
 from mma_conductor.pricing.session_costs import SessionCosts
 from mma_conductor.pricing.usage import Usage

 costs = SessionCosts(PriceBook())
 costs.record("gpt-4o", Usage(100, 10), tier="Tier 1")
 costs.record("claude-haiku-4-5", Usage(100, 10), tier="Tier 2")
 before = costs.snapshot()
 costs.record("gpt-4o", Usage(100, 10), tier="Tier 1")
 after = costs.snapshot()
 kept = {f.key: f for f in before.by_model}
 assert next(f for f in after.by_model if f.key == "claude-haiku-4-5") is kept["claude-haiku-4-5"]
 assert next(f for f in after.by_model if f.key == "gpt-4o") is not kept["gpt-4o"]
 assert after == costs.rebuilt_snapshot()


def test_a_cell_whose_carry_alone_changed_is_summed_again():
 from mma_conductor.pricing.book import PriceBook
 from mma_conductor.pricing.session_costs import SessionCosts
 from mma_conductor.pricing.usage import ZERO_USAGE

 costs = SessionCosts(PriceBook())
 costs.record("gpt-4o", ZERO_USAGE, tier="Tier 1", cost_units=2**65)  # carried: the packed record is zeros again
 costs.snapshot()
 costs.record("gpt-4o", ZERO_USAGE, tier="Tier 1", cost_units=2**65)  # the same zeros, a larger carry
 assert costs.snapshot().total.cost_units == 2**66 == costs.rebuilt_snapshot().total.cost_units


def test_a_model_billed_by_two_providers_reads_the_same_after_any_order_of_snapshots(costs):
 """A model recorded under two providers carries the provider of its newest cell, as a rebuild from every cell
 says, whichever cell changed last before a snapshot (an incremental snapshot once took the last changed one)."""
 costs.record("gpt-4o", SMALL_CALL, tier="Tier 1", provider="openai", cost_units=5)
 costs.snapshot()
 costs.record("gpt-4o", SMALL_CALL, tier="Tier 1", provider="azure", cost_units=7)
 costs.snapshot()
 costs.record("gpt-4o", SMALL_CALL, tier="Tier 1", provider="openai", cost_units=11)  # the older cell changes
 snap, rebuilt = costs.snapshot(), costs.rebuilt_snapshot()
 assert snap.by_model == rebuilt.by_model
 assert [(f.key, f.provider, f.cost_units) for f in snap.by_model] == [("gpt-4o", "azure", 23)]


def test_unpriced_calls_past_their_16_bit_word_stay_exact(costs):
 calls = 2**16 + 5
 for _ in range(calls):
  costs.record_unknown_usage("gpt-4o", tier="Tier 1", agent="a", provider="openai")
 record(costs, 7)
 snap = costs.snapshot()
 for figures in groups(snap):
  assert (figures.calls, figures.unpriced_calls, figures.cost_units) == (calls + 1, calls, 7)
 assert snap == costs.rebuilt_snapshot()


def test_more_cells_than_a_byte_can_number_keep_their_own_figures(costs):
 """Past 255 cells a session's map from key to cell widens: every cell still gets its own calls."""
 models = [f"model-{n}" for n in range(300)]
 for round_ in range(2):
  for n, model in enumerate(models):
   record(costs, n + round_, model=model)
 snap = costs.snapshot()
 assert len(snap.cells) == 300
 assert {cell.model: (cell.figures.calls, cell.figures.cost_units) for cell in snap.cells} == {
  model: (2, 2 * n + 1) for n, model in enumerate(models)
 }
 assert snap == costs.rebuilt_snapshot()


def test_sessions_sharing_keys_keep_apart_figures():
 book = PriceBook(use_dataset=False)
 first, second = SessionCosts(book), SessionCosts(book)
 for model in ("gpt-4o", "o3", "gpt-4.1"):
  record(first, 5, model=model)
 record(second, 11, model="gpt-4.1")  # a key the process knows, new to this session
 record(second, 13, model="a-model-only-this-session-uses")
 record(first, 1, model="gpt-4.1")
 assert [(c.model, c.figures.cost_units) for c in second.snapshot().cells] == [
  ("gpt-4.1", 11),
  ("a-model-only-this-session-uses", 13),
 ]
 assert {c.model: c.figures.cost_units for c in first.snapshot().cells} == {"gpt-4o": 5, "o3": 5, "gpt-4.1": 6}
 second.reset()
 record(second, 2, model="o3")
 assert [(c.model, c.figures.cost_units) for c in second.snapshot().cells] == [("o3", 2)]
 assert second.snapshot() == second.rebuilt_snapshot()
