"""`mma-conductor costs ...`: cost history from the ledger, as plain tables or JSON.

    mma-conductor costs summary                       today, this week, this month, all time
    mma-conductor costs breakdown --by model          provider, model, tier, agent, status, day, week, month
    mma-conductor costs sessions [--session ID]       sessions, or one session by model and tier
    mma-conductor costs runs --top 10                 the costliest runs, and the cost per successful run
    mma-conductor costs export --format csv -o FILE   csv, json (JSON lines) or pdf (a report)
    mma-conductor costs import FILE                   a JSON-lines or CSV export, e.g. from another machine
    mma-conductor costs pricing                       the price table, and the ledger's unpriced models
    mma-conductor costs repair                        copy every readable call of a damaged ledger into a new one
    mma-conductor costs budget [set|remove|settings]  the budgets: limits, spend this period, what is left
    mma-conductor costs optimize [--candidates M1,M2] what each tier would have cost on other models; findings

Every report takes --since/--until, --json, --utc and --ledger PATH. Errors are one line on stderr:
exit 2 for a bad command line (unknown --by, bad dates), 1 for anything else (unwritable output, bad ledger).
A closed pipe (`costs ... | head`) ends quietly with exit 1.
Only light modules are imported here: the PDF library, the price book and its dataset load only when needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
BREAKDOWNS = ("provider", "model", "tier", "agent", "status", "day", "week", "month")
FORMATS = ("csv", "json", "pdf")


class CliError(Exception):
 """A one-line error with its exit code."""

 def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
  super().__init__(message)
  self.code = code


def register(subparsers: Any, words: Sequence[str] = ()) -> None:
 """Add the `costs` command and its reports to the main parser's subparsers. Given the words after `costs`,
 only the report they name, when they name one: the line parses the same, and a cold start skips building
 the other reports' parsers."""
 costs = subparsers.add_parser("costs", help="cost history from the ledger: summaries, breakdowns, exports")
 reports = costs.add_subparsers(dest="costs_command", metavar="REPORT")
 named = words[0] if words and words[0] in _REPORT_PARSERS else None
 common = _common_options()
 for name, add in _REPORT_PARSERS.items():
  if named in (None, name):
   add(reports, [common])


def _common_options() -> argparse.ArgumentParser:
 common = argparse.ArgumentParser(add_help=False)
 common.add_argument("--ledger", type=Path, help="ledger file (default: the project's [ledger] path or user data)")
 common.add_argument("--since", help="from this date or time (YYYY-MM-DD, ISO 8601, today, yesterday, 24h, 7d)")
 common.add_argument("--until", help="up to this date (included) or time (excluded)")
 common.add_argument("--json", action="store_true", help="machine-readable output")
 common.add_argument("--utc", action="store_true", help="days, weeks and months in UTC instead of local time")
 return common


def _summary_parser(reports: Any, parents: list) -> None:
 summary = reports.add_parser("summary", parents=parents, help="today, this week, this month and all time")
 summary.add_argument("--prices", default="recorded", help="recorded (default) or today: re-price every call")


def _breakdown_parser(reports: Any, parents: list) -> None:
 breakdown = reports.add_parser("breakdown", parents=parents, help="costs grouped by one dimension")
 breakdown.add_argument("--by", required=True, help=", ".join(BREAKDOWNS))
 breakdown.add_argument("--prices", default="recorded", help="recorded (default) or today: re-price every call")


def _sessions_parser(reports: Any, parents: list) -> None:
 sessions = reports.add_parser("sessions", parents=parents, help="sessions, most recent first")
 sessions.add_argument("--session", help="one session's costs by model and tier")
 sessions.add_argument("--limit", type=int, default=30)


def _runs_parser(reports: Any, parents: list) -> None:
 runs = reports.add_parser("runs", parents=parents, help="the costliest runs and the cost per successful run")
 runs.add_argument("--top", type=int, default=10, metavar="N")


def _export_parser(reports: Any, parents: list) -> None:
 export = reports.add_parser("export", parents=parents, help="calls as csv or JSON lines, or a pdf report")
 export.add_argument("--format", required=True, help="csv, json (JSON lines) or pdf")
 export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
 export.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")


