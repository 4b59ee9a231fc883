import contextlib
import io
import json
import subprocess
import sys

import pytest
from closed_pipe import run_into_closed_pipe

from mma_conductor.cli import build_parser, main


def test_pricing_table_lists_sources_dates_and_unpriced(capsys):
 assert main(["pricing"]) == 0
 out = capsys.readouterr().out
 assert "claude-sonnet-4-5" in out and "https://docs.claude.com" in out and "2026-11-22" in out
 assert ">200k: 6/22.5" in out
 assert "Unpriced models seen: none" in out


def test_pricing_lists_every_rate_beyond_tokens_with_source_and_date(capsys):
 assert main(["pricing"]) == 0
 out = capsys.readouterr().out
 search = next(line for line in out.splitlines() if line.startswith("web search ") and "anthropic" in line)
 assert " 10 " in search and "web-search-tool" in search and search.endswith("2026-11-22")
 history = [line for line in out.splitlines() if "deepseek-chat" in line and "until 2025-09-05 16:00 UTC" in line]
 assert any("off-peak 16:30-00:30 UTC" in line and "0.135 / 0.035 / 0.55" in line for line in history)
 assert main(["pricing", "--json"]) == 0
 charges = json.loads(capsys.readouterr().out)["charges"]
 priority = next(row for row in charges if row["dimension"] == "priority" and row["applies_to"] == "gpt-5")
 assert priority["rate"] == "2.5 / 0.25 / 20" and priority["source"] and priority["as_of"]


def test_pricing_model_answers_first_one_line_a_name_and_leaves_the_unpriced_list_alone(capsys):
 names = ["claude-sonnet-4-5-20250929", "zz-unknown", "gpt-4o-mni"]
 assert main(["pricing", *(arg for name in names for arg in ("--model", name))]) == 0
 lines = capsys.readouterr().out.splitlines()
 assert len(lines) == 3
 assert lines[0].startswith("claude-sonnet-4-5-20250929: priced as claude-sonnet-4-5 (normalized; $3 in / $15 out")
 assert lines[1] == "zz-unknown: unpriced (no table entry, dataset name or fallback)"
 assert lines[2].endswith("unpriced (no table entry, dataset name or fallback); did you mean gpt-4o-mini?")
 assert main(["pricing", "--json", "--model", "zz-unknown", "--model", "gpt-4o-mni"]) == 0
 payload = json.loads(capsys.readouterr().out)
 assert next(iter(payload)) == "resolved"
 assert payload["resolved"]["gpt-4o-mni"] == {"priced": False, "suggestion": "gpt-4o-mini"}
 assert payload["unpriced"] == []


def test_estimate_of_a_typo_is_unpriced_with_a_did_you_mean(capsys):
 assert main(["estimate", "gpt-4o-mni", "--input", "1000", "--output", "10"]) == 0
 assert "cost:   unpriced; did you mean gpt-4o-mini?" in capsys.readouterr().out
 assert main(["estimate", "gpt-4o-mni", "--input", "1000", "--output", "10", "--json"]) == 0
 payload = json.loads(capsys.readouterr().out)
 assert (payload["priced"], payload["suggestion"]) == (False, "gpt-4o-mini")


def test_pricing_json_and_all(capsys):
 assert main(["pricing", "--all", "--json"]) == 0
 payload = json.loads(capsys.readouterr().out)
 names = {row["model"] for row in payload["models"]}
 assert len(names) > 1500
 assert {"gpt-4o", "gemini-2.5-pro", "mistral-large"} <= names
 row = next(r for r in payload["models"] if r["model"] == "gemini-2.5-pro")
 assert row["input"] == "1.25" and row["tiers"][0]["above_input_tokens"] == 200000


def test_estimate_text_and_json(capsys):
 assert main(["estimate", "claude-sonnet-4-5", "--input", "300000", "--output", "2000", "--cache-read", "100000"]) == 0
 assert "$1.305000" in capsys.readouterr().out
 assert main(["estimate", "gpt-4o", "--input", "1000", "--output", "10", "--json"]) == 0
 payload = json.loads(capsys.readouterr().out)
 assert payload["cost_usd"] == "0.0026000000" and payload["priced"] is True


def test_estimate_unknown_model_says_unpriced(capsys):
 assert main(["estimate", "zz-nothing", "--input", "10", "--output", "1"]) == 0
 assert "cost:   unpriced" in capsys.readouterr().out


def test_price_response_reads_a_saved_stream(tmp_path, capsys):
 stream = tmp_path / "stream.jsonl"
 events = [
  {
   "type": "message_start",
   "message": {"model": "claude-haiku-4-5", "usage": {"input_tokens": 100, "output_tokens": 1}},
  },
  {"type": "message_delta", "usage": {"output_tokens": 40}},
  {"type": "message_delta", "usage": {"output_tokens": 90}},
 ]
 stream.write_text("\n".join("data: " + json.dumps(e) for e in events))
 assert main(["price-response", str(stream), "--json"]) == 0
 payload = json.loads(capsys.readouterr().out)
 assert payload["usage"]["output_tokens"] == 90
 assert payload["cost_usd"] == "0.0005500000"


