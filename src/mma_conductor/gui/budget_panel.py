"""Budgets on screen: a bar per budget in the Cost Analytics panel, a badge in the status bar, and a toast per
budget alert. All texts come ready-made from `budget_view` (rebuilt on change); drawing them allocates little."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from imgui_bundle import imgui

from .budget_view import NO_BUDGETS_HINT, BudgetBar, BudgetView, alert_text
from .style import AMBER, BAD, GOOD
from .widgets import hover_tooltip

BUDGET_COLORS = {"ok": GOOD, "alert": AMBER, "limit": BAD}
BAR_HEIGHT = 7
RESERVED_ALPHA = 0.45  # the part calls in flight have reserved: the bar's color, see-through
EDIT_BUTTON = "Edit budgets..."
DECIDE_BUTTON = "Decide..."
TOAST_SECONDS = 8.0  # ImGui time: follows the frames' clock
TOAST_LIMIT = 4  # toasts on screen at once; older ones give way
TOAST_WIDTH = 360
TOAST_MARGIN = 12


def render_budget_section(view: BudgetView, ui) -> None:
 """The "Budgets" part of the Cost Analytics panel: one bar per budget, or a hint when none is set.

 Sets `ui.want_budget_editor` (Edit budgets...) and `ui.want_budget_decision` (Decide..., while a budget holds
 the run and its dialog was put aside)."""
 imgui.separator_text("Budgets")
 imgui.push_text_wrap_pos(0.0)
 _bars(view)
 imgui.pop_text_wrap_pos()
 _section_buttons(view, ui)


def _bars(view: BudgetView) -> None:
 if not view.bars:
  imgui.text_disabled(NO_BUDGETS_HINT)
 for bar in view.bars:
  _bar(bar)
 if view.held_line:
  imgui.text_colored(BAD, view.held_line)


def _section_buttons(view: BudgetView, ui) -> None:
 if view.held_line:
  if imgui.small_button(DECIDE_BUTTON):
   ui.want_budget_decision = True
  imgui.same_line()
 if imgui.small_button(EDIT_BUTTON):
  ui.want_budget_editor = True


def _bar(bar: BudgetBar) -> None:
 color = BUDGET_COLORS[bar.state]
 imgui.text_colored(color, bar.label)
 hover_tooltip(bar.tooltip)
 imgui.push_style_color(imgui.Col_.plot_histogram, color)
 imgui.progress_bar(bar.used, imgui.ImVec2(-1.0, BAR_HEIGHT), "")
 imgui.pop_style_color()
 if bar.reserved > 0:
  _reserved_part(bar, color)
 hover_tooltip(bar.tooltip)


def _reserved_part(bar: BudgetBar, color: imgui.ImVec4) -> None:
 """Paint the reserved share right after the used share, in the bar's color, see-through."""
 low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
 width = high.x - low.x
 start = low.x + width * bar.used
 tint = imgui.ImVec4(color.x, color.y, color.z, RESERVED_ALPHA)
 imgui.get_window_draw_list().add_rect_filled(
  imgui.ImVec2(start, low.y), imgui.ImVec2(start + width * bar.reserved, high.y), imgui.get_color_u32(tint)
 )


def render_budget_badge(view: BudgetView) -> None:
 """The status bar's budget badge (worst state of all budgets); nothing when no budget is set."""
 if not view.badge:
  return
 imgui.same_line()
 imgui.text_disabled("|")
 imgui.same_line()
 imgui.text_colored(BUDGET_COLORS[view.badge_state], view.badge)
 hover_tooltip(view.badge_tooltip)


@dataclass(slots=True)
class Toast:
 """One alert on screen; `until` is set (ImGui time) when it is first drawn."""

 id: int
 text: str
 at_limit: bool
 until: float = -1.0


@dataclass
class BudgetToasts:
 """The budget alerts not yet shown or still showing: a few seconds each, dismissable."""

 toasts: list[Toast] = field(default_factory=list)
 version: int = 0
 _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

 def follow(self, controller) -> None:
  """Take the alerts the controller received since the last call (once per frame: a version check)."""
  version = controller.notifications_version
  if version == self.version:
   return
  fresh = min(version - self.version, len(controller.notifications))
  self.version = version
  alerts = list(controller.notifications)[len(controller.notifications) - fresh :]
  toasts = [Toast(next(self._ids), alert_text(alert), alert.at_limit) for alert in alerts]
  self.toasts = (self.toasts + toasts)[-TOAST_LIMIT:]

 def draw(self) -> None:
  """Draw the toasts stacked in the bottom-right corner; drop the expired and dismissed ones."""
  if not self.toasts:
   return
  now = imgui.get_time()
  viewport = imgui.get_main_viewport()
  corner = imgui.ImVec2(viewport.work_pos.x + viewport.work_size.x, viewport.work_pos.y + viewport.work_size.y)
  bottom = corner.y - TOAST_MARGIN - imgui.get_frame_height_with_spacing()  # above the status bar
  for toast in list(reversed(self.toasts)):
   bottom = self._toast(toast, now, imgui.ImVec2(corner.x - TOAST_MARGIN, bottom)) - TOAST_MARGIN / 2

 def _toast(self, toast: Toast, now: float, at: imgui.ImVec2) -> float:
  """One toast with its bottom-right corner `at`; returns its top edge."""
  if toast.until < 0:
   toast.until = now + TOAST_SECONDS
  imgui.set_next_window_pos(at, imgui.Cond_.always, imgui.ImVec2(1.0, 1.0))
  imgui.begin(f"Budget toast {toast.id}", None, TOAST_FLAGS)  # no title bar: the name is an id
  imgui.push_text_wrap_pos(TOAST_WIDTH)
  imgui.text_colored(BAD if toast.at_limit else AMBER, toast.text)
  imgui.pop_text_wrap_pos()
  imgui.same_line()  # beside the text's first line
  dismissed = imgui.small_button("Dismiss")
  top = imgui.get_window_pos().y
  if imgui.is_window_hovered():
   toast.until = now + TOAST_SECONDS  # stays while the pointer is on it
  imgui.end()
  if dismissed or now >= toast.until:
   self.toasts.remove(toast)
  return top


TOAST_FLAGS = (
 imgui.WindowFlags_.no_decoration
 | imgui.WindowFlags_.always_auto_resize
 | imgui.WindowFlags_.no_saved_settings
 | imgui.WindowFlags_.no_focus_on_appearing
 | imgui.WindowFlags_.no_nav
 | imgui.WindowFlags_.no_docking
)
