"""The Cost Dashboard window in a headless imgui context, on a real ledger through the app's real query runner: what
it draws is read back through Dear ImGui's text logging and compared with the ledger's own figures."""

import time

import pytest
from imgui_bundle import imgui

from mma_conductor.app.controller import AppController
from mma_conductor.app.dashboard_link import PAGES_PER_READ
from mma_conductor.gui.cost_dashboard import CostDashboard, parse_local
from mma_conductor.gui.cost_dashboard_view import EMPTY_VIEW, bucket_at, session_cells, usd
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.ledger.dashboard import dashboard_data, sessions_page
from mma_conductor.ledger.store import Ledger, LedgerCall, TicketOutcome
from mma_conductor.pricing.usage import Usage

USD = 10**15
NOW = time.time()
PROJECT = """[tiers.tier3]
provider = "openai"
model = "gpt-4o"
escalation = ["gpt-4o-mini"]
"""


def ledger_call(at, cost, session, run="r1", ticket="T1", **fields):
 values = {"tier": "Tier 3", "agent": "worker", "provider": "openai", "model": "gpt-4o"}
 values.update(fields)
 usage = Usage(200_000, 20_000)
 return LedgerCall(
  at, session, run, ticket, usage=usage, cost_units=cost, request_id="", status="success", latency_s=1.0, **values
 )


def seed(path, sessions=30):
 with Ledger.open(path) as ledger:
  calls = [
   ledger_call(NOW - 7200 + i * 7000 / sessions, (i + 1) * USD, f"s{i:03d}", run=f"r{i % 3}") for i in range(sessions)
  ]
  calls.append(
   ledger_call(
    NOW - 1800, 2 * USD, "s000", run="r0", ticket="", tier="Tier 1", provider="anthropic", model="claude-sonnet-4-5"
   )
  )
  calls.append(ledger_call(NOW - 40 * 86400, 9 * USD, "old", run="r-old", provider="gemini", model="gemini-2.5-pro"))
  ledger.record_calls(calls)
  ledger.record_run("r0", "done", goal="Build the parser", started_at=NOW - 7200)
  ledger.record_tickets([TicketOutcome("r0", "T1", "done", "Parse the input", 1, "gpt-4o", ("gpt-4o",), NOW - 3600)])


