"""A call's cost lines (fees, modality tokens, tier rates, a gateway's figure) are kept with it in the ledger, in
CSV and JSON exports that import back, and in the PDF report; lines that do not add up to the cost are refused."""

import csv
import dataclasses
import json
from datetime import UTC

import pytest
from ledger_factory import MONDAY, call
from pypdf import PdfReader

from mma_conductor.cost_tracker import response_cost_lines
from mma_conductor.ledger.exports import export_calls, import_calls
from mma_conductor.ledger.pdf import write_pdf_report
from mma_conductor.ledger.queries import list_calls
from mma_conductor.ledger.reports import beyond_token_totals
from mma_conductor.ledger.store import Ledger
from mma_conductor.pricing.usage import usage_from_response

# docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool, "Response" usage example.
SEARCHED = {
 "type": "message",
 "model": "claude-sonnet-4-5",
 "usage": {"input_tokens": 6039, "output_tokens": 931, "server_tool_use": {"web_search_requests": 1}},
}
FEE = 10 * 10**15 // 1000


def searched_call(at, request_id):
 lines = response_cost_lines(SEARCHED)
 base = call(
  at, sum(line.units for line in lines), model="claude-sonnet-4-5", provider="anthropic", request_id=request_id
 )
 usage = usage_from_response(SEARCHED)
 return dataclasses.replace(base, usage=usage, cost_lines=[line.as_dict() for line in lines])


@pytest.fixture
def ledger(tmp_path):
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  opened.record_calls(
   [searched_call(MONDAY + 60, "msg_1"), searched_call(MONDAY + 120, "msg_2"), call(MONDAY + 180, 10**12)]
  )
  yield opened


def test_lines_are_kept_with_the_call_and_fees_summed(ledger):
 stored = {record.request_id: record.as_dict() for record in list_calls(ledger)}
 assert [line["item"] for line in stored["msg_1"]["cost_lines"]] == ["input", "output", "web_search"]
 assert stored["msg_1"]["fees_usd"] == "0.010000000000000"
 assert stored[""]["cost_lines"] is None and stored[""]["fees_usd"] is None
 assert beyond_token_totals(ledger)[0].item == "web_search"
 assert (beyond_token_totals(ledger)[0].quantity, beyond_token_totals(ledger)[0].units) == (2, 2 * FEE)


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_exports_carry_the_lines_and_import_back_exactly(ledger, tmp_path, kind):
 path = tmp_path / f"calls.{kind}"
 export_calls(ledger, path, kind)
 if kind == "csv":
  rows = list(csv.DictReader(path.open(newline="")))
  searched = next(row for row in rows if row["request_id"] == "msg_1")
  assert searched["fees_usd"] == "0.010000000000000"
  assert json.loads(searched["cost_lines"])[-1]["item"] == "web_search"
 with Ledger.open(tmp_path / "other.sqlite3") as other:
  assert import_calls(other, path) == (3, 0)
  again = {r.ts_us: r.as_dict() for r in list_calls(other)}
  for record in (r.as_dict() for r in list_calls(ledger)):
   assert again[record["ts_us"]]["cost_lines"] == record["cost_lines"]
   assert again[record["ts_us"]]["cost_units"] == record["cost_units"]


def test_a_csv_export_made_before_cost_lines_still_imports(ledger, tmp_path):
 path = tmp_path / "calls.csv"
 export_calls(ledger, path, "csv")
 rows = list(csv.DictReader(path.open(newline="")))
 old = tmp_path / "old.csv"
 with old.open("w", newline="") as handle:
  columns = [c for c in rows[0] if c not in ("fees_usd", "cost_lines")]
  writer = csv.DictWriter(handle, columns, extrasaction="ignore")
  writer.writeheader()
  writer.writerows(row for row in rows if row["request_id"] == "")
 with Ledger.open(tmp_path / "other.sqlite3") as other:
  assert import_calls(other, old) == (1, 0)


def test_lines_that_do_not_add_up_to_the_cost_are_refused_and_nothing_is_stored(tmp_path):
 bad = dataclasses.replace(searched_call(MONDAY, "msg_9"), cost_units=1)
 with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
  with pytest.raises(ValueError, match=r"call 0: cost_lines: the lines add up to \d+ units, not the cost 1"):
   opened.record_calls([bad])
  assert list_calls(opened) == []


def test_the_pdf_report_has_a_line_for_fees_beyond_tokens(ledger, tmp_path):
 out = tmp_path / "report.pdf"
 write_pdf_report(ledger, out, tz=UTC, now=MONDAY + 3600)
 flat = " ".join("\n".join(page.extract_text() for page in PdfReader(out).pages).split())
 assert "Beyond plain tokens (included above)" in flat
 assert "web search 2 $0.0200" in flat
