"""Small drawing steps the windows share: a text in a color or the default one, a tooltip on hover, a table's
header row, a clipped list, and Copy buttons that copy exactly the figures and say "copied"."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from imgui_bundle import imgui

from .style import GOOD

COPIED_SECONDS = 1.5  # how long "copied" shows beside a Copy button (ImGui time: it follows the frames' clock)


def colored_text(color: imgui.ImVec4 | None, text: str) -> None:
 """`text` in `color`, or in the default text color when `color` is None."""
 if color is None:
  imgui.text(text)
 else:
  imgui.text_colored(color, text)


def hover_tooltip(tooltip: str) -> None:
 """Show `tooltip` while the last item is hovered; nothing when it is empty."""
 if tooltip and imgui.is_item_hovered():
  imgui.set_tooltip(tooltip)


def table_headers(labels: tuple[str, ...], flags: tuple[int, ...] = (), weights: tuple[float, ...] = ()) -> None:
 """Set up the columns (each with its flags and weight when given) and draw the header row."""
 flags = flags or (0,) * len(labels)
 weights = weights or (0.0,) * len(labels)
 for label, column_flags, weight in zip(labels, flags, weights, strict=True):
  imgui.table_setup_column(label, column_flags, weight)
 imgui.table_headers_row()


def draw_clipped(count: int, draw_row: Callable[[int], None]) -> None:
 """Call `draw_row(index)` only for the rows of a `count`-row list that are in view."""
 clipper = imgui.ListClipper()
 clipper.begin(count)
 while clipper.step():
  for index in range(clipper.display_start, clipper.display_end):
   draw_row(index)


def table_text(headers: tuple[str, ...], rows: Iterable[Iterable[str]]) -> str:
 """A table as `| a | b |` lines, its header first: what a Copy button puts on the clipboard."""
 return "\n".join("| " + " | ".join(cells) + " |" for cells in (headers, *rows))


def copy_button(label: str, tooltip: str, requested: bool, text: Callable[[], str], *, small: bool = False) -> None:
 """A button that puts `text()` on the clipboard when clicked (or when `requested`) and then shows "copied"
 beside itself for a moment; the moment lives in Dear ImGui's per-window storage."""
 clicked = imgui.small_button(label) if small else imgui.button(label)
 hover_tooltip(tooltip)
 storage, key = imgui.get_state_storage(), imgui.get_id(label + "##copied")
 if clicked or requested:
  imgui.set_clipboard_text(text())
  storage.set_float(key, imgui.get_time() + COPIED_SECONDS)
 if imgui.get_time() < storage.get_float(key, -1.0):
  imgui.same_line()
  imgui.text_colored(GOOD, "copied")
