"""The desktop app: a docking layout wired to one AppController.

`build_runner_params(app)` is the whole app wiring; `run_gui()` runs it and the live tests drive exactly the
same params with the ImGui Test Engine. The GUI thread drains the controller's queue in `pre_new_frame`,
refreshes the cached views that changed, and draws; the conductor thread only posts events and calls
`hello_imgui.request_refresh()` so that an idle window redraws at once.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from imgui_bundle import hello_imgui, imgui, immapp, implot

from ..app import settings as app_settings
from ..app.controller import AppController
from ..app.ledger_link import connect_ledger
from ..app.project_config import TierConfig
from .budget_dialogs import BudgetEditor, BudgetHoldDialog
from .budget_panel import BudgetToasts, render_budget_badge
from .commands import COMMANDS, SESSION_COMMANDS, TRACK_COMMANDS, VIEW_COMMANDS, Command
from .cost_dashboard import WINDOW_NAME as COST_DASHBOARD
from .cost_dashboard import CostDashboard
from .cost_panel import render_cost_panel
from .dashboard import render_ticket_list, render_tier_table, tier_table_text
from .log_windows import render_comms_log, render_event_log, render_tier_streams
from .style import BAD, MUTED, SIMULATED, SUBTOTAL
from .track_window import render_track_window
from .view_cache import ViewCache
from .widgets import copy_button, hover_tooltip

RESET_POPUP = "Reset session?"
INTERRUPTED = ("stopped", "error")  # track states that leave unfinished tickets to resume
POPUP_BUTTON_SIZE = imgui.ImVec2(120, 0)
# Events applied per frame, at most: half a millisecond (~50-100 calls), so that a frame after new data stays
# near 1 ms; at 60 frames a second that still applies thousands of calls a second, and a producer further
# ahead is slowed by the controller's backpressure, never the GUI.
DRAIN_BUDGET_S = 0.0005
WINDOW_TITLE = "mma-conductor"
HELLO_IMGUI_VIEW_MENU = "View##kdsflmkdflm"  # hello_imgui's ShowViewMenu (menu_statusbar.cpp) names its menu so


class GuiApp:
 """GUI-thread state around the controller: the goal being typed, flags the windows raise, commands."""

 def __init__(self, controller: AppController, *, settings: app_settings.AppSettings | None = None) -> None:
  self.controller = controller
  self.settings = settings or app_settings.AppSettings()
  self.view = ViewCache(controller)
  self.goal = self.settings.goal
  self.want_reset = False
  self.copy_costs = False
  self.copy_tiers = False
  self.want_budget_editor = False  # raised by the panel's "Edit budgets..." and the Session menu
  self.want_budget_decision = False  # raised by the panel's "Decide..." while a put-aside hold waits
  self.budget_dialog = BudgetHoldDialog(controller)
  self.budget_editor = BudgetEditor(controller)
  self.toasts = BudgetToasts()
  self.cost_dashboard = CostDashboard(controller)
  self.cost_dashboard_open = False  # View > Cost Dashboard (Ctrl+D) opens it; it queries only while open
  self._focus_cost_dashboard = False
  self.error = ""
  self.error_needs_goal = False  # the error says the goal is empty: it goes once a goal is typed
  self.frames = 0
  self.api_server = None
  self.simulated_tiers: list[str] = []
  self.simulated_note = ""
  self._find_simulated_tiers()
  self.resumable = controller.resumable_track_id()
  self.error = controller.pricing_problem or self.error
  controller.track_sinks.append(self._track_changed)

 @property
 def history_line(self) -> str:
  """Today's and all-time figures from the ledger, for the Cost Analytics panel."""
  return self.view.history_line

 @property
 def chart_columns(self) -> int:
  """The cost chart's width in pixels: the panel sets it as it draws, the views follow it."""
  return self.view.chart_columns

 @chart_columns.setter
 def chart_columns(self, columns: int) -> None:
  self.view.chart_columns = columns

 # Commands ------------------------------------------------------------------------------------------

 def run_track(self) -> None:
  """Start a new track from the goal text."""
  self.error, self.error_needs_goal = "", False
  try:
   self.controller.start_track(self.goal)
  except (ValueError, RuntimeError, OSError) as exc:
   self.error = str(exc)
   self.error_needs_goal = not self.goal.strip()
  else:
   self.settings.goal = self.goal
   self.resumable = ""

 def resume_saved_track(self) -> None:
  """Resume the newest unfinished track of the project."""
  self.error, self.error_needs_goal = "", False
  try:
   track = self.controller.resume_track(self.resumable)
  except (ValueError, RuntimeError, OSError) as exc:
   self.error = str(exc)
  else:
   self.goal = track.goal
   self.resumable = ""

 def _track_changed(self, update) -> None:
  # A run that ended with work left (stopped, or an error) can be resumed at once, not only after a restart.
  if update.status in INTERRUPTED and self.controller.track is not None and not self.controller.track.finished:
   self.resumable = update.track_id

 def toggle_pause(self) -> None:
  """Pause a running track, or resume a paused (or stepping) one."""
  if self.controller.engine.mode == "running":
   self.controller.pause()
  else:
   self.controller.resume()

 def set_tier(self, tier: str, config: TierConfig) -> None:
  """Change a tier's provider or model for the next run."""
  self.controller.set_tier_config(tier, config)
  self._find_simulated_tiers()

 def reset_session(self) -> None:
  """Clear the session figures (after the user confirmed)."""
  self.controller.reset_session()
  self.view.refresh()

 def _find_simulated_tiers(self) -> None:
  self.simulated_tiers, problem = self.controller.simulated_tiers()
  if problem:
   self.error = problem
  self.simulated_note = f"{', '.join(self.simulated_tiers)}: no API key found, so these tiers run offline."

 # Per-frame callbacks (GUI thread) -------------------------------------------------------------------

 def pre_frame(self) -> None:
  """Apply what the conductor said since the last frame and rebuild what changed."""
  if self.controller.drain_pending(DRAIN_BUDGET_S):
   self.view.follow_calls = True
   wakeup = self.controller.wakeup
   if wakeup is not None and self.controller.pending_count():
    wakeup()  # more is queued than one frame's budget: draw the next frame at once
  self.view.refresh()
  self.toasts.follow(self.controller)
  self._clear_stale_goal_error()
  self.frames += 1

 def _clear_stale_goal_error(self) -> None:
  if self.error_needs_goal and self.goal.strip():
   self.error, self.error_needs_goal = "", False

 def show_gui(self) -> None:
  """Runs every frame inside the main dock space: shortcuts and the reset confirmation."""
  self._shortcuts()
  if self.want_reset:
   imgui.open_popup(RESET_POPUP)
   self.want_reset = False
  center = imgui.get_main_viewport().get_center()
  imgui.set_next_window_pos(center, imgui.Cond_.appearing, imgui.ImVec2(0.5, 0.5))
  opened, _ = imgui.begin_popup_modal(RESET_POPUP, None, imgui.WindowFlags_.always_auto_resize)
  if opened:
   self._reset_confirmation()
   imgui.end_popup()
  self._budget_windows()
  self._cost_dashboard_window()

 def _budget_windows(self) -> None:
  if self.want_budget_editor:
   self.budget_editor.open()
  if self.want_budget_decision:
   self.budget_dialog.reopen()
  self.want_budget_editor = self.want_budget_decision = False
  self.budget_dialog.draw()
  self.budget_editor.draw()
  self.toasts.draw()

 def _reset_confirmation(self) -> None:
  imgui.text(f"Clear this session's figures ({self.view.cost.total_cost}, {self.view.cost.summary})?")
  imgui.text_disabled("Tickets of a running track are kept; the call history keeps the old session.")
  if imgui.button("Reset", POPUP_BUTTON_SIZE) or imgui.is_key_pressed(imgui.Key.enter):
   self.reset_session()
   imgui.close_current_popup()
  imgui.set_item_default_focus()
  imgui.same_line()
  if imgui.button("Cancel", POPUP_BUTTON_SIZE) or imgui.is_key_pressed(imgui.Key.escape):
   imgui.close_current_popup()

 def _shortcuts(self) -> None:
  engine = self.controller.engine
  for command in COMMANDS:
   if imgui.shortcut(command.chord, imgui.InputFlags_.route_global) and command.available(engine.running):
    command.run(self)

 def show_menus(self) -> None:
  """The Session menu, and the Cost Dashboard in the View menu (hello_imgui adds the View menu's window list and
  the app menu)."""
  if imgui.begin_menu(HELLO_IMGUI_VIEW_MENU):  # the same id: Dear ImGui appends to hello_imgui's View menu
   self._menu_items(VIEW_COMMANDS, self.controller.engine.running)
   imgui.end_menu()
  if not imgui.begin_menu("Session"):
   return
  running = self.controller.engine.running
  self._menu_items(SESSION_COMMANDS, running)
  imgui.separator()
  self._menu_items(TRACK_COMMANDS, running)
  imgui.end_menu()

 def _menu_items(self, commands: tuple[Command, ...], running: bool) -> None:
  for command in commands:
   if imgui.menu_item(command.label, command.keys, False, command.available(running))[0]:
    command.run(self)

 def show_status(self) -> None:
  """The status bar: the session cost badge (always visible), track state, simulated marker."""
  imgui.text_colored(SUBTOTAL, self.view.cost.badge)
  imgui.same_line()
  imgui.text_disabled("|")
  imgui.same_line()
  status = self.controller.track_status
  imgui.text_colored(BAD if status == "error" else MUTED, f"Track: {status}")
  render_budget_badge(self.view.budgets)
  if self.simulated_tiers:
   imgui.same_line()
   imgui.text_colored(SIMULATED, "| SIMULATED provider")
  if self.controller.ledger_problem:
   imgui.same_line()
   imgui.text_colored(BAD, "| history not saved")
   hover_tooltip(self.controller.ledger_problem)

 def shutdown(self) -> None:
  """Stop the worker, write the ledger's queue, stop the local API, save the app settings."""
  self.controller.shutdown()
  if self.api_server is not None:
   self.api_server.close()
  self.settings.goal = self.goal
  app_settings.save_settings(self.settings)

 # Windows -------------------------------------------------------------------------------------------

 def track_window(self) -> None:
  render_track_window(self)

 def dashboard_window(self) -> None:
  imgui.separator_text("Tier usage")
  render_tier_table(self.view.cost)
  copy_button("Copy table", "", self.copy_tiers, lambda: tier_table_text(self.view.cost), small=True)
  self.copy_tiers = False
  imgui.separator_text("Tickets")
  render_ticket_list(self.view.tickets)

 def cost_window(self) -> None:
  render_cost_panel(self.view.cost, self, self.view.budgets)

 def show_cost_dashboard(self) -> None:
  """Open the Cost Dashboard window and bring it to the front (View menu, Ctrl+D)."""
  self.cost_dashboard_open = self._focus_cost_dashboard = True

 def _cost_dashboard_window(self) -> None:
  # A window of its own rather than a DockableWindow: it opens floating over the app, wide enough for its tables
  # at 1280x720, and docks wherever it is dragged (docking is on for every window).
  if not self.cost_dashboard_open:
   return
  imgui.set_next_window_pos(imgui.ImVec2(30, 40), imgui.Cond_.first_use_ever)
  imgui.set_next_window_size(imgui.ImVec2(1220, 640), imgui.Cond_.first_use_ever)
  imgui.set_next_window_bg_alpha(1.0)  # over the other windows: the style's translucent background is unreadable
  if self._focus_cost_dashboard:
   imgui.set_next_window_focus()
   self._focus_cost_dashboard = False
  shown, self.cost_dashboard_open = imgui.begin(COST_DASHBOARD, True)
  if shown:
   self.cost_dashboard.render()
  imgui.end()

 def streams_window(self) -> None:
  render_tier_streams(self.view)

 def comms_window(self) -> None:
  render_comms_log(self.view)

 def log_window(self) -> None:
  render_event_log(self.view)


