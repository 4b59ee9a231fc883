"""The pricing table as text or JSON: every price with its source and date, and the unpriced models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `format_table` alone (the ledger's reports) needs neither the book nor its table
 from .book import PriceBook
 from .prices import ModelPrice


def _rate(price: ModelPrice, name: str) -> str:
 value = price.effective(name)
 return format(value.normalize(), "f")


def pricing_rows(book: PriceBook, include_dataset: bool = False) -> list[dict[str, object]]:
 """One row per priced model: name, provider, the five rates, long-context tier, source, as_of, origin."""
 rows = []
 for name, price in sorted(book.table.items(), key=lambda kv: (kv[1].provider, kv[0])):
  rows.append(_row(name, price))
 if include_dataset and book.use_dataset:
  from .dataset import iter_dataset_prices

  known = set(book.table)
  for _, model, price in iter_dataset_prices():
   if model not in known:
    known.add(model)
    rows.append(_row(model, price))
 return rows


def _row(name: str, price: ModelPrice) -> dict[str, object]:
 from .prices import PRICE_FIELDS

 row: dict[str, object] = {"model": name, "provider": price.provider}
 for field in PRICE_FIELDS:
  row[field] = _rate(price, field)
 row["tiers"] = [
  {
   "above_input_tokens": tier.above_input_tokens,
   "input": format(tier.input.normalize(), "f"),
   "output": format(tier.output.normalize(), "f"),
  }
  for tier in price.tiers
 ]
 row.update(source=price.source, as_of=price.as_of, origin=price.origin)
 return row


def format_table(headers: list[str], rows: Iterable[list[str]], right: set[int] | None = None) -> str:
 """Plain aligned columns; numeric columns (indexes in `right`) right-aligned."""
 rows = [list(map(str, r)) for r in rows]
 right = right or set()
 widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

 def line(cells: list[str]) -> str:
  return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

 out = [line(headers), "  ".join("-" * w for w in widths)]
 out.extend(line(r) for r in rows)
 return "\n".join(s.rstrip() for s in out)


def render_pricing_text(
 rows: list[dict[str, object]], unpriced: Iterable[str] = (), sources: Iterable[str] = ()
) -> str:
 """The human-readable pricing table (USD per 1M tokens)."""
 headers = [
  "Model",
  "Provider",
  "Input",
  "Output",
  "Cache read",
  "Cache 5m",
  "Cache 1h",
  "Long context in/out",
  "Source",
  "As of",
 ]
 body = []
 for row in rows:
  tiers = row["tiers"]
  long = ", ".join(f">{t['above_input_tokens'] // 1000}k: {t['input']}/{t['output']}" for t in tiers)
  body.append(
   [
    row["model"],
    row["provider"],
    row["input"],
    row["output"],
    row["cache_read"],
    row["cache_write"],
    row["cache_write_1h"],
    long,
    row["source"],
    row["as_of"],
   ]
  )
 text = "Prices in USD per 1M tokens.\n" + format_table(headers, body, right={2, 3, 4, 5, 6})
 sources = list(sources)
 if sources:
  text += "\nOverrides applied from: " + ", ".join(sources)
 unpriced = sorted(unpriced)
 text += "\nUnpriced models seen: " + (", ".join(unpriced) if unpriced else "none")
 return text


def render_charges_text(rows: list[dict[str, str]]) -> str:
 """The rates beyond plain tokens (tool fees, tiers, residency, modalities), with source and date."""
 headers = ["Dimension", "Applies to", "Rate (USD)", "Per", "Source", "As of"]
 keys = ("dimension", "applies_to", "rate", "per", "source", "as_of")
 return "Beyond plain tokens:\n" + format_table(headers, [[row[k] for k in keys] for row in rows], right={2})
