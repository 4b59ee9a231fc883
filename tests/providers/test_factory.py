"""The ai_client surface: factory, keys, redaction, lazy SDK imports, and the error type."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys

import pytest
from provider_servers import ProviderServer, json_reply, openai_completion

from mma_conductor.providers.factory import (
 ERROR_KINDS,
 PROVIDERS,
 CallError,
 MissingSDKError,
 make_client,
 redact,
 resolve_api_key,
)

pytestmark = pytest.mark.usefixtures("loopback_only", "clean_provider_env")

KEY = "sk-proj-Ab3dEf6hIj9kLm2NoPq5-9wXy"


def test_redact_shows_at_most_the_last_four_characters() -> None:
 assert redact(KEY) == "****9wXy"
 assert redact("short-key") == "****"
 assert redact("") == redact(None) == "<none>"


def test_resolve_api_key_reads_each_provider_variable() -> None:
 env = {
  "ANTHROPIC_API_KEY": "a-key",
  "OPENAI_API_KEY": "o-key",
  "DEEPSEEK_API_KEY": "d-key",
  "GOOGLE_API_KEY": "g-key",
 }
 assert [resolve_api_key(p, env) for p in ("anthropic", "openai", "deepseek", "gemini")] == [
  "a-key",
  "o-key",
  "d-key",
  "g-key",
 ]
 assert resolve_api_key("gemini", {**env, "GEMINI_API_KEY": "gem-key"}) == "gem-key"
 assert resolve_api_key("openai", {"OPENAI_API_KEY": "  "}) is None
 assert resolve_api_key("simulated", env) is None
 with pytest.raises(ValueError, match="unknown provider"):
  resolve_api_key("mistral", env)


def test_user_config_wins_over_the_environment() -> None:
 env = {"OPENAI_API_KEY": "from-env"}
 assert resolve_api_key("openai", env, {"openai": "from-config"}) == "from-config"
 assert resolve_api_key("openai", env, {"openai": {"api_key": "from-table"}}) == "from-table"
 assert resolve_api_key("openai", env, {"anthropic": "other"}) == "from-env"


def test_make_client_without_a_key_is_an_auth_error_naming_the_variables() -> None:
 with pytest.raises(CallError) as info:
  make_client("gemini", env={})
 assert info.value.kind == "auth" and "GEMINI_API_KEY" in str(info.value) and "GOOGLE_API_KEY" in str(info.value)
 with pytest.raises(ValueError, match="unknown provider"):
  make_client("mistral", api_key=KEY)


def test_make_client_takes_the_key_from_the_environment(provider_server: ProviderServer) -> None:
 provider_server.enqueue(
  json_reply(openai_completion("hi", model="gpt-5", usage={"prompt_tokens": 1, "completion_tokens": 1}))
 )
 client = make_client("openai", base_url=provider_server.base_url + "/v1", env={"OPENAI_API_KEY": KEY})

 async def scenario() -> None:
  try:
   await client.complete(model="gpt-5", system="", prompt="hi")
  finally:
   await client.aclose()

 asyncio.run(scenario())
 assert provider_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
 assert "system" not in str(provider_server.requests[0].body["messages"])  # an empty system prompt is not sent


@pytest.mark.parametrize("provider", ["anthropic", "openai", "deepseek", "gemini"])
def test_client_repr_and_pickling_never_expose_the_key(provider: str) -> None:
 client = make_client(provider, api_key=KEY, base_url="http://127.0.0.1:9")
 assert KEY not in repr(client) and KEY not in str(client) and "****9wXy" in repr(client)
 with pytest.raises(TypeError, match="cannot be pickled"):
  pickle.dumps(client)
 asyncio.run(client.aclose())


@pytest.mark.parametrize(
 ("provider", "module"),
 [("anthropic", "anthropic"), ("openai", "openai"), ("deepseek", "openai"), ("gemini", "google.genai")],
)
def test_a_missing_sdk_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch, provider: str, module: str) -> None:
 monkeypatch.setitem(sys.modules, module, None)  # what Python does for a module that cannot be imported
 with pytest.raises(MissingSDKError, match=r"mma-conductor\[providers\]") as info:
  make_client(provider, api_key=KEY)
 assert isinstance(info.value, ImportError) and provider in str(info.value)


def test_importing_the_module_imports_no_sdk() -> None:
 code = (
  "import sys, mma_conductor.providers.factory as a; "
  "c = a.make_client('simulated'); "
  "print(sorted(m for m in ('anthropic', 'openai', 'google.genai', 'httpx', 'httpx2') if m in sys.modules))"
 )
 out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
 assert out.stdout.strip() == "[]"


def test_call_error_kinds_are_checked() -> None:
 assert {"auth", "rate_limit", "server", "timeout", "bad_request", "connection", "cancelled"} == ERROR_KINDS
 with pytest.raises(ValueError, match="unknown CallError kind"):
  CallError("oops", "x")  # type: ignore[arg-type]
 error = CallError("rate_limit", "openai rate_limit: slow down", provider="openai", status_code=429)
 assert error.retryable and str(error) == "openai rate_limit: slow down" and "429" in repr(error)


def test_providers_are_listed_in_pricing_order_then_simulated() -> None:
 assert PROVIDERS == ("gemini", "anthropic", "deepseek", "openai", "simulated")
