"""The cost chart's plotted series: the cost timeline decimated to the chart's pixel columns, kept up to date
incrementally, so that plotting and updating cost the same with 100 points or 1,000,000.

Time is cut into bins of `bin_s` seconds, a power of two, anchored at the first call: every bin is at most
one pixel column of the chart wide, and from each bin the series keeps the points with the smallest and the
largest time and cost (min/max decimation). Every kept point is a real point of the timeline (its exact
time and cumulative cost), in the timeline's order, so the stairs drawn through them differ from the full
series only inside one pixel column. A chart of W columns plots at most ~4 W points (2 W while time and cost
only grow, as they do).

New points only touch the bins they fall in (normally the last one); when the timeline's span grows until
bins are less than half a column, pairs of bins merge (from the kept points alone). Only a chart that gets
wider than its bins allow, or a new timeline, bins every point again.
"""

from __future__ import annotations

import math

import numpy as np

from ..app.cost_timeline import CostTimeline

CHART_MARGIN = 0.08  # of the data's span, on the side(s) a chart's data would otherwise touch the border
MIN_TIME_MARGIN_S = 1.0  # one call alone (or a burst within a second) still gets some time either side
MIN_USD_SPAN = 1e-9  # the cost axis's top while every call is still unpriced
EMPTY = np.zeros(0, dtype=np.float64)
NO_INDICES = np.zeros(0, dtype=np.int64)


def time_limits(start: float, end: float) -> tuple[float, float]:
 """The cost chart's time axis: the calls' span with a margin each side."""
 margin = max((end - start) * CHART_MARGIN, MIN_TIME_MARGIN_S)
 return start - margin, end + margin


def padded_top(top: float, floor: float) -> float:
 """A little above the largest value, so that the top point or bar does not sit on the border."""
 return max(top, floor) * (1 + CHART_MARGIN)


def bin_seconds(start: float, end: float, columns: int) -> float:
 """The largest power of two (seconds) not wider than one of `columns` pixel columns of the time axis."""
 low, high = time_limits(start, end)
 return 2.0 ** math.floor(math.log2((high - low) / max(1, columns)))


def extreme_points(indices: np.ndarray, bins: np.ndarray, times: np.ndarray, usd: np.ndarray):
 """Of the points `indices` (in bins `bins`), those with each bin's smallest and largest time and cost.

 Ties go to the earliest point for a minimum and to the latest for a maximum, so the result is the same
 whether the points come all at once or a few at a time. Returns the kept indices and their bins, ordered
 by bin, then by index.
 """
 count = len(indices)
 # One sort for both quantities: group 2b holds bin b's times, group 2b + 1 its costs.
 groups = np.concatenate((bins * 2, bins * 2 + 1))
 order = np.lexsort((np.concatenate((indices, indices)), np.concatenate((times[indices], usd[indices])), groups))
 ordered = groups[order]
 edges = np.flatnonzero(ordered[1:] != ordered[:-1])
 picks = order[np.concatenate(([0], edges, edges + 1, [2 * count - 1]))] % count
 kept, kept_bins = indices[picks], bins[picks]
 order = np.lexsort((kept, kept_bins))
 kept, kept_bins = kept[order], kept_bins[order]
 fresh = np.concatenate(([True], kept[1:] != kept[:-1]))  # a point can be its bin's extreme more than once
 return kept[fresh], kept_bins[fresh]


class TimelineSeries:
 """The decimated series of one CostTimeline for a chart `columns` pixels wide; `update()` once per frame."""

 def __init__(self, timeline: CostTimeline, columns: int) -> None:
  self.timeline = timeline
  self.columns = columns
  self.bin_s = 0.0
  self.rebins = 0  # times every point was binned again (a new chart width): for tests and benchmarks
  self._seen = 0
  self._start = self._end = 0.0
  self._kept = NO_INDICES  # ordered by bin, then index
  self._kept_bins = NO_INDICES
  self.x, self.y = EMPTY, EMPTY
  self.limits = (0.0, 1.0, 0.0, 1.0)

 def update(self, columns: int) -> bool:
  """Take in the timeline's new points (and a new chart width); True when the series changed."""
  count = len(self.timeline)
  if count == self._seen and columns == self.columns:
   return False
  self.columns = columns
  if count:
   self._take(count)
  return True

 def _take(self, count: int) -> None:
  first = self._seen
  self._extend_span(first, count)
  bin_s = bin_seconds(self._start, self._end, self.columns)
  if not self._seen or bin_s < self.bin_s:
   first = self._rebin(bin_s)
  elif bin_s > 2 * self.bin_s:
   self._merge(bin_s)
  if first < count:
   self._add(np.arange(first, count, dtype=np.int64))
  self._seen = count
  self._publish()

 def _extend_span(self, first: int, count: int) -> None:
  """The time span of the calls so far (its margins make the time axis)."""
  if first == count:
   return
  times = self.timeline.times[first:count]
  low, high = float(times.min()), float(times.max())
  if first:
   low, high = min(low, self._start), max(high, self._end)
  self._start, self._end = low, high

 def _rebin(self, bin_s: float) -> int:
  """Bins finer than the ones so far (a first update, or a wider chart): every point is binned again."""
  self.bin_s = bin_s
  self._kept = self._kept_bins = NO_INDICES
  self.rebins += 1
  return 0

 def _bins(self, indices: np.ndarray) -> np.ndarray:
  times = self.timeline.times
  return np.floor((times[indices] - times[0]) / self.bin_s).astype(np.int64)

 def _merge(self, bin_s: float) -> None:
  """Coarser bins: each holds whole old bins, so its extremes are among the points kept so far."""
  self.bin_s = bin_s
  kept = self._kept
  self._kept, self._kept_bins = extreme_points(kept, self._bins(kept), self.timeline.times, self.timeline.usd)

 def _add(self, new: np.ndarray) -> None:
  """Fold new points into the bins they fall in (normally the last): those bins' extremes are among their
  kept points and the new ones; every earlier bin keeps what it had."""
  bins = self._bins(new)
  cut = int(np.searchsorted(self._kept_bins, bins.min()))
  indices = np.concatenate((self._kept[cut:], new))
  kept, kept_bins = extreme_points(indices, np.concatenate((self._kept_bins[cut:], bins)), *self._values())
  self._kept = np.concatenate((self._kept[:cut], kept))
  self._kept_bins = np.concatenate((self._kept_bins[:cut], kept_bins))

 def _values(self) -> tuple[np.ndarray, np.ndarray]:
  return self.timeline.times, self.timeline.usd

 def _publish(self) -> None:
  """The plotted arrays: rising from zero at the first call (not at app start), then the kept points."""
  times, usd = self._values()
  self.x = np.concatenate((times[:1], times[self._kept]))
  self.y = np.concatenate(([0.0], usd[self._kept]))
  x0, x1 = time_limits(self._start, self._end)
  self.limits = (x0, x1, 0.0, padded_top(float(self.y.max()), MIN_USD_SPAN))

 @property
 def kept_indices(self) -> np.ndarray:
  """The timeline indices of the plotted points (after the leading zero), by time bin, then timeline order."""
  return self._kept
