"""Counts that cannot be billed raise UsageError naming the field; the Usage dataclass itself."""

from __future__ import annotations

import copy
import dataclasses
import math

import pytest

from mma_conductor.pricing.usage import ZERO_USAGE, Usage, UsageError, usage_from_response

# shape -> (the response around the usage, the key that holds the usage, the usage)
SHAPES = {
 "anthropic": (
  {"type": "message", "role": "assistant", "content": []},
  "usage",
  {
   "input_tokens": 2095,
   "cache_creation_input_tokens": 1800,
   "cache_read_input_tokens": 12000,
   "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1500},
   "output_tokens": 503,
  },
 ),
 "chat": (
  {"object": "chat.completion", "choices": []},
  "usage",
  {
   "prompt_tokens": 1117,
   "completion_tokens": 46,
   "total_tokens": 1163,
   "prompt_tokens_details": {"cached_tokens": 1024},
   "completion_tokens_details": {"reasoning_tokens": 0},
  },
 ),
 "responses": (
  {"object": "response", "status": "completed", "output": []},
  "usage",
  {
   "input_tokens": 12033,
   "input_tokens_details": {"cached_tokens": 11904},
   "output_tokens": 844,
   "output_tokens_details": {"reasoning_tokens": 768},
   "total_tokens": 12877,
  },
 ),
 "deepseek": (
  {"object": "chat.completion", "model": "deepseek-chat", "choices": []},
  "usage",
  {
   "prompt_tokens": 1500,
   "completion_tokens": 900,
   "total_tokens": 2400,
   "prompt_cache_hit_tokens": 1280,
   "prompt_cache_miss_tokens": 220,
  },
 ),
 "gemini": (
  {"candidates": []},
  "usageMetadata",
  {
   "promptTokenCount": 12000,
   "candidatesTokenCount": 350,
   "cachedContentTokenCount": 8000,
   "thoughtsTokenCount": 1200,
   "totalTokenCount": 13550,
  },
 ),
}


def response(shape: str, **changes) -> dict:
 """A fresh response of `shape` whose usage has `changes` applied."""
 around, key, usage = copy.deepcopy(SHAPES[shape])
 return {**around, key: {**usage, **changes}}


def _without(payload: dict, key: str) -> dict:
 """`payload` whose usage lacks `key` (a field the provider did not send)."""
 payload["usage"].pop(key)
 return payload


# (shape, field) pairs covering a count of each provider that is read.
FIELDS = [
 ("anthropic", "input_tokens"),
 ("anthropic", "output_tokens"),
 ("anthropic", "cache_read_input_tokens"),
 ("anthropic", "cache_creation_input_tokens"),
 ("chat", "prompt_tokens"),
 ("chat", "completion_tokens"),
 ("responses", "input_tokens"),
 ("responses", "output_tokens"),
 ("deepseek", "prompt_cache_hit_tokens"),
 ("gemini", "promptTokenCount"),
 ("gemini", "candidatesTokenCount"),
 ("gemini", "thoughtsTokenCount"),
 ("gemini", "toolUsePromptTokenCount"),
]

BAD_VALUES = [
 pytest.param(-1, "must not be negative", id="negative"),
 pytest.param(-1.0, "must not be negative", id="negative-float"),
 pytest.param(True, "boolean", id="bool-true"),
 pytest.param(False, "boolean", id="bool-false"),
 pytest.param(math.nan, "finite", id="nan"),
 pytest.param(math.inf, "finite", id="inf"),
 pytest.param(-math.inf, "finite", id="-inf"),
 pytest.param("1117", "must be an integer, got str", id="string"),
 pytest.param(12.5, "whole number", id="fraction"),
 pytest.param([3], "must be an integer, got list", id="list"),
]

# Only a payload is one call; a Usage may be a sum of many (a session's totals), so it has no upper bound.
ABSURD_VALUES = [
 pytest.param(10**8 + 1, "absurd for one call", id="huge"),
 pytest.param(1e20, "absurd for one call", id="huge-float"),
 pytest.param(10**30, "absurd for one call", id="huger"),
]


@pytest.mark.parametrize(("shape", "field"), FIELDS)
@pytest.mark.parametrize(("value", "complaint"), BAD_VALUES + ABSURD_VALUES)
def test_bad_count_raises_naming_the_field(shape, field, value, complaint):
 with pytest.raises(UsageError, match=complaint) as caught:
  usage_from_response(response(shape, **{field: value}))
 assert f"response.{SHAPES[shape][1]}.{field}:" in str(caught.value)


