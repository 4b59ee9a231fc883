"""Budget alerts delivered once per period: the GUI notification, the comms log, costs.log, a real command and a
real loopback webhook; across two controllers and two processes on one ledger; commands that hang or fail and
webhooks that fail or never answer never stop the conductor. Real engine (simulated provider), SQLite, processes."""

import http.server
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from mma_conductor.app.budget_alerts import AlertDelivered, BudgetAlertDelivery, post_alert_webhook
from mma_conductor.app.controller import AppController
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.engine.events import BudgetAlerted, LogEvent
from mma_conductor.ledger.budget_alerts import delivered_alerts
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.budget_guard import BudgetAlert
from mma_conductor.pricing.budgets import Budget, BudgetSettings
from mma_conductor.pricing.money import units_to_decimal

USD = 10**15
# Appends the MMA_BUDGET_* variables it was given, as one JSON line, to hits.jsonl in its working directory.
RECORDER = (
 "import json, os; open('hits.jsonl', 'a').write(json.dumps("
 "{k: v for k, v in os.environ.items() if k.startswith('MMA_BUDGET_')}) + chr(10))"
)


def python_command(script: str) -> str:
 return f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"


class Webhook:
 """A loopback HTTP server that records each POSTed JSON body and answers with `status`."""

 def __init__(self, status: int = 204) -> None:
  self.bodies: list[dict] = []
  hook = self

  class Handler(http.server.BaseHTTPRequestHandler):
   def do_POST(self) -> None:
    length = int(self.headers["Content-Length"])
    hook.bodies.append({"type": self.headers["Content-Type"], **json.loads(self.rfile.read(length))})
    self.send_response(status)
    self.send_header("Content-Length", "0")
    self.end_headers()

   def log_message(self, *args: object) -> None:
    pass

  self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
  self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"
  threading.Thread(target=self.server.serve_forever, daemon=True).start()

 def close(self) -> None:
  self.server.shutdown()
  self.server.server_close()


@pytest.fixture
def webhook(monkeypatch):
 for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
  monkeypatch.delenv(name, raising=False)
 hook = Webhook()
 yield hook
 hook.close()


def project(tmp_path: Path, *, command: str = "", webhook: str = "", timeout: float = 20) -> Path:
 """A project on the simulated provider whose ledger records it, with a daily budget that one run (~$0.0043)
 takes past 50% and past its limit: two alerts per run."""
 (tmp_path / "mma_conductor.toml").write_text(
  "[simulated]\nseed = 4\nlatency_ms = 0\nreject_rate = 0.0\n"
  '[ledger]\nrecord_simulated = true\npath = "ledger.sqlite3"\n'
  f"[budgets]\nalert_command = {json.dumps(command)}\nalert_webhook = {json.dumps(webhook)}\n"
  f"alert_timeout_s = {timeout}\n"
  '[[budgets.limits]]\nperiod = "daily"\nlimit_usd = 0.004\nalert_at = "50%"\naction = "warn"\n'
 )
 return tmp_path


def run_track(project_dir: Path) -> AppController:
 """A new controller (as a new app would start) runs one track to its end on the project's ledger."""
 controller = AppController(project_dir)
 connect_ledger(controller, project_dir, serve_api=False)
 controller.start_track("Build a word counter")
 assert controller.wait_idle(60)
 controller.shutdown()
 assert controller.track_status == "done"
 return controller


def alert_log(controller: AppController) -> list[str]:
 return [e.message for e in controller.log if e.message.startswith("budget alert: ")]


def hits(project_dir: Path) -> list[dict]:
 path = project_dir / "hits.jsonl"
 return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def costs_log_alerts(project_dir: Path) -> list[str]:
 path = project_dir / "costs.log"
 return [line for line in path.read_text().splitlines() if "Budget alert:" in line] if path.exists() else []


def usd(units: int) -> str:
 return f"{units_to_decimal(units).normalize():f}"


