"""Stop in the middle of a streamed reply: the provider has billed the input (Anthropic's message_start carries it),
so the call is recorded, marked interrupted, in the session, the tier table and the ledger."""

import dataclasses
import json

import pytest
from provider_servers import anthropic_stream_frames, openai_stream_frames, sse_reply
from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import TierConfig
from mma_conductor.ledger.queries import list_calls
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.usage import Usage

MODEL = "claude-haiku-4-5"
# Usage blocks shaped as in Anthropic's streaming docs (docs.claude.com, "Streaming Messages": message_start
# carries input and cache counts and output_tokens 1; message_delta the cumulative output).
START = {"input_tokens": 1200, "output_tokens": 1, "cache_read_input_tokens": 800, "cache_creation_input_tokens": 0}
FINAL = {"output_tokens": 40}
PLAN = json.dumps([{"id": "T1", "title": "Count words", "description": "a tiny counter", "depends_on": []}])


@pytest.fixture
def anthropic_project(tmp_path, monkeypatch, provider_server, clean_provider_env, loopback_only):
 monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
 monkeypatch.setenv("ANTHROPIC_BASE_URL", provider_server.base_url)
 (tmp_path / "mma_conductor.toml").write_text("[ledger]\npath = 'ledger.sqlite3'\n")
 config = load_project_config(tmp_path)
 tiers = {tier: TierConfig("anthropic", MODEL) for tier in config.tiers}
 return dataclasses.replace(config, tiers=tiers, max_retries=0), provider_server


def frames(text: str, message_id: str) -> list[str]:
 return anthropic_stream_frames([text], model=MODEL, start_usage=START, final_usage=FINAL, message_id=message_id)


def test_stop_mid_stream_records_what_the_provider_billed_so_far(anthropic_project):
 config, server = anthropic_project
 # Tier 1 plans; Tier 2's brief stalls after message_start, its text block and one text delta.
 server.enqueue(sse_reply(frames(PLAN, "msg_plan")), sse_reply(frames("Write a", "msg_brief"), hold_after=4))
 controller = AppController(config.project_dir, config=config)
 connect_ledger(controller, config.project_dir, serve_api=False)
 controller.start_track("Count words")
 assert wait_for(controller, lambda: "".join(controller.tier_streams["Tier 2"].text) == "Write a")
 controller.stop()
 assert controller.wait_idle(30) and controller.track_status == "stopped"
 interrupted = [r for r in controller.call_log if r.tier == "Tier 2"]
 assert len(interrupted) == 1
 record = interrupted[0]
 assert record.status == "failed" and "interrupted" in record.error and record.request_id == "msg_brief"
 assert record.usage == Usage(input_tokens=2000, output_tokens=1, cache_read_tokens=800)
 assert record.cost_units and record.cost_units > 0
 session = controller.session()
 assert session.tier("Tier 2").cost_units == record.cost_units and session.tier("Tier 2").calls == 1
 assert session.total.cost_units == sum(r.cost_units for r in controller.call_log)
 controller.shutdown()
 ledger = Ledger.open(config.project_dir / "ledger.sqlite3", create=False)
 stored = [c for c in list_calls(ledger) if c.tier == "Tier 2"]
 ledger.close()
 assert len(stored) == 1 and stored[0].cost_units == record.cost_units and stored[0].status == "failed"


OPENAI_MODEL = "gpt-4o-mini"
# Chunk shapes as in OpenAI's streaming reference (platform.openai.com, "Chat Completions streaming"): with
# stream_options.include_usage the usage comes only in the last chunk, after the text.
OPENAI_USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}


@pytest.fixture
def openai_project(tmp_path, monkeypatch, provider_server, clean_provider_env, loopback_only):
 monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
 monkeypatch.setenv("OPENAI_BASE_URL", provider_server.base_url + "/v1")
 config = load_project_config(tmp_path)
 tiers = {tier: TierConfig("openai", OPENAI_MODEL) for tier in config.tiers}
 return dataclasses.replace(config, tiers=tiers, max_retries=0), provider_server


def test_stop_before_an_openai_stream_reported_its_usage_counts_an_unpriced_call(openai_project):
 config, server = openai_project
 plan = openai_stream_frames([PLAN], model=OPENAI_MODEL, usage=OPENAI_USAGE, completion_id="chatcmpl-plan")
 brief = openai_stream_frames(["Write a"], model=OPENAI_MODEL, usage=OPENAI_USAGE, completion_id="chatcmpl-brief")
 server.enqueue(sse_reply(plan), sse_reply(brief, hold_after=2))  # the role chunk and one text chunk, then nothing
 controller = AppController(config.project_dir, config=config)
 controller.start_track("Count words")
 assert wait_for(controller, lambda: "".join(controller.tier_streams["Tier 2"].text) == "Write a")
 controller.stop()
 assert controller.wait_idle(30) and controller.track_status == "stopped"
 (record,) = [r for r in controller.call_log if r.tier == "Tier 2"]
 assert record.usage is None and record.billed and "interrupted" in record.error
 tier2 = controller.session().tier("Tier 2")
 assert tier2.calls == 1 and tier2.unpriced_calls == 1 and tier2.cost_label == "unpriced"
 assert controller.session().total.cost_label.endswith(" + unpriced")
