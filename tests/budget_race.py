"""Parallel workers racing against a budget, through the real OpenAI SDK against the loopback provider server.

Shared by tests/engine/test_budget_race.py (which checks the bound) and benchmarks/bench_budget_race.py (which
reports the worst overspend over many races). A track of independent tickets runs with `workers` tickets at once;
every request is answered in the Chat Completions streaming format, after a random delay so that calls overlap,
with usage chosen per scenario. The run's per-run budget pauses it; when the calls in flight have settled, what was
spent is compared with the limit.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from provider_servers import ProviderServer, Received, Reply, openai_stream_frames

from mma_conductor.app.controller import AppController
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import TierConfig
from mma_conductor.engine.prompts import QA_SYSTEM
from mma_conductor.engine.tickets import Ticket, Track
from mma_conductor.pricing.budgets import Budget, BudgetSettings, call_estimate_units, prompt_tokens_estimate
from mma_conductor.pricing.money import usd_to_units

MODEL = "gpt-4o-mini"  # $0.15 / $0.60 per million tokens
KEY = "sk-race-0123456789abcdef"


@dataclass(frozen=True)
class RaceResult:
 """What one race spent against its limit (exact units), and the most the reservations allow past it."""

 limit_units: int
 spent_units: int
 excess_units: int  # sum over all calls of max(0, actual cost - estimate): the bound on the overspend
 calls: int
 peak_in_flight: int
 held: bool

 @property
 def overspend_units(self) -> int:
  """Spent beyond the limit (0 when within it)."""
  return max(0, self.spent_units - self.limit_units)


class Responder:
 """Answers every request as OpenAI would, QA approving; `prompt_tokens` None reports the prompt honestly (about
 4 characters a token), a number reports that many (a provider counting more than the text shows)."""

 def __init__(self, seed: int, prompt_tokens: int | None, delay_s: tuple[float, float]) -> None:
  self._random = random.Random(seed)
  self._lock = threading.Lock()
  self._ids = 0
  self.prompt_tokens = prompt_tokens
  self.delay_s = delay_s
  self.estimates: dict[str, int] = {}  # completion id -> the pre-call estimate of its request

 @property
 def answered(self) -> int:
  """Requests answered (or being answered) so far."""
  with self._lock:
   return self._ids

 def __call__(self, received: Received) -> Reply:
  body = received.body
  system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
  max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
  with self._lock:
   self._ids += 1
   completion_id = f"chatcmpl-race-{self._ids}"
   output = self._random.randint(max_tokens // 8, max_tokens)
   delay = self._random.uniform(*self.delay_s)
  prompt = self.prompt_tokens or math.ceil((len(system) + len(user)) / 4)
  estimate = call_estimate_units(_BOOK, MODEL, prompt_tokens_estimate(system, user), max_tokens)
  with self._lock:
   self.estimates[completion_id] = estimate
  usage = {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output}
  text = "APPROVE: looks right" if system == QA_SYSTEM else "Done: the work as asked."
  frames = openai_stream_frames([text], model=MODEL + "-2024-07-18", usage=usage, completion_id=completion_id)
  return Reply(frames=frames, delay_s=delay)


def _book():
 from mma_conductor.pricing.book import PriceBook
 from mma_conductor.pricing.table import BUILTIN_PRICES

 return PriceBook(dict(BUILTIN_PRICES))


_BOOK = _book()


def race_controller(project: Path, *, workers: int, limit_units: int) -> AppController:
 """A controller whose every tier runs gpt-4o-mini through the OpenAI SDK (OPENAI_BASE_URL set by the caller),
 `workers` tickets at once, under a per-run pause budget of `limit_units`."""
 project.mkdir(parents=True, exist_ok=True)
 config = load_project_config(project)
 config = dataclasses.replace(
  config,
  tiers={tier: TierConfig("openai", MODEL) for tier in config.tiers},
  max_parallel=workers,
  max_retries=0,
  budgets=BudgetSettings(limits=(Budget("run", limit_units, action="pause"),)),
 )
 return AppController(project, config=config, persist=False)


def run_race(
 project: Path,
 server: ProviderServer,
 *,
 seed: int,
 workers: int = 8,
 tickets: int = 24,
 limit_usd: str = "0.02",
 prompt_tokens: int | None = None,
 delay_s: tuple[float, float] = (0.01, 0.08),
) -> RaceResult:
 """One race: run until the budget holds a call and the calls in flight have settled (or the track ends)."""
 responder = Responder(seed, prompt_tokens, delay_s)
 server.responder = responder
 controller = race_controller(project, workers=workers, limit_units=usd_to_units(Decimal(limit_usd)))
 track = Track("race", tickets=[Ticket(f"t{i}", f"Independent task {i}") for i in range(tickets)])
 controller._start(track)
 held = _settled_or_done(controller, responder)
 result = _result(controller, responder, held)
 controller.stop()
 controller.wait_idle(30)
 controller.shutdown()
 return result


def _settled_or_done(controller: AppController, responder: Responder, timeout: float = 60.0) -> bool:
 deadline = time.monotonic() + timeout
 while time.monotonic() < deadline and controller.engine.running:
  controller.drain_pending()
  if controller.budget_hold is not None and len(controller.call_log) >= responder.answered:
   return True
  time.sleep(0.005)
 controller.drain_pending()
 return controller.budget_hold is not None


def _result(controller: AppController, responder: Responder, held: bool) -> RaceResult:
 records = [r for r in controller.call_log if r.cost_units is not None]
 excess = sum(max(0, r.cost_units - responder.estimates[r.request_id]) for r in records)
 return RaceResult(
  limit_units=controller.config.budgets.limits[0].limit_units,
  spent_units=controller.session().total.cost_units,
  excess_units=excess,
  calls=len(records),
  peak_in_flight=peak_in_flight(records),
  held=held,
 )


def peak_in_flight(records) -> int:
 """Most calls in flight at once, from each record's end time and latency."""
 edges = sorted([(r.timestamp - r.latency_s, 1) for r in records] + [(r.timestamp, -1) for r in records])
 peak = current = 0
 for _, step in edges:
  current += step
  peak = max(peak, current)
 return peak
