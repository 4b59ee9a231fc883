"""The Cost Dashboard's export buttons: the range and filters shown, as CSV or JSON lines of its calls (exports) or
as a PDF of the dashboard itself (pdf)."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from .dashboard import DashboardQuery, call_filter, dashboard_data
from .errors import ExportError
from .exports import EXPORT_FORMATS, export_calls, write_bytes_atomically
from .pdf import dashboard_report, render_dashboard_pdf
from .store import Ledger


def export_range(
 ledger: Ledger,
 query: DashboardQuery,
 fmt: str,
 path: Path | str,
 *,
 tz: tzinfo | None = None,
 now: float | None = None,
) -> int:
 """Write what the dashboard shows for `query` to `path` (atomically; ExportError names the file): `csv` or `json`
 (JSON lines), every call of the range and filters; `pdf`, the dashboard's cards, trend (buckets in `tz`) and
 tables. Returns the number of calls exported, or in the PDF's figures."""
 path = Path(path)
 if fmt not in EXPORT_FORMATS:
  raise ExportError(f"{path}: unknown export format {fmt!r} (use {', '.join(EXPORT_FORMATS)})")
 if fmt != "pdf":
  return export_calls(ledger, path, fmt, call_filter(query), progress=False)
 data = dashboard_data(ledger, query, tz=tz)
 write_bytes_atomically(path, render_dashboard_pdf(dashboard_report(ledger, data, tz=tz, now=now)))
 return data.cards.calls
