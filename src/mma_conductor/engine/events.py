"""What the conductor tells the rest of the app. Immutable, so they can cross threads safely."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..pricing.usage import Usage


@dataclass(frozen=True, slots=True)
class CallRecord:
 """One AI call, as it happened: who made it, which model really ran, what it used and cost."""

 session_id: str
 track_id: str
 ticket_id: str
 tier: str
 role: str
 provider: str
 model: str
 usage: Usage | None
 cost_units: int | None
 latency_s: float
 request_id: str
 status: str
 error: str = ""
 requested_model: str = ""
 attempts: int = 1
 timestamp: float = field(default_factory=time.time)
 raw_usage: tuple[dict, ...] = ()

 @property
 def simulated(self) -> bool:
  """True for calls answered by the offline simulated provider."""
  return self.provider == "simulated"


@dataclass(frozen=True, slots=True)
class MmaStateUpdate:
 """The engine's cumulative tier usage after a call: {tier: {model: Usage}} (a copy, never mutated)."""

 track_id: str
 tier_usage: dict[str, dict[str, Usage]]
 ticket_counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class TicketUpdate:
 """A ticket changed status (or gained output); `ticket` is a copy."""

 track_id: str
 ticket: dict


@dataclass(frozen=True, slots=True)
class TrackUpdate:
 """The track's state changed: planning, running, paused, stepping, done, blocked, stopped, error."""

 track_id: str
 status: str
 message: str = ""
 goal: str = ""


@dataclass(frozen=True, slots=True)
class TextDelta:
 """Streamed text from one tier's call, for the tier output windows."""

 track_id: str
 ticket_id: str
 tier: str
 text: str


@dataclass(frozen=True, slots=True)
class LogEvent:
 """A human-readable line for the log (warnings and errors are said once, clearly)."""

 level: str
 message: str
 timestamp: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class HistoryUpdate:
 """Today's and all-time figures from the ledger (posted to the controller like any conductor event)."""

 today_units: int
 today_calls: int
 all_time_units: int
 all_time_calls: int
 today_label: str
 all_time_label: str


@dataclass(frozen=True, slots=True)
class LedgerProblem:
 """The ledger cannot be written right now (the calls wait in memory and are retried)."""

 message: str
