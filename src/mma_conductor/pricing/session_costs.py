"""Session accumulators: exact cost and tokens by model (grouped by provider), tier and agent.

Every recorded call lands in one cell keyed (provider, model, tier, agent); the per-model, per-tier,
per-provider and per-agent figures are sums over cells, computed when a snapshot is taken (a handful of
cells, once per change) instead of on every call. All figures are integers, so totals are exact and do not
depend on the order or thread in which calls arrive.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from .book import PriceBook
from .money import UNITS_PER_USD, cost_label
from .prices import provider_of
from .tiers import TIER_NAMES
from .usage import ZERO_USAGE, Usage

# Cell layout: cost units, calls, unpriced calls, then the six Usage counts.
_COST, _CALLS, _UNPRICED, _IN, _OUT, _CR, _CW, _CW1H, _REASON = range(9)


@dataclass(frozen=True, slots=True)
class CostFigures:
 """Cost and tokens of one group of calls (a model, tier, provider, agent, or the whole session)."""

 key: str
 provider: str
 cost_units: int
 calls: int
 unpriced_calls: int
 input_tokens: int
 output_tokens: int
 cache_read_tokens: int
 cache_write_tokens: int
 cache_write_1h_tokens: int
 reasoning_tokens: int

 @property
 def cost_usd(self) -> float:
  """Cost as float USD (display and API edge only)."""
  return self.cost_units / UNITS_PER_USD

 @property
 def total_tokens(self) -> int:
  """Input plus output tokens."""
  return self.input_tokens + self.output_tokens

 @property
 def cached_tokens(self) -> int:
  """Cache reads plus cache writes, the "Cached" column of the tier table."""
  return self.cache_read_tokens + self.cache_write_tokens

 @property
 def fully_unpriced(self) -> bool:
  """True when every call of the group had no price: show "unpriced", not $0.00."""
  return self.calls > 0 and self.unpriced_calls == self.calls

 @property
 def cost_label(self) -> str:
  """`$0.0123`, `unpriced`, or `$0.0123 + unpriced` when some calls had no price."""
  return cost_label(self.cost_units, self.calls, self.unpriced_calls)

 def usage(self) -> Usage:
  """The group's summed tokens as a Usage."""
  return Usage(
   self.input_tokens,
   self.output_tokens,
   self.cache_read_tokens,
   self.cache_write_tokens,
   self.cache_write_1h_tokens,
   self.reasoning_tokens,
  )


@dataclass(frozen=True, slots=True)
class CellFigures:
 """One cell: the calls of one model in one tier by one agent."""

 provider: str
 model: str
 tier: str
 agent: str
 figures: CostFigures


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
 """An immutable view of the session's figures at one version; cheap to share with any thread."""

 session_id: str
 version: int
 started_at: float
 total: CostFigures
 by_tier: tuple[CostFigures, ...]
 by_model: tuple[CostFigures, ...]
 by_provider: tuple[CostFigures, ...]
 by_agent: tuple[CostFigures, ...]
 cells: tuple[CellFigures, ...]
 unpriced_models: tuple[str, ...]

 def tier(self, name: str) -> CostFigures:
  """Figures of one tier (zeros when it has not run)."""
  for figures in self.by_tier:
   if figures.key == name:
    return figures
  return _figures(name, "", None)

 def models_in_tier(self, tier: str) -> tuple[str, ...]:
  """Models that actually ran in `tier`, most expensive first."""
  costs: dict[str, int] = {}
  for cell in self.cells:
   if cell.tier == tier:
    costs[cell.model] = costs.get(cell.model, 0) + cell.figures.cost_units
  return tuple(sorted(costs, key=lambda m: (-costs[m], m)))

 def models_of_provider(self, provider: str) -> tuple[CostFigures, ...]:
  """Per-model figures of one provider, in by_model order."""
  return tuple(f for f in self.by_model if f.provider == provider)


def _figures(key: str, provider: str, cell: list[int] | None) -> CostFigures:
 values = cell if cell is not None else [0] * 9
 return CostFigures(key, provider, *values)


def _add(into: list[int], cell: list[int]) -> None:
 for i in range(9):
  into[i] += cell[i]


