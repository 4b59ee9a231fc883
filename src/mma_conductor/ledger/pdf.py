"""The PDF cost report: headline figures, a cost-over-time chart, provider, model and tier breakdowns and the
costliest runs, on A4, drawn with fpdf2 (pure Python; imported only here, so the CLI stays fast)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from ..pricing.money import format_usd_auto
from ..pricing.prices import PROVIDER_LABELS
from .dashboard import DashboardData
from .exports import write_bytes_atomically
from .periods import period_key, to_datetime, to_us
from .queries import ALL_CALLS, CallFilter, Figures, Summary, call_span, period_summary, spend_rate, summarize
from .reports import beyond_token_totals, run_economics, top_runs
from .store import Ledger

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
ACCENT = (37, 99, 235)
ACCENT_SOFT = (219, 234, 254)
PANEL = (246, 248, 250)
_MAX_BARS = 62


@dataclass(frozen=True, slots=True)
class ReportData:
 """Everything the report shows, computed before drawing."""

 title: str
 period_label: str
 generated: str
 ledger_path: str
 total: Figures
 periods: dict[str, Figures]
 per_day_units: int
 series_label: str
 series: list[tuple[str, int]]
 by_provider: Summary
 by_model: Summary
 by_tier: Summary
 runs: list
 economics: object
 beyond_tokens: list = field(default_factory=list)


def gather(ledger: Ledger, filt: CallFilter = ALL_CALLS, *, tz: tzinfo | None = None, now: float | None = None):
 """Compute the report's figures for the calls in `filt`'s range."""
 now = time.time() if now is None else now
 total = summarize(ledger, None, filt, tz=tz).total
 first, last = call_span(ledger, filt)
 series_by, series_label = _series_grouping(first, last)
 series = _filled_series(summarize(ledger, series_by, filt, tz=tz), series_by, first, last, tz)
 return ReportData(
  title="AI spend report",
  period_label=_period_label(filt, first, last, tz),
  generated=datetime.fromtimestamp(now, tz or datetime.now().astimezone().tzinfo).strftime("%Y-%m-%d %H:%M %Z"),
  ledger_path=str(ledger.path),
  total=total,
  periods=period_summary(ledger, now=now, tz=tz),
  per_day_units=spend_rate(ledger, filt, now=now).units_per_day,
  series_label=series_label,
  series=series,
  by_provider=summarize(ledger, "provider", filt, tz=tz),
  by_model=summarize(ledger, "model", filt, tz=tz),
  by_tier=summarize(ledger, "tier", filt, tz=tz),
  runs=top_runs(ledger, 10, filt),
  economics=run_economics(ledger, filt),
  beyond_tokens=beyond_token_totals(ledger, filt),
 )


def _series_grouping(first: int | None, last: int | None) -> tuple[str, str]:
 days = 0 if first is None else (last - first) / 86_400_000_000
 if days <= _MAX_BARS:
  return "day", "Cost per day"
 if days / 7 <= _MAX_BARS:
  return "week", "Cost per week"
 return "month", "Cost per month"


def _filled_series(summary: Summary, by: str, first: int | None, last: int | None, tz) -> list[tuple[str, int]]:
 """Every period from the first call to the last, zero where nothing was spent."""
 costs = {g.key: g.cost_units for g in summary.groups}
 if first is None:
  return []
 keys: list[str] = []
 moment = to_datetime(first, tz)
 end_key = period_key(last, by, tz)
 step = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=28)}[by]
 while True:
  key = period_key(to_us(moment), by, tz)
  if not keys or keys[-1] != key:
   keys.append(key)
  if key == end_key or len(keys) > 400:
   break
  moment += step
 return [(key, costs.get(key, 0)) for key in keys]


def _period_label(filt: CallFilter, first: int | None, last: int | None, tz) -> str:
 def day(us: int) -> str:
  return to_datetime(us, tz).strftime("%d %b %Y")

 if filt.since_us is None and filt.until_us is None:
  return "All time" + (f" ({day(first)} to {day(last)})" if first is not None else " (no calls yet)")
 start = day(filt.since_us) if filt.since_us is not None else "the first call"
 end = day(filt.until_us - 1) if filt.until_us is not None else "now"
 return f"{start} to {end}"


# Drawing ----------------------------------------------------------------------------------------------------------


def render_pdf(data: ReportData) -> bytes:
 """The report as PDF bytes."""
 from fpdf import FPDF

 pdf = FPDF(orientation="P", unit="mm", format="A4")
 pdf.set_auto_page_break(auto=True, margin=16)
 pdf.set_margins(16, 14, 16)
 pdf.set_title(data.title)
 pdf.set_creator("mma-conductor")
 pdf.alias_nb_pages()

 def footer() -> None:
  pdf.set_y(-11)
  pdf.set_font("Helvetica", "", 7.5)
  pdf.set_text_color(*MUTED)
  pdf.cell(0, 4, _latin(f"mma-conductor cost ledger  |  {data.ledger_path}"), align="L")
  pdf.set_x(16)
  pdf.cell(0, 4, f"Page {pdf.page_no()} of {{nb}}", align="R")

 pdf.footer = footer
 pdf.add_page()
 _header(pdf, data)
 _headline(pdf, data)
 _chart(pdf, data)
 _table(pdf, "By provider", data.by_provider, data.total, limit=10, labels=PROVIDER_LABELS)
 _table(pdf, "By model", data.by_model, data.total, limit=12)
 _table(pdf, "By tier", data.by_tier, data.total, limit=8)
 _beyond_tokens(pdf, data)
 _runs(pdf, data)
 _note(pdf)
 return bytes(pdf.output())


def write_pdf_report(
 ledger: Ledger, path: Path, filt: CallFilter = ALL_CALLS, *, tz: tzinfo | None = None, now: float | None = None
) -> None:
 """Write the report for the calls in `filt`'s range to `path` (atomically; ExportError names the file)."""
 write_bytes_atomically(Path(path), render_pdf(gather(ledger, filt, tz=tz, now=now)))