@pytest.mark.parametrize(
 ("payload", "path"),
 [
  (response("chat", prompt_tokens_details={"cached_tokens": -3}), "response.usage.prompt_tokens_details.cached_tokens"),
  (response("chat", completion_tokens_details={"reasoning_tokens": "7"}), "completion_tokens_details.reasoning_tokens"),
  (
   response("responses", input_tokens_details={"cached_tokens": 1.5}),
   "response.usage.input_tokens_details.cached_tokens",
  ),
  (response("responses", output_tokens_details={"reasoning_tokens": True}), "output_tokens_details.reasoning_tokens"),
  (
   response("anthropic", cache_creation={"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": math.nan}),
   "response.usage.cache_creation.ephemeral_1h_input_tokens",
  ),
  (response("anthropic", output_tokens_details={"thinking_tokens": -1}), "output_tokens_details.thinking_tokens"),
 ],
)
def test_bad_nested_count_names_its_path(payload, path):
 with pytest.raises(UsageError) as caught:
  usage_from_response(payload)
 assert path in str(caught.value)


@pytest.mark.parametrize(
 ("payload", "path"),
 [
  (response("chat", prompt_tokens_details=5), "response.usage.prompt_tokens_details: expected an object"),
  (response("responses", output_tokens_details=[768]), "response.usage.output_tokens_details: expected an object"),
  (response("anthropic", cache_creation="1h"), "response.usage.cache_creation: expected an object"),
  ({"usage": [1117, 46]}, "response.usage: expected an object"),
  ({"usageMetadata": 13550}, "response.usageMetadata: expected an object"),
 ],
)
def test_detail_that_is_not_an_object_raises(payload, path):
 with pytest.raises(UsageError, match="expected an object") as caught:
  usage_from_response(payload)
 assert path in str(caught.value)


def test_whole_floats_are_accepted_as_counts():
 usage = usage_from_response(response("chat", prompt_tokens=1117.0, completion_tokens=46.0))
 assert usage == Usage(input_tokens=1117, output_tokens=46, cache_read_tokens=1024)
 assert type(usage.input_tokens) is int


def test_null_counts_are_zero():
 usage = usage_from_response(response("anthropic", cache_read_input_tokens=None, cache_creation=None))
 assert usage == Usage(input_tokens=2095 + 1800, output_tokens=503, cache_write_tokens=1800)


# Counts the provider documents as optional or nullable: null is absent (see usage.py's _NOT_NULL tables for sources).
NULLABLE = [
 ("anthropic", {"cache_read_input_tokens": None}),
 ("anthropic", {"cache_creation_input_tokens": None, "cache_creation": None}),
 ("chat", {"prompt_tokens_details": {"cached_tokens": None}}),
 ("chat", {"completion_tokens_details": {"reasoning_tokens": None}}),
 ("chat", {"prompt_tokens_details": None}),
 ("gemini", {"cachedContentTokenCount": None}),
 ("gemini", {"thoughtsTokenCount": None}),
 ("gemini", {"candidatesTokenCount": None}),
]

# Counts the provider documents as always an integer: null is an error naming the field, never a silent 0.
NOT_NULL = [
 ("anthropic", {"input_tokens": None}, "response.usage.input_tokens"),
 ("anthropic", {"output_tokens": None}, "response.usage.output_tokens"),
 (
  "anthropic",
  {"cache_creation": {"ephemeral_5m_input_tokens": None, "ephemeral_1h_input_tokens": 1500}},
  "response.usage.cache_creation.ephemeral_5m_input_tokens",
 ),
 ("chat", {"prompt_tokens": None}, "response.usage.prompt_tokens"),
 ("chat", {"completion_tokens": None}, "response.usage.completion_tokens"),
 ("responses", {"input_tokens": None}, "response.usage.input_tokens"),
 ("responses", {"output_tokens": None}, "response.usage.output_tokens"),
 ("responses", {"input_tokens_details": {"cached_tokens": None}}, "response.usage.input_tokens_details.cached_tokens"),
 (
  "responses",
  {"output_tokens_details": {"reasoning_tokens": None}},
  "response.usage.output_tokens_details.reasoning_tokens",
 ),
 ("deepseek", {"prompt_cache_hit_tokens": None}, "response.usage.prompt_cache_hit_tokens"),
 ("deepseek", {"prompt_cache_miss_tokens": None}, "response.usage.prompt_cache_miss_tokens"),
]


@pytest.mark.parametrize(("shape", "changes"), NULLABLE)
def test_a_documented_nullable_count_that_is_null_is_absent(shape, changes):
 around, key, usage = copy.deepcopy(SHAPES[shape])
 for name, value in changes.items():
  usage.pop(name, None) if value is None else usage.update({name: {}})
 assert usage_from_response(response(shape, **changes)) == usage_from_response({**around, key: usage})


@pytest.mark.parametrize(("shape", "changes", "path"), NOT_NULL)
def test_a_null_count_the_provider_always_reports_is_an_error_naming_it(shape, changes, path):
 with pytest.raises(UsageError, match="token count is null") as caught:
  usage_from_response(response(shape, **changes))
 assert str(caught.value).startswith(f"{path}: ")


