"""The Cost Dashboard's queries, run off the GUI thread (issue 13).

A query-runner thread owns its own ledger connection and answers the dashboard's requests (figures, insights, a
page of the sessions table, a session's lines, a run's tickets, an export) by posting `DashboardResult` events to
the controller; the GUI thread applies them to `DashboardState` when it drains the queue. Every request carries the
generation of the range and filters it was made for: an answer for an older generation is dropped. New calls
recorded mark the figures dirty; the runner re-reads them at most REFRESHES_PER_S times a second, and only while
the window is drawn.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.events import CallRecord
from ..ledger import dashboard as queries
from ..ledger.config import LedgerConfigError

# What the GUI draws (it reads the ledger's types through this module: gui imports app, never ledger).
from ..ledger.dashboard import RANGES as RANGES
from ..ledger.dashboard import SESSION_SORTS as SESSION_SORTS
from ..ledger.dashboard import DashboardData, DashboardQuery, SessionLines, SessionRow, SessionsPage, TicketLine
from ..ledger.dashboard import TierAnalysis as TierAnalysis
from ..ledger.dashboard import Trend as Trend
from ..ledger.dashboard_export import export_range
from ..ledger.errors import ExportError
from ..ledger.insights import Alternative as Alternative
from ..ledger.insights import Insights, candidate_models, configured_tiers, insights
from ..ledger.store import Ledger, LedgerError

PAGE_ROWS = 200  # sessions per page: the clipper asks for the pages that scroll into view
PAGES_PER_READ = 10  # pages read at once: a read sums every session of the range, whatever the page
REFRESHES_PER_S = 3  # at most this many automatic re-reads a second
INSIGHTS_REFRESH_S = 10.0  # insights re-price whole ranges: re-read after new calls at most this often
VISIBLE_FOR_S = 2.0  # the window counts as shown for this long after it was last drawn
FLUSH_WAIT_S = 1.0
QUERY_ERRORS = (LedgerError, LedgerConfigError, ExportError, OSError, ValueError, sqlite3.Error)


@dataclass(frozen=True, slots=True)
class DashboardSpec:
 """What the user picked: a range name (ledger.dashboard.RANGES; `custom` uses since/until) and the filters."""

 range: str = "30d"
 since_us: int | None = None
 until_us: int | None = None
 provider: str | None = None
 model: str | None = None
 tier: str | None = None
 run_id: str | None = None

 def query(self, now_us: int) -> DashboardQuery:
  """The ledger query of this pick at `now_us` (relative ranges end now)."""
  filters = {"provider": self.provider, "model": self.model, "tier": self.tier, "run_id": self.run_id}
  return queries.range_query(self.range, now_us, None, self.since_us, self.until_us, **filters)


@dataclass(frozen=True, slots=True)
class DashboardResult:
 """An answer of the query runner (posted to the controller, applied on the GUI thread).

 kind: dashboard, insights, page, lines, tickets, export or error; `key` says which page / session / run."""

 kind: str
 generation: int
 key: Any
 value: Any


@dataclass(frozen=True, slots=True)
class _Request:
 kind: str
 generation: int
 key: Any
 args: tuple = ()


@dataclass
class DashboardState:
 """What the window draws (owned by the GUI thread). `version` changes with every applied answer."""

 generation: int = 0
 sessions_generation: int = 0
 spec: DashboardSpec = field(default_factory=DashboardSpec)
 query: DashboardQuery | None = None
 sort: tuple[str, bool] = ("last", True)
 data: DashboardData | None = None
 insights: Insights | None = None
 pages: dict[int, SessionsPage] = field(default_factory=dict)
 stale_pages: dict[int, SessionsPage] = field(default_factory=dict)  # shown until their fresh page lands
 lines: dict[str, SessionLines] = field(default_factory=dict)
 tickets: dict[str, tuple[TicketLine, ...]] = field(default_factory=dict)
 asked: set = field(default_factory=set)  # (kind, key) requested for this generation and not answered yet
 message: str = ""  # the last export's outcome or the last query's problem
 version: int = 0

 @property
 def running(self) -> bool:
  """Whether an answer is awaited."""
  return bool(self.asked)


class DashboardLink:
 """The dashboard's requests (GUI thread) and the query-runner thread that answers them.

 `post` delivers answers (the controller's `post`); `flush` writes what the ledger writer holds before a re-read.
 The thread starts with the first request, so an app whose dashboard stays closed runs no queries."""

 def __init__(
  self,
  ledger: Ledger,
  post: Callable[[object], None],
  *,
  flush: Callable[[float], object] = lambda timeout: None,
  insight_inputs: Callable[[], tuple] | None = None,
  record_simulated: bool = True,
 ) -> None:
  self.ledger = ledger
  self.record_simulated = record_simulated
  self.post = post
  self.flush = flush
  self.insight_inputs = insight_inputs
  self.state = DashboardState()
  self.busy = False  # the runner is inside a query (read by the GUI thread for the spinner)
  self.queries_run = 0
  self.last_drawn = 0.0  # monotonic time the window last drew (set by the GUI)
  self._requests: queue.Queue[_Request | None] = queue.Queue()
  self._latest = 0  # the newest generation asked for (written by the GUI thread, read by the runner)
  self._dirty = threading.Event()
  self._closing = threading.Event()
  self._thread: threading.Thread | None = None
  self._last_refresh = 0.0
  self._last_insights = 0.0
  # The page reads the table needed in the last frame and in this one: a read scrolled past is skipped.
  self._wanted: set[int] = set()
  self._touched: set[int] = set()

 # Taps (any thread) --------------------------------------------------------------------------------

 def on_posted(self, event: object) -> None:
  """A post tap: a recorded call makes the figures stale."""
  if isinstance(event, CallRecord) and (self.record_simulated or not event.simulated):
   self._dirty.set()

 # Requests (GUI thread) ----------------------------------------------------------------------------

 def show(self, spec: DashboardSpec, now_us: int | None = None) -> None:
  """Ask for the figures of `spec` (a new generation: answers for the old one are dropped)."""
  state = self.state
  state.generation += 1
  state.sessions_generation += 1
  state.spec, state.query = spec, spec.query(_now_us() if now_us is None else now_us)
  state.pages.clear()
  state.stale_pages.clear()
  state.lines.clear()
  state.asked.clear()
  state.version += 1
  self._latest = state.generation
  self._ask("dashboard", "show", (state.query,))
  self._ask("insights", "show", (state.query,))

 def set_sort(self, sort: str, descending: bool) -> None:
  """Order the sessions table by `sort` (ledger.dashboard.SESSION_SORTS): its pages are fetched again."""
  state = self.state
  if state.sort == (sort, descending):
   return
  state.sort = (sort, descending)
  state.sessions_generation += 1
  state.pages.clear()
  state.stale_pages.clear()
  state.asked = {asked for asked in state.asked if asked[0] != "page"}
  state.version += 1

 def session_row(self, index: int) -> SessionRow | None:
  """Row `index` of the sessions table in the current order; None until its page has been read (it is asked for
  on first sight)."""
  state = self.state
  number = index // PAGE_ROWS
  page = state.pages.get(number) or state.stale_pages.get(number)
  if number not in state.pages:
   self._ask_read(number // PAGES_PER_READ)
  if page is None or not page.offset <= index < page.offset + len(page.rows):
   return None
  return page.rows[index - page.offset]

 def _ask_read(self, read: int) -> None:
  state = self.state
  self._touched.add(read)
  if ("page", read) not in state.asked and state.query is not None:
   self._ask("page", read, (state.query, *state.sort, state.sessions_generation))

 def frame_drawn(self) -> None:
  """The window drew a frame (GUI thread): page reads it no longer needs may be skipped; refreshes go on."""
  self.last_drawn = time.monotonic()
  self._wanted, self._touched = self._touched, set()

 def session_lines(self, session_id: str) -> SessionLines | None:
  """A session's per-model and per-tier lines (asked for on first sight)."""
  found = self.state.lines.get(session_id)
  if found is None and ("lines", session_id) not in self.state.asked:
   self._ask("lines", session_id, ())
  return found

 def run_tickets(self, run_id: str) -> tuple[TicketLine, ...] | None:
  """A run's tickets (asked for on first sight)."""
  found = self.state.tickets.get(run_id)
  if found is None and ("tickets", run_id) not in self.state.asked:
   self._ask("tickets", run_id, ())
  return found

 def refresh_insights(self) -> None:
  """Read the insights again (after a tier's model changed)."""
  if self.state.query is not None:
   self._ask("insights", "show", (self.state.query,))

 def export(self, fmt: str, path: Path) -> None:
  """Write the range shown as `fmt` (csv, json: its calls; pdf: the report) to `path`, off this thread."""
  if self.state.query is not None:
   self.state.message = f"exporting {path.name} ..."
   self._ask("export", fmt, (self.state.query, Path(path)))

 def _ask(self, kind: str, key: Any, args: tuple) -> None:
  self.state.asked.add((kind, key))
  self._start()
  self._requests.put(_Request(kind, self.state.generation, key, args))

 # Answers (GUI thread) -----------------------------------------------------------------------------

 def apply(self, result: DashboardResult) -> None:
  """Apply an answer posted by the runner; answers for an older range or sort are dropped."""
  state = self.state
  if result.generation != state.generation or _stale_page(result, state):
   return
  state.asked.discard(
   result.key if result.kind == "error" else (result.kind, result.key)
  )  # an error's key: what failed
  _APPLY_RESULT[result.kind](state, result)
  state.version += 1

 # The runner thread --------------------------------------------------------------------------------

 def _start(self) -> None:
  if self._thread is None:
   self._thread = threading.Thread(target=self._run, name="dashboard-queries", daemon=True)
   self._thread.start()

 def close(self, timeout: float = 5.0) -> None:
  """Stop the runner (a query in progress ends first)."""
  self._closing.set()
  self._requests.put(None)
  if self._thread is not None:
   self._thread.join(timeout)

 def _run(self) -> None:
  ledger = _own_connection(self.ledger)
  try:
   while not self._closing.is_set():
    request = self._next_request()
    if request is not None and self._wanted_now(request):
     self._serve(ledger, request)
    elif request is not None:
     self.post(DashboardResult("skipped", request.generation, request.key, None))
    self._maybe_refresh(ledger)
  finally:
   if ledger is not self.ledger:
    ledger.close()

 def _next_request(self) -> _Request | None:
  wait = 0.5
  if self._dirty.is_set():
   wait = max(0.0, self._last_refresh + 1 / REFRESHES_PER_S - time.monotonic())
  try:
   return self._requests.get(timeout=wait) if wait else self._requests.get_nowait()
  except queue.Empty:
   return None

 def _wanted_now(self, request: _Request) -> bool:
  if request.generation != self._latest:
   return False
  return request.kind != "page" or request.key in self._wanted or request.key in self._touched

 def _serve(self, ledger: Ledger, request: _Request) -> None:
  self.busy = True
  try:
   value = _ANSWER[request.kind](self, ledger, *request.args, key=request.key)
  except QUERY_ERRORS as exc:
   self.post(DashboardResult("error", request.generation, (request.kind, request.key), str(exc)))
  else:
   self.post(DashboardResult(request.kind, request.generation, request.key, value))
  finally:
   self.busy = False
   self.queries_run += 1

 def _maybe_refresh(self, ledger: Ledger) -> None:
  """Re-read the figures of the range shown after new calls, at most REFRESHES_PER_S a second, while drawn."""
  now = time.monotonic()
  if not self._dirty.is_set() or now - self._last_refresh < 1 / REFRESHES_PER_S or self._latest == 0:
   return
  if now - self.last_drawn > VISIBLE_FOR_S or not self._requests.empty():
   return
  self._dirty.clear()
  self._last_refresh = now
  self.flush(FLUSH_WAIT_S)
  generation, spec = self._latest, self.state.spec  # a spec replaced meanwhile only bumps the generation
  self._serve(ledger, _Request("dashboard", generation, "refresh", (spec.query(_now_us()),)))
  if now - self._last_insights >= INSIGHTS_REFRESH_S:
   self._serve(ledger, _Request("insights", generation, "refresh", (spec.query(_now_us()),)))

 def _dashboard(self, ledger: Ledger, query: DashboardQuery, *, key: Any) -> DashboardData:
  return queries.dashboard_data(ledger, query)

 def _insights(self, ledger: Ledger, query: DashboardQuery, *, key: Any) -> Insights | None:
  self._last_insights = time.monotonic()
  if self.insight_inputs is None:
   return None
  book, tier_models, candidates = self.insight_inputs()
  return insights(ledger, query, book, tier_models, candidates)

 def _page(self, ledger: Ledger, query: DashboardQuery, sort: str, descending: bool, gen: int, *, key: int):
  offset = key * PAGES_PER_READ * PAGE_ROWS
  rows = PAGES_PER_READ * PAGE_ROWS
  read = queries.sessions_page(ledger, query, sort=sort, descending=descending, offset=offset, limit=rows)
  return gen, _pages(read, key * PAGES_PER_READ)

 def _lines(self, ledger: Ledger, *, key: str) -> SessionLines:
  return queries.session_lines(ledger, key)

 def _tickets(self, ledger: Ledger, *, key: str) -> tuple[TicketLine, ...]:
  return queries.run_tickets(ledger, key)

 def _export(self, ledger: Ledger, query: DashboardQuery, path: Path, *, key: str) -> str:
  count = export_range(ledger, query, key, path)
  return f"saved {path} ({count:,} calls)"


_ANSWER = {
 "dashboard": DashboardLink._dashboard,
 "insights": DashboardLink._insights,
 "page": DashboardLink._page,
 "lines": DashboardLink._lines,
 "tickets": DashboardLink._tickets,
 "export": DashboardLink._export,
}


def _stale_page(result: DashboardResult, state: DashboardState) -> bool:
 return result.kind == "page" and result.value[0] != state.sessions_generation


def _set_data(state: DashboardState, result: DashboardResult) -> None:
 state.data = result.value
 state.query = result.value.query
 if result.key == "refresh":  # the old pages stay on screen until their fresh rows land
  state.sessions_generation += 1
  state.stale_pages = {**state.stale_pages, **state.pages}
  state.pages = {}
  state.asked = {asked for asked in state.asked if asked[0] != "page"}
  state.lines.clear()


def _set_insights(state: DashboardState, result: DashboardResult) -> None:
 state.insights = result.value


def _pages(read: SessionsPage, first: int) -> dict[int, SessionsPage]:
 """A read of several pages cut into pages (at least the first, empty when the range has fewer rows)."""
 pages = {}
 for number in range(first, first + PAGES_PER_READ):
  start = number * PAGE_ROWS - read.offset
  if number == first or start < len(read.rows):
   pages[number] = SessionsPage(read.total, number * PAGE_ROWS, read.rows[start : start + PAGE_ROWS])
 return pages


def _set_page(state: DashboardState, result: DashboardResult) -> None:
 for number, page in result.value[1].items():
  state.pages[number] = page
  state.stale_pages.pop(number, None)


def _skipped(state: DashboardState, result: DashboardResult) -> None:
 state.asked.discard(("page", result.key))  # scrolled past: asked again if it comes back into view


def _set_lines(state: DashboardState, result: DashboardResult) -> None:
 state.lines[result.key] = result.value


def _set_tickets(state: DashboardState, result: DashboardResult) -> None:
 state.tickets[result.key] = result.value


def _set_message(state: DashboardState, result: DashboardResult) -> None:
 state.message = result.value if result.kind == "export" else f"{result.key[0]}: {result.value}"


_APPLY_RESULT = {
 "dashboard": _set_data,
 "insights": _set_insights,
 "page": _set_page,
 "lines": _set_lines,
 "tickets": _set_tickets,
 "export": _set_message,
 "error": _set_message,
 "skipped": _skipped,
}


def _own_connection(ledger: Ledger) -> Ledger:
 """A connection of the runner's own (queries never wait on the writer's lock); the shared one when the ledger
 has no file to open again (an in-memory ledger)."""
 if not ledger.path.exists():
  return ledger
 try:
  return Ledger.open(ledger.path, create=False, milestones_enabled=False, check_at_open=False)
 except LedgerError:
  return ledger


def _now_us() -> int:
 return time.time_ns() // 1000


def insight_inputs(controller: Any) -> Callable[[], tuple]:
 """What `insights()` needs from the app, read when the runner asks: the price book, each tier's provider and
 model as set now, and the models to compare with (the project's configured ones and the tiers' current ones)."""

 def read() -> tuple:
  tiers = controller.config.tiers
  tier_models = {tier: (config.provider, config.model) for tier, config in tiers.items()}
  try:
   configured = configured_tiers(controller.project_dir)
  except LedgerConfigError:
   configured = {}
  candidates = dict.fromkeys([*candidate_models(configured), *tier_models.values()])
  return controller.price_book, tier_models, [pair for pair in candidates if pair[0] != "simulated"]

 return read