def _latin(text: str) -> str:
 # The core PDF fonts cover Latin-1 only; anything else would abort the whole report.
 return text.encode("latin-1", errors="replace").decode("latin-1")


def _header(pdf, data: ReportData) -> None:
 pdf.set_text_color(*INK)
 pdf.set_font("Helvetica", "B", 20)
 pdf.cell(0, 10, data.title, new_x="LMARGIN", new_y="NEXT")
 pdf.set_font("Helvetica", "", 10)
 pdf.set_text_color(*MUTED)
 pdf.cell(0, 5, _latin(f"{data.period_label}  |  generated {data.generated}"), new_x="LMARGIN", new_y="NEXT")
 pdf.ln(2)
 pdf.set_draw_color(*ACCENT)
 pdf.set_line_width(0.6)
 pdf.line(16, pdf.get_y(), 194, pdf.get_y())
 pdf.ln(4)


def _box(pdf, x: float, y: float, w: float, label: str, value: str, detail: str) -> None:
 pdf.set_fill_color(*PANEL)
 pdf.set_draw_color(*RULE)
 pdf.set_line_width(0.2)
 pdf.rect(x, y, w, 21, style="DF")
 pdf.set_xy(x + 3, y + 2.5)
 pdf.set_font("Helvetica", "", 8)
 pdf.set_text_color(*MUTED)
 pdf.cell(w - 6, 4, label.upper())
 pdf.set_xy(x + 3, y + 7)
 pdf.set_font("Helvetica", "B", 14)
 pdf.set_text_color(*INK)
 pdf.cell(w - 6, 7, _latin(value))
 pdf.set_xy(x + 3, y + 14.5)
 pdf.set_font("Helvetica", "", 7.5)
 pdf.set_text_color(*MUTED)
 pdf.cell(w - 6, 4, _latin(detail))


