"""The Cost Dashboard window (issue 13): a time range and filters over the ledger; cards, the trend, the provider /
model breakdown, the tier analysis, the top runs, every session (sortable, clipped, expandable), a run's tickets,
exports and the insights with Apply / Undo.

Nothing here reads the ledger: requests go to the app's query runner (`controller.dashboard`), whose answers land
through the controller's queue; strings and plot arrays are rebuilt only when those answers change the data.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from imgui_bundle import imgui, implot

from ..app.dashboard_link import RANGES, DashboardLink, DashboardSpec
from ..app.project_config import ConfigError
from .cost_dashboard_view import (
 ALTERNATIVE_COLUMNS,
 EMPTY_VIEW,
 RUN_COLUMNS,
 SESSION_COLUMNS,
 SESSION_SORT_KEYS,
 TICKET_COLUMNS,
 TIER_COLUMNS,
 DashboardView,
 SessionRowCache,
 bucket_at,
 build_view,
 line_cells,
 ticket_cells,
)
from .style import BAD, FIXED, GOOD, MUTED, STRETCH, SUBTOTAL, TABLE_FLAGS
from .widgets import hover_tooltip, table_headers

WINDOW_NAME = "Cost Dashboard"
RANGE_LABELS = {
 "1h": "1h",
 "24h": "24h",
 "7d": "7d",
 "30d": "30d",
 "month": "This month",
 "all": "All",
 "custom": "Custom",
}
FILTERS = (("provider", "Provider"), ("model", "Model"), ("tier", "Tier"), ("run_id", "Track"))
CARD_COLUMNS = 5
LINE_COST_COLUMN = 3  # an expanded session's lines put their cost and calls under the session's
TREND_HEIGHT = 220
SESSIONS_HEIGHT = 300
TICKETS_WINDOW = "Run tickets"
SPINNER = "|/-\\"
SESSION_TABLE_FLAGS = TABLE_FLAGS | imgui.TableFlags_.sortable | imgui.TableFlags_.scroll_y
SESSION_FLAGS = (STRETCH, FIXED, FIXED, FIXED, FIXED, FIXED, FIXED, FIXED, FIXED)
TIER_FLAGS = (FIXED, FIXED, FIXED, STRETCH, FIXED, FIXED, FIXED, FIXED)
RUN_FLAGS = (FIXED, STRETCH, FIXED, FIXED, FIXED, FIXED)
TICKET_FLAGS = (FIXED, STRETCH, FIXED, FIXED, FIXED, FIXED, FIXED)
ALTERNATIVE_FLAGS = (FIXED, FIXED, FIXED, FIXED, FIXED, STRETCH, FIXED)
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d")


class CostDashboard:
 """The window's own state (range picked, filters, expanded sessions, the run whose tickets are open, the last
 applied suggestion) around the controller's query runner."""

 def __init__(self, controller) -> None:
  self.controller = controller
  self.spec = DashboardSpec()
  self.custom_from = ""
  self.custom_to = ""
  self.view: DashboardView = EMPTY_VIEW
  self.rows = SessionRowCache()
  self.expanded: dict[str, int] = {}  # session id -> its row index in the current order
  self.tickets_run = ""
  self.scroll_to_row: int | None = None  # set to scroll the sessions table to a row on the next frame
  self.applied = None  # the AppliedTier of the last Apply, for Undo
  self.note = ""
  self._seen: dict[str, set] = {}
  self._lines: dict[str, tuple] = {}  # session id -> (its SessionLines, their cells)
  self._budget_version = -1
  self._asked = False

 @property
 def link(self) -> DashboardLink | None:
  """The controller's query runner (None without a ledger)."""
  return self.controller.dashboard

 # Per frame ---------------------------------------------------------------------------------------

 def render(self) -> None:
  """Draw the window's content (inside the dockable window)."""
  link = self.link
  if link is None:
   imgui.text_disabled("No cost history: the ledger could not be opened (see the Event Log).")
   return
  self._follow(link)
  self._toolbar(link)
  self._filters()
  imgui.text_disabled(self.view.range_text)
  self._cards()
  self._trend()
  self._sections(link)
  self._tickets_window(link)

 def _follow(self, link: DashboardLink) -> None:
  link.frame_drawn()
  if not self._asked:
   self._asked = True
   link.show(self.spec)
  version = self.controller.budget_version
  if link.state.version != self.view.version or version != self._budget_version:
   self._budget_version = version
   self.view = build_view(link.state, self.controller.budget_statuses, self._seen)

 def change(self, **fields) -> None:
  """Show another range or filter (a new query generation)."""
  from dataclasses import replace

  self.spec = replace(self.spec, **fields)
  self.expanded.clear()
  if self.link is not None:
   self.link.show(self.spec)

 # Range, filters, exports -------------------------------------------------------------------------

 def _toolbar(self, link: DashboardLink) -> None:
  for name in RANGES:
   if imgui.radio_button(RANGE_LABELS[name], self.spec.range == name) and name != self.spec.range:
    self._pick_range(name)
   imgui.same_line()
  self._spinner(link)
  if self.spec.range == "custom":
   self._custom_range()
  self._exports(link)

 def _pick_range(self, name: str) -> None:
  if name == "custom":
   self.spec = DashboardSpec(**{**_spec_fields(self.spec), "range": "custom"})
   return
  self.change(range=name, since_us=None, until_us=None)

 def _spinner(self, link: DashboardLink) -> None:
  if link.state.running or link.busy:
   imgui.text_colored(SUBTOTAL, f"{SPINNER[int(imgui.get_time() * 8) % 4]} querying")
  else:
   imgui.text_disabled("  ")

 def _custom_range(self) -> None:
  imgui.set_next_item_width(150)
  _, self.custom_from = imgui.input_text_with_hint("##from", "from YYYY-MM-DD", self.custom_from)
  imgui.same_line()
  imgui.set_next_item_width(150)
  _, self.custom_to = imgui.input_text_with_hint("##to", "to YYYY-MM-DD", self.custom_to)
  imgui.same_line()
  if imgui.button("Show range"):
   self._apply_custom()

 def _apply_custom(self) -> None:
  since, until = parse_local(self.custom_from), parse_local(self.custom_to)
  if since is None or until is None or since >= until:
   self.note = "custom range: give from and to as YYYY-MM-DD or YYYY-MM-DD HH:MM, from before to"
   return
  self.note = ""
  self.change(range="custom", since_us=since, until_us=until)

 def _exports(self, link: DashboardLink) -> None:
  for fmt in ("csv", "json", "pdf"):
   if imgui.button(f"Export {fmt.upper()}"):
    link.export(fmt, export_path(self.controller.project_dir, fmt))
   hover_tooltip(f"Save the range shown as {fmt.upper()} (under exports/ in the project folder)")
   imgui.same_line()
  message = self.note or link.state.message
  imgui.text_colored(BAD if self.note else MUTED, message) if message else imgui.new_line()

 def _filters(self) -> None:
  for name, label in FILTERS:
   imgui.set_next_item_width(170)
   current = getattr(self.spec, name) or ""
   if imgui.begin_combo(f"{label}##filter", current or f"all {label.lower()}s"):
    self._filter_choices(name, current)
    imgui.end_combo()
   imgui.same_line()
  imgui.new_line()

 def _filter_choices(self, name: str, current: str) -> None:
  if imgui.selectable("all", not current)[0] and current:
   self.change(**{name: None})
  for value in self.view.options.get(name, ()):
   if imgui.selectable(value or "(none)", value == current)[0] and value != current:
    self.change(**{name: value})

 # Cards and trend ---------------------------------------------------------------------------------

 def _cards(self) -> None:
  if not self.view.cards or not imgui.begin_table("cards", CARD_COLUMNS, imgui.TableFlags_.borders_inner_v):
   return
  for card in self.view.cards:
   imgui.table_next_column()
   imgui.text_disabled(card.label)
   imgui.text_colored(SUBTOTAL, card.value)
   if card.note:
    imgui.text_disabled(card.note)
  imgui.end_table()

 def _trend(self) -> None:
  plot = self.view.trend
  if plot is None:
   imgui.text_disabled("No calls in this range.")
   return
  if not implot.begin_plot("##trend", imgui.ImVec2(-1, TREND_HEIGHT)):
   return
  implot.setup_axes("", "USD per " + plot.bucket)
  implot.setup_axis_scale(implot.ImAxis_.x1, implot.Scale_.time)
  implot.setup_axis_limits(implot.ImAxis_.y1, 0, plot.y_max, implot.Cond_.always)
  for provider, tops in plot.stacks:
   implot.plot_bars(provider, plot.x, tops, plot.bar_width)
  if plot.budget is not None:
   implot.plot_inf_lines(plot.budget[0], plot.budget[1], spec=implot.Spec(flags=implot.InfLinesFlags_.horizontal))
  _trend_hover(plot)
  implot.end_plot()

 # Tables ------------------------------------------------------------------------------------------

 def _sections(self, link: DashboardLink) -> None:
  sections = (
   ("Providers and models", self._shares),
   ("Tiers", lambda: _rows_table("tiers", TIER_COLUMNS, TIER_FLAGS, self.view.tiers)),
   ("Top 5 runs", self._top_runs),
   (f"Sessions ({self.view.sessions:,})###Sessions", lambda: self._sessions(link)),
   ("Insights", lambda: self._insights(link)),
  )
  for title, draw in sections:
   if imgui.collapsing_header(title, imgui.TreeNodeFlags_.default_open):
    draw()

 def _shares(self) -> None:
  if not imgui.begin_table("shares", 4, TABLE_FLAGS):
   return
  table_headers(("Provider / model", "Cost", "Share", "Calls"), (STRETCH, FIXED, FIXED, FIXED), (1.0, 0.0, 0.0, 0.0))
  for row in self.view.shares:
   imgui.table_next_row()
   imgui.table_next_column()
   imgui.text_colored(SUBTOTAL, row.label) if row.is_provider else imgui.text(row.label)
   imgui.table_next_column()
   imgui.text(row.cost)
   imgui.table_next_column()
   imgui.progress_bar(row.share, imgui.ImVec2(140, 0), row.share_text)
   imgui.table_next_column()
   imgui.text(row.calls)
  imgui.end_table()

 def _top_runs(self) -> None:
  if not self.view.runs:
   imgui.text_disabled("No runs in this range.")
   return
  if not imgui.begin_table("top_runs", len(RUN_COLUMNS), TABLE_FLAGS):
   return
  table_headers(RUN_COLUMNS, RUN_FLAGS)
  for run in self.view.runs:
   self._top_run(run)
  imgui.end_table()

 def _top_run(self, run) -> None:
  imgui.table_next_row()
  imgui.table_next_column()
  if imgui.selectable(f"{run.run_id}##top", self.tickets_run == run.run_id)[0]:
   self.tickets_run = run.run_id
  hover_tooltip("Open this run's tickets")
  for cell in run.cells[1:]:
   imgui.table_next_column()
   imgui.text(cell)

 def _sessions(self, link: DashboardLink) -> None:
  total = self.view.sessions
  if not imgui.begin_table("sessions", len(SESSION_COLUMNS), SESSION_TABLE_FLAGS, imgui.ImVec2(0, SESSIONS_HEIGHT)):
   return
  _session_headers()
  self._follow_sort(link)
  if self.scroll_to_row is not None:
   imgui.set_scroll_y(self.scroll_to_row * imgui.get_text_line_height_with_spacing())
   self.scroll_to_row = None
  rows = SessionRows(self, link, total)
  clipper = imgui.ListClipper()
  clipper.begin(rows.count)
  while clipper.step():
   for display in range(clipper.display_start, clipper.display_end):
    rows.draw(display)
  imgui.end_table()

 def _follow_sort(self, link: DashboardLink) -> None:
  specs = imgui.table_get_sort_specs()
  if specs is None or not specs.specs_dirty:
   return
  if specs.specs_count:
   first = specs.get_specs(0)
   descending = first.sort_direction == imgui.SortDirection.descending
   link.set_sort(SESSION_SORT_KEYS[first.column_user_id], descending)
   self.expanded.clear()
  specs.specs_dirty = False

 def _tickets_window(self, link: DashboardLink) -> None:
  if not self.tickets_run:
   return
  imgui.set_next_window_size(imgui.ImVec2(760, 300), imgui.Cond_.first_use_ever)
  shown, still_open = imgui.begin(f"{TICKETS_WINDOW}###{TICKETS_WINDOW}", True)
  if shown:
   imgui.text(f"Run {self.tickets_run}")
   tickets = link.run_tickets(self.tickets_run)
   rows = tuple(ticket_cells(t) for t in tickets) if tickets is not None else ()
   imgui.text_disabled("loading ...") if tickets is None else _rows_table(
    "run_tickets", TICKET_COLUMNS, TICKET_FLAGS, rows
   )
  imgui.end()
  if not still_open:
   self.tickets_run = ""

 # Insights ----------------------------------------------------------------------------------------

 def _insights(self, link: DashboardLink) -> None:
  if self.applied is not None:
   imgui.text_colored(GOOD, self.applied_text())
   imgui.same_line()
   if imgui.button("Undo"):
    self.undo(link)
  if self.view.alternatives:
   self._alternatives(link)
  else:
   imgui.text_disabled("No cheaper configured model for any tier in this range.")
  for text in self.view.findings:
   imgui.bullet_text(text)

 def applied_text(self) -> str:
  """What the last Apply changed."""
  applied = self.applied
  return f"{applied.tier} now runs {applied.applied.provider}/{applied.applied.model} (saved to the project file)"

 def _alternatives(self, link: DashboardLink) -> None:
  if not imgui.begin_table("alternatives", len(ALTERNATIVE_COLUMNS) + 1, TABLE_FLAGS):
   return
  table_headers((*ALTERNATIVE_COLUMNS, ""), ALTERNATIVE_FLAGS)
  for row in self.view.alternatives:
   imgui.table_next_row()
   for cell in row.cells:
    imgui.table_next_column()
    imgui.text_colored(GOOD, cell) if row.recommended and cell is row.cells[3] else imgui.text(cell)
   imgui.table_next_column()
   if imgui.small_button(f"Apply##{row.key}"):
    self.apply(link, row)
  imgui.end_table()

 def apply(self, link: DashboardLink, row) -> None:
  """Run the row's tier on its model from the next call (saved to the project file); Undo puts it back."""
  try:
   self.applied = self.controller.apply_suggestion(row.tier, row.provider, row.model)
  except (ConfigError, OSError, KeyError) as exc:
   self.note = f"could not apply: {exc}"
   return
  self.note = ""
  link.refresh_insights()

 def undo(self, link: DashboardLink) -> None:
  """Put back the tier settings of the last Apply."""
  try:
   self.controller.undo_suggestion(self.applied)
  except (ConfigError, OSError) as exc:
   self.note = f"could not undo: {exc}"
   return
  self.applied = None
  link.refresh_insights()

 def lines_of(self, session_id: str) -> tuple[tuple[str, str, str], ...]:
  """An expanded session's lines, formatted once per answer."""
  lines = self.link.session_lines(session_id)
  cached = self._lines.get(session_id)
  if cached is None or cached[0] is not lines:
   cached = self._lines[session_id] = (lines, line_cells(lines))
  return cached[1]


