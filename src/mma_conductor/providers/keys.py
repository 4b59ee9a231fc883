"""API keys: where each provider's key is read from, and how a key may be shown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

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
 if config:
  entry = config.get(name)
  if isinstance(entry, Mapping):
   entry = entry.get("api_key")
  if isinstance(entry, str) and entry.strip():
   return entry.strip()
 for var in ENV_VARS[name]:
  value = env.get(var)
  if value and value.strip():
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
