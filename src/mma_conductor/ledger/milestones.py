"""The milestone log, `costs.log` beside the ledger: one line each time the all-time total crosses a dollar.

    2026-01-05T10:00:00Z First dollar spent! Total: $1.00
    2026-01-05T11:42:13Z Another $1 spent. Total: $2.00

Each threshold is logged at most once, across restarts and processes: the ledger keeps the last dollar
logged (`meta.milestone_logged`) and the lines are appended while holding the ledger's write lock. The log's
own last line is read too, so a crash between appending and recording the marker does not repeat a line.
A jump over more than MAX_LINES_PER_JUMP dollars at once (an import) is told in one line.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from ..pricing.money import UNITS_PER_USD, format_usd

MAX_LINES_PER_JUMP = 100
_TOTAL = re.compile(r"Total: \$([\d,]+)\.00\s*$")


def milestone_lines(logged: int, reached: int, at: float | None = None) -> list[str]:
 """The lines for crossing from `logged` to `reached` whole dollars (none when nothing new was crossed)."""
 if reached <= logged:
  return []
 stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if at is None else at))
 if reached - logged > MAX_LINES_PER_JUMP:
  return [f"{stamp} Another ${reached - logged:,} spent. Total: {_dollars(reached)}"]
 lines = []
 for dollar in range(logged + 1, reached + 1):
  text = "First dollar spent!" if dollar == 1 else "Another $1 spent."
  lines.append(f"{stamp} {text} Total: {_dollars(dollar)}")
 return lines


def _dollars(dollars: int) -> str:
 return format_usd(dollars * UNITS_PER_USD, 2)


def last_logged_dollar(log_path: Path) -> int:
 """The total on the log's last milestone line, in whole dollars (0 when there is no log or no line)."""
 try:
  with open(log_path, "rb") as handle:
   handle.seek(0, os.SEEK_END)
   size = handle.tell()
   handle.seek(max(0, size - 4096))
   tail = handle.read().decode("utf-8", errors="replace")
 except FileNotFoundError:
  return 0
 for line in reversed(tail.splitlines()):
  found = _TOTAL.search(line)
  if found:
   return int(found.group(1).replace(",", ""))
 return 0


def append_lines(log_path: Path, lines: list[str]) -> None:
 """Append the lines and flush them to disk (raises OSError naming nothing; callers add the path)."""
 with open(log_path, "a", encoding="utf-8") as handle:
  handle.write("".join(line + "\n" for line in lines))
  handle.flush()
  os.fsync(handle.fileno())


def reached_dollars(total_units: int) -> int:
 """Whole dollars in an all-time total."""
 return max(0, total_units) // UNITS_PER_USD
