"""Token usage in one convention, read from what each provider's API really returns.

The convention is OpenTelemetry GenAI's: `input_tokens` is the whole prompt (cached parts included),
`cache_read_tokens` and `cache_write_tokens` are parts of it, `cache_write_1h_tokens` is part of the writes,
`output_tokens` is everything billed as output (reasoning/thinking included) and `reasoning_tokens` is part of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import singledispatch
from typing import Any


class UsageError(ValueError):
 """A usage payload with counts that cannot be billed: negative, absurdly large, boolean, NaN, non-numeric, null
 where the provider always reports a number, or inconsistent."""


# The largest token count one call may report: 10x the largest context window sold today (10M). Above it a count is
# a bug, and at the price ceiling (money.MAX_PRICE_PER_MTOK) the call's cost stays within what the ledger stores.
MAX_CALL_TOKENS = 10**8


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


@singledispatch
def _count(value: object, where: str) -> int:
 raise UsageError(f"{where}: token count must be an integer, got {type(value).__name__} {value!r}")


@_count.register(type(None))
def _absent_count(value: None, where: str) -> int:
 # Usage(...) and Usage.from_dict: None is a count not given. Payload readers decide before this, per field,
 # whether the provider documents a null (see _NOT_NULL): there a null is an error, never a silent 0.
 return 0


def token_count(value: object, where: str) -> int:
 """`value` as a billable token count of one call, or UsageError naming `where` (negative, above
 MAX_CALL_TOKENS, fractional, boolean, NaN or non-numeric)."""
 if value is None:
  raise UsageError(f"{where}: token count is null")
 return _count(value, where)


@_count.register(bool)
def _boolean_count(value: bool, where: str) -> int:
 raise UsageError(f"{where}: token count must be an integer, got a boolean ({value!r})")


@_count.register(int)
def _int_count(value: int, where: str) -> int:
 if value < 0:
  raise UsageError(f"{where}: token count must not be negative, got {value}")
 if value > MAX_CALL_TOKENS:
  raise UsageError(f"{where}: token count {value:,} is absurd for one call (the limit is {MAX_CALL_TOKENS:,})")
 return int(value)


@_count.register(float)
def _float_count(value: float, where: str) -> int:
 if math.isnan(value) or math.isinf(value):
  raise UsageError(f"{where}: token count must be a finite integer, got {value!r}")
 if not value.is_integer():
  raise UsageError(f"{where}: token count must be a whole number, got {value!r}")
 if value < 0:
  raise UsageError(f"{where}: token count must not be negative, got {value!r}")
 return _int_count(int(value), where)


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

# The provider names that mean Gemini (PROVIDER_ALIASES, lower-cased).
_GEMINI_SPELLINGS = frozenset(name for name, provider in PROVIDER_ALIASES.items() if provider == "gemini")

# Keys under which a response (or an event) holds its usage object, in the order they are looked for.
USAGE_KEYS = ("usageMetadata", "usage_metadata", "usage")
_GEMINI_USAGE_KEYS = ("usageMetadata", "usage_metadata")
# Wrappers around a response, looked into in this order: Anthropic message_start and batch results
# (`result.message`), OpenAI Responses response.completed, OpenAI Batch output lines (`response.body`), Gemini
# Batch lines (`response`).
_WRAPPER_KEYS = ("message", "response", "body", "result")


def usage_from_response(payload: Any, provider: str | None = None) -> Usage | None:
 """Read the billed usage of one API call, or None when the payload carries no usage.

 `payload` is a response as a JSON dict, an official SDK object (anything with `model_dump()` or
 `to_dict()`), the `usage` object alone, or a stream given as the list of its events/chunks.
 `provider` ("anthropic", "openai", "deepseek", "gemini") settles shapes that two APIs share;
 without it the shape is recognized from its keys. Raises UsageError on counts that cannot be billed.
 """
 if type(payload) is dict:
  usage = payload.get("usage")
  reader = _FAST_READERS.get(payload.get("object") or payload.get("type"))
  if reader is not None and type(usage) is dict:
   fast = reader(usage, provider, payload)
   if fast is not None:
    return fast
 return _general_usage(payload, provider)


def _general_usage(payload: Any, provider: str | None) -> Usage | None:
 hint = PROVIDER_ALIASES.get(provider.lower(), provider.lower()) if provider else None
 if is_stream(payload):
  return _usage_from_stream([as_payload_dict(event, f"stream[{i}]") for i, event in enumerate(payload)], hint)
 return _usage_from_payload(as_payload_dict(payload), hint, "response")


# The fast path (in usage_from_response, one call less): an Anthropic message or an OpenAI chat completion as a plain
# JSON dict whose usage holds only plain counts is read directly by its _FAST_READERS entry. Anything else (another
# shape, a field only the general reader reads, a null, a count out of range, parts larger than their whole) returns
# None and goes the general way, which reads it the same or names what is wrong. Keys neither reader reads
# (service_tier, server_tool_use, total_tokens, audio_tokens) do not matter.


def _fast_anthropic(usage: dict, provider: str | None, payload: dict) -> Usage | None:
 # Today's replies carry every count: read them by subscript (the cheapest read); a key missing, or anything not a
 # plain count, goes to _sparse_anthropic, which reads what may be absent.
 try:
  uncached, output = usage["input_tokens"], usage["output_tokens"]
  read, write, split = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"], usage["cache_creation"]
  write_5m, write_1h = split["ephemeral_5m_input_tokens"], split["ephemeral_1h_input_tokens"]
 except (KeyError, TypeError):
  return _sparse_anthropic(usage)
 if (
  type(uncached) is int
  and type(output) is int
  and type(read) is int
  and type(write) is int
  and type(split) is dict
  and type(write_5m) is int
  and type(write_1h) is int
  and 0 <= uncached <= MAX_CALL_TOKENS
  and 0 <= output <= MAX_CALL_TOKENS
  and 0 <= read <= MAX_CALL_TOKENS
  and 0 <= write <= MAX_CALL_TOKENS
  and write_5m >= 0
  and write_1h >= 0
  and write_5m + write_1h <= write
  and "iterations" not in usage
  and "output_tokens_details" not in usage
 ):
  return _trusted(uncached + read + write, output, read, write, write_1h, 0)
 return _sparse_anthropic(usage)


def _sparse_anthropic(usage: dict) -> Usage | None:
 if "iterations" in usage or "output_tokens_details" in usage:
  return None
 split = usage.get("cache_creation")
 write_5m, write_1h = (0, 0) if split is None else _fast_cache_split(split)
 uncached, output = usage.get("input_tokens"), usage.get("output_tokens")
 read, write = usage.get("cache_read_input_tokens", 0), usage.get("cache_creation_input_tokens", write_5m + write_1h)
 if not (
  type(uncached) is int
  and type(output) is int
  and type(read) is int
  and type(write) is int
  and 0 <= uncached <= MAX_CALL_TOKENS
  and 0 <= output <= MAX_CALL_TOKENS
  and 0 <= read <= MAX_CALL_TOKENS
  and 0 <= write <= MAX_CALL_TOKENS
  and write_5m + write_1h <= write
 ):
  return None
 return _trusted(uncached + read + write, output, read, write, write_1h, 0)


def _fast_cache_split(split: object) -> tuple[int, int]:
 """(5m, 1h) cache writes of a plain `cache_creation` object; an out-of-range pair that makes the caller fall back
 to the general reader otherwise."""
 if type(split) is not dict:
  return 0, MAX_CALL_TOKENS + 1
 write_5m, write_1h = split.get("ephemeral_5m_input_tokens", 0), split.get("ephemeral_1h_input_tokens", 0)
 if type(write_5m) is int and type(write_1h) is int and write_5m >= 0 and write_1h >= 0:
  return write_5m, write_1h
 return 0, MAX_CALL_TOKENS + 1


def _fast_chat(usage: dict, provider: str | None, payload: dict) -> Usage | None:
 # As _fast_anthropic: every count by subscript first, _sparse_chat for what may be absent or null.
 try:
  prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
  prompt_details, completion_details = usage["prompt_tokens_details"], usage["completion_tokens_details"]
  cached, reasoning = prompt_details["cached_tokens"], completion_details["reasoning_tokens"]
 except (KeyError, TypeError):
  return _sparse_chat(usage, provider, payload)
 if (
  type(prompt) is int
  and type(completion) is int
  and type(prompt_details) is dict
  and type(completion_details) is dict
  and type(cached) is int
  and type(reasoning) is int
  and 0 <= cached <= prompt <= MAX_CALL_TOKENS
  and 0 <= reasoning <= completion <= MAX_CALL_TOKENS
  and "cache_write_tokens" not in prompt_details
  and "prompt_cache_hit_tokens" not in usage
 ):
  return None if _names_gemini(provider, payload) else _trusted(prompt, completion, cached, 0, 0, reasoning)
 return _sparse_chat(usage, provider, payload)


def _sparse_chat(usage: dict, provider: str | None, payload: dict) -> Usage | None:
 # Absent and null are 0 (the details and their counts are optional); an empty list, False or 0.0 is not, and
 # goes to the general reader, which names it.
 prompt_details, completion_details = (
  _absent_as(usage, "prompt_tokens_details", {}),
  _absent_as(usage, "completion_tokens_details", {}),
 )
 if type(prompt_details) is not dict or type(completion_details) is not dict or "prompt_cache_hit_tokens" in usage:
  return None
 prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
 cached, reasoning = (
  _absent_as(prompt_details, "cached_tokens", 0),
  _absent_as(completion_details, "reasoning_tokens", 0),
 )
 if not (
  type(prompt) is int
  and type(completion) is int
  and type(cached) is int
  and type(reasoning) is int
  and 0 <= cached <= prompt <= MAX_CALL_TOKENS
  and 0 <= reasoning <= completion <= MAX_CALL_TOKENS
  and "cache_write_tokens" not in prompt_details
 ):
  return None
 return None if _names_gemini(provider, payload) else _trusted(prompt, completion, cached, 0, 0, reasoning)


def _absent_as(block: dict, key: str, default: object) -> object:
 value = block.get(key)
 return default if value is None else value


def _names_gemini(provider: str | None, payload: dict) -> bool:
 """_is_gemini for the fast path: the same answer, with what it computes from a model name remembered."""
 if provider and provider.lower() in _GEMINI_SPELLINGS:
  return True
 model = payload.get("model")
 if not isinstance(model, str):
  return False
 try:
  return _GEMINI_MODEL_NAMES[model]
 except KeyError:
  return _remember_gemini(model)


# model name -> whether _is_gemini takes it for a Gemini model; a few names per process, bounded all the same.
_GEMINI_MODEL_NAMES: dict[str, bool] = {}
_GEMINI_MODEL_NAMES_KEPT = 1024


def _remember_gemini(model: str) -> bool:
 gemini = _is_gemini(None, {"model": model})
 if len(_GEMINI_MODEL_NAMES) >= _GEMINI_MODEL_NAMES_KEPT:
  _GEMINI_MODEL_NAMES.clear()
 _GEMINI_MODEL_NAMES[model] = gemini
 return gemini


_FAST_READERS = {"message": _fast_anthropic, "chat.completion": _fast_chat}


class _UnfrozenUsage:
 """Usage's slots, in Usage's order, without its frozen __setattr__: the fast path fills one with plain stores and
 then gives it Usage's class (same slots, so CPython allows it), ~4x cheaper than six object.__setattr__ calls."""

 __slots__ = tuple(Usage.__slots__)


