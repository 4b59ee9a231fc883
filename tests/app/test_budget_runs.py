"""Budgets in headless runs and the local API: a run a budget holds ends with exit 4 and says how to go on,
`--budget-check` refuses a run its estimate says will not fit, `/budgets` serves the figures. Real CLI, engine,
SQLite ledger and HTTP, on the simulated provider with its calls recorded."""

import io
import json
import re
import socket
import subprocess
import sys
import urllib.request
from decimal import Decimal

from waiting import wait_for

from mma_conductor.app.controller import AppController
from mma_conductor.app.headless import EXIT_BUDGET, EXIT_OVER_ESTIMATE, run_headless
from mma_conductor.app.ledger_link import connect_ledger
from mma_conductor.cli import main
from mma_conductor.ledger.api import start_local_api
from mma_conductor.ledger.queries import all_time
from mma_conductor.ledger.store import Ledger

BASE = (
 "[simulated]\nseed = 4\nlatency_ms = {latency}\nreject_rate = 0.0\n\n"
 '[ledger]\nrecord_simulated = true\npath = "ledger.sqlite3"\n'
)


def make_project(tmp_path, budgets="", latency=0):
 project = tmp_path / "project"
 project.mkdir(exist_ok=True)
 (project / "mma_conductor.toml").write_text(BASE.format(latency=latency) + budgets)
 return project


def cli(project, *args, timeout=120):
 command = [sys.executable, "-m", "mma_conductor.cli", "--project", str(project), *args]
 return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def budget_json(capsys, project):
 assert main(["--project", str(project), "costs", "budget", "--json"]) == 0
 return json.loads(capsys.readouterr().out)


def test_a_stop_budget_ends_the_run_with_exit_4_and_says_how_to_resume(tmp_path):
 limits = '\n[[budgets.limits]]\nperiod = "run"\nlimit_usd = "0.0001"\naction = "stop"\n'
 project = make_project(tmp_path, limits)
 result = cli(project, "run", "--goal", "Word counter", "--quiet")
 assert result.returncode == EXIT_BUDGET == 4, result.stdout + result.stderr
 track_id = re.search(r"track (\S+) stopped: stopped by a budget", result.stdout).group(1)
 lines = result.stdout.rstrip().splitlines()
 assert re.match(
  r"budget: held back Tier 1 plan on gemini-2\.5-pro: per-run budget \$0\.0(0|001): \$0\.00 used", lines[-3]
 )
 assert "this call may cost up to $0.0" in lines[-3] and lines[-3].endswith("; resets at the next run")
 assert lines[-2] == "the run stopped at the per-run budget"
 assert lines[-1].startswith("to go on: raise the limit above $0.0")
 assert f"(mma-conductor --project {project} costs budget set --period run --limit AMOUNT)" in lines[-1]
 assert lines[-1].endswith(f", then: mma-conductor --project {project} run --resume {track_id}")
 # What it says works: raise the limit, then resume.
 assert cli(project, "costs", "budget", "set", "--period", "run", "--limit", "100").returncode == 0
 resumed = cli(project, "run", "--resume", track_id, "--quiet")
 assert resumed.returncode == 0 and f"track {track_id} done" in resumed.stdout, resumed.stdout + resumed.stderr


def test_a_pause_budget_stops_a_headless_run_at_the_hold(tmp_path):
 limits = (
  '[budgets]\ntime_zone = "UTC"\n\n[[budgets.limits]]\nperiod = "daily"\ntier = "Tier 3"\nlimit_usd = "0.0002"\n'
 )
 project = make_project(tmp_path, limits)
 out = io.StringIO()
 code = run_headless("Word counter", project, out=out)
 text = out.getvalue()
 assert code == EXIT_BUDGET, text
 assert "[Tier 1] plan" in text and "[Tier 3]" not in text  # planned, then held at the first Tier 3 call
 assert "budget: held back Tier 3 T" in text
 assert "the run stopped at the Tier 3 daily budget (a pause budget: a headless run has nobody to answer it" in text
 assert "costs budget set --period daily --tier 'Tier 3' --limit AMOUNT) or wait for the reset (resets in" in text


