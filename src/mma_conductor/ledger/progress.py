"""A plain text progress bar on stderr for long exports and imports, shown only on a terminal or when asked."""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
_EVERY_S = 0.1


class Progress:
 """`Progress(total, "export")`; call `advance(n)` as work is done and `done()` at the end. Silent unless
 `stream` is a terminal or `force` is true; redraws at most ten times a second."""

 def __init__(self, total: int, label: str, *, stream: TextIO | None = None, force: bool = False) -> None:
  self.total = max(0, total)
  self.label = label
  self.stream = stream if stream is not None else sys.stderr
  self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
  self.count = 0
  self._drawn_at = 0.0

 def advance(self, n: int = 1) -> None:
  """Count `n` more items done."""
  self.count += n
  if self.enabled:
   now = time.monotonic()
   if now - self._drawn_at >= _EVERY_S:
    self._drawn_at = now
    self._draw()

 def done(self) -> None:
  """Draw the final state and end the line."""
  if self.enabled:
   self._draw()
   self.stream.write("\n")
   self.stream.flush()

 def _draw(self) -> None:
  if self.total:
   share = min(1.0, self.count / self.total)
   filled = round(share * _WIDTH)
   bar = "#" * filled + "-" * (_WIDTH - filled)
   text = f"\r{self.label} [{bar}] {share:6.1%} {self.count:,}/{self.total:,}"
  else:
   text = f"\r{self.label} {self.count:,}"
  self.stream.write(text)
  self.stream.flush()
