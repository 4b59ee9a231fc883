"""The kinds of line a call's cost is made of (see lines.py), apart from the machinery that prices them, so that
ledger reports can read stored lines without importing it."""

from __future__ import annotations

# Items a call's six token counts already tell; other items (fees, modalities, a gateway's figure) or a note (a
# batch or service-tier rate, an iteration) make the lines worth keeping with the call.
PLAIN_ITEMS = frozenset({"input", "cache_read", "cache_write_5m", "cache_write_1h", "output"})
FEE_ITEMS = frozenset({"web_search", "grounded_prompts", "search_queries"})


def fee_units(lines: list[dict] | None) -> int:
 """The server-tool fees among stored lines (dicts of CostLine.as_dict), in units."""
 return sum(line["units"] for line in lines or () if line.get("item") in FEE_ITEMS)
