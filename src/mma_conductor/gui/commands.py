"""The app's commands, each once: its Session menu item, its keyboard shortcut and its Track window button."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imgui_bundle import imgui

PAUSED_MODES = ("paused", "step")


@dataclass(frozen=True, slots=True)
class Command:
 """`run(app)` with the GuiApp; `needs_running` is True (only while a track runs), False (only while none
 runs) or None (always)."""

 label: str
 keys: str
 chord: int
 needs_running: bool | None
 run: Callable[[Any], None]
 button: str = ""
 paused_button: str = ""

 def available(self, running: bool) -> bool:
  """Whether the command can run now (menu item enabled, shortcut live, button not greyed)."""
  return self.needs_running is None or self.needs_running == running

 def button_label(self, mode: str) -> str:
  """The Track window button's label in the engine's `mode` (Pause reads Resume while paused)."""
  return self.paused_button if self.paused_button and mode in PAUSED_MODES else self.button


def _track_command(
 label: str,
 keys: str,
 chord: int,
 needs_running: bool,
 run: Callable[[Any], None],
 button: str,
 paused_button: str = "",
) -> Command:
 """A command with a Track window button whose label shows its shortcut, e.g. "Run (F5)"."""
 paused_label = f"{paused_button} ({keys})" if paused_button else ""
 return Command(label, keys, chord, needs_running, run, f"{button} ({keys})", paused_label)


def _ask_reset(app) -> None:
 app.want_reset = True


def _edit_budgets(app) -> None:
 app.want_budget_editor = True


SESSION_COMMANDS = (
 Command("Reset Session...", "Ctrl+Shift+R", imgui.Key.mod_ctrl | imgui.Key.mod_shift | imgui.Key.r, None, _ask_reset),
 Command("Budgets...", "Ctrl+B", imgui.Key.mod_ctrl | imgui.Key.b, None, _edit_budgets),
)


def _show_cost_dashboard(app) -> None:
 app.show_cost_dashboard()


VIEW_COMMANDS = (Command("Cost Dashboard", "Ctrl+D", imgui.Key.mod_ctrl | imgui.Key.d, None, _show_cost_dashboard),)
TRACK_COMMANDS = (
 _track_command("Run track", "F5", imgui.Key.f5, False, lambda app: app.run_track(), "Run"),
 _track_command("Pause / Resume", "F6", imgui.Key.f6, True, lambda app: app.toggle_pause(), "Pause", "Resume"),
 _track_command("Step", "F10", imgui.Key.f10, True, lambda app: app.controller.step(), "Step"),
 _track_command(
  "Stop", "Shift+F5", imgui.Key.mod_shift | imgui.Key.f5, True, lambda app: app.controller.stop(), "Stop"
 ),
)
COMMANDS = TRACK_COMMANDS + SESSION_COMMANDS + VIEW_COMMANDS  # the order the shortcuts are checked in every frame
