"""The `mma-conductor` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .ledger.cli import register as register_costs

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
 """All subcommands and their help."""
 parser = argparse.ArgumentParser(
  prog="mma-conductor",
  description="Conduct a four-tier multi-model agent hierarchy and price every LLM call exactly.",
 )
 parser.add_argument("--version", action="version", version=f"mma-conductor {__version__}")
 parser.add_argument(
  "--project", type=Path, default=None, help="project folder (its mma_pricing.toml overrides prices; default: cwd)"
 )
 sub = parser.add_subparsers(dest="command", metavar="COMMAND")
 register_costs(sub)
 sub.add_parser("gui", help="open the desktop app (the default when no command is given)")

 pricing = sub.add_parser("pricing", help="show the price table with each price's source and date")
 pricing.add_argument(
  "--all", action="store_true", help="include the ~1,600 token-priced models of the genai-prices dataset"
 )
 pricing.add_argument("--model", action="append", default=[], help="show how these model names resolve")
 pricing.add_argument("--json", action="store_true", help="machine-readable output")

 estimate = sub.add_parser("estimate", help="price one call from its token counts")
 estimate.add_argument("model")
 estimate.add_argument("--input", type=int, required=True, help="whole prompt tokens, cached included")
 estimate.add_argument("--output", type=int, required=True, help="output tokens, reasoning included")
 estimate.add_argument("--cache-read", type=int, default=0)
 estimate.add_argument("--cache-write", type=int, default=0, help="cache write tokens (all of them)")
 estimate.add_argument("--cache-write-1h", type=int, default=0, help="the part of the writes cached for 1 hour")
 estimate.add_argument("--json", action="store_true")

 run = sub.add_parser("run", help="run a track without the GUI, with progress per tier and a cost table")
 run.add_argument("--goal", help="what the track should achieve (Tier 1 plans it into tickets)")
 run.add_argument("--resume", metavar="TRACK_ID", help="resume a saved track of the project instead")
 run.add_argument("--quiet", action="store_true", help="print only the final cost table")

 price_response = sub.add_parser("price-response", help="price a saved API response (JSON, or JSON lines of a stream)")
 price_response.add_argument("file", type=Path, help="response JSON, or one stream event per line; - for stdin")
 price_response.add_argument("--model", help="model name (default: the response's own model field)")
 price_response.add_argument("--provider", help="anthropic, openai, deepseek or gemini, when the shape is ambiguous")
 price_response.add_argument("--json", action="store_true")
 return parser


def main(argv: list[str] | None = None) -> int:
 """Entry point of the console script."""
 parser = build_parser()
 args = parser.parse_args(argv)
 if args.command == "costs":
  from .ledger.cli import run as run_costs

  return run_costs(args, args.project or Path.cwd())
 from .cost_tracker import PriceError, UsageError, configure_pricing

 try:
  book = configure_pricing(args.project or Path.cwd())
 except PriceError as exc:
  print(f"mma-conductor: {exc}", file=sys.stderr)
  return EXIT_ERROR
 command = args.command or "gui"
 try:
  if command == "pricing":
   return _pricing(book, args)
  if command == "estimate":
   return _estimate(args)
  if command == "price-response":
   return _price_response(args)
  if command == "run":
   return _run(args)
  if command == "gui":
   from .gui.app import run_gui

   return run_gui(args.project or Path.cwd())
 except (UsageError, PriceError, OSError, ValueError, RuntimeError) as exc:
  print(f"mma-conductor: {exc}", file=sys.stderr)
  return EXIT_ERROR
 parser.print_help()
 return EXIT_USAGE


def _pricing(book, args) -> int:
 from .pricing.report import pricing_rows, render_pricing_text

 for name in args.model:
  book.price(name)
 rows = pricing_rows(book, include_dataset=args.all)
 resolutions = {}
 for name in args.model:
  found = book.resolve(name)
  resolutions[name] = (
   {"matched": found.matched, "rule": found.rule, "source": found.price.source, "as_of": found.price.as_of}
   if found
   else None
  )
 if getattr(args, "json", False):
  payload = {"models": rows, "unpriced": sorted(book.unpriced_models()), "overrides": book.sources}
  if args.model:
   payload["resolved"] = resolutions
  print(json.dumps(payload, indent=1))
  return EXIT_OK
 print(render_pricing_text(rows, book.unpriced_models(), book.sources))
 for name, found in resolutions.items():
  if found is None:
   print(f"{name}: unpriced (no table entry, dataset match or fallback)")
  else:
   print(f"{name}: priced as {found['matched']} ({found['rule']}; {found['source']}, {found['as_of']})")
 if not args.all:
  print("(--all adds the ~1,600 token-priced models of the genai-prices dataset)")
 return EXIT_OK


def _run(args) -> int:
 from .app.headless import run_headless

 if not args.goal and not args.resume:
  print("mma-conductor: run needs --goal TEXT or --resume TRACK_ID", file=sys.stderr)
  return EXIT_USAGE
 return run_headless(args.goal, args.project or Path.cwd(), resume=args.resume, quiet=args.quiet)


def _estimate(args) -> int:
 from .cost_tracker import Usage

 usage = Usage(args.input, args.output, args.cache_read, args.cache_write, args.cache_write_1h)
 return _report_cost(args.model, usage, args.json)


def _price_response(args) -> int:
 from .cost_tracker import usage_from_response

 text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
 try:
  payload = json.loads(text)
 except json.JSONDecodeError:
  payload = []
  for number, line in enumerate(text.splitlines(), 1):
   line = line.strip().removeprefix("data:").strip()
   if not line or line == "[DONE]":
    continue
   try:
    payload.append(json.loads(line))
   except json.JSONDecodeError as exc:
    raise ValueError(f"{args.file}:{number}: not JSON ({exc.msg})") from None
 usage = usage_from_response(payload, args.provider)
 if usage is None:
  raise ValueError(f"{args.file}: the response carries no usage")
 model = args.model or _model_of(payload)
 if not model:
  raise ValueError(f"{args.file}: no model field in the response; pass --model")
 return _report_cost(model, usage, args.json)


def _model_of(payload) -> str | None:
 events = payload if isinstance(payload, list) else [payload]
 for event in events:
  if not isinstance(event, dict):
   continue
  for holder in (event, event.get("message") or {}, event.get("response") or {}):
   if isinstance(holder, dict):
    model = holder.get("model") or holder.get("modelVersion")
    if isinstance(model, str) and model:
     return model
 return None


def _report_cost(model, usage, as_json: bool) -> int:
 from .cost_tracker import format_usd, resolve_model, usage_cost_units

 found = resolve_model(model)
 units = usage_cost_units(model, usage)
 if as_json:
  print(
   json.dumps(
    {
     "model": model,
     "priced_as": found.matched if found else None,
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
 print("cost:   " + ("unpriced" if units is None else f"{format_usd(units, 6)}  (exact: {format_usd(units, 15)})"))
 return EXIT_OK


if __name__ == "__main__":
 sys.exit(main())
