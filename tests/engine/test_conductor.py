"""The four-tier lifecycle on the simulated provider, driven through the real controller and engine."""

import dataclasses
import time

import pytest
from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import ProjectConfig, SimulatedConfig, TierConfig
from mma_conductor.engine.events import CallRecord
from mma_conductor.engine.tickets import Ticket, Track
from mma_conductor.engine.track_store import load_track
from mma_conductor.providers.simulated import SimulatedClient

LADDER = ("gemini-2.5-flash-lite", "gemini-2.5-flash", "gemini-2.5-pro")


def sim_config(tmp_path, *, reject_rate=0.0, latency_ms=0.0, max_parallel=4, seed=11) -> ProjectConfig:
 config = load_project_config(tmp_path)
 tiers = dict(config.tiers)
 tiers["Tier 3"] = TierConfig("simulated", LADDER[0], LADDER[1:])
 for tier in ("Tier 1", "Tier 2", "Tier 4"):
  tiers[tier] = TierConfig("simulated", tiers[tier].model)
 return dataclasses.replace(
  config,
  tiers=tiers,
  max_parallel=max_parallel,
  simulated=SimulatedConfig(seed=seed, latency_ms=latency_ms, reject_rate=reject_rate),
 )


class Recorder:
 """Collects every CallRecord the controller applies (the emitted records, in order)."""

 def __init__(self, controller: AppController):
  self.records: list[CallRecord] = []
  controller.record_sinks.append(self.records.append)

 def by_tier(self, tier):
  return [r for r in self.records if r.tier == tier]


def make(tmp_path, **kwargs):
 controller = AppController(tmp_path, config=sim_config(tmp_path, **kwargs))
 return controller, Recorder(controller)


def test_full_lifecycle_plans_briefs_works_and_reviews(tmp_path):
 controller, rec = make(tmp_path)
 track = controller.start_track("Build a word counter CLI with tests")
 assert controller.wait_idle(30)
 assert controller.track_status == "done"
 tickets = list(controller.tickets.values())
 assert tickets and all(t.status == "done" for t in tickets)
 assert all(t.brief and t.output and t.review.startswith("APPROVE") for t in tickets)
 assert len(rec.by_tier("Tier 1")) == 1
 assert len(rec.by_tier("Tier 2")) == len(tickets)
 assert len(rec.by_tier("Tier 3")) == len(rec.by_tier("Tier 4")) == len(tickets)
 assert all(r.provider == "simulated" and r.status == "success" for r in rec.records)
 assert all(r.usage.input_tokens > 0 and r.cost_units > 0 for r in rec.records)
 # every ticket's cost is the sum of its calls' costs
 for ticket in tickets:
  assert ticket.cost_units == sum(r.cost_units for r in rec.records if r.ticket_id == ticket.id)
 # priced at the model that actually ran, per tier
 assert {r.model for r in rec.by_tier("Tier 1")} == {"gemini-2.5-pro"}
 assert {r.model for r in rec.by_tier("Tier 3")} == {LADDER[0]}
 saved = load_track(tmp_path, track.id)
 assert saved.status == "done" and all(t.status == "done" for t in saved.tickets)
 # the session's tier x model cells (the one owner of per-tier usage) equal the sum of the records
 cells = controller.session().cells
 assert {(c.tier, c.model) for c in cells} == {(r.tier, r.model) for r in rec.records}
 for cell in cells:
  rows = [r for r in rec.by_tier(cell.tier) if r.model == cell.model]
  assert cell.figures.input_tokens == sum(r.usage.input_tokens for r in rows)
  assert cell.figures.output_tokens == sum(r.usage.output_tokens for r in rows)
  assert cell.figures.cost_units == sum(r.cost_units for r in rows)


def test_rejections_escalate_up_the_ladder_then_block(tmp_path):
 controller, rec = make(tmp_path, reject_rate=1.0)
 controller.start_track("Build a parser")
 assert controller.wait_idle(30)
 assert controller.track_status == "blocked"
 tickets = list(controller.tickets.values())
 first = [t for t in tickets if not t.depends_on]
 assert first
 for ticket in first:
  assert ticket.status == "blocked" and ticket.attempts == 3
  assert ticket.blocked_reason.startswith("QA rejected 3 attempts; last: ")
  models = [r.model for r in rec.by_tier("Tier 3") if r.ticket_id == ticket.id]
  assert models == list(LADDER)
  assert ticket.models == list(LADDER)
 dependents = [t for t in tickets if t.depends_on]
 for ticket in dependents:
  assert ticket.status == "blocked" and "depends on blocked ticket" in ticket.blocked_reason
  assert not [r for r in rec.records if r.ticket_id == ticket.id]


