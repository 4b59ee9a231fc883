"""The project's file helpers: where the user's config and data folders are; write a file so that readers see the
old content or the new, never half of it;
read a TOML file so that any problem is one line naming the file and where it is broken; and end a command
quietly when the reader of its standard output goes away (`mma-conductor ... | head`)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_UTF8_BOM = b"\xef\xbb\xbf"


def user_config_dir() -> Path:
 """mma-conductor's user config folder (keys, settings, layout, prices): `$MMA_CONDUCTOR_CONFIG_DIR`, else the
 platform's."""
 return _user_dir("MMA_CONDUCTOR_CONFIG_DIR", "user_config_dir")


def user_data_dir() -> Path:
 """mma-conductor's user data folder (the cost ledger): `$MMA_CONDUCTOR_DATA_DIR`, else the platform's."""
 return _user_dir("MMA_CONDUCTOR_DATA_DIR", "user_data_dir")


def user_cache_dir() -> Path:
 """mma-conductor's user cache folder (what can be rebuilt, e.g. the dataset index of another genai-prices
 release): `$MMA_CONDUCTOR_CACHE_DIR`, else the platform's."""
 return _user_dir("MMA_CONDUCTOR_CACHE_DIR", "user_cache_dir")


def _user_dir(variable: str, platform_function: str) -> Path:
 override = os.environ.get(variable)
 if override:
  return Path(override)
 import platformdirs

 return Path(getattr(platformdirs, platform_function)("mma-conductor", appauthor=False))


@contextmanager
def atomic_writer(path: Path | str, mode: str = "wb", **open_options: Any) -> Iterator[IO]:
 """Yield a handle on a temporary file beside `path`; on success it is flushed to disk and renamed over
 `path`, on any error it is removed and `path` is left as it was. OSError propagates to the caller."""
 import tempfile  # loaded by writers only: a report that only reads starts faster

 path = Path(path)
 fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
 try:
  with os.fdopen(fd, mode, **open_options) as handle:
   yield handle
   handle.flush()
   os.fsync(handle.fileno())
  os.replace(tmp, path)
 except BaseException:
  Path(tmp).unlink(missing_ok=True)
  raise


def toml_string(value: str) -> str:
 """`value` as a TOML basic string (quoted, every special character escaped)."""
 import json

 return json.dumps(value)  # a JSON string with only printable ASCII escapes is a TOML basic string


def edit_toml_file(
 path: Path | str, change: Callable[[str], str], reads_back: Callable[[dict], bool], what: str, error: type[Exception]
) -> None:
 """Replace the TOML file at `path` (missing: empty) with `change(its text)`. The new text must parse and
 `reads_back(parsed)` must hold before it replaces the file, atomically; any failure raises `error` with one line
 naming the file, and leaves the file as it was. `what` names the settings written ("the budgets")."""
 import tomllib

 path = Path(path)
 try:
  old = path.read_text(encoding="utf-8") if path.exists() else ""
 except (OSError, UnicodeDecodeError) as exc:
  raise error(f"{path}: cannot read: {exc}") from None
 new = change(old)
 try:
  data = tomllib.loads(new)
 except tomllib.TOMLDecodeError as exc:
  raise error(f"{path}: the change would make invalid TOML ({exc}); the file was left as it was") from None
 if not reads_back(data):
  raise error(f"{path}: {what} would not read back as written; the file was left as it was")
 try:
  with atomic_writer(path, "w", encoding="utf-8") as out:
   out.write(new)
 except OSError as exc:
  raise error(f"{path}: cannot write: {exc.strerror or exc}") from None


def read_toml(path: Path, error: type[Exception], *, what: str = "file", show_os_error: bool = True) -> dict | None:
 """The parsed TOML at `path`, or None when there is no such file. A file that cannot be read or parsed raises
 `error` with one line naming the file (and, from the parser, the line and column); nothing is written.

 `what` names the file in the message ("cannot read keys file"); `show_os_error=False` shows only the kind
 of OS error, for files whose error text must not be echoed (the user's keys). A leading UTF-8 byte order
 mark, which tomllib refuses, is named as such."""
 try:
  raw = Path(path).read_bytes()
  text = raw.decode("utf-8")
 except FileNotFoundError:
  return None
 except (OSError, UnicodeDecodeError) as exc:
  detail = exc if show_os_error else type(exc).__name__
  raise error(f"{path}: cannot read {what}: {detail}") from None
 if raw.startswith(_UTF8_BOM):  # tomllib refuses it with only "Invalid statement (at line 1, column 1)"
  raise error(f"{path}: starts with a byte order mark (BOM); save it as UTF-8 without BOM")
 import tomllib  # loaded only when a file exists to parse

 try:
  return tomllib.loads(text)
 except tomllib.TOMLDecodeError as exc:  # its message quotes no values, only the position
  raise error(f"{path}: invalid TOML: {exc}") from None


def to_stdout(command: Callable[[], int], closed_code: int = 1) -> int:
 """Run `command`, which prints to standard output, and flush what it printed; return its exit code. A reader
 that went away (`... | head`) ends it quietly with `closed_code`, as Python's documentation on SIGPIPE advises:
 no error line and no traceback, now or at the interpreter's final flush."""
 try:
  code = command()
  sys.stdout.flush()
  return code
 except BrokenPipeError:
  _discard_stdout()
  return closed_code


def _discard_stdout() -> None:
 """Point stdout at the null device, so that the interpreter's final flush does not fail again."""
 with contextlib.suppress(OSError, ValueError):
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, sys.stdout.fileno())
