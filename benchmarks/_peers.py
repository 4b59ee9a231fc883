"""The libraries the benchmarks compare against (litellm, tokencost), kept out of the product's environment.

They are installed with `pip install --target benchmarks/.peers/site` (on first use, by the benchmark itself;
git ignores the folder) and that folder is APPENDED to sys.path, so every package the product also uses
(genai-prices, pydantic, the provider SDKs) still comes from the product's own environment, at its own version.
Nothing here is a product dependency. Delete benchmarks/.peers to reinstall.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

from _timing import ROOT

PEERS_DIR = ROOT / "benchmarks" / ".peers" / "site"
PEER_PACKAGES = ("litellm", "tokencost")

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before any litellm import: never fetch prices online


def _install() -> None:
 print(f"installing {', '.join(PEER_PACKAGES)} into {PEERS_DIR} (once; takes a minute or two)", flush=True)
 command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"]
 subprocess.run([*command, str(PEERS_DIR), *PEER_PACKAGES], check=True)


def peer(name: str):
 """The peer module `name` (installed into benchmarks/.peers on first use), or None with a message when it
 cannot be installed or imported; the benchmark then runs without it."""
 try:
  if not PEERS_DIR.exists():
   _install()
  if str(PEERS_DIR) not in sys.path:
   sys.path.append(str(PEERS_DIR))
  return importlib.import_module(name)
 except Exception as exc:  # not installable (offline) or broken: report and go on without it
  print(f"{name} not available ({type(exc).__name__}: {exc}); skipping it")
  return None


def peer_version(name: str) -> str | None:
 """Installed version of a peer (or of a product dependency), for the JSON line."""
 from importlib.metadata import PackageNotFoundError, version

 try:
  return version(name)
 except PackageNotFoundError:
  return None
