"""The budget bar, status badge, alert toasts, hold dialog and editor, in a headless imgui context, on a real
AppController whose simulated runs really cross the budgets (no ledger: the guard counts simulated calls)."""

import dataclasses
import tomllib
from decimal import Decimal

import pytest
from imgui_bundle import imgui
from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.gui.app import GuiApp
from mma_conductor.gui.budget_dialogs import KEEP, ONCE, RAISE, RUN, STOP
from mma_conductor.gui.budget_panel import TOAST_SECONDS
from mma_conductor.gui.budget_view import NO_BUDGETS_HINT
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.pricing.budgets import Budget
from mma_conductor.pricing.money import UNITS_PER_USD

GOAL = "Build a word counter"
SIMULATED = "[simulated]\nseed = 4\nlatency_ms = 20\nreject_rate = 0.0\n"


@pytest.fixture
def imgui_context():
 with headless_imgui(1400, 900):
  yield


def project(tmp_path, *budgets: str) -> AppController:
 """A project with the simulated provider and `budgets` ([[budgets.limits]] bodies)."""
 text = SIMULATED + "".join(f"\n[[budgets.limits]]\n{body}\n" for body in budgets)
 (tmp_path / "mma_conductor.toml").write_text(text)
 return AppController(tmp_path, persist=False)


def frames(app: GuiApp, count: int = 3, *, key: imgui.Key | None = None) -> str:
 """Run `count` frames of the app's panel, status bar and dialogs (with `key` held down in the first one);
 return the text drawn in the last."""
 io = imgui.get_io()
 for frame in range(count):
  if key is not None and frame < 2:
   io.add_key_event(key, frame == 0)
  app.pre_frame()
  imgui.new_frame()
  last = frame == count - 1
  if last:
   imgui.log_to_clipboard()
  imgui.set_next_window_size(imgui.ImVec2(600, 850))
  imgui.begin("Cost Analytics")
  app.cost_window()
  imgui.end()
  imgui.begin("Status")
  app.show_status()
  imgui.end()
  app.show_gui()
  if last:
   imgui.log_finish()
  imgui.render()
 return imgui.get_clipboard_text()


def held_app(tmp_path, limit="0.005") -> GuiApp:
 """An app whose run is paused by a per-run pause budget: the plan call is estimated at ~$0.04, later calls
 at ~$0.003, so "allow this one call" lets the plan through and a later call is held again."""
 controller = project(tmp_path, f'period = "run"\nlimit_usd = "{limit}"\naction = "pause"')
 app = GuiApp(controller)
 controller.start_track(GOAL)
 assert wait_for(controller, lambda: controller.budget_hold is not None)
 return app


def test_no_budgets_shows_a_hint_and_no_badge(imgui_context, tmp_path):
 app = GuiApp(project(tmp_path))
 text = frames(app)
 assert NO_BUDGETS_HINT in text and "[ Edit budgets... ]" in text
 assert "Budgets OK" not in text and "Budget alert" not in text