def test_budget_check_starts_without_history_and_refuses_a_run_that_will_not_fit(tmp_path, capsys):
 project = make_project(tmp_path)
 first = cli(project, "run", "--goal", "Word counter", "--quiet", "--budget-check")
 assert first.returncode == 0, first.stderr
 assert first.stdout.startswith("budget check: no history: the ledger holds no finished run to estimate from; starting")
 # A monthly budget with a tenth of a cent left: below what one run of this project costs on average.
 with Ledger.open(project / "ledger.sqlite3") as ledger:
  spent = all_time(ledger).cost_units
 limit = Decimal(spent) / 10**15 + Decimal("0.001")
 assert main(["--project", str(project), "costs", "budget", "set", "--period", "monthly", "--limit", str(limit)]) == 0
 capsys.readouterr()
 tracks = sorted((project / ".mma" / "tracks").glob("*.toml"))
 refused = cli(project, "run", "--goal", "Word counter", "--quiet", "--budget-check")
 assert refused.returncode == EXIT_OVER_ESTIMATE == 5, refused.stdout + refused.stderr
 assert refused.stdout == "" and len(refused.stderr.splitlines()) == 1
 assert re.fullmatch(
  r"mma-conductor: budget check: this run is estimated at \$0\.\d{4} \(from \$0\.\d{4} to \$0\.\d{4}\) from 1 past run,"
  r" more than the monthly budget \$[\d.]+ has left: \$0\.0010 \(\$0\.\d{4} used, resets in \d+ \w+\); not started",
  refused.stderr.strip(),
 ), refused.stderr
 assert sorted((project / ".mma" / "tracks").glob("*.toml")) == tracks  # nothing started
 # Without the check, or with room in the budget, it starts.
 assert main(["--project", str(project), "costs", "budget", "set", "--period", "monthly", "--limit", "100"]) == 0
 roomy = cli(project, "run", "--goal", "Word counter", "--quiet", "--budget-check")
 assert roomy.returncode == 0, roomy.stderr
 assert re.match(r"budget check: estimated \$0\.\d{4} .* from 1 past run; within the budgets, starting", roomy.stdout)


def free_port():
 with socket.socket() as probe:
  probe.bind(("127.0.0.1", 0))
  return probe.getsockname()[1]


def get_json(url):
 with urllib.request.urlopen(url, timeout=10) as response:
  return response.status, json.loads(response.read())


def without_clock(report):
 """The figures, without what depends on the instant asked ("resets in ...")."""
 return [{k: v for k, v in b.items() if k != "resets"} for b in report["budgets"]]


def test_get_budgets_from_the_ledger_matches_the_cli(tmp_path, capsys):
 limits = '[budgets]\ntime_zone = "UTC"\n\n[[budgets.limits]]\nperiod = "weekly"\nlimit_usd = 5\n'
 limits += '\n[[budgets.limits]]\nperiod = "run"\ntier = "Tier 2"\nlimit_usd = 1\naction = "stop"\n'
 project = make_project(tmp_path, limits)
 assert run_headless("Word counter", project, out=io.StringIO()) == 0
 from_cli = budget_json(capsys, project)
 with Ledger.open(project / "ledger.sqlite3") as ledger:
  server = start_local_api(0, dict, ledger, project_dir=project)
  try:
   status, served = get_json(server.url + "/budgets")
  finally:
   server.close()
 assert status == 200 and served["source"] == "ledger"
 assert without_clock(served) == without_clock(from_cli)
 weekly, per_run = served["budgets"]
 with Ledger.open(project / "ledger.sqlite3") as ledger:
  assert Decimal(weekly["used_usd"]) * 10**15 == all_time(ledger).cost_units  # the one run, all this week
 assert per_run["run_id"] and 0 < Decimal(per_run["used_usd"]) < Decimal(weekly["used_usd"])  # its Tier 2 calls


def test_get_budgets_serves_the_apps_live_figures_with_calls_in_flight(tmp_path):
 port = free_port()
 limits = (
  f'api_port = {port}\n\n[budgets]\ntime_zone = "UTC"\n\n[[budgets.limits]]\nperiod = "monthly"\nlimit_usd = 50\n'
 )
 project = make_project(tmp_path, limits, latency=1500)  # api_port lands in [ledger], the table before it
 controller = AppController(project)
 _link, server = connect_ledger(controller, project)
 assert server is not None
 try:
  controller.start_track("Word counter")
  seen = []

  def reserved():
   seen.append(get_json(f"http://127.0.0.1:{port}/budgets")[1])
   return seen[-1]["budgets"][0]["reserved_in_flight"] > 0

  assert wait_for(controller, reserved, timeout=60)  # the plan's call is in flight for 1.5 s
  live = seen[-1]
  assert live["source"] == "app" and live["budgets"][0]["key"] == "monthly"
  assert Decimal(live["budgets"][0]["reserved_in_flight_usd"]) > 0
 finally:
  controller.stop()
  controller.shutdown()
  server.close()


def test_a_headless_run_prints_its_budget_alerts(tmp_path):
 limits = '\n[[budgets.limits]]\nperiod = "run"\nlimit_usd = "0.002"\nalert_at = "50%"\naction = "warn"\n'
 project = make_project(tmp_path, limits)
 result = cli(project, "run", "--goal", "Word counter", "--quiet")
 assert result.returncode == 0, result.stdout + result.stderr
 alerts = [line for line in result.stdout.splitlines() if line.startswith("[budget] budget alert: ")]
 assert [("passed 50%" in a, "reached its limit" in a) for a in alerts] == [(True, False), (False, True)]
 assert alerts[0].startswith("[budget] budget alert: per-run budget passed 50%: $0.00")