def _trusted(input_: int, output: int, read: int, write: int, write_1h: int, reasoning: int) -> Usage:
 """A Usage of counts already checked (skips __post_init__'s checks)."""
 usage = _UnfrozenUsage()
 usage.input_tokens = input_
 usage.output_tokens = output
 usage.cache_read_tokens = read
 usage.cache_write_tokens = write
 usage.cache_write_1h_tokens = write_1h
 usage.reasoning_tokens = reasoning
 usage.__class__ = Usage
 return usage


def raw_usage_blocks(payload: Any) -> list[dict]:
 """The provider's own usage objects in `payload`, as JSON-ready dicts, kept with each record so that history
 can be re-read and re-priced later. For a stream: the first and the last event that carried usage (Anthropic's
 message_start and final message_delta; Gemini's and OpenAI's final, cumulative figures)."""
 events = payload if is_stream(payload) else [payload]
 blocks = [block for block in map(_raw_usage_block, events) if block is not None]
 return blocks if len(blocks) <= 2 else [blocks[0], blocks[-1]]


def is_stream(payload: Any) -> bool:
 """Whether `payload` is a stream given as the list of its events."""
 return isinstance(payload, Sequence) and not isinstance(payload, str | bytes | bytearray | Mapping)


def _raw_usage_block(event: Any) -> dict | None:
 data = as_payload_dict(event)
 if not isinstance(data, Mapping):
  return None
 for holder in (data, *(data.get(key) for key in _WRAPPER_KEYS)):
  block = _usage_value(holder)
  if isinstance(block, Mapping):
   return _without_nulls(block)
 return None