def test_bar_label_state_and_badge_follow_the_spend(imgui_context, tmp_path):
 controller = project(tmp_path, 'period = "monthly"\nlimit_usd = 100\nalert_at = "80%"\naction = "pause"')
 app = GuiApp(controller)
 text = frames(app)
 assert "monthly $0.00 / $100.00 (0%) - resets in" in text and "Budgets OK" in text
 built = app.view.budgets
 frames(app)
 assert app.view.budgets is built  # nothing changed: nothing rebuilt
 guard = controller.budget_guard
 guard.settle(guard.reserve("Tier 3", UNITS_PER_USD), 4210 * UNITS_PER_USD // 100)
 text = frames(app)
 assert "monthly $42.10 / $100.00 (42%) - resets in" in text and "Budgets OK" in text
 assert app.view.budgets.bars[0].state == "ok" and app.view.budgets.bars[0].used == pytest.approx(0.421)
 in_flight = guard.reserve("Tier 3", 10 * UNITS_PER_USD)
 frames(app)
 assert app.view.budgets.bars[0].reserved == pytest.approx(0.1)
 assert "$10.00 reserved by calls in flight" in app.view.budgets.bars[0].tooltip
 guard.settle(in_flight, 40 * UNITS_PER_USD)
 text = frames(app)
 assert "monthly $82.10 / $100.00 (82%)" in text and "Budget alert" in text
 assert app.view.budgets.badge_state == "alert"
 guard.settle(guard.reserve("Tier 3", 0), 20 * UNITS_PER_USD)
 text = frames(app)
 assert "(102%)" in text and "Budget limit reached" in text and app.view.budgets.badge_state == "limit"
 assert app.view.budgets.badge_tooltip == "\n".join(s.line() for s in controller.budget_statuses)


def test_alerts_show_as_toasts_for_a_few_seconds(imgui_context, tmp_path):
 controller = project(tmp_path, 'period = "run"\nlimit_usd = "0.001"\nalert_at = "50%"\naction = "warn"')
 app = GuiApp(controller)
 controller.start_track(GOAL)
 assert controller.wait_idle(60) and controller.track_status == "done"  # warn never holds a call back
 text = frames(app)
 assert "Budget alert: per-run budget $0.0010 passed 50%: $0.0" in text
 assert "Budget limit: per-run budget $0.0010 reached its limit:" in text and "resets at the next run" in text
 assert len(app.toasts.toasts) == 2 and "[ Dismiss ]" in text
 frames(app, int(TOAST_SECONDS * 60))
 assert app.toasts.toasts == [] and "Budget alert" not in frames(app)
 # later alerts only: the ones already shown do not come back
 controller.start_track(GOAL)
 assert controller.wait_idle(60)
 frames(app)
 assert len(app.toasts.toasts) == 2


def test_hold_dialog_shows_the_hold_and_its_keys_decide(imgui_context, tmp_path):
 app = held_app(tmp_path)
 controller = app.controller
 text = frames(app)
 assert "Budget reached" in text and "The per-run budget holds back the next call: the run is paused" in text
 for figure in (
  "| Budget | per-run budget (all tiers) |",
  "| Period | this run |",
  "| Used | $0.00 of $0.0050 |",
  "| Resets | at the next run |",
 ):
  assert figure in text
 assert "| Held call | Tier 1 plan on gemini-2.5-pro, may cost up to $0.04" in text
 for button in (RAISE, ONCE, RUN, STOP, KEEP):
  assert f"[ {button} ]" in text
 assert "Paused by a budget" in text and "Paused by the per-run budget" in text
 first = controller.budget_hold
 frames(app, key=imgui.Key.o)  # Allow this one call: the plan goes, a later call is held again
 assert wait_for(controller, lambda: controller.budget_hold not in (None, first))
 assert controller.call_log[0].tier == "Tier 1"
 text = frames(app)
 assert "Budget reached" in text and "Tier 1 plan" not in text
 frames(app, key=imgui.Key.s)  # Stop
 assert controller.wait_idle(30) and controller.track_status == "stopped"
 assert "Budget reached" not in frames(app)


def test_keep_paused_puts_the_dialog_aside_and_decide_brings_it_back(imgui_context, tmp_path):
 imgui.get_io().config_flags |= imgui.ConfigFlags_.nav_enable_keyboard  # as the app sets it
 app = held_app(tmp_path)
 controller = app.controller
 held = controller.budget_hold
 frames(app)
 text = frames(app, key=imgui.Key.escape)
 assert "Budget reached" not in frames(app)
 assert controller.engine.mode == "paused" and controller.budget_hold is held
 text = frames(app)
 assert "Paused by the per-run budget: Tier 1 plan on gemini-2.5-pro is held back" in text
 assert "[ Decide... ]" in text and app.budget_dialog.pending
 app.want_budget_decision = True  # what Decide... does
 assert "Budget reached" in frames(app)
 frames(app, key=imgui.Key.enter)  # Enter presses the default button: Keep paused
 assert "Budget reached" not in frames(app) and controller.budget_hold is held
 app.want_budget_decision = True
 frames(app)
 frames(app, key=imgui.Key.a)  # Allow this run: no call is held again
 assert controller.wait_idle(60) and controller.track_status == "done" and controller.budget_hold is None


def test_raise_the_limit_saves_it_and_resumes(imgui_context, tmp_path):
 app = held_app(tmp_path)
 controller = app.controller
 frames(app)
 assert app.budget_dialog.limit_text == "0.05"  # the limit plus half is below the held call's estimate
 app.budget_dialog.limit_text = "5"  # as typed
 frames(app, key=imgui.Key.r)
 saved = tomllib.loads((tmp_path / "mma_conductor.toml").read_text())["budgets"]["limits"]
 assert saved == [{"period": "run", "limit_usd": 5, "alert_at": "80%", "action": "pause"}]
 assert controller.budget_guard.settings.find("run").limit_units == 5 * UNITS_PER_USD
 assert controller.wait_idle(60) and controller.track_status == "done"
 assert "Budget reached" not in frames(app)


def test_a_limit_that_cannot_be_saved_is_one_line_in_the_dialog(imgui_context, tmp_path):
 app = held_app(tmp_path)
 controller = app.controller
 frames(app)
 app.budget_dialog.limit_text = "abc"
 text = frames(app, key=imgui.Key.r)
 assert "the new limit: expected an amount of dollars" in text and "Budget reached" in text
 config = tmp_path / "mma_conductor.toml"
 config.unlink()
 config.mkdir()  # the project file cannot be read or replaced
 app.budget_dialog.limit_text = "5"
 text = frames(app, key=imgui.Key.r)
 error = app.budget_dialog.error
 assert error.startswith(f"{config}: cannot read") and "\n" not in error and error in text
 assert "Budget reached" in text and controller.engine.mode == "paused"
 assert controller.budget_guard.settings.find("run").limit_units == UNITS_PER_USD // 200
 frames(app, key=imgui.Key.s)
 assert controller.wait_idle(30) and controller.track_status == "stopped"


def test_editor_changes_adds_and_removes_budgets(imgui_context, tmp_path):
 controller = project(tmp_path, 'period = "monthly"\nlimit_usd = 100\nalert_at = "80%"\naction = "pause"')
 app = GuiApp(controller)
 app.want_budget_editor = True
 text = frames(app)
 assert "| monthly |" in text and "{ 100 }" in text and "{ 80 }" in text
 editor = app.budget_editor
 editor.drafts["monthly"] = dataclasses.replace(editor.drafts["monthly"], limit="250", alert="90", action=2)
 editor.save("monthly")
 assert controller.config.budgets.find("monthly") == Budget("monthly", 250 * UNITS_PER_USD, Decimal(90), "stop")
 assert "monthly $0.00 / $250.00 (0%)" in frames(app) and "saved the monthly budget" in frames(app)
 editor.new_period, editor.new_tier = 0, 3  # daily, Tier 3
 editor.new = dataclasses.replace(editor.new, limit="2.5", alert="50", action=0)
 editor.add()
 assert controller.budget_guard.settings.find("Tier 3 daily") == Budget(
  "daily", 5 * UNITS_PER_USD // 2, Decimal(50), "warn", "Tier 3"
 )
 assert "Tier 3 daily $0.00 / $2.50 (0%)" in frames(app)
 editor.remove("monthly")
 saved = tomllib.loads((tmp_path / "mma_conductor.toml").read_text())["budgets"]["limits"]
 assert [entry["period"] for entry in saved] == ["daily"]
 editor.new = dataclasses.replace(editor.new, limit="-3")
 editor.add()
 assert "Tier 3 daily budget: limit: expected an amount of dollars above 0" in frames(app)
