"""One async interface to every LLM provider the conductor uses, with exact billed usage on every call.

    client = make_client("anthropic")                 # key from ANTHROPIC_API_KEY
    result = await client.complete(model="claude-haiku-4-5", system="...", prompt="...", stream=True,
                                   on_text=print)
    result.text, result.usage, result.model, result.request_id, result.status

Providers: "gemini", "anthropic", "deepseek", "openai" (official SDKs, the optional extra
`pip install 'mma-conductor[providers]'`, imported only when a client is made) and "simulated" (offline).
`complete` raises CallError when a call failed before anything was billed, and returns a CallResult with
status "failed" when the provider billed a call that then broke, so that no billed usage is lost.
Usage is always read by `usage.usage_from_response`. API keys never appear in messages, logs or reprs.

A client holds connections bound to the event loop it is first used in; use it from that loop and
`await client.aclose()` (or `async with`) when done.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..pricing.prices import PROVIDERS as BILLED_PROVIDERS
from .base import ProviderClient
from .keys import ENV_VARS, redact, resolve_api_key
from .sdk import MissingSDKError
from .sim_text import JSON_PLAN_MARKER, is_plan_request, response_kind
from .simulated import BROKEN, SimulatedClient
from .types import ERROR_KINDS, CallError, CallResult, ErrorKind, LLMClient, TextCallback

if TYPE_CHECKING:
 from .anthropic_client import AnthropicClient
 from .gemini_client import GeminiClient
 from .openai_client import DeepSeekClient, OpenAIClient

__all__ = [
 "BROKEN",
 "ERROR_KINDS",
 "JSON_PLAN_MARKER",
 "PROVIDERS",
 "AnthropicClient",
 "CallError",
 "CallResult",
 "DeepSeekClient",
 "ErrorKind",
 "GeminiClient",
 "LLMClient",
 "MissingSDKError",
 "OpenAIClient",
 "ProviderClient",
 "SimulatedClient",
 "TextCallback",
 "is_plan_request",
 "make_client",
 "redact",
 "resolve_api_key",
 "response_kind",
]

PROVIDERS: tuple[str, ...] = (*BILLED_PROVIDERS, "simulated")
"""The billed providers in pricing's order, then the offline one."""

# The client of each billed provider, as (module, class name): loaded on first use.
_CLIENTS: dict[str, tuple[str, str]] = {
 "gemini": ("gemini_client", "GeminiClient"),
 "anthropic": ("anthropic_client", "AnthropicClient"),
 "deepseek": ("openai_client", "DeepSeekClient"),
 "openai": ("openai_client", "OpenAIClient"),
}
_CLIENT_MODULES = {class_name: module for module, class_name in _CLIENTS.values()}


def __getattr__(name: str) -> Any:
 # The client classes load on first use, so that importing this module never imports an SDK.
 module = _CLIENT_MODULES.get(name)
 if module is None:
  raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
 from importlib import import_module

 return getattr(import_module(f".{module}", __package__), name)


def make_client(
 provider: str,
 *,
 api_key: str | None = None,
 base_url: str | None = None,
 timeout: float = 60.0,
 max_retries: int = 3,
 env: Mapping[str, str] | None = None,
 config: Mapping[str, Any] | None = None,
 **kw: Any,
) -> ProviderClient:
 """A client for `provider` (one of PROVIDERS).

 Without `api_key` the key comes from resolve_api_key(provider, env, config); none found raises
 CallError(kind="auth") naming the variables to set. `base_url` overrides the provider's endpoint.
 `timeout` (seconds) bounds each request; `max_retries` counts retries after the first attempt.
 Extra keywords: `base_delay`, `max_delay` and `rng` of the retry backoff for every provider, plus the
 SimulatedClient options (`seed`, `latency_s`, `failures`, `failure_rate`, `reject_rate`,
 `chars_per_token`).
 Raises MissingSDKError when the provider's SDK is not installed, ValueError for an unknown provider.
 """
 name = provider.lower()
 if name not in PROVIDERS:
  raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
 options: dict[str, Any] = {"base_url": base_url, "timeout": timeout, "max_retries": max_retries, **kw}
 if name == "simulated":
  return SimulatedClient(api_key=api_key, **options)
 key = api_key or resolve_api_key(name, os.environ if env is None else env, config)
 if not key:
  raise CallError(
   "auth",
   f"no API key for {name}: set {' or '.join(ENV_VARS[name])} or add it to the user config",
   provider=name,
   attempts=0,
  )
 return __getattr__(_CLIENTS[name][1])(api_key=key, **options)
