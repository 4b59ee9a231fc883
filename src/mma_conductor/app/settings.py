"""App settings (the last goal, ...) in `settings.toml` in the user config folder; the window layout is
hello_imgui's own ini file beside it."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from ..files import atomic_writer, read_toml, user_config_dir


class SettingsError(ValueError):
 """The settings file cannot be read (it is then ignored and left as it is)."""


@dataclass
class AppSettings:
 """What the app remembers between runs."""

 goal: str = "Write a small command-line tool that counts words in a text file, with tests."
 unreadable_file: str = ""


def settings_path() -> Path:
 """Where the settings live (MMA_CONDUCTOR_CONFIG_DIR overrides the platform's config folder)."""
 return user_config_dir() / "settings.toml"


def layout_path(*, create_folder: bool = True) -> Path:
 """hello_imgui's window layout file, beside the settings (its folder is created if missing, unless told not)."""
 path = settings_path().with_name("layout.ini")
 if create_folder:
  with contextlib.suppress(OSError):  # hello_imgui then says it cannot save the layout; the app runs on
   path.parent.mkdir(parents=True, exist_ok=True)
 return path


def load_settings(path: Path | None = None) -> AppSettings:
 """Read the settings; a missing file gives defaults, a broken one is reported and left untouched."""
 path = path or settings_path()
 try:
  data = read_toml(path, SettingsError, what="settings")
 except SettingsError as exc:
  print(f"mma-conductor: ignoring {exc} (the file is left as it is)", file=sys.stderr)
  return AppSettings(unreadable_file=str(path))
 if data is None:
  return AppSettings()
 goal = data.get("goal")
 return AppSettings(goal=goal if isinstance(goal, str) else AppSettings.goal)


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
 """Write the settings atomically; an unwritable folder is reported, never fatal. A file that could not be
 read at start is not overwritten."""
 path = path or settings_path()
 if settings.unreadable_file and Path(settings.unreadable_file) == path:
  return
 try:
  path.parent.mkdir(parents=True, exist_ok=True)
  with atomic_writer(path, "w", encoding="utf-8") as handle:
   handle.write(tomli_w.dumps({"goal": settings.goal}))
 except OSError as exc:
  print(f"mma-conductor: could not save settings to {path}: {exc}", file=sys.stderr)