def _usage_value(holder: Any) -> Any:
 """The first usage value of `holder` that is not null; None when there is none or `holder` is no object."""
 if not isinstance(holder, Mapping):
  return None
 return next((holder[key] for key in USAGE_KEYS if holder.get(key) is not None), None)


def _without_nulls(block: Mapping) -> dict:
 # SDK objects dump every optional field as None; the provider's JSON simply did not have them.
 return {k: _without_nulls(v) if isinstance(v, Mapping) else v for k, v in block.items() if v is not None}


# How SDK objects turn into JSON-like dicts, tried in this order: pydantic v2, the Google SDK, pydantic v1.
_DUMP_METHODS = (("model_dump", {"mode": "json"}), ("to_dict", {}), ("dict", {}))


def as_payload_dict(obj: Any, where: str = "response") -> Any:
 """`obj` as a JSON-like dict: dicts as they are, SDK objects dumped."""
 if obj is None or isinstance(obj, Mapping):
  return obj
 dump = _dump_method(obj)
 if dump is not None:
  return _call_dump(*dump)
 if hasattr(obj, "__dict__"):
  return {
   k: as_payload_dict(v, f"{where}.{k}") if hasattr(v, "__dict__") else v
   for k, v in vars(obj).items()
   if not k.startswith("_")
  }
 raise UsageError(f"{where}: cannot read usage from a {type(obj).__name__}")