class SessionRows:
 """The sessions table's display rows: each session, and under an expanded one its lines (per model, per tier,
 its runs), mapped to clipper indexes without building a list of 100k rows."""

 def __init__(self, window: CostDashboard, link: DashboardLink, total: int) -> None:
  self.window, self.link = window, link
  self.expanded = sorted((index, sid) for sid, index in window.expanded.items() if index < total)
  self.lines = {sid: window.lines_of(sid) for _, sid in self.expanded}
  self.count = total + sum(len(lines) for lines in self.lines.values())

 def locate(self, display: int) -> tuple[int, str, int]:
  """(session index, expanded session id or "", line number) of display row `display` (line -1: the session)."""
  offset = 0
  for index, sid in self.expanded:
   if display <= index + offset:
    break
   extra = len(self.lines[sid])
   if display <= index + offset + extra:
    return index, sid, display - index - offset - 1
   offset += extra
  return display - offset, "", -1

 def draw(self, display: int) -> None:
  """Draw display row `display`."""
  index, sid, line = self.locate(display)
  imgui.table_next_row()
  imgui.table_next_column()
  if line >= 0:
   self._line(sid, self.lines[sid][line])
   return
  row = self.link.session_row(index)
  if row is None:
   imgui.text_disabled("...")
   return
  cells = self.window.rows.get(self.link.state.sessions_generation, index, row)
  self._session(index, row.session_id, cells)

 def _session(self, index: int, session_id: str, cells: tuple[str, ...]) -> None:
  expanded = self.window.expanded
  imgui.set_next_item_open(session_id in expanded)
  flags = imgui.TreeNodeFlags_.span_all_columns | imgui.TreeNodeFlags_.no_tree_push_on_open
  if imgui.tree_node_ex(session_id, flags) != (session_id in expanded):
   _toggle(expanded, session_id, index)
  for cell in cells[1:]:
   imgui.table_next_column()
   imgui.text(cell)

 def _line(self, session_id: str, line: tuple[str, str, str, str]) -> None:
  kind, label, cost, calls = line
  if kind == "run":
   if imgui.selectable(f"  run {label}##{session_id}", False)[0]:
    self.window.tickets_run = label
   hover_tooltip("Open this run's tickets")
  else:
   imgui.text_disabled(label)
  imgui.table_next_column()
  imgui.text_disabled(kind)
  imgui.table_set_column_index(LINE_COST_COLUMN)
  imgui.text_disabled(cost)
  imgui.table_next_column()
  imgui.text_disabled(calls)


