"""Headless frame cost of the Cost Analytics panel plus the MMA tier table (4 tiers, 25 models, both charts),
against an empty frame in the same run. Target: <= 0.2 ms median and <= 0.5 ms p99 above the empty frame.
The same panel with three budget bars (one with calls in flight) is timed too: what the bars add.

Each sample is one whole frame (new_frame .. render) timed with perf_counter_ns; the panel's data do not
change between frames, as in a steady GUI, so the figure is what drawing costs, with strings and plot
arrays cached (see bench_gui_responsiveness.py for frames while data change).
"""

from __future__ import annotations

import time

from _timing import emit, environment, percentile
from imgui_bundle import imgui

from mma_conductor.app.cost_timeline import CostTimeline
from mma_conductor.gui.budget_view import build_budget_view
from mma_conductor.gui.cost_panel import render_cost_panel
from mma_conductor.gui.cost_view import build_cost_view
from mma_conductor.gui.dashboard import render_tier_table
from mma_conductor.gui.headless_context import headless_imgui
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.budget_guard import BudgetGuard
from mma_conductor.pricing.budgets import Budget, BudgetSettings
from mma_conductor.pricing.money import UNITS_PER_USD
from mma_conductor.pricing.session_costs import SessionCosts
from mma_conductor.pricing.table import BUILTIN_PRICES
from mma_conductor.pricing.usage import Usage

FRAMES = 3000
WARMUP = 200


class Requests:
 want_reset = False
 copy_costs = False
 want_budget_editor = False
 want_budget_decision = False
 history_line = "today $1.23  |  all time $45.67"


def session_with_25_models() -> SessionCosts:
 costs = SessionCosts(PriceBook(use_dataset=False))
 models = sorted(BUILTIN_PRICES)[:25]
 tiers = ("Tier 1", "Tier 2", "Tier 3", "Tier 4")
 for index in range(2000):
  model = models[index % len(models)]
  costs.record(model, Usage(1000 + index, 200 + index % 50), tier=tiers[index % 4], agent=f"agent-{index % 3}")
 return costs


def timeline(costs: SessionCosts) -> CostTimeline:
 snap = costs.snapshot()
 step = snap.total.cost_units // 2000
 points = CostTimeline()
 for i in range(2000):
  points.append(snap.started_at + i * 0.5, step)
 return points


def three_budgets():
 """A daily, a monthly and a Tier 3 per-run budget, part spent, one with a call in flight."""
 budgets = (
  Budget("daily", 10 * UNITS_PER_USD),
  Budget("monthly", 100 * UNITS_PER_USD, action="warn"),
  Budget("run", 2 * UNITS_PER_USD, tier="Tier 3"),
 )
 guard = BudgetGuard(BudgetSettings(budgets))
 guard.begin_run("bench")
 guard.settle(guard.reserve("Tier 3", UNITS_PER_USD), 85 * UNITS_PER_USD // 100)
 guard.reserve("Tier 3", UNITS_PER_USD // 2)
 return build_budget_view(guard.statuses(), None)


def frame_times(body) -> list[float]:
 samples = []
 clock = time.perf_counter_ns
 for index in range(WARMUP + FRAMES):
  start = clock()
  imgui.new_frame()
  imgui.set_next_window_size(imgui.ImVec2(900, 1000))
  imgui.begin("Cost Analytics")
  body()
  imgui.end()
  imgui.render()
  if index >= WARMUP:
   samples.append((clock() - start) / 1e6)
 return samples


def main() -> None:
 costs = session_with_25_models()
 view = build_cost_view(costs.snapshot(), timeline(costs))
 requests = Requests()

 def panel() -> None:
  render_cost_panel(view, requests)
  render_tier_table(view)

 with headless_imgui():
  empty = frame_times(lambda: None)
  full = frame_times(panel)
  budgets = three_budgets()
  with_bars = frame_times(lambda: (render_cost_panel(view, requests, budgets), render_tier_table(view)))
 empty_median, empty_p99 = percentile(empty, 50), percentile(empty, 99)
 full_median, full_p99 = percentile(full, 50), percentile(full, 99)
 added_median = full_median - empty_median
 added_p99 = full_p99 - empty_p99
 print(f"empty frame: median {empty_median * 1000:.1f} us, p99 {empty_p99 * 1000:.1f} us")
 print(f"panel + tier table: median {full_median * 1000:.1f} us, p99 {full_p99 * 1000:.1f} us")
 print(f"added by the panel: median {added_median * 1000:.1f} us, p99 {added_p99 * 1000:.1f} us")
 print(f"models {len(view.providers and [r for g in view.providers for r in g.models])}, tiers 4, charts 2")
 bars_median, bars_p99 = percentile(with_bars, 50), percentile(with_bars, 99)
 print(f"with 3 budget bars: median {bars_median * 1000:.1f} us, p99 {bars_p99 * 1000:.1f} us")
 emit(
  {
   "benchmark": "gui_frame",
   "env": environment(),
   "frames": FRAMES,
   "models": sum(len(g.models) for g in view.providers),
   "empty_ms": {"median": round(empty_median, 4), "p99": round(empty_p99, 4)},
   "panel_ms": {"median": round(full_median, 4), "p99": round(full_p99, 4)},
   "added_ms": {"median": round(added_median, 4), "p99": round(added_p99, 4)},
   "with_budget_bars_ms": {"median": round(bars_median, 4), "p99": round(bars_p99, 4)},
   "budget_bars_added_ms": {"median": round(bars_median - full_median, 4), "p99": round(bars_p99 - full_p99, 4)},
   "target_ms": {"median": 0.2, "p99": 0.5},
   "target_met": added_median <= 0.2 and added_p99 <= 0.5,
  }
 )


if __name__ == "__main__":
 main()
