"""The Cost Analytics panel: session total, per tier, per model grouped by provider, two charts."""

from __future__ import annotations

from collections.abc import Callable

from imgui_bundle import imgui, implot

from .budget_panel import render_budget_section
from .budget_view import BudgetView
from .cost_view import CostView, FigureRow
from .style import FIXED, STRETCH, SUBTOTAL, TABLE_FLAGS, UNPRICED
from .widgets import colored_text, copy_button, hover_tooltip, table_headers, table_text

COPY_TOOLTIP = "Copy the panel's figures to the clipboard as text"
RESET_TOOLTIP = "Clear the session figures and start a new session (asks first). History keeps the old one."
TIER_COST_COLUMNS = ("Tier", "Cost", "Tokens", "Share")
MODEL_COST_COLUMNS = ("Provider / model", "Input", "Output", "Cached", "Cost")
TIER_COST_FLAGS = (STRETCH, FIXED, FIXED, FIXED)
MODEL_COST_FLAGS = (STRETCH, FIXED, FIXED, FIXED, FIXED)


def render_cost_panel(view: CostView, ui, budgets: BudgetView | None = None) -> None:
 """Draw the collapsing "Cost Analytics" header (open by default) and its content.

 `ui` carries the panel's requests back to the app: `ui.want_reset` is set by the Reset Session button;
 `ui.copy_costs` set by the app copies the figures as the Copy button does (and is lowered); `ui.chart_columns`
 is set to the cost chart's width in pixels, for the next frames' plotted series. With `budgets`, a bar per
 budget follows the session figures (see `render_budget_section` for what it asks of `ui`).
 """
 if not imgui.collapsing_header("Cost Analytics", imgui.TreeNodeFlags_.default_open):
  return
 _session_total(view, ui)
 _session_notes(view, ui.history_line)
 if budgets is not None:
  render_budget_section(budgets, ui)
 _figure_tables(view)
 ui.chart_columns = _charts(view)


def panel_text(view: CostView, history_line: str) -> str:
 """The panel's figures as text, without its buttons and charts: what Copy puts on the clipboard."""
 lines = [f"Session total: {view.total_cost}", view.summary, view.session_line, history_line, view.unpriced_note]
 tiers = ((row.label, row.cost, row.tokens, row.share) for row in view.tier_rows)
 models = (
  (row.label, row.input, row.output, row.cached, row.cost)
  for group in view.providers
  for row in (group.subtotal, *group.models)
 )
 lines += ["By tier", table_text(TIER_COST_COLUMNS, tiers), "By model", table_text(MODEL_COST_COLUMNS, models)]
 return "\n".join(line for line in lines if line) + "\n"


def _figure_tables(view: CostView) -> None:
 imgui.separator_text("By tier")
 _tier_costs(view)
 imgui.separator_text("By model")
 _model_costs(view)


def _session_total(view: CostView, ui) -> None:
 imgui.text("Session total:")
 imgui.same_line()
 imgui.text_colored(UNPRICED if view.total_row.unpriced and not view.total_units else SUBTOTAL, view.total_cost)
 imgui.same_line()
 if imgui.button("Reset Session"):
  ui.want_reset = True
 hover_tooltip(RESET_TOOLTIP)
 imgui.same_line()
 copy_button("Copy", COPY_TOOLTIP, ui.copy_costs, lambda: panel_text(view, ui.history_line))
 ui.copy_costs = False


def _session_notes(view: CostView, history_line: str) -> None:
 imgui.text_disabled(view.summary)
 imgui.text_disabled(view.session_line)
 if history_line:
  imgui.text_disabled(history_line)
 if view.unpriced_note:
  imgui.text_colored(UNPRICED, view.unpriced_note)


def _tier_costs(view: CostView) -> None:
 if not imgui.begin_table("cost_by_tier", len(TIER_COST_COLUMNS), TABLE_FLAGS):
  return
 table_headers(TIER_COST_COLUMNS, TIER_COST_FLAGS)
 for row in view.tier_rows:
  imgui.table_next_row()
  for index, text in enumerate((row.label, row.cost, row.tokens, row.share)):
   imgui.table_set_column_index(index)
   colored_text(UNPRICED if row.unpriced and index == 1 else None, text)
 imgui.end_table()


