"""Calls out of the ledger and back in: CSV (safe to open in a spreadsheet), JSON lines, and JSON-lines import.

CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
return) are prefixed with a single quote, as OWASP's "CSV Injection" page recommends; quoting is the csv
module's. Exports are written to a temporary file beside the target and renamed, so a failed export never
leaves half a file, nor replaces an earlier one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from ..files import atomic_writer
from ..pricing.usage import Usage, UsageError
from .errors import ExportError
from .periods import to_us
from .progress import Progress
from .queries import ALL_CALLS, CallFilter, LedgerRecord, count_calls, iter_calls
from .rollups import TOKEN_COLUMNS
from .store import Ledger, LedgerCall, check_call
from .text import json_text

EXPORT_FORMATS = ("csv", "json", "pdf")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
 "id",
 "ts",
 "session_id",
 "run_id",
 "ticket_id",
 "tier",
 "agent",
 "provider",
 "model",
 "requested_model",
 *TOKEN_COLUMNS,
 "request_id",
 "cost_usd",
 "latency_s",
 "status",
 "error",
 "attempts",
 "price_source",
 "price_as_of",
 "price",
 "raw_usage",
 "fees_usd",
 "cost_lines",
)
# Columns an export made before cost lines were kept does not have; it imports without them.
OPTIONAL_CSV_COLUMNS = frozenset({"fees_usd", "cost_lines"})
_IMPORT_BATCH = 2000


def neutralize_cell(value: object) -> str:
 """A cell's text, with a leading `'` when a spreadsheet would otherwise read it as a formula, or when it starts
 with `'` itself (so that the import takes exactly one leading `'` away and gets the value back)."""
 text = "" if value is None else str(value)
 return "'" + text if text.startswith((*FORMULA_TRIGGERS, "'")) else text


def csv_row(record: LedgerRecord) -> list[str]:
 """One call as neutralized CSV cells, in CSV_COLUMNS order; the price and the raw usage as compact JSON, so
 that `costs import` gets every field back."""
 data = record.as_dict()
 price = data["price"] or {}
 data["price_source"] = price.get("source", "")
 data["price_as_of"] = price.get("as_of", "")
 for name in ("price", "raw_usage", "cost_lines"):
  data[name] = "" if data[name] is None else json_text(data[name], separators=(",", ":"))
 return [neutralize_cell(data[name]) for name in CSV_COLUMNS]


def write_csv(records: Iterable[LedgerRecord], out: TextIO, on_row: Callable[[], None] = lambda: None) -> int:
 """Write a header and one row per call; return the number of calls."""
 writer = csv.writer(out, lineterminator="\r\n")
 writer.writerow(CSV_COLUMNS)
 count = 0
 for record in records:
  writer.writerow(csv_row(record))
  count += 1
  on_row()
 return count


def write_jsonl(records: Iterable[LedgerRecord], out: TextIO, on_row: Callable[[], None] = lambda: None) -> int:
 """Write one JSON object per line per call (exact cost as a decimal string); return the number of calls."""
 count = 0
 for record in records:
  out.write(json_text(record.as_dict(), separators=(",", ":")) + "\n")
  count += 1
  on_row()
 return count


def export_calls(
 ledger: Ledger, path: Path, fmt: str, filt: CallFilter = ALL_CALLS, *, progress: bool | None = None
) -> int:
 """Export the calls matching `filt` to `path` as csv or json (JSON lines); return the number of calls.
 `progress` None shows a bar when stderr is a terminal; True always; False never."""
 if fmt not in ("csv", "json"):
  raise ExportError(f"{path}: unknown export format {fmt!r} (use csv or json; pdf is a report)")
 bar = _progress(count_calls(ledger, filt), f"exporting {path.name}", progress)
 writer = write_csv if fmt == "csv" else write_jsonl

 def produce(handle: TextIO) -> int:
  return writer(iter_calls(ledger, filt), handle, lambda: bar.advance())

 count = write_atomically(path, produce, newline="" if fmt == "csv" else None)
 bar.done()
 return count


def write_atomically(path: Path, produce: Callable[[TextIO], Any], *, newline: str | None = None) -> Any:
 """Run `produce(handle)` on a temporary file beside `path`, then rename it to `path`; ExportError names
 `path` when the folder is missing or unwritable or the disk is full."""
 return _replace(
  path, lambda target, special: _export_writer(target, special, "w", encoding="utf-8", newline=newline), produce
 )


def write_bytes_atomically(path: Path, data: bytes) -> None:
 """`data` to `path` through a temporary file and a rename (ExportError names `path`)."""
 _replace(path, lambda target, special: _export_writer(target, special, "wb"), lambda handle: handle.write(data))


@contextmanager
def _export_writer(target: Path, special: bool, mode: str, **options: Any) -> Iterator[Any]:
 """A regular file is replaced atomically and gets the mode a new file would get (0666 less the umask, not
 mkstemp's 0600); a device or pipe (`-o /dev/stdout`) is written in place, as it cannot be replaced."""
 if special:
  with open(target, mode, **options) as handle:
   yield handle
  return
 with atomic_writer(target, mode, **options) as handle:
  if os.chmod in os.supports_fd:
   os.chmod(handle.fileno(), 0o666 & ~_umask())
  yield handle


def _umask() -> int:
 """The process's umask, read without changing it where /proc tells it (Linux), else set and put back."""
 try:
  with open("/proc/self/status", encoding="ascii") as status:
   return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
 except (OSError, StopIteration, ValueError):
  mask = os.umask(0o022)
  os.umask(mask)
  return mask


def _export_target(path: Path) -> tuple[Path, bool]:
 """Where to write: the file a symlink points to (so the link stays a link), and whether it is a device or pipe
 rather than a regular file. ExportError for a directory."""
 try:
  status = path.stat()
 except FileNotFoundError:
  return path.resolve(), False
 if stat.S_ISDIR(status.st_mode):
  raise ExportError(f"{path}: is a directory, not a file")
 return (path.resolve(), False) if stat.S_ISREG(status.st_mode) else (path, True)


def _replace(path: Path, open_writer: Callable[[Path, bool], Any], produce: Callable[[Any], Any]) -> Any:
 path = Path(path)
 try:
  with open_writer(*_export_target(path)) as handle:
   return produce(handle)
 except OSError as exc:
  raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from None


def refuse_own_file(path: Path, files: Iterable[Path], folders: Iterable[Path] = ()) -> None:
 """ExportError when `path` (symlinks followed, hard links too) is one of `files` or lies in one of `folders`:
 an export must never overwrite the ledger, its log, a config, pricing, keys or track file."""
 target = Path(path).resolve()
 for own in files:
  if target == Path(own).resolve() or _same_file(target, Path(own)):
   raise ExportError(f"{path}: refusing to overwrite mma-conductor's own file {own}; choose another output file")
 for folder in folders:
  if target.is_relative_to(Path(folder).resolve()):
   raise ExportError(f"{path}: refusing to write into mma-conductor's folder {folder}; choose another output file")


def _same_file(one: Path, other: Path) -> bool:
 try:
  return os.path.samefile(one, other)
 except OSError:
  return False


# Import -----------------------------------------------------------------------------------------------------------


# Fields left out of a call's derived id: its row id, the id itself, and figures derived from other fields. A call
# without cost lines derives the id it did before cost lines were exported.
_NOT_IDENTITY = frozenset({"id", "request_id", "fees_usd"})


def call_from_export(data: dict[str, Any], where: str) -> LedgerCall:
 """A LedgerCall from one exported JSON object. A call exported without a request id gets a stable one
 derived from its content (`ledger:<sha256>`), so that importing the same file twice stores it once."""
 if not isinstance(data, dict):
  raise ExportError(f"{where}: expected a JSON object, got {type(data).__name__}")
 try:
  tokens = {k: data.get(k, 0) for k in TOKEN_COLUMNS}
  usage = Usage.from_dict(tokens, where) if any(tokens.values()) or data.get("raw_usage") else None
  cost = data.get("cost_units")
  request_id = data.get("request_id") or ""
  if not request_id:
   identity = {k: v for k, v in data.items() if k not in _NOT_IDENTITY and not (k == "cost_lines" and v is None)}
   digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()
   request_id = f"ledger:{digest}"
  return LedgerCall(
   timestamp=data["ts_us"] / 1_000_000,
   session_id=data["session_id"],
   run_id=data.get("run_id", ""),
   ticket_id=data.get("ticket_id", ""),
   tier=data.get("tier", ""),
   agent=data.get("agent", ""),
   provider=data.get("provider", ""),
   model=data["model"],
   usage=usage,
   cost_units=cost,
   request_id=request_id,
   status=data.get("status", "success"),
   latency_s=data.get("latency_s", 0.0),
   price=data.get("price"),
   raw_usage=data.get("raw_usage"),
   requested_model=data.get("requested_model", ""),
   error=data.get("error", ""),
   attempts=data.get("attempts", 1),
   cost_lines=data.get("cost_lines"),
  )
 except KeyError as exc:
  raise ExportError(f"{where}: missing field {exc.args[0]!r}") from None
 except (TypeError, UsageError) as exc:
  raise ExportError(f"{where}: {exc}") from None


def _read_calls(path: Path, bar: Progress) -> Iterator[LedgerCall]:
 """The calls of a JSON-lines or CSV export (told apart by the CSV header), each checked as the ledger would."""
 with open(path, encoding="utf-8-sig", newline="") as handle:
  is_csv = handle.readline().startswith("id,ts,")
  handle.seek(0)
  for where, data in (_csv_objects if is_csv else _json_objects)(handle, path, bar):
   call = call_from_export(data, where)
   try:
    check_call(call)
   except ValueError as exc:
    raise ExportError(f"{where}: {str(exc).removeprefix('call 0: ')}") from None
   yield call


def _json_objects(handle: TextIO, path: Path, bar: Progress) -> Iterator[tuple[str, Any]]:
 for number, line in enumerate(handle, 1):
  bar.advance(len(line.encode("utf-8")))
  if not line.strip():
   continue
  try:
   yield f"{path}:{number}", json.loads(line)
  except json.JSONDecodeError as exc:
   raise ExportError(f"{path}:{number}: not JSON ({exc.msg})") from None


def _csv_objects(handle: TextIO, path: Path, bar: Progress) -> Iterator[tuple[str, dict[str, Any]]]:
 """Each CSV row as the object the JSON-lines export has for the same call (so a call without a request id
 derives the same stable id from either file)."""

 def lines() -> Iterator[str]:
  for line in handle:
   bar.advance(len(line.encode("utf-8")))
   yield line

 reader = csv.DictReader(lines())
 missing = [name for name in CSV_COLUMNS if name not in (reader.fieldnames or ()) and name not in OPTIONAL_CSV_COLUMNS]
 if missing:
  raise ExportError(f"{path}:1: not a CSV export of this version: no column {missing[0]!r}")
 start = 2
 for row in reader:
  yield f"{path}:{start}", _object_from_csv(row, f"{path}:{start}")
  start = reader.line_num + 1


def _object_from_csv(row: dict[str, str], where: str) -> dict[str, Any]:
 data: dict[str, Any] = {}
 for name in CSV_COLUMNS[1:]:
  value = _unneutralized(row.get(name) or "")
  try:
   data[name] = _FROM_CSV.get(name, str)(value)
  except (ValueError, ArithmeticError) as exc:
   raise ExportError(f"{where}: {name}: {value!r} is not valid ({exc})") from None
 del data["price_source"], data["price_as_of"], data["fees_usd"]  # shown for people; derived again on import
 data["ts_us"], data["cost_units"] = data["ts"][1], data["cost_usd"][1]
 data["ts"], data["cost_usd"] = data["ts"][0], data["cost_usd"][0]
 return data


def _unneutralized(cell: str) -> str:
 return cell[1:] if cell.startswith("'") else cell


def _csv_ts(text: str) -> tuple[str, int]:
 """The export's `2026-01-05T10:00:00.123456Z` and its exact epoch microseconds."""
 return text, to_us(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


def _csv_cost(text: str) -> tuple[str | None, int | None]:
 """The exact decimal USD string and its integer units (None, None for an unpriced call)."""
 if not text:
  return None, None
 units = Decimal(text).scaleb(15)
 if units != units.to_integral_value():
  raise ValueError("finer than 1e-15 USD")
 return text, int(units)


def _csv_json(text: str) -> Any:
 return json.loads(text) if text else None


_FROM_CSV: dict[str, Callable[[str], Any]] = {
 "ts": _csv_ts,
 "cost_usd": _csv_cost,
 "latency_s": float,
 "attempts": int,
 "price": _csv_json,
 "raw_usage": _csv_json,
 "cost_lines": _csv_json,
 **dict.fromkeys(TOKEN_COLUMNS, int),
}


def import_calls(ledger: Ledger, path: Path, *, progress: bool | None = None) -> tuple[int, int]:
 """Import a JSON-lines or CSV export; return (stored, already present). Everything is checked first, so a bad
 line stores nothing."""
 path = Path(path)
 calls = _checked_calls(path, progress)
 bar = _progress(len(calls), f"importing {path.name}", progress)
 stored = duplicates = 0
 for start in range(0, len(calls), _IMPORT_BATCH):
  try:
   outcome = ledger.record_calls(calls[start : start + _IMPORT_BATCH])
  except ValueError as exc:
   raise ExportError(f"{path}: {exc}") from None
  stored += outcome.stored
  duplicates += outcome.duplicates
  bar.advance(min(_IMPORT_BATCH, len(calls) - start))
 bar.done()
 return stored, duplicates


def _checked_calls(path: Path, progress: bool | None) -> list[LedgerCall]:
 """Every call of the file, each checked as the ledger would (ExportError names the line of the first bad one)."""
 try:
  size = path.stat().st_size
 except OSError as exc:
  raise ExportError(f"{path}: cannot read: {exc.strerror or exc}") from None
 check = _progress(size, f"checking {path.name}", progress)
 try:
  calls = list(_read_calls(path, check))
 except (OSError, UnicodeDecodeError) as exc:
  raise ExportError(f"{path}: cannot read: {exc}") from None
 except ValueError as exc:
  raise ExportError(str(exc)) from None
 check.done()
 return calls


def _progress(total: int, label: str, progress: bool | None) -> Progress:
 """A bar shown on a terminal when `progress` is None, always when True, never when False."""
 bar = Progress(total, label, force=bool(progress))
 bar.enabled = bar.enabled and progress is not False
 return bar
