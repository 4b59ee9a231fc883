"""The `mma-conductor` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .ledger.cli import register as register_costs
from .pricing.money import PriceError, format_usd
from .pricing.usage import Usage, UsageError, token_count, usage_from_response

if TYPE_CHECKING:
 from .ledger.config import AppPaths
 from .pricing.book import PriceBook

# The `costs` reports import only the ledger and the pricing they use (a summary answers from a cold start in a
# few tens of ms); the app, engine and provider modules, and the price book's loader, load where they are used.

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser(words: Sequence[str] = ()) -> argparse.ArgumentParser:
 """All subcommands and their help. Given the command line's words (without --project), only the parsers of
 the command they name, when they name one (and of its `costs` report): the line parses the same, with the
 same errors, and a cold start skips building the other ~14 parsers."""
 parser = argparse.ArgumentParser(
  prog="mma-conductor",
  description="Conduct a four-tier multi-model agent hierarchy and price every LLM call exactly.",
 )
 parser.add_argument("--version", action="version", version=f"mma-conductor {__version__}")
 parser.add_argument(
  "--project", type=Path, default=None, help="project folder (its mma_pricing.toml overrides prices; default: cwd)"
 )
 sub = parser.add_subparsers(dest="command", metavar="COMMAND")
 named = words[0] if words and words[0] in _PARSERS else None
 for name, add in _PARSERS.items():
  if named in (None, name):
   add(sub, words[1:])
 return parser


def _gui_parser(sub, _words: Sequence[str]) -> None:
 sub.add_parser("gui", help="open the desktop app (the default when no command is given)")


def _init_parser(sub, _words: Sequence[str]) -> None:
 sub.add_parser("init", help="create the --project folder (default: cwd) with a commented mma_conductor.toml")


def _pricing_parser(sub, _words: Sequence[str]) -> None:
 pricing = sub.add_parser("pricing", help="show the price table with each price's source and date")
 pricing.add_argument(
  "--all", action="store_true", help="include the ~1,600 token-priced models of the genai-prices dataset"
 )
 pricing.add_argument(
  "--model", action="append", default=[], help="answer how this model name is priced, one line a name (repeatable)"
 )
 pricing.add_argument("--json", action="store_true", help="machine-readable output")


def _estimate_parser(sub, _words: Sequence[str]) -> None:
 estimate = sub.add_parser("estimate", help="price one call from its token counts")
 estimate.add_argument("model")
 estimate.add_argument("--input", type=int, required=True, help="whole prompt tokens, cached included")
 estimate.add_argument("--output", type=int, required=True, help="output tokens, reasoning included")
 estimate.add_argument("--cache-read", type=int, default=0)
 estimate.add_argument("--cache-write", type=int, default=0, help="cache write tokens (all of them)")
 estimate.add_argument("--cache-write-1h", type=int, default=0, help="the part of the writes cached for 1 hour")
 estimate.add_argument("--json", action="store_true")


def _run_parser(sub, _words: Sequence[str]) -> None:
 run = sub.add_parser(
  "run",
  help="run a track without the GUI, with progress per tier and a cost table",
  description="Run a track without the GUI. Exit codes: 0 every ticket done, 1 error, 2 bad command line, 3 some"
  " tickets blocked, 4 stopped by a budget (a stop budget, or a pause budget's hold: nobody is there to answer it;"
  " raise the limit or wait for the reset, then --resume), 5 not started by --budget-check, 130 stopped (Ctrl-C).",
 )
 run.add_argument("--goal", help="what the track should achieve (Tier 1 plans it into tickets)")
 run.add_argument("--resume", metavar="TRACK_ID", help="resume a saved track of the project instead")
 run.add_argument("--quiet", action="store_true", help="print only the final cost table")
 run.add_argument(
  "--budget-check",
  action="store_true",
  help="estimate the run from the ledger's past runs first; do not start it (exit 5) when its average estimate"
  " exceeds what a pause or stop budget has left",
 )


def _price_response_parser(sub, _words: Sequence[str]) -> None:
 price_response = sub.add_parser("price-response", help="price a saved API response (JSON, or JSON lines of a stream)")
 price_response.add_argument("file", type=Path, help="response JSON, or one stream event per line; - for stdin")
 price_response.add_argument("--model", help="model name (default: the response's own model field)")
 price_response.add_argument("--provider", help="anthropic, openai, deepseek or gemini, when the shape is ambiguous")
 price_response.add_argument("--json", action="store_true")


# The commands in the order `--help` lists them.
_PARSERS = {
 "costs": register_costs,
 "gui": _gui_parser,
 "init": _init_parser,
 "pricing": _pricing_parser,
 "estimate": _estimate_parser,
 "run": _run_parser,
 "price-response": _price_response_parser,
}


def main(argv: list[str] | None = None) -> int:
 """Entry point of the console script."""
 project, words = split_project_option(sys.argv[1:] if argv is None else argv)
 parser = build_parser(words)
 args = _parse(parser, project, words)
 problem = _project_problem(args)
 if problem:
  print(f"mma-conductor: {problem}", file=sys.stderr)
  return EXIT_USAGE
 project = args.project or Path.cwd()
 if args.command == "costs":
  from .ledger.cli import run as run_costs

  return run_costs(args, project, lambda: app_paths(project))  # gathered only by the reports that need them
 command = _COMMANDS.get(args.command or "gui")
 if command is None:
  parser.print_help()
  return EXIT_USAGE
 from .files import to_stdout

 try:
  return to_stdout(lambda: command(args, project), EXIT_ERROR)  # `pricing --all | head` ends quietly
 except (UsageError, PriceError, OSError, ValueError, RuntimeError) as exc:
  print(f"mma-conductor: {exc}", file=sys.stderr)
  return EXIT_ERROR


def _parse(parser: argparse.ArgumentParser, project: str | None, words: list[str]) -> argparse.Namespace:
 args = parser.parse_args(words)
 if project is not None:
  args.project = Path(project)
 return args


def app_paths(project: Path) -> AppPaths:
 """The app's files outside the ledger, from their owners: the user's keys, settings, layout and prices, the
 project's config and prices, and its tracks folder."""
 from .app.project_config import CONFIG_NAME
 from .app.settings import layout_path, settings_path
 from .engine.track_store import tracks_dir
 from .ledger.config import AppPaths
 from .pricing.config import project_pricing_file, user_pricing_file
 from .providers.keys import user_keys_path

 files = (user_keys_path(), settings_path(), layout_path(create_folder=False), user_pricing_file())
 files += (project / CONFIG_NAME, project_pricing_file(project))
 return AppPaths(files=files, tracks_dir=tracks_dir(project))