def test_each_alert_is_delivered_everywhere_once_and_a_second_app_on_the_ledger_repeats_none(tmp_path, webhook):
 project_dir = project(tmp_path, command=python_command(RECORDER), webhook=webhook.url)
 first = run_track(project_dir)
 notes = list(first.notifications)
 assert [(n.budget.key, n.threshold_pct) for n in notes] == [("daily", Decimal(50)), ("daily", Decimal(100))]
 messages = [n.message() for n in notes]
 assert messages[0].startswith("daily budget passed 50%: $0.00")
 assert messages[1].startswith("daily budget reached its limit: $0.00")
 assert [line.split(";")[0] for line in alert_log(first)] == [f"budget alert: {m.split(';')[0]}" for m in messages]
 assert all(" of $0.0040 used; resets in " in line for line in alert_log(first))
 expected = [
  {
   "MMA_BUDGET_KEY": "daily",
   "MMA_BUDGET_NAME": "daily budget",
   "MMA_BUDGET_THRESHOLD": threshold,
   "MMA_BUDGET_USED_USD": usd(note.used_units),
   "MMA_BUDGET_LIMIT_USD": "0.004",
  }
  for threshold, note in zip(("50", "100"), notes, strict=True)
 ]
 got = hits(project_dir)
 assert [{k: v for k, v in hit.items() if k != "MMA_BUDGET_MESSAGE"} for hit in got] == expected
 assert [hit["MMA_BUDGET_MESSAGE"].split(";")[0] for hit in got] == [m.split(";")[0] for m in messages]
 assert [body.pop("type") for body in webhook.bodies] == ["application/json"] * 2
 assert [{k: v for k, v in body.items() if k != "message"} for body in webhook.bodies] == [
  {"budget_key": "daily", "budget_name": "daily budget", "threshold": e["MMA_BUDGET_THRESHOLD"],
   "used_usd": e["MMA_BUDGET_USED_USD"], "limit_usd": "0.004"}
  for e in expected
 ]  # fmt: skip
 log_lines = costs_log_alerts(project_dir)
 assert [line.split(" ", 1)[1].rsplit("; period ", 1)[0] for line in log_lines] == [
  f"Budget alert: {m.split(';')[0]}" for m in messages
 ]
 assert not [e for e in first.log if e.level == "error"]

 second = run_track(project_dir)  # the day is past both thresholds: its guard reports both again at the start
 assert {s.state for s in second.budget_statuses} == {"limit"}
 assert list(second.notifications) == [] and alert_log(second) == []
 assert len(hits(project_dir)) == 2 and len(webhook.bodies) == 2 and costs_log_alerts(project_dir) == log_lines
 with Ledger.open(project_dir / "ledger.sqlite3") as ledger:
  assert [(row[0], row[2]) for row in delivered_alerts(ledger)] == [("daily", "50"), ("daily", "100")]


def test_an_alert_a_headless_process_delivered_is_not_delivered_again_by_the_app(tmp_path):
 project_dir = project(tmp_path, command=python_command(RECORDER))
 result = subprocess.run(
  [
   sys.executable,
   "-m",
   "mma_conductor.cli",
   "--project",
   str(project_dir),
   "run",
   "--goal",
   "Build a word counter",
   "--quiet",
  ],
  capture_output=True,
  text=True,
  timeout=120,
 )
 assert result.returncode == 0, result.stderr
 assert [hit["MMA_BUDGET_THRESHOLD"] for hit in hits(project_dir)] == ["50", "100"]
 app = run_track(project_dir)
 assert list(app.notifications) == [] and alert_log(app) == []
 assert len(hits(project_dir)) == 2 and len(costs_log_alerts(project_dir)) == 2


