"""The MMA Dashboard: the tier usage table with its Est. Cost column, and the ticket list."""

from __future__ import annotations

from imgui_bundle import imgui

from .cost_view import CostView
from .style import MUTED, STATUS_COLORS, SUBTOTAL, UNPRICED
from .view_cache import TicketRow

TABLE_FLAGS = (
 imgui.TableFlags_.borders_inner_v
 | imgui.TableFlags_.borders_outer
 | imgui.TableFlags_.row_bg
 | imgui.TableFlags_.sizing_stretch_prop
)
TIER_COLUMNS = ("Tier", "Model", "Input", "Output", "Cached", "Est. Cost")


def render_tier_table(view: CostView) -> None:
 """One row per tier (the models it really used; several after escalation) and a total row."""
 if not imgui.begin_table("tier_usage", len(TIER_COLUMNS), TABLE_FLAGS):
  return
 for label in TIER_COLUMNS:
  imgui.table_setup_column(label)
 imgui.table_headers_row()
 for row in view.tier_rows:
  _tier_row(row.label, row.models, row.input, row.output, row.cached, row.cost, row.unpriced, None)
 total = view.total_row
 _tier_row("Total", "", total.input, total.output, total.cached, total.cost, total.unpriced, SUBTOTAL)
 imgui.end_table()


def _tier_row(label, models, input_, output, cached, cost, unpriced, color) -> None:
 imgui.table_next_row()
 for index, text in enumerate((label, models, input_, output, cached)):
  imgui.table_set_column_index(index)
  if color is not None:
   imgui.text_colored(color, text)
  else:
   imgui.text(text)
 imgui.table_set_column_index(5)
 if unpriced:
  imgui.text_colored(UNPRICED, cost)
 elif color is not None:
  imgui.text_colored(color, cost)
 else:
  imgui.text(cost)


TICKET_COLUMNS = ("Ticket", "Title", "Status", "Worker model", "Attempts", "Cost")
_FIXED = imgui.TableColumnFlags_.width_fixed
_STRETCH = imgui.TableColumnFlags_.width_stretch
TICKET_COLUMN_FLAGS = (_FIXED, _STRETCH, _FIXED, _STRETCH, _FIXED, _FIXED)
TICKET_COLUMN_WEIGHTS = (0.0, 3.0, 0.0, 2.0, 0.0, 0.0)


def render_ticket_list(rows: tuple[TicketRow, ...]) -> None:
 """Tickets with status, the worker models that tried them (escalations in order), attempts and the cost
 of all four tiers' calls for the ticket; clipped when long."""
 if not rows:
  imgui.text_disabled("No tickets yet: enter a goal in the Track window and press Run.")
  return
 flags = TABLE_FLAGS | imgui.TableFlags_.scroll_y
 if not imgui.begin_table("tickets", len(TICKET_COLUMNS), flags, imgui.ImVec2(0, 0)):
  return
 imgui.table_setup_scroll_freeze(0, 1)
 for label, flags, weight in zip(TICKET_COLUMNS, TICKET_COLUMN_FLAGS, TICKET_COLUMN_WEIGHTS, strict=True):
  imgui.table_setup_column(label, flags, weight)
 imgui.table_headers_row()
 clipper = imgui.ListClipper()
 clipper.begin(len(rows))
 while clipper.step():
  for index in range(clipper.display_start, clipper.display_end):
   row = rows[index]
   imgui.table_next_row()
   imgui.table_set_column_index(0)
   imgui.text(row.id)
   imgui.table_set_column_index(1)
   imgui.text(row.title)
   if row.detail and imgui.is_item_hovered():
    imgui.set_tooltip(row.detail)
   imgui.table_set_column_index(2)
   imgui.text_colored(STATUS_COLORS.get(row.status, MUTED), row.status)
   if row.status == "blocked" and row.detail and imgui.is_item_hovered():
    imgui.set_tooltip(row.detail)
   imgui.table_set_column_index(3)
   imgui.text(row.model)
   imgui.table_set_column_index(4)
   imgui.text(row.attempts)
   imgui.table_set_column_index(5)
   imgui.text(row.cost)
 imgui.end_table()
