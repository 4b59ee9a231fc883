"""The Cost Dashboard's query runner (issue 13, point 7): answers come off the GUI thread through the controller's
queue, answers for an older range or sort are dropped, and new recorded calls refresh the figures."""

import time

import pytest

from mma_conductor.app.controller import AppController
from mma_conductor.app.dashboard_link import PAGE_ROWS, PAGES_PER_READ, DashboardResult, DashboardSpec, _Request
from mma_conductor.engine.events import CallRecord
from mma_conductor.ledger.dashboard import dashboard_data, run_tickets, session_lines, sessions_page
from mma_conductor.ledger.store import Ledger, LedgerCall
from mma_conductor.pricing.usage import Usage

USD = 10**15
NOW = time.time()


def ledger_call(at: float, cost: int, session: str, run: str = "r1", **fields) -> LedgerCall:
 values = {"tier": "Tier 3", "agent": "worker", "provider": "openai", "model": "gpt-4o", "ticket_id": "T1"}
 values.update(fields)
 return LedgerCall(
  timestamp=at,
  session_id=session,
  run_id=run,
  usage=Usage(1000, 100),
  cost_units=cost,
  request_id="",
  status="success",
  latency_s=1.0,
  **values,
 )


@pytest.fixture
def controller(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 with Ledger.open(path) as seed:
  calls = [ledger_call(NOW - 3600 + i, (i + 1) * USD, f"s{i:04d}", run=f"r{i % 3}") for i in range(2450)]
  calls.append(
   ledger_call(NOW - 40 * 86400, 7 * USD, "old", run="r-old", provider="anthropic", model="claude-haiku-4-5")
  )
  seed.record_calls(calls)
 app = AppController(tmp_path)
 app.attach_ledger(Ledger.open(path), record_simulated=False)
 yield app
 app.shutdown()


def settle(controller, link, done=lambda: True, timeout=60.0):
 """Drain the controller's queue until no answer is awaited and `done()` holds."""
 deadline = time.monotonic() + timeout
 while time.monotonic() < deadline:
  controller.drain_pending()
  if not link.state.running and done():
   return
  time.sleep(0.005)
 raise AssertionError(f"the runner did not answer: still waiting for {link.state.asked}")


def test_show_answers_through_the_queue_with_the_ledgers_figures(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 assert link.state.running and link.state.data is None  # nothing is answered on the asking thread
 settle(controller, link)
 query = link.state.query
 assert link.state.data == dashboard_data(controller.ledger_link.ledger, query)
 assert link.state.data.cards.spent_units == sum(range(1, 2451)) * USD
 assert link.state.data.sessions == 2450
 assert link.state.insights is not None and link.state.insights.query == query
 # Rows are asked for as the table needs them, PAGES_PER_READ pages at a time.
 far = PAGES_PER_READ * PAGE_ROWS + PAGE_ROWS + 5
 assert link.session_row(far) is None
 settle(controller, link)
 expected = sessions_page(controller.ledger_link.ledger, query, offset=far, limit=1).rows[0]
 assert link.session_row(far) == expected
 assert 0 not in link.state.pages
 assert link.session_lines("s0007") is None and link.run_tickets("r1") is None
 settle(controller, link, lambda: link.session_lines("s0007") is not None and link.run_tickets("r1") is not None)
 assert link.session_lines("s0007") == session_lines(controller.ledger_link.ledger, "s0007")
 assert link.run_tickets("r1") == run_tickets(controller.ledger_link.ledger, "r1")


def test_a_new_range_drops_the_answers_of_the_old_one(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 old = link.state.generation
 link.show(DashboardSpec("all", provider="anthropic"))
 settle(controller, link)
 assert link.state.data.query.provider == "anthropic"
 assert link.state.data.cards.spent_units == 7 * USD
 version = link.state.version
 stale = DashboardResult("dashboard", old, "show", dashboard_data(controller.ledger_link.ledger, link.state.query))
 controller.post(stale)
 controller.drain_pending()
 assert link.state.version == version and link.state.data.cards.spent_units == 7 * USD


def test_a_new_sort_drops_pages_of_the_old_order(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 link.session_row(0)
 link.set_sort("cost", False)  # asked before the first page's answer came back
 settle(controller, link)
 assert link.state.pages == {}  # the answer for the old order was dropped
 link.session_row(0)
 settle(controller, link, lambda: 0 in link.state.pages)
 assert link.session_row(0).session_id == "s0000" and link.session_row(1).cost_units == 2 * USD


def test_a_recorded_call_refreshes_the_figures_shown(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 settle(controller, link)
 before = link.state.data.cards.calls
 link.last_drawn = time.monotonic()
 record = CallRecord(
  controller.costs.session_id,
  "",
  "",
  "Tier 2",
  "worker",
  "openai",
  "gpt-4o",
  Usage(10, 1),
  USD,
  0.1,
  "req-1",
  "success",
 )
 controller.post(record)
 settle(controller, link, lambda: link.state.data.cards.calls == before + 1)
 assert link.state.data.cards.spent_units == sum(range(1, 2451)) * USD + USD


def test_a_hidden_window_is_not_refreshed(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 settle(controller, link)
 link.last_drawn = 0.0  # never drawn: the window is closed
 runs = link.queries_run
 record = CallRecord(
  controller.costs.session_id, "", "", "Tier 2", "w", "openai", "gpt-4o", Usage(10, 1), USD, 0.1, "", "success"
 )
 controller.post(record)
 controller.ledger_link.writer.flush(5)
 time.sleep(0.5)  # several refresh periods pass (the assertion is on what did not happen, not on timing)
 controller.drain_pending()
 assert link.queries_run == runs


def test_a_page_read_scrolled_past_before_it_ran_is_skipped(controller):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 settle(controller, link)
 link.session_row(0)  # read 0 is in view in this frame
 assert link._wanted_now(_Request("page", link.state.generation, 0))
 link.frame_drawn()
 link.frame_drawn()  # two frames later the table shows other rows
 assert not link._wanted_now(_Request("page", link.state.generation, 0))
 assert link._wanted_now(_Request("dashboard", link.state.generation, "show"))  # only page reads are skipped
 settle(controller, link)  # a skipped read clears its mark: nothing stays awaited


def test_exports_of_the_range_shown_are_written_off_the_gui_thread(controller, tmp_path):
 link = controller.dashboard
 link.show(DashboardSpec("24h"))
 settle(controller, link)
 link.export("csv", tmp_path / "range.csv")
 assert link.state.running  # answered later, through the queue
 settle(controller, link)
 assert len((tmp_path / "range.csv").read_text().splitlines()) == 2450 + 1  # the header, the 24h calls
 assert link.state.message.startswith(f"saved {tmp_path / 'range.csv'} (2,450 calls)")
 link.export("pdf", tmp_path / "range.pdf")
 settle(controller, link)
 assert (tmp_path / "range.pdf").read_bytes().startswith(b"%PDF")
 link.export("xlsx", tmp_path / "range.xlsx")
 settle(controller, link)
 assert "unknown export format" in link.state.message
