"""Tracks and tickets, and the DAG that orders them."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

STATUSES = ("todo", "in_progress", "review", "done", "blocked")
FINISHED = ("done", "blocked")
UNFINISHED = ("in_progress", "review")  # interrupted work: back to todo when a run stops or resumes
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class PlanError(ValueError):
 """A plan (list of tickets) that cannot be run: bad fields, unknown dependencies, or a cycle."""


class CycleError(PlanError):
 """The tickets' dependencies form a cycle; `cycle` lists it, first id repeated at the end."""

 def __init__(self, cycle: list[str]) -> None:
  self.cycle = cycle
  super().__init__("dependency cycle: " + " -> ".join(cycle))


@dataclass
class Ticket:
 """One unit of work. `tier`/`model` record who ran it last; `models` every model that worked on it."""

 id: str
 title: str
 description: str = ""
 depends_on: list[str] = field(default_factory=list)
 status: str = "todo"
 brief: str = ""
 output: str = ""
 review: str = ""
 blocked_reason: str = ""
 tier: str = ""
 model: str = ""
 models: list[str] = field(default_factory=list)
 attempts: int = 0
 cost_units: int = 0

 def copy(self) -> Ticket:
  """A copy that later changes to this ticket do not reach (what crosses to another thread)."""
  return replace(self, depends_on=list(self.depends_on), models=list(self.models))

 def to_dict(self) -> dict[str, Any]:
  """Plain values for TOML."""
  return {
   "id": self.id,
   "title": self.title,
   "description": self.description,
   "depends_on": list(self.depends_on),
   "status": self.status,
   "brief": self.brief,
   "output": self.output,
   "review": self.review,
   "blocked_reason": self.blocked_reason,
   "tier": self.tier,
   "model": self.model,
   "models": list(self.models),
   "attempts": self.attempts,
   "cost_units": str(self.cost_units),
  }

 @classmethod
 def from_dict(cls, data: Mapping[str, Any], where: str) -> Ticket:
  """Build from TOML/JSON values, raising PlanError naming `where` on bad fields."""
  if not isinstance(data, Mapping):
   raise PlanError(f"{where}: a ticket must be a table/object, got {type(data).__name__}")
  values = {name: _field(data, name, where) for name in _FIELD_CHECKS}
  return cls(
   id=values["id"],
   title=values["title"].strip(),
   depends_on=list(dict.fromkeys(values["depends_on"])),
   status=values["status"],
   models=list(values["models"]),
   attempts=values["attempts"],
   cost_units=_cost_units(data.get("cost_units", 0), where),
   **{name: values[name] for name in _TEXT_FIELDS},
  )


def is_valid_id(value: Any) -> bool:
 """True for a ticket or track id: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit (so
 an id is always a plain file name: never empty, '..', absolute, or holding a separator or NUL)."""
 return isinstance(value, str) and bool(_ID.fullmatch(value))


def _is_title(value: Any) -> bool:
 return isinstance(value, str) and bool(value.strip())


def _is_names(value: Any) -> bool:
 return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_count(value: Any) -> bool:
 return type(value) is int and value >= 0


_TEXT_FIELDS = ("description", "brief", "output", "review", "blocked_reason", "tier", "model")
_NO_VALUE = object()
# field -> (default, check, what the error says is expected; "{value}" is replaced by what was found)
_FIELD_CHECKS: dict[str, tuple[Any, Callable[[Any], bool], str]] = {
 "id": (_NO_VALUE, is_valid_id, "expected a short id of letters, digits, '-', '_' or '.', got {value}"),
 "title": (_NO_VALUE, _is_title, "expected a non-empty string"),
 "depends_on": ([], _is_names, "expected a list of ticket ids"),
 "status": ("todo", lambda value: value in STATUSES, f"expected one of {', '.join(STATUSES)}, got {{value}}"),
 **{name: ("", lambda value: isinstance(value, str), "expected a string") for name in _TEXT_FIELDS},
 "models": ([], _is_names, "expected a list of model names"),
 "attempts": (0, _is_count, "expected a non-negative integer"),
}


def _field(data: Mapping[str, Any], name: str, where: str) -> Any:
 default, check, expected = _FIELD_CHECKS[name]
 value = data.get(name, None if default is _NO_VALUE else default)
 if not check(value):
  raise PlanError(f"{where}.{name}: {expected.replace('{value}', repr(value))}")
 return value


