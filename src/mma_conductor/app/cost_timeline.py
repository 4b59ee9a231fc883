"""The session's cost over time: one point per billed call, in the order the calls were applied."""

from __future__ import annotations

import numpy as np

from ..pricing.money import UNITS_PER_USD

INITIAL_CAPACITY = 1024


class CostTimeline:
 """Clock time (Unix seconds) and the session's cumulative cost after each billed call.

 Kept in numpy buffers that double when full, so that an append is amortized O(1) and readers get views of
 the points without a copy. The cumulative total is summed exactly in integer units; each point's USD figure
 is that exact total divided once (correctly rounded), so no rounding error accumulates along the timeline.
 Written by the draining (GUI) thread only; a reset starts a new timeline object.
 """

 def __init__(self, capacity: int = INITIAL_CAPACITY) -> None:
  self._times = np.empty(max(1, capacity), dtype=np.float64)
  self._usd = np.empty(max(1, capacity), dtype=np.float64)
  self._count = 0
  self.total_units = 0

 def __len__(self) -> int:
  return self._count

 def append(self, timestamp: float, added_units: int) -> None:
  """Add one call at `timestamp` that cost `added_units` (0 for a call without a price)."""
  count = self._count
  if count == len(self._times):
   self._grow()
  self.total_units += added_units
  self._times[count] = timestamp
  self._usd[count] = self.total_units / UNITS_PER_USD
  self._count = count + 1

 def _grow(self) -> None:
  size = 2 * len(self._times)
  self._times = np.resize(self._times, size)
  self._usd = np.resize(self._usd, size)

 @property
 def times(self) -> np.ndarray:
  """Each point's clock time, a read-only view (valid until the next append)."""
  return _read_only(self._times[: self._count])

 @property
 def usd(self) -> np.ndarray:
  """Each point's cumulative cost in USD, a read-only view (valid until the next append)."""
  return _read_only(self._usd[: self._count])


def _read_only(view: np.ndarray) -> np.ndarray:
 view.flags.writeable = False
 return view
