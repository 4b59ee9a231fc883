"""The comms log of calls, the tier output streams and the event log."""

from __future__ import annotations

from imgui_bundle import imgui

from ..pricing.tiers import TIER_NAMES
from .style import BAD, GOOD, MUTED, SIMULATED
from .view_cache import CallRow, ViewCache
from .widgets import colored_text, draw_clipped, table_headers

CALL_COLUMNS = ("Time", "Tier", "Ticket", "Model", "Tokens in / out", "Cost", "Latency", "Status")
CALL_LOG_FLAGS = (
 imgui.TableFlags_.borders_inner_v
 | imgui.TableFlags_.row_bg
 | imgui.TableFlags_.scroll_y
 | imgui.TableFlags_.sizing_fixed_fit  # not resizable: the columns keep fitting the newest rows' content
 | imgui.TableFlags_.scroll_x  # a narrow window scrolls sideways instead of cutting them
)
LEVEL_COLORS = {"error": BAD, "warning": SIMULATED, "budget": SIMULATED, "milestone": GOOD}
STREAM_CHILD_IDS = {tier: f"stream_{tier}" for tier in TIER_NAMES}
STREAM_FOLLOW_MARGIN = 20  # a stream scrolled this close to its end keeps following new text


def render_comms_log(view: ViewCache) -> None:
 """Every call of the session and before, newest last, clipped so that long logs cost nothing."""
 count = view.call_count
 if not count:
  imgui.text_disabled("No calls yet.")
  return
 if not imgui.begin_table("comms_log", len(CALL_COLUMNS), CALL_LOG_FLAGS):
  return
 imgui.table_setup_scroll_freeze(0, 1)
 table_headers(CALL_COLUMNS)
 draw_clipped(count, lambda index: _call_row(view.call_row(index)))
 if view.follow_calls:
  imgui.set_scroll_here_y(1.0)
  view.follow_calls = False
 imgui.end_table()


def _call_row(row: CallRow) -> None:
 # The cells drawn in a row, without a helper call per cell: ~40 rows of eight cells in every frame.
 imgui.table_next_row()
 for column, text in enumerate((row.time, row.tier, row.ticket)):
  imgui.table_set_column_index(column)
  imgui.text(text)
 imgui.table_set_column_index(3)
 colored_text(SIMULATED if row.model.endswith("(sim)") else None, row.model)
 for column, text in enumerate((row.tokens, row.cost, row.latency), start=4):
  imgui.table_set_column_index(column)
  imgui.text(text)
 imgui.table_set_column_index(7)
 imgui.text_colored(BAD if row.failed else MUTED, row.status)


def render_tier_streams(view: ViewCache) -> None:
 """One tab per tier with the text its calls streamed (latest last)."""
 if not imgui.begin_tab_bar("tier_streams"):
  return
 for tier in TIER_NAMES:
  if imgui.begin_tab_item(tier)[0]:
   _stream(STREAM_CHILD_IDS[tier], view.stream_text.get(tier, ""))
   imgui.end_tab_item()
 imgui.end_tab_bar()


def _stream(child_id: str, text: str) -> None:
 imgui.begin_child(child_id, imgui.ImVec2(0, 0), imgui.ChildFlags_.borders)
 if text:
  imgui.text_unformatted(text)
 else:
  imgui.text_disabled("Nothing streamed yet.")
 if imgui.get_scroll_y() >= imgui.get_scroll_max_y() - STREAM_FOLLOW_MARGIN:
  imgui.set_scroll_here_y(1.0)
 imgui.end_child()


def render_event_log(view: ViewCache) -> None:
 """Warnings, errors and notes from the conductor."""
 if not view.log_lines:
  imgui.text_disabled("Nothing to report.")
  return
 for line in view.log_lines:
  imgui.text_colored(LEVEL_COLORS.get(line.level, MUTED), line.text)