def _cost_units(value: Any, where: str) -> int:
 try:
  return int(value)
 except (TypeError, ValueError):
  raise PlanError(f"{where}.cost_units: expected an integer") from None


@dataclass
class Track:
 """A goal and its tickets; persisted as TOML so that a run can be resumed."""

 goal: str
 id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
 tickets: list[Ticket] = field(default_factory=list)
 status: str = "new"
 created_at: float = field(default_factory=time.time)
 error: str = ""

 def ticket(self, ticket_id: str) -> Ticket:
  """The ticket with this id (KeyError if none)."""
  for ticket in self.tickets:
   if ticket.id == ticket_id:
    return ticket
  raise KeyError(ticket_id)

 def counts(self) -> dict[str, int]:
  """Number of tickets per status."""
  counts = dict.fromkeys(STATUSES, 0)
  for ticket in self.tickets:
   counts[ticket.status] += 1
  return counts

 @property
 def finished(self) -> bool:
  """True when the plan exists and every ticket is done or blocked."""
  return bool(self.tickets) and all(t.status in FINISHED for t in self.tickets)


def validate_plan(tickets: Iterable[Ticket]) -> list[Ticket]:
 """Check ids are unique, dependencies exist and there is no cycle; return the tickets as a list."""
 tickets = list(tickets)
 if not tickets:
  raise PlanError("the plan has no tickets")
 ids = _unique_ids(tickets)
 for ticket in tickets:
  _check_dependencies(ticket, ids)
 cycle = find_cycle({t.id: t.depends_on for t in tickets})
 if cycle:
  raise CycleError(cycle)
 return tickets


def _unique_ids(tickets: list[Ticket]) -> set[str]:
 ids: set[str] = set()
 for ticket in tickets:
  if ticket.id in ids:
   raise PlanError(f"duplicate ticket id {ticket.id!r}")
  ids.add(ticket.id)
 return ids


def _check_dependencies(ticket: Ticket, ids: set[str]) -> None:
 for dep in ticket.depends_on:
  if dep not in ids:
   raise PlanError(f"ticket {ticket.id!r} depends on unknown ticket {dep!r}")
  if dep == ticket.id:
   raise CycleError([ticket.id, ticket.id])


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
 """A dependency cycle as [a, b, ..., a], or None. Iterative DFS, so deep plans do not hit recursion limits."""
 color = dict.fromkeys(graph, _WHITE)
 for start in graph:
  cycle = _cycle_from(graph, start, color) if color[start] == _WHITE else None
  if cycle:
   return cycle
 return None


_WHITE, _GREY, _BLACK = 0, 1, 2


def _cycle_from(graph: Mapping[str, Iterable[str]], start: str, color: dict[str, int]) -> list[str] | None:
 """Depth-first from `start`, colouring as it goes: grey on the current path, black when finished."""
 stack: list[tuple[str, list[str]]] = [(start, list(graph[start]))]
 path = [start]
 color[start] = _GREY
 while stack:
  node, pending = stack[-1]
  if not pending:
   color[node] = _BLACK
   stack.pop()
   path.pop()
   continue
  nxt = pending.pop()
  if color.get(nxt, _BLACK) == _GREY:
   return [*path[path.index(nxt) :], nxt]
  if color.get(nxt) == _WHITE:
   color[nxt] = _GREY
   stack.append((nxt, list(graph[nxt])))
   path.append(nxt)
 return None


def ready_tickets(tickets: Iterable[Ticket]) -> list[Ticket]:
 """Tickets still to do whose dependencies are all done, in plan order."""
 tickets = list(tickets)
 done = {t.id for t in tickets if t.status == "done"}
 return [t for t in tickets if t.status == "todo" and all(d in done for d in t.depends_on)]


def stuck_tickets(tickets: Iterable[Ticket]) -> list[Ticket]:
 """Tickets still to do that can never run because a dependency is blocked (directly or transitively)."""
 tickets = list(tickets)
 by_id = {t.id: t for t in tickets}
 stuck: set[str] = set()
 changed = True
 while changed:
  changed = False
  for ticket in tickets:
   if (
    ticket.status == "todo"
    and ticket.id not in stuck
    and any(by_id[d].status == "blocked" or d in stuck for d in ticket.depends_on)
   ):
    stuck.add(ticket.id)
    changed = True
 return [t for t in tickets if t.id in stuck]