def build_runner_params(
 app: GuiApp, *, ini_disable: bool = False
) -> tuple[hello_imgui.RunnerParams, immapp.AddOnsParams]:
 """The complete app wiring, used by `run_gui` and by the live tests."""
 params = hello_imgui.RunnerParams()
 params.app_window_params.window_title = WINDOW_TITLE
 params.app_window_params.window_geometry.size = (1500, 950)
 params.imgui_window_params.show_menu_bar = True
 params.imgui_window_params.show_menu_view = True
 params.imgui_window_params.show_status_bar = True
 params.imgui_window_params.default_imgui_window_type = (
  hello_imgui.DefaultImGuiWindowType.provide_full_screen_dock_space
 )
 params.imgui_window_params.enable_viewports = False
 params.ini_folder_type = hello_imgui.IniFolderType.absolute_path
 params.ini_filename = str(app_settings.layout_path())
 params.ini_disable = ini_disable
 params.fps_idling.fps_idle = 4.0
 params.callbacks.pre_new_frame = app.pre_frame
 params.callbacks.show_gui = app.show_gui
 params.callbacks.show_menus = app.show_menus
 params.callbacks.show_status = app.show_status
 params.callbacks.before_exit = app.shutdown

 def post_init() -> None:
  app.controller.wakeup = hello_imgui.request_refresh
  implot.get_style().use_local_time = True  # the cost chart's clock reads as the user's wall clock
  implot.get_style().use24_hour_clock = True
  # Tab and the arrows move between buttons, Enter presses one: the budget dialog is run from the keyboard.
  imgui.get_io().config_flags |= imgui.ConfigFlags_.nav_enable_keyboard

 params.callbacks.post_init = post_init
 # The Cost Analytics column takes the full height on the right; the logs sit under the dashboard.
 splits = [
  hello_imgui.DockingSplit("MainDockSpace", "RightSpace", imgui.Dir.right, 0.34),
  hello_imgui.DockingSplit("MainDockSpace", "LeftSpace", imgui.Dir.left, 0.42),
  hello_imgui.DockingSplit("MainDockSpace", "BottomSpace", imgui.Dir.down, 0.36),
 ]
 windows = [
  hello_imgui.DockableWindow("Track", "LeftSpace", app.track_window),
  hello_imgui.DockableWindow("MMA Dashboard", "MainDockSpace", app.dashboard_window),
  hello_imgui.DockableWindow("Cost Analytics", "RightSpace", app.cost_window),
  hello_imgui.DockableWindow("Comms Log", "BottomSpace", app.comms_window),
  hello_imgui.DockableWindow("Tier Streams", "BottomSpace", app.streams_window),
  hello_imgui.DockableWindow("Event Log", "BottomSpace", app.log_window),
 ]
 params.docking_params = hello_imgui.DockingParams(splits, windows)
 return params, immapp.AddOnsParams(with_implot=True)


