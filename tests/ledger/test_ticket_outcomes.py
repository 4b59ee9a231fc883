"""Tickets' outcomes in the ledger (schema version 7): a real run on the simulated provider leaves each ticket's
status, attempts and worker models, so reports can tell the cost of a done ticket from a blocked one."""

import dataclasses
import sqlite3

import pytest

from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import SimulatedConfig
from mma_conductor.ledger.schema import SCHEMA_VERSION
from mma_conductor.ledger.store import Ledger, TicketOutcome


def test_a_run_leaves_every_tickets_outcome_and_models(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text('[ledger]\nrecord_simulated = true\npath = "l.sqlite3"\n')
 config = load_project_config(tmp_path)
 config = dataclasses.replace(config, simulated=SimulatedConfig(seed=3, latency_ms=0, reject_rate=0.5))
 controller = AppController(tmp_path, config=config)
 connect_ledger(controller, tmp_path, serve_api=False)
 track = controller.start_track("Build a word counter")
 assert controller.wait_idle(60)
 controller.shutdown()
 with Ledger.open(tmp_path / "l.sqlite3") as ledger:
  rows = ledger.connection.execute(
   "SELECT ticket_id, status, attempts, model, models FROM tickets WHERE run_id = ? ORDER BY ticket_id", (track.id,)
  ).fetchall()
 expected = sorted((t.id, t.status, t.attempts, t.model, ",".join(t.models)) for t in controller.tickets.values())
 assert rows == expected
 assert {status for _, status, *_ in rows} <= {"done", "blocked"}
 assert any(attempts > 1 for _, _, attempts, *_ in rows)  # QA rejected some: escalations are kept


def test_the_latest_outcome_wins_and_a_bad_one_is_refused(tmp_path):
 with Ledger.open(tmp_path / "l.sqlite3") as ledger:
  ledger.record_tickets([TicketOutcome("r", "T1", "in_progress", "Plan", 1, "m1", ("m1",), 10.0)])
  ledger.record_tickets([TicketOutcome("r", "T1", "done", "Plan", 2, "m2", ("m1", "m2"), 11.0)])
  rows = ledger.connection.execute("SELECT status, attempts, model, models, updated_us FROM tickets").fetchall()
  assert rows == [("done", 2, "m2", "m1,m2", 11_000_000)]
  with pytest.raises(ValueError, match="ticket ticket_id must be a non-empty string"):
   ledger.record_tickets([TicketOutcome("r", "", "done")])


def test_a_version_6_ledger_gains_the_tickets_table(tmp_path):
 path = tmp_path / "v6.sqlite3"
 Ledger.open(path).close()
 conn = sqlite3.connect(path, isolation_level=None)
 for table in ("tickets", "ticket_costs", "tier_outcomes", "tier_outcome_totals"):  # as version 6 had none of them
  conn.execute(f"DROP TABLE {table}")
 conn.execute("PRAGMA user_version = 6")
 conn.close()
 with Ledger.open(path) as ledger:
  assert ledger.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
  ledger.record_tickets([TicketOutcome("r", "T1", "done")])
  assert ledger.connection.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
