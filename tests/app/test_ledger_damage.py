"""A damaged ledger reaches the app's ledger status with its path and what to do, and the app goes on without
writing into it; with the real controller, engine and SQLite."""

import dataclasses

from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import SimulatedConfig
from mma_conductor.ledger.store import Ledger, LedgerCall
from mma_conductor.pricing.usage import Usage


def damaged_project(tmp_path, *, damage=True):
 (tmp_path / "mma_conductor.toml").write_text('[ledger]\npath = "ledger.sqlite3"\nrecord_simulated = true\n')
 path = tmp_path / "ledger.sqlite3"
 with Ledger.open(path, milestones_enabled=False) as ledger:
  ledger.record_calls(
   [
    LedgerCall(1_767_571_200 + i, f"s{i % 9}", "r1", "T1", "Tier 3", "worker", "openai", "gpt-4o", Usage(10, 1), 5)
    for i in range(3000)
   ]
  )
 if not damage:
  return path
 data = bytearray(path.read_bytes())
 for offset in range(3 * 16384, len(data) - 16384, 6 * 16384):  # garbage over data pages; the schema stays
  data[offset : offset + 64] = b"\xa5" * 64
 path.write_bytes(bytes(data))
 return path


def controller_for(tmp_path):
 config = load_project_config(tmp_path)
 config = dataclasses.replace(config, simulated=SimulatedConfig(seed=9, latency_ms=0, reject_rate=0.0))
 return AppController(tmp_path, config=config)


def test_a_page_damaged_ledger_is_reported_with_its_path_and_costs_repair(tmp_path):
 path = damaged_project(tmp_path)
 before = path.read_bytes()
 controller = controller_for(tmp_path)
 connect_ledger(controller, tmp_path, serve_api=False)
 assert wait_for(controller, lambda: "damaged" in controller.ledger_problem)
 problem = controller.ledger_problem
 assert str(path) in problem and f"costs repair --ledger {path}" in problem and "\n" not in problem
 assert any("cost history is off:" in e.message and str(path) in e.message for e in controller.log)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30) and controller.track_status == "done"
 controller.shutdown()
 assert path.read_bytes() == before


def test_a_truncated_ledger_turns_cost_history_off_with_its_path_and_costs_repair(tmp_path):
 path = damaged_project(tmp_path, damage=False)
 live = tmp_path / "live.sqlite3"
 path.replace(live)
 # A copy taken while the app ran: the last commits only in the write-ahead log, the file itself cut short.
 with Ledger.open(live, milestones_enabled=False) as ledger:
  ledger.record_run("r2", "running")
  path.write_bytes(live.read_bytes()[: live.stat().st_size // 2])
  path.with_name("ledger.sqlite3-wal").write_bytes(live.with_name("live.sqlite3-wal").read_bytes())
 before = path.read_bytes()
 controller = controller_for(tmp_path)
 link, _ = connect_ledger(controller, tmp_path, serve_api=False)
 assert link is None
 controller.drain_pending()
 assert str(path) in controller.ledger_problem and "costs repair" in controller.ledger_problem
 assert any("cost history is off:" in e.message and "truncated" in e.message for e in controller.log)
 controller.shutdown()
 assert path.read_bytes() == before
