"""`costs` on a user's machine: exports never overwrite the app's own files and get ordinary permissions."""

import csv
import io
import json
import os
import stat
import time
from datetime import UTC

import pytest
from closed_pipe import run_into_closed_pipe
from ledger_factory import DAY, HOUR, MONDAY, USD, call

from mma_conductor.app.settings import layout_path, settings_path
from mma_conductor.cli import app_paths, main
from mma_conductor.engine.track_store import track_path, tracks_dir
from mma_conductor.ledger import config
from mma_conductor.ledger.exports import CSV_COLUMNS, ExportError, export_calls, import_calls
from mma_conductor.ledger.periods import parse_when
from mma_conductor.ledger.queries import count_calls
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.config import project_pricing_file, user_pricing_file
from mma_conductor.providers.keys import user_keys_path

CONTENT = b"precious bytes\n"


@pytest.fixture
def project(tmp_path):
 folder = tmp_path / "project"
 folder.mkdir()
 with Ledger.open(tmp_path / "ledger.sqlite3") as ledger:
  ledger.record_calls([call(MONDAY, USD, request_id="q1"), call(MONDAY + 60, USD, request_id="q2")])
 return folder


def own_file(name: str, project, tmp_path):
 """Each of the app's own files, by the owning module's own function where there is one."""
 ledger = tmp_path / "ledger.sqlite3"
 return {
  "ledger": ledger,
  "wal": tmp_path / "ledger.sqlite3-wal",
  "shm": tmp_path / "ledger.sqlite3-shm",
  "costs.log": tmp_path / "costs.log",
  "default ledger": tmp_path / "data" / "ledger.sqlite3",
  "default costs.log": tmp_path / "data" / "costs.log",
  "user pricing": user_pricing_file(),
  "project pricing": project_pricing_file(project),
  "project config": project / "mma_conductor.toml",
  "keys": user_keys_path(),
  "settings": settings_path(),
  "layout": layout_path(),
  "track": track_path(project, "track-1"),
  "new track": tracks_dir(project) / "new.toml",
 }[name]


CASES = [
 "ledger",
 "wal",
 "shm",
 "costs.log",
 "default ledger",
 "default costs.log",
 "user pricing",
 "project pricing",
 "project config",
 "keys",
 "settings",
 "layout",
 "track",
 "new track",
]


def export(project, tmp_path, output, fmt="csv"):
 ledger = str(tmp_path / "ledger.sqlite3")
 return main(["--project", str(project), "costs", "export", "--format", fmt, "-o", str(output), "--ledger", ledger])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("via_symlink", [False, True])
def test_export_refuses_the_apps_own_files(name, via_symlink, project, tmp_path, capsys):
 target = own_file(name, project, tmp_path)
 target.parent.mkdir(parents=True, exist_ok=True)
 if not target.exists():
  target.write_bytes(CONTENT)
 before = target.read_bytes()
 output = target
 if via_symlink:
  output = tmp_path / "innocent.csv"
  output.symlink_to(target)
 assert export(project, tmp_path, output) == 1
 err = capsys.readouterr().err
 assert err.count("\n") == 1 and err.startswith("mma-conductor: ") and "refusing" in err and str(output) in err
 assert target.read_bytes() == before
 assert not via_symlink or output.is_symlink()


@pytest.mark.parametrize("fmt", ["json", "pdf"])
def test_every_format_refuses_the_ledger_and_a_hard_link_to_it(fmt, project, tmp_path, capsys):
 ledger = tmp_path / "ledger.sqlite3"
 before = ledger.read_bytes()
 linked = tmp_path / "linked.db"
 os.link(ledger, linked)
 for output in (ledger, linked):
  assert export(project, tmp_path, output, fmt) == 1
  assert "refusing" in capsys.readouterr().err
 assert ledger.read_bytes() == before


def test_the_ledger_knows_the_paths_of_the_other_layers(project):
 """cli.py hands the ledger the app's files from their owners' own functions."""
 paths = app_paths(project)
 files, folders = [*config.own_files(project), *paths.files], [paths.tracks_dir]
 for owned in (user_keys_path(), settings_path(), layout_path(), user_pricing_file(), project_pricing_file(project)):
  assert owned in files
 assert folders == [tracks_dir(project)]


def test_an_export_is_created_with_the_umask_not_0600(project, tmp_path, capsys):
 old = os.umask(0o022)
 try:
  for fmt in ("csv", "json", "pdf"):
   output = tmp_path / f"calls.{fmt}"
   assert export(project, tmp_path, output, fmt) == 0, capsys.readouterr().err
   assert stat.S_IMODE(output.stat().st_mode) == 0o644
 finally:
  os.umask(old)


def test_an_export_through_a_symlink_replaces_the_target_and_keeps_the_link(project, tmp_path, capsys):
 real = tmp_path / "reports" / "calls.csv"
 real.parent.mkdir()
 real.write_text("old export")
 link = tmp_path / "calls.csv"
 link.symlink_to(real)
 assert export(project, tmp_path, link) == 0, capsys.readouterr().err
 assert link.is_symlink() and real.read_text().startswith("id,ts,")


