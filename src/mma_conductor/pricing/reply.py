"""What one reply is billed for beyond its six token counts, read from the provider's own payload.

`read_reply(payload, provider=None)` returns a `Reply`: the call's `Usage` plus the facts that change its price:
server-side tool calls (web searches, grounded prompts), the batch or service tier the provider reports, the data
residency (`inference_geo`), audio / image / video token counts, the reply's own timestamp (`created`), a cost the
reply reports itself (gateways such as OpenRouter), and Anthropic's per-iteration usage (`usage.iterations`), each
step priced in its own context-length tier. Where each fact is read from is in the tables below; the rates are in
`charges.py` and the lines of a cost in `lines.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .usage import (
 PROVIDER_ALIASES,
 USAGE_KEYS,
 Usage,
 UsageError,
 anthropic_iterations,
 anthropic_usage_fields,
 as_payload_dict,
 innermost_response,
 is_stream,
 token_count,
 usage_from_response,
)

# A cost one reply reports for itself above this is a bug (the dearest call today costs a few dollars).
MAX_REPORTED_COST_USD = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Step:
 """One sampling step of an Anthropic reply (`usage.iterations`), priced on its own."""

 kind: str
 model: str | None
 usage: Usage


@dataclass(frozen=True, slots=True)
class Reply:
 """The billed facts of one reply. Counts in `modalities` are parts of the usage's input or output:
 `input_audio`, `input_image`, `input_video` (uncached prompt tokens), `cache_read_audio` (cached audio),
 `output_audio`, `output_image`."""

 usage: Usage
 model: str | None = None
 modalities: Mapping[str, int] = field(default_factory=dict)
 web_searches: int = 0
 web_search_tool: str = "web_search"
 grounded_prompts: int = 0
 batch: bool = False
 service_tier: str | None = None
 inference_geo: str | None = None
 created: datetime | None = None
 reported_cost: Decimal | None = None
 steps: tuple[Step, ...] = ()


def read_reply(payload: Any, provider: str | None = None) -> Reply | None:
 """The billed facts of one reply (a JSON dict, an SDK object, a batch output line, or a stream as the list of
 its events), or None when it carries no usage (an errored batch result). Raises UsageError on bad counts."""
 usage = usage_from_response(payload, provider)
 if usage is None:
  return None
 hint = PROVIDER_ALIASES.get(provider.lower(), provider.lower()) if provider else None
 events = payload if is_stream(payload) else [payload]
 facts: dict[str, Any] = {}
 for index, event in enumerate(events):
  where = f"stream[{index}]" if is_stream(payload) else "response"
  facts.update(_event_facts(as_payload_dict(event, where), hint, where))
 return Reply(usage, **facts)


def _event_facts(event: Any, hint: str | None, where: str) -> dict[str, Any]:
 if not isinstance(event, Mapping):
  return {}
 response, where, batch = _unwrap(event, where)
 usage_block, usage_key = _usage_block(response)
 facts = {"batch": True} if batch else {}
 for reader in _FACT_READERS:
  facts.update(reader(response, usage_block, f"{where}.{usage_key}", hint))
 return {name: value for name, value in facts.items() if value not in (None, 0, (), {})}


def _unwrap(event: Mapping, where: str) -> tuple[Mapping, str, bool]:
 """The response inside batch lines and stream events, and whether a batch wrapper held it: OpenAI Batch
 (`custom_id` + `response.body`), Anthropic Message Batches (`custom_id` + `result.message`), Gemini Batch
 (`key` + `response`). Stream events (`message_start`, `response.completed`) are not batches."""
 batch = "custom_id" in event or ("key" in event and "type" not in event)
 return (*innermost_response(event, where), batch)


def _usage_block(response: Mapping) -> tuple[Mapping, str]:
 key = next((key for key in USAGE_KEYS if isinstance(response.get(key), Mapping)), "usage")
 return response.get(key) or {}, key


# Fact readers: each takes (response, its usage block, where the usage block is, provider hint) -> facts. ---------


def _model(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 model = response.get("model") or response.get("modelVersion") or response.get("model_version")
 return {"model": model} if isinstance(model, str) and model.strip() else {}


def _created(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """OpenAI Chat and DeepSeek `created`, OpenAI Responses `created_at` (Unix seconds); Vertex `createTime`."""
 for key in ("created", "created_at"):
  if response.get(key) is not None:
   return {"created": _unix_time(response[key], f"{where.rsplit('.', 1)[0]}.{key}")}
 stamp = response.get("createTime") or response.get("create_time")
 return {"created": _iso_time(stamp, f"{where.rsplit('.', 1)[0]}.createTime")} if stamp else {}


def _unix_time(value: Any, where: str) -> datetime:
 if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value < 32503680000:
  raise UsageError(f"{where}: expected a Unix time in seconds, got {value!r}")
 return datetime.fromtimestamp(value, UTC)


def _iso_time(value: Any, where: str) -> datetime:
 try:
  moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
 except ValueError:
  raise UsageError(f"{where}: expected an RFC 3339 time, got {value!r}") from None
 return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# What each provider reports as its service tier, in the words of charges.py.
_TRAFFIC_TYPES = {
 "ON_DEMAND": "standard",
 "ON_DEMAND_FLEX": "flex",
 "ON_DEMAND_PRIORITY": "priority",
 "PROVISIONED_THROUGHPUT": "provisioned",
}


def _service_tier(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """OpenAI's top-level `service_tier`, Anthropic's `usage.service_tier`, Vertex's `usageMetadata.trafficType`."""
 tier = usage.get("service_tier") or response.get("service_tier")
 traffic = usage.get("trafficType") or usage.get("traffic_type")
 if isinstance(traffic, str):
  tier = _TRAFFIC_TYPES.get(traffic.upper(), tier)
 return {"service_tier": tier.lower()} if isinstance(tier, str) and tier else {}


