"""Shared pytest fixtures."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from provider_servers import ProviderServer

from mma_conductor import cost_tracker

_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_PROVIDER_ENV_PREFIXES = ("ANTHROPIC_", "OPENAI_", "DEEPSEEK_", "GEMINI_", "GOOGLE_")


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
 """A loopback server speaking the provider wire formats; fails the test if a request found nothing queued."""
 server = ProviderServer().start()
 try:
  yield server
 finally:
  server.stop()
 if server.unscripted:
  pytest.fail(f"requests with no scripted reply: {[(r.method, r.path) for r in server.unscripted]}")


class _LoopbackGuard:
 """socket's connect, connect_ex and getaddrinfo, refusing (and noting) anything that is not loopback."""

 def __init__(self) -> None:
  self.violations: list[str] = []
  self.real_connect, self.real_connect_ex = socket.socket.connect, socket.socket.connect_ex
  self.real_getaddrinfo = socket.getaddrinfo

 def check(self, address: object) -> None:
  if isinstance(address, tuple) and address and address[0] not in _LOOPBACK:
   self.violations.append(f"connect {address!r}")
   raise ConnectionRefusedError(f"test tried to reach {address!r}; only loopback is allowed")

 def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
  guard = self

  def connect(sock: socket.socket, address: object) -> None:
   guard.check(address)
   return guard.real_connect(sock, address)

  def connect_ex(sock: socket.socket, address: object) -> int:
   guard.check(address)
   return guard.real_connect_ex(sock, address)

  monkeypatch.setattr(socket.socket, "connect", connect)
  monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
  monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

 def getaddrinfo(self, host: object, *args: object, **kwargs: object) -> object:
  name = host.decode() if isinstance(host, bytes) else host
  if name is not None and name not in _LOOPBACK:
   self.violations.append(f"resolve {name!r}")
   raise socket.gaierror(f"test tried to resolve {name!r}; only loopback is allowed")
  return self.real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
 """Refuse (and fail the test on) any connection or name lookup that is not loopback."""
 guard = _LoopbackGuard()
 guard.install(monkeypatch)
 yield guard.violations
 if guard.violations:
  pytest.fail(f"test tried to leave loopback: {guard.violations}")


@pytest.fixture
def clean_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
 """Remove provider variables (keys, base URLs, custom headers) so the SDKs see only what tests pass."""
 for name in list(os.environ):
  if name.startswith(_PROVIDER_ENV_PREFIXES):
   monkeypatch.delenv(name)


_KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY")


@pytest.fixture(autouse=True)
def isolated_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
 """Every test runs as a new user in its own folder: its own config and data folders (nothing reads or writes
 the user's real settings, prices, keys or cost ledger), no API keys or price variables from the environment,
 the test's folder as the current directory (the default project), and cost_tracker's default price book
 back to built-ins afterwards."""
 monkeypatch.setenv("MMA_CONDUCTOR_CONFIG_DIR", str(tmp_path / "config"))
 monkeypatch.setenv("MMA_CONDUCTOR_DATA_DIR", str(tmp_path / "data"))
 monkeypatch.setenv("MMA_CONDUCTOR_CACHE_DIR", str(tmp_path / "cache"))
 monkeypatch.delenv("MMA_CONDUCTOR_LEDGER", raising=False)
 for name in [*_KEY_VARIABLES, *(v for v in os.environ if v.startswith("MMA_PRICE"))]:
  monkeypatch.delenv(name, raising=False)
 monkeypatch.chdir(tmp_path)
 yield
 cost_tracker.configure_pricing(user_file=tmp_path / "none.toml", env={})