def _import_parser(reports: Any, parents: list) -> None:
 importer = reports.add_parser("import", parents=parents, help="import a JSON-lines or CSV export")
 importer.add_argument("file", type=Path)
 importer.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")


def _pricing_parser(reports: Any, parents: list) -> None:
 reports.add_parser("pricing", parents=parents, help="the price table with sources and dates; unpriced models")


def _repair_parser(reports: Any, _parents: list) -> None:
 repair = reports.add_parser(
  "repair", help="check the ledger; if damaged, copy every readable call into a new ledger and keep the old file"
 )
 repair.add_argument("--ledger", type=Path, help="ledger file (default: the project's [ledger] path or user data)")
 repair.add_argument("--json", action="store_true", help="machine-readable output")


def _optimize_parser(reports: Any, parents: list) -> None:
 optimize = reports.add_parser(
  "optimize", parents=parents, help="each tier's tokens priced on the other configured models; other findings"
 )
 optimize.add_argument("--provider", help="only this provider's calls")
 optimize.add_argument("--tier", help='only this tier ("Tier 3" or 3)')
 optimize.add_argument("--candidates", default="", help="more models to compare with, comma-separated")


# The reports in the order `costs --help` lists them.
_REPORT_PARSERS = {
 "summary": _summary_parser,
 "breakdown": _breakdown_parser,
 "sessions": _sessions_parser,
 "runs": _runs_parser,
 "export": _export_parser,
 "import": _import_parser,
 "pricing": _pricing_parser,
 "repair": _repair_parser,
 "budget": lambda reports, _parents: _register_budget(reports),
 "optimize": _optimize_parser,
}


def run(args: argparse.Namespace, project_dir: Path | None = None, app_paths: Any = None) -> int:
 """Run a `costs` report; print a one-line error and return non-zero on failure. `app_paths` (a config.AppPaths,
 or a function returning one, called only by the reports that need it) names the app's files outside the ledger:
 exports never overwrite them, the summary reads the tracks folder."""
 args.app_paths = app_paths
 command = getattr(args, "costs_command", None)
 if command is None:
  _warn("mma-conductor: costs needs a report: " + ", ".join(_HANDLERS))
  return EXIT_USAGE
 import sqlite3

 from ..pricing.budgets import BudgetError
 from ..pricing.money import PriceError
 from .config import LedgerConfigError
 from .errors import ExportError
 from .store import LedgerError

 try:
  return _to_stdout(_HANDLERS[command], args, project_dir)
 except CliError as exc:
  _warn(f"mma-conductor: {exc}")
  return exc.code
 except (LedgerError, LedgerConfigError, ExportError, PriceError, BudgetError, OSError) as exc:
  _warn(f"mma-conductor: {_one_line(exc)}")
  return EXIT_ERROR
 except sqlite3.Error as exc:
  _warn(f"mma-conductor: ledger {getattr(args, 'ledger', '') or ''}: {_one_line(exc)}")
  return EXIT_ERROR


def _to_stdout(handler, args: argparse.Namespace, project_dir: Path | None) -> int:
 """Run a report; a reader that went away (`costs ... | head`) ends it quietly with exit 1 (files.to_stdout)."""
 from ..files import to_stdout

 return to_stdout(lambda: handler(args, project_dir), EXIT_ERROR)


def _one_line(exc: BaseException) -> str:
 return " ".join(str(exc).split())


def _say(text: str) -> None:
 """Print report text with the ledger's fields made harmless: control characters (an escape sequence in a model
 name, a carriage return in a title) are shown as escapes, never sent to the terminal."""
 from .text import visible

 print("\n".join(visible(line) for line in text.split("\n")))


def _warn(message: str) -> None:
 from .text import visible

 print(visible(message), file=sys.stderr)


# Options --------------------------------------------------------------------------------------------------------


def _tz(args: argparse.Namespace):
 from datetime import UTC

 return UTC if args.utc else None