def _dump_method(obj: Any) -> tuple[Callable[..., Any], Mapping[str, str]] | None:
 for name, kwargs in _DUMP_METHODS:
  method = getattr(obj, name, None)
  if callable(method):
   return method, kwargs
 return None


def _call_dump(method: Callable[..., Any], kwargs: Mapping[str, str]) -> Any:
 try:
  return method(**kwargs)
 except TypeError:
  return method()


def _usage_from_payload(data: Any, hint: str | None, where: str) -> Usage | None:
 if data is None:
  return None
 if not isinstance(data, Mapping):
  raise UsageError(f"{where}: expected a JSON object, got {type(data).__name__}")
 data, where = innermost_response(data, where)
 gemini_key = next((key for key in _GEMINI_USAGE_KEYS if key in data), None)
 if gemini_key is not None:
  return _gemini(data[gemini_key], f"{where}.{gemini_key}")
 if "usage" in data:
  return _usage_block(data["usage"], hint, f"{where}.usage", data)
 return _usage_block(data, hint, where, {}) if _looks_like_usage_block(data) else None


def innermost_response(data: Mapping, where: str = "response") -> tuple[Mapping, str]:
 """The response inside the wrappers around it (stream events, batch output lines; see _WRAPPER_KEYS): the
 first object on the way that has a usage key, or the innermost one; and its path from `where`."""
 while not any(key in data for key in USAGE_KEYS):
  wrapper = next((key for key in _WRAPPER_KEYS if isinstance(data.get(key), Mapping)), None)
  if wrapper is None:
   break
  data, where = data[wrapper], f"{where}.{wrapper}"
 return data, where


_USAGE_BLOCK_KEYS = (
 "prompt_tokens",
 "inputTokens",
 "input_tokens",
 "promptTokenCount",
 "prompt_token_count",
 "candidatesTokenCount",
 "candidates_token_count",
)


def _looks_like_usage_block(data: Mapping) -> bool:
 return any(k in data for k in _USAGE_BLOCK_KEYS)


def _usage_block(block: Any, hint: str | None, where: str, envelope: Mapping) -> Usage | None:
 block = _object_or_none(block, where)
 if block is None:
  return None
 read = _shape_reader(block, hint, envelope)
 return None if read is None else read(block, where)


