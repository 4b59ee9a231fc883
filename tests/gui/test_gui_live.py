"""The real app wiring, driven by the ImGui Test Engine in a real window under Xvfb."""

import dataclasses
import faulthandler
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imgui_tables import model_row_cells, table_rows

pytestmark = pytest.mark.live

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


@pytest.fixture(scope="module")
def display():
 """A virtual screen: the existing DISPLAY, else an Xvfb started for these tests."""
 if os.environ.get("DISPLAY"):
  yield os.environ["DISPLAY"]
  return
 xvfb = shutil.which("Xvfb")
 if xvfb is None:
  pytest.skip("Xvfb is not installed (apt-get install xvfb; .ci/run installs it)")
 number = 90 + os.getpid() % 50
 proc = subprocess.Popen(
  [xvfb, f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
  stdout=subprocess.DEVNULL,
  stderr=subprocess.DEVNULL,
 )
 socket = Path(f"/tmp/.X11-unix/X{number}")
 deadline = time.monotonic() + 10
 while not socket.exists() and time.monotonic() < deadline and proc.poll() is None:
  time.sleep(0.05)
 if not socket.exists():
  proc.kill()
  pytest.skip(f"Xvfb did not start on :{number}")
 os.environ["DISPLAY"] = f":{number}"
 yield os.environ["DISPLAY"]
 del os.environ["DISPLAY"]
 proc.terminate()
 proc.wait(5)


@pytest.fixture
def live_app(display, tmp_path):
 """A GuiApp on the simulated provider (conftest leaves no keys in the environment) and its runner params."""
 from mma_conductor.app.controller import AppController
 from mma_conductor.app.project_config import SimulatedConfig, load_project_config
 from mma_conductor.gui.app import GuiApp, build_runner_params

 def start(latency_ms=0.0):
  config = load_project_config(tmp_path)
  config = dataclasses.replace(config, simulated=SimulatedConfig(seed=5, latency_ms=latency_ms, reject_rate=0.3))
  controller = AppController(tmp_path, config=config)
  app = GuiApp(controller)
  params, addons = build_runner_params(app, ini_disable=True)
  return app, params, addons

 return start


# The Test Engine installs its crash handler for these signals and leaves it behind after the run; that handler
# then crashes on the freed engine. A later test writing to a socket its peer closed (SIGPIPE, which Python
# normally ignores) took the whole pytest process down with a segfault.
_CRASH_SIGNALS = (signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSEGV)


def run_app(test_function, params, addons):
 from imgui_bundle.immapp import testing

 try:
  testing.run(test_function=test_function, runner_params=params, add_ons_params=addons)
 finally:
  restore_signal_handlers()


def restore_signal_handlers() -> None:
 """Put back Python's own signal dispositions (and faulthandler's) after the Test Engine has run."""
 signal.signal(signal.SIGPIPE, signal.SIG_IGN)
 for number in _CRASH_SIGNALS:
  signal.signal(number, signal.SIG_DFL)
 if faulthandler.is_enabled():
  faulthandler.disable()
  faulthandler.enable(file=sys.__stderr__, all_threads=True)


def wait_until(ctx, predicate, frames=3000):
 for _ in range(frames):
  if predicate():
   return True
  ctx.yield_(1)
 return predicate()


def start_track(ctx, app, goal: str) -> None:
 """Type `goal` into the Track window and press Run."""
 app.goal = goal
 ctx.set_ref("//Track")
 ctx.item_click("**/Run (F5)")


def copied_rows(ctx, window: str, button: str) -> tuple[str, list[list[str]]]:
 from imgui_bundle import imgui

 ctx.set_ref(f"//{window}")
 ctx.item_click(f"**/{button}")
 ctx.yield_(2)
 text = imgui.get_clipboard_text()
 return text, table_rows(text)


def test_run_track_then_panel_and_tier_table_equal_the_controller(live_app):
 app, params, addons = live_app()
 controller = app.controller
 ARTIFACTS.mkdir(exist_ok=True)
 results = {}

 def scenario(ctx):
  from imgui_bundle.immapp import testing

  ctx.yield_(3)
  testing.capture(ctx, str(ARTIFACTS / "app_before_run.png"))
  start_track(ctx, app, "Build a word counter CLI with tests")
  assert wait_until(
   ctx, lambda: controller.track_status in ("done", "blocked", "error") and not controller.engine.running
  )
  ctx.yield_(3)
  testing.capture(ctx, str(ARTIFACTS / "app_after_run.png"))
  results["panel"] = copied_rows(ctx, "Cost Analytics", "Copy")
  results["tiers"] = copied_rows(ctx, "MMA Dashboard", "Copy table")
  results["snapshot"] = controller.session()

 run_app(scenario, params, addons)
 snap = results["snapshot"]
 assert snap.total.calls > 0 and snap.total.cost_units > 0
 panel_text, panel_rows = results["panel"]
 assert f"Session total: {snap.total.cost_label}" in panel_text
 assert f"{snap.total.calls:,} calls" in panel_text
 by_name = {r[0]: r for r in panel_rows}
 for figures in snap.by_model:
  assert by_name[figures.key][1:] == model_row_cells(figures)
 assert "Simulated (offline)" in by_name
 _, tier_rows = results["tiers"]
 assert tier_rows[0][-1] == "Est. Cost"
 body = {r[0]: r for r in tier_rows[1:]}
 for tier in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"):
  assert body[tier][5] == snap.tier(tier).cost_label
  assert body[tier][1] == (", ".join(snap.models_in_tier(tier)) or "-")
 assert body["Total"][5] == snap.total.cost_label
 assert (ARTIFACTS / "app_after_run.png").stat().st_size > 10_000


def test_header_opens_and_closes_and_reset_session_zeroes_everything(live_app):
 app, params, addons = live_app()
 controller = app.controller
 results = {}

 def scenario(ctx):
  start_track(ctx, app, "Build a small parser")
  assert wait_until(ctx, lambda: not controller.engine.running and controller.track_status != "starting")
  ctx.yield_(2)
  ctx.set_ref("//Cost Analytics")
  ctx.item_close("**/Cost Analytics")
  ctx.yield_(2)
  results["closed"] = copied_visible(ctx)
  ctx.item_open("**/Cost Analytics")
  ctx.yield_(2)
  results["before_reset"] = controller.session()
  results["old_tickets"] = dict(controller.tickets)
  ctx.item_click("**/Reset Session")
  ctx.yield_(2)
  ctx.set_ref("//" + "Reset session?")
  ctx.item_click("Reset")
  ctx.yield_(3)
  results["after_reset"] = controller.session()
  results["tickets"] = dict(controller.tickets)
  results["panel"] = copied_rows(ctx, "Cost Analytics", "Copy")
  results["tiers"] = copied_rows(ctx, "MMA Dashboard", "Copy table")
  results["badge"] = app.view.cost.badge

 def copied_visible(ctx):
  # The header is closed: the Copy button inside it is not drawn any more.
  from imgui_bundle import imgui

  info = ctx.item_info("**/Copy", imgui.test_engine.TestOpFlags_.no_error)
  return info.id_ == 0

 run_app(scenario, params, addons)
 assert results["closed"], "Copy is still drawn while the Cost Analytics header is closed"
 before, after = results["before_reset"], results["after_reset"]
 assert before.total.cost_units > 0
 assert after.session_id != before.session_id
 assert after.total.cost_units == 0 and after.total.calls == 0 and after.by_model == ()
 assert after.cells == () and all(after.tier(t).calls == 0 for t in ("Tier 1", "Tier 2", "Tier 3", "Tier 4"))
 assert results["tickets"] == results["old_tickets"]
 panel_text, _ = results["panel"]
 assert "Session total: $0.00" in panel_text and after.session_id in panel_text
 _, tier_rows = results["tiers"]
 assert [r[5] for r in tier_rows[1:]] == ["$0.00"] * 5
 assert results["badge"] == "Session $0.00"


def test_pausing_the_conductor_stops_new_cost_arriving(live_app):
 app, params, addons = live_app(latency_ms=400)
 controller = app.controller
 results = {}

 def scenario(ctx):
  start_track(ctx, app, "Build a word counter CLI with tests")
  assert wait_until(ctx, lambda: controller.session().total.calls >= 3)
  ctx.item_click("**/Pause (F6)")
  deadline = time.monotonic() + 1.0  # in-flight calls finish (and count)
  while time.monotonic() < deadline:
   ctx.yield_(1)
  paused_total = controller.session().total.cost_units
  paused_calls = controller.session().total.calls
  deadline = time.monotonic() + 1.5
  while time.monotonic() < deadline:
   ctx.yield_(1)
  results["paused"] = (
   paused_calls,
   paused_total,
   controller.session().total.calls,
   controller.session().total.cost_units,
  )
  results["status"] = controller.track_status
  ctx.item_click("**/Resume (F6)")
  assert wait_until(ctx, lambda: not controller.engine.running)
  results["final_calls"] = controller.session().total.calls

 run_app(scenario, params, addons)
 calls_then, units_then, calls_later, units_later = results["paused"]
 assert (calls_later, units_later) == (calls_then, units_then)
 assert results["status"] == "paused"
 assert results["final_calls"] > calls_then


def test_layout_and_settings_persist_between_runs(display, tmp_path):
 from mma_conductor.app import settings as app_settings
 from mma_conductor.app.controller import AppController
 from mma_conductor.gui.app import GuiApp, build_runner_params

 def first(ctx):
  ctx.yield_(3)
  app.goal = "Remember this goal"

 app = GuiApp(AppController(tmp_path, persist=False), settings=app_settings.load_settings())
 params, addons = build_runner_params(app)
 run_app(first, params, addons)
 layout = (tmp_path / "config" / "layout.ini").read_text()
 assert "[Window][Cost Analytics]" in layout and "[Window][MMA Dashboard]" in layout
 assert app_settings.load_settings().goal == "Remember this goal"
 again = GuiApp(AppController(tmp_path, persist=False), settings=app_settings.load_settings())
 assert again.goal == "Remember this goal"


def test_after_the_test_engine_a_broken_pipe_is_an_error_not_a_crash(live_app):
 """A socket whose peer went away must raise BrokenPipeError in the tests that follow the live ones; with the
 Test Engine's crash handler left on SIGPIPE this killed the whole test process."""
 _app, params, addons = live_app()
 run_app(lambda ctx: ctx.yield_(2), params, addons)
 ours, theirs = socket.socketpair()
 theirs.close()
 with pytest.raises(BrokenPipeError), ours:
  for _ in range(8):
   ours.sendall(b"x" * 4096)


# The tables whose figures must be readable whole at the smallest supported window, as (window, table id).
FIGURE_TABLES = (
 ("Cost Analytics", "cost_by_tier"),
 ("Cost Analytics", "cost_by_model"),
 ("MMA Dashboard", "tier_usage"),
)
MIN_WINDOW = (1280, 720)


def cut_tables(ctx) -> dict[str, tuple[float, float, float, float]]:
 """The figure tables whose columns are narrower than their content or that reach past their window's edge:
 id -> (columns' width, width their content needs, table's right edge, window's visible right edge)."""
 from imgui_bundle import imgui

 cut = {}
 for window, table_id in FIGURE_TABLES:
  table = imgui.internal.table_find_by_id(ctx.get_id(f"//{window}/{table_id}"))
  assert table is not None, f"{table_id} was not drawn"
  given, needed = table.columns_given_width, table.columns_auto_fit_width
  right, visible = table.work_rect.max.x, table.host_clip_rect.max.x
  if given + 1 < needed or right > visible + 1:
   cut[table_id] = (given, needed, right, visible)
 return cut


def test_at_1280x720_no_figure_column_is_cut(live_app):
 app, params, addons = live_app()
 params.app_window_params.window_geometry.size = MIN_WINDOW
 controller = app.controller
 ARTIFACTS.mkdir(exist_ok=True)
 results = {}

 def scenario(ctx):
  from imgui_bundle.immapp import testing

  start_track(ctx, app, "Build a word counter CLI with tests")
  assert wait_until(ctx, lambda: not controller.engine.running and controller.track_status != "starting")
  ctx.yield_(5)
  testing.capture(ctx, str(ARTIFACTS / "app_1280x720.png"))
  results["size"] = tuple(imgui_display_size())
  results["cut"] = cut_tables(ctx)

 def imgui_display_size():
  from imgui_bundle import imgui

  size = imgui.get_io().display_size
  return size.x, size.y

 run_app(scenario, params, addons)
 assert results["size"] == MIN_WINDOW
 assert results["cut"] == {}, "columns cut at 1280x720 (columns' width, needed, right edge, visible edge)"
 assert (ARTIFACTS / "app_1280x720.png").stat().st_size > 10_000


BUDGET_PROJECT = """[simulated]
seed = 4
latency_ms = 20
reject_rate = 0.0

[[budgets.limits]]
period = "daily"
limit_usd = "0.001"
alert_at = "50%"
action = "warn"

[[budgets.limits]]
period = "run"
limit_usd = "0.005"
action = "pause"
"""


def has_keyboard_focus(ctx, label: str) -> bool:
 """Whether the keyboard focus (nav cursor) is on the item `label` of the focused window."""
 from imgui_bundle import imgui

 info = ctx.item_info(f"//$FOCUSED/{label}", imgui.test_engine.TestOpFlags_.no_error)
 return info.id_ != 0 and imgui.get_current_context().nav_id == info.id_


def test_a_budget_pause_is_decided_from_the_keyboard(display, tmp_path):
 """A run into a per-run pause budget opens the dialog with the focus on Keep paused; O lets the held call
 through (the run goes on until a later call is held), Shift+Tab then Enter presses Stop."""
 from imgui_bundle import imgui

 from mma_conductor.app.controller import AppController
 from mma_conductor.gui.app import GuiApp, build_runner_params

 (tmp_path / "mma_conductor.toml").write_text(BUDGET_PROJECT)
 controller = AppController(tmp_path, persist=False)  # no ledger: the guard counts simulated calls
 app = GuiApp(controller)
 params, addons = build_runner_params(app, ini_disable=True)
 params.app_window_params.window_geometry.size = MIN_WINDOW
 ARTIFACTS.mkdir(exist_ok=True)
 results = {}

 def scenario(ctx):
  from imgui_bundle.immapp import testing

  start_track(ctx, app, "Build a word counter")
  assert wait_until(ctx, lambda: controller.budget_hold is not None)
  ctx.yield_(3)
  first = controller.budget_hold
  results["keyboard_nav"] = bool(imgui.get_io().config_flags & imgui.ConfigFlags_.nav_enable_keyboard)
  results["first_focus"] = has_keyboard_focus(ctx, "Keep paused (Esc)")
  testing.capture(ctx, str(ARTIFACTS / "budget_modal.png"))
  ctx.key_press(imgui.Key.o)  # Allow this one call
  assert wait_until(ctx, lambda: controller.budget_hold not in (None, first))
  results["calls_after_allow"] = len(controller.call_log)
  # alerts are delivered by their own thread (claimed, then posted): wait for the limit's toast, do not race it
  wait_until(ctx, lambda: any("reached its limit" in toast.text for toast in app.toasts.toasts))
  results["toasts"] = [toast.text for toast in app.toasts.toasts]
  ctx.yield_(3)
  ctx.key_press(imgui.Key.mod_shift | imgui.Key.tab)  # from Keep paused back to Stop the run
  ctx.yield_(2)
  results["second_focus"] = has_keyboard_focus(ctx, "Stop the run (S)")
  ctx.key_press(imgui.Key.enter)
  assert wait_until(ctx, lambda: not controller.engine.running)
  ctx.yield_(3)
  ctx.set_ref("//Budget toast 1")  # (the dialog's dimmed backdrop takes the clicks while it is open)
  ctx.item_click("Dismiss")
  ctx.yield_(2)
  results["toasts_left"] = [toast.id for toast in app.toasts.toasts]
  results["status"] = (controller.track_status, controller.budget_hold)

 run_app(scenario, params, addons)
 assert results["keyboard_nav"]
 assert results["first_focus"]
 assert results["calls_after_allow"] >= 1  # the held plan call went through
 assert any("Budget limit: daily budget $0.0010 reached its limit" in text for text in results["toasts"])
 assert 1 not in results["toasts_left"]
 assert results["second_focus"]
 assert results["status"] == ("stopped", None)