def _filter(args: argparse.Namespace, **matches: Any):
 from .periods import parse_when
 from .queries import CallFilter

 tz = _tz(args)
 try:
  since = parse_when(args.since, "--since", tz=tz) if args.since else None
  until = parse_when(args.until, "--until", end=True, tz=tz) if args.until else None
 except ValueError as exc:
  raise CliError(str(exc), EXIT_USAGE) from None
 if since is not None and until is not None and since >= until:
  raise CliError(f"--since {args.since} is not before --until {args.until}", EXIT_USAGE)
 return CallFilter(since_us=since, until_us=until, **matches)


def _open(args: argparse.Namespace, project_dir: Path | None, *, write: bool = False):
 from .config import resolve_ledger_path
 from .store import Ledger, LedgerMissing

 path = resolve_ledger_path(args.ledger, project_dir)
 try:
  return Ledger.open(path, create=write, check_at_open=write)
 except LedgerMissing as exc:
  _warn(f"mma-conductor: {exc}; showing zeros")
  return Ledger.empty(path)


def _print_json(payload: Any) -> None:
 from .text import json_text

 print(json_text(payload, indent=1))


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
 from ..pricing.report import format_table
 from .text import visible

 return format_table(headers, [[visible(cell) for cell in row] for row in rows], right)


def _figures_row(label: str, figures, total_units: int | None = None) -> list[str]:
 row = [
  label,
  f"{figures.calls:,}",
  f"{figures.input_tokens:,}",
  f"{figures.output_tokens:,}",
  f"{figures.cache_read_tokens:,}",
  figures.cost_label,
 ]
 if total_units is not None:
  row.append(f"{figures.cost_units / total_units:.1%}" if total_units else "-")
 return row


_FIGURE_HEADERS = ["Calls", "Input tokens", "Output tokens", "Cache read", "Cost"]


def _share_table(title: str, rows: list[list[str]]) -> str:
 """Figure rows with their share of the total, under `title`."""
 return _table([title, *_FIGURE_HEADERS, "Share"], rows, right={1, 2, 3, 4, 5, 6})


# Reports --------------------------------------------------------------------------------------------------------


