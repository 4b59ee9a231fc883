"""Set up and run mma-conductor from a fresh clone with nothing but Python 3.11+ and pip.

  python3 tools/dev.py app [ARGS...]   run the app (creates .venv and installs on first use)
  python3 tools/dev.py test [ARGS...]  ruff format --check, ruff check, then the whole pytest suite

The virtual environment is refreshed whenever pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".mma-installed"


def python() -> str:
 return str(BIN / ("python.exe" if os.name == "nt" else "python"))


def ensure_env(extras: str) -> None:
 if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on whatever python3 the user has
  sys.exit(f"mma-conductor needs Python 3.11 or newer; this is {sys.version.split()[0]}")
 if not BIN.exists():
  print(f"Creating virtual environment in {VENV} ...", flush=True)
  venv.EnvBuilder(with_pip=True).create(VENV)
 wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
 if STAMP.exists() and STAMP.read_text() == wanted:
  return
 print(f"Installing mma-conductor[{extras}] into {VENV} ...", flush=True)
 subprocess.check_call([python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
 subprocess.check_call([python(), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"])
 STAMP.write_text(wanted)


def main() -> int:
 if len(sys.argv) < 2 or sys.argv[1] not in ("app", "test"):
  print(__doc__)
  return 2
 command, args = sys.argv[1], sys.argv[2:]
 if command == "app":
  ensure_env("providers")
  env = {**os.environ, "MMA_CONDUCTOR_LAUNCHER": "python3 tools/dev.py app"}  # for hints the app prints
  return subprocess.call([str(BIN / "mma-conductor"), *args], env=env)
 ensure_env("dev")
 for step in (["ruff", "format", "--check", "."], ["ruff", "check", "."]):
  print("$", " ".join(step), flush=True)
  code = subprocess.call([str(BIN / step[0]), *step[1:]], cwd=ROOT)
  if code:
   print(f"{step[0]} {step[1]} failed: run `.venv/bin/ruff format .` / fix the findings above", flush=True)
   return code
 return subprocess.call([python(), "-m", "pytest", *args], cwd=ROOT)


if __name__ == "__main__":
 sys.exit(main())