def split_project_option(argv: list[str]) -> tuple[str | None, list[str]]:
 """`--project DIR` (or `--project=DIR`) taken out of `argv` wherever it stands, before or after the
 subcommand; the last one wins. Returns (DIR or None, the other arguments)."""
 project, rest, index = None, [], 0
 while index < len(argv):
  word = argv[index]
  if word.startswith("--project="):
   project = word.removeprefix("--project=")
  elif word == "--project" and index + 1 < len(argv):
   project, index = argv[index + 1], index + 1
  else:
   rest.append(word)
  index += 1
 return project, rest


def _project_problem(args) -> str:
 """Why the project folder cannot be used ("" when it can): a missing folder is never created silently."""
 project = args.project
 if project is None or project.is_dir() or args.command == "init":
  return ""
 if project.exists():
  return f"--project {project} is not a folder"
 return f"--project {project} does not exist (create it with: mma-conductor init --project {project})"


def _init(args, project: Path) -> int:
 """Create the project folder and a commented mma_conductor.toml with the defaults (an existing one stays)."""
 from .app.project_config import CONFIG_NAME, default_config_text
 from .files import atomic_writer

 project.mkdir(parents=True, exist_ok=True)
 config = project / CONFIG_NAME
 if config.exists():
  print(f"{config} exists; left as it is")
  return EXIT_OK
 with atomic_writer(config, "w", encoding="utf-8") as handle:
  handle.write(default_config_text())
 print(f"created {config} (every setting commented out at its default)")
 return EXIT_OK


def _gui(args, project: Path) -> int:
 from .gui.app import run_gui

 return run_gui(project)  # a broken pricing file is shown in the window, with the prices that remain good


def _pricing(args, project: Path) -> int:
 from .pricing.charges import charge_rows
 from .pricing.config import load_price_book
 from .pricing.report import pricing_rows, render_charges_text, render_pricing_text

 book = load_price_book(project)
 if args.model and not args.json:
  print("\n".join(book.explain(name) for name in args.model))  # the answer alone, one line a name
  return EXIT_OK
 resolutions = {name: _resolution(book, name) for name in args.model}
 rows = pricing_rows(book, include_dataset=args.all)
 if args.json:
  payload = {"resolved": resolutions} if args.model else {}
  payload.update(models=rows, charges=charge_rows(), unpriced=sorted(book.unpriced_models()), overrides=book.sources)
  print(json.dumps(payload, indent=1))
  return EXIT_OK
 print(render_pricing_text(rows, book.unpriced_models(), book.sources))
 print(render_charges_text(charge_rows()))
 if not args.all:
  print("(--all adds the ~1,600 token-priced models of the genai-prices dataset)")
 return EXIT_OK


