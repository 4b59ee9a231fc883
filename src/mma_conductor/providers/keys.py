"""API keys: where each provider's key is read from, and how a key may be shown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..files import read_toml, user_config_dir

ENV_VARS: Mapping[str, tuple[str, ...]] = {
 "anthropic": ("ANTHROPIC_API_KEY",),
 "openai": ("OPENAI_API_KEY",),
 "deepseek": ("DEEPSEEK_API_KEY",),
 "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
 "simulated": (),
}


def resolve_api_key(
 provider: str, env: Mapping[str, str] = os.environ, config: Mapping[str, Any] | None = None
) -> str | None:
 """The API key for `provider`, or None when none is configured.

 A user config wins over the environment, since it is the choice made in the app. `config` maps a
 provider name to its key, either directly (`{"openai": "sk-..."}`) or in a table
 (`{"openai": {"api_key": "sk-..."}}`). The environment is read next: ANTHROPIC_API_KEY, OPENAI_API_KEY,
 DEEPSEEK_API_KEY, and GEMINI_API_KEY then GOOGLE_API_KEY. Blank values count as missing.
 The simulated provider needs no key. Raises ValueError for an unknown provider.
 """
 name = provider.lower()
 if name not in ENV_VARS:
  raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(ENV_VARS)}")
 entry = config.get(name) if config else None
 if isinstance(entry, Mapping):
  entry = entry.get("api_key")
 for value in (entry, *(env.get(var) for var in ENV_VARS[name])):
  if isinstance(value, str) and value.strip():
   return value.strip()
 return None


def redact(key: str | None) -> str:
 """A key as it may be shown: at most its last 4 characters, none at all for short keys."""
 if not key:
  return "<none>"
 if len(key) < 12:
  return "****"
 return f"****{key[-4:]}"


def scrub(text: str, secret: str | None) -> str:
 """`text` with every occurrence of `secret` replaced by its redacted form."""
 if not secret or secret not in text:
  return text
 return text.replace(secret, redact(secret))


class KeyFileError(ValueError):
 """A keys file that cannot be read; the message names the file, never a key."""


def user_keys_path() -> Path:
 """`keys.toml` in the user config folder (MMA_CONDUCTOR_CONFIG_DIR overrides the folder)."""
 return user_config_dir() / "keys.toml"


def load_user_keys(path: Path | None = None) -> dict[str, Any]:
 """The user's keys file as a config for resolve_api_key (`openai = "sk-..."` or `[openai] api_key = ...`).

 A missing file is an empty config; an entry that is not a key string (`gemini = 12345`) or such a table
 raises KeyFileError naming the file and the entry, never the value. Keys live only here or in the
 environment: nothing in the app writes them anywhere else.
 """
 path = path or user_keys_path()
 data = read_toml(path, KeyFileError, what="keys file", show_os_error=False)
 if data is None:
  return {}
 unknown = set(data) - set(ENV_VARS)
 if unknown:
  raise KeyFileError(f"{path}: unknown provider(s) {', '.join(sorted(unknown))}; expected {', '.join(ENV_VARS)}")
 for provider, entry in data.items():
  _check_entry(path, provider, entry)
 return data


_TOML_KINDS = {bool: "a boolean", int: "an integer", float: "a number", list: "an array", dict: "a table"}


def _kind(value: object) -> str:
 """What a TOML value is, in words (never the value: it may be a key)."""
 return _TOML_KINDS.get(type(value), "a date or time")


def _check_entry(path: Path, provider: str, entry: object) -> None:
 """`provider = "KEY"` or `[provider]` with `api_key = "KEY"`; KeyFileError names the file and the key."""
 if isinstance(entry, str):
  return
 if not isinstance(entry, dict):
  raise KeyFileError(
   f'{path}: {provider}: expected a key string ({provider} = "...") or a [{provider}] table; got {_kind(entry)}'
  )
 _check_table(path, provider, entry)


def _check_table(path: Path, provider: str, table: dict) -> None:
 extra = sorted(set(table) - {"api_key"})
 if extra:
  raise KeyFileError(f"{path}: {provider}.{extra[0]}: unknown field; expected api_key")
 if "api_key" not in table:
  raise KeyFileError(f'{path}: {provider}: the [{provider}] table has no api_key = "..."')
 if not isinstance(table["api_key"], str):
  raise KeyFileError(f"{path}: {provider}.api_key: expected a key string; got {_kind(table['api_key'])}")
