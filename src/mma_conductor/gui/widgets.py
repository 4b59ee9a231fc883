"""Small drawing steps the windows share: a text in a color or the default one, a tooltip on hover, a table's
header row, a clipped list and the Copy buttons' text capture."""

from __future__ import annotations

from collections.abc import Callable

from imgui_bundle import imgui


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


def draw_copied(copying: bool, draw: Callable[..., None], *args: object) -> None:
 """`draw(*args)`; when `copying`, what it draws also goes to the clipboard as text."""
 if not copying:
  draw(*args)
  return
 imgui.log_to_clipboard()
 draw(*args)
 imgui.log_finish()