def _session_headers() -> None:
 imgui.table_setup_scroll_freeze(1, 1)
 default = imgui.TableColumnFlags_.default_sort | imgui.TableColumnFlags_.prefer_sort_descending
 for index, (label, flags) in enumerate(zip(SESSION_COLUMNS, SESSION_FLAGS, strict=True)):
  imgui.table_setup_column(label, flags | (default if label == "Last" else 0), 0.0, index)
 imgui.table_headers_row()


def _trend_hover(plot) -> None:
 if implot.is_plot_hovered():
  index = bucket_at(plot, implot.get_plot_mouse_pos().x)
  if index is not None:
   imgui.set_tooltip(plot.hover[index])


def _toggle(expanded: dict[str, int], session_id: str, index: int) -> None:
 if session_id in expanded:
  del expanded[session_id]
 else:
  expanded[session_id] = index


def _rows_table(name: str, columns: tuple[str, ...], flags: tuple[int, ...], rows) -> None:
 if not imgui.begin_table(name, len(columns), TABLE_FLAGS):
  return
 table_headers(columns, flags)
 for cells in rows:
  imgui.table_next_row()
  for cell in cells:
   imgui.table_next_column()
   imgui.text(cell)
 imgui.end_table()


def _spec_fields(spec: DashboardSpec) -> dict:
 return {name: getattr(spec, name) for name in DashboardSpec.__dataclass_fields__}


def parse_local(text: str) -> int | None:
 """Epoch microseconds of a local `YYYY-MM-DD[ HH:MM]`; None when it is not one."""
 for pattern in DATE_FORMATS:
  try:
   return int(datetime.strptime(text.strip(), pattern).timestamp() * 1_000_000)
  except ValueError:
   continue
 return None


def export_path(project_dir: Path, fmt: str) -> Path:
 """Where an export of the range shown goes: exports/cost-dashboard-<time>.<fmt> in the project folder."""
 folder = Path(project_dir) / "exports"
 folder.mkdir(parents=True, exist_ok=True)
 return folder / f"cost-dashboard-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
