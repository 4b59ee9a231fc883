"""What the conductor tells the rest of the app. Immutable, so they can cross threads safely."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..pricing.budget_guard import BudgetAlert, BudgetHold
from ..pricing.lines import CostLine
from ..pricing.usage import Usage
from .tickets import Ticket


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
 billed: bool = True  # False for a call refused before the provider answered; usage None + billed: amount unknown
 cost_lines: tuple[CostLine, ...] = ()  # what cost_units is made of (tokens by kind, tool fees, ...)

 @property
 def simulated(self) -> bool:
  """True for calls answered by the offline simulated provider."""
  return self.provider == "simulated"


@dataclass(frozen=True, slots=True)
class TicketUpdate:
 """A ticket changed status (or gained output); `ticket` is a copy the engine no longer changes."""

 track_id: str
 ticket: Ticket


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
class BudgetHeld:
 """A budget held a call back: the run is paused until the user decides (or, for a stop budget, has ended).
 `message` names the budget, its period, used / limit, the call and when the period resets."""

 track_id: str
 hold: BudgetHold
 message: str
 stopped: bool = False


@dataclass(frozen=True, slots=True)
class BudgetAlerted:
 """A budget passed its alert threshold or its limit (once per budget, period and threshold)."""

 alert: BudgetAlert
 message: str