@pytest.fixture
def window(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text(PROJECT)
 path = tmp_path / "ledger.sqlite3"
 seed(path)
 controller = AppController(tmp_path)
 controller.attach_ledger(Ledger.open(path), record_simulated=False)
 with headless_imgui(1400, 2600):
  yield CostDashboard(controller)
 controller.shutdown()


def frame(dash, log=False):
 imgui.new_frame()
 imgui.set_next_window_size(imgui.ImVec2(1300, 2400))
 imgui.begin("Cost Dashboard")
 if log:
  imgui.log_to_clipboard()
 dash.render()
 if log:
  imgui.log_finish()
 imgui.end()
 imgui.render()


def settle(dash, done=lambda: True, timeout=60.0):
 """Draw frames (draining the controller's queue, as the app's pre_frame does) until nothing is awaited and
 `done()` holds; returns the text of one more frame."""
 deadline = time.monotonic() + timeout
 while time.monotonic() < deadline:
  dash.controller.drain_pending()
  frame(dash)
  link = dash.link
  if link.state.data is not None and not link.state.running and not link.busy and done():
   dash.controller.drain_pending()
   frame(dash)
   frame(dash, log=True)
   return imgui.get_clipboard_text()
  time.sleep(0.005)
 raise AssertionError(f"no answer: still waiting for {dash.link.state.asked}")


def test_the_window_draws_the_ledgers_figures_for_the_range(window):
 text = settle(window, lambda: 0 in window.link.state.pages)
 ledger = window.controller.ledger_link.ledger
 data = dashboard_data(ledger, window.link.state.query)
 assert data.cards.spent_units == (sum(range(1, 31)) + 2) * USD  # the 30d range leaves the 40-day-old call out
 assert usd(data.cards.spent_units) in text
 assert f"{data.cards.calls:,}" in text
 for share in data.providers:
  assert share.provider in text and f"{share.share:.1%}" in text
 assert "Tier 3" in text and "openai/gpt-4o" in text
 assert "Build the parser" in text  # the top runs
 first = sessions_page(ledger, window.link.state.query, limit=1).rows[0]
 assert "  ".join(session_cells(first)[:4]) in "  ".join(text.split()) or session_cells(first)[0] in text
 assert [row.label for row in window.view.shares if row.is_provider] == ["openai", "anthropic"]


def test_a_new_range_and_a_filter_change_every_figure(window):
 settle(window)
 window.change(range="all")
 text = settle(window)
 assert usd((sum(range(1, 31)) + 2 + 9) * USD) in text and "gemini-2.5-pro" in text
 window.change(provider="anthropic")
 text = settle(window)
 assert window.view.cards[0].value == usd(2 * USD)
 assert "Tier 1" in text and "claude-sonnet-4-5" in text


def test_an_expanded_session_shows_its_lines_and_a_run_opens_its_tickets(window):
 window.link.set_sort("session", False)
 settle(window, lambda: 0 in window.link.state.pages)
 window.expanded["s000"] = 0
 text = settle(window, lambda: "s000" in window.link.state.lines)
 assert "anthropic/claude-sonnet-4-5" in text and "openai/gpt-4o" in text
 assert "run r0" in text
 window.tickets_run = "r0"
 settle(window, lambda: "r0" in window.link.state.tickets)
 imgui.new_frame()
 imgui.log_to_clipboard()
 window.render()
 imgui.log_finish()
 imgui.render()
 text = imgui.get_clipboard_text()
 assert "Parse the input" in text and "done" in text


def test_the_sessions_table_formats_only_the_rows_in_view(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 seed(path, sessions=3000)
 controller = AppController(tmp_path)
 controller.attach_ledger(Ledger.open(path), record_simulated=False)
 try:
  with headless_imgui(1400, 2600):
   dash = CostDashboard(controller)
   settle(dash, lambda: 0 in dash.link.state.pages)
   assert dash.view.sessions == 3000
   dash.rows._rows.clear()  # the logged frame drew every row: Dear ImGui's clipper does not clip while logging
   for _ in range(3):
    frame(dash)
   formatted = len(dash.rows._rows)
   assert 0 < formatted < 60  # a 300-pixel table shows a dozen rows, not 3000
   assert set(dash.link.state.pages) == set(range(PAGES_PER_READ))  # one read of the first pages, not all 15
 finally:
  controller.shutdown()


def test_apply_and_undo_a_suggestion_change_the_tier_and_the_project_file(window, tmp_path):
 settle(window, lambda: window.view.alternatives != ())
 row = next(r for r in window.view.alternatives if r.tier == "Tier 3")
 assert (row.provider, row.model) == ("openai", "gpt-4o-mini")
 window.apply(window.link, row)
 assert window.controller.config.tiers["Tier 3"].model == "gpt-4o-mini"
 assert 'model = "gpt-4o-mini"' in (tmp_path / "mma_conductor.toml").read_text()
 text = settle(window)
 assert "Tier 3 now runs openai/gpt-4o-mini" in text and "Undo" in text
 window.undo(window.link)
 assert window.controller.config.tiers["Tier 3"].model == "gpt-4o"
 assert 'model = "gpt-4o"\n' in (tmp_path / "mma_conductor.toml").read_text()


def test_strings_are_rebuilt_only_when_the_data_change(window):
 settle(window)
 view = window.view
 for _ in range(5):
  frame(window)
 assert window.view is view and view is not EMPTY_VIEW


def test_hover_finds_the_bucket_under_the_mouse(window):
 settle(window)
 plot = window.view.trend
 assert plot.bucket == "day" and len(plot.starts) >= 30
 assert bucket_at(plot, plot.starts[3] + 10) == 3
 assert bucket_at(plot, plot.starts[0] - 10) is None
 assert plot.hover[-1].split(":")[0] in plot.hover[-1]


def test_a_custom_range_is_read_as_local_dates():
 assert parse_local("2026-01-05") == int(time.mktime((2026, 1, 5, 0, 0, 0, 0, 0, -1)) * 1_000_000)
 assert parse_local("2026-01-05 13:30") == int(time.mktime((2026, 1, 5, 13, 30, 0, 0, 0, -1)) * 1_000_000)
 assert parse_local("yesterday") is None