def _summary(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .periods import parse_when
 from .queries import period_summary, spend_rate, summarize, unpriced_models_in_ledger

 _check_prices(args)
 filt = _filter(args)
 tz = _tz(args)
 book = _price_book(project_dir) if args.prices == "today" else None
 priced = {"prices": args.prices, "book": book}
 with _open(args, project_dir) as ledger:
  periods = period_summary(ledger, tz=tz, **priced)
  ranged = summarize(ledger, None, filt, tz=tz, **priced) if (filt.since_us, filt.until_us) != (None, None) else None
  rate_filter = filt if ranged else _filter_since(parse_when("7d", "7d", tz=tz))
  rate = spend_rate(ledger, rate_filter, **priced)
  unpriced = unpriced_models_in_ledger(ledger, book)
  shown = (ranged.total if ranged else periods["all_time"]).calls
  note = "" if shown else _unrecorded_note(ledger, project_dir, _app_paths(args).tracks_dir)
  path = ledger.path
 report = {"path": path, "periods": periods, "ranged": ranged, "rate": rate, "unpriced": unpriced, "note": note}
 report["prices"] = args.prices
 report["rate_label"] = "the range" if ranged else "the last 7 days"
 (_summary_json if args.json else _summary_text)(report)
 return EXIT_OK


def _summary_json(report: dict[str, Any]) -> None:
 payload = {"ledger": str(report["path"]), "prices": report["prices"]}
 payload["periods"] = {k: v.as_dict() for k, v in report["periods"].items()}
 if report["ranged"]:
  payload["range"] = report["ranged"].as_dict()
 payload["spend_rate"] = report["rate"].as_dict() | {"over": report["rate_label"]}
 payload["unpriced_models"] = dict(report["unpriced"])
 if report["note"]:
  payload["note"] = report["note"]
 _print_json(payload)


_PERIOD_LABELS = {"today": "Today", "this_week": "This week", "this_month": "This month", "all_time": "All time"}


def _summary_text(report: dict[str, Any]) -> None:
 rows = [_figures_row(_PERIOD_LABELS[key], figures) for key, figures in report["periods"].items()]
 if report["ranged"]:
  rows.append(_figures_row("Range", report["ranged"].total))
 _say(f"Ledger: {report['path']}")
 _say(_table(["Period", *_FIGURE_HEADERS], rows, right={1, 2, 3, 4, 5}))
 _say(f"Spend rate over {report['rate_label']}: {report['rate'].as_dict()['per_day']}/day")
 if report["unpriced"]:
  _say("Unpriced calls (no price known): " + ", ".join(f"{model} ({calls:,})" for model, calls in report["unpriced"]))
 if report["note"]:
  _say(report["note"])
 if report["prices"] == "today":
  _say("(re-priced at today's prices)")


def _app_paths(args: argparse.Namespace):
 """The AppPaths handed to `run` (given as is, or as a function that gathers them), or none."""
 from .config import AppPaths

 paths = getattr(args, "app_paths", None)
 return (paths() if callable(paths) else paths) or AppPaths()


def _unrecorded_note(ledger, project_dir: Path | None, tracks_dir: Path | None) -> str:
 """Why a summary shows no calls although the project ran tracks ("" when that is not the case): a run enters
 the ledger with its first recorded call, so a track file whose id is no run of the ledger recorded nothing,
 which, unless recording is on, is what the offline simulated provider's runs do."""
 from .config import PROJECT_CONFIG_NAME

 if project_dir is None or tracks_dir is None or _records_simulated(project_dir):
  return ""
 track_ids = [path.stem for path in sorted(tracks_dir.glob("*.toml"))]
 with ledger.reading() as conn:
  missing = [i for i in track_ids if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (i,)).fetchone() is None]
 if not missing:
  return ""
 tracks = "1 track of this project has" if len(missing) == 1 else f"{len(missing):,} tracks of this project have"
 config = Path(project_dir) / PROJECT_CONFIG_NAME
 return (
  f"Why no calls: {tracks} no calls in the ledger; simulated calls are not recorded (they cost nothing)."
  f" To record them, set [ledger] record_simulated = true in {config}"
 )


def _records_simulated(project_dir: Path) -> bool:
 """Whether the project records simulated calls; a broken config (reported by whatever reads it for real) says
 nothing either way, so no advice is given."""
 from .config import LedgerConfigError, load_ledger_settings

 try:
  return load_ledger_settings(project_dir).record_simulated
 except LedgerConfigError:
  return True


def _filter_since(since_us: int):
 from .queries import CallFilter

 return CallFilter(since_us=since_us)