# Parts larger than their whole --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
 ("payload", "message"),
 [
  (
   response("chat", prompt_tokens_details={"cached_tokens": 1118}),
   r"cached tokens \(read 1118 \+ write 0\) exceed prompt_tokens 1117",
  ),
  (
   response("chat", prompt_tokens_details={"cached_tokens": 1000, "cache_write_tokens": 200}),
   r"read 1000 \+ write 200\) exceed prompt_tokens 1117",
  ),
  (
   response("responses", input_tokens_details={"cached_tokens": 12034}),
   r"cached tokens \(read 12034 \+ write 0\) exceed input_tokens 12033",
  ),
  (response("gemini", cachedContentTokenCount=12001), "cachedContentTokenCount 12001 exceeds promptTokenCount 12000"),
  (
   _without(response("deepseek", prompt_cache_hit_tokens=1501), "prompt_cache_miss_tokens"),
   "exceed prompt_tokens 1500",
  ),
 ],
 ids=["chat-cached", "chat-cached+write", "responses-cached", "gemini-cached", "deepseek-hit"],
)
def test_cached_more_than_prompt_raises(payload, message):
 with pytest.raises(UsageError, match=message):
  usage_from_response(payload)


def test_anthropic_ttl_split_larger_than_the_writes_raises():
 payload = response("anthropic", cache_creation={"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 1501})
 with pytest.raises(UsageError, match=r"5m 300 \+ 1h 1501 exceed cache_creation_input_tokens 1800"):
  usage_from_response(payload)


def test_anthropic_ttl_split_smaller_than_the_writes_counts_the_rest_as_five_minute():
 payload = response("anthropic", cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1000})
 usage = usage_from_response(payload)
 assert (usage.cache_write_tokens, usage.cache_write_1h_tokens) == (1800, 1000)


@pytest.mark.parametrize(
 "payload",
 [
  response("chat", completion_tokens_details={"reasoning_tokens": 47}),
  response("responses", output_tokens_details={"reasoning_tokens": 845}),
  response("anthropic", output_tokens_details={"thinking_tokens": 504}),
 ],
 ids=["chat", "responses", "anthropic"],
)
def test_reasoning_more_than_output_raises(payload):
 with pytest.raises(UsageError, match=r"reasoning_tokens \d+ exceed output_tokens \d+"):
  usage_from_response(payload)


@pytest.mark.parametrize(("hit", "miss"), [(1280, 219), (1280, 221), (0, 0), (1500, 1)])
def test_deepseek_hit_plus_miss_must_equal_prompt(hit, miss):
 payload = response("deepseek", prompt_cache_hit_tokens=hit, prompt_cache_miss_tokens=miss)
 message = rf"prompt_cache_hit_tokens {hit} \+ prompt_cache_miss_tokens {miss} != prompt_tokens 1500"
 with pytest.raises(UsageError, match=message):
  usage_from_response(payload)


def test_anthropic_stream_delta_with_bad_usage_names_the_event():
 events = [
  {"type": "message_start", "message": {"type": "message", "usage": {"input_tokens": 25, "output_tokens": 1}}},
  {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": -15}},
 ]
 with pytest.raises(UsageError, match=r"stream\[1\]\.usage\.output_tokens: token count must not be negative"):
  usage_from_response(events)
 events[1]["usage"] = "15"
 with pytest.raises(UsageError, match=r"stream\[1\]\.usage: expected an object"):
  usage_from_response(events)


def test_gemini_stream_chunk_with_bad_usage_names_the_chunk():
 chunks = [response("gemini"), response("gemini", candidatesTokenCount=math.nan)]
 with pytest.raises(UsageError, match=r"stream\[1\]\.usageMetadata\.candidatesTokenCount"):
  usage_from_response(chunks)


def test_usage_error_is_a_value_error():
 assert issubclass(UsageError, ValueError)


# The Usage dataclass -------------------------------------------------------------------------------------------------

FIELD_NAMES = [f.name for f in dataclasses.fields(Usage)]


@pytest.mark.parametrize(("value", "complaint"), ABSURD_VALUES)
def test_usage_from_dict_of_one_call_rejects_absurd_counts(value, complaint):
 with pytest.raises(UsageError, match=complaint):
  Usage.from_dict({"input_tokens": value}, "calls.jsonl:3")
 assert Usage.from_dict({"input_tokens": 10**8}).input_tokens == 10**8


def test_default_usage_is_zero():
 assert Usage() == ZERO_USAGE
 assert all(getattr(Usage(), name) == 0 for name in FIELD_NAMES)
 assert FIELD_NAMES == [
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "reasoning_tokens",
 ]


@pytest.mark.parametrize("name", FIELD_NAMES)
@pytest.mark.parametrize(("value", "complaint"), BAD_VALUES)
def test_usage_rejects_bad_counts_naming_the_field(name, value, complaint):
 counts = {"input_tokens": 100, "output_tokens": 100}
 counts[name] = value
 with pytest.raises(UsageError, match=complaint) as caught:
  Usage(**counts)
 assert str(caught.value).startswith(f"{name}:")


@pytest.mark.parametrize(
 "name", ["cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens"]
)
def test_usage_rejects_a_negative_part_even_when_the_sums_look_fine(name):
 # A negative part would lower the bill: uncached input = input - read - write.
 with pytest.raises(UsageError, match=f"{name}: token count must not be negative"):
  Usage(input_tokens=10, output_tokens=10, **{name: -5})


def test_usage_converts_whole_floats_to_ints():
 usage = Usage(input_tokens=10.0, output_tokens=3.0)
 assert usage == Usage(10, 3)
 assert type(usage.input_tokens) is int and type(usage.output_tokens) is int


@pytest.mark.parametrize(
 ("counts", "message"),
 [
  (
   {"input_tokens": 100, "cache_read_tokens": 60, "cache_write_tokens": 41},
   r"read 60 \+ write 41\) exceed input_tokens 100",
  ),
  (
   {"input_tokens": 100, "cache_write_tokens": 40, "cache_write_1h_tokens": 41},
   "cache_write_1h_tokens 41 exceed cache_write_tokens 40",
  ),
  ({"output_tokens": 10, "reasoning_tokens": 11}, "reasoning_tokens 11 exceed output_tokens 10"),
 ],
)
def test_usage_rejects_parts_larger_than_their_whole(counts, message):
 with pytest.raises(UsageError, match=message):
  Usage(**counts)


def test_usage_accepts_parts_equal_to_their_whole():
 usage = Usage(
  input_tokens=100,
  output_tokens=10,
  cache_read_tokens=60,
  cache_write_tokens=40,
  cache_write_1h_tokens=40,
  reasoning_tokens=10,
 )
 assert usage.uncached_input_tokens == 0


def test_usage_is_frozen():
 with pytest.raises(dataclasses.FrozenInstanceError):
  Usage().input_tokens = 5  # type: ignore[misc]


def test_usage_totals():
 usage = Usage(input_tokens=15895, output_tokens=503, cache_read_tokens=12000, cache_write_tokens=1800)
 assert usage.total_tokens == 15895 + 503
 assert usage.uncached_input_tokens == 15895 - 12000 - 1800


def test_usage_addition_is_fieldwise():
 a = Usage(100, 20, 30, 40, 10, 5)
 b = Usage(1000, 200, 300, 400, 100, 50)
 assert a + b == Usage(1100, 220, 330, 440, 110, 55)
 assert b + a == a + b
 assert a + ZERO_USAGE == a
 assert sum([a, b, a], ZERO_USAGE) == Usage(1200, 240, 360, 480, 120, 60)


@pytest.mark.parametrize("other", [1, 0, None, {"input_tokens": 1}])
def test_usage_addition_with_something_else_is_a_type_error(other):
 with pytest.raises(TypeError):
  Usage(1, 1) + other


def test_to_dict_and_from_dict_round_trip():
 usage = Usage(15895, 503, 12000, 1800, 1500, 0)
 data = usage.to_dict()
 assert data == {
  "input_tokens": 15895,
  "output_tokens": 503,
  "cache_read_tokens": 12000,
  "cache_write_tokens": 1800,
  "cache_write_1h_tokens": 1500,
  "reasoning_tokens": 0,
 }
 assert Usage.from_dict(data) == usage


def test_from_dict_missing_counts_are_zero():
 assert Usage.from_dict({"input_tokens": 7}) == Usage(input_tokens=7)
 assert Usage.from_dict({}) == ZERO_USAGE


def test_from_dict_rejects_unknown_keys_naming_them():
 with pytest.raises(UsageError, match=r"history\.json: unknown usage field\(s\) cached_tokens, prompt_tokens"):
  Usage.from_dict({"input_tokens": 7, "prompt_tokens": 7, "cached_tokens": 1}, where="history.json")


@pytest.mark.parametrize(("value", "complaint"), BAD_VALUES)
def test_from_dict_bad_count_names_where_and_field(value, complaint):
 with pytest.raises(UsageError, match=complaint) as caught:
  Usage.from_dict({"input_tokens": 10, "output_tokens": value}, where="record 12")
 assert str(caught.value).startswith("record 12.output_tokens:")


def test_from_dict_checks_consistency():
 with pytest.raises(UsageError, match="reasoning_tokens 9 exceed output_tokens 8"):
  Usage.from_dict({"output_tokens": 8, "reasoning_tokens": 9})
