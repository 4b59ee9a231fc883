"""`mma-conductor costs ...`: outputs against known figures, and one-line errors with non-zero exits."""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from ledger_factory import DAY, MONDAY, USD, call
from pypdf import PdfReader

from mma_conductor.cli import main
from mma_conductor.ledger.store import Ledger

CENT = USD // 100


@pytest.fixture
def ledger_path(tmp_path):
 path = tmp_path / "ledger.sqlite3"
 now = time.time()
 with Ledger.open(path) as ledger:
  ledger.record_calls(
   [
    call(
     now - 5, 120 * CENT, model="claude-sonnet-4-5", provider="anthropic", tier="Tier 2", session="today", run="r-now"
    ),
    call(now - 4, 30 * CENT, model="gpt-4o", provider="openai", session="today", run="r-now"),
    call(MONDAY, 500 * CENT, model="gemini-2.5-pro", provider="gemini", tier="Tier 1", session="old", run="r-old"),
    call(MONDAY + DAY, None, model="zz-mystery", provider="other", session="old", run="r-old"),
   ]
  )
  ledger.record_run("r-now", "done", goal="today's goal")
  ledger.record_run("r-old", "blocked")
 return path


def run_cli(capsys, *args):
 code = main(["costs", *args])
 captured = capsys.readouterr()
 return code, captured.out, captured.err


def test_summary_table_and_json(ledger_path, capsys):
 code, out, err = run_cli(capsys, "summary", "--ledger", str(ledger_path))
 assert code == 0 and err == ""
 lines = {
  line.split()[0] + (" " + line.split()[1] if line.startswith(("This", "All")) else ""): line
  for line in out.splitlines()
 }
 assert lines["Today"].split()[-1] == "$1.50"
 assert lines["All time"].endswith(" $6.50 + unpriced") and lines["All time"].split()[2] == "4"
 assert "Unpriced calls (no price known): zz-mystery (1)" in out
 code, out, _ = run_cli(capsys, "summary", "--ledger", str(ledger_path), "--json")
 payload = json.loads(out)
 assert payload["periods"]["today"]["cost_usd"] == "1.500000000000000"
 assert payload["periods"]["all_time"]["cost_usd"] == "6.500000000000000"
 assert payload["periods"]["all_time"]["unpriced_calls"] == 1
 assert payload["unpriced_models"] == {"zz-mystery": 1}


def test_summary_with_a_range(ledger_path, capsys):
 code, out, _ = run_cli(
  capsys, "summary", "--ledger", str(ledger_path), "--since", "2026-01-05", "--until", "2026-01-05", "--utc", "--json"
 )
 assert code == 0
 assert json.loads(out)["range"]["total"]["cost_usd"] == "5.000000000000000"


def test_breakdowns(ledger_path, capsys):
 code, out, _ = run_cli(capsys, "breakdown", "--by", "provider", "--ledger", str(ledger_path))
 assert code == 0
 rows = [line.split() for line in out.splitlines()[2:]]
 assert [r[0] for r in rows] == ["gemini", "anthropic", "openai", "other", "Total"]
 assert rows[0][-2:] == ["$5.00", "76.9%"]
 assert rows[-1][-1] == "100.0%"
 code, out, _ = run_cli(capsys, "breakdown", "--by", "day", "--utc", "--json", "--ledger", str(ledger_path))
 days = {g["key"]: g["cost_usd"] for g in json.loads(out)["groups"]}
 assert days["2026-01-05"] == "5.000000000000000"
 assert days["2026-01-06"] == "0.000000000000000"
 today = datetime.now(UTC).strftime("%Y-%m-%d")
 assert days[today] == "1.500000000000000"


def test_breakdown_at_todays_prices(ledger_path, capsys):
 code, out, _ = run_cli(
  capsys, "breakdown", "--by", "model", "--prices", "today", "--json", "--ledger", str(ledger_path)
 )
 assert code == 0
 by_model = {g["key"]: g["cost_units"] for g in json.loads(out)["groups"]}
 # 1000 input and 100 output tokens per call, at the built-in list prices
 assert by_model["gpt-4o"] == 1000 * 2_500_000_000 + 100 * 10_000_000_000
 assert by_model["claude-sonnet-4-5"] == 1000 * 3_000_000_000 + 100 * 15_000_000_000


def test_summary_at_todays_prices(ledger_path, capsys):
 code, out, _ = run_cli(capsys, "summary", "--prices", "today", "--json", "--ledger", str(ledger_path))
 assert code == 0
 payload = json.loads(out)
 gpt, sonnet = 1000 * 2_500_000_000 + 100 * 10_000_000_000, 1000 * 3_000_000_000 + 100 * 15_000_000_000
 gemini = 1000 * 1_250_000_000 + 100 * 10_000_000_000
 assert payload["prices"] == "today"
 assert payload["periods"]["today"]["cost_units"] == gpt + sonnet
 assert payload["periods"]["all_time"]["cost_units"] == gpt + sonnet + gemini
 assert payload["periods"]["all_time"]["unpriced_calls"] == 1
 assert payload["unpriced_models"] == {"zz-mystery": 1}
 code, out, _ = run_cli(capsys, "summary", "--prices", "today", "--ledger", str(ledger_path))
 assert code == 0 and "(re-priced at today's prices)" in out
 assert json.loads(run_cli(capsys, "summary", "--json", "--ledger", str(ledger_path))[1])["prices"] == "recorded"


