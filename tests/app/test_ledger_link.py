"""The app's calls reach the ledger as they happen, history figures come back, the local API serves the
live session; all with the real controller, engine, SQLite and HTTP."""

import dataclasses
import io
import json
import urllib.request

from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.headless import EXIT_DONE, run_headless
from mma_conductor.app.ledger_link import connect_ledger, session_json
from mma_conductor.app.project_config import load_project_config
from mma_conductor.engine.config import SimulatedConfig
from mma_conductor.ledger.queries import all_time, count_calls
from mma_conductor.ledger.reports import run_totals, runs, sessions
from mma_conductor.ledger.store import Ledger


def controller_for(tmp_path, **sim):
 # These tests run on the simulated provider, so they ask the ledger to record its calls too.
 settings = tmp_path / "mma_conductor.toml"
 if not settings.exists():
  settings.write_text("[ledger]\nrecord_simulated = true\n")
 config = load_project_config(tmp_path)
 config = dataclasses.replace(config, simulated=SimulatedConfig(seed=9, latency_ms=0, reject_rate=0.0, **sim))
 return AppController(tmp_path, config=config)


def test_every_call_and_the_run_reach_the_ledger_and_history_comes_back(tmp_path):
 controller = controller_for(tmp_path)
 link, server = connect_ledger(controller, tmp_path)
 assert link is not None and server is None
 track = controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 assert wait_for(controller, lambda: controller.history is not None and controller.history.all_time.calls > 0)
 snap = controller.session()
 assert wait_for(controller, lambda: controller.history.all_time.calls == snap.total.calls)
 controller.shutdown()
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 assert count_calls(ledger) == len(controller.call_log) == snap.total.calls
 assert all_time(ledger).cost_units == snap.total.cost_units
 assert controller.history.all_time.cost_units == snap.total.cost_units
 assert controller.history.today.cost_units == snap.total.cost_units
 run = run_totals(ledger, track.id)
 assert run is not None and run.status == controller.track_status
 assert run.figures.cost_units == snap.total.cost_units


def test_reset_session_keeps_the_old_session_in_history(tmp_path):
 controller = controller_for(tmp_path)
 connect_ledger(controller, tmp_path)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30)
 first = controller.session()
 controller.reset_session()
 controller.start_track("Build a parser")
 assert controller.wait_idle(30)
 second = controller.session()
 controller.shutdown()
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 stored = {s.session_id: s.figures.cost_units for s in sessions(ledger)}
 assert stored == {first.session_id: first.total.cost_units, second.session_id: second.total.cost_units}
 assert all_time(ledger).cost_units == first.total.cost_units + second.total.cost_units


def test_a_bad_ledger_setting_is_reported_and_the_run_goes_on(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text("[ledger]\napi_port = 0\n")
 controller = controller_for(tmp_path)
 link, server = connect_ledger(controller, tmp_path)
 assert link is None and server is None
 controller.drain_pending()
 assert controller.ledger_problem.startswith("off: ") and "ledger.api_port" in controller.ledger_problem
 assert any("cost history is off:" in e.message for e in controller.log)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30) and controller.track_status == "done"


