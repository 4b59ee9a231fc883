"""Exports: CSV safe for spreadsheets, JSON lines that import back once, and a PDF report a person can read."""

import csv
import io
import json
from datetime import UTC

import pytest
from ledger_factory import DAY, HOUR, MONDAY, USD, call
from pypdf import PdfReader

from mma_conductor.ledger.exports import (
 ExportError,
 csv_row,
 export_calls,
 import_calls,
 neutralize_cell,
)
from mma_conductor.ledger.pdf import write_pdf_report
from mma_conductor.ledger.queries import CallFilter, all_time, count_calls, list_calls
from mma_conductor.ledger.store import Ledger

CENT = USD // 100


@pytest.mark.parametrize(
 ("cell", "expected"),
 [
  ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
  ("+1+2", "'+1+2"),
  ("-2+3", "'-2+3"),
  ("@SUM(A1)", "'@SUM(A1)"),
  ("\tcmd", "'\tcmd"),
  ("\rcmd", "'\rcmd"),
  ("gpt-4o", "gpt-4o"),
  ("a=b", "a=b"),
  ("", ""),
  (None, ""),
  (12, "12"),
 ],
)
def test_formula_triggers_are_neutralized(cell, expected):
 assert neutralize_cell(cell) == expected


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  price = {"input": "2.5", "output": "10", "source": "https://openai.com/api/pricing", "as_of": "2026-11-22"}
  opened.record_calls(
   [
    call(MONDAY + 60, 150 * CENT, session="=cmd|' /C calc'!A0", request_id="q1", price=price, provider="openai"),
    call(MONDAY + HOUR, 25 * CENT, model="claude-haiku-4-5", provider="anthropic", request_id="", run="r2"),
    call(MONDAY + DAY, None, model="@mystery", provider="other", request_id="q3", status="failed", run="r3"),
    call(MONDAY + 2 * DAY, 400 * CENT, model="gemini-2.5-pro", provider="gemini", request_id="q4", run="r4"),
   ]
  )
  opened.record_run("r4", "done", goal="Ship the PDF report")
  opened.record_run("r2", "error", goal="-risky goal")
  yield opened


def test_csv_export_is_neutralized_and_complete(ledger, tmp_path):
 out = tmp_path / "calls.csv"
 assert export_calls(ledger, out, "csv") == 4
 rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
 assert [r["request_id"] for r in rows] == ["q1", "", "q3", "q4"]
 assert rows[0]["session_id"] == "'=cmd|' /C calc'!A0"
 assert rows[2]["model"] == "'@mystery" and rows[2]["cost_usd"] == ""
 assert rows[0]["cost_usd"] == "1.500000000000000" and rows[0]["price_source"] == "https://openai.com/api/pricing"
 assert rows[3]["ts"] == "2026-01-07T00:00:00.000000Z"
 every_cell = [cell for row in rows for cell in row.values()]
 assert not [c for c in every_cell if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
 ranged = tmp_path / "range.csv"
 assert export_calls(ledger, ranged, "csv", CallFilter(since_us=(MONDAY + DAY) * 10**6)) == 2


def test_csv_row_neutralizes_every_text_field(ledger):
 (record,) = list_calls(ledger, CallFilter(status="failed"))
 assert csv_row(record)[8] == "'@mystery"
 (first,) = list_calls(ledger, CallFilter(provider="openai"))
 assert csv_row(first)[2] == "'=cmd|' /C calc'!A0"


def test_json_lines_export_imports_back_once(ledger, tmp_path):
 out = tmp_path / "calls.jsonl"
 assert export_calls(ledger, out, "json") == 4
 objects = [json.loads(line) for line in out.read_text().splitlines()]
 assert objects[0]["cost_usd"] == "1.500000000000000" and objects[0]["price"]["as_of"] == "2026-11-22"
 assert objects[0]["session_id"] == "=cmd|' /C calc'!A0"  # JSON is data, not a spreadsheet: kept as is
 with Ledger.open(tmp_path / "other.sqlite3") as other:
  assert import_calls(other, out) == (4, 0)
  assert import_calls(other, out) == (0, 4)  # the call without a request id gets a stable one
  assert all_time(other).cost_units == all_time(ledger).cost_units
  assert [r.model for r in list_calls(other, newest_first=False)] == [
   r.model for r in list_calls(ledger, newest_first=False)
  ]


def test_a_bad_import_line_stores_nothing(ledger, tmp_path):
 out = tmp_path / "calls.jsonl"
 export_calls(ledger, out, "json")
 text = out.read_text().splitlines()
 broken = tmp_path / "broken.jsonl"
 broken.write_text("\n".join([text[0], '{"ts_us": 1, "model": "x", "session_id": "s", "status": "weird"}', text[1]]))
 with Ledger.open(tmp_path / "other.sqlite3") as other:
  with pytest.raises(ExportError, match=r"broken\.jsonl:2: status"):
   import_calls(other, broken)
  assert count_calls(other) == 0
  broken.write_text("not json\n")
  with pytest.raises(ExportError, match=r"broken\.jsonl:1: not JSON"):
   import_calls(other, broken)


def test_a_failed_export_keeps_the_earlier_file_and_leaves_no_temporary(ledger, tmp_path):
 out = tmp_path / "calls.csv"
 out.write_text("earlier export")
 with pytest.raises(ExportError, match="unknown export format"):
  export_calls(ledger, out, "xlsx")
 missing = tmp_path / "no" / "such" / "calls.csv"
 with pytest.raises(ExportError) as caught:
  export_calls(ledger, missing, "csv")
 assert str(missing) in str(caught.value)
 with pytest.raises(ExportError, match="directory"):
  export_calls(ledger, tmp_path, "csv")
 assert out.read_text() == "earlier export"
 assert not [p.name for p in tmp_path.rglob("*.tmp")]


def test_pdf_report_shows_summary_breakdowns_and_top_runs(ledger, tmp_path):
 out = tmp_path / "report.pdf"
 write_pdf_report(ledger, out, tz=UTC, now=MONDAY + 2 * DAY + HOUR)
 assert out.read_bytes().startswith(b"%PDF-")
 text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
 flat = " ".join(text.split())
 assert "AI spend report" in flat
 assert "All time (05 Jan 2026 to 07 Jan 2026)" in flat
 assert "$5.75" in flat  # total spend in the period
 assert "4 calls, 1 unpriced" in flat
 assert "Cost per day" in flat and "05 Jan" in flat
 for provider, cost in (("Gemini", "$4.00"), ("OpenAI", "$1.50"), ("Anthropic", "$0.2500")):
  assert provider in flat and cost in flat
 for model in ("gemini-2.5-pro", "gpt-4o", "claude-haiku-4-5", "@mystery"):
  assert model in flat
 assert "Costliest runs" in flat and "Ship the PDF report" in flat and "r4 done" in flat
 assert "Cost per successful run" in flat and "$5.75" in flat  # all runs' spend / the one successful run
 assert "By tier" in flat


def test_pdf_report_of_an_empty_range(ledger, tmp_path):
 out = tmp_path / "empty.pdf"
 write_pdf_report(ledger, out, CallFilter(since_us=(MONDAY + 30 * DAY) * 10**6), tz=UTC, now=MONDAY)
 flat = " ".join("\n".join(p.extract_text() for p in PdfReader(out).pages).split())
 assert "No spend in this period" in flat and "No calls in this period" in flat and "$0.00" in flat
