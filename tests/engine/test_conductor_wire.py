"""The conductor with a real provider SDK (OpenAI's) against the loopback server: plan retries, auth errors,
and API keys never reaching logs, records or files."""

import dataclasses
import io
import json
import logging
from pathlib import Path

import pytest
from provider_servers import json_reply, openai_error, openai_stream_frames, sse_reply

from mma_conductor.app.controller import AppController
from mma_conductor.app.headless import EXIT_DONE, EXIT_ERROR, run_headless
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import TierConfig

KEY = "sk-test-SECRET-0123456789abcdef"
MODEL = "gpt-4o-mini"
USAGE = {
 "prompt_tokens": 120,
 "completion_tokens": 30,
 "total_tokens": 150,
 "prompt_tokens_details": {"cached_tokens": 0},
}


_ids = iter(range(1, 1_000))


def reply(text: str):
 completion_id = f"chatcmpl-{next(_ids)}"
 return sse_reply(openai_stream_frames([text], model=MODEL + "-2024-07-18", usage=USAGE, completion_id=completion_id))


@pytest.fixture
def openai_project(tmp_path, monkeypatch, provider_server, clean_provider_env, loopback_only):
 monkeypatch.setenv("OPENAI_API_KEY", KEY)
 monkeypatch.setenv("OPENAI_BASE_URL", provider_server.base_url + "/v1")
 monkeypatch.setenv("MMA_CONDUCTOR_CONFIG_DIR", str(tmp_path / "config"))
 config = load_project_config(tmp_path)
 tiers = {tier: TierConfig("openai", MODEL) for tier in config.tiers}
 return dataclasses.replace(config, tiers=tiers, max_retries=0), provider_server


PLAN = json.dumps([{"id": "T1", "title": "Count words", "description": "a tiny counter", "depends_on": []}])


def test_a_malformed_plan_is_retried_once_then_the_track_runs(openai_project):
 config, server = openai_project
 server.enqueue(
  reply("Sure! Here are some ideas."), reply(PLAN), reply("Brief"), reply("def count(): ..."), reply("APPROVE")
 )
 controller = AppController(config.project_dir, config=config)
 out = io.StringIO()
 assert run_headless("Count words", config.project_dir, out=out, controller=controller) == EXIT_DONE
 tier1 = [r for r in controller.call_log if r.tier == "Tier 1"]
 assert len(tier1) == 2
 assert any("plan was malformed (no JSON array in the answer); asking once more" in e.message for e in controller.log)
 second_prompt = server.requests[1].body["messages"][-1]["content"]
 assert "could not be used: no JSON array in the answer" in second_prompt
 # priced at the model the API reported (a dated snapshot), which resolves to gpt-4o-mini's price
 assert {r.model for r in controller.call_log} == {MODEL + "-2024-07-18"}
 assert controller.session().total.cost_units == 5 * (120 * 150_000_000 + 30 * 600_000_000)


def test_a_plan_malformed_twice_ends_the_track_with_a_clear_error(openai_project):
 config, server = openai_project
 server.enqueue(reply("[not json"), reply('[{"id": "A", "title": "x", "depends_on": ["A"]}]'))
 controller = AppController(config.project_dir, config=config)
 out = io.StringIO()
 assert run_headless("Count words", config.project_dir, out=out, controller=controller) == EXIT_ERROR
 assert controller.track_status == "error"
 assert "Tier 1 could not produce a usable plan: dependency cycle: A -> A" in controller.track_message
 assert controller.session().total.calls == 2  # both plans were billed and counted


def test_bad_credentials_end_the_track_once_and_the_key_goes_nowhere(openai_project, caplog, tmp_path):
 config, server = openai_project
 body = openai_error(f"Incorrect API key provided: {KEY}.", "invalid_request_error", "invalid_api_key")
 server.enqueue(json_reply(body, status=401))
 caplog.set_level(logging.DEBUG)
 controller = AppController(config.project_dir, config=config)
 out = io.StringIO()
 assert run_headless("Count words", config.project_dir, out=out, controller=controller) == EXIT_ERROR
 assert controller.track_status == "error"
 errors = [e for e in controller.log if e.level == "error"]
 assert len(errors) == 1 and ("auth" in errors[0].message.lower() or "401" in errors[0].message)
 failed = [r for r in controller.call_log if r.status == "failed"]
 assert len(failed) == 1 and failed[0].usage is None
 assert len(server.requests) == 1  # auth errors are not retried
 texts = [out.getvalue(), caplog.text, controller.track_message, *(e.message for e in controller.log)]
 texts += [r.error for r in controller.call_log]
 texts += [p.read_text(errors="replace") for p in Path(config.project_dir).rglob("*") if p.is_file()]
 for text in texts:
  assert KEY not in text and KEY[-12:] not in text


def test_keys_file_is_used_and_a_broken_one_is_reported_without_its_content(openai_project, monkeypatch, tmp_path):
 config, server = openai_project
 monkeypatch.delenv("OPENAI_API_KEY")
 keys = tmp_path / "config" / "keys.toml"
 keys.parent.mkdir(parents=True, exist_ok=True)
 keys.write_text(f'[openai]\napi_key = "{KEY}"\n')
 server.enqueue(reply(PLAN), reply("Brief"), reply("work"), reply("APPROVE"))
 controller = AppController(config.project_dir, config=config)
 assert run_headless("Count words", config.project_dir, out=io.StringIO(), controller=controller) == EXIT_DONE
 assert {k.lower(): v for k, v in server.requests[0].headers.items()}["authorization"] == f"Bearer {KEY}"
 keys.write_text(f'openai = "{KEY}\n')
 controller = AppController(config.project_dir, config=config)
 out = io.StringIO()
 assert run_headless("Count words", config.project_dir, out=out, controller=controller) == EXIT_ERROR
 assert str(keys) in controller.track_message and "invalid TOML" in controller.track_message
 assert KEY not in controller.track_message and KEY not in out.getvalue()