def test_escalation_recovers_when_a_stronger_model_is_approved(tmp_path):
 controller, rec = make(tmp_path, reject_rate=0.5, seed=1)
 controller.start_track("Write an exporter with tests")
 assert controller.wait_idle(30)
 escalated = [t for t in controller.tickets.values() if t.attempts > 1 and t.status == "done"]
 assert escalated, "seed 1 is expected to approve at least one ticket after a rejection"
 for ticket in escalated:
  models = [r.model for r in rec.by_tier("Tier 3") if r.ticket_id == ticket.id]
  assert models == list(LADDER[: ticket.attempts])


def independent_track(count: int) -> Track:
 return Track("parallel work", tickets=[Ticket(f"t{i}", f"Independent task {i}") for i in range(count)])


def peak_concurrency(records) -> int:
 """Most calls in flight at once, from each record's end time and latency."""
 edges = []
 for r in records:
  edges.append((r.timestamp - r.latency_s, 1))
  edges.append((r.timestamp, -1))
 peak = current = 0
 for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
  current += step
  peak = max(peak, current)
 return peak


def test_independent_tickets_run_in_parallel_up_to_the_limit(tmp_path):
 controller, rec = make(tmp_path, latency_ms=60, max_parallel=3)
 controller._start(independent_track(9))
 assert controller.wait_idle(60)
 assert controller.track_status == "done"
 assert peak_concurrency(rec.records) == 3


def test_session_totals_equal_the_sum_of_emitted_records_under_8_workers(tmp_path):
 controller, rec = make(tmp_path, max_parallel=8, reject_rate=0.3)
 controller._start(independent_track(40))
 assert controller.wait_idle(60)
 total = controller.session().total
 priced = [r for r in rec.records if r.usage is not None]
 assert total.calls == len(priced)
 assert total.cost_units == sum(r.cost_units for r in priced)
 assert total.input_tokens == sum(r.usage.input_tokens for r in priced)
 assert total.output_tokens == sum(r.usage.output_tokens for r in priced)
 by_tier = {f.key: f.cost_units for f in controller.session().by_tier}
 for tier, units in by_tier.items():
  assert units == sum(r.cost_units for r in priced if r.tier == tier)


def test_pause_stops_new_calls_and_step_allows_exactly_one(tmp_path):
 controller, rec = make(tmp_path, latency_ms=30)
 controller.start_track("Build a word counter")
 assert wait_for(controller, lambda: len(rec.records) >= 3)
 controller.pause()
 time.sleep(0.2)  # in-flight calls finish and are still counted
 controller.drain_pending()
 settled = len(rec.records)
 time.sleep(0.4)
 controller.drain_pending()
 assert len(rec.records) == settled
 assert controller.track_status == "paused"
 cost_before = controller.session().total.cost_units
 time.sleep(0.2)
 controller.drain_pending()
 assert controller.session().total.cost_units == cost_before
 controller.step()
 assert wait_for(controller, lambda: len(rec.records) == settled + 1)
 time.sleep(0.3)
 controller.drain_pending()
 assert len(rec.records) == settled + 1
 assert controller.track_status == "step"
 controller.resume()
 assert controller.wait_idle(30)
 assert controller.track_status == "done"


def test_stop_cancels_in_flight_calls_and_the_track_resumes_from_toml(tmp_path):
 controller, _rec = make(tmp_path, latency_ms=40)
 track = controller.start_track("Build a word counter with a parser and tests")
 assert wait_for(controller, lambda: any(t.status == "done" for t in controller.tickets.values()))
 started = time.monotonic()
 controller.stop()
 assert controller.engine.join(5)
 assert time.monotonic() - started < 2.0
 controller.drain_pending()
 assert controller.track_status == "stopped"
 saved = load_track(tmp_path, track.id)
 done_before = {t.id for t in saved.tickets if t.status == "done"}
 assert done_before and all(t.status in ("done", "todo") for t in saved.tickets)

 again, rec2 = make(tmp_path)
 again.resume_track(track.id)
 assert again.wait_idle(30)
 assert again.track_status == "done"
 assert not [r for r in rec2.records if r.tier == "Tier 1"]
 assert not [r for r in rec2.records if r.ticket_id in done_before]
 assert all(t.status == "done" for t in load_track(tmp_path, track.id).tickets)


