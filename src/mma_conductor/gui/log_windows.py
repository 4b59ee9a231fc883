"""The comms log of calls, the tier output streams and the event log."""

from __future__ import annotations

from imgui_bundle import imgui

from ..pricing.tiers import TIER_NAMES
from .style import BAD, GOOD, MUTED, SIMULATED
from .view_cache import ViewCache

CALL_COLUMNS = ("Time", "Tier", "Ticket", "Model", "Tokens in / out", "Cost", "Latency", "Status")


def render_comms_log(view: ViewCache) -> None:
 """Every call of the session and before, newest last, clipped so that long logs cost nothing."""
 count = view.call_count
 if not count:
  imgui.text_disabled("No calls yet.")
  return
 flags = (
  imgui.TableFlags_.borders_inner_v
  | imgui.TableFlags_.row_bg
  | imgui.TableFlags_.scroll_y
  | imgui.TableFlags_.resizable
  | imgui.TableFlags_.sizing_stretch_prop
 )
 if not imgui.begin_table("comms_log", len(CALL_COLUMNS), flags):
  return
 imgui.table_setup_scroll_freeze(0, 1)
 for label in CALL_COLUMNS:
  imgui.table_setup_column(label)
 imgui.table_headers_row()
 clipper = imgui.ListClipper()
 clipper.begin(count)
 while clipper.step():
  for index in range(clipper.display_start, clipper.display_end):
   row = view.call_row(index)
   imgui.table_next_row()
   for column, text in enumerate((row.time, row.tier, row.ticket, row.model, row.tokens, row.cost, row.latency)):
    imgui.table_set_column_index(column)
    if column == 3 and row.model.endswith("(sim)"):
     imgui.text_colored(SIMULATED, text)
    else:
     imgui.text(text)
   imgui.table_set_column_index(7)
   imgui.text_colored(BAD if row.failed else MUTED, row.status)
 if view.follow_calls:
  imgui.set_scroll_here_y(1.0)
  view.follow_calls = False
 imgui.end_table()


def render_tier_streams(view: ViewCache) -> None:
 """One tab per tier with the text its calls streamed (latest last)."""
 if not imgui.begin_tab_bar("tier_streams"):
  return
 for tier in TIER_NAMES:
  if imgui.begin_tab_item(tier)[0]:
   text = view.stream_text.get(tier, "")
   imgui.begin_child(f"stream_{tier}", imgui.ImVec2(0, 0), imgui.ChildFlags_.borders)
   if text:
    imgui.text_unformatted(text)
   else:
    imgui.text_disabled("Nothing streamed yet.")
   if imgui.get_scroll_y() >= imgui.get_scroll_max_y() - 20:
    imgui.set_scroll_here_y(1.0)
   imgui.end_child()
   imgui.end_tab_item()
 imgui.end_tab_bar()


def render_event_log(controller) -> None:
 """Warnings, errors and notes from the conductor."""
 if not controller.log:
  imgui.text_disabled("Nothing to report.")
  return
 for event in controller.log:
  color = {"error": BAD, "warning": SIMULATED, "milestone": GOOD}.get(event.level, MUTED)
  imgui.text_colored(color, f"[{event.level}] {event.message}")
