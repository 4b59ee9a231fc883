"""Real tiny file systems for disk-full and read-only tests (root only; skipped with the reason elsewhere)."""

import contextlib
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(size: str):
 """A real, tiny file system (root only): the way to make a disk full or read-only for real."""
 if shutil.which("mount") is None:
  pytest.skip("needs mount(8) to make a small file system")
 where = Path("/tmp") / f"mma-ledger-{uuid.uuid4().hex[:8]}"
 where.mkdir()
 result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
 if result.returncode != 0:
  where.rmdir()
  pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.decode().strip()}")
 try:
  yield where
 finally:
  subprocess.run(["umount", "-l", str(where)], check=False)
  where.rmdir()


def remount(where: Path, options: str) -> None:
 subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)
