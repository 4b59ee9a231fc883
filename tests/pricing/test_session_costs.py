from decimal import Decimal

import pytest

from mma_conductor import cost_tracker
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.money import UNITS_PER_USD
from mma_conductor.pricing.session_costs import SessionCosts
from mma_conductor.pricing.usage import Usage


def usd_units(text: str) -> int:
 return int(Decimal(text) * UNITS_PER_USD)


@pytest.fixture
def costs():
 return SessionCosts(PriceBook(use_dataset=False))


def test_groups_by_model_provider_tier_and_agent(costs):
 costs.record("gpt-4o", Usage(1000, 100), tier="Tier 1", agent="orchestrator")
 costs.record("claude-sonnet-4-5", Usage(2000, 200, cache_read_tokens=1000), tier="Tier 3", agent="worker-1")
 costs.record("claude-sonnet-4-5", Usage(1000, 100), tier="Tier 3", agent="worker-2")
 costs.record("gemini-2.5-flash", Usage(4000, 400), tier="Tier 4", agent="qa")
 snap = costs.snapshot()
 gpt = 1000 * Decimal("2.5") + 100 * 10
 sonnet = 1000 * 3 + 1000 * Decimal("0.3") + 200 * 15 + 1000 * 3 + 100 * 15
 flash = 4000 * Decimal("0.3") + 400 * Decimal("2.5")
 assert snap.total.cost_units == usd_units(str((gpt + sonnet + flash) / 10**6))
 assert snap.total.calls == 4
 assert snap.total.input_tokens == 8000 and snap.total.output_tokens == 800
 assert snap.total.cache_read_tokens == 1000
 by_model = {f.key: f for f in snap.by_model}
 assert by_model["claude-sonnet-4-5"].cost_units == usd_units(str(sonnet / 10**6))
 assert by_model["claude-sonnet-4-5"].provider == "anthropic"
 assert by_model["claude-sonnet-4-5"].calls == 2
 by_provider = {f.key: f.cost_units for f in snap.by_provider}
 assert by_provider == {
  "openai": usd_units(str(gpt / 10**6)),
  "anthropic": usd_units(str(sonnet / 10**6)),
  "gemini": usd_units(str(flash / 10**6)),
 }
 assert [f.key for f in snap.by_tier] == ["Tier 1", "Tier 3", "Tier 4"]
 assert snap.tier("Tier 2").calls == 0
 assert {f.key for f in snap.by_agent} == {"orchestrator", "worker-1", "worker-2", "qa"}
 assert snap.models_in_tier("Tier 3") == ("claude-sonnet-4-5",)
 assert [f.key for f in snap.models_of_provider("anthropic")] == ["claude-sonnet-4-5"]
 # every grouping sums to the same total
 for group in (snap.by_model, snap.by_tier, snap.by_provider, snap.by_agent):
  assert sum(f.cost_units for f in group) == snap.total.cost_units


def test_unpriced_models_are_marked_not_shown_as_zero(costs):
 costs.record("mystery-model-9", Usage(1000, 10), tier="Tier 2")
 costs.record("gpt-4o", Usage(1000, 10), tier="Tier 2")
 snap = costs.snapshot()
 mystery = next(f for f in snap.by_model if f.key == "mystery-model-9")
 assert mystery.fully_unpriced and mystery.cost_label == "unpriced"
 assert mystery.input_tokens == 1000
 assert snap.tier("Tier 2").cost_label.endswith("+ unpriced")
 assert snap.unpriced_models == ("mystery-model-9",)
 assert next(f for f in snap.by_model if f.key == "gpt-4o").cost_label == "$0.0026"


def test_duplicate_request_id_is_counted_once(costs):
 assert costs.record("gpt-4o", Usage(1000, 10), request_id="req_1") > 0
 assert costs.record("gpt-4o", Usage(1000, 10), request_id="req_1") == -1
 assert costs.snapshot().total.calls == 1


def test_snapshot_is_cached_until_something_changes(costs):
 first = costs.snapshot()
 assert costs.snapshot() is first
 costs.record("gpt-4o", Usage(10, 10))
 second = costs.snapshot()
 assert second is not first and second.version > first.version


def test_reset_clears_everything_and_starts_a_new_session(costs):
 costs.record("gpt-4o", Usage(10, 10), request_id="a", tier="Tier 1")
 old = costs.session_id
 new = costs.reset()
 snap = costs.snapshot()
 assert new != old and snap.session_id == new
 assert snap.total.cost_units == 0 and snap.total.calls == 0 and snap.by_model == ()
 # request ids belong to a session: the same id in a new session counts
 assert costs.record("gpt-4o", Usage(10, 10), request_id="a") > 0


def test_explicit_cost_is_taken_as_given(costs):
 costs.record("gpt-4o", Usage(10, 10), cost_units=12345, provider="openai")
 assert costs.snapshot().total.cost_units == 12345


def test_session_costs_price_with_the_book_they_are_given():
 book = PriceBook(use_dataset=False)
 costs = SessionCosts(book)
 assert costs.price_book is book
 costs.record("unpriced-in-this-book-only", Usage(10, 10))
 assert book.unpriced_models() == frozenset({"unpriced-in-this-book-only"})


def test_public_session_costs_default_to_the_cost_tracker_book(tmp_path, monkeypatch):
 # configure_pricing replaces the module's default book: put the one in force back afterwards.
 monkeypatch.setattr(cost_tracker, "_book", cost_tracker._book)
 monkeypatch.setattr(cost_tracker, "_prices", cost_tracker._prices)
 default = cost_tracker.configure_pricing(user_file=tmp_path / "absent.toml", env={}, use_dataset=False)
 public = cost_tracker.SessionCosts()
 assert public.price_book is default
 assert isinstance(public, SessionCosts)
 book = PriceBook(use_dataset=False)
 assert cost_tracker.SessionCosts(book, session_id="s1").price_book is book
