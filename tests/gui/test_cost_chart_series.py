"""The cost chart's decimated series and the incremental cost view: what a frame that follows new data
rebuilds, and that what it keeps is what a full rebuild would give."""

import math
import random

import numpy as np
import pytest
from imgui_bundle import imgui

from mma_conductor.app.controller import AppController
from mma_conductor.app.cost_timeline import CostTimeline
from mma_conductor.engine.events import CallRecord
from mma_conductor.gui.app import GuiApp
from mma_conductor.gui.cost_panel import render_cost_panel
from mma_conductor.gui.cost_view import CostViewBuilder, build_cost_view
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.gui.timeline_series import TimelineSeries, extreme_points
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.money import UNITS_PER_USD
from mma_conductor.pricing.session_costs import SessionCosts
from mma_conductor.pricing.usage import Usage

CENT = UNITS_PER_USD // 100


def calls(count: int, seed: int = 7, late_every: int = 0):
 """(timestamp, cost units) of `count` calls: bursts and pauses, some calls without a price, and with
 `late_every`, every so often a call stamped up to a minute before the ones applied ahead of it."""
 rng = random.Random(seed)
 now = 1_700_000_000.0
 for n in range(count):
  now += rng.choice((0.001, 0.02, 0.5, 3.0, 40.0))
  late = late_every and n % late_every == 0
  yield now - (rng.uniform(0, 60) if late else 0), rng.choice((0, 1, 17, CENT, 3 * CENT, 10**9))


def timeline_of(points) -> tuple[CostTimeline, list[int]]:
 """The timeline and, beside it, every point's cumulative cost summed exactly in Python ints."""
 timeline, totals, total = CostTimeline(capacity=16), [], 0
 for at, units in points:
  timeline.append(at, units)
  total += units
  totals.append(total)
 return timeline, totals


def bins_of(timeline: CostTimeline, bin_s: float) -> np.ndarray:
 return np.floor((timeline.times - timeline.times[0]) / bin_s).astype(np.int64)


def full_rebuild(timeline: CostTimeline, bin_s: float) -> np.ndarray:
 """Every point binned at once at `bin_s`: what the incremental series must equal."""
 indices = np.arange(len(timeline), dtype=np.int64)
 return extreme_points(indices, bins_of(timeline, bin_s), timeline.times, timeline.usd)[0]


def test_the_timeline_keeps_exact_cumulative_costs_across_its_growth():
 timeline, totals = timeline_of(calls(5_000))
 assert len(timeline) == 5_000 and timeline.total_units == totals[-1]
 # each point's USD is its exact integer total divided once, however many points came before it
 assert timeline.usd.tolist() == [total / UNITS_PER_USD for total in totals]
 with pytest.raises(ValueError):
  timeline.usd[0] = 1.0  # readers get read-only views


@pytest.mark.parametrize("late_every", [0, 9])
def test_decimation_keeps_every_columns_extremes_the_last_point_and_exact_values(late_every):
 timeline, totals = timeline_of(calls(20_000, late_every=late_every))
 columns = 300
 series = TimelineSeries(timeline, columns)
 series.update(columns)
 x0, x1, _, top = series.limits
 assert series.bin_s <= (x1 - x0) / columns  # a bin is never wider than a pixel column of the chart
 kept = series.kept_indices
 bins = bins_of(timeline, series.bin_s)
 times, usd = timeline.times, timeline.usd
 for column in np.unique(bins):
  members = np.flatnonzero(bins == column)
  shown = kept[bins[kept] == column]
  assert times[shown].min() == times[members].min() and times[shown].max() == times[members].max()
  assert usd[shown].min() == usd[members].min() and usd[shown].max() == usd[members].max()
 assert len(timeline) - 1 in kept  # the last call, the session total now
 # every plotted point is a real point: its time and its exact cumulative cost; the line starts at zero
 assert series.x[0] == times[0] and series.y[0] == 0.0
 assert series.x[1:].tolist() == times[kept].tolist()
 assert series.y[1:].tolist() == [totals[i] / UNITS_PER_USD for i in kept]
 assert series.y.max() < top
 # bounded by the chart's width, not by the calls
 assert len(series.x) <= 4 * len(np.unique(bins)) + 1 <= 4 * 4 * columns + 1
 assert len(series.x) < len(timeline) / 5