def test_local_api_on_a_configured_port(tmp_path):
 import socket

 with socket.socket() as probe:
  probe.bind(("127.0.0.1", 0))
  port = probe.getsockname()[1]
 (tmp_path / "mma_conductor.toml").write_text(f"[ledger]\napi_port = {port}\nrecord_simulated = true\n")
 controller = controller_for(tmp_path)
 _link, server = connect_ledger(controller, tmp_path)
 try:
  assert server is not None and server.server_address[0] == "127.0.0.1"
  controller.start_track("Build a word counter")
  assert controller.wait_idle(30)
  with urllib.request.urlopen(f"http://127.0.0.1:{port}/session", timeout=5) as response:
   live = json.loads(response.read())
  assert live == json.loads(json.dumps(session_json(controller.session())))
  snap = controller.session()
  assert live["total_cost_usd"].startswith(str(snap.total.cost_units // 10**15))
  assert set(live["by_tier"]) == {"Tier 1", "Tier 2", "Tier 3", "Tier 4"}
  assert set(live["by_agent"]) == {"orchestrator", "tech-lead", "worker", "qa"}
  assert live["total_cost_dollars"].startswith("$")
 finally:
  server.close()
  controller.shutdown()


def test_a_corrupt_ledger_is_reported_untouched_and_the_run_goes_on(tmp_path, monkeypatch):
 bad = tmp_path / "data" / "ledger.sqlite3"
 bad.parent.mkdir()
 bad.write_bytes(b"this is not a database" * 100)
 before = bad.read_bytes()
 monkeypatch.setenv("MMA_CONDUCTOR_DATA_DIR", str(bad.parent))
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nlatency_ms = 0\n")
 out = io.StringIO()
 assert run_headless("Build a word counter", tmp_path, out=out) == EXIT_DONE
 assert bad.read_bytes() == before
 assert f"cost history is off: {bad}" in out.getvalue()


def test_headless_runs_write_history_and_milestones(tmp_path, monkeypatch):
 (tmp_path / "mma_conductor.toml").write_text(
  '[simulated]\nlatency_ms = 0\n[tiers.tier3]\nprovider = "simulated"\nmodel = "o1-pro"\n'
  "[ledger]\nrecord_simulated = true\n"
 )
 out = io.StringIO()
 assert run_headless("Build a big thing in 12 tickets", tmp_path, out=out) in (0, 3)
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 total = all_time(ledger).cost_units
 assert total > 10**15  # o1-pro's output price makes this run cost more than a dollar
 log = ledger.milestone_log_path.read_text()
 assert "First dollar spent! Total: $1.00" in log
 assert "First dollar spent!" in out.getvalue()


def test_read_only_disk_is_reported_and_the_app_keeps_running(tmp_path, monkeypatch):
 from real_disks import remount, tmpfs

 with tmpfs("16m") as disk:
  monkeypatch.setenv("MMA_CONDUCTOR_DATA_DIR", str(disk))
  Ledger.open(project_dir=tmp_path).close()
  remount(disk, "ro")
  controller = controller_for(tmp_path)
  connect_ledger(controller, tmp_path)
  controller.start_track("Build a word counter")
  assert controller.wait_idle(30)
  assert wait_for(controller, lambda: "read-only" in controller.ledger_problem)
  assert controller.track_status == "done"
  remount(disk, "rw")
  controller.shutdown()


def test_the_providers_own_usage_is_kept_with_each_call(tmp_path, monkeypatch, provider_server, clean_provider_env):
 from provider_servers import openai_stream_frames, sse_reply

 from mma_conductor.engine.config import TierConfig
 from mma_conductor.ledger.queries import list_calls

 usage = {
  "prompt_tokens": 90,
  "completion_tokens": 12,
  "total_tokens": 102,
  "prompt_tokens_details": {"cached_tokens": 64},
 }
 plan = json.dumps([{"id": "T1", "title": "Count", "depends_on": []}])
 for index, text in enumerate((plan, "Brief", "Work", "APPROVE")):
  frames = openai_stream_frames([text], model="gpt-4o-mini", usage=usage, completion_id=f"chatcmpl-{index}")
  provider_server.enqueue(sse_reply(frames))
 monkeypatch.setenv("OPENAI_API_KEY", "sk-test-raw-usage-000000")
 monkeypatch.setenv("OPENAI_BASE_URL", provider_server.base_url + "/v1")
 config = load_project_config(tmp_path)
 config = dataclasses.replace(config, tiers={t: TierConfig("openai", "gpt-4o-mini") for t in config.tiers})
 controller = AppController(tmp_path, config=config)
 connect_ledger(controller, tmp_path)
 controller.start_track("Count words")
 assert controller.wait_idle(30) and controller.track_status == "done"
 controller.shutdown()
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 records = list_calls(ledger)
 assert len(records) == 4
 for record in records:
  stored = record.as_dict()["raw_usage"]
  assert stored == [usage]


def test_simulated_calls_stay_out_of_the_ledger_by_default(tmp_path):
 (tmp_path / "mma_conductor.toml").write_text("[simulated]\nlatency_ms = 0\n")
 controller = AppController(tmp_path)
 link, _ = connect_ledger(controller, tmp_path)
 assert link is not None and not link.record_simulated
 controller.start_track("Build a word counter")
 assert controller.wait_idle(30) and controller.session().total.calls > 0
 controller.shutdown()
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 assert count_calls(ledger) == 0 and all_time(ledger).cost_units == 0
 assert runs(ledger) == []
 assert not ledger.milestone_log_path.exists() or ledger.milestone_log_path.read_text() == ""


def test_two_providers_calls_with_one_request_id_keep_the_session_equal_to_the_ledger(tmp_path):
 from mma_conductor.engine.events import CallRecord
 from mma_conductor.pricing.usage import Usage

 controller = controller_for(tmp_path)
 connect_ledger(controller, tmp_path)
 at = 1_767_571_200.0
 records = [
  CallRecord(
   controller.costs.session_id,
   "t1",
   "T1",
   "Tier 3",
   "worker",
   provider,
   model,
   Usage(1000, 100),
   None,
   1.0,
   "req_0001",
   "success",
   timestamp=at,
  )
  for provider, model in (("openai", "gpt-4o"), ("anthropic", "claude-haiku-4-5"))
 ]
 for record in (*records, records[0]):  # the OpenAI call is delivered twice: it counts once
  controller.post(record)
 controller.drain_pending()
 snap = controller.session()
 controller.shutdown()
 ledger = Ledger.open(project_dir=tmp_path, create=False)
 assert snap.total.calls == count_calls(ledger) == 2
 assert all_time(ledger).cost_units == snap.total.cost_units > 0
