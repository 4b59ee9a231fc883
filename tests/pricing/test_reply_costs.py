"""Every billable dimension of a reply, on real reply shapes: each payload is taken from the provider's docs or
SDK types named beside it (the counts are the docs' own unless the test says why it changes one)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mma_conductor import cost_tracker
from mma_conductor.pricing.book import PriceBook
from mma_conductor.pricing.lines import lines_units, reply_cost_lines
from mma_conductor.pricing.money import UNITS_PER_USD
from mma_conductor.pricing.reply import read_reply
from mma_conductor.pricing.usage import UsageError, usage_from_response

BOOK = PriceBook()


def lines_of(payload, provider=None, model=None):
 return reply_cost_lines(BOOK, read_reply(payload, provider), model)


def items(lines):
 return {line.item: (line.quantity, line.units) for line in lines}


def usd(units):
 return Decimal(units) / UNITS_PER_USD


# 1. Server-side tool fees ---------------------------------------------------------------------------------------

# docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool, "Response" example.
ANTHROPIC_WEB_SEARCH = {
 "role": "assistant",
 "type": "message",
 "model": "claude-sonnet-4-5",
 "content": [{"type": "text", "text": "..."}],
 "usage": {"input_tokens": 6039, "output_tokens": 931, "server_tool_use": {"web_search_requests": 1}},
}


def test_anthropic_web_search_is_a_fee_line_at_10_dollars_per_thousand():
 lines = lines_of(ANTHROPIC_WEB_SEARCH)
 assert items(lines)["web_search"] == (1, 10 * UNITS_PER_USD // 1000)
 tokens = 6039 * 3 + 931 * 15  # $ per 1M: $3 in, $15 out
 assert usd(lines_units(lines)) == Decimal(tokens) / 10**6 + Decimal("0.01")
 assert cost_tracker.response_cost(ANTHROPIC_WEB_SEARCH) == pytest.approx(float(usd(lines_units(lines))))


# platform.openai.com/docs/guides/tools-web-search (Responses API): a web_search_call output item per search; the
# response echoes the tools asked for. Usage block shape: openai-python types/responses/response_usage.py.
def openai_search_response(model, tool):
 return {
  "id": "resp_67ccf18ef5fc8190b16dbee19bc54e5f087bb177ab789d5c",
  "object": "response",
  "created_at": 1741484430,
  "model": model,
  "output": [
   {"type": "web_search_call", "id": "ws_67ccf18f64008190a39b619f4c8455ef087bb177ab789d5c", "status": "completed"},
   {"type": "message", "id": "msg_67ccf190ca3881909d433c50b1f6357e087bb177ab789d5c", "role": "assistant"},
  ],
  "tools": [{"type": tool, "search_context_size": "medium"}],
  "usage": {
   "input_tokens": 328,
   "input_tokens_details": {"cached_tokens": 0},
   "output_tokens": 356,
   "output_tokens_details": {"reasoning_tokens": 0},
   "total_tokens": 684,
  },
 }


@pytest.mark.parametrize(
 ("model", "tool", "per_thousand"),
 [("gpt-4o", "web_search_preview", 25), ("gpt-5", "web_search_preview", 10), ("gpt-4o", "web_search", 10)],
)
def test_openai_web_search_call_fee_depends_on_model_and_tool(model, tool, per_thousand):
 lines = lines_of(openai_search_response(model, tool))
 assert items(lines)["web_search"] == (1, per_thousand * UNITS_PER_USD // 1000)


# ai.google.dev/gemini-api/docs/google-search, response example: groundingMetadata.webSearchQueries.
def gemini_grounded(model, queries):
 return {
  "candidates": [
   {
    "content": {"parts": [{"text": "Spain won Euro 2024..."}], "role": "model"},
    "groundingMetadata": {"webSearchQueries": queries, "searchEntryPoint": {"renderedContent": "..."}},
   }
  ],
  "usageMetadata": {"promptTokenCount": 14, "candidatesTokenCount": 161, "totalTokenCount": 175},
  "modelVersion": model,
 }


def test_gemini_2_5_grounding_bills_the_grounded_prompt_once():
 lines = lines_of(gemini_grounded("gemini-2.5-flash", ["UEFA Euro 2024 winner", "who won euro 2024"]))
 assert items(lines)["grounded_prompts"] == (1, 35 * UNITS_PER_USD // 1000)


def test_gemini_3_grounding_bills_each_search_query():
 lines = lines_of(gemini_grounded("gemini-3-pro-preview", ["UEFA Euro 2024 winner", "who won euro 2024"]))
 assert items(lines)["search_queries"] == (2, 2 * 14 * UNITS_PER_USD // 1000)


def test_a_reply_without_grounding_has_no_fee_line():
 assert set(items(lines_of(gemini_grounded("gemini-2.5-flash", [])))) == {"input", "output"}


# 2. Batch and service tiers -------------------------------------------------------------------------------------

# platform.openai.com/docs/guides/batch, "Retrieving the results" output line.
OPENAI_BATCH_LINE = {
 "id": "batch_req_123",
 "custom_id": "request-2",
 "response": {
  "status_code": 200,
  "request_id": "req_123",
  "body": {
   "id": "chatcmpl-123",
   "object": "chat.completion",
   "created": 1711652795,
   "model": "gpt-4o-mini",
   "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "finish_reason": "stop"}],
   "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24},
   "system_fingerprint": "fp_123",
  },
 },
 "error": None,
}

# docs.claude.com/en/docs/build-with-claude/batch-processing, "Retrieving batch results" (.jsonl lines).
ANTHROPIC_BATCH_LINES = [
 {
  "custom_id": "my-second-request",
  "result": {
   "type": "succeeded",
   "message": {
    "id": "msg_014VwiXbi91y3JMjcpyGBHX5",
    "type": "message",
    "role": "assistant",
    "model": "claude-3-5-sonnet-20240620",
    "content": [{"type": "text", "text": "Hello again! It's nice to see you."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 11, "output_tokens": 36},
   },
  },
 },
 {
  "custom_id": "my-first-request",
  "result": {"type": "errored", "error": {"type": "invalid_request", "message": "Validation error ..."}},
 },
]


def test_openai_batch_output_line_is_read_and_billed_at_half_price():
 lines = lines_of(OPENAI_BATCH_LINE)
 assert usage_from_response(OPENAI_BATCH_LINE).input_tokens == 22
 assert lines_units(lines) == (22 * 150_000_000 + 2 * 600_000_000) // 2  # gpt-4o-mini $0.15 / $0.60
 assert all("batch" in line.note for line in lines)


def test_anthropic_batch_result_is_billed_at_half_price_and_an_errored_one_is_not_billed():
 succeeded, errored = ANTHROPIC_BATCH_LINES
 assert lines_units(lines_of(succeeded)) == (11 * 3 + 36 * 15) * 10**9 // 2
 assert read_reply(errored) is None and cost_tracker.response_cost(errored) == 0.0


# ai.google.dev/gemini-api/docs/batch-mode: each output line is {"key": ..., "response": GenerateContentResponse}.
def test_gemini_batch_line_is_billed_at_half_price():
 line = {"key": "request-1", "response": gemini_grounded("gemini-2.5-flash", [])}
 assert lines_units(lines_of(line)) == (14 * 300_000_000 + 161 * 2_500_000_000) // 2


def chat(model, service_tier, prompt=1000, completion=100):
 # openai-python types/chat/chat_completion.py: service_tier is the tier that served the request.
 return {
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": model,
  "service_tier": service_tier,
  "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
 }


def test_openai_reported_service_tier_wins_flex_half_priority_its_own_rate():
 assert lines_units(lines_of(chat("gpt-5", "flex"))) == (1000 * 1_250_000_000 + 100 * 10_000_000_000) // 2
 assert lines_units(lines_of(chat("gpt-5", "priority"))) == 1000 * 2_500_000_000 + 100 * 20_000_000_000
 assert lines_units(lines_of(chat("gpt-5", "default"))) == 1000 * 1_250_000_000 + 100 * 10_000_000_000


def test_anthropic_usage_service_tier_batch_and_vertex_flex_are_half_price():
 # anthropic-sdk-python types/usage.py: service_tier Literal["standard", "priority", "batch"].
 anthropic = {"type": "message", "model": "claude-haiku-4-5", "usage": {"input_tokens": 1000, "output_tokens": 10}}
 anthropic["usage"]["service_tier"] = "batch"
 assert lines_units(lines_of(anthropic)) == (1000 * 1 + 10 * 5) * 10**9 // 2
 # Vertex GenerateContentResponse.UsageMetadata.trafficType ON_DEMAND_FLEX (Flex PayGo, 50% off).
 vertex = gemini_grounded("gemini-2.5-flash", [])
 vertex["usageMetadata"]["trafficType"] = "ON_DEMAND_FLEX"
 assert lines_units(lines_of(vertex)) == (14 * 300_000_000 + 161 * 2_500_000_000) // 2


def test_anthropic_us_inference_geo_costs_1_1x():
 # docs.claude.com/en/docs/build-with-claude/data-residency: the usage object reports inference_geo.
 reply = {"type": "message", "model": "claude-opus-4-6", "usage": {"input_tokens": 25, "output_tokens": 150}}
 plain = lines_units(lines_of(reply))
 reply["usage"]["inference_geo"] = "us"
 assert lines_units(lines_of(reply)) * 10 == plain * 11


def deepseek_reply(created):
 # api-docs.deepseek.com/api/create-chat-completion: `created` is the Unix time of the completion.
 return {
  "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
  "object": "chat.completion",
  "created": created,
  "model": "deepseek-chat",
  "usage": {
   "prompt_tokens": 1000,
   "completion_tokens": 100,
   "total_tokens": 1100,
   "prompt_cache_hit_tokens": 600,
   "prompt_cache_miss_tokens": 400,
  },
 }


def test_deepseek_off_peak_is_priced_by_the_reply_timestamp_not_the_clock():
 peak = int(datetime(2025, 6, 2, 12, 0, tzinfo=UTC).timestamp())
 off_peak = int(datetime(2025, 6, 2, 17, 0, tzinfo=UTC).timestamp())
 after_change = int(datetime(2025, 10, 1, 17, 0, tzinfo=UTC).timestamp())
 assert lines_units(lines_of(deepseek_reply(peak))) == (400 * 270 + 600 * 70 + 100 * 1100) * 10**6
 assert lines_units(lines_of(deepseek_reply(off_peak))) == (400 * 135 + 600 * 35 + 100 * 550) * 10**6
 assert lines_units(lines_of(deepseek_reply(after_change))) == (400 * 280 + 600 * 28 + 100 * 420) * 10**6


def test_a_user_override_of_deepseek_is_not_replaced_by_history():
 from mma_conductor.pricing.prices import ModelPrice

 book = PriceBook({"deepseek-chat": ModelPrice(Decimal(1), Decimal(2), provider="deepseek")})
 off_peak = int(datetime(2025, 6, 2, 17, 0, tzinfo=UTC).timestamp())
 assert lines_units(reply_cost_lines(book, read_reply(deepseek_reply(off_peak)))) == (1000 * 1 + 100 * 2) * 10**9


# 3. Modalities --------------------------------------------------------------------------------------------------


def test_openai_audio_tokens_at_audio_rates():
 # platform.openai.com/docs/guides/audio (gpt-4o-audio-preview chat completion usage example).
 reply = chat("gpt-4o-audio-preview", "default", prompt=17, completion=181)
 reply["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
 reply["usage"]["completion_tokens_details"] = {"reasoning_tokens": 0, "audio_tokens": 148}
 lines = items(lines_of(reply))
 assert lines["output_audio"] == (148, 148 * 80 * 10**9)
 assert lines["output"] == (33, 33 * 10 * 10**9)
 assert lines["input"] == (17, 17 * 2_500_000_000)


def test_gemini_audio_input_and_cached_audio_at_their_rates():
 # ai.google.dev/api/generate-content#UsageMetadata: promptTokensDetails / cacheTokensDetails ModalityTokenCount.
 reply = {
  "modelVersion": "gemini-2.5-flash",
  "usageMetadata": {
   "promptTokenCount": 1800,
   "cachedContentTokenCount": 1000,
   "candidatesTokenCount": 100,
   "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 600}, {"modality": "AUDIO", "tokenCount": 1200}],
   "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 200}, {"modality": "AUDIO", "tokenCount": 800}],
   "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 100}],
  },
 }
 lines = items(lines_of(reply))
 assert lines["input_audio"] == (400, 400 * 1000 * 10**6)
 assert lines["input"] == (400, 400 * 300 * 10**6)
 assert lines["cache_read_audio"] == (800, 800 * 100 * 10**6)
 assert lines["cache_read"] == (200, 200 * 30 * 10**6)


def test_gemini_image_output_tokens_at_the_image_rate():
 # ai.google.dev/gemini-api/docs/image-generation: candidatesTokensDetails lists IMAGE tokens (1290 per image).
 reply = {
  "modelVersion": "gemini-2.5-flash-image",
  "usageMetadata": {
   "promptTokenCount": 20,
   "candidatesTokenCount": 1300,
   "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}, {"modality": "TEXT", "tokenCount": 10}],
  },
 }
 lines = items(lines_of(reply))
 assert lines["output_image"] == (1290, 1290 * 30 * 10**9)
 assert lines["output"] == (10, 10 * 2_500_000_000)


def test_modality_counts_larger_than_their_whole_are_refused():
 reply = chat("gpt-4o-audio-preview", "default", prompt=17, completion=10)
 reply["usage"]["completion_tokens_details"] = {"audio_tokens": 148}
 with pytest.raises(UsageError, match="output audio tokens 148 exceed"):
  lines_of(reply)


# 4. Reply shapes ------------------------------------------------------------------------------------------------


def test_bedrock_converse_usage_with_cache_counts():
 # docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html and the prompt-caching guide:
 # for Claude, inputTokens leaves the cached tokens out and totalTokens counts them.
 reply = {
  "output": {"message": {"role": "assistant", "content": [{"text": "..."}]}},
  "stopReason": "end_turn",
  "usage": {
   "inputTokens": 4,
   "outputTokens": 261,
   "totalTokens": 2044,
   "cacheReadInputTokens": 1779,
   "cacheWriteInputTokens": 0,
  },
  "metrics": {"latencyMs": 4201},
 }
 usage = usage_from_response(reply)
 assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (1783, 1779, 261)
 model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
 assert lines_units(lines_of(reply, model=model)) == (4 * 3000 + 1779 * 300 + 261 * 15000) * 10**6
 reply["usage"]["totalTokens"] = 9
 with pytest.raises(UsageError, match="totalTokens"):
  usage_from_response(reply)


# docs.claude.com/en/docs/build-with-claude/compaction, "Compaction at a token threshold" response usage (the
# compaction step's tokens are not in the top-level fields: anthropic-sdk-python types/beta/beta_usage.py).
COMPACTED = {
 "type": "message",
 "model": "claude-sonnet-4-5",
 "usage": {
  "input_tokens": 23000,
  "output_tokens": 1000,
  "iterations": [
   {
    "type": "compaction",
    "input_tokens": 180000,
    "output_tokens": 3500,
    "cache_read_input_tokens": 0,
    "cache_creation_input_tokens": 0,
   },
   {
    "type": "message",
    "input_tokens": 23000,
    "output_tokens": 1000,
    "cache_read_input_tokens": 0,
    "cache_creation_input_tokens": 0,
   },
  ],
 },
}


def test_anthropic_iterations_each_step_in_its_own_context_tier():
 assert usage_from_response(COMPACTED).input_tokens == 203000  # the compaction step is billed too
 lines = lines_of(COMPACTED)
 # 203,000 summed would cross 200k and double the rates; each step is below it.
 assert lines_units(lines) == (180000 * 3 + 3500 * 15 + 23000 * 3 + 1000 * 15) * 10**9
 assert [line.note for line in lines][:1] == ["step 1 (compaction)"]


def test_anthropic_advisor_iteration_is_priced_at_its_own_model():
 reply = {
  "type": "message",
  "model": "claude-haiku-4-5",
  "usage": {
   "input_tokens": 1000,
   "output_tokens": 100,
   "iterations": [
    {
     "type": "message",
     "input_tokens": 1000,
     "output_tokens": 100,
     "cache_read_input_tokens": 0,
     "cache_creation_input_tokens": 0,
    },
    {
     "type": "advisor_message",
     "model": "claude-opus-4-5",
     "input_tokens": 2000,
     "output_tokens": 50,
     "cache_read_input_tokens": 0,
     "cache_creation_input_tokens": 0,
    },
   ],
  },
 }
 assert lines_units(lines_of(reply)) == (1000 * 1 + 100 * 5 + 2000 * 5 + 50 * 25) * 10**9


def test_gemini_openai_compatible_endpoint_thoughts_billed_as_output():
 # ai.google.dev/gemini-api/docs/openai: chat.completion shape; total_tokens counts the thoughts that
 # completion_tokens leaves out (shared/notes/provider-usage.md; litellm issue "gemini reasoning tokens").
 reply = chat("gemini-2.5-flash", None, prompt=9, completion=12)
 reply["usage"]["total_tokens"] = 1238
 usage = usage_from_response(reply)
 assert (usage.output_tokens, usage.reasoning_tokens) == (1229, 1217)
 assert lines_units(lines_of(reply)) == 9 * 300_000_000 + 1229 * 2_500_000_000
 openai = chat("gpt-4o", None, prompt=9, completion=12)
 openai["usage"]["total_tokens"] = 1238  # not Gemini: total is not read
 assert usage_from_response(openai).output_tokens == 12


# 5. Gateways ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
 ("name", "key"),
 [
  ("anthropic/claude-4.5-sonnet-20250929", "claude-sonnet-4-5"),
  ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
  ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet"),
  ("anthropic/claude-opus-4.1", "claude-opus-4-1"),
 ],
)
def test_openrouter_ids_resolve_to_the_model(name, key):
 assert PriceBook().look_up(name).matched == key


def test_openrouter_reported_cost_is_the_billed_figure_with_list_price_beside():
 # openrouter.ai/docs/use-cases/usage-accounting, response `usage` example (cost in USD credits).
 reply = {
  "id": "gen-1234",
  "model": "anthropic/claude-sonnet-4.5",
  "usage": {
   "completion_tokens": 2,
   "completion_tokens_details": {"reasoning_tokens": 0},
   "cost": 0.95,
   "cost_details": {"upstream_inference_cost": 19},
   "prompt_tokens": 194,
   "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
   "total_tokens": 196,
  },
 }
 lines = lines_of(reply)
 assert lines_units(lines) == 95 * UNITS_PER_USD // 100
 list_price = (194 * 3 + 2 * 15) * 10**9
 assert lines[-1].item == "gateway_difference" and lines[-1].units == 95 * UNITS_PER_USD // 100 - list_price
 assert "list price $0.000612" in lines[-1].note
 assert cost_tracker.response_cost(reply) == 0.95


@pytest.mark.parametrize("cost", [-1, float("nan"), "lots", 1e12])
def test_an_absurd_reported_cost_is_refused(cost):
 reply = {"model": "gpt-4o", "usage": {"prompt_tokens": 1, "completion_tokens": 1, "cost": cost}}
 with pytest.raises(UsageError, match=r"usage\.cost"):
  read_reply(reply)


# 6. Bounds and the public face ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10**12, -1])
def test_absurd_or_negative_request_counts_are_refused(count):
 reply = dict(
  ANTHROPIC_WEB_SEARCH, usage={**ANTHROPIC_WEB_SEARCH["usage"], "server_tool_use": {"web_search_requests": count}}
 )
 with pytest.raises(UsageError, match="web_search_requests"):
  read_reply(reply)


def test_null_server_tool_count_is_absent_not_a_fee():
 reply = dict(
  ANTHROPIC_WEB_SEARCH, usage={**ANTHROPIC_WEB_SEARCH["usage"], "server_tool_use": {"web_search_requests": None}}
 )
 assert "web_search" not in items(lines_of(reply))


def test_response_cost_model_argument_and_missing_model():
 bare = {"usage": {"prompt_tokens": 1000, "completion_tokens": 0}}
 assert cost_tracker.response_cost(bare, model="gpt-4o") == pytest.approx(0.0025)
 with pytest.raises(UsageError, match="names no model"):
  cost_tracker.response_cost(bare)


def test_response_cost_of_an_unpriced_model_is_zero_and_listed():
 reply = chat("gpt-4o-mni", "default")
 assert cost_tracker.response_cost_lines(reply) == [] and cost_tracker.response_cost(reply) == 0.0
 assert "gpt-4o-mni" in cost_tracker.unpriced_models()


def test_response_cost_lines_sum_to_response_cost_on_every_shape():
 shapes = [ANTHROPIC_WEB_SEARCH, OPENAI_BATCH_LINE, COMPACTED, openai_search_response("gpt-4o", "web_search")]
 for shape in shapes:
  lines = cost_tracker.response_cost_lines(shape)
  assert cost_tracker.response_cost(shape) == sum(line.units for line in lines) / UNITS_PER_USD
  assert all(line.as_dict()["units"] == line.units for line in lines)


def test_a_dataset_model_gets_its_audio_rates_from_the_dataset():
 # gpt-realtime is priced by the genai-prices dataset only: $4 text / $32 audio in, $16 / $64 out per 1M.
 reply = chat("gpt-realtime", "default", prompt=1000, completion=500)
 reply["usage"]["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 600}
 reply["usage"]["completion_tokens_details"] = {"audio_tokens": 400}
 lines = items(lines_of(reply))
 assert lines["input_audio"] == (600, 600 * 32 * 10**9) and lines["input"] == (400, 400 * 4 * 10**9)
 assert lines["output_audio"] == (400, 400 * 64 * 10**9) and lines["output"] == (100, 100 * 16 * 10**9)


def test_built_in_modality_rates_agree_with_the_dataset_where_it_has_them():
 from mma_conductor.pricing.charges import _DATASET_FIELDS, MODALITY_RATES
 from mma_conductor.pricing.dataset import dataset_raw_prices

 compared = 0
 for key, rates in MODALITY_RATES.items():
  raw = dataset_raw_prices(key) or {}
  for item, rate in rates.items():
   if _DATASET_FIELDS[item] in raw:
    assert raw[_DATASET_FIELDS[item]] == rate, (key, item)
    compared += 1
 assert compared >= 5