# Control characters -----------------------------------------------------------------------------------------------

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\r\x9b31m\u202e\x7f"
RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e", "\x7f", "\u2028", "\u2029")


@pytest.fixture
def hostile_ledger(tmp_path):
 path = tmp_path / "hostile.sqlite3"
 with Ledger.open(path) as ledger:
  ledger.record_calls(
   [
    call(
     MONDAY,
     USD,
     model="gpt" + HOSTILE,
     session="s" + HOSTILE,
     run="r" + HOSTILE,
     agent="a" + HOSTILE,
     tier="t" + HOSTILE,
     provider="p" + HOSTILE,
     request_id="q1",
    ),
    call(MONDAY + 1, None, model="mystery" + HOSTILE + "\u2028\u2029", session="s2", request_id="q2"),
   ]
  )
  ledger.record_run("r" + HOSTILE, "done", goal="goal" + HOSTILE)
 return path


TEXT_REPORTS = [
 ["summary"],
 ["breakdown", "--by", "model"],
 ["breakdown", "--by", "agent"],
 ["breakdown", "--by", "tier"],
 ["breakdown", "--by", "provider"],
 ["sessions"],
 ["sessions", "--session", "s" + HOSTILE],
 ["runs"],
 ["pricing"],
]


@pytest.mark.parametrize("report", TEXT_REPORTS, ids=lambda r: " ".join(r[:3]).encode("unicode_escape").decode())
def test_text_reports_show_control_characters_escaped(report, hostile_ledger, capsys):
 assert main(["costs", *report, "--ledger", str(hostile_ledger)]) == 0
 captured = capsys.readouterr()
 for raw in RAW:
  assert raw not in captured.out + captured.err, (raw, captured.out)
 assert "\\x1b[2J" in captured.out and "\\u202e" in captured.out


@pytest.mark.parametrize("report", TEXT_REPORTS, ids=lambda r: " ".join(r[:3]).encode("unicode_escape").decode())
def test_json_reports_escape_line_separators_and_c1_controls(report, hostile_ledger, capsys):
 assert main(["costs", *report, "--json", "--ledger", str(hostile_ledger)]) == 0
 out = capsys.readouterr().out
 for raw in RAW:
  assert raw not in out, raw
 assert json.loads(out)


def test_json_lines_export_escapes_line_separators_and_reads_back_the_same(hostile_ledger, tmp_path, capsys):
 output = tmp_path / "calls.jsonl"
 assert main(["costs", "export", "--format", "json", "-o", str(output), "--ledger", str(hostile_ledger)]) == 0
 text = output.read_text(encoding="utf-8")
 for raw in RAW:
  assert raw not in text, raw
 assert len(text.splitlines()) == 2  # str.splitlines breaks at U+2028 too: each call is still one line
 assert json.loads(text.splitlines()[1])["model"] == "mystery" + HOSTILE + "\u2028\u2029"


def test_an_error_naming_a_hostile_value_is_escaped(hostile_ledger, tmp_path, capsys):
 bad = tmp_path / "bad\x1b[2J\r.jsonl"
 bad.write_text("not json\n")
 assert main(["costs", "import", str(bad), "--ledger", str(hostile_ledger)]) == 1
 err = capsys.readouterr().err
 assert "\x1b" not in err and "\r" not in err and err.count("\n") == 1 and "bad\\x1b[2J" in err


# Broken pipe ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", [["sessions"], ["summary"], ["breakdown", "--by", "day", "--json"]])
def test_a_closed_pipe_ends_quietly(report, project, tmp_path):
 """`costs ... | head`: the reader is gone before the report is written; no traceback, no error line."""
 result = run_into_closed_pipe("costs", *report, "--ledger", str(tmp_path / "ledger.sqlite3"))
 assert result.stderr == ""
 assert result.returncode == 1


# Relative times ---------------------------------------------------------------------------------------------------


def test_since_and_until_take_yesterday_and_hours():
 now = (MONDAY + 3 * DAY + 10 * HOUR) * 10**6  # Thursday 10:00 UTC
 assert parse_when("yesterday", "--since", now_us=now, tz=UTC) == (MONDAY + 2 * DAY) * 10**6
 assert parse_when("yesterday", "--until", end=True, now_us=now, tz=UTC) == (MONDAY + 3 * DAY) * 10**6
 assert parse_when("24h", "--since", now_us=now, tz=UTC) == now - 24 * HOUR * 10**6
 assert parse_when("1h", "--until", end=True, now_us=now, tz=UTC) == now - HOUR * 10**6
 assert parse_when("7d", "--since", now_us=now, tz=UTC) == (MONDAY - 4 * DAY) * 10**6  # already there: midnight
 assert parse_when(" Yesterday ", "--since", now_us=now, tz=UTC) == (MONDAY + 2 * DAY) * 10**6
 with pytest.raises(ValueError, match="yesterday, 24h or 7d"):
  parse_when("24x", "--since")