def _shape_reader(block: Mapping, hint: str | None, envelope: Mapping) -> Callable[[Mapping, str], Usage] | None:
 """The reader of the provider shape that `block` has, known from its keys. The hint settles shared shapes
 only: Gemini's OpenAI-compatible endpoint answers in the OpenAI shape."""
 if "promptTokenCount" in block or "prompt_token_count" in block:
  return _gemini_usage
 if "prompt_tokens" in block or "completion_tokens" in block:
  return _gemini_compatible if _is_gemini(hint, envelope) else _openai_chat
 if "inputTokens" in block or "outputTokens" in block:
  return _bedrock
 if "input_tokens" in block or "output_tokens" in block:
  return _anthropic if hint == "anthropic" or _is_anthropic(block, envelope) else _openai_responses
 return _gemini_usage if hint == "gemini" else None


def _is_gemini(hint: str | None, envelope: Mapping) -> bool:
 model = envelope.get("model")
 return hint == "gemini" or (isinstance(model, str) and model.lower().rsplit("/", 1)[-1].startswith("gemini"))


def _is_anthropic(block: Mapping, envelope: Mapping) -> bool:
 if any(k in block for k in ("cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation")):
  return True
 kind = envelope.get("type")
 return isinstance(kind, str) and kind.startswith("message")


def _object_or_none(value: Any, where: str) -> Mapping | None:
 """`value` when it is an object, None when it is null or absent; anything else is an error."""
 if value is not None and not isinstance(value, Mapping):
  raise UsageError(f"{where}: expected an object, got {type(value).__name__}")
 return value


# Where each provider shape reports each count: name -> key path inside its usage block. The names are Usage
# fields where the provider's count is that field; the readers below combine the rest. Each shape is read in
# two steps, (counts up to the check that the cached parts fit in the prompt, counts after it), in the order
# of the provider's reference, which is also the order in which a payload's bad counts are reported.

_ANTHROPIC_PATHS = (
 {
  "input_tokens": ("input_tokens",),  # the uncached part only: Anthropic leaves cache reads and writes out
  "cache_read_tokens": ("cache_read_input_tokens",),
  "cache_write_5m_tokens": ("cache_creation", "ephemeral_5m_input_tokens"),
  "cache_write_1h_tokens": ("cache_creation", "ephemeral_1h_input_tokens"),
 },
 {
  "output_tokens": ("output_tokens",),
  "reasoning_tokens": ("output_tokens_details", "thinking_tokens"),
 },
)

# Chat Completions: also DeepSeek and Gemini's OpenAI-compatible endpoint.
_OPENAI_CHAT_PATHS = (
 {
  "input_tokens": ("prompt_tokens",),
  "output_tokens": ("completion_tokens",),
  "cache_read_tokens": ("prompt_tokens_details", "cached_tokens"),
  "cache_write_tokens": ("prompt_tokens_details", "cache_write_tokens"),
 },
 {
  "reasoning_tokens": ("completion_tokens_details", "reasoning_tokens"),
 },
)

_OPENAI_RESPONSES_PATHS = (
 {
  "input_tokens": ("input_tokens",),
  "cache_read_tokens": ("input_tokens_details", "cached_tokens"),
  "cache_write_tokens": ("input_tokens_details", "cache_write_tokens"),
 },
 {
  "output_tokens": ("output_tokens",),
  "reasoning_tokens": ("output_tokens_details", "reasoning_tokens"),
 },
)

# Gemini: name -> (REST camelCase key, Python SDK snake_case key). Billed input is prompt + tool-use prompt,
# billed output candidates + thoughts.
_GEMINI_KEYS = (
 {
  "prompt": ("promptTokenCount", "prompt_token_count"),
  "tool_use_prompt": ("toolUsePromptTokenCount", "tool_use_prompt_token_count"),
  "cached": ("cachedContentTokenCount", "cached_content_token_count"),
 },
 {
  "candidates": ("candidatesTokenCount", "candidates_token_count"),
  "thoughts": ("thoughtsTokenCount", "thoughts_token_count"),
 },
)


