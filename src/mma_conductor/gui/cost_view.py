"""What the Cost Analytics panel and the tier table show, formatted once per data change.

Pure Python and numpy, no imgui: render functions only draw these cached strings and arrays, so an idle
frame formats nothing and allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..pricing.money import UNITS_PER_USD
from ..pricing.session_costs import CostFigures, SessionSnapshot
from ..pricing.tiers import TIER_NAMES

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
CHART_MARGIN = 0.08  # of the data's span, on the side(s) a chart's data would otherwise touch the border
MIN_TIME_MARGIN_S = 1.0  # one call alone (or a burst within a second) still gets some time either side
MIN_USD_SPAN = 1e-9  # the cost axis's top while every call is still unpriced
MODEL_INDENT = "    "  # a model's row label sits under its provider's subtotal row


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
 unpriced_note: str
 timeline_x: np.ndarray
 timeline_y: np.ndarray
 timeline_limits: tuple[float, float, float, float]
 share_labels: list[str]
 share_positions: list[float]
 share_values: np.ndarray
 share_limits: tuple[float, float]


def _row(label: str, figures: CostFigures, total_units: int, models: str = "") -> FigureRow:
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
 return provider if provider in PROVIDER_ORDER else "other"


def build_cost_view(snapshot: SessionSnapshot, timeline: list[tuple[float, int]]) -> CostView:
 """Format the snapshot and the cost timeline for drawing."""
 total = snapshot.total
 units = total.cost_units
 tier_rows = tuple(
  _row(tier, snapshot.tier(tier), units, ", ".join(snapshot.models_in_tier(tier)) or "-") for tier in TIER_NAMES
 )
 extra_tiers = tuple(_row(f.key or "(no tier)", f, units) for f in snapshot.by_tier if f.key not in TIER_NAMES)
 total_cost = total.cost_label if total.calls else "$0.00"
 summary = (
  f"{total.calls:,} calls, {total.total_tokens:,} tokens ({total.input_tokens:,} in / {total.output_tokens:,} out)"
 )
 unpriced = ""
 if snapshot.unpriced_models:
  unpriced = "Unpriced (tokens counted, no price): " + ", ".join(snapshot.unpriced_models)
 xs, ys = _timeline_arrays(timeline)
 labels, values = _shares(snapshot)
 return CostView(
  version=(snapshot.version, len(timeline)),
  session_id=snapshot.session_id,
  session_line=f"session {snapshot.session_id}",
  total_cost=total_cost,
  total_units=units,
  summary=summary,
  badge=f"Session {total_cost}",
  tier_rows=tier_rows + extra_tiers,
  total_row=_row("Total", total, units),
  providers=_provider_groups(snapshot, units),
  unpriced_note=unpriced,
  timeline_x=xs,
  timeline_y=ys,
  timeline_limits=_timeline_limits(xs, ys),
  share_labels=labels,
  share_positions=[float(i) for i in range(len(labels))],
  share_values=values,
  share_limits=(0.0, _padded_top(values, 1.0)),
 )


def _provider_groups(snapshot: SessionSnapshot, total_units: int) -> tuple[ProviderGroup, ...]:
 """The models grouped by provider in the panel's provider order, each group with its subtotal row."""
 groups: dict[str, list[CostFigures]] = {}
 for figures in snapshot.by_model:
  groups.setdefault(provider_group_key(figures.provider), []).append(figures)
 return tuple(_provider_group(key, groups[key], total_units) for key in PROVIDER_ORDER if groups.get(key))


def _provider_group(key: str, members: list[CostFigures], total_units: int) -> ProviderGroup:
 title = PROVIDER_TITLES[key]
 rows = tuple(_row(MODEL_INDENT + f.key, f, total_units) for f in members)
 return ProviderGroup(key, title, _row(title, _sum(key, members), total_units), rows)


def _timeline_arrays(timeline: list[tuple[float, int]]) -> tuple[np.ndarray, np.ndarray]:
 """Clock time (Unix seconds) and cumulative USD, rising from zero at the first call (not at app start)."""
 xs = np.fromiter((t for t, _ in timeline), dtype=np.float64, count=len(timeline))
 ys = np.fromiter((u / UNITS_PER_USD for _, u in timeline), dtype=np.float64, count=len(timeline))
 if not len(xs):
  return xs, ys
 return np.concatenate((xs[:1], xs)), np.concatenate(([0.0], ys))


def _timeline_limits(xs: np.ndarray, ys: np.ndarray) -> tuple[float, float, float, float]:
 """The cost chart's axes: the calls' time span with a margin each side, zero to a little above the total."""
 if not len(xs):
  return 0.0, 1.0, 0.0, 1.0
 start, end = float(xs[0]), float(xs[-1])
 margin = max((end - start) * CHART_MARGIN, MIN_TIME_MARGIN_S)
 return start - margin, end + margin, 0.0, _padded_top(ys, MIN_USD_SPAN)


def _padded_top(values: np.ndarray, floor: float) -> float:
 """A little above the largest value, so that the top point or bar does not sit on the border."""
 top = float(values.max()) if len(values) else 0.0
 return max(top, floor) * (1 + CHART_MARGIN)


def _sum(key: str, members: list[CostFigures]) -> CostFigures:
 return CostFigures(
  key,
  key,
  sum(f.cost_units for f in members),
  sum(f.calls for f in members),
  sum(f.unpriced_calls for f in members),
  sum(f.input_tokens for f in members),
  sum(f.output_tokens for f in members),
  sum(f.cache_read_tokens for f in members),
  sum(f.cache_write_tokens for f in members),
  sum(f.cache_write_1h_tokens for f in members),
  sum(f.reasoning_tokens for f in members),
 )


def _shares(snapshot: SessionSnapshot) -> tuple[list[str], np.ndarray]:
 """Percent of the session's priced cost per model, the largest last (drawn at the top), the tail as
 "others"."""
 priced = [f for f in snapshot.by_model if f.cost_units > 0]
 total = sum(f.cost_units for f in priced)
 if not total:
  return [], np.zeros(0, dtype=np.float64)
 top = priced[:SHARE_BARS]
 rest = sum(f.cost_units for f in priced[SHARE_BARS:])
 labels = [f.key for f in top]
 values = [100 * f.cost_units / total for f in top]
 if rest:
  labels.append("others")
  values.append(100 * rest / total)
 return labels[::-1], np.asarray(values[::-1], dtype=np.float64)