def test_the_cli_counts_the_last_24_hours(tmp_path, capsys):
 path = tmp_path / "recent.sqlite3"
 now = time.time()
 with Ledger.open(path) as ledger:
  ledger.record_calls([call(now - 60, USD, request_id="a"), call(now - 30 * HOUR, USD, request_id="b")])
 assert main(["costs", "summary", "--since", "24h", "--json", "--ledger", str(path)]) == 0
 assert json.loads(capsys.readouterr().out)["range"]["total"]["calls"] == 1
 assert main(["costs", "summary", "--since", "yesterday", "--until", "yesterday", "--ledger", str(path)]) == 0


# CSV import -------------------------------------------------------------------------------------------------------


@pytest.fixture
def varied_ledger(tmp_path):
 """Calls with every kind of value a CSV round trip could bend: formula triggers, a leading quote, commas,
 quotes and line breaks, no request id, an unpriced call, a float latency, a price and raw usage."""
 path = tmp_path / "varied.sqlite3"
 price = {"input": "2.5", "output": "10", "source": "https://openai.com/api/pricing", "as_of": "2026-11-22"}
 raw = {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 0}}
 with Ledger.open(path) as ledger:
  ledger.record_calls(
   [
    call(MONDAY + 60.123456, 150 * USD // 100 + 7, session="=cmd|' /C calc'!A0", request_id="q1", price=price),
    call(MONDAY + HOUR, 1, model="'quoted", session="'=not a formula", request_id="", raw_usage=raw),
    call(MONDAY + DAY, None, model="@mystery", provider="other", request_id="q3", status="failed"),
    call(MONDAY + 2 * DAY, 4 * USD, model="-x", run='r "4", with\nbreak', request_id="q4", latency_s=0.1 + 0.2),
   ]
  )
 return path


def exported(path, tmp_path, fmt, name):
 output = tmp_path / name
 with Ledger.open(path, create=False) as ledger:
  export_calls(ledger, output, fmt)
 return output


def without(objects, *keys):
 return [{k: v for k, v in obj.items() if k not in keys} for obj in objects]


def test_the_csv_export_imports_back_exactly(varied_ledger, tmp_path, capsys):
 csv_file = exported(varied_ledger, tmp_path, "csv", "calls.csv")
 other = tmp_path / "other.sqlite3"
 assert main(["costs", "import", str(csv_file), "--ledger", str(other)]) == 0, capsys.readouterr().err
 assert "imported 4 calls" in capsys.readouterr().out
 assert main(["costs", "import", str(csv_file), "--ledger", str(other)]) == 0
 assert "imported 0 calls" in capsys.readouterr().out  # the call without a request id got a stable one
 # The same file a JSON-lines export of the first ledger would give, field for field (the row id is the new
 # ledger's; the call without a request id now carries the derived one, as after a JSON-lines import).
 original = [json.loads(line) for line in exported(varied_ledger, tmp_path, "json", "a.jsonl").read_text().splitlines()]
 again = [json.loads(line) for line in exported(other, tmp_path, "json", "b.jsonl").read_text().splitlines()]
 assert again[1]["request_id"].startswith("ledger:")
 assert without(again, "id", "request_id") == without(original, "id", "request_id")
 assert [o["request_id"] for o in again if o["request_id"] != again[1]["request_id"]] == ["q1", "q3", "q4"]
 with Ledger.open(other, create=False) as ledger:
  assert import_calls(ledger, tmp_path / "a.jsonl") == (0, 4)  # CSV and JSON lines derive the same id
 second_csv = exported(other, tmp_path, "csv", "again.csv")
 rows = lambda path: [r[1:] for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))]  # noqa: E731
 first_rows, second_rows = rows(csv_file), rows(second_csv)
 request_id = CSV_COLUMNS.index("request_id") - 1
 assert second_rows[2][request_id] == again[1]["request_id"]
 second_rows[2][request_id] = ""
 assert second_rows == first_rows


def test_a_bad_csv_row_names_its_line_and_stores_nothing(varied_ledger, tmp_path):
 csv_file = exported(varied_ledger, tmp_path, "csv", "calls.csv")
 lines = csv_file.read_bytes().decode("utf-8").split("\r\n")
 broken = tmp_path / "broken.csv"
 broken.write_text("\r\n".join([lines[0], lines[1].replace(",1.0,", ",slow,", 1), *lines[2:]]), encoding="utf-8")
 with Ledger.open(tmp_path / "other.sqlite3") as other:
  with pytest.raises(ExportError, match=r"broken\.csv:2: latency_s"):
   import_calls(other, broken)
  assert count_calls(other) == 0


def test_an_export_to_a_pipe_writes_into_it_and_leaves_it_a_pipe(project, tmp_path, capsys):
 """`-o /dev/stdout` and the like: a rename would put a regular file in the pipe's (or device's) place."""
 fifo = tmp_path / "pipe"
 os.mkfifo(fifo)
 reader = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # read-write: opening the writing end does not wait
 try:
  assert export(project, tmp_path, fifo) == 0, capsys.readouterr().err
  assert stat.S_ISFIFO(fifo.lstat().st_mode)
  assert os.read(reader, 1 << 16).decode("utf-8").startswith("id,ts,")
 finally:
  os.close(reader)