# Counts that each provider documents as always an integer, never null: there a null is an error naming the field.
# Every other count is optional or nullable in the provider's reference and its official SDK's types, so a null one
# is absent, the same as a missing one (SDK objects dump an absent optional field as None):
# - Anthropic Messages `Usage` (docs.claude.com/en/api/messages, anthropic-sdk-python types/usage.py):
#   input_tokens and output_tokens are `int`; cache_creation_input_tokens, cache_read_input_tokens and
#   cache_creation are `Optional`; inside cache_creation both ephemeral counts are `int`.
# - OpenAI Chat Completions `CompletionUsage` (openai-python types/completion_usage.py): prompt_tokens and
#   completion_tokens are `int`; prompt_tokens_details, completion_tokens_details and every count in them are
#   `Optional`. DeepSeek's reference (api-docs.deepseek.com/api/create-chat-completion) marks
#   prompt_cache_hit_tokens and prompt_cache_miss_tokens required: missing (another provider) is fine, null is not.
# - OpenAI Responses `ResponseUsage` (openai-python types/responses/response_usage.py): input_tokens,
#   output_tokens, input_tokens_details.cached_tokens and output_tokens_details.reasoning_tokens are `int`.
# - Gemini `UsageMetadata` (ai.google.dev/api/generate-content#UsageMetadata, google-genai
#   GenerateContentResponseUsageMetadata): every count is optional (`Optional[int]`); the REST API leaves out
#   counts that are zero.
_NOT_NULL_ANTHROPIC = frozenset(
 {"input_tokens", "output_tokens", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}
)
_NOT_NULL_CHAT = frozenset(
 {"prompt_tokens", "completion_tokens", "prompt_cache_hit_tokens", "prompt_cache_miss_tokens"}
)
_NOT_NULL_RESPONSES = frozenset({"input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"})
_NOT_NULL_GEMINI: frozenset[str] = frozenset()


def _read_counts(
 block: Mapping, paths: Mapping[str, tuple[str, ...]], where: str, not_null: frozenset[str]
) -> dict[str, int]:
 return {name: _read_count(block, path, where, not_null) for name, path in paths.items()}


def _read_count(block: Mapping, path: tuple[str, ...], where: str, not_null: frozenset[str]) -> int:
 """The count at `path` in `block`; 0 when it or an object on the way is absent or a documented null; a null
 count of `not_null` is an error."""
 *outer, key = path
 for name in outer:
  where = f"{where}.{name}"
  block = _object_or_none(block.get(name), where)
  if block is None:
   return 0
 value = block.get(key)
 if value is None and key in block and key in not_null:
  raise UsageError(f"{where}.{key}: token count is null, but the provider always reports it as an integer")
 return _count(value, f"{where}.{key}")


def _build(where: str, **counts: int) -> Usage:
 usage = Usage.__new__(Usage)
 for name in _FIELDS:
  object.__setattr__(usage, name, counts.get(name, 0))
 check_consistency(usage, where)
 return usage


def _anthropic(block: Mapping, where: str) -> Usage:
 """Anthropic's usage block; the usage of `compaction` iterations, which its top-level fields leave out
 (anthropic-sdk-python types/beta/beta_usage.py), is added: it is billed."""
 usage = anthropic_usage_fields(block, where)
 for index, iteration in enumerate(anthropic_iterations(block, where)):
  if iteration.get("type") == "compaction":
   usage = usage + anthropic_usage_fields(iteration, f"{where}.iterations[{index}]")
 return usage


def anthropic_iterations(block: Mapping, where: str) -> list[Mapping]:
 """The `usage.iterations` entries of an Anthropic usage block (each a usage of one sampling step); [] when
 absent or null."""
 iterations = block.get("iterations")
 if iterations is None:
  return []
 if not isinstance(iterations, list) or not all(isinstance(entry, Mapping) for entry in iterations):
  raise UsageError(f"{where}.iterations: expected a list of objects, got {type(iterations).__name__}")
 return iterations


def anthropic_usage_fields(block: Mapping, where: str) -> Usage:
 """The usage of one Anthropic usage block (or one of its iterations) without its iterations."""
 up_to_check, after_check = _ANTHROPIC_PATHS
 counts = _read_counts(block, up_to_check, where, _NOT_NULL_ANTHROPIC)
 write = _anthropic_cache_writes(block, counts.pop("cache_write_5m_tokens"), counts["cache_write_1h_tokens"], where)
 counts["input_tokens"] += counts["cache_read_tokens"] + write
 after = _read_counts(block, after_check, where, _NOT_NULL_ANTHROPIC)
 return _build(where, cache_write_tokens=write, **counts, **after)


