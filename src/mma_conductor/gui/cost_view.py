"""What the Cost Analytics panel and the tier table show, formatted once per data change.

Pure Python and numpy, no imgui: render functions only draw these cached strings and arrays, so an idle
frame formats nothing and allocates nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from itertools import chain, compress, count, repeat
from operator import add, attrgetter, eq, is_not, not_, sub

import numpy as np

from ..app.cost_timeline import CostTimeline
from ..pricing.session_costs import CellFigures, CostFigures, SessionSnapshot
from ..pricing.tiers import TIER_NAMES
from .timeline_series import TimelineSeries, padded_top

PROVIDER_ORDER = ("gemini", "anthropic", "deepseek", "openai", "simulated", "other")
PROVIDER_TITLES = {
 "gemini": "Gemini",
 "anthropic": "Anthropic",
 "deepseek": "DeepSeek",
 "openai": "OpenAI",
 "simulated": "Simulated (offline)",
 "other": "Other",
}
SHARE_BARS = 8
CHART_COLUMNS = 640  # the cost chart's width in pixels until the panel says how wide it is drawn
MODEL_INDENT = "    "  # a model's row label sits under its provider's subtotal row
GROUP_OF = {provider: provider for provider in PROVIDER_ORDER}
TOTAL_KEY, SUBTOTAL_KEY = "\0total", "\0provider:"  # row cache keys that no model name can take


# Every figure of a CostFigures as one tuple (read in C): rows compare these to see what changed.
figure_values = attrgetter(*(field.name for field in fields(CostFigures)))
COUNTER_COUNT = len(fields(CostFigures)) - 2  # after the key and the provider


@dataclass(frozen=True, slots=True)
class FigureRow:
 """One table row, every cell already a string."""

 label: str
 models: str
 calls: str
 input: str
 output: str
 cached: str
 tokens: str
 cost: str
 share: str
 unpriced: bool
 cost_units: int


@dataclass(frozen=True, slots=True)
class ProviderGroup:
 """A provider's subtotal row and its models' rows (their labels indented under the subtotal's)."""

 key: str
 title: str
 subtotal: FigureRow
 models: tuple[FigureRow, ...]
 lines: tuple[tuple[FigureRow, bool], ...]  # the table's lines: (row, is the subtotal), subtotal first


@dataclass(frozen=True)
class CostView:
 """Everything the panel and the tier table draw for one version of the session figures."""

 version: tuple[int, int]
 session_id: str
 session_line: str
 total_cost: str
 total_units: int
 summary: str
 badge: str
 tier_rows: tuple[FigureRow, ...]
 total_row: FigureRow
 providers: tuple[ProviderGroup, ...]
 model_lines: tuple[tuple[FigureRow, bool], ...]  # every group's lines, in order (one table, drawn clipped)
 unpriced_note: str
 timeline_x: np.ndarray
 timeline_y: np.ndarray
 timeline_limits: tuple[float, float, float, float]
 share_labels: list[str]
 share_positions: list[float]
 share_values: np.ndarray
 share_limits: tuple[float, float]


def _row(label: str, figures: CostFigures, total_units: int | None = None, models: str = "") -> FigureRow:
 """Format one row; its share of `total_units` only where a share is shown (the tier rows)."""
 share = ""
 if total_units is not None:
  share = f"{100 * figures.cost_units / total_units:.1f}%" if total_units and figures.cost_units else "-"
 return FigureRow(
  label=label,
  models=models,
  calls=f"{figures.calls:,}",
  input=f"{figures.input_tokens:,}",
  output=f"{figures.output_tokens:,}",
  cached=f"{figures.cached_tokens:,}",
  tokens=f"{figures.total_tokens:,}",
  cost=figures.cost_label if figures.calls else "$0.00",
  share=share,
  unpriced=figures.unpriced_calls > 0,
  cost_units=figures.cost_units,
 )


def provider_group_key(provider: str) -> str:
 """The panel's group for a provider id (unknown providers are "other")."""
 return GROUP_OF.get(provider, "other")


def build_cost_view(snapshot: SessionSnapshot, timeline: CostTimeline, columns: int = CHART_COLUMNS) -> CostView:
 """Format the snapshot and the cost timeline for drawing, all at once."""
 return CostViewBuilder().build(snapshot, timeline, columns)


class CostViewBuilder:
 """Builds the CostViews of one controller, one per change, formatting again only what changed.

 A row is formatted again only when its figures differ from those it was last formatted from (the snapshot's
 CostFigures are immutable values: a model's row is found by the identity of its figures, which a snapshot
 keeps for every model that did not change; the other rows compare figures by value); every other row is the
 same FigureRow object, strings and all. A provider group's subtotal moves by its changed models' differences.
 The cost chart's series follows the timeline incrementally (TimelineSeries). A new session or a new timeline
 (after a reset) starts over.
 """

 def __init__(self) -> None:
  self._start(("", 0.0))
  self.rows_formatted = 0  # rows formatted so far: for tests and benchmarks

 def _start(self, session_id: tuple[str, float]) -> None:
  self._session_id = session_id
  self._rows: dict[str, tuple[tuple, FigureRow]] = {}
  self._model_rows: dict[int, FigureRow] = {}  # by id() of the CostFigures each was formatted from
  self._model_figures: dict[str, CostFigures] = {}  # those figures, by model: held, so no other object takes their id
  self._group_sums: dict[str, list[int]] = {}  # each provider group's counters: its models' figures summed
  self._tier_rows: dict[str, tuple[tuple, FigureRow]] = {}
  self._tier_models = TierModels()
  self._groups: dict[str, ProviderGroup] = {}
  self._series: TimelineSeries | None = None

 def build(self, snapshot: SessionSnapshot, timeline: CostTimeline, columns: int = CHART_COLUMNS) -> CostView:
  """The view of `snapshot` and `timeline` for a cost chart `columns` pixels wide."""
  if (snapshot.session_id, snapshot.started_at) != self._session_id:
   self._start((snapshot.session_id, snapshot.started_at))
  series = self.series(timeline, columns)
  return self._view(snapshot, series, len(timeline))

 def series(self, timeline: CostTimeline, columns: int) -> TimelineSeries:
  """The chart's series of `timeline`, brought up to date."""
  if self._series is None or self._series.timeline is not timeline:
   self._series = TimelineSeries(timeline, columns)
  self._series.update(columns)
  return self._series

 def _view(self, snapshot: SessionSnapshot, series: TimelineSeries, points: int) -> CostView:
  total = snapshot.total
  total_cost = total.cost_label if total.calls else "$0.00"
  labels, values = _shares(snapshot)
  providers = self._provider_groups(snapshot)
  return CostView(
   version=(snapshot.version, points),
   session_id=snapshot.session_id,
   session_line=f"session {snapshot.session_id}",
   total_cost=total_cost,
   total_units=total.cost_units,
   summary=_summary(total),
   badge=f"Session {total_cost}",
   tier_rows=self._tiers(snapshot, total.cost_units),
   total_row=self._row(TOTAL_KEY, "Total", total),
   providers=providers,
   model_lines=tuple(chain.from_iterable(group.lines for group in providers)),
   unpriced_note=_unpriced_note(snapshot),
   timeline_x=series.x,
   timeline_y=series.y,
   timeline_limits=series.limits,
   share_labels=labels,
   share_positions=[float(i) for i in range(len(labels))],
   share_values=values,
   share_limits=(0.0, padded_top(float(values.max()) if len(values) else 0.0, 1.0)),
  )

 def _row(self, key: str, label: str, figures: CostFigures) -> FigureRow:
  """The row of `figures`, formatted again only if they changed since it was last formatted."""
  values = figure_values(figures)
  cached = self._rows.get(key)
  if cached is not None and cached[0] == values:
   return cached[1]
  row = _row(label, figures)
  self._rows[key] = (values, row)
  self.rows_formatted += 1
  return row

 def _tiers(self, snapshot: SessionSnapshot, total_units: int) -> tuple[FigureRow, ...]:
  """The four tiers, then any other tier the calls named, each with its share of the session's cost."""
  models = self._tier_models.update(snapshot.cells)
  rows = [self._tier_row(snapshot.tier(tier), total_units, models.get(tier, "-")) for tier in TIER_NAMES]
  rows += [self._tier_row(f, total_units, "") for f in snapshot.by_tier if f.key not in TIER_NAMES]
  return tuple(rows)

 def _tier_row(self, figures: CostFigures, total_units: int, models: str) -> FigureRow:
  """A tier's row, formatted again when its figures or the session's total (its share) changed."""
  values = (figure_values(figures), total_units)
  cached = self._tier_rows.get(figures.key)
  if cached is not None and cached[0] == values:
   return cached[1]
  row = _row(figures.key or "(no tier)", figures, total_units, models)
  self._tier_rows[figures.key] = (values, row)
  self.rows_formatted += 1
  return row

 def _provider_groups(self, snapshot: SessionSnapshot) -> tuple[ProviderGroup, ...]:
  """The models grouped by provider in the panel's provider order, each group with its subtotal row.

  Every pass over the 200 models of a large session runs in C (`map`, `compress`): the rows of unchanged models
  are found by the identity of their figures and only the others are formatted; each group's members are
  picked by a mask."""
  by_model = snapshot.by_model
  rows = list(map(self._model_rows.get, map(id, by_model)))
  for index in list(compress(count(), map(not_, rows))):
   rows[index] = self._model_row(by_model[index])
  groups = list(map(GROUP_OF.get, map(_PROVIDER, by_model), repeat("other")))
  present = set(groups)
  return tuple(self._provider_group(key, rows, groups) for key in PROVIDER_ORDER if key in present)

 def _model_row(self, figures: CostFigures) -> FigureRow:
  """Format a model's row, forgetting the row of its previous figures; its group's sums move by the difference."""
  row = self._model_rows[id(figures)] = _row(MODEL_INDENT + figures.key, figures)
  previous = self._model_figures.get(figures.key)
  if previous is not None:
   del self._model_rows[id(previous)]
   self._count(previous, sub)
  self._count(figures, add)
  self._model_figures[figures.key] = figures
  self.rows_formatted += 1
  return row

 def _count(self, figures: CostFigures, operation: Callable[[int, int], int]) -> None:
  """Add a model's figures to its group's sums (`add`), or take them out (`sub`): exact integers, so the sums
  equal the group's models summed afresh."""
  sums = self._group_sums.setdefault(GROUP_OF.get(figures.provider, "other"), [0] * COUNTER_COUNT)
  sums[:] = map(operation, sums, figure_values(figures)[2:])

 def _provider_group(self, key: str, rows: list[FigureRow], groups: list[str]) -> ProviderGroup:
  """A group's model rows; its subtotal summed again only when one of them changed."""
  members = list(map(eq, groups, repeat(key)))
  models = tuple(compress(rows, members))
  group = self._groups.get(key)
  if group is not None and group.models == models:
   return group
  title = PROVIDER_TITLES[key]
  subtotal = self._row(SUBTOTAL_KEY + key, title, CostFigures(key, key, *self._group_sums[key]))
  lines = ((subtotal, True), *((row, False) for row in models))
  group = self._groups[key] = ProviderGroup(key, title, subtotal, models, lines)
  return group


class TierModels:
 """The models that ran in each tier, most expensive first, as the tier table shows them ("a, b"; what
 `SessionSnapshot.models_in_tier` says). Follows the snapshot's cells by identity (a snapshot keeps the cell
 objects that did not change): only the changed cells are counted again and only their tiers re-sorted, where
 a pass over every cell took ~0.2 ms of each frame after new data in a session of 200 models."""

 def __init__(self) -> None:
  self._cells: tuple[CellFigures, ...] = ()
  self._costs: dict[str, dict[str, list[int]]] = {}  # tier -> model -> [cost units, cells]
  self._text: dict[str, str] = {}

 def update(self, cells: tuple[CellFigures, ...]) -> dict[str, str]:
  """Take in the cells of a new snapshot; returns each tier's text (tiers without calls are absent)."""
  previous = self._cells
  changed = set(compress(count(), map(is_not, cells, previous)))
  changed.update(range(min(len(cells), len(previous)), max(len(cells), len(previous))))
  tiers = {self._count(previous[i], -1) for i in changed if i < len(previous)}
  tiers |= {self._count(cells[i], 1) for i in changed if i < len(cells)}
  self._cells = cells
  for tier in tiers:
   self._retext(tier)
  return self._text

 def _count(self, cell: CellFigures, sign: int) -> str:
  """Add (sign 1) or take out (sign -1) a cell's cost; returns its tier."""
  models = self._costs.setdefault(cell.tier, {})
  entry = models.setdefault(cell.model, [0, 0])
  entry[0] += sign * cell.figures.cost_units
  entry[1] += sign
  if not entry[1]:
   del models[cell.model]
  return cell.tier

 def _retext(self, tier: str) -> None:
  costs = self._costs.get(tier)
  if costs:
   self._text[tier] = ", ".join(model for _, model in sorted((-units, model) for model, (units, _) in costs.items()))
  else:
   self._text.pop(tier, None)


_PROVIDER = attrgetter("provider")


def _summary(total: CostFigures) -> str:
 return (
  f"{total.calls:,} calls, {total.total_tokens:,} tokens ({total.input_tokens:,} in / {total.output_tokens:,} out)"
 )


def _unpriced_note(snapshot: SessionSnapshot) -> str:
 if not snapshot.unpriced_models:
  return ""
 return "Unpriced (tokens counted, no price): " + ", ".join(snapshot.unpriced_models)


def _shares(snapshot: SessionSnapshot) -> tuple[list[str], np.ndarray]:
 """Percent of the session's priced cost per model, the largest last (drawn at the top), the tail as
 "others"."""
 by_model = snapshot.by_model  # costliest first
 if by_model and by_model[-1].cost_units >= 0:  # no credit: the session's total is the priced models' sum
  top = [f for f in by_model[:SHARE_BARS] if f.cost_units > 0]
  total = snapshot.total.cost_units
  rest = total - sum(f.cost_units for f in top)
 else:
  priced = [f for f in by_model if f.cost_units > 0]
  top, total = priced[:SHARE_BARS], sum(f.cost_units for f in priced)
  rest = sum(f.cost_units for f in priced[SHARE_BARS:])
 if not total:
  return [], np.zeros(0, dtype=np.float64)
 labels = [f.key for f in top]
 values = [100 * f.cost_units / total for f in top]
 if rest:
  labels.append("others")
  values.append(100 * rest / total)
 return labels[::-1], np.asarray(values[::-1], dtype=np.float64)
