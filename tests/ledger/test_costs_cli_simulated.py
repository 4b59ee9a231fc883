"""`costs summary` after simulated runs says why it shows zeros; costs read the same in the CLI, JSON, GUI and PDF."""

import json
import re
import subprocess
import sys
from datetime import UTC

from ledger_factory import MONDAY, USD, call
from pypdf import PdfReader

from mma_conductor.cli import main
from mma_conductor.ledger.pdf import write_pdf_report
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.money import format_usd_auto


def simulated_project(tmp_path, record=False):
 project = tmp_path / "project"
 project.mkdir(parents=True)
 ledger_table = "[ledger]\nrecord_simulated = true\n" if record else ""
 (project / "mma_conductor.toml").write_text(f"[simulated]\nseed = 4\nlatency_ms = 0\n{ledger_table}")
 return project


def run_track(project):
 # In a process of its own, like a user's `mma-conductor run`: the headless run keeps the streams it started with.
 command = [sys.executable, "-m", "mma_conductor.cli", "--project", str(project), "run", "--goal", "Word counter"]
 result = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120)
 assert result.returncode == 0, result.stderr


def summary(capsys, project, *more):
 code = main(["--project", str(project), "costs", "summary", *more])
 captured = capsys.readouterr()
 return code, captured.out, captured.err


def test_summary_after_simulated_runs_says_why_it_is_zero_and_how_to_record(tmp_path, capsys):
 project = simulated_project(tmp_path)
 run_track(project)
 code, out, err = summary(capsys, project)
 assert code == 0
 flat = " ".join((out + err).split())
 assert "1 track of this project has no calls in the ledger" in flat
 assert "simulated calls are not recorded" in flat
 assert "[ledger] record_simulated = true" in flat and "mma_conductor.toml" in flat
 code, out, _ = summary(capsys, project, "--json")
 payload = json.loads(out)
 assert payload["periods"]["all_time"]["calls"] == 0
 assert "record_simulated" in payload["note"]
 code, out, _ = summary(capsys, project, "--since", "7d")  # an empty range says it too
 assert code == 0 and "simulated calls are not recorded" in " ".join(out.split())


def test_no_hint_without_tracks_or_when_simulated_calls_are_recorded(tmp_path, capsys):
 project = simulated_project(tmp_path / "a")
 code, out, err = summary(capsys, project)
 assert code == 0 and "record_simulated" not in out + err
 recording = simulated_project(tmp_path / "b", record=True)
 run_track(recording)
 code, out, err = summary(capsys, recording)
 assert code == 0 and "record_simulated" not in out + err
 all_time = next(line for line in out.splitlines() if line.startswith("All time"))
 assert int(all_time.split()[2].replace(",", "")) > 0


def test_costs_below_a_dollar_keep_four_decimals_in_cli_json_and_pdf(tmp_path, capsys):
 # $0.0189 in three calls (0.0100 + 0.0050 + 0.0039): a total that needs four decimals to read right.
 path = tmp_path / "ledger.sqlite3"
 with Ledger.open(path) as ledger:
  ledger.record_calls(
   [
    call(MONDAY, 100 * USD // 10_000, model="gpt-4o-mini", provider="openai", request_id="a", run="r1"),
    call(MONDAY + 60, 50 * USD // 10_000, model="gpt-4o-mini", provider="openai", request_id="b", run="r1"),
    call(MONDAY + 120, 39 * USD // 10_000, model="gpt-4o-mini", provider="openai", request_id="c", run="r1"),
   ]
  )
  ledger.record_run("r1", "done", goal="Small job")
  total = 189 * USD // 10_000
  assert format_usd_auto(total) == "$0.0189"  # what the GUI panel shows (it formats with format_usd_auto)
  out_pdf = tmp_path / "report.pdf"
  write_pdf_report(ledger, out_pdf, tz=UTC, now=MONDAY + 3600)
 code = main(["costs", "summary", "--ledger", str(path)])
 out = capsys.readouterr().out
 assert code == 0
 assert next(line for line in out.splitlines() if line.startswith("All time")).split()[-1] == "$0.0189"
 main(["costs", "summary", "--ledger", str(path), "--json"])
 all_time = json.loads(capsys.readouterr().out)["periods"]["all_time"]
 assert all_time["cost"] == "$0.0189" and all_time["cost_usd"] == "0.018900000000000"
 flat = " ".join("\n".join(page.extract_text() for page in PdfReader(out_pdf).pages).split())
 assert "$0.0189" in flat
 assert re.search(r"\$0\.02(?!\d)", flat) is None  # the headline boxes rounded it to cents
