"""An offline provider for demos and tests: deterministic answers, realistic token counts, injectable failures."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import uuid
from collections import deque
from collections.abc import Iterable
from typing import Any

from ..pricing.usage import Usage
from .base import Attempt, CallRequest, Failure, ProviderClient, ProviderFailure
from .sim_text import count_tokens, plan, prose, response_kind, verdict
from .types import ERROR_KINDS

BROKEN = "broken"
"""Failure to inject: the answer breaks off half-way after the provider billed it (a dropped stream)."""

FAILURE_KINDS: frozenset[str] = ERROR_KINDS | {BROKEN}

_STATUS = {"auth": 401, "rate_limit": 429, "server": 500, "bad_request": 400, "cancelled": 499}


class SimulatedClient(ProviderClient):
 """Answers without a network, labeled provider "simulated"; accepts any model name ("sim-flash", "sim-pro").

 The same `seed` and the same model, system, prompt and max_tokens always give the same text and usage,
 streamed or not. input_tokens is ceil(len/chars_per_token) of system plus prompt, output_tokens the same
 measure of the answer, which is cut at max_tokens (finish_reason "max_tokens"). The prompts decide the
 kind of answer (see `sim_text`): a JSON ticket plan when asked for one (JSON_PLAN_MARKER, or a system
 prompt mentioning JSON and depends_on), a QA verdict ("APPROVE" / "REJECT: reason", rejecting with
 probability `reject_rate`) when the system prompt names APPROVE and REJECT, else prose.

 Each attempt waits `latency_s` (spread over the chunks when streaming); more than `timeout` fails as a
 timeout. Failures are injected per attempt: `failures` is a queue of kinds consumed one per attempt
 (None for an attempt that succeeds; a CallError kind, or BROKEN), and `failure_rate` makes any attempt
 fail as "server" with that probability, drawn from the seed. Injected failures go through the same
 retry logic as real providers.
 """

 provider = "simulated"

 def __init__(
  self,
  *,
  seed: int = 0,
  latency_s: float = 0.0,
  failures: Iterable[str | None] = (),
  failure_rate: float = 0.0,
  reject_rate: float = 0.0,
  chars_per_token: int = 4,
  api_key: str | None = None,
  base_url: str | None = None,
  timeout: float = 60.0,
  max_retries: int = 3,
  **retry_options: Any,
 ) -> None:
  super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, **retry_options)
  if latency_s < 0:
   raise ValueError(f"latency_s must be >= 0, got {latency_s}")
  if not 0.0 <= failure_rate <= 1.0:
   raise ValueError(f"failure_rate must be within [0, 1], got {failure_rate}")
  if not 0.0 <= reject_rate <= 1.0:
   raise ValueError(f"reject_rate must be within [0, 1], got {reject_rate}")
  if chars_per_token < 1:
   raise ValueError(f"chars_per_token must be >= 1, got {chars_per_token}")
  self.seed = seed
  self.latency_s = latency_s
  self.failure_rate = failure_rate
  self.reject_rate = reject_rate
  self.chars_per_token = chars_per_token
  self._failures: deque[str | None] = deque()
  self._failure_rng = random.Random(f"failures:{seed}")
  self.inject_failures(*failures)

 def inject_failures(self, *kinds: str | None) -> None:
  """Queue failures for the next attempts, one kind per attempt (None: that attempt succeeds)."""
  for kind in kinds:
   if kind is not None and kind not in FAILURE_KINDS:
    raise ValueError(f"unknown failure kind {kind!r}; expected one of {sorted(FAILURE_KINDS)} or None")
  self._failures.extend(kinds)

 def count_tokens(self, text: str) -> int:
  """Tokens of `text` as this client counts them."""
  return count_tokens(text, self.chars_per_token)

 async def _attempt(self, request: CallRequest, attempt: Attempt) -> None:
  text, finish_reason = self._answer(request)
  attempt.model = request.model
  # Text and usage are deterministic; the id is not: a provider never gives two calls the same id, and
  # the session counts a repeated id once.
  attempt.request_id = f"sim_{uuid.uuid4().hex[:24]}"
  failure = self._next_failure()
  await self._fail_before_answering(failure)
  delivered = await self._deliver(text, request.stream, attempt, broken=failure == BROKEN)
  if failure == BROKEN:
   # A dropped non-streamed answer was still generated in full, and billed.
   self._bill(request, "".join(delivered) if request.stream else text, attempt)
   raise ProviderFailure(Failure("connection", "simulated connection drop in the middle of the answer"))
  attempt.finish_reason = finish_reason
  self._bill(request, text, attempt)

 def _answer(self, request: CallRequest) -> tuple[str, str]:
  """The answer to `request` and its finish reason, the same every time for the same seed and request."""
  key = "\0".join((str(self.seed), request.model, request.system, request.prompt, str(request.max_tokens)))
  rng = random.Random(hashlib.sha256(key.encode()).hexdigest())
  kind = response_kind(request.system, request.prompt)
  if kind == "plan":
   text = plan(rng, request.prompt)
  elif kind == "verdict":
   text = verdict(rng, request.prompt, self.reject_rate)
  else:
   text = prose(rng, request.prompt)
  if self.count_tokens(text) > request.max_tokens:
   return text[: request.max_tokens * self.chars_per_token], "max_tokens"
  return text, "stop"

 async def _fail_before_answering(self, failure: str | None) -> None:
  """Wait and fail as a timeout when the latency exceeds the timeout, or as an injected failure other than BROKEN."""
  if self.timeout is not None and self.latency_s > self.timeout:
   await asyncio.sleep(self.timeout)
   raise ProviderFailure(Failure("timeout", f"simulated request timed out after {self.timeout}s"))
  if failure is not None and failure != BROKEN:
   await asyncio.sleep(self.latency_s)
   raise ProviderFailure(Failure(failure, f"simulated {failure} failure", status_code=_STATUS.get(failure)))

 async def _deliver(self, text: str, stream: bool, attempt: Attempt, *, broken: bool) -> list[str]:
  """Hand `text` to `attempt` over the latency, word by word when streaming; only half of it when `broken`."""
  pieces = re.findall(r"\S+\s*|\s+", text) if stream else [text]
  delivered = pieces[: len(pieces) // 2] if broken else pieces
  pause = self.latency_s / max(1, len(pieces))
  take = attempt.emit if stream else attempt.add_text
  for piece in delivered:
   await asyncio.sleep(pause)
   take(piece)
  return delivered

 def _bill(self, request: CallRequest, answered: str, attempt: Attempt) -> None:
  """Record the usage of `request` answered by `answered`."""
  input_tokens = self.count_tokens(request.system) + self.count_tokens(request.prompt)
  attempt.usage = Usage(input_tokens=input_tokens, output_tokens=self.count_tokens(answered))
  attempt.raw_usage = [attempt.usage.to_dict()]

 def _next_failure(self) -> str | None:
  if self._failures:
   return self._failures.popleft()
  if self.failure_rate and self._failure_rng.random() < self.failure_rate:
   return "server"
  return None
