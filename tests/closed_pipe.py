"""Run the CLI as `mma-conductor ... | head` does when head has already gone: stdout is a pipe with no reader."""

import os
import subprocess
import sys


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
 """`python -m mma_conductor.cli ARGS` with stdout a pipe whose reader is closed; stderr is captured."""
 read_end, write_end = os.pipe()
 os.close(read_end)
 try:
  return subprocess.run(
   [sys.executable, "-m", "mma_conductor.cli", *args],
   stdout=write_end,
   stderr=subprocess.PIPE,
   text=True,
   timeout=60,
  )
 finally:
  os.close(write_end)