def test_while_time_and_cost_only_grow_a_column_holds_at_most_two_points():
 timeline, _ = timeline_of(calls(30_000, seed=3))
 series = TimelineSeries(timeline, 400)
 series.update(400)
 bins = bins_of(timeline, series.bin_s)
 assert np.all(np.bincount(bins[series.kept_indices] - bins.min()) <= 2)
 assert np.all(np.diff(series.x) >= 0)  # the stairs go left to right, as the full series does


@pytest.mark.parametrize("late_every", [0, 5])
def test_incremental_appends_equal_a_full_rebuild(late_every):
 points = list(calls(12_000, seed=11, late_every=late_every))
 timeline = CostTimeline()
 series = TimelineSeries(timeline, 200)
 rng = random.Random(5)
 bin_sizes = set()
 position = 0
 while position < len(points):
  size = 1 if position < 5 else rng.choice((1, 2, 7, 64, 500))  # from the first call on
  for at, units in points[position : position + size]:
   timeline.append(at, units)
   position += 1
  assert series.update(200)
  bin_sizes.add(series.bin_s)
  assert series.kept_indices.tolist() == full_rebuild(timeline, series.bin_s).tolist()
 assert len(bin_sizes) >= 4 and series.rebins == 1  # the span grew: bins merged, points were never binned again
 assert not series.update(200)  # nothing new: nothing to do
 # a narrower chart merges bins, a wider one bins every point again; both equal a full rebuild
 for columns in (90, 600):
  assert series.update(columns)
  assert series.bin_s <= (series.limits[1] - series.limits[0]) / columns
  assert series.kept_indices.tolist() == full_rebuild(timeline, series.bin_s).tolist()
 assert series.rebins == 2


def record(controller: AppController, model: str, provider: str, tier: str, n: int) -> CallRecord:
 usage = Usage(1_000 + n, 100)
 return CallRecord(
  session_id=controller.costs.session_id,
  track_id="t",
  ticket_id="",
  tier=tier,
  role="worker",
  provider=provider,
  model=model,
  usage=usage,
  cost_units=(n + 1) * CENT,
  latency_s=0.1,
  request_id=f"r{n}",
  status="success",
  timestamp=1_700_000_000.0 + n,
 )


MODELS = [("gemini-x", "gemini", "Tier 1"), ("claude-y", "anthropic", "Tier 2"), ("gpt-z", "openai", "Tier 3")]


def model_rows(app: GuiApp) -> dict:
 return {row.label.strip(): row for group in app.view.cost.providers for row in group.models}


def test_a_new_call_formats_only_the_rows_it_changed(tmp_path):
 controller = AppController(tmp_path, persist=False)
 app = GuiApp(controller)
 for n, (model, provider, tier) in enumerate(MODELS * 2):
  controller.post(record(controller, model, provider, tier, n))
 app.pre_frame()
 before = app.view.cost
 rows = model_rows(app)
 groups = {group.key: group for group in before.providers}
 formatted = app.view._cost_builder.rows_formatted
 controller.post(record(controller, "claude-y", "anthropic", "Tier 2", 6))
 app.pre_frame()
 after = app.view.cost
 assert after is not before and after.total_row is not before.total_row
 new_rows = model_rows(app)
 for model in ("gemini-x", "gpt-z"):  # untouched: the same row objects, the same string objects
  assert new_rows[model] is rows[model] and new_rows[model].cost is rows[model].cost
 assert {g.key: g for g in after.providers}["gemini"] is groups["gemini"]
 assert new_rows["claude-y"] is not rows["claude-y"]
 assert new_rows["claude-y"].calls == "3" and new_rows["claude-y"].cost != rows["claude-y"].cost
 # the changed model, its provider's subtotal, the total, and the four tiers (their shares moved)
 assert app.view._cost_builder.rows_formatted - formatted == 3 + 4
 assert after.tier_rows[1].models == "claude-y" and after.tier_rows[0].models is before.tier_rows[0].models
 # and what is shown equals a view formatted from scratch
 fresh = build_cost_view(controller.session(), controller.cost_timeline)
 assert after.model_lines == fresh.model_lines and after.tier_rows == fresh.tier_rows
 assert after.total_row == fresh.total_row and after.timeline_y.tolist() == fresh.timeline_y.tolist()


