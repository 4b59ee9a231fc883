"""Where the ledger lives and whether the local API runs: the `[ledger]` table of `mma_conductor.toml`.

    [ledger]
    path = "costs/ledger.sqlite3"   # relative to the project folder; default: the user data directory
    api_port = 8765                 # serve the read-only local API on 127.0.0.1:8765 (default: off)
    record_simulated = false        # also record the offline simulated provider's calls (default: no;
                                    # they cost nothing, so history and milestones hold real spend only)

Precedence of the ledger's path: an explicit path (`--ledger`), `$MMA_CONDUCTOR_LEDGER`, the project's
`[ledger] path`, then `ledger.sqlite3` in the user data directory (`$MMA_CONDUCTOR_DATA_DIR` or platformdirs).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..files import read_toml, user_data_dir

LEDGER_FILE_NAME = "ledger.sqlite3"
MILESTONE_LOG_NAME = "costs.log"
PROJECT_CONFIG_NAME = "mma_conductor.toml"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class LedgerConfigError(ValueError):
 """A `[ledger]` table that cannot be used; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class LedgerSettings:
 """The project's ledger settings: a path (None: the default) and the local API port (None: off)."""

 path: Path | None = None
 api_port: int | None = None
 record_simulated: bool = False


def ledger_files(ledger_path: Path) -> list[Path]:
 """A ledger file, its SQLite side files and the milestone log beside it."""
 ledger_path = Path(ledger_path)
 side = [ledger_path.with_name(ledger_path.name + suffix) for suffix in SQLITE_SIDE_FILES]
 return [ledger_path, *side, ledger_path.with_name(MILESTONE_LOG_NAME)]


@dataclass(frozen=True, slots=True)
class AppPaths:
 """The app's files that the ledger layer may not import the owners of (keys, settings, prices, the project's
 config and tracks): `cli.py` gathers them from their owners and hands them to the `costs` commands."""

 files: tuple[Path, ...] = ()
 tracks_dir: Path | None = None


def own_files(project_dir: Path | str | None, ledger_path: Path | None = None) -> list[Path]:
 """The ledger's files, which an export must never overwrite: the ledger in use, the default one and the one the
 project configures, each with its SQLite side files and costs.log."""
 ledgers = {default_ledger_path(), resolve_ledger_path(None, None)}
 if ledger_path is not None:
  ledgers.add(Path(ledger_path))
 configured = _configured_ledger(project_dir) if project_dir is not None else None
 if configured is not None:
  ledgers.add(configured)
 return [path for ledger in sorted(ledgers) for path in ledger_files(ledger)]


def _configured_ledger(project_dir: Path | str) -> Path | None:
 try:
  return load_ledger_settings(project_dir).path
 except LedgerConfigError:
  return None


def default_ledger_path() -> Path:
 """`ledger.sqlite3` in the user data directory."""
 return user_data_dir() / LEDGER_FILE_NAME


def load_ledger_settings(project_dir: Path | str | None) -> LedgerSettings:
 """Read `[ledger]` from the project's `mma_conductor.toml` (missing file or table: defaults)."""
 if project_dir is None:
  return LedgerSettings()
 path = Path(project_dir) / PROJECT_CONFIG_NAME
 table = _ledger_table(path)
 record_simulated = _record_simulated(table, path)
 ledger_path = _ledger_path(table, path, Path(project_dir))
 return LedgerSettings(ledger_path, _api_port(table, path), record_simulated)


def _ledger_table(path: Path) -> dict:
 data = read_toml(path, LedgerConfigError) if not path.is_dir() else None
 table = (data or {}).get("ledger", {})
 if not isinstance(table, dict):
  raise LedgerConfigError(f"{path}: ledger must be a table")
 unknown = set(table) - {"path", "api_port", "record_simulated"}
 if unknown:
  raise LedgerConfigError(f"{path}: ledger.{sorted(unknown)[0]}: unknown key (known: api_port, path, record_simulated)")
 return table


def _record_simulated(table: dict, path: Path) -> bool:
 record_simulated = table.get("record_simulated", False)
 if type(record_simulated) is not bool:
  raise LedgerConfigError(f"{path}: ledger.record_simulated: expected true or false, got {record_simulated!r}")
 return record_simulated


def _ledger_path(table: dict, path: Path, project_dir: Path) -> Path | None:
 ledger_path = table.get("path")
 if ledger_path is None:
  return None
 if not isinstance(ledger_path, str) or not ledger_path.strip():
  raise LedgerConfigError(f"{path}: ledger.path: expected a file path, got {ledger_path!r}")
 return project_dir / Path(ledger_path).expanduser()


def _api_port(table: dict, path: Path) -> int | None:
 port = table.get("api_port")
 if port is not None and (type(port) is not int or not 1 <= port <= 65535):
  raise LedgerConfigError(f"{path}: ledger.api_port: expected a port from 1 to 65535, got {port!r}")
 return port


def resolve_ledger_path(explicit: Path | str | None = None, project_dir: Path | str | None = None) -> Path:
 """The ledger file to use, by the precedence in the module docstring."""
 if explicit:
  return Path(explicit).expanduser()
 env = os.environ.get("MMA_CONDUCTOR_LEDGER")
 if env:
  return Path(env).expanduser()
 configured = load_ledger_settings(project_dir).path
 return configured if configured is not None else default_ledger_path()