def display_problem() -> str | None:
 """Why no window can open here, in one line with what to do instead; None when a display exists."""
 if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
  command = os.environ.get("MMA_CONDUCTOR_LAUNCHER") or "mma-conductor"
  return (
   f"no display found (DISPLAY is not set): run it under a virtual screen with `xvfb-run -a {command}`, "
   f'or without the GUI with `{command} run --goal "..."`'
  )
 return None


def settle_interpreter() -> None:
 """Garbage collector settings for the GUI process, once the app is built: every object alive at start-up
 (modules, the price book, imgui's bindings: ~55,000) is moved out of the collector's sight (`gc.freeze`), so
 that a full collection in the middle of a frame walks only what the session made since.

 The GIL switch interval stays at Python's 5 ms: 1 ms did not lower the p99 of frames with 8 posting threads
 and applied ~15% fewer calls (benchmarks/README.md, bench_gui_data_frames.py)."""
 gc.freeze()


def run_gui(project_dir: Path | str) -> int:
 """Open the app window on `project_dir` (blocks until the window closes)."""
 problem = display_problem()
 if problem:
  print(f"mma-conductor: {problem}", file=sys.stderr)
  return 2
 controller = AppController(project_dir)
 _, api_server = connect_ledger(controller, project_dir)
 app = GuiApp(controller, settings=app_settings.load_settings())
 app.api_server = api_server
 params, addons = build_runner_params(app)
 settle_interpreter()
 immapp.run(params, addons)
 return 0