class SessionCosts:
 """Thread-safe accumulators of one session's costs, priced with the PriceBook it is given.

 `record()` takes one call (its model, normalized usage, tier and agent) and prices it with the price book
 (or takes a cost already computed); a repeated `request_id` is counted once. Per-tier figures are sums of
 the recorded calls, so each call counts once wherever it is shown. `snapshot()` returns immutable figures,
 rebuilt only after a change.
 """

 def __init__(self, price_book: PriceBook, session_id: str | None = None) -> None:
  self.price_book = price_book
  self._lock = threading.Lock()
  self._cells: dict[tuple[str, str, str, str], list[int]] = {}
  self._request_ids: set[str] = set()
  self._version = 0
  self._snapshot: SessionSnapshot | None = None
  self.session_id = session_id or new_session_id()
  self.started_at = time.time()

 @property
 def version(self) -> int:
  """Increases with every change; readers rebuild derived data only when it moves."""
  return self._version

 def record(
  self,
  model: str,
  usage: Usage,
  *,
  tier: str = "",
  agent: str = "",
  provider: str | None = None,
  request_id: str | None = None,
  cost_units: int | None = None,
 ) -> int | None:
  """Add one call. Returns its cost in units, None when the model is unpriced, or -1 for a duplicate
  `request_id` (not counted again). `cost_units` skips pricing when the caller already priced the call."""
  price = self.price_book.price(model) if cost_units is None or provider is None else None
  if cost_units is None and price is not None:
   cost_units = price.cost_units(usage)
  if provider is None:
   provider = price.provider if price is not None else provider_of(model)
  return self._add((provider, model, tier, agent), usage, cost_units, request_id)

 def record_unknown_usage(
  self, model: str, *, tier: str = "", agent: str = "", provider: str = "", request_id: str | None = None
 ) -> int | None:
  """Add a call the provider billed without saying how much (a stream stopped before its usage arrived): it
  counts as a call and as unpriced, so the figures read "$x + unpriced" rather than leave it out. Returns None,
  or -1 for a repeated `request_id`."""
  return self._add((provider or provider_of(model), model, tier, agent), ZERO_USAGE, None, request_id)

 def _add(self, key: tuple[str, str, str, str], usage: Usage, cost_units: int | None, request_id: str | None):
  with self._lock:
   if request_id is not None and self._is_repeat(request_id):
    return -1
   cell = self._cells.get(key)
   if cell is None:
    cell = self._cells[key] = [0] * 9
   _add_call(cell, usage, cost_units)
   self._version += 1
  return cost_units

 def _is_repeat(self, request_id: str) -> bool:
  """Whether `request_id` was recorded already; remembers a new one. Called with the lock held."""
  if request_id in self._request_ids:
   return True
  self._request_ids.add(request_id)
  return False

 def reset(self, session_id: str | None = None) -> str:
  """Clear every figure and start a new session; returns the new session id."""
  with self._lock:
   self._cells.clear()
   self._request_ids.clear()
   self.session_id = session_id or new_session_id()
   self.started_at = time.time()
   self._version += 1
   return self.session_id

 def snapshot(self) -> SessionSnapshot:
  """Immutable figures of the session now; the same object until something changes."""
  cached = self._snapshot
  if cached is not None and cached.version == self._version:
   return cached
  with self._lock:
   version = self._version
   cells = {key: list(cell) for key, cell in self._cells.items()}
   session_id, started_at = self.session_id, self.started_at
  snap = _build_snapshot(session_id, version, started_at, cells, self.price_book.unpriced_models())
  self._snapshot = snap
  return snap

 def record_many(self, calls: Iterable[tuple[str, Usage, str, str]]) -> int:
  """Add many (model, usage, tier, agent) calls; returns the units added."""
  total = 0
  for model, usage, tier, agent in calls:
   total += self.record(model, usage, tier=tier, agent=agent) or 0
  return total


def _add_call(cell: list[int], usage: Usage, cost_units: int | None) -> None:
 if cost_units is None:
  cell[_UNPRICED] += 1
 else:
  cell[_COST] += cost_units
 cell[_CALLS] += 1
 cell[_IN] += usage.input_tokens
 cell[_OUT] += usage.output_tokens
 cell[_CR] += usage.cache_read_tokens
 cell[_CW] += usage.cache_write_tokens
 cell[_CW1H] += usage.cache_write_1h_tokens
 cell[_REASON] += usage.reasoning_tokens


def _build_snapshot(
 session_id: str,
 version: int,
 started_at: float,
 cells: dict[tuple[str, str, str, str], list[int]],
 unpriced: frozenset[str],
) -> SessionSnapshot:
 total = [0] * 9
 groups: dict[str, dict[str, list[int]]] = {"tier": {}, "model": {}, "provider": {}, "agent": {}}
 model_provider: dict[str, str] = {}
 cell_figures = []
 for (provider, model, tier, agent), cell in cells.items():
  _add(total, cell)
  model_provider[model] = provider
  for group, key in (("tier", tier), ("model", model), ("provider", provider), ("agent", agent)):
   _add(groups[group].setdefault(key, [0] * 9), cell)
  cell_figures.append(CellFigures(provider, model, tier, agent, _figures(model, provider, cell)))

 def ordered(group: str, provider_for=lambda key: "") -> tuple[CostFigures, ...]:
  items = [_figures(key, provider_for(key), cell) for key, cell in groups[group].items()]
  return tuple(sorted(items, key=lambda f: (-f.cost_units, f.key)))

 by_tier = tuple(sorted((_figures(k, "", c) for k, c in groups["tier"].items()), key=lambda f: _tier_order(f.key)))
 seen_models = set(model_provider)
 return SessionSnapshot(
  session_id=session_id,
  version=version,
  started_at=started_at,
  total=_figures("total", "", total),
  by_tier=by_tier,
  by_model=ordered("model", model_provider.get),
  by_provider=ordered("provider", lambda key: key),
  by_agent=ordered("agent"),
  cells=tuple(cell_figures),
  unpriced_models=tuple(sorted(m for m in unpriced if m in seen_models)),
 )


def _tier_order(name: str) -> tuple[int, str]:
 return (TIER_NAMES.index(name), name) if name in TIER_NAMES else (len(TIER_NAMES), name)


def new_session_id() -> str:
 """A short random id for a new session."""
 return uuid.uuid4().hex[:12]