def _headline(pdf, data: ReportData) -> None:
 total = data.total
 economics = data.economics
 per_run = economics.cost_per_successful_run_units
 y = pdf.get_y()
 width = (178 - 3 * 4) / 4
 boxes = [
  ("Spend in period", total.cost_label, f"{total.calls:,} calls" + _unpriced(total)),
  (
   "Tokens",
   _tokens(total.input_tokens + total.output_tokens),
   f"{_tokens(total.input_tokens)} in, {_tokens(total.output_tokens)} out",
  ),
  ("Spend rate", format_usd_auto(data.per_day_units) + "/day", "average over the period"),
  (
   "Per successful run",
   "n/a" if per_run is None else format_usd_auto(per_run),
   f"{economics.successful_runs} of {economics.runs} runs done",
  ),
 ]
 for index, (label, value, detail) in enumerate(boxes):
  _box(pdf, 16 + index * (width + 4), y, width, label, value, detail)
 y += 25
 names = (("today", "Today"), ("this_week", "This week"), ("this_month", "This month"), ("all_time", "All time"))
 for index, (key, label) in enumerate(names):
  figures = data.periods[key]
  _box(pdf, 16 + index * (width + 4), y, width, label, figures.cost_label, f"{figures.calls:,} calls")
 pdf.set_y(y + 27)


def _unpriced(figures: Figures) -> str:
 return f", {figures.unpriced_calls:,} unpriced" if figures.unpriced_calls else ""


def _tokens(count: int) -> str:
 for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
  if count >= size:
   return f"{count / size:.1f}{suffix}"
 return str(count)


def _section(pdf, title: str, needed: float) -> None:
 if pdf.get_y() + needed > pdf.h - 18:
  pdf.add_page()
 pdf.set_font("Helvetica", "B", 12)
 pdf.set_text_color(*INK)
 pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
 pdf.ln(1)


@dataclass(frozen=True, slots=True)
class _Plot:
 """The chart's drawing area: left edge, width, height and baseline (mm), and the cost at its top."""

 x0: float
 width: float
 height: float
 base: float
 scale_max: int


def _chart(pdf, data: ReportData) -> None:
 _section(pdf, data.series_label, 70)
 series = data.series
 peak = max((cost for _, cost in series), default=0)
 top = pdf.get_y() + 2
 plot = _Plot(32.0, 162.0, 52.0, top + 52.0, _nice_ceiling(peak))
 _grid(pdf, plot)
 if not series or peak == 0:
  pdf.set_xy(plot.x0, top + plot.height / 2 - 3)
  pdf.set_text_color(*MUTED)
  pdf.cell(plot.width, 6, "No spend in this period", align="C")
 else:
  _bars(pdf, plot, series)
 pdf.set_draw_color(*INK)
 pdf.set_line_width(0.3)
 pdf.line(plot.x0, plot.base, plot.x0 + plot.width, plot.base)
 pdf.set_y(plot.base + 8)


def _grid(pdf, plot: _Plot) -> None:
 pdf.set_font("Helvetica", "", 7)
 pdf.set_line_width(0.15)
 for step in range(5):
  value = plot.scale_max * step // 4
  y = plot.base - plot.height * step / 4
  pdf.set_draw_color(*RULE)
  pdf.line(plot.x0, y, plot.x0 + plot.width, y)
  pdf.set_text_color(*MUTED)
  pdf.set_xy(16, y - 2)
  pdf.cell(plot.x0 - 17, 4, format_usd_auto(value), align="R")