def test_errors_exit_nonzero_with_one_line(tmp_path, capsys):
 (tmp_path / "mma_pricing.toml").write_text('[models."gpt-4o"]\ninput = -3\n')
 assert main(["pricing"]) == 1
 err = capsys.readouterr().err.strip()
 assert err.count("\n") == 0 and "mma_pricing.toml" in err and "negative" in err
 (tmp_path / "mma_pricing.toml").unlink()
 assert main(["estimate", "gpt-4o", "--input", "-1", "--output", "0"]) == 1
 assert "negative" in capsys.readouterr().err
 bad = tmp_path / "bad.json"
 bad.write_text('{"model": "gpt-4o"}')
 assert main(["price-response", str(bad)]) == 1
 assert "carries no usage" in capsys.readouterr().err


def test_console_script_runs_from_a_fresh_process(tmp_path):
 result = subprocess.run(
  [sys.executable, "-m", "mma_conductor.cli", "estimate", "gpt-4o", "--input", "1000000", "--output", "0", "--json"],
  capture_output=True,
  text=True,
  check=True,
  cwd=tmp_path,
 )
 assert json.loads(result.stdout)["cost_usd"] == "2.5000000000"


def test_absurd_prices_and_counts_are_one_line_errors_naming_the_field(tmp_path, capsys, monkeypatch):
 monkeypatch.chdir(tmp_path)
 monkeypatch.setenv("MMA_PRICE_GPT_4O_OUTPUT", "1e999999")  # was a decimal.Overflow traceback
 assert main(["estimate", "gpt-4o", "--input", "10", "--output", "1"]) == 1
 err = capsys.readouterr().err.strip()
 assert err.count("\n") == 0 and "MMA_PRICE_GPT_4O_OUTPUT" in err and "ceiling" in err
 monkeypatch.delenv("MMA_PRICE_GPT_4O_OUTPUT")
 assert main(["estimate", "gpt-4o", "--input", "10", "--output", str(10**12)]) == 1
 err = capsys.readouterr().err.strip()
 assert err.count("\n") == 0 and err.startswith("mma-conductor: --output: token count") and "absurd" in err
 saved = tmp_path / "reply.json"
 # OpenAI Chat Completions response shape (platform.openai.com/docs/api-reference/chat/object) with a null count
 saved.write_text(json.dumps({"model": "gpt-4o", "usage": {"prompt_tokens": None, "completion_tokens": 5}}))
 assert main(["price-response", str(saved)]) == 1
 err = capsys.readouterr().err.strip()
 assert err.count("\n") == 0 and "response.usage.prompt_tokens: token count is null" in err


@pytest.mark.parametrize(
 "command",
 [["pricing", "--all"], ["pricing", "--json"], ["estimate", "gpt-4o", "--input", "10", "--output", "5"], ["init"]],
)
def test_a_closed_pipe_ends_the_top_level_commands_quietly(command, tmp_path):
 """`mma-conductor pricing --all | head`: the reader is gone before the output is written; like `costs`, the
 command ends with exit 1 and nothing on stderr, no traceback."""
 result = run_into_closed_pipe("--project", str(tmp_path), *command)
 assert result.stderr == ""
 assert result.returncode == 1


def parsed(parser, words):
 """What `parser` makes of `words`: the namespace, or the exit code and what it printed."""
 out, err = io.StringIO(), io.StringIO()
 with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
  try:
   return vars(parser.parse_args(words))
  except SystemExit as exit_:
   return exit_.code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
 "words",
 [
  ["costs", "summary", "--ledger", "x.sqlite3", "--json"],
  ["costs", "summary", "--prices", "today", "--since", "7d"],
  ["costs", "summary", "--bogus"],
  ["costs", "summary", "-h"],
  ["costs", "breakdown"],
  ["costs", "breakdown", "--by", "model"],
  ["costs", "repair", "--since", "7d"],
  ["costs", "summry"],
  ["costs", "-h"],
  ["costs"],
  ["estimate", "gpt-4o", "--input", "10", "--output", "x"],
  ["pricing", "--model", "gpt-4o", "--json"],
  ["run", "--goal", "g", "extra"],
  ["gui"],
  ["bogus"],
  ["-h"],
  [],
 ],
)
def test_a_parser_built_for_its_command_line_parses_it_as_the_full_parser_does(words):
 """The parser that main builds holds only the command (and costs report) the line names; it must give the
 same namespace, help and errors as the parser of every command."""
 assert parsed(build_parser(words), words) == parsed(build_parser(), words)
