"""Session accumulators: exact cost and tokens by model (grouped by provider), tier and agent.

Every recorded call lands in one cell keyed (provider, model, tier, agent); the per-model, per-tier,
per-provider and per-agent figures are sums over cells, computed when a snapshot is taken (a handful of
cells, once per change) instead of on every call. All figures are integers, so totals are exact and do not
depend on the order or thread in which calls arrive.

A cell's counters are one packed record of machine words, not Python objects (docs/cost_engine.md,
Accumulators): 64-bit words for money, 32-bit words for counts, a 16-bit word for unpriced calls. They stay exact
past their width: what a word cannot hold is carried into Python integers. A session's cells are one bytearray; the
(provider, model, tier, agent) keys are kept once for the whole process (`_PAIRS`), and a session finds its cell
through a byte per known key.
"""

from __future__ import annotations

import struct
import threading
import time
import uuid
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, fields
from itertools import compress, count
from operator import add, attrgetter, ne, sub

from .book import PriceBook
from .money import UNITS_PER_USD, cost_label
from .prices import provider_of
from .tiers import TIER_NAMES
from .usage import ZERO_USAGE, Usage

# The counters of a cell, in the order of CostFigures' fields, and the word each is kept in: money (units of
# 10^-15 USD) in an unsigned 64-bit word, calls and tokens in unsigned 32-bit words, unpriced calls (rare) in an
# unsigned 16-bit one. This table owns the layout. A new counter is one entry here, plus its CostFigures field and its
# value in SessionCosts._add.
_WORDS = (
 ("cost_units", "Q"),
 ("calls", "I"),
 ("unpriced_calls", "H"),
 *((usage_field.name, "I") for usage_field in fields(Usage)),
)
COUNTERS = tuple(name for name, _ in _WORDS)
_CELL = struct.Struct("=" + "".join(word for _, word in _WORDS))  # standard sizes, no padding
_CELL_SIZE = _CELL.size
_read_cell, _write_cell = _CELL.unpack_from, _CELL.pack_into
_RECORD = struct.Struct(f"{_CELL_SIZE}s")  # a cell's record as one bytes object, to compare records at C speed


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
 values = cell if cell is not None else [0] * len(COUNTERS)
 return CostFigures(key, provider, *values)


def _add(into: list[int], cell: list[int]) -> None:
 into[:] = map(add, into, cell)


