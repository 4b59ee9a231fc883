"""`mma-conductor costs budget`: list, set, remove and settings on a real project file and a real ledger."""

import json
import time
import tomllib
from datetime import UTC

import pytest
from ledger_factory import USD, call

from mma_conductor.cli import main
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.calendar import period_bounds, to_us

PROJECT_TEXT = """# my project: comments and other tables stay as written
[simulated]
seed = 4  # the seed I like
latency_ms = 0

[ledger]
path = "ledger.sqlite3"

[budgets]
time_zone = "UTC"

[[budgets.limits]]
period = "monthly"
limit_usd = 10
"""


@pytest.fixture
def project(tmp_path):
 folder = tmp_path / "project"
 folder.mkdir()
 (folder / "mma_conductor.toml").write_text(PROJECT_TEXT)
 return folder


def costs(capsys, project, *args):
 code = main(["--project", str(project), "costs", "budget", *args])
 captured = capsys.readouterr()
 return code, captured.out, captured.err


def record_spend(project):
 """$2 this month (UTC), $5 just before it (not this month), and a run r2 whose Tier 3 calls cost $0.25."""
 start, _ = period_bounds("month", to_us(time.time()), UTC)
 first = start / 1e6
 with Ledger.open(project / "ledger.sqlite3") as ledger:
  ledger.record_calls(
   [
    call(first - 10, 5 * USD, run="r1", request_id="a"),
    call(first + 1, 2 * USD - USD // 4, run="r2", tier="Tier 2", request_id="b"),
    call(first + 2, USD // 4, run="r2", tier="Tier 3", request_id="c"),
   ]
  )


def test_set_list_remove_round_trip_keeps_the_rest_of_the_file(capsys, project):
 code, out, err = costs(
  capsys, project, "set", "--period", "run", "--tier", "Tier 3", "--limit", "0.5", "--action", "stop"
 )
 assert (code, err) == (0, "") and "added Tier 3 per-run budget $0.50" in out
 code, out, _ = costs(capsys, project, "set", "--period", "monthly", "--alert-at", "90%")  # only the alert changes
 assert code == 0 and "changed monthly budget $10.00" in out
 text = (project / "mma_conductor.toml").read_text()
 assert text.startswith(
  "# my project: comments and other tables stay as written\n[simulated]\nseed = 4  # the seed I like"
 )
 assert '[ledger]\npath = "ledger.sqlite3"' in text
 data = tomllib.loads(text)
 assert data["budgets"]["time_zone"] == "UTC"
 assert data["budgets"]["limits"] == [
  {"period": "monthly", "limit_usd": 10, "alert_at": "90%", "action": "pause"},
  {"period": "run", "limit_usd": 0.5, "alert_at": "80%", "action": "stop", "tier": "Tier 3"},
 ]
 record_spend(project)
 code, out, _ = costs(capsys, project)
 assert code == 0
 monthly = next(line for line in out.splitlines() if line.startswith("monthly "))
 assert monthly.split()[:9] == ["monthly", "monthly", "all", "$10.00", "$2.00", "$8.00", "20%", "90%", "pause"]
 per_run = next(line for line in out.splitlines() if line.startswith("Tier 3 run "))
 assert per_run.split()[4:8] == ["Tier", "3", "$0.50", "$0.25"] and "latest run r2" in per_run
 code, out, _ = costs(capsys, project, "remove", "--period", "run", "--tier", "Tier 3")
 assert code == 0 and "removed the Tier 3 per-run budget $0.50" in out
 assert [b["period"] for b in tomllib.loads((project / "mma_conductor.toml").read_text())["budgets"]["limits"]] == [
  "monthly"
 ]
 assert (project / "mma_conductor.toml").read_text().startswith("# my project")


def test_json_has_exact_strings_and_floats_from_the_ledger(capsys, project):
 record_spend(project)
 costs(capsys, project, "set", "--period", "run", "--tier", "3", "--limit", "1")
 code, out, _ = costs(capsys, project, "--json")
 assert code == 0
 report = json.loads(out)
 assert (report["time_zone"], report["week_start"], report["source"]) == ("UTC", "monday", "ledger")
 monthly, per_run = report["budgets"]
 assert monthly["key"] == "monthly" and monthly["tier"] == ""
 assert (monthly["limit_usd"], monthly["limit"]) == ("10.000000000000000", 10.0)
 assert (monthly["used_usd"], monthly["used"]) == ("2.000000000000000", 2.0)
 assert (monthly["left_usd"], monthly["left"]) == ("8.000000000000000", 8.0)
 assert monthly["reserved_in_flight_usd"] == "0.000000000000000" and monthly["percent"] == 20.0
 assert (monthly["alert_at"], monthly["action"], monthly["state"]) == ("80%", "pause", "ok")
 start, end = period_bounds("month", to_us(time.time()), UTC)
 assert monthly["period_start"].startswith(time.strftime("%Y-%m-01T00:00:00", time.gmtime(start / 1e6)))
 assert monthly["resets_at"].startswith(time.strftime("%Y-%m-%dT00:00:00", time.gmtime(end / 1e6)))
 assert per_run["key"] == "Tier 3 run" and per_run["run_id"] == "r2"
 assert (per_run["used_usd"], per_run["left"]) == ("0.250000000000000", 0.75)
 assert per_run["resets_at"] is None and per_run["resets"] == "resets at the next run"
 code, out, _ = costs(capsys, project, "remove", "--period", "run", "--tier", "Tier 3", "--json")
 assert json.loads(out)["budgets"] == ["monthly"]


def test_settings_change_the_zone_and_week_start(capsys, project):
 code, out, err = costs(capsys, project, "settings", "--time-zone", "Europe/Berlin", "--week-start", "Sunday")
 assert "saved the budgets' time zone and week start" in out
 assert code == 0, err
 budgets = tomllib.loads((project / "mma_conductor.toml").read_text())["budgets"]
 assert (budgets["time_zone"], budgets["week_start"]) == ("Europe/Berlin", "sunday")
 assert json.loads(costs(capsys, project, "--json")[1])["week_start"] == "sunday"


@pytest.mark.parametrize(
 ("args", "expected"),
 [
  (["set", "--period", "hourly", "--limit", "5"], "--period hourly: expected one of daily, weekly, monthly, run"),
  (["set", "--limit", "5"], "--period: needed"),
  (["set", "--period", "daily", "--limit", "-3"], "--limit: expected an amount of dollars above 0"),
  (["set", "--period", "daily", "--limit", "ten"], "--limit: expected an amount of dollars, got 'ten'"),
  (["set", "--period", "daily"], "--limit: needed for a new daily budget"),
  (["set", "--period", "daily", "--limit", "5", "--tier", "Tier 9"], "--tier Tier 9: unknown tier"),
  (["set", "--period", "daily", "--limit", "5", "--action", "halt"], "--action halt: expected one of warn"),
  (["set", "--period", "daily", "--limit", "5", "--alert-at", "150%"], "--alert-at: expected a percentage"),
  (["remove", "--period", "weekly"], "no weekly budget (budgets: monthly)"),
  (["settings", "--time-zone", "Mars/Olympus"], "--time-zone: 'Mars/Olympus' is not a time zone"),
  (["settings", "--week-start", "someday"], "--week-start: expected a weekday"),
 ],
)
def test_bad_input_is_one_line_naming_what_and_where(capsys, project, args, expected):
 before = (project / "mma_conductor.toml").read_text()
 code, out, err = costs(capsys, project, *args)
 assert code in (1, 2) and out == ""
 assert len(err.strip().splitlines()) == 1 and err.startswith("mma-conductor: ") and expected in err, err
 assert (project / "mma_conductor.toml").read_text() == before


def test_a_broken_project_file_is_one_line_and_left_as_it_was(capsys, project):
 broken = PROJECT_TEXT.replace("limit_usd = 10", "limit_usd = = 10")
 (project / "mma_conductor.toml").write_text(broken)
 for args in ([], ["set", "--period", "daily", "--limit", "5"], ["remove", "--period", "monthly"]):
  code, out, err = costs(capsys, project, *args)
  assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
  assert "mma_conductor.toml" in err and "Traceback" not in err
 assert (project / "mma_conductor.toml").read_text() == broken
 (project / "mma_conductor.toml").write_text(PROJECT_TEXT.replace('time_zone = "UTC"', 'time_zone = "UTC"\nbogus = 1'))
 code, _, err = costs(capsys, project)
 assert code == 1 and "budgets.bogus: unknown key" in err and len(err.strip().splitlines()) == 1