def test_reset_session_keeps_tickets_and_starts_from_zero(tmp_path):
 controller, _rec = make(tmp_path)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 old = controller.session()
 assert old.total.cost_units > 0
 tickets = dict(controller.tickets)
 new_id = controller.reset_session()
 controller.drain_pending()
 snap = controller.session()
 assert new_id != old.session_id and snap.session_id == new_id
 assert snap.total.cost_units == 0 and snap.total.calls == 0
 assert snap.cells == () and all(snap.tier(t).calls == 0 for t in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"))
 assert controller.tickets == tickets
 assert len(controller.cost_timeline) == 0


def test_duplicate_delivery_of_a_record_counts_once(tmp_path):
 controller, rec = make(tmp_path)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 total = controller.session().total
 for record in list(rec.records[:3]):
  controller.post(record)
 controller.drain_pending()
 assert controller.session().total == total


def test_a_failed_call_blocks_its_ticket_with_the_reason(tmp_path):
 config = sim_config(tmp_path)

 def factory(tier, project):
  # one client serves every tier: the plan and the first brief succeed, the first worker call fails
  client = SimulatedClient(seed=1, max_retries=0, reject_rate=0.0)
  client.inject_failures(None, None, "server")
  return client

 controller = AppController(tmp_path, config=config, client_factory=factory)
 rec = Recorder(controller)
 controller.start_track("Build a parser")
 assert controller.wait_idle(30)
 assert controller.track_status == "blocked"
 blocked = [t for t in controller.tickets.values() if t.status == "blocked" and not t.depends_on]
 assert blocked and all(t.blocked_reason.startswith("call failed:") for t in blocked)
 failed = [r for r in rec.records if r.status == "failed"]
 assert failed and all(r.usage is None and r.cost_units is None and r.error for r in failed)
 assert controller.session().total.calls == len([r for r in rec.records if r.usage is not None])


@pytest.mark.parametrize("count", [20])
def test_twenty_tickets_complete_headless_in_seconds(tmp_path, count):
 controller, rec = make(tmp_path, max_parallel=4)
 started = time.perf_counter()
 controller._start(independent_track(count))
 assert controller.wait_idle(60)
 elapsed = time.perf_counter() - started
 assert controller.track_status == "done"
 assert len(rec.by_tier("Tier 3")) == count
 print(f"20 tickets, {len(rec.records)} calls in {elapsed:.2f} s")


def test_the_same_goal_run_twice_in_one_session_is_billed_twice(tmp_path):
 controller, rec = make(tmp_path)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 once = controller.session().total
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 twice = controller.session().total
 # the simulated provider answers identically, but each call is its own bill
 assert twice.calls == 2 * once.calls and twice.cost_units == 2 * once.cost_units
 assert len({r.request_id for r in rec.records}) == len(rec.records)


def test_a_plan_of_twenty_tickets_from_the_goal(tmp_path):
 controller, rec = make(tmp_path, max_parallel=8)
 controller.start_track("Build a static site generator in 20 tickets")
 assert controller.wait_idle(60)
 assert len(controller.tickets) == 20 and controller.track_status == "done"
 assert peak_concurrency(rec.records) > 1


def test_a_call_that_broke_after_billing_is_still_counted(tmp_path):
 config = sim_config(tmp_path)

 def factory(tier, project):
  # plan and first brief succeed; the first worker answer breaks off half-way after being billed
  client = SimulatedClient(seed=2, max_retries=0)
  client.inject_failures(None, None, "broken")
  return client

 controller = AppController(tmp_path, config=config, client_factory=factory)
 rec = Recorder(controller)
 controller.start_track("Build a parser")
 assert controller.wait_idle(30)
 broken = [r for r in rec.records if r.status == "failed"]
 assert len(broken) == 1 and broken[0].usage is not None and broken[0].usage.output_tokens > 0
 assert broken[0].cost_units > 0
 total = controller.session().total
 assert total.cost_units == sum(r.cost_units for r in rec.records if r.cost_units)
 assert total.calls == len(rec.records)
 ticket = controller.tickets[broken[0].ticket_id]
 assert ticket.status == "blocked" and ticket.blocked_reason.startswith("call failed:")
