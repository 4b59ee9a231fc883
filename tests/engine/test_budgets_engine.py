"""Budgets in a real run: the conductor (simulated provider, real cost engine, real ledger where it matters) holds
the call that would cross a limit, pauses or stops the run with a reason naming the budget, and goes on only as
the user decides."""

import dataclasses
import time
from decimal import Decimal

from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import SimulatedConfig, TierConfig
from mma_conductor.engine.tickets import Ticket, Track
from mma_conductor.pricing.budgets import Budget, BudgetSettings, load_budget_settings
from mma_conductor.pricing.money import usd_to_units

# $0.30 / $2.50 per million tokens: a Tier 3 call (4,096 max tokens) may cost up to ~$0.0103, a Tier 2 or 4 call
# (1,024) ~$0.0026, while the simulated provider's answers cost ~$0.0001-0.0004 each.
MODEL = "gemini-2.5-flash"


def controller_for(tmp_path, *budgets: Budget, latency_ms=5.0, max_parallel=4, record=True):
 tmp_path.mkdir(exist_ok=True)
 (tmp_path / "mma_conductor.toml").write_text(f"[ledger]\nrecord_simulated = {str(record).lower()}\n")
 config = load_project_config(tmp_path)
 config = dataclasses.replace(
  config,
  tiers={tier: TierConfig("simulated", MODEL) for tier in config.tiers},
  max_parallel=max_parallel,
  simulated=SimulatedConfig(seed=5, latency_ms=latency_ms, reject_rate=0.0),
  budgets=BudgetSettings(limits=budgets),
 )
 return AppController(tmp_path, config=config)


def track_of(count: int) -> Track:
 return Track("budgeted work", tickets=[Ticket(f"t{i}", f"Independent task {i}") for i in range(count)])


def dollars(text: str) -> int:
 return usd_to_units(Decimal(text))


def test_a_pause_budget_holds_the_call_that_would_cross_it_and_the_run_waits(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.011"), action="pause"))
 controller._start(track_of(6))
 assert wait_for(controller, lambda: controller.budget_hold is not None)
 hold = controller.budget_hold
 assert controller.track_status == "paused"
 assert hold.message.startswith("held back Tier ")
 assert "per-run budget $0.0110: $0.0" in hold.message and "this call may cost up to $0.0" in hold.message
 assert hold.message.endswith("resets at the next run")
 assert controller.track_message == hold.message
 # the calls in flight when the hold came finish (their reservations settle), then nothing more is sent
 assert wait_for(controller, lambda: controller.budget_statuses[0].reserved_units == 0)
 calls = len(controller.call_log)
 time.sleep(0.3)
 controller.drain_pending()
 assert len(controller.call_log) == calls
 spent = controller.session().total.cost_units
 assert spent <= dollars("0.011")
 assert controller.budget_statuses[0].used_units == spent
 assert any(e.message.startswith("budget: held back") for e in controller.log)
 controller.stop()
 assert controller.wait_idle(30)
 assert controller.track_status == "stopped"


def test_allow_once_sends_exactly_one_more_call_and_allow_run_lets_the_run_finish(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.011"), action="pause"), max_parallel=1)
 controller._start(track_of(3))
 assert wait_for(controller, lambda: controller.budget_hold is not None)
 held = controller.budget_hold.hold.what
 assert held == f"Tier 3 t1 on {MODEL}"
 controller.allow_budget_once("run")
 # the held call goes (once); the cheaper calls after it fit the limit; the next worker call is held again
 assert wait_for(controller, lambda: controller.budget_hold is not None and controller.budget_hold.hold.what != held)
 assert controller.budget_hold.hold.what == f"Tier 3 t2 on {MODEL}"
 assert [r.tier for r in controller.call_log if r.ticket_id == "t1"] == ["Tier 2", "Tier 3", "Tier 4"]
 assert controller.track_status == "paused"
 controller.allow_budget_run("run")
 assert controller.wait_idle(30)
 assert controller.track_status == "done"
 assert len(controller.call_log) == 9  # every ticket ran: the user allowed it


def test_raising_the_limit_saves_it_in_the_project_file_and_resumes(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.011"), action="pause"), max_parallel=2)
 controller._start(track_of(2))
 assert wait_for(controller, lambda: controller.budget_hold is not None)
 controller.raise_budget_limit("run", dollars("10"))
 assert controller.wait_idle(30)
 assert controller.track_status == "done"
 saved = load_budget_settings(tmp_path / "mma_conductor.toml")
 assert saved.find("run").limit_units == dollars("10")
 assert "record_simulated = true" in (tmp_path / "mma_conductor.toml").read_text()


def test_a_stop_budget_ends_the_run_with_the_budget_as_its_reason(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.011"), action="stop", tier="Tier 3"))
 controller._start(track_of(8))
 assert controller.wait_idle(30)
 assert controller.track_status == "stopped"
 assert controller.track_message.startswith("stopped by the Tier 3 per-run budget $0.0110: $0.0")
 assert "(held back Tier 3 t" in controller.track_message
 assert controller.engine.stop_reason in controller.track_message
 tier3 = sum(r.cost_units for r in controller.call_log if r.tier == "Tier 3" and r.cost_units)
 assert tier3 <= dollars("0.011")
 assert all(t.status in ("todo", "done") for t in controller.tickets.values())  # resumable


def test_a_warn_budget_lets_every_call_through_and_alerts_once_per_threshold(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.002"), alert_pct=Decimal(50), action="warn"))
 controller._start(track_of(4))
 assert controller.wait_idle(30)
 assert controller.track_status == "done"
 assert [a.threshold_pct for a in controller.notifications] == [Decimal(50), Decimal(100)]
 assert sum("per-run budget passed 50%: $0.00" in e.message for e in controller.log) == 1
 assert sum("per-run budget reached its limit: $0.00" in e.message for e in controller.log) == 1


def test_simulated_calls_count_only_when_the_ledger_records_them(tmp_path):
 controller = controller_for(tmp_path, Budget("run", dollars("0.0001"), action="stop"), record=False)
 connect_ledger(controller, tmp_path, serve_api=False)
 controller._start(track_of(2))
 assert controller.wait_idle(30)
 assert controller.track_status == "done"
 controller.shutdown()


def test_a_monthly_budget_counts_what_earlier_runs_recorded_in_the_ledger(tmp_path, monkeypatch):
 monkeypatch.setenv("MMA_CONDUCTOR_DATA_DIR", str(tmp_path / "data"))
 first = controller_for(tmp_path / "p")
 connect_ledger(first, tmp_path / "p", serve_api=False)
 first._start(track_of(2))
 assert first.wait_idle(30)
 earlier = first.session().total.cost_units
 first.shutdown()
 # A restart: the month's spend comes from the ledger, so a limit just above it holds the first call.
 limit = earlier + dollars("0.001")
 second = controller_for(tmp_path / "p", Budget("monthly", limit, action="pause"))
 connect_ledger(second, tmp_path / "p", serve_api=False)
 second._start(track_of(2))
 assert wait_for(second, lambda: second.budget_hold is not None)
 assert second.budget_hold.hold.used_units == earlier
 assert len(second.call_log) == 0
 second.stop()
 assert second.wait_idle(30)
 second.shutdown()
