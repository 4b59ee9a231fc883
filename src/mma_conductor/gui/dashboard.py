"""The MMA Dashboard: the tier usage table with its Est. Cost column, and the ticket list."""

from __future__ import annotations

from imgui_bundle import imgui

from .cost_view import CostView, FigureRow
from .style import FIXED, MUTED, STATUS_COLORS, STRETCH, SUBTOTAL, TABLE_FLAGS, UNPRICED
from .view_cache import TicketRow
from .widgets import colored_text, draw_clipped, hover_tooltip, table_headers, table_text

TIER_COLUMNS = ("Tier", "Model", "Input", "Output", "Cached", "Est. Cost")
TIER_COLUMN_FLAGS = (FIXED, STRETCH, FIXED, FIXED, FIXED, FIXED)  # the models wrap; the figures are never cut


def render_tier_table(view: CostView) -> None:
 """One row per tier (the models it really used; several after escalation) and a total row."""
 if not imgui.begin_table("tier_usage", len(TIER_COLUMNS), TABLE_FLAGS):
  return
 table_headers(TIER_COLUMNS, TIER_COLUMN_FLAGS)
 for row in view.tier_rows:
  _tier_row(row, None)
 _tier_row(view.total_row, SUBTOTAL)
 imgui.end_table()


def tier_table_text(view: CostView) -> str:
 """The tier table as text: what its Copy table button puts on the clipboard."""
 rows = (
  (row.label, row.models, row.input, row.output, row.cached, row.cost) for row in (*view.tier_rows, view.total_row)
 )
 return table_text(TIER_COLUMNS, rows) + "\n"


def _tier_row(row: FigureRow, color: imgui.ImVec4 | None) -> None:
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 colored_text(color, row.label)
 imgui.table_set_column_index(1)
 imgui.text_wrapped(row.models)
 for index, text in enumerate((row.input, row.output, row.cached), start=2):
  imgui.table_set_column_index(index)
  colored_text(color, text)
 imgui.table_set_column_index(5)
 colored_text(UNPRICED if row.unpriced else color, row.cost)


TICKET_COLUMNS = ("Ticket", "Title", "Status", "Worker model", "Attempts", "Cost")
TICKET_COLUMN_FLAGS = (FIXED, STRETCH, FIXED, STRETCH, FIXED, FIXED)
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
 table_headers(TICKET_COLUMNS, TICKET_COLUMN_FLAGS, TICKET_COLUMN_WEIGHTS)
 draw_clipped(len(rows), lambda index: _ticket_row(rows[index]))
 imgui.end_table()


def _ticket_row(row: TicketRow) -> None:
 imgui.table_next_row()
 imgui.table_set_column_index(0)
 imgui.text(row.id)
 imgui.table_set_column_index(1)
 imgui.text(row.title)
 hover_tooltip(row.detail)
 imgui.table_set_column_index(2)
 imgui.text_colored(STATUS_COLORS.get(row.status, MUTED), row.status)
 hover_tooltip(row.detail if row.status == "blocked" else "")
 for index, text in enumerate((row.model, row.attempts, row.cost), start=3):
  imgui.table_set_column_index(index)
  imgui.text(text)