def test_todays_prices_come_from_the_project_and_the_environment(ledger_path, tmp_path, capsys, monkeypatch):
 (tmp_path / "mma_pricing.toml").write_text('[models."gpt-4o"]\ninput = 1\noutput = 2\n')
 code, out, _ = run_cli(
  capsys, "breakdown", "--by", "model", "--prices", "today", "--json", "--ledger", str(ledger_path)
 )
 assert code == 0
 assert {g["key"]: g["cost_units"] for g in json.loads(out)["groups"]}["gpt-4o"] == 1000 * 10**9 + 100 * 2 * 10**9
 monkeypatch.setenv("MMA_PRICE_GPT_4O_INPUT", "3")
 code, out, _ = run_cli(
  capsys, "breakdown", "--by", "model", "--prices", "today", "--json", "--ledger", str(ledger_path)
 )
 assert {g["key"]: g["cost_units"] for g in json.loads(out)["groups"]}["gpt-4o"] == 1000 * 3 * 10**9 + 100 * 2 * 10**9


@pytest.mark.parametrize("report", [["pricing"], ["breakdown", "--by", "model", "--prices", "today"]])
def test_a_bad_pricing_file_is_one_line(ledger_path, tmp_path, capsys, report):
 (tmp_path / "mma_pricing.toml").write_text('[models."gpt-4o"]\ninput = -3\n')
 result, out, err = run_cli(capsys, *report, "--ledger", str(ledger_path))
 assert result == 1 and out == ""
 assert err.count("\n") == 1 and err.startswith("mma-conductor: ") and "mma_pricing.toml" in err and "negative" in err


def test_sessions_and_one_session(ledger_path, capsys):
 code, out, _ = run_cli(capsys, "sessions", "--ledger", str(ledger_path))
 assert code == 0
 body = out.splitlines()[2:]
 assert [line.split()[0] for line in body] == ["today", "old"]
 assert body[0].split()[-1] == "$1.50"
 code, out, _ = run_cli(capsys, "sessions", "--session", "today", "--ledger", str(ledger_path))
 assert "Session today: $1.50 over 2 calls" in out
 assert "claude-sonnet-4-5" in out and "Tier 2" in out and "80.0%" in out
 code, _, err = run_cli(capsys, "sessions", "--session", "nope", "--ledger", str(ledger_path))
 assert code == 1 and err.count("\n") == 1 and "nope" in err


def test_runs_top_n(ledger_path, capsys):
 code, out, _ = run_cli(capsys, "runs", "--top", "1", "--ledger", str(ledger_path))
 assert code == 0
 lines = out.splitlines()
 assert lines[2].split()[:4] == ["r-old", "blocked", "2", "$5.00"]
 assert len(lines) == 4
 assert lines[3] == "2 runs, 1 done; cost per successful run: $6.50"
 code, out, _ = run_cli(capsys, "runs", "--json", "--ledger", str(ledger_path))
 assert json.loads(out)["economics"]["cost_per_successful_run_usd"] == "6.500000000000000"


def test_exports(ledger_path, tmp_path, capsys):
 code, out, err = run_cli(
  capsys, "export", "--format", "csv", "-o", str(tmp_path / "c.csv"), "--ledger", str(ledger_path)
 )
 assert code == 0 and out.strip() == f"wrote {tmp_path / 'c.csv'} (4 calls)" and err == ""
 assert (tmp_path / "c.csv").read_text().count("\n") == 5
 code, out, err = run_cli(
  capsys, "export", "--format", "json", "-o", str(tmp_path / "c.jsonl"), "--ledger", str(ledger_path), "--progress"
 )
 assert code == 0 and "[" in err and "100.0%" in err  # the bar, on stderr, when asked
 assert len((tmp_path / "c.jsonl").read_text().splitlines()) == 4
 code, out, _ = run_cli(
  capsys, "export", "--format", "pdf", "-o", str(tmp_path / "r.pdf"), "--ledger", str(ledger_path)
 )
 assert code == 0
 text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
 assert "$6.50" in text and "gemini-2.5-pro" in text and "r-old" in text
 other = tmp_path / "other.sqlite3"
 code, out, _ = run_cli(capsys, "import", str(tmp_path / "c.jsonl"), "--ledger", str(other))
 assert code == 0 and out.strip() == f"imported 4 calls from {tmp_path / 'c.jsonl'} (0 already in the ledger)"


def test_pricing_lists_sources_and_the_ledgers_unpriced_models(ledger_path, capsys):
 code, out, _ = run_cli(capsys, "pricing", "--ledger", str(ledger_path))
 assert code == 0
 assert "https://" in out and "Unpriced calls in the ledger: zz-mystery (1)" in out
 assert "zz-mystery" in out.split("Unpriced models seen:")[1]


