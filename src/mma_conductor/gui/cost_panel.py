"""The Cost Analytics panel: session total, per tier, per model grouped by provider, two charts."""

from __future__ import annotations

from imgui_bundle import imgui, implot

from .cost_view import CostView, FigureRow
from .style import SUBTOTAL, UNPRICED

TABLE_FLAGS = (
 imgui.TableFlags_.borders_inner_v
 | imgui.TableFlags_.borders_outer
 | imgui.TableFlags_.row_bg
 | imgui.TableFlags_.sizing_stretch_prop
)


def render_cost_panel(view: CostView, ui) -> None:
 """Draw the collapsing "Cost Analytics" header (open by default) and its content.

 `ui` carries the panel's requests back to the app: `ui.want_reset` is set by the Reset Session button.
 """
 if not imgui.collapsing_header("Cost Analytics", imgui.TreeNodeFlags_.default_open):
  return
 copying = ui.copy_costs
 if copying:
  ui.copy_costs = False
  imgui.log_to_clipboard()
 imgui.text("Session total:")
 imgui.same_line()
 imgui.text_colored(UNPRICED if view.total_row.unpriced and not view.total_units else SUBTOTAL, view.total_cost)
 imgui.same_line()
 if imgui.button("Copy"):
  ui.copy_costs = True
 if imgui.is_item_hovered():
  imgui.set_tooltip("Copy the panel's figures to the clipboard as text")
 imgui.same_line()
 if imgui.button("Reset Session"):
  ui.want_reset = True
 if imgui.is_item_hovered():
  imgui.set_tooltip("Clear the session figures and start a new session (asks first). History keeps the old one.")
 imgui.text_disabled(view.summary)
 imgui.text_disabled(f"session {view.session_id}")
 if ui.history_line:
  imgui.text_disabled(ui.history_line)
 if view.unpriced_note:
  imgui.text_colored(UNPRICED, view.unpriced_note)

 imgui.separator_text("By tier")
 if imgui.begin_table("cost_by_tier", 4, TABLE_FLAGS):
  for label in ("Tier", "Cost", "Tokens", "Share"):
   imgui.table_setup_column(label)
  imgui.table_headers_row()
  for row in view.tier_rows:
   _cells(row.label, row.cost, row.tokens, row.share, unpriced=row.unpriced)
  imgui.end_table()

 imgui.separator_text("By model")
 if not view.providers:
  imgui.text_disabled("No calls yet this session.")
 elif imgui.begin_table("cost_by_model", 5, TABLE_FLAGS):
  for label in ("Provider / model", "Input", "Output", "Cached", "Cost"):
   imgui.table_setup_column(label)
  imgui.table_headers_row()
  for group in view.providers:
   _model_row(group.subtotal, SUBTOTAL)
   for row in group.models:
    _model_row(row, None, indent=True)
  imgui.end_table()
 if copying:
  imgui.log_finish()

 _charts(view)


def _cells(*texts: str, unpriced: bool = False) -> None:
 imgui.table_next_row()
 for index, text in enumerate(texts):
  imgui.table_set_column_index(index)
  if unpriced and index == 1:
   imgui.text_colored(UNPRICED, text)
  else:
   imgui.text(text)


def _model_row(row: FigureRow, color, indent: bool = False) -> None:
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 label = ("    " + row.label) if indent else row.label
 if color is not None:
  imgui.text_colored(color, label)
 else:
  imgui.text(label)
 for index, text in enumerate((row.input, row.output, row.cached), start=1):
  imgui.table_set_column_index(index)
  imgui.text(text)
 imgui.table_set_column_index(4)
 if row.unpriced:
  imgui.text_colored(UNPRICED, row.cost)
 elif color is not None:
  imgui.text_colored(color, row.cost)
 else:
  imgui.text(row.cost)


def _charts(view: CostView) -> None:
 imgui.separator_text("Charts")
 width = imgui.get_content_region_avail().x
 half = max(120.0, (width - imgui.get_style().item_spacing.x) / 2)
 size = imgui.ImVec2(half, 220)
 if implot.begin_plot("Session cost over time", size, implot.Flags_.no_legend):
  implot.setup_axes("seconds", "USD", implot.AxisFlags_.auto_fit, implot.AxisFlags_.auto_fit)
  implot.setup_axis_format(implot.ImAxis_.y1, "$%.4f")
  if len(view.timeline_x):
   implot.plot_stairs("cumulative", view.timeline_x, view.timeline_y)
  implot.end_plot()
 imgui.same_line()
 flags = implot.Flags_.no_legend | implot.Flags_.no_mouse_text | implot.Flags_.no_inputs
 if implot.begin_plot("Cost share by model", size, flags):
  implot.setup_axes("% of session cost", "", implot.AxisFlags_.auto_fit, implot.AxisFlags_.auto_fit)
  if view.share_labels:
   implot.setup_axis_ticks(implot.ImAxis_.y1, view.share_positions, view.share_labels)
   spec = implot.Spec(flags=implot.BarsFlags_.horizontal)
   implot.plot_bars("share", view.share_values, 0.6, 0, spec)
  else:
   implot.plot_text("no priced calls yet", 0.5, 0.5)
  implot.end_plot()