class PanelRequests:
 want_reset = False
 copy_costs = False
 history_line = ""


def test_the_panel_reports_the_charts_width_and_the_series_follows_it():
 timeline, _ = timeline_of(calls(40_000, seed=2))
 with headless_imgui(1400, 900):
  costs = SessionCosts(PriceBook(use_dataset=False))
  costs.record("gpt-4o", Usage(1_000, 100), tier="Tier 3")
  builder = CostViewBuilder()
  requests = PanelRequests()
  view = builder.build(costs.snapshot(), timeline, 2000)  # bins four times too fine for the panel
  for _ in range(3):
   imgui.new_frame()
   imgui.set_next_window_size(imgui.ImVec2(900, 850))
   imgui.begin("Cost Analytics")
   render_cost_panel(view, requests)
   imgui.end()
   imgui.render()
  assert 300 < requests.chart_columns < 450  # half the window, less the spacing
  narrower = builder.build(costs.snapshot(), timeline, requests.chart_columns)
  assert len(narrower.timeline_x) < len(view.timeline_x)
  x0, x1 = narrower.timeline_limits[:2]
  bins = math.ceil((x1 - x0) / builder.series(timeline, requests.chart_columns).bin_s)
  assert len(narrower.timeline_x) <= 2 * bins + 1  # time and cost only grow here: two points a column at most


def test_the_incremental_view_equals_a_fresh_one_through_moves_between_providers_and_tiers():
 """Subtotals move by the changed models' differences and the tier table's model lists follow the changed
 cells only: through calls that add models, move a model to another provider (its row and figures go to the
 new group) and add cells in new tiers, every step's view equals one built from scratch."""
 rng = random.Random(5)
 costs = SessionCosts(PriceBook(use_dataset=False))
 timeline = CostTimeline()
 builder = CostViewBuilder()
 providers = ("openai", "anthropic", "in-house", "gemini", "acme")
 tiers = ("Tier 1", "Tier 2", "Tier 3", "Tier 4", "review")
 for step in range(60):
  for _ in range(rng.randrange(1, 6)):
   model = f"model-{rng.randrange(12)}"
   units = rng.choice((None, 0, 7, CENT, 10**12))
   provider = providers[rng.randrange(len(providers))] if step % 7 == 0 else providers[hash(model) % 3]
   if units is None:
    costs.record_unknown_usage(model, tier=rng.choice(tiers), provider=provider)
   else:
    costs.record(model, Usage(10, 2), tier=rng.choice(tiers), provider=provider, cost_units=units)
   timeline.append(1_700_000_000.0 + step, units or 0)
  view = builder.build(costs.snapshot(), timeline)
  fresh = build_cost_view(costs.rebuilt_snapshot(), timeline)
  assert view.model_lines == fresh.model_lines, step
  assert view.tier_rows == fresh.tier_rows, step
  assert [row.models for row in view.tier_rows] == [row.models for row in fresh.tier_rows]
  assert view.total_row == fresh.total_row and view.share_labels == fresh.share_labels
  assert view.share_values.tolist() == fresh.share_values.tolist()