def _anthropic_cache_writes(block: Mapping, write_5m: int, write_1h: int, where: str) -> int:
 # SDK objects dump an absent count as None: not reported, which is not "0 written".
 if block.get("cache_creation_input_tokens") is None:
  return write_5m + write_1h
 write = _read_count(block, ("cache_creation_input_tokens",), where, _NOT_NULL_ANTHROPIC)
 if write_5m + write_1h > write:
  raise UsageError(f"{where}.cache_creation: 5m {write_5m} + 1h {write_1h} exceed cache_creation_input_tokens {write}")
 return write


def _openai_chat(block: Mapping, where: str) -> Usage:
 up_to_check, after_check = _OPENAI_CHAT_PATHS
 counts = _read_counts(block, up_to_check, where, _NOT_NULL_CHAT)
 hits = _deepseek_cache_hits(block, counts["input_tokens"], where)
 counts["cache_read_tokens"] = max(counts["cache_read_tokens"], hits)
 _check_cached_in_prompt(counts, "prompt_tokens", where)
 return _build(where, **counts, **_read_counts(block, after_check, where, _NOT_NULL_CHAT))


def _gemini_compatible(block: Mapping, where: str) -> Usage:
 """Gemini's OpenAI-compatible endpoint: `completion_tokens` may leave the thought tokens out while
 `total_tokens` counts them; what total has beyond prompt + completion was billed as output (thinking)."""
 usage = _openai_chat(block, where)
 total = _read_count(block, ("total_tokens",), where, _NOT_NULL_CHAT) if block.get("total_tokens") is not None else 0
 thoughts = total - usage.input_tokens - usage.output_tokens
 if thoughts <= 0:
  return usage
 return _build(
  where,
  input_tokens=usage.input_tokens,
  output_tokens=_count(usage.output_tokens + thoughts, f"{where}.total_tokens"),
  cache_read_tokens=usage.cache_read_tokens,
  cache_write_tokens=usage.cache_write_tokens,
  reasoning_tokens=usage.reasoning_tokens + thoughts,
 )


# Bedrock Converse (docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html): every count is an
# integer; the cache counts are optional. Whether `inputTokens` holds the cached parts is told by `totalTokens`.
_BEDROCK_PATHS = {
 "input_tokens": ("inputTokens",),
 "output_tokens": ("outputTokens",),
 "cache_read_tokens": ("cacheReadInputTokens",),
 "cache_write_tokens": ("cacheWriteInputTokens",),
}
_NOT_NULL_BEDROCK = frozenset({"inputTokens", "outputTokens", "totalTokens"})


def _bedrock(block: Mapping, where: str) -> Usage:
 """Bedrock Converse `usage`: for Claude, `inputTokens` leaves cache reads and writes out and `totalTokens` is
 input + output + cache read + cache write; a model that counts them inside `inputTokens` reports a total of
 input + output. The total settles which, and a total that fits neither is an error."""
 counts = _read_counts(block, _BEDROCK_PATHS, where, _NOT_NULL_BEDROCK)
 cached = counts["cache_read_tokens"] + counts["cache_write_tokens"]
 if block.get("totalTokens") is None or not cached:
  counts["input_tokens"] += cached
  return _build(where, **counts)
 total = _read_count(block, ("totalTokens",), where, _NOT_NULL_BEDROCK)
 if total == counts["input_tokens"] + counts["output_tokens"] + cached:
  counts["input_tokens"] += cached
 elif total != counts["input_tokens"] + counts["output_tokens"]:
  raise UsageError(f"{where}.totalTokens: {total} is neither input + output nor input + output + cached tokens")
 _check_cached_in_prompt(counts, "inputTokens", where)
 return _build(where, **counts)


def _openai_responses(block: Mapping, where: str) -> Usage:
 up_to_check, after_check = _OPENAI_RESPONSES_PATHS
 counts = _read_counts(block, up_to_check, where, _NOT_NULL_RESPONSES)
 _check_cached_in_prompt(counts, "input_tokens", where)
 return _build(where, **counts, **_read_counts(block, after_check, where, _NOT_NULL_RESPONSES))