def _model_costs(view: CostView) -> None:
 if not view.providers:
  imgui.text_disabled("No calls yet this session.")
  return
 if not imgui.begin_table("cost_by_model", len(MODEL_COST_COLUMNS), TABLE_FLAGS):
  return
 table_headers(MODEL_COST_COLUMNS, MODEL_COST_FLAGS)
 lines = view.model_lines
 clipper = imgui.ListClipper()  # with 200 models, only the rows in view are drawn
 clipper.begin(len(lines))
 while clipper.step():
  for row, subtotal in lines[clipper.display_start : clipper.display_end]:
   _model_row(row, SUBTOTAL if subtotal else None)
 imgui.end_table()


def _model_row(row: FigureRow, color: imgui.ImVec4 | None) -> None:
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 colored_text(color, row.label)
 for index, text in enumerate((row.input, row.output, row.cached), start=1):
  imgui.table_set_column_index(index)
  imgui.text(text)
 imgui.table_set_column_index(4)
 colored_text(UNPRICED if row.unpriced else color, row.cost)


CHART_HEIGHT = 220
ALWAYS = implot.Cond_.always
# ImPlot's default 200 px minimum plot area pushed the right chart past the window's edge at 1280x720
PLOT_MIN_SIZE = imgui.ImVec2(60, 60)
TIME_TITLE, SHARE_TITLE = "Session cost over time", "Cost share by model"


def _charts(view: CostView) -> int:
 """Both charts side by side; returns their width in pixels."""
 imgui.separator_text("Charts")
 width = imgui.get_content_region_avail().x
 half = max(120.0, (width - imgui.get_style().item_spacing.x) / 2)
 size = imgui.ImVec2(half, CHART_HEIGHT)
 has_calls = bool(len(view.timeline_x))
 implot.push_style_var(implot.StyleVar_.plot_min_size, PLOT_MIN_SIZE)
 _chart(TIME_TITLE, size, "" if has_calls else "no calls yet", lambda: _cost_over_time(view, size))
 imgui.same_line()
 share_empty = "" if view.share_labels else "no priced calls yet" if has_calls else "no calls yet"
 _chart(SHARE_TITLE, size, share_empty, lambda: _cost_share(view, size))
 implot.pop_style_var()
 return int(half)


def _chart(title: str, size: imgui.ImVec2, empty: str, plot: Callable[[], None]) -> None:
 """The chart's title above it (never clipped by long tick labels), then the plot or, with no data, a framed
 box that says why (no empty axes)."""
 imgui.begin_group()
 imgui.text(title)
 if empty:
  imgui.begin_child(title, size, imgui.ChildFlags_.borders)
  imgui.text_disabled(empty)
  imgui.end_child()
 else:
  plot()
 imgui.end_group()


def _cost_over_time(view: CostView, size: imgui.ImVec2) -> None:
 if not implot.begin_plot("##cost over time", size, implot.Flags_.no_legend):
  return
 implot.setup_axes("", "")
 implot.setup_axis_scale(implot.ImAxis_.x1, implot.Scale_.time)
 implot.setup_axis_format(implot.ImAxis_.y1, "$%.4g")
 x0, x1, y0, y1 = view.timeline_limits
 implot.setup_axes_limits(x0, x1, y0, y1, ALWAYS)
 implot.plot_stairs("cumulative", view.timeline_x, view.timeline_y)
 implot.end_plot()


def _cost_share(view: CostView, size: imgui.ImVec2) -> None:
 flags = implot.Flags_.no_legend | implot.Flags_.no_mouse_text | implot.Flags_.no_inputs
 if not implot.begin_plot("##cost share", size, flags):
  return
 implot.setup_axes("% of cost", "")
 low, high = view.share_limits
 implot.setup_axes_limits(low, high, -0.6, len(view.share_labels) - 0.4, ALWAYS)
 implot.setup_axis_ticks(implot.ImAxis_.y1, view.share_positions, view.share_labels)
 implot.plot_bars("share", view.share_values, 0.6, 0, implot.Spec(flags=implot.BarsFlags_.horizontal))
 implot.end_plot()
