"""Write a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_writer(path: Path | str, mode: str = "wb", **open_options: Any) -> Iterator[IO]:
 """Yield a handle on a temporary file beside `path`; on success it is flushed to disk and renamed over
 `path`, on any error it is removed and `path` is left as it was. OSError propagates to the caller."""
 path = Path(path)
 fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
 try:
  with os.fdopen(fd, mode, **open_options) as handle:
   yield handle
   handle.flush()
   os.fsync(handle.fileno())
  os.replace(tmp, path)
 except BaseException:
  Path(tmp).unlink(missing_ok=True)
  raise