def _breakdown(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .queries import summarize

 _check_breakdown(args)
 filt = _filter(args)
 book = _price_book(project_dir) if args.prices == "today" else None
 with _open(args, project_dir) as ledger:
  summary = summarize(ledger, args.by, filt, tz=_tz(args), prices=args.prices, book=book)
 if args.json:
  _print_json(summary.as_dict())
  return EXIT_OK
 total = summary.total.cost_units
 rows = [_figures_row(g.key or "(none)", g, total) for g in summary.groups]
 rows.append(_figures_row("Total", summary.total, total))
 _say(_share_table(args.by.capitalize(), rows))
 if args.prices == "today":
  _say("(re-priced at today's prices)")
 return EXIT_OK


def _check_breakdown(args: argparse.Namespace) -> None:
 if args.by not in BREAKDOWNS:
  raise CliError(f"--by {args.by}: unknown breakdown (use {', '.join(BREAKDOWNS)})", EXIT_USAGE)
 _check_prices(args)


def _check_prices(args: argparse.Namespace) -> None:
 if args.prices not in ("recorded", "today"):
  raise CliError(f"--prices {args.prices}: use recorded or today", EXIT_USAGE)


def _sessions(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .periods import to_datetime
 from .reports import sessions

 filt = _filter(args)
 with _open(args, project_dir) as ledger:
  if args.session:
   return _one_session(args, ledger)
  found = sessions(ledger, filt, limit=args.limit)
 if args.json:
  _print_json([s.as_dict() for s in found])
  return EXIT_OK
 tz = _tz(args)

 def when(us: int) -> str:
  return to_datetime(us, tz).strftime("%Y-%m-%d %H:%M")

 rows = [[s.session_id, when(s.first_us), when(s.last_us), *_figures_row("", s.figures)[1:]] for s in found]
 _say(_table(["Session", "First call", "Last call", *_FIGURE_HEADERS], rows, right={3, 4, 5, 6, 7}))
 return EXIT_OK


def _one_session(args: argparse.Namespace, ledger) -> int:
 from .reports import session_breakdown

 breakdown = session_breakdown(ledger, args.session)
 if args.json:
  _print_json(breakdown.as_dict())
  return EXIT_OK
 if not breakdown.total.calls:
  raise CliError(f"no calls recorded for session {args.session!r}")
 total = breakdown.total.cost_units
 _say(f"Session {args.session}: {breakdown.total.cost_label} over {breakdown.total.calls:,} calls")
 by_model = _share_table("Model", [_figures_row(g.key, g, total) for g in breakdown.by_model])
 by_tier = _share_table("Tier", [_figures_row(g.key, g, total) for g in breakdown.by_tier])
 _say(f"{by_model}\n\n{by_tier}")
 return EXIT_OK


def _runs(args: argparse.Namespace, project_dir: Path | None) -> int:
 from ..pricing.money import format_usd_auto
 from .reports import run_economics, top_runs
 from .text import visible

 if args.top < 0:
  raise CliError(f"--top {args.top}: must not be negative", EXIT_USAGE)
 filt = _filter(args)
 with _open(args, project_dir) as ledger:
  found = top_runs(ledger, args.top, filt)
  economics = run_economics(ledger, filt)
 if args.json:
  _print_json({"top": [r.as_dict() for r in found], "economics": economics.as_dict()})
  return EXIT_OK
 rows = [[r.run_id, r.status, f"{r.figures.calls:,}", r.figures.cost_label, _clip(visible(r.goal), 50)] for r in found]
 _say(_table(["Run", "Status", "Calls", "Cost", "Goal"], rows, right={2, 3}))
 per = economics.cost_per_successful_run_units
 _say(
  f"{economics.runs:,} runs, {economics.successful_runs:,} done; cost per successful run: "
  + ("n/a (no run done yet)" if per is None else format_usd_auto(per))
 )
 return EXIT_OK


def _clip(text: str, width: int) -> str:
 return text if len(text) <= width else text[: width - 3] + "..."


def _export(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .config import own_files, resolve_ledger_path
 from .exports import export_calls, refuse_own_file

 if args.format not in FORMATS:
  raise CliError(f"--format {args.format}: unknown format (use {', '.join(FORMATS)})", EXIT_USAGE)
 filt = _filter(args)
 output: Path = args.output
 if not output.parent.is_dir():
  raise CliError(f"{output}: cannot write: the folder {output.parent} does not exist")
 app = _app_paths(args)
 files = [*own_files(project_dir, resolve_ledger_path(args.ledger, project_dir)), *app.files]
 refuse_own_file(output, files, [app.tracks_dir] if app.tracks_dir else [])
 with _open(args, project_dir) as ledger:
  if args.format == "pdf":
   from .pdf import write_pdf_report

   write_pdf_report(ledger, output, filt, tz=_tz(args))
   count = None
  else:
   count = export_calls(ledger, output, args.format, filt, progress=True if args.progress else None)
 if args.json:
  _print_json({"output": str(output), "format": args.format, "calls": count})
 else:
  _say(f"wrote {output}" + (f" ({count:,} calls)" if count is not None else ""))
 return EXIT_OK


def _import(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .exports import import_calls

 with _open(args, project_dir, write=True) as ledger:
  stored, duplicates = import_calls(ledger, args.file, progress=True if args.progress else None)
 if args.json:
  _print_json({"stored": stored, "already_present": duplicates})
 else:
  _say(f"imported {stored:,} calls from {args.file} ({duplicates:,} already in the ledger)")
 return EXIT_OK


def _price_book(project_dir: Path | None):
 """Today's prices: built-ins, then the user's pricing file, the project's and `MMA_PRICE_*` (PriceError when one
 of them is wrong). Loaded only by the reports that price."""
 from ..pricing.config import load_price_book

 return load_price_book(project_dir)


def _pricing(args: argparse.Namespace, project_dir: Path | None) -> int:
 from ..pricing.report import pricing_rows, render_pricing_text
 from .queries import unpriced_models_in_ledger

 book = _price_book(project_dir)
 with _open(args, project_dir) as ledger:
  in_ledger = unpriced_models_in_ledger(ledger)
 for model, _ in in_ledger:
  book.price(model)
 rows = pricing_rows(book)
 if args.json:
  _print_json({"models": rows, "unpriced": sorted(book.unpriced_models()), "unpriced_in_ledger": dict(in_ledger)})
  return EXIT_OK
 _say(render_pricing_text(rows, book.unpriced_models(), book.sources))
 if in_ledger:
  _say("Unpriced calls in the ledger: " + ", ".join(f"{model} ({calls:,})" for model, calls in in_ledger))
 return EXIT_OK


def _repair(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .config import resolve_ledger_path
 from .store import repair_ledger

 report = repair_ledger(resolve_ledger_path(args.ledger, project_dir))
 if args.json:
  kept = None if report.kept_as is None else str(report.kept_as)
  _print_json({"ledger": str(report.path), "damaged_file_kept_as": kept, "saved": report.saved, "lost": report.lost})
 elif report.kept_as is None:
  _say(f"{report.path}: the ledger is sound; nothing to repair")
 else:
  _say(_repair_line(report))
 return EXIT_OK


def _repair_line(report) -> str:
 saved, lost = report.saved, report.lost
 return (
  f"{report.path}: repaired: {saved['calls']:,} calls and {saved['runs']:,} runs copied into a new ledger, "
  f"{lost['calls']:,} calls and {lost['runs']:,} runs could not be read; the damaged file is kept as {report.kept_as}"
 )


# Budgets --------------------------------------------------------------------------------------------------------

BUDGET_COMMANDS = ("set", "remove", "settings")


def _register_budget(reports: Any) -> None:
 budget = reports.add_parser(
  "budget", help="the budgets: limit, spend this period, what is left; set, remove, settings"
 )
 _budget_options(budget, None)
 commands = budget.add_subparsers(dest="budget_command", metavar="ACTION")
 setter = commands.add_parser("set", help="add a budget, or change the given options of an existing one")
 setter.add_argument("--period", help="daily, weekly, monthly or run (one track run)")
 setter.add_argument("--tier", default="", help='count only this tier\'s calls ("Tier 3"; default: all tiers)')
 setter.add_argument("--limit", help="the limit in dollars (needed for a new budget)")
 setter.add_argument("--alert-at", help="alert when spend passes this share of the limit (default 80%%)")
 setter.add_argument("--action", help="at the limit: warn, pause (default) or stop")
 remover = commands.add_parser("remove", help="remove a budget")
 remover.add_argument("--period", help="daily, weekly, monthly or run")
 remover.add_argument("--tier", default="", help="the budget's tier (default: the all-tier budget)")
 settings = commands.add_parser("settings", help="the time zone and week start of the calendar budgets")
 settings.add_argument("--time-zone", help='"local" or a zone name like "Europe/Berlin"')
 settings.add_argument("--week-start", help="the first day of a weekly budget's week (monday .. sunday)")
 for command in (setter, remover, settings):
  _budget_options(command, argparse.SUPPRESS)


def _budget_options(parser: Any, default: Any) -> None:
 # The ACTIONs take --json and --ledger too; SUPPRESS keeps one given before the ACTION.
 parser.add_argument("--ledger", type=Path, default=default, help="ledger file (default: the project's)")
 parser.add_argument("--json", action="store_true", default=default or False, help="machine-readable output")


def _budget(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .config import PROJECT_CONFIG_NAME

 path = Path(project_dir or Path.cwd()) / PROJECT_CONFIG_NAME
 action = _BUDGET_ACTIONS.get(args.budget_command or "list")
 return action(args, project_dir, path)


def _budget_settings(path: Path):
 from ..pricing.budgets import load_budget_settings

 return load_budget_settings(path)


def _budget_list(args: argparse.Namespace, project_dir: Path | None, path: Path) -> int:
 from ..pricing.calendar import to_us
 from .budget_report import budgets_json, ledger_rows

 settings = _budget_settings(path)
 now = to_us(__import__("time").time())
 with _open(args, project_dir) as ledger:
  rows = ledger_rows(ledger, settings, now)
  ledger_path = ledger.path
 if args.json:
  _print_json({"file": str(path), "ledger": str(ledger_path)} | budgets_json(settings, rows, now, "ledger"))
  return EXIT_OK
 _say(_budget_text(path, ledger_path, settings, rows, now))
 return EXIT_OK


def _budget_text(path: Path, ledger_path: Path, settings, rows, now: int) -> str:
 from ..pricing.budgets import WEEKDAYS

 where = f"time zone {settings.time_zone}, weeks start on {WEEKDAYS[settings.week_start]}"
 head = f"Budgets in {path} ({where}); spend from {ledger_path}"
 if not rows:
  return f"{head}\nNo budgets. Add one: mma-conductor costs budget set --period monthly --limit 100"
 headers = ["Budget", "Period", "Tier", "Limit", "Used", "Left", "Used %", "Alert at", "Action", "Resets"]
 table = _table(headers, [_budget_cells(row, settings, now) for row in rows], right={3, 4, 5, 6, 7})
 return f"{head}\n{table}"


def _budget_cells(row, settings, now: int) -> list[str]:
 from .periods import to_datetime

 status, budget = row.status, row.status.budget
 if status.resets_us is None:
  resets = f"at the next run (used: latest run {row.run_id})" if row.run_id else "at the next run (no run yet)"
 else:
  when = status.resets_text(now).removeprefix("resets ")
  resets = f"{to_datetime(status.resets_us, settings.tz):%Y-%m-%d %H:%M} ({when})"
 money = [_dollars(units) for units in (budget.limit_units, status.used_units, status.left_units)]
 alert = f"{budget.alert_pct.normalize():f}%"
 return [
  budget.key,
  budget.period,
  budget.tier or "all",
  *money,
  f"{status.percent:.0f}%",
  alert,
  budget.action,
  resets,
 ]


def _dollars(units: int) -> str:
 """`$0.50`, or `$0.0045` for an amount that is not whole cents."""
 from ..pricing.money import UNITS_PER_USD, format_usd, format_usd_auto

 return format_usd(units, 2) if units % (UNITS_PER_USD // 100) == 0 else format_usd_auto(units)


def _budget_option(value: str | None, choices: tuple[str, ...], option: str) -> str | None:
 if value is not None and value not in choices:
  raise CliError(f"{option} {value}: expected one of {', '.join(choices)}", EXIT_USAGE)
 return value


def _budget_tier(value: str) -> str:
 from ..pricing.tiers import TIER_NAMES

 text = " ".join(value.split()).lower().replace("tier", "").strip()
 tier = f"Tier {text}" if text else ""
 if tier and tier not in TIER_NAMES:
  raise CliError(f"--tier {value}: unknown tier (use {', '.join(TIER_NAMES)})", EXIT_USAGE)
 return tier


def _budget_key(args: argparse.Namespace) -> tuple[str, str]:
 from ..pricing.budgets import BUDGET_PERIODS

 if args.period is None:
  raise CliError(f"--period: needed ({', '.join(BUDGET_PERIODS)})", EXIT_USAGE)
 return _budget_option(args.period, tuple(BUDGET_PERIODS), "--period"), _budget_tier(args.tier)


def _budget_set(args: argparse.Namespace, project_dir: Path | None, path: Path) -> int:
 from dataclasses import replace

 from ..pricing.budgets import ACTIONS, Budget, BudgetError, budget_key, parse_alert_at, parse_limit

 period, tier = _budget_key(args)
 _budget_option(args.action, ACTIONS, "--action")
 settings = _budget_settings(path)
 old = settings.find(budget_key(period, tier))
 if old is None and args.limit is None:
  raise CliError(f"--limit: needed for a new {budget_key(period, tier)} budget (e.g. --limit 100)", EXIT_USAGE)
 try:
  changes = {"limit_units": parse_limit(args.limit, "--limit")} if args.limit is not None else {}
  changes |= {"alert_pct": parse_alert_at(args.alert_at, "--alert-at")} if args.alert_at is not None else {}
 except BudgetError as exc:
  raise CliError(str(exc), EXIT_USAGE) from None
 changes |= {"action": args.action} if args.action is not None else {}
 budget = replace(old or Budget(period, 0, tier=tier), **changes)
 return _budget_saved(args, path, settings.with_budget(budget), f"{'changed' if old else 'added'} {budget.label()}")


def _budget_saved(args: argparse.Namespace, path: Path, settings, said: str) -> int:
 from ..pricing.budgets import save_budget_settings

 save_budget_settings(path, settings)
 if args.json:
  _print_json({"file": str(path), "saved": said, "budgets": [b.key for b in settings.limits]})
 else:
  _say(f"{said} in {path}")
 return EXIT_OK


def _budget_remove(args: argparse.Namespace, project_dir: Path | None, path: Path) -> int:
 from ..pricing.budgets import BudgetError, budget_key

 period, tier = _budget_key(args)
 settings = _budget_settings(path)
 key = budget_key(period, tier)
 try:
  kept = settings.without(key)
 except BudgetError as exc:
  raise CliError(f"{path}: {exc}") from None
 return _budget_saved(args, path, kept, f"removed the {settings.find(key).label()}")


def _budget_zone_settings(args: argparse.Namespace, project_dir: Path | None, path: Path) -> int:
 from dataclasses import replace

 from ..pricing.budgets import BudgetError, BudgetSettings, parse_week_start

 settings = _budget_settings(path)
 try:
  zone = args.time_zone.strip() if args.time_zone is not None else settings.time_zone
  BudgetSettings(time_zone=zone or "?").tz  # noqa: B018 (looked up to refuse an unknown zone)
  week = parse_week_start(args.week_start, "--week-start") if args.week_start is not None else settings.week_start
 except BudgetError as exc:
  raise CliError(_one_line(exc).replace("budgets.time_zone", "--time-zone"), EXIT_USAGE) from None
 changed = replace(settings, time_zone=zone, week_start=week)
 return _budget_saved(args, path, changed, "saved the budgets' time zone and week start")


_BUDGET_ACTIONS = {
 "list": _budget_list,
 "set": _budget_set,
 "remove": _budget_remove,
 "settings": _budget_zone_settings,
}


def _optimize(args: argparse.Namespace, project_dir: Path | None) -> int:
 from .dashboard import DashboardQuery
 from .insights import candidate_models, configured_tiers, insights, insights_json, insights_text

 filt = _filter(args)
 tier = _budget_tier(args.tier or "") or None
 query = DashboardQuery(filt.since_us, filt.until_us, provider=args.provider or None, tier=tier)
 tiers = configured_tiers(project_dir or Path.cwd())
 named = [m.strip() for m in args.candidates.split(",") if m.strip()]
 book = _price_book(project_dir)
 for model in named:
  if not book.is_priced(model):
   _warn(f"mma-conductor: --candidates {model}: no price for it (left out)")
 with _open(args, project_dir) as ledger:
  current = {name: (t.provider, t.model) for name, t in tiers.items()}
  found = insights(ledger, query, book, current, candidate_models(tiers, named))
 if args.json:
  _print_json(insights_json(found))
 else:
  _say(insights_text(found))
 return EXIT_OK


_HANDLERS = {
 "summary": _summary,
 "breakdown": _breakdown,
 "sessions": _sessions,
 "runs": _runs,
 "export": _export,
 "import": _import,
 "pricing": _pricing,
 "repair": _repair,
 "budget": _budget,
 "optimize": _optimize,
}
