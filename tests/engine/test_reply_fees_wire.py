"""Fees beyond tokens reach the session's figures through the real Anthropic SDK and the loopback server: a
stream whose message_delta reports server-side web searches (docs.claude.com/en/docs/build-with-claude/streaming,
"Web search tool" stream example: `usage.server_tool_use.web_search_requests` in message_delta)."""

import dataclasses
import json

from provider_servers import anthropic_stream_frames, sse_reply

from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import TierConfig
from mma_conductor.ledger.queries import list_calls
from mma_conductor.ledger.store import Ledger

MODEL = "claude-haiku-4-5"
START = {"input_tokens": 400, "output_tokens": 1}
FINAL = {"output_tokens": 50, "server_tool_use": {"web_search_requests": 2}}


def test_web_search_fees_are_lines_of_the_call_cost_in_session_and_ledger(
 tmp_path, monkeypatch, provider_server, clean_provider_env
):
 plan = json.dumps([{"id": "T1", "title": "Count", "depends_on": []}])
 for index, text in enumerate((plan, "Brief", "Work", "APPROVE")):
  frames = anthropic_stream_frames([text], model=MODEL, start_usage=START, final_usage=FINAL, message_id=f"msg_{index}")
  provider_server.enqueue(sse_reply(frames))
 monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-fees-000000")
 monkeypatch.setenv("ANTHROPIC_BASE_URL", provider_server.base_url)
 config = load_project_config(tmp_path)
 config = dataclasses.replace(config, tiers={t: TierConfig("anthropic", MODEL) for t in config.tiers})
 controller = AppController(tmp_path, config=config)
 connect_ledger(controller, tmp_path)
 controller.start_track("Count words")
 assert controller.wait_idle(30) and controller.track_status == "done"
 controller.shutdown()
 tokens = (400 * 1 + 50 * 5) * 10**9  # claude-haiku-4-5: $1 in, $5 out per 1M
 fees = 2 * 10 * 10**15 // 1000  # two searches at $10 per 1,000
 for record in controller.call_log:
  assert {line.item: line.units for line in record.cost_lines} == {
   "input": 400 * 10**9,
   "output": 250 * 10**9,
   "web_search": fees,
  }
  assert record.cost_units == tokens + fees
 assert controller.session().total.cost_units == 4 * (tokens + fees)
 stored = list_calls(Ledger.open(project_dir=tmp_path, create=False))
 assert [call.cost_units for call in stored] == [tokens + fees] * 4
 assert {call.as_dict()["fees_usd"] for call in stored} == {"0.020000000000000"}
 assert [line["item"] for line in stored[0].cost_lines] == ["input", "output", "web_search"]