def _resolution(book: PriceBook, name: str) -> dict:
 """How `name` resolves; looked up on purpose, so an unpriced name is not added to the unpriced models."""
 found = book.look_up(name)
 if found is None:
  return {"priced": False, "suggestion": book.suggestion(name)}
 price = found.price
 return {
  "priced": True,
  "matched": found.matched,
  "rule": found.rule,
  "input": format(price.input.normalize(), "f"),
  "output": format(price.output.normalize(), "f"),
  "source": price.source,
  "as_of": price.as_of,
 }


def _run(args, project: Path) -> int:
 from .app.controller import AppController
 from .app.headless import run_headless
 from .app.ledger_link import connect_ledger
 from .pricing.config import load_price_book

 if not args.goal and not args.resume:
  print("mma-conductor: run needs --goal TEXT or --resume TRACK_ID", file=sys.stderr)
  return EXIT_USAGE
 controller = AppController(project, price_book=load_price_book(project))
 connect_ledger(controller, project, serve_api=False)
 return run_headless(
  args.goal, project, resume=args.resume, quiet=args.quiet, controller=controller, budget_check=args.budget_check
 )


def _estimate(args, project: Path) -> int:
 from .pricing.config import load_price_book

 flags = {
  "--input": args.input,
  "--output": args.output,
  "--cache-read": args.cache_read,
  "--cache-write": args.cache_write,
  "--cache-write-1h": args.cache_write_1h,
 }
 usage = Usage(*(token_count(value, flag) for flag, value in flags.items()))
 return _report_cost(load_price_book(project), args.model, usage, args.json)


def _price_response(args, project: Path) -> int:
 from .pricing.config import load_price_book

 book = load_price_book(project)
 text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
 payload = _response_payload(text, args.file)
 usage = usage_from_response(payload, args.provider)
 if usage is None:
  raise ValueError(f"{args.file}: the response carries no usage")
 model = args.model or _model_of(payload)
 if not model:
  raise ValueError(f"{args.file}: no model field in the response; pass --model")
 return _report_cost(book, model, usage, args.json)


def _response_payload(text: str, where: object) -> object:
 """One JSON document, or the events of a stream saved one per line (SSE `data:` prefixes allowed)."""
 try:
  return json.loads(text)
 except json.JSONDecodeError:
  pass
 payload = []
 for number, line in enumerate(text.splitlines(), 1):
  line = line.strip().removeprefix("data:").strip()
  if line and line != "[DONE]":
   payload.append(_json_line(line, f"{where}:{number}"))
 return payload


def _json_line(line: str, where: str) -> object:
 try:
  return json.loads(line)
 except json.JSONDecodeError as exc:
  raise ValueError(f"{where}: not JSON ({exc.msg})") from None


def _model_of(payload) -> str | None:
 events = payload if isinstance(payload, list) else [payload]
 for event in events:
  for holder in _model_holders(event):
   model = holder.get("model") or holder.get("modelVersion")
   if isinstance(model, str) and model:
    return model
 return None


def _model_holders(event: object) -> list[dict]:
 """Where a reply's model name may stand: the event itself, its `message` or its `response`."""
 if not isinstance(event, dict):
  return []
 holders = (event, event.get("message"), event.get("response"))
 return [holder for holder in holders if isinstance(holder, dict)]


def _report_cost(book: PriceBook, model: str, usage: Usage, as_json: bool) -> int:
 found = book.resolve(model)
 units = book.cost_units(model, usage)
 if as_json:
  print(
   json.dumps(
    {
     "model": model,
     "priced_as": found.matched if found else None,
     "suggestion": None if found else book.suggestion(model),
     "usage": usage.to_dict(),
     "cost_usd": None if units is None else format_usd(units, 10).lstrip("$").replace(",", ""),
     "priced": units is not None,
    }
   )
  )
  return EXIT_OK
 print(f"model:  {model}" + (f" (priced as {found.matched}, {found.rule})" if found else ""))
 counts = usage.to_dict()
 print("usage:  " + ", ".join(f"{k.removesuffix('_tokens')}={v:,}" for k, v in counts.items() if v))
 print(
  "cost:   "
  + (_unpriced(book, model) if units is None else f"{format_usd(units, 6)}  (exact: {format_usd(units, 15)})")
 )
 return EXIT_OK


def _unpriced(book: PriceBook, model: str) -> str:
 close = book.suggestion(model)
 return f"unpriced; did you mean {close}?" if close else "unpriced"


_COMMANDS = {
 "gui": _gui,
 "init": _init,
 "pricing": _pricing,
 "estimate": _estimate,
 "price-response": _price_response,
 "run": _run,
}


if __name__ == "__main__":
 sys.exit(main())