def _inference_geo(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 geo = usage.get("inference_geo")
 return {"inference_geo": geo.lower()} if isinstance(geo, str) and geo else {}


def _request_count(value: Any, where: str) -> int:
 return 0 if value is None else token_count(value, where)


def _anthropic_searches(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """Anthropic `usage.server_tool_use.web_search_requests` (web fetch has no fee beyond its tokens)."""
 tools = usage.get("server_tool_use")
 if not isinstance(tools, Mapping):
  return {}
 return {
  "web_searches": _request_count(tools.get("web_search_requests"), f"{where}.server_tool_use.web_search_requests")
 }


def _openai_searches(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """OpenAI Responses: one `web_search_call` item in `output` per billed search call; the tool asked for
 (`tools[].type`: web_search or web_search_preview) sets its rate."""
 output = response.get("output")
 if not isinstance(output, list):
  return {}
 calls = sum(1 for item in output if isinstance(item, Mapping) and item.get("type") == "web_search_call")
 tools = response.get("tools") if isinstance(response.get("tools"), list) else []
 preview = any(isinstance(t, Mapping) and str(t.get("type", "")).startswith("web_search_preview") for t in tools)
 return {"web_searches": calls, "web_search_tool": "web_search_preview" if preview else "web_search"}


def _gemini_grounding(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """Gemini grounding with Google Search: a prompt is grounded when a candidate's groundingMetadata lists the
 queries it ran (`webSearchQueries`); Gemini 3 bills each query, Gemini 2.x each grounded prompt."""
 candidates = response.get("candidates")
 if not isinstance(candidates, list):
  return {}
 queries = sum(map(_search_queries, candidates))
 return {"web_searches": queries, "grounded_prompts": 1 if queries else 0}


def _search_queries(candidate: Any) -> int:
 if not isinstance(candidate, Mapping):
  return 0
 grounding = candidate.get("groundingMetadata") or candidate.get("grounding_metadata")
 if not isinstance(grounding, Mapping):
  return 0
 queries = grounding.get("webSearchQueries") or grounding.get("web_search_queries") or []
 return len(queries) if isinstance(queries, list) else 0


def _reported_cost(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """A cost the reply reports itself: OpenRouter's `usage.cost` (USD, with usage accounting)."""
 cost = usage.get("cost")
 if cost is None:
  return {}
 try:
  amount = Decimal(str(cost)) if type(cost) in (int, float, str) else None
 except InvalidOperation:
  amount = None
 if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_REPORTED_COST_USD:
  raise UsageError(f"{where}.cost: expected a cost in USD between 0 and {MAX_REPORTED_COST_USD:,}, got {cost!r}")
 return {"reported_cost": amount}


def _steps(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 """Anthropic `usage.iterations`: each sampling step (message, compaction, advisor, fallback) with its own
 usage and, for advisor and fallback steps, its own model."""
 entries = anthropic_iterations(usage, where)
 steps = tuple(
  Step(str(entry.get("type", "message")), entry.get("model"), anthropic_usage_fields(entry, f"{where}.iterations[{i}]"))
  for i, entry in enumerate(entries)
 )
 return {"steps": steps}


# Gemini: usage details by modality (REST camelCase / SDK snake_case) -> which Reply.modalities count they feed.
_GEMINI_DETAILS = (
 (("promptTokensDetails", "prompt_tokens_details"), "input"),
 (("cacheTokensDetails", "cache_tokens_details"), "cache_read"),
 (("candidatesTokensDetails", "candidates_tokens_details"), "output"),
)
_GEMINI_MODALITIES = {"AUDIO": "audio", "IMAGE": "image", "VIDEO": "video"}


def _gemini_modalities(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 if "promptTokenCount" not in usage and "prompt_token_count" not in usage:
  return {}
 counts: dict[str, int] = {}
 for keys, direction in _GEMINI_DETAILS:
  key = next((k for k in keys if isinstance(usage.get(k), list)), None)
  for index, entry in enumerate(usage.get(key) or ()):
   _add_modality(counts, direction, entry, f"{where}.{key}[{index}]")
 return {"modalities": _checked_modalities(_uncached(counts), where)}


def _uncached(counts: dict[str, int]) -> dict[str, int]:
 """Gemini's prompt details count cached tokens too: the input counts become the uncached parts."""
 for modality in ("audio", "image", "video"):
  counts[f"input_{modality}"] = counts.get(f"input_{modality}", 0) - counts.get(f"cache_read_{modality}", 0)
 return counts


def _add_modality(counts: dict[str, int], direction: str, entry: Any, where: str) -> None:
 if not isinstance(entry, Mapping):
  raise UsageError(f"{where}: expected an object, got {type(entry).__name__}")
 modality = _GEMINI_MODALITIES.get(str(entry.get("modality", "")).upper())
 if modality is None:
  return
 count = entry.get("tokenCount", entry.get("token_count"))
 name = f"{direction}_{modality}"
 counts[name] = counts.get(name, 0) + _request_count(count, f"{where}.tokenCount")


def _checked_modalities(counts: dict[str, int], where: str) -> dict[str, int]:
 for name, count in counts.items():
  if count < 0:
   raise UsageError(
    f"{where}: cached {name.split('_', 1)[1]} tokens exceed the prompt's {name.split('_', 1)[1]} tokens"
   )
 # Cached image and video tokens cost the cached text rate: they stay in the cache-read line.
 counts.pop("cache_read_image", None)
 counts.pop("cache_read_video", None)
 return {name: count for name, count in counts.items() if count}


# OpenAI: audio tokens inside prompt / completion (Chat) or input / output (Responses) details.
_OPENAI_AUDIO = (
 ("prompt_tokens_details", "input_audio"),
 ("input_tokens_details", "input_audio"),
 ("completion_tokens_details", "output_audio"),
 ("output_tokens_details", "output_audio"),
)


def _openai_modalities(response: Mapping, usage: Mapping, where: str, hint: str | None) -> dict[str, Any]:
 counts: dict[str, int] = {}
 for key, name in _OPENAI_AUDIO:
  details = usage.get(key)
  if isinstance(details, Mapping) and details.get("audio_tokens"):
   counts[name] = _request_count(details["audio_tokens"], f"{where}.{key}.audio_tokens")
 return {"modalities": counts} if counts else {}


_FACT_READERS: tuple[Callable[[Mapping, Mapping, str, str | None], dict[str, Any]], ...] = (
 _model,
 _created,
 _service_tier,
 _inference_geo,
 _anthropic_searches,
 _openai_searches,
 _gemini_grounding,
 _reported_cost,
 _steps,
 _gemini_modalities,
 _openai_modalities,
)