class SessionCosts:
 """Thread-safe accumulators of one session's costs, priced with the PriceBook it is given.

 `record()` takes one call (its model, normalized usage, tier and agent) and prices it with the price book
 (or takes a cost already computed); a repeated `request_id` is counted once. Per-tier figures are sums of
 the recorded calls, so each call counts once wherever it is shown. `snapshot()` returns immutable figures,
 rebuilt only after a change.
 """

 __slots__ = (
  "_builder",
  "_cells",
  "_lock",
  "_rare",
  "_slot_of",
  "_version",
  "price_book",
  "session_id",
  "started_at",
 )

 def __init__(self, price_book: PriceBook, session_id: str | None = None) -> None:
  self.price_book = price_book
  self._lock = threading.Lock()
  self._version = 0
  self._clear()
  self.session_id = session_id or new_session_id()
  self.started_at = time.time()

 def _clear(self) -> None:
  # The cell of key number k (_PAIRS) is cell n = _slot_of[k] - 1 (0: none yet): the record
  # _cells[n * _CELL_SIZE:][:_CELL_SIZE], plus its row in the carry (Python ints, COUNTERS order) once a counter
  # outgrew its word. _slot_of is a bytearray while the session has fewer than 256 cells, then an array of 32-bit
  # words.
  self._slot_of: bytearray | array = bytearray()
  self._cells = bytearray()
  self._rare: _Rare | None = None  # the carry and the request ids: most sessions never have either
  self._builder: _SnapshotBuilder | None = None  # made by the first snapshot; it keeps the last one

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
  price = None
  if cost_units is None or provider is None:
   try:  # the book's own cache first: PriceBook.price does the same, one call later
    price = self.price_book.prices[model]
   except KeyError:
    price = self.price_book.price(model)
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
  lock = self._lock
  lock.acquire()  # not `with`: its __enter__/__exit__ calls cost ~6% of record() (docs/cost_engine.md)
  try:
   if request_id is not None and self._is_repeat(request_id):
    return -1
   try:
    slot = self._slot_of[_PAIRS[key]]
   except (KeyError, IndexError):  # a key new to the process, or to this session
    slot = 0
   if not slot:
    slot = self._new_cell(key)
   # One read and one write of the whole record: cheaper than an add to each word of an array (cost_engine.md).
   cells, at = self._cells, (slot - 1) * _CELL_SIZE
   cost, calls, unpriced, inputs, outputs, read, write, write_1h, reasoning = old = _read_cell(cells, at)
   try:
    _write_cell(
     cells,
     at,
     cost + (cost_units or 0),
     calls + 1,
     unpriced + (cost_units is None),
     inputs + usage.input_tokens,
     outputs + usage.output_tokens,
     read + usage.cache_read_tokens,
     write + usage.cache_write_tokens,
     write_1h + usage.cache_write_1h_tokens,
     reasoning + usage.reasoning_tokens,
    )
   except struct.error:  # money past 2^64 units (~$18,446) or below zero, or a count past its word
    self._carry_cell(slot - 1, old, usage, cost_units)
   self._version += 1
  finally:
   lock.release()
  return cost_units

 def _is_repeat(self, request_id: str) -> bool:
  """Whether `request_id` was recorded already; remembers a new one. Called with the lock held."""
  rare = self._rare_parts()
  if rare.request_ids is None:
   rare.request_ids = set()
  elif request_id in rare.request_ids:
   return True
  rare.request_ids.add(request_id)
  return False

 def _rare_parts(self) -> _Rare:
  if self._rare is None:
   self._rare = _Rare()
  return self._rare

 def _new_cell(self, key: tuple[str, str, str, str]) -> int:
  """The new cell of `key` (its number + 1). Called with the lock held."""
  pair = _pair_number(key)
  slot = len(self._cells) // _CELL_SIZE + 1
  slot_of = self._slot_of
  if slot > 255 and type(slot_of) is bytearray:
   slot_of = self._slot_of = array("I", iter(slot_of))  # the bytes as numbers, not as raw words
  if pair >= len(slot_of):
   slot_of.extend(bytes(pair + 1 - len(slot_of)))
  slot_of[pair] = slot
  # A new bytearray of the exact size (growing in place would over-allocate by an eighth); a cell is new rarely.
  self._cells = self._cells + bytes(_CELL_SIZE)
  return slot

 def _carry_cell(self, cell: int, old: tuple[int, ...], usage: Usage, cost_units: int | None) -> None:
  """A counter of `cell` would pass its word: move the cell's counters as they were before this call (`old`) and
  the call itself into the cell's carry, and restart its words from zero (a write may have stopped halfway)."""
  call = {"cost_units": cost_units or 0, "calls": 1, "unpriced_calls": int(cost_units is None)}
  row = self._carry_row(cell)
  for i, name in enumerate(COUNTERS):
   row[i] += old[i] + (call[name] if name in call else getattr(usage, name))
  _write_cell(self._cells, cell * _CELL_SIZE, *(0 for _ in COUNTERS))

 def _carry_row(self, cell: int) -> list[int]:
  rare = self._rare_parts()
  if rare.carry is None:
   rare.carry = {}
  return rare.carry.setdefault(cell, [0] * len(COUNTERS))

 def reset(self, session_id: str | None = None) -> str:
  """Clear every figure and start a new session; returns the new session id."""
  with self._lock:
   self._clear()
   self.session_id = session_id or new_session_id()
   self.started_at = time.time()
   self._version += 1
   return self.session_id

 def snapshot(self) -> SessionSnapshot:
  """Immutable figures of the session now; the same object until something changes."""
  builder = self._builder
  if builder is not None:
   cached = builder.last
   if cached is not None and cached.version == self._version:
    return cached
  with self._lock:
   if self._builder is None:
    self._builder = _SnapshotBuilder()
   builder = self._builder
   state = self._state(builder.keys)
  snap = builder.snapshot(*state, self.price_book.unpriced_models())
  builder.last = snap
  return snap

 def rebuilt_snapshot(self) -> SessionSnapshot:
  """The snapshot built from every cell by a builder that knows no earlier one: what snapshot() must equal
  (checks)."""
  with self._lock:
   state = self._state([])
  return _SnapshotBuilder().snapshot(*state, self.price_book.unpriced_models())

 def _state(self, known: list[tuple[str, str, str, str]]) -> tuple:
  """(session id, version, start, (packed cells, their carry, their keys in slot order)), copied. Called with the
  lock held."""
  rare = self._rare
  carry = {cell: tuple(row) for cell, row in ((rare.carry if rare else None) or {}).items()}
  cells = (bytes(self._cells), carry, self._keys(known))
  return self.session_id, self._version, self.started_at, cells

 def _keys(self, known: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
  """The cells' keys in cell order: `known` (those of an earlier snapshot) while no cell was added since. Called
  with the lock held."""
  count = len(self._cells) // _CELL_SIZE
  if len(known) == count:
   return known
  keys: list = [None] * count
  for pair, slot in enumerate(self._slot_of):
   if slot:
    keys[slot - 1] = _PAIR_KEYS[pair]
  return keys

 def record_many(self, calls: Iterable[tuple[str, Usage, str, str]]) -> int:
  """Add many (model, usage, tier, agent) calls; returns the units added."""
  total = 0
  for model, usage, tier, agent in calls:
   total += self.record(model, usage, tier=tier, agent=agent) or 0
  return total


class _Rare:
 """What few sessions ever have: the carry of counters past their words (cell -> Python ints), the request ids."""

 __slots__ = ("carry", "request_ids")

 def __init__(self) -> None:
  self.carry: dict[int, list[int]] | None = None
  self.request_ids: set[str] | None = None


# Every (provider, model, tier, agent) key any session of the process has recorded, numbered in order of arrival:
# a key is kept once however many sessions use it (the names in it are the callers' and the price book's).
_PAIRS: dict[tuple[str, str, str, str], int] = {}
_PAIR_KEYS: list[tuple[str, str, str, str]] = []
_PAIRS_LOCK = threading.Lock()


def _pair_number(key: tuple[str, str, str, str]) -> int:
 with _PAIRS_LOCK:
  number = _PAIRS.get(key)
  if number is None:
   number = _PAIRS[key] = len(_PAIR_KEYS)
   _PAIR_KEYS.append(key)
  return number


_GROUPS = ("tier", "model", "provider", "agent")
_KEY, _COST_UNITS = attrgetter("key"), attrgetter("cost_units")


class _SnapshotBuilder:
 """The parts of the last snapshot, so that the next one re-sums and re-formats only the cells that changed since:
 the GUI takes a snapshot after every change, and rebuilding 200 cells took ~5 ms of a frame. A cell is unchanged
 when its packed record and its carry are byte for byte the same; the group sums move by the changed cells'
 differences, so they stay exact integers and equal a rebuild from scratch (tests/pricing/test_session_counters.py).
 Its own lock: two threads may take snapshots at once."""

 __slots__ = (
  "carry",
  "cells",
  "figures",
  "groups",
  "keys",
  "last",
  "lock",
  "model_provider",
  "model_slot",
  "raw",
  "total",
  "values",
 )

 def __init__(self) -> None:
  self.lock = threading.Lock()
  self.raw, self.carry, self.keys = b"", {}, []
  self.values: list[list[int]] = []
  self.cells: list[CellFigures] = []
  self.total = [0] * len(COUNTERS)
  self.groups: dict[str, dict[str, list[int]]] = {group: {} for group in _GROUPS}
  self.figures: dict[str, dict[str, CostFigures]] = {group: {} for group in _GROUPS}
  self.model_provider: dict[str, str] = {}
  self.model_slot: dict[str, int] = {}  # the slot that named each model's provider: its newest cell
  self.last: SessionSnapshot | None = None  # the last snapshot built, returned again while nothing changes

 def snapshot(self, session_id: str, version: int, started_at: float, state: tuple, unpriced: frozenset[str]):
  """The snapshot of `state` (the packed cells, their carry and their keys in slot order, copied under the
  session's lock)."""
  with self.lock:
   self._update(*state)
   return SessionSnapshot(
    session_id=session_id,
    version=version,
    started_at=started_at,
    total=_figures("total", "", self.total),
    by_tier=tuple(sorted(self.figures["tier"].values(), key=lambda f: _tier_order(f.key))),
    by_model=self._ordered("model"),
    by_provider=self._ordered("provider"),
    by_agent=self._ordered("agent"),
    cells=tuple(self.cells),
    unpriced_models=tuple(sorted(m for m in unpriced if m in self.model_provider)),
   )

 def _ordered(self, group: str) -> tuple[CostFigures, ...]:
  """Costliest first, then by key: two sorts by C-level keys (the second, stable, keeps the keys' order among
  equal costs), ~4x faster than one sort by a Python key for the 200 models of a large session."""
  by_key = sorted(self.figures[group].values(), key=_KEY)
  return tuple(sorted(by_key, key=_COST_UNITS, reverse=True))

 def _update(self, raw: bytes, carry: dict[int, tuple[int, ...]], keys: list[tuple[str, str, str, str]]) -> None:
  dirty: set[tuple[str, str]] = set()
  for slot in self._changed_slots(raw, carry, len(keys)):
   self._apply(slot, keys[slot], _cell_values(raw, carry, slot), dirty)
  self.raw, self.carry, self.keys = raw, carry, keys
  for group, key in dirty:
   provider = {"model": self.model_provider.get(key, ""), "provider": key}.get(group, "")
   self.figures[group][key] = _figures(key, provider, self.groups[group][key])

 def _changed_slots(self, raw: bytes, carry: dict[int, tuple[int, ...]], slots: int) -> list[int]:
  """The slots whose record or carry differ from the last snapshot's, and the new ones, in slot order. The
  records are compared in C, each as one bytes object (`map`): a Python loop over 200 cells took ~0.4 ms of
  every GUI frame after new data, for the ~10 that changed."""
  old = self.raw
  records = map(ne, _RECORD.iter_unpack(raw[: len(old)]), _RECORD.iter_unpack(old))
  changed = set(compress(count(), records))
  changed.update(slot for slot in carry.keys() | self.carry.keys() if carry.get(slot) != self.carry.get(slot))
  changed.update(range(len(self.keys), slots))
  return sorted(changed)

 def _apply(self, slot: int, key: tuple[str, str, str, str], new: list[int], dirty: set[tuple[str, str]]) -> None:
  provider, model, tier, agent = key
  if slot == len(self.values):
   self.values.append([0] * len(COUNTERS))
   self.cells.append(None)
  delta = list(map(sub, new, self.values[slot]))
  _add(self.total, delta)
  if slot >= self.model_slot.get(model, -1):  # a model billed by two providers shows its newest cell's, as a rebuild
   self.model_provider[model] = provider
   self.model_slot[model] = slot
  for group, name in zip(_GROUPS, (tier, model, provider, agent), strict=True):
   _add(self.groups[group].setdefault(name, [0] * len(COUNTERS)), delta)
   dirty.add((group, name))
  self.values[slot] = new
  self.cells[slot] = CellFigures(provider, model, tier, agent, _figures(model, provider, new))


def _cell_values(raw: bytes, carry: dict[int, tuple[int, ...]], slot: int) -> list[int]:
 values = list(_read_cell(raw, slot * _CELL_SIZE))
 row = carry.get(slot)
 return values if row is None else [a + b for a, b in zip(values, row, strict=True)]


def _tier_order(name: str) -> tuple[int, str]:
 return (TIER_NAMES.index(name), name) if name in TIER_NAMES else (len(TIER_NAMES), name)


def new_session_id() -> str:
 """A short random id for a new session."""
 return uuid.uuid4().hex[:12]