def test_a_failing_command_and_a_failing_webhook_are_one_error_line_each_and_the_run_goes_on(tmp_path, monkeypatch):
 for name in ("http_proxy", "HTTP_PROXY"):
  monkeypatch.delenv(name, raising=False)
 hook = Webhook(status=500)
 try:
  command = python_command("import sys; print('some output'); sys.exit('no route to the pager')")
  controller = run_track(project(tmp_path, command=command, webhook=hook.url))
 finally:
  hook.close()
 assert len(controller.notifications) == 2 and len(alert_log(controller)) == 2
 errors = [e.message for e in controller.log if e.level == "error"]
 assert (
  errors
  == [
   "budget alert command failed with exit code 1: no route to the pager",
   "budget alert webhook on 127.0.0.1 failed: HTTP 500 Internal Server Error",
  ]
  * 2
 )
 assert not any("secret-token" in e for e in errors)  # a webhook URL may carry a secret: only its host is named
 assert len(hook.bodies) == 2


# The delivery on its own: real commands, sockets and ledgers, alerts made by hand -------------------------------


def alert(threshold: int = 80, period: str = "1767571200000000", limit: int = 10 * USD, budget_period="daily"):
 budget = Budget(budget_period, limit, Decimal(80), "warn")
 resets = None if budget_period == "run" else int(period) + 86_400_000_000
 return BudgetAlert(budget, Decimal(threshold), period, limit * threshold // 100, resets)


class Delivery:
 """A BudgetAlertDelivery whose posts are collected, as the controller would queue them."""

 def __init__(self, cwd: Path, ledger: Ledger | None = None, **settings: object) -> None:
  self.posted: list[object] = []
  self.settings = BudgetSettings(**settings)
  self.delivery = BudgetAlertDelivery(self.posted.append, lambda: self.settings, cwd=cwd)
  self.delivery.ledger = ledger

 def report(self, *alerts: BudgetAlert) -> None:
  for each in alerts:
   self.delivery.on_posted(BudgetAlerted(each, each.message()))
  assert self.delivery.close(60)

 def delivered(self) -> list[BudgetAlert]:
  return [event.alert for event in self.posted if isinstance(event, AlertDelivered)]

 def errors(self) -> list[str]:
  return [event.message for event in self.posted if isinstance(event, LogEvent) and event.level == "error"]


def test_without_a_ledger_an_alert_is_delivered_once_per_process(tmp_path):
 delivery = Delivery(tmp_path)
 delivery.report(alert(), alert(), alert(100), alert(period="1767657600000000"))
 assert [(a.threshold_pct, a.period) for a in delivery.delivered()] == [
  (80, "1767571200000000"),
  (100, "1767571200000000"),
  (80, "1767657600000000"),
 ]
 assert delivery.errors() == []


def test_a_raised_limit_alerts_afresh_and_per_run_budgets_are_not_claimed_in_the_ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  delivery = Delivery(tmp_path, ledger)
  delivery.report(alert(), alert(limit=20 * USD), alert(budget_period="run", period="T-1"))
  assert len(delivery.delivered()) == 3
  assert [(row[0], row[3]) for row in delivered_alerts(ledger)] == [("daily", 10 * USD), ("daily", 20 * USD)]
  again = Delivery(tmp_path, ledger)  # a restart: calendar alerts are remembered, a new run's are its own
  again.report(alert(), alert(limit=20 * USD), alert(budget_period="run", period="T-1"))
  assert [a.budget.period for a in again.delivered()] == ["run"]


def test_a_read_only_ledger_still_delivers_once_per_process(tmp_path, monkeypatch):
 from real_disks import remount, tmpfs

 with tmpfs("16m") as disk:
  Ledger.open(disk / "ledger.sqlite3").close()
  remount(disk, "ro")
  try:
   with Ledger.open(disk / "ledger.sqlite3") as ledger:
    assert ledger.readonly
    delivery = Delivery(tmp_path, ledger, alert_command=python_command(RECORDER))
    delivery.report(alert(), alert())
  finally:
   remount(disk, "rw")
 assert len(delivery.delivered()) == 1 and len(hits(tmp_path)) == 1
 (error,) = delivery.errors()
 assert error.startswith(f"{disk / 'costs.log'}: cannot write the budget alert line: ")


def alive(pid: int) -> bool:
 try:
  stat = Path(f"/proc/{pid}/stat").read_text()
 except FileNotFoundError:
  return False
 return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead; only its parent has not reaped it


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see that the processes are gone")
def test_a_command_that_hangs_is_killed_with_what_it_started_at_the_timeout(tmp_path):
 # The shell is asked for explicitly; it starts a child that would outlive a kill of the shell alone.
 command = "sh -c 'sleep 300 & echo $! > child.pid; echo $$ > shell.pid; wait'"
 delivery = Delivery(tmp_path, alert_command=command, alert_timeout_s=1)
 delivery.report(alert())
 assert delivery.errors() == ["budget alert command timed out after 1 s and was killed"]
 assert len(delivery.delivered()) == 1
 pids = [int((tmp_path / name).read_text()) for name in ("shell.pid", "child.pid")]
 assert [alive(pid) for pid in pids] == [False, False]


@pytest.mark.parametrize(
 ("command", "error"),
 [
  ("/nonexistent/notify --now", "budget alert command cannot start: [Errno 2] No such file or directory"),
  ("notify 'unclosed", "budget alert command cannot be read (No closing quotation): notify 'unclosed"),
  (python_command("import os; os._exit(7)"), "budget alert command failed with exit code 7"),
 ],
 ids=["missing", "bad-quoting", "exit-7"],
)
def test_a_command_that_cannot_run_or_fails_is_one_error_line(tmp_path, command, error):
 delivery = Delivery(tmp_path, alert_command=command)
 delivery.report(alert())
 assert len(delivery.delivered()) == 1
 (said,) = delivery.errors()
 assert said.startswith(error) and "\n" not in said


def test_a_webhook_that_never_answers_times_out(tmp_path, monkeypatch):
 for name in ("http_proxy", "HTTP_PROXY"):
  monkeypatch.delenv(name, raising=False)
 with socket.socket() as silent:  # listens, so connecting succeeds, but never reads or answers
  silent.bind(("127.0.0.1", 0))
  silent.listen(1)
  url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
  delivery = Delivery(tmp_path, alert_webhook=url, alert_timeout_s=1)
  delivery.report(alert())
 assert delivery.errors() == ["budget alert webhook on 127.0.0.1 failed: no answer within 1 s"]


def test_a_webhook_nobody_listens_on_is_one_error_line():
 with socket.socket() as closed:
  closed.bind(("127.0.0.1", 0))
  port = closed.getsockname()[1]
 problem = post_alert_webhook(f"http://127.0.0.1:{port}/hook", {"message": "m"}, 2)
 assert problem.startswith("budget alert webhook on 127.0.0.1 failed: [Errno 111] Connection refused")


def test_the_command_sees_the_alert_and_runs_in_the_project_folder(tmp_path):
 delivery = Delivery(tmp_path, alert_command=python_command(RECORDER))
 delivery.report(alert(100))
 (hit,) = hits(tmp_path)
 assert hit == {
  "MMA_BUDGET_KEY": "daily",
  "MMA_BUDGET_NAME": "daily budget",
  "MMA_BUDGET_THRESHOLD": "100",
  "MMA_BUDGET_USED_USD": "10",
  "MMA_BUDGET_LIMIT_USD": "10",
  "MMA_BUDGET_MESSAGE": hit["MMA_BUDGET_MESSAGE"],
 }
 assert hit["MMA_BUDGET_MESSAGE"].startswith("daily budget reached its limit: $10.00 of $10.00 used; resets in ")
 assert os.environ.get("MMA_BUDGET_KEY") is None  # the app's own environment is untouched