@pytest.mark.parametrize(
 ("args", "code", "needle"),
 [
  (["breakdown", "--by", "colour"], 2, "--by colour: unknown breakdown"),
  (["summary", "--since", "2026-02-30"], 2, "--since: '2026-02-30' is not a date"),
  (["summary", "--until", "soon"], 2, "--until: 'soon' is not a date"),
  (["summary", "--since", "2026-02-01", "--until", "2026-01-01"], 2, "is not before"),
  (["breakdown", "--by", "model", "--prices", "tomorrow"], 2, "--prices tomorrow"),
  (["summary", "--prices", "yesterday"], 2, "--prices yesterday"),
  (["runs", "--top", "-3"], 2, "--top -3"),
  (["export", "--format", "xlsx", "-o", "x.xlsx"], 2, "--format xlsx: unknown format"),
  (["export", "--format", "csv", "-o", "/no/such/folder/x.csv"], 1, "/no/such/folder/x.csv: cannot write"),
 ],
)
def test_errors_are_one_line_and_non_zero(ledger_path, capsys, args, code, needle):
 result, out, err = run_cli(capsys, *args, "--ledger", str(ledger_path))
 assert result == code
 assert err.count("\n") == 1 and err.startswith("mma-conductor: ") and needle in err
 assert out == ""


def test_an_unwritable_output_file(ledger_path, tmp_path, capsys):
 target = tmp_path / "out.csv"
 target.mkdir()
 result, _, err = run_cli(capsys, "export", "--format", "csv", "-o", str(target), "--ledger", str(ledger_path))
 assert result == 1 and err.count("\n") == 1 and str(target) in err


def test_a_foreign_ledger_file_is_one_line_and_untouched(tmp_path, capsys):
 foreign = tmp_path / "foreign.db"
 foreign.write_bytes(b"this is somebody's spreadsheet" * 50)
 result, _, err = run_cli(capsys, "summary", "--ledger", str(foreign))
 assert result == 1 and err.count("\n") == 1 and str(foreign) in err and "untouched" in err
 assert foreign.read_bytes() == b"this is somebody's spreadsheet" * 50


def test_no_ledger_yet_shows_zeros(tmp_path, capsys):
 result, out, err = run_cli(capsys, "summary", "--json")
 assert result == 0
 assert str(tmp_path / "data" / "ledger.sqlite3") in err and "no ledger yet" in err
 assert json.loads(out)["periods"]["all_time"]["calls"] == 0
 assert not (tmp_path / "data" / "ledger.sqlite3").exists()


def test_the_project_config_says_where_the_ledger_is(ledger_path, tmp_path, capsys):
 project = tmp_path / "project"
 project.mkdir()
 (project / "mma_conductor.toml").write_text(f'[ledger]\npath = "{ledger_path}"\n')
 assert main(["--project", str(project), "costs", "summary", "--json"]) == 0
 assert json.loads(capsys.readouterr().out)["ledger"] == str(ledger_path)


def test_cold_start_in_a_real_process(ledger_path):
 result = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "costs", "summary", "--json", "--ledger", str(ledger_path)],
  capture_output=True,
  text=True,
  timeout=60,
 )
 assert result.returncode == 0, result.stderr
 assert json.loads(result.stdout)["periods"]["all_time"]["cost_usd"] == "6.500000000000000"
 probe = subprocess.run(
  [
   sys.executable,
   "-c",
   "import sys, mma_conductor.cli as c; c.main(['costs', 'summary', '--ledger', sys.argv[1]]);"
   "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fpdf', 'genai_prices', 'numpy', 'imgui_bundle')));"
   "print(sorted(m for m in sys.modules if m.split('.')[0] in ('asyncio', 'ssl')"
   " or m.split('.')[:2] in (['mma_conductor', p] for p in ('app', 'engine', 'providers', 'gui'))))",
   str(ledger_path),
  ],
  capture_output=True,
  text=True,
  timeout=60,
 )
 assert probe.stdout.splitlines()[-2] == "[]"  # none of the heavy libraries on the summary's path
 assert probe.stdout.splitlines()[-1] == "[]"  # nor the app, engine and providers (their imports take ~0.1 s)


def test_summary_at_recorded_prices_loads_neither_price_book_nor_file_writers(ledger_path):
 """The recorded-prices summary needs no price book (its table takes ~10 ms to import) and writes no file:
 the book, its table and the temporary-file machinery of atomic writes stay unloaded on a cold start."""
 probe = subprocess.run(
  [
   sys.executable,
   "-c",
   "import sys, mma_conductor.cli as c; c.main(['costs', 'summary', '--ledger', sys.argv[1]]);"
   "print(sorted(m for m in sys.modules if m in sys.argv[2:]))",
   str(ledger_path),
   "mma_conductor.pricing.book",
   "mma_conductor.pricing.table",
   "mma_conductor.pricing.prices",
   "tempfile",
  ],
  capture_output=True,
  text=True,
  timeout=60,
 )
 assert probe.returncode == 0, probe.stderr
 assert "All time" in probe.stdout
 assert probe.stdout.splitlines()[-1] == "[]"