def _bars(pdf, plot: _Plot, series: list[tuple[str, int]]) -> None:
 slot = plot.width / len(series)
 bar = max(0.6, slot * 0.72)
 pdf.set_fill_color(*ACCENT)
 for index, (_, cost) in enumerate(series):
  bar_height = plot.height * cost / plot.scale_max if plot.scale_max else 0
  if bar_height > 0:
   pdf.rect(plot.x0 + index * slot + (slot - bar) / 2, plot.base - bar_height, bar, bar_height, style="F")
 labels = max(1, len(series) // 8)
 pdf.set_text_color(*MUTED)
 for index, (key, _) in enumerate(series):
  if index % labels == 0 or index == len(series) - 1:
   pdf.set_xy(plot.x0 + index * slot + slot / 2 - 10, plot.base + 1)
   pdf.cell(20, 4, _short_key(key), align="C")


def _nice_ceiling(units: int) -> int:
 """The smallest 1, 2, 2.5 or 5 x 10^k at or above `units` (so the grid lines read well)."""
 if units <= 0:
  return 0
 magnitude = 1
 while magnitude * 10 <= units:
  magnitude *= 10
 for factor in (1, 2, 2.5, 5, 10):
  candidate = int(magnitude * factor)
  if candidate >= units:
   return candidate
 return magnitude * 10


def _short_key(key: str) -> str:
 if len(key) == 10:  # 2026-01-05
  return datetime.strptime(key, "%Y-%m-%d").strftime("%d %b")
 if len(key) == 7 and key[4] == "-":  # 2026-01
  return datetime.strptime(key, "%Y-%m").strftime("%b %Y")
 return key


def _table(pdf, title: str, summary: Summary, total: Figures, *, limit: int, labels: dict | None = None) -> None:
 groups = list(summary.groups)
 shown, rest = groups[:limit], groups[limit:]
 _section(pdf, title, 14 + 6 * (len(shown) + 2))
 columns = [("Name", 58, "L"), ("Calls", 20, "R"), ("Input tok.", 24, "R"), ("Output tok.", 24, "R")]
 columns += [("Cost", 26, "R"), ("Share", 26, "L")]
 _table_header(pdf, columns)
 labels = labels or {}
 rows = [(labels.get(g.key, g.key) or "(none)", g) for g in shown]
 if rest:
  other = [0] * 4
  for g in rest:
   other = [other[0] + g.calls, other[1] + g.input_tokens, other[2] + g.output_tokens, other[3] + g.cost_units]
  rows.append(
   (f"{len(rest)} more", Figures("", other[3], other[0], 0, other[1], other[2])),
  )
 if not rows:
  pdf.set_font("Helvetica", "", 9)
  pdf.set_text_color(*MUTED)
  pdf.cell(0, 6, "No calls in this period", new_x="LMARGIN", new_y="NEXT")
 for name, figures in rows:
  share = figures.cost_units / total.cost_units if total.cost_units else 0.0
  cells = [_latin(name[:38]), f"{figures.calls:,}", f"{figures.input_tokens:,}", f"{figures.output_tokens:,}"]
  cells.append(figures.cost_label)
  _table_row(pdf, columns, cells, share)
 pdf.ln(4)


def _table_header(pdf, columns) -> None:
 pdf.set_font("Helvetica", "B", 8)
 pdf.set_text_color(*MUTED)
 for name, width, align in columns:
  pdf.cell(width, 6, name, align=align)
 pdf.ln(6)
 pdf.set_draw_color(*RULE)
 pdf.set_line_width(0.2)
 pdf.line(16, pdf.get_y(), 194, pdf.get_y())


def _table_row(pdf, columns, cells: list[str], share: float | None) -> None:
 pdf.set_font("Helvetica", "", 8.5)
 pdf.set_text_color(*INK)
 y = pdf.get_y()
 for (_, width, align), text in zip(columns, cells, strict=False):
  pdf.cell(width, 6, text, align=align)
 if share is not None:
  x = pdf.get_x() + 2
  pdf.set_fill_color(*ACCENT_SOFT)
  pdf.rect(x, y + 1.8, 14, 2.6, style="F")
  pdf.set_fill_color(*ACCENT)
  if share > 0:
   pdf.rect(x, y + 1.8, max(0.3, 14 * share), 2.6, style="F")
  pdf.set_xy(x + 15, y)
  pdf.set_text_color(*MUTED)
  pdf.cell(9, 6, f"{share:.0%}", align="R")
 pdf.ln(6)
 pdf.set_draw_color(*RULE)
 pdf.line(16, pdf.get_y(), 194, pdf.get_y())


def _beyond_tokens(pdf, data: ReportData) -> None:
 """Tool fees, audio / image tokens and gateway differences: lines of their own, included in the costs above."""
 if not data.beyond_tokens:
  return
 _section(pdf, "Beyond plain tokens (included above)", 14 + 6 * (len(data.beyond_tokens) + 2))
 columns = [("Item", 58, "L"), ("Quantity", 44, "R"), ("Cost", 26, "R"), ("Share", 26, "L")]
 _table_header(pdf, columns)
 for line in data.beyond_tokens:
  share = line.units / data.total.cost_units if data.total.cost_units > 0 else None
  cells = [line.item.replace("_", " "), f"{line.quantity:,}", format_usd_auto(line.units)]
  _table_row(pdf, columns, cells, share)
 pdf.ln(4)


def _runs(pdf, data: ReportData) -> None:
 runs = [r for r in data.runs if r.figures.calls]
 _section(pdf, "Costliest runs", 14 + 6 * (len(runs) + 2))
 economics = data.economics
 pdf.set_font("Helvetica", "", 8.5)
 pdf.set_text_color(*MUTED)
 per = economics.cost_per_successful_run_units
 line = f"{economics.runs} runs, {economics.successful_runs} done. "
 line += (
  "No run has finished successfully yet."
  if per is None
  else f"Cost per successful run (all runs' spend / successful runs): {format_usd_auto(per)}."
 )
 pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
 columns = [("Run", 44, "L"), ("Status", 20, "L"), ("Goal", 74, "L"), ("Calls", 16, "R"), ("Cost", 24, "R")]
 _table_header(pdf, columns)
 if not runs:
  pdf.set_font("Helvetica", "", 9)
  pdf.cell(0, 6, "No runs in this period", new_x="LMARGIN", new_y="NEXT")
 for run in runs:
  goal = run.goal if len(run.goal) <= 48 else run.goal[:47] + "..."
  cells = [_latin(run.run_id[:28]), run.status, _latin(goal), f"{run.figures.calls:,}", run.figures.cost_label]
  _table_row(pdf, columns, cells, None)
 pdf.ln(3)


def _note(pdf) -> None:
 if pdf.get_y() > pdf.h - 30:
  pdf.add_page()
 pdf.set_font("Helvetica", "I", 7.5)
 pdf.set_text_color(*MUTED)
 pdf.multi_cell(
  0,
  3.8,
  "Costs are recorded per call at the prices in force when the call was made, exact to 10^-15 USD and rounded "
  "here for display. Unpriced calls used a model without a known price and are counted, not costed.",
 )


# The Cost Dashboard's export ---------------------------------------------------------------------------------------

# Trend colours per provider, in the order of the trend's providers (dearest first).
STACK_COLOURS = ((37, 99, 235), (234, 88, 12), (22, 163, 74), (147, 51, 234), (220, 38, 38), (107, 114, 128))


@dataclass(frozen=True, slots=True)
class DashboardReport:
 """The dashboard's figures for one range and filters, with what the page header says about them."""

 data: DashboardData
 period_label: str
 generated: str
 ledger_path: str
 tz: tzinfo | None = None
 title: str = "Cost dashboard"


def dashboard_report(ledger: Ledger, data: DashboardData, *, tz: tzinfo | None = None, now: float | None = None):
 """A DashboardReport of `data` (dashboard_data's result) read from `ledger`."""
 now = time.time() if now is None else now
 query = data.query
 since = "the first call" if query.since_us is None else _minute(query.since_us, tz)
 until = "now" if query.until_us is None else _minute(query.until_us, tz)
 filters = [f"{name} {value}" for name, value in _filters(query) if value is not None]
 label = f"{since} to {until}" + (f"  |  {', '.join(filters)}" if filters else "")
 generated = datetime.fromtimestamp(now, tz or datetime.now().astimezone().tzinfo).strftime("%Y-%m-%d %H:%M %Z")
 return DashboardReport(data, label, generated, str(ledger.path), tz)


def _minute(us: int, tz: tzinfo | None) -> str:
 return to_datetime(us, tz).strftime("%d %b %Y %H:%M")


def _filters(query) -> list[tuple[str, str | None]]:
 return [("provider", query.provider), ("model", query.model), ("tier", query.tier), ("run", query.run_id)]


def render_dashboard_pdf(report: DashboardReport) -> bytes:
 """The dashboard as PDF bytes: its cards, the trend stacked by provider, the provider, model and tier tables and
 the costliest runs."""
 from fpdf import FPDF

 pdf = FPDF(orientation="P", unit="mm", format="A4")
 pdf.set_auto_page_break(auto=True, margin=16)
 pdf.set_margins(16, 14, 16)
 pdf.set_title(report.title)
 pdf.set_creator("mma-conductor")
 pdf.add_page()
 _header(pdf, report)  # the same page header as the cost report (title, period, generated)
 _dashboard_cards(pdf, report.data)
 _dashboard_trend(pdf, report.data, report.tz)
 _share_table(pdf, "By provider", [(PROVIDER_LABELS.get(s.provider, s.provider), s) for s in report.data.providers])
 _share_table(pdf, "By model", [(f"{s.model} ({s.provider})", s) for s in report.data.models])
 _tier_table(pdf, report.data)
 _top_runs(pdf, report.data)
 _note(pdf)
 return bytes(pdf.output())


def _dashboard_cards(pdf, data: DashboardData) -> None:
 cards = data.cards
 width = (178 - 3 * 4) / 4
 cache = cards.cache_read_tokens + cards.cache_write_tokens
 rows = [
  [
   ("Spent", format_usd_auto(cards.spent_units), f"{cards.calls:,} calls" + _unpriced_count(cards.unpriced_calls)),
   ("Runs", f"{cards.runs:,}", f"{data.sessions:,} sessions"),
   ("Average per run", format_usd_auto(cards.avg_per_run_units), "spent / runs"),
   ("Spend rate", format_usd_auto(cards.spend_rate_units_per_hour) + "/h", "over the range"),
  ],
  [
   ("Tokens in", _tokens(cards.input_tokens), f"{_tokens(cache)} cache read + write"),
   ("Tokens out", _tokens(cards.output_tokens), ""),
   ("Top tier", cards.top_tier or "-", format_usd_auto(cards.top_tier_units) if cards.top_tier else ""),
   ("Calls", f"{cards.calls:,}", _unpriced_count(cards.unpriced_calls).lstrip(", ")),
  ],
 ]
 y = pdf.get_y()
 for line in rows:
  for index, (label, value, detail) in enumerate(line):
   _box(pdf, 16 + index * (width + 4), y, width, label, value, detail)
  y += 25
 pdf.set_y(y + 2)


def _unpriced_count(count: int) -> str:
 return f", {count:,} unpriced" if count else ""


def _dashboard_trend(pdf, data: DashboardData, tz: tzinfo | None) -> None:
 trend = data.trend
 _section(pdf, f"Cost per {trend.bucket}, by provider", 78)
 totals = [sum(column) for column in zip(*trend.by_provider.values(), strict=True)] if trend.by_provider else []
 top = pdf.get_y() + 2
 plot = _Plot(32.0, 162.0, 52.0, top + 52.0, _nice_ceiling(max(totals, default=0)))
 _grid(pdf, plot)
 if not totals or plot.scale_max == 0:
  pdf.set_xy(plot.x0, top + plot.height / 2 - 3)
  pdf.set_text_color(*MUTED)
  pdf.cell(plot.width, 6, "No spend in this range", align="C")
 else:
  _stacked_bars(pdf, plot, trend)
  _bucket_labels(pdf, plot, trend, tz)
 pdf.set_draw_color(*INK)
 pdf.set_line_width(0.3)
 pdf.line(plot.x0, plot.base, plot.x0 + plot.width, plot.base)
 pdf.set_y(plot.base + 7)
 _legend(pdf, list(trend.by_provider))


def _stacked_bars(pdf, plot: _Plot, trend) -> None:
 slot = plot.width / len(trend.starts_us)
 bar = max(0.4, slot * 0.72)
 heights = [0.0] * len(trend.starts_us)
 for index, units in enumerate(trend.by_provider.values()):
  pdf.set_fill_color(*STACK_COLOURS[min(index, len(STACK_COLOURS) - 1)])
  for bucket, cost in enumerate(units):
   height = plot.height * cost / plot.scale_max
   if height > 0:
    x = plot.x0 + bucket * slot + (slot - bar) / 2
    pdf.rect(x, plot.base - heights[bucket] - height, bar, height, style="F")
    heights[bucket] += height


def _bucket_labels(pdf, plot: _Plot, trend, tz: tzinfo | None) -> None:
 slot = plot.width / len(trend.starts_us)
 step = max(1, len(trend.starts_us) // 8)
 pattern = "%H:%M" if trend.bucket == "hour" else "%d %b"
 pdf.set_font("Helvetica", "", 7)
 pdf.set_text_color(*MUTED)
 for index, start in enumerate(trend.starts_us):
  if index % step == 0:
   pdf.set_xy(plot.x0 + index * slot + slot / 2 - 10, plot.base + 1)
   pdf.cell(20, 4, to_datetime(start, tz).strftime(pattern), align="C")


def _legend(pdf, providers: list[str]) -> None:
 x = 32.0
 pdf.set_font("Helvetica", "", 7.5)
 for index, provider in enumerate(providers):
  pdf.set_fill_color(*STACK_COLOURS[min(index, len(STACK_COLOURS) - 1)])
  pdf.rect(x, pdf.get_y() + 1.2, 3, 3, style="F")
  pdf.set_xy(x + 4, pdf.get_y())
  pdf.set_text_color(*INK)
  name = _latin(PROVIDER_LABELS.get(provider, provider))
  pdf.cell(24, 5, name)
  x += 28
 pdf.ln(8)


def _share_table(pdf, title: str, rows: list[tuple[str, object]]) -> None:
 _section(pdf, title, 14 + 6 * (min(len(rows), 12) + 2))
 columns = [("Name", 58, "L"), ("Calls", 20, "R"), ("Input tok.", 24, "R"), ("Output tok.", 24, "R")]
 columns += [("Cost", 26, "R"), ("Share", 26, "L")]
 _table_header(pdf, columns)
 if not rows:
  _empty_row(pdf, "No calls in this range")
 for name, share in rows:
  cells = [_latin(name[:38]), f"{share.calls:,}", f"{share.input_tokens:,}", f"{share.output_tokens:,}"]
  _table_row(pdf, columns, [*cells, format_usd_auto(share.cost_units)], share.share)
 pdf.ln(4)


def _empty_row(pdf, text: str) -> None:
 pdf.set_font("Helvetica", "", 9)
 pdf.set_text_color(*MUTED)
 pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def _tier_table(pdf, data: DashboardData) -> None:
 _section(pdf, "By tier: tickets, and cost per done vs failed ticket", 14 + 6 * (len(data.tiers) + 2))
 columns = [("Tier", 18, "L"), ("Main model", 42, "L"), ("Cost", 22, "R"), ("Tickets", 16, "R")]
 columns += [("Per ticket", 22, "R"), ("Done", 28, "R"), ("Failed", 30, "R")]
 _table_header(pdf, columns)
 for tier in data.tiers:
  done = f"{tier.done_tickets} x {format_usd_auto(tier.cost_per_done_units)}"
  failed = f"{tier.failed_tickets} x {format_usd_auto(tier.cost_per_failed_units)}"
  cells = [tier.tier, _latin(tier.main_model[:26] or "-"), format_usd_auto(tier.cost_units), f"{tier.tickets:,}"]
  _table_row(pdf, columns, [*cells, format_usd_auto(tier.avg_per_ticket_units), done, failed], None)
 pdf.ln(4)


def _top_runs(pdf, data: DashboardData) -> None:
 _section(pdf, "Costliest runs", 14 + 6 * (len(data.top_runs) + 2))
 columns = [("Run", 44, "L"), ("Status", 20, "L"), ("Goal", 74, "L"), ("Calls", 16, "R"), ("Cost", 24, "R")]
 _table_header(pdf, columns)
 if not data.top_runs:
  _empty_row(pdf, "No runs in this range")
 for run in data.top_runs:
  goal = run.goal if len(run.goal) <= 48 else run.goal[:47] + "..."
  cells = [_latin(run.run_id[:28]), run.status, _latin(goal), f"{run.calls:,}", format_usd_auto(run.cost_units)]
  _table_row(pdf, columns, cells, None)
 pdf.ln(3)