def _check_cached_in_prompt(counts: Mapping[str, int], prompt_key: str, where: str) -> None:
 read, write, prompt = counts["cache_read_tokens"], counts["cache_write_tokens"], counts["input_tokens"]
 if read + write > prompt:
  raise UsageError(f"{where}: cached tokens (read {read} + write {write}) exceed {prompt_key} {prompt}")


def _deepseek_cache_hits(block: Mapping, prompt: int, where: str) -> int:
 """DeepSeek's prompt_cache_hit_tokens (0 when not reported); hit + miss must be the whole prompt."""
 if "prompt_cache_hit_tokens" not in block:
  return 0
 hit = _read_count(block, ("prompt_cache_hit_tokens",), where, _NOT_NULL_CHAT)
 if "prompt_cache_miss_tokens" in block:
  miss = _read_count(block, ("prompt_cache_miss_tokens",), where, _NOT_NULL_CHAT)
  if hit + miss != prompt:
   raise UsageError(
    f"{where}: prompt_cache_hit_tokens {hit} + prompt_cache_miss_tokens {miss} != prompt_tokens {prompt}"
   )
 return hit


def _gemini(block: Any, where: str) -> Usage | None:
 block = _object_or_none(block, where)
 return None if block is None else _gemini_usage(block, where)


def _gemini_usage(block: Mapping, where: str) -> Usage:
 up_to_check, after_check = (_gemini_paths(block, keys) for keys in _GEMINI_KEYS)
 counts = _read_counts(block, up_to_check, where, _NOT_NULL_GEMINI)
 if counts["cached"] > counts["prompt"]:
  raise UsageError(f"{where}: cachedContentTokenCount {counts['cached']} exceeds promptTokenCount {counts['prompt']}")
 counts.update(_read_counts(block, after_check, where, _NOT_NULL_GEMINI))
 return _build(
  where,
  input_tokens=counts["prompt"] + counts["tool_use_prompt"],
  output_tokens=counts["candidates"] + counts["thoughts"],
  cache_read_tokens=counts["cached"],
  reasoning_tokens=counts["thoughts"],
 )


def _gemini_paths(block: Mapping, keys: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str]]:
 # A block spells each key one way; the camelCase one wins when both are there.
 return {name: (camel if camel in block else snake,) for name, (camel, snake) in keys.items()}


def _usage_from_stream(events: list[Any], hint: str | None) -> Usage | None:
 """Streams: Anthropic merges message_start with the last cumulative message_delta; the others
 report cumulative (Gemini) or final (OpenAI) usage, so the last event that has usage wins. Never a sum."""
 stream = _StreamUsage(hint)
 for index, event in enumerate(events):
  stream.read(event, f"stream[{index}]")
 return stream.usage()


class _StreamUsage:
 """What a stream has reported so far: Anthropic's start and last delta, and the others' last usage."""

 def __init__(self, hint: str | None) -> None:
  self.hint = hint
  self.anthropic_start: Usage | None = None
  self.anthropic_delta: Mapping | None = None
  self.anthropic_delta_where = ""
  self.last: Usage | None = None

 def read(self, event: Any, where: str) -> None:
  if event is None:
   return
  if not isinstance(event, Mapping):
   raise UsageError(f"{where}: expected a JSON object, got {type(event).__name__}")
  kind = event.get("type")
  if kind == "message_start":
   self.anthropic_start = _usage_from_payload(event, "anthropic", where)
  elif kind == "message_delta":
   self._read_anthropic_delta(event, where)
  else:
   self.last = _usage_from_payload(event, self.hint, where) or self.last

 def _read_anthropic_delta(self, event: Mapping, where: str) -> None:
  delta = _object_or_none(event.get("usage"), f"{where}.usage")
  if delta is not None:
   self.anthropic_delta, self.anthropic_delta_where = delta, f"{where}.usage"

 def usage(self) -> Usage | None:
  if self.anthropic_start is not None or self.anthropic_delta is not None:
   return _merge_anthropic(self.anthropic_start, self.anthropic_delta, self.anthropic_delta_where)
  return self.last


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
