"""Token usage in one convention, read from what each provider's API really returns.

The convention is OpenTelemetry GenAI's: `input_tokens` is the whole prompt (cached parts included),
`cache_read_tokens` and `cache_write_tokens` are parts of it, `cache_write_1h_tokens` is part of the writes,
`output_tokens` is everything billed as output (reasoning/thinking included) and `reasoning_tokens` is part of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class UsageError(ValueError):
 """A usage payload with counts that cannot be billed: negative, boolean, NaN, non-numeric or inconsistent."""


@dataclass(frozen=True, slots=True)
class Usage:
 """Normalized token counts of one LLM call (see the module docstring for what contains what)."""

 input_tokens: int = 0
 output_tokens: int = 0
 cache_read_tokens: int = 0
 cache_write_tokens: int = 0
 cache_write_1h_tokens: int = 0
 reasoning_tokens: int = 0

 def __post_init__(self) -> None:
  for name in _FIELDS:
   value = getattr(self, name)
   if type(value) is not int or value < 0:
    object.__setattr__(self, name, _count(value, name))
  check_consistency(self, "Usage")

 def __add__(self, other: Usage) -> Usage:
  if not isinstance(other, Usage):
   return NotImplemented
  return Usage(
   self.input_tokens + other.input_tokens,
   self.output_tokens + other.output_tokens,
   self.cache_read_tokens + other.cache_read_tokens,
   self.cache_write_tokens + other.cache_write_tokens,
   self.cache_write_1h_tokens + other.cache_write_1h_tokens,
   self.reasoning_tokens + other.reasoning_tokens,
  )

 @property
 def total_tokens(self) -> int:
  """Input plus output."""
  return self.input_tokens + self.output_tokens

 @property
 def uncached_input_tokens(self) -> int:
  """The part of the prompt billed at the plain input rate."""
  return self.input_tokens - self.cache_read_tokens - self.cache_write_tokens

 def to_dict(self) -> dict[str, int]:
  """Plain dict of the six counts, for JSON and TOML."""
  return {name: getattr(self, name) for name in _FIELDS}

 @classmethod
 def from_dict(cls, data: Mapping[str, Any], where: str = "usage") -> Usage:
  """Build from a dict of the six counts (missing ones are 0); unknown keys are an error."""
  unknown = set(data) - set(_FIELDS)
  if unknown:
   raise UsageError(f"{where}: unknown usage field(s) {', '.join(sorted(unknown))}")
  return cls(**{name: _count(data.get(name, 0), f"{where}.{name}") for name in _FIELDS})


_FIELDS = (
 "input_tokens",
 "output_tokens",
 "cache_read_tokens",
 "cache_write_tokens",
 "cache_write_1h_tokens",
 "reasoning_tokens",
)


def check_consistency(usage: Usage, where: str) -> None:
 """Raise UsageError when a part is larger than the whole it belongs to."""
 if usage.cache_read_tokens + usage.cache_write_tokens > usage.input_tokens:
  raise UsageError(
   f"{where}: cached tokens (read {usage.cache_read_tokens} + write {usage.cache_write_tokens}) "
   f"exceed input_tokens {usage.input_tokens}"
  )
 if usage.cache_write_1h_tokens > usage.cache_write_tokens:
  raise UsageError(
   f"{where}: cache_write_1h_tokens {usage.cache_write_1h_tokens} exceed cache_write_tokens {usage.cache_write_tokens}"
  )
 if usage.reasoning_tokens > usage.output_tokens:
  raise UsageError(f"{where}: reasoning_tokens {usage.reasoning_tokens} exceed output_tokens {usage.output_tokens}")


ZERO_USAGE = Usage()


def _count(value: object, where: str) -> int:
 if value is None:
  return 0
 if isinstance(value, bool):
  raise UsageError(f"{where}: token count must be an integer, got a boolean ({value!r})")
 if isinstance(value, int):
  if value < 0:
   raise UsageError(f"{where}: token count must not be negative, got {value}")
  return int(value)
 if isinstance(value, float):
  if math.isnan(value) or math.isinf(value):
   raise UsageError(f"{where}: token count must be a finite integer, got {value!r}")
  if not value.is_integer():
   raise UsageError(f"{where}: token count must be a whole number, got {value!r}")
  if value < 0:
   raise UsageError(f"{where}: token count must not be negative, got {value!r}")
  return int(value)
 raise UsageError(f"{where}: token count must be an integer, got {type(value).__name__} {value!r}")


# Reading payloads ----------------------------------------------------------------------------------------------

PROVIDER_ALIASES = {
 "anthropic": "anthropic",
 "claude": "anthropic",
 "openai": "openai",
 "azure": "openai",
 "deepseek": "deepseek",
 "gemini": "gemini",
 "google": "gemini",
 "vertex": "gemini",
 "vertex_ai": "gemini",
}


def usage_from_response(payload: Any, provider: str | None = None) -> Usage | None:
 """Read the billed usage of one API call, or None when the payload carries no usage.

 `payload` is a response as a JSON dict, an official SDK object (anything with `model_dump()` or
 `to_dict()`), the `usage` object alone, or a stream given as the list of its events/chunks.
 `provider` ("anthropic", "openai", "deepseek", "gemini") settles shapes that two APIs share;
 without it the shape is recognized from its keys. Raises UsageError on counts that cannot be billed.
 """
 hint = PROVIDER_ALIASES.get(provider.lower(), provider.lower()) if provider else None
 if isinstance(payload, Sequence) and not isinstance(payload, str | bytes | bytearray | Mapping):
  return _usage_from_stream([_as_dict(event, f"stream[{i}]") for i, event in enumerate(payload)], hint)
 return _usage_from_payload(_as_dict(payload), hint, "response")


def raw_usage_blocks(payload: Any) -> list[dict]:
 """The provider's own usage objects in `payload`, as JSON-ready dicts, kept with each record so that history
 can be re-read and re-priced later. For a stream: the first and the last event that carried usage (Anthropic's
 message_start and final message_delta; Gemini's and OpenAI's final, cumulative figures)."""
 stream = isinstance(payload, Sequence) and not isinstance(payload, str | bytes | bytearray | Mapping)
 blocks: list[dict] = []
 for event in payload if stream else [payload]:
  data = _as_dict(event)
  if not isinstance(data, Mapping):
   continue
  for holder in (data, data.get("message"), data.get("response")):
   if not isinstance(holder, Mapping):
    continue
   block = next((holder[k] for k in ("usageMetadata", "usage_metadata", "usage") if holder.get(k) is not None), None)
   if isinstance(block, Mapping):
    blocks.append(_without_nulls(block))
    break
 return blocks if len(blocks) <= 2 else [blocks[0], blocks[-1]]


def _without_nulls(block: Mapping) -> dict:
 # SDK objects dump every optional field as None; the provider's JSON simply did not have them.
 return {k: _without_nulls(v) if isinstance(v, Mapping) else v for k, v in block.items() if v is not None}


def _as_dict(obj: Any, where: str = "response") -> Any:
 if obj is None or isinstance(obj, Mapping):
  return obj
 for method in ("model_dump", "to_dict", "dict"):
  fn = getattr(obj, method, None)
  if callable(fn):
   try:
    return fn(mode="json") if method == "model_dump" else fn()
   except TypeError:
    return fn()
 if hasattr(obj, "__dict__"):
  return {
   k: _as_dict(v, f"{where}.{k}") if hasattr(v, "__dict__") else v
   for k, v in vars(obj).items()
   if not k.startswith("_")
  }
 raise UsageError(f"{where}: cannot read usage from a {type(obj).__name__}")


def _usage_from_payload(data: Any, hint: str | None, where: str) -> Usage | None:
 if data is None:
  return None
 if not isinstance(data, Mapping):
  raise UsageError(f"{where}: expected a JSON object, got {type(data).__name__}")
 for key in ("usageMetadata", "usage_metadata"):
  if key in data:
   return _gemini(data[key], f"{where}.{key}")
 if "usage" in data:
  return _usage_block(data["usage"], hint, f"{where}.usage", data)
 # Event wrappers: Anthropic message_start, OpenAI Responses response.completed.
 for key in ("message", "response"):
  inner = data.get(key)
  if isinstance(inner, Mapping):
   return _usage_from_payload(inner, hint, f"{where}.{key}")
 if _looks_like_usage_block(data):
  return _usage_block(data, hint, where, {})
 return None


_USAGE_BLOCK_KEYS = (
 "prompt_tokens",
 "input_tokens",
 "promptTokenCount",
 "prompt_token_count",
 "candidatesTokenCount",
 "candidates_token_count",
)


def _looks_like_usage_block(data: Mapping) -> bool:
 return any(k in data for k in _USAGE_BLOCK_KEYS)


def _usage_block(block: Any, hint: str | None, where: str, envelope: Mapping) -> Usage | None:
 if block is None:
  return None
 if not isinstance(block, Mapping):
  raise UsageError(f"{where}: expected an object, got {type(block).__name__}")
 if "promptTokenCount" in block or "prompt_token_count" in block:
  return _gemini(block, where)
 # The hint settles shared shapes only: Gemini's OpenAI-compatible endpoint answers in the OpenAI shape.
 if "prompt_tokens" in block or "completion_tokens" in block:
  return _openai_chat(block, where)
 if "input_tokens" in block or "output_tokens" in block:
  if hint == "anthropic" or _is_anthropic(block, envelope):
   return _anthropic(block, where)
  return _openai_responses(block, where)
 if hint == "gemini":
  return _gemini(block, where)
 return None


def _is_anthropic(block: Mapping, envelope: Mapping) -> bool:
 if any(k in block for k in ("cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation")):
  return True
 kind = envelope.get("type")
 return isinstance(kind, str) and kind.startswith("message")


def _get(block: Mapping, key: str, where: str) -> int:
 return _count(block.get(key), f"{where}.{key}")


def _nested(block: Mapping, outer: str, key: str, where: str) -> int:
 inner = block.get(outer)
 if inner is None:
  return 0
 if not isinstance(inner, Mapping):
  raise UsageError(f"{where}.{outer}: expected an object, got {type(inner).__name__}")
 return _count(inner.get(key), f"{where}.{outer}.{key}")


def _build(where: str, **counts: int) -> Usage:
 usage = Usage.__new__(Usage)
 for name in _FIELDS:
  object.__setattr__(usage, name, counts.get(name, 0))
 check_consistency(usage, where)
 return usage


def _anthropic(block: Mapping, where: str) -> Usage:
 uncached = _get(block, "input_tokens", where)
 read = _get(block, "cache_read_input_tokens", where)
 write_5m = _nested(block, "cache_creation", "ephemeral_5m_input_tokens", where)
 write_1h = _nested(block, "cache_creation", "ephemeral_1h_input_tokens", where)
 # SDK objects dump an absent count as None: not reported, which is not "0 written".
 if block.get("cache_creation_input_tokens") is None:
  write = write_5m + write_1h
 else:
  write = _get(block, "cache_creation_input_tokens", where)
  if write_5m + write_1h > write:
   raise UsageError(f"{where}.cache_creation: 5m {write_5m} + 1h {write_1h} exceed cache_creation_input_tokens {write}")
 output = _get(block, "output_tokens", where)
 thinking = _nested(block, "output_tokens_details", "thinking_tokens", where)
 return _build(
  where,
  input_tokens=uncached + read + write,
  output_tokens=output,
  cache_read_tokens=read,
  cache_write_tokens=write,
  cache_write_1h_tokens=write_1h,
  reasoning_tokens=thinking,
 )


def _openai_chat(block: Mapping, where: str) -> Usage:
 prompt = _get(block, "prompt_tokens", where)
 completion = _get(block, "completion_tokens", where)
 cached = _nested(block, "prompt_tokens_details", "cached_tokens", where)
 write = _nested(block, "prompt_tokens_details", "cache_write_tokens", where)
 if block.get("prompt_cache_hit_tokens") is not None:  # DeepSeek
  hit = _get(block, "prompt_cache_hit_tokens", where)
  if block.get("prompt_cache_miss_tokens") is not None:
   miss = _get(block, "prompt_cache_miss_tokens", where)
   if hit + miss != prompt:
    raise UsageError(
     f"{where}: prompt_cache_hit_tokens {hit} + prompt_cache_miss_tokens {miss} != prompt_tokens {prompt}"
    )
  cached = max(cached, hit)
 if cached + write > prompt:
  raise UsageError(f"{where}: cached tokens (read {cached} + write {write}) exceed prompt_tokens {prompt}")
 reasoning = _nested(block, "completion_tokens_details", "reasoning_tokens", where)
 return _build(
  where,
  input_tokens=prompt,
  output_tokens=completion,
  cache_read_tokens=cached,
  cache_write_tokens=write,
  reasoning_tokens=reasoning,
 )


def _openai_responses(block: Mapping, where: str) -> Usage:
 prompt = _get(block, "input_tokens", where)
 cached = _nested(block, "input_tokens_details", "cached_tokens", where)
 write = _nested(block, "input_tokens_details", "cache_write_tokens", where)
 if cached + write > prompt:
  raise UsageError(f"{where}: cached tokens (read {cached} + write {write}) exceed input_tokens {prompt}")
 output = _get(block, "output_tokens", where)
 reasoning = _nested(block, "output_tokens_details", "reasoning_tokens", where)
 return _build(
  where,
  input_tokens=prompt,
  output_tokens=output,
  cache_read_tokens=cached,
  cache_write_tokens=write,
  reasoning_tokens=reasoning,
 )


def _gemini(block: Any, where: str) -> Usage | None:
 if block is None:
  return None
 if not isinstance(block, Mapping):
  raise UsageError(f"{where}: expected an object, got {type(block).__name__}")

 def pick(camel: str, snake: str) -> int:
  if camel in block:
   return _get(block, camel, where)
  return _get(block, snake, where)

 prompt = pick("promptTokenCount", "prompt_token_count")
 tool_prompt = pick("toolUsePromptTokenCount", "tool_use_prompt_token_count")
 cached = pick("cachedContentTokenCount", "cached_content_token_count")
 if cached > prompt:
  raise UsageError(f"{where}: cachedContentTokenCount {cached} exceeds promptTokenCount {prompt}")
 candidates = pick("candidatesTokenCount", "candidates_token_count")
 thoughts = pick("thoughtsTokenCount", "thoughts_token_count")
 return _build(
  where,
  input_tokens=prompt + tool_prompt,
  output_tokens=candidates + thoughts,
  cache_read_tokens=cached,
  reasoning_tokens=thoughts,
 )


def _usage_from_stream(events: list[Any], hint: str | None) -> Usage | None:
 """Streams: Anthropic merges message_start with the last cumulative message_delta; the others
 report cumulative (Gemini) or final (OpenAI) usage, so the last event that has usage wins. Never a sum."""
 anthropic_start: Usage | None = None
 anthropic_delta: Mapping | None = None
 anthropic_delta_where = ""
 last: Usage | None = None
 for index, event in enumerate(events):
  where = f"stream[{index}]"
  if not isinstance(event, Mapping):
   if event is None:
    continue
   raise UsageError(f"{where}: expected a JSON object, got {type(event).__name__}")
  kind = event.get("type")
  if kind == "message_start":
   anthropic_start = _usage_from_payload(event, "anthropic", where)
   continue
  if kind == "message_delta":
   delta = event.get("usage")
   if delta is not None:
    if not isinstance(delta, Mapping):
     raise UsageError(f"{where}.usage: expected an object, got {type(delta).__name__}")
    anthropic_delta = delta
    anthropic_delta_where = f"{where}.usage"
   continue
  usage = _usage_from_payload(event, hint, where)
  if usage is not None:
   last = usage
 if anthropic_start is not None or anthropic_delta is not None:
  return _merge_anthropic(anthropic_start, anthropic_delta, anthropic_delta_where)
 return last


def _merge_anthropic(start: Usage | None, delta: Mapping | None, where: str) -> Usage:
 """message_delta usage is cumulative; recent APIs repeat input and cache counts there too."""
 base = start or ZERO_USAGE
 if delta is None:
  return base
 uncached = base.input_tokens - base.cache_read_tokens - base.cache_write_tokens
 merged = {
  "input_tokens": uncached,
  "cache_read_input_tokens": base.cache_read_tokens,
  "cache_creation_input_tokens": base.cache_write_tokens,
  "cache_creation": {
   "ephemeral_5m_input_tokens": base.cache_write_tokens - base.cache_write_1h_tokens,
   "ephemeral_1h_input_tokens": base.cache_write_1h_tokens,
  },
  "output_tokens": base.output_tokens,
  "output_tokens_details": {"thinking_tokens": base.reasoning_tokens},
 }
 for key, value in delta.items():
  if value is not None and key in merged:
   merged[key] = value
 new_write = delta.get("cache_creation_input_tokens")
 if delta.get("cache_creation") is None and isinstance(new_write, int) and new_write < base.cache_write_tokens:
  merged["cache_creation"] = None
 return _anthropic(merged, where)
