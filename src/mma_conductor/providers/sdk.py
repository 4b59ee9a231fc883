"""Lazy import of the optional provider SDKs, with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_HINT = "pip install 'mma-conductor[providers]'"


class MissingSDKError(ImportError):
 """A provider's official SDK is not installed."""


def import_sdk(module: str, provider: str, package: str) -> ModuleType:
 """Import `module` of a provider SDK, or raise MissingSDKError naming the extra to install."""
 try:
  return importlib.import_module(module)
 except ImportError as err:
  raise MissingSDKError(
   f"The {provider} provider needs the {package!r} package, which is not installed. "
   f"Install the providers extra: {EXTRA_HINT}"
  ) from err
