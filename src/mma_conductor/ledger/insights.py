"""Insights: where the range's money went and how to spend less (issue 13, points 9-11).

The contract between the ledger side (which computes these off the GUI thread, for `costs optimize`, GET /insights
and the dashboard's Insights card) and the GUI. Money is exact integer units of 1e-15 USD.

    insights(ledger, query, book, tier_models, candidates, *, now_us=None) -> Insights
        query: a dashboard.DashboardQuery; book: the project's PriceBook; tier_models: {tier: (provider, model)}
        as configured now; candidates: the (provider, model) pairs to compare with (every configured model:
        the tiers' models and escalation ladders, plus any the user names).

Every "what would it have cost" figure re-prices the ledger's usage rollups exactly as `summarize(prices="today")`
does (per half hour, day and context band, the edges call by call), through a price book that answers every model
name with another price: a candidate's (alternatives), the price with every input token read from the cache
(caching), the price without its long-context tiers (long context). docs/ledger.md gives each formula.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .dashboard import DashboardQuery, call_filter
from .queries import CallFilter, Figures, _div, _where, exact_usd, summarize
from .rollups import US_PER_DAY
from .store import Ledger

if TYPE_CHECKING:
 from ..pricing.book import PriceBook
 from ..pricing.prices import ModelPrice

MONTH_US = 30 * US_PER_DAY  # a month of savings: 30 days
# The caching assumption: this share of the input that missed the cache would have been read from it.
CACHEABLE_SHARE = (1, 2)
FINDING_KINDS = ("tier_share", "cache", "unpriced", "long_context", "retries")
OUTCOMES = ("done", "blocked")  # done: passed QA; blocked: failed


@dataclass(frozen=True, slots=True)
class Alternative:
 """What one tier's recorded token volumes (input, output, cache read / write) over the range would have cost on
 another model, at that model's real prices including cache rates, and how that model fared in this tier."""

 tier: str
 current_provider: str
 current_model: str
 provider: str
 model: str
 recorded_units: int  # what the tier's calls cost as recorded
 would_cost_units: int  # the same volumes on `model`
 saving_units: int  # recorded - would_cost (negative: dearer)
 saving_pct: float  # of recorded (display only)
 saving_per_month_units: int  # the saving scaled to 30 days from the range's span
 success_current: float | None  # the tier's tickets done / (done + blocked) with the current model; None: no history
 success_model: float | None  # the same with `model`; None: no history
 recommended: bool  # saves money and has no worse a success rate (history on both); never without history
 note: str  # "no history", "fails more (40% vs 90%)", "as good (95% vs 94%)", ...


@dataclass(frozen=True, slots=True)
class Finding:
 """Another finding: `kind` is tier_share, cache, unpriced, long_context or retries."""

 kind: str
 text: str  # one line for people: "Tier 1 is 50% of spend", "3 calls hit the >200k tier: $1.20"
 units: int  # the money it is about (a share's cost, what caching would save, ...)


@dataclass(frozen=True, slots=True)
class Insights:
 """The alternatives per tier (best saving first within each tier) and the other findings."""

 query: DashboardQuery
 alternatives: tuple[Alternative, ...]
 findings: tuple[Finding, ...]


# Re-pricing through another price ---------------------------------------------------------------------------------


class _PricedAs:
 """A price book (the two methods re-pricing calls) that prices each model with `price_of(model)`."""

 def __init__(self, price_of: Callable[[str], ModelPrice | None]) -> None:
  self._price_of = price_of
  self._prices: dict[str, ModelPrice | None] = {}

 def price(self, model: str) -> ModelPrice | None:
  try:
   return self._prices[model]
  except KeyError:
   found = self._prices[model] = self._price_of(model)
   return found

 def cost_units(self, model: str, usage: Any) -> int | None:
  price = self.price(model)
  return None if price is None else price.cost_units(usage)


def _by_tier(ledger: Ledger, filt: CallFilter, book: Any) -> dict[str, Figures]:
 """The range's usage per tier at `book`'s prices."""
 return {g.key: g for g in summarize(ledger, "tier", filt, prices="today", book=book).groups}


def _cost(ledger: Ledger, filt: CallFilter, book: Any) -> int:
 return summarize(ledger, None, filt, prices="today", book=book).total.cost_units


def _all_input_cached(price: ModelPrice | None) -> ModelPrice | None:
 """`price` with every input token (of every context tier) at its cache-read rate, the other rates as they were."""
 if price is None or price.cache_read is None:
  return price
 return replace(_input_cached(price), tiers=tuple(_input_cached(tier) for tier in price.tiers))


def _input_cached(rates: Any) -> Any:
 """A ModelPrice or PriceTier with its input rate at its cache-read rate, the writes' rates kept (a write
 without a rate of its own pays the input rate: pin it before the input rate changes)."""
 write = rates.input if rates.cache_write is None else rates.cache_write
 write_1h = write if rates.cache_write_1h is None else rates.cache_write_1h
 read = rates.input if rates.cache_read is None else rates.cache_read
 return replace(rates, input=read, cache_write=write, cache_write_1h=write_1h)


def _without_tiers(price: ModelPrice | None) -> ModelPrice | None:
 return None if price is None else replace(price, tiers=())


# The range --------------------------------------------------------------------------------------------------------


def span_us(ledger: Ledger, filt: CallFilter, now_us: int) -> int:
 """The range's length: from `since` (open: the first matching call) to `until` or now, whichever is first."""
 start = filt.since_us
 if start is None:
  where, params = _where(filt)
  with ledger.reading() as conn:
   start = conn.execute(f"SELECT min(ts_us) FROM calls{where}", params).fetchone()[0]
 end = now_us if filt.until_us is None else min(filt.until_us, now_us)
 return 0 if start is None else max(0, end - start)


def per_month(units: int, span: int) -> int:
 """`units` spent over `span` microseconds scaled to 30 days (a span under a day counts as a day: an hour's
 spend times 720 forecasts nothing), rounded half to even."""
 return _div(units * MONTH_US, max(span, US_PER_DAY))


# Quality ----------------------------------------------------------------------------------------------------------

# The tickets each model of a tier worked on, with their outcome. Tier 3 (workers): the model that ended the ticket
# (tickets.model); other tiers: every model whose calls in the tier touched the ticket (Tier 1's plan calls, without
# a ticket, touch every ticket of their run). One pass over the range's calls for all tiers.
_TOUCHED = "SELECT DISTINCT tier, model, run_id, ticket_id FROM calls{where}"
_OUTCOMES = "SELECT run_id, ticket_id, status, model FROM tickets WHERE status IN ('done', 'blocked')"
WORKER_TIER = "Tier 3"


@dataclass(frozen=True, slots=True)
class Record:
 """A model's tickets in a tier: done and blocked."""

 done: int = 0
 blocked: int = 0

 @property
 def rate(self) -> float | None:
  """Done / (done + blocked); None without history."""
  total = self.done + self.blocked
  return self.done / total if total else None


def success_records(ledger: Ledger, filt: CallFilter) -> dict[str, dict[str, Record]]:
 """Per tier, each model's done and blocked tickets, from the tickets with calls of that tier in the range of
 `filt` (its time range and run only: the other models' history counts whatever the provider or model filter)."""
 where, params = _where(CallFilter(since_us=filt.since_us, until_us=filt.until_us, run_id=filt.run_id))
 with ledger.reading() as conn:
  outcomes = {(run, ticket): (status, model) for run, ticket, status, model in conn.execute(_OUTCOMES)}
  touched = conn.execute(_TOUCHED.format(where=where), params).fetchall()
 by_run: dict[str, list[tuple[str, str]]] = {}
 for key in outcomes:
  by_run.setdefault(key[0], []).append(key)
 seen: dict[tuple[str, str], set[tuple[str, str]]] = {}
 for tier, model, run, ticket in touched:
  for key in _tickets_touched(run, ticket, by_run, outcomes):
   seen.setdefault((tier, outcomes[key][1] if tier == WORKER_TIER else model), set()).add(key)
 return _records(seen, outcomes)


def _tickets_touched(run: str, ticket: str, by_run: dict, outcomes: dict) -> Iterable[tuple[str, str]]:
 """The tickets with an outcome that a call of (run, ticket) touched: its own, or its run's for a call without."""
 if ticket == "":
  return by_run.get(run, ())
 return [(run, ticket)] if (run, ticket) in outcomes else ()


def _records(
 seen: dict[tuple[str, str], set[tuple[str, str]]], outcomes: dict[tuple[str, str], tuple[str, str]]
) -> dict[str, dict[str, Record]]:
 found: dict[str, dict[str, Record]] = {}
 for (tier, model), tickets in seen.items():
  blocked = sum(outcomes[key][0] == "blocked" for key in tickets)
  found.setdefault(tier, {})[model] = Record(len(tickets) - blocked, blocked)
 return found


def quality_note(current: float | None, other: float | None) -> str:
 """How `other`'s success rate compares with the current model's."""
 if current is None or other is None:
  return "no history"
 pair = f"({other:.0%} vs {current:.0%})"
 if other < current:
  return f"fails more {pair}"
 return f"better {pair}" if other > current else f"as good {pair}"


# Alternatives -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TierFacts:
 """What the alternatives of one tier compare with."""

 tier: str
 provider: str
 model: str
 recorded_units: int
 records: dict[str, Record]


def _alternative(facts: _TierFacts, provider: str, model: str, would_cost: int, span: int) -> Alternative:
 saving = facts.recorded_units - would_cost
 current = facts.records.get(facts.model, Record()).rate
 other = facts.records.get(model, Record()).rate
 comparable = current is not None and other is not None
 return Alternative(
  tier=facts.tier,
  current_provider=facts.provider,
  current_model=facts.model,
  provider=provider,
  model=model,
  recorded_units=facts.recorded_units,
  would_cost_units=would_cost,
  saving_units=saving,
  saving_pct=saving * 100 / facts.recorded_units if facts.recorded_units else 0.0,
  saving_per_month_units=per_month(saving, span),
  success_current=current,
  success_model=other,
  recommended=saving > 0 and comparable and other >= current,
  note=quality_note(current, other),
 )


def _tier_facts(
 ledger: Ledger, filt: CallFilter, tiers: Mapping[str, Figures], tier_models: Mapping[str, tuple[str, str]]
) -> list[_TierFacts]:
 """Each tier with calls in the range: its current provider and model (configured; else the one it spent most
 on), what it cost as recorded and its models' records."""
 records = success_records(ledger, filt) if tiers else {}
 facts = []
 for tier in sorted(tiers):
  provider, model = tier_models.get(tier) or _main_model(ledger, replace(filt, tier=tier))
  facts.append(_TierFacts(tier, provider, model, tiers[tier].cost_units, records.get(tier, {})))
 return facts


def _main_model(ledger: Ledger, filt: CallFilter) -> tuple[str, str]:
 """The (provider, model) with the most recorded cost (then calls) in the range of `filt`."""
 best = summarize(ledger, "model", filt).groups[0].key
 providers = summarize(ledger, "provider", replace(filt, model=best)).groups
 return providers[0].key, best


def alternatives(
 ledger: Ledger,
 filt: CallFilter,
 book: PriceBook,
 facts: list[_TierFacts],
 candidates: Iterable[tuple[str, str]],
 span: int,
) -> list[Alternative]:
 """Every tier's volumes on every priced candidate but its current model, best saving first within a tier."""
 found: dict[str, list[Alternative]] = {f.tier: [] for f in facts}
 for provider, model in dict.fromkeys(candidates):
  price = book.price(model)
  if price is None:
   continue
  would = _by_tier(ledger, filt, _PricedAs(lambda _name, price=price: price))
  for f in facts:
   if model != f.model and f.tier in would:
    found[f.tier].append(_alternative(f, provider, model, would[f.tier].cost_units, span))
 return [a for f in facts for a in sorted(found[f.tier], key=lambda a: (-a.saving_units, a.model))]


# Findings ---------------------------------------------------------------------------------------------------------


def _usd(units: int) -> str:
 from ..pricing.money import format_usd_auto

 return format_usd_auto(units)


def tier_shares(tiers: Mapping[str, Figures]) -> list[Finding]:
 """Each tier's share of the range's recorded spend, dearest first."""
 total = sum(f.cost_units for f in tiers.values())
 if not total:
  return []
 ranked = sorted(tiers.values(), key=lambda f: (-f.cost_units, f.key))
 return [
  Finding("tier_share", f"{f.key} is {f.cost_units / total:.0%} of spend ({_usd(f.cost_units)})", f.cost_units)
  for f in ranked
 ]


def cache_finding(ledger: Ledger, filt: CallFilter, book: PriceBook, total: Figures) -> Finding:
 """The cache hit rate (cache read / input) and what caching CACHEABLE_SHARE of the missed input would save:
 that share of the difference between the usage at today's prices and the same with every input token at its
 model's cache-read rate (models without a cache-read price save nothing)."""
 rate = total.cache_read_tokens / total.input_tokens if total.input_tokens else 0.0
 now = _cost(ledger, filt, book)
 all_cached = _cost(ledger, filt, _PricedAs(lambda model: _all_input_cached(book.price(model))))
 numerator, denominator = CACHEABLE_SHARE
 saving = _div((now - all_cached) * numerator, denominator)
 text = (
  f"cache hit rate {rate:.0%} ({total.cache_read_tokens:,} of {total.input_tokens:,} input tokens read from cache); "
  f"if {numerator}/{denominator} of the input that missed the cache had hit it, at each model's cache-read rate: "
  f"{_usd(saving)} less"
 )
 return Finding("cache", text, saving)


def unpriced_finding(models: Iterable[Figures]) -> Finding | None:
 """The models whose calls in the range were recorded without a price."""
 unpriced = [(f.key, f.unpriced_calls) for f in models if f.unpriced_calls]
 if not unpriced:
  return None
 calls = sum(n for _, n in unpriced)
 names = ", ".join(f"{name} ({n:,} call{'s' if n != 1 else ''})" for name, n in sorted(unpriced))
 return Finding("unpriced", f"{calls:,} unpriced calls (not in any total): {names}", 0)


def long_context_finding(ledger: Ledger, filt: CallFilter, book: PriceBook, models: Iterable[str]) -> Finding | None:
 """Calls whose prompt passed their model's first long-context threshold, and what those tiers' rates cost
 above the base rates (usage at today's prices minus the same without the tiers)."""
 thresholds = {m: p.tiers[0].above_input_tokens for m in models if (p := book.price(m)) is not None and p.tiers}
 calls = sum(_calls_over(ledger, replace(filt, model=m), t) for m, t in thresholds.items())
 if not calls:
  return None
 extra = _cost(ledger, filt, book) - _cost(ledger, filt, _PricedAs(lambda m: _without_tiers(book.price(m))))
 limit = min(thresholds.values())
 text = f"{calls:,} call{'s' if calls != 1 else ''} hit the >{limit // 1000:,}k long-context tier: {_usd(extra)} "
 return Finding("long_context", text + "more than at the base rates", extra)


def _calls_over(ledger: Ledger, filt: CallFilter, input_tokens: int) -> int:
 where, params = _where(filt)
 glue = " AND " if where else " WHERE "
 with ledger.reading() as conn:
  return conn.execute(f"SELECT count(*) FROM calls{where}{glue}input_tokens > ?", [*params, input_tokens]).fetchone()[0]


_RETRIED = "SELECT count(*), coalesce(sum(cost_units), 0) FROM calls{where}{glue}attempts > 1"


def retries_finding(ledger: Ledger, filt: CallFilter) -> Finding | None:
 """Calls that failed but were billed (status other than success, with a cost), and calls that took more than
 one attempt."""
 failed = [f for f in summarize(ledger, "status", filt).groups if f.key != "success" and f.cost_units]
 failed_calls, failed_units = sum(f.calls for f in failed), sum(f.cost_units for f in failed)
 where, params = _where(filt)
 with ledger.reading() as conn:
  retried, retried_units = conn.execute(
   _RETRIED.format(where=where, glue=" AND " if where else " WHERE "), params
  ).fetchone()
 if not (failed_calls or retried):
  return None
 text = (
  f"{failed_calls:,} failed calls were billed: {_usd(failed_units)}; "
  f"{retried:,} calls took more than one attempt: {_usd(retried_units)}"
 )
 return Finding("retries", text, failed_units + retried_units)


# The whole --------------------------------------------------------------------------------------------------------


def insights(
 ledger: Ledger,
 query: DashboardQuery,
 book: PriceBook,
 tier_models: Mapping[str, tuple[str, str]],
 candidates: Iterable[tuple[str, str]],
 *,
 now_us: int | None = None,
) -> Insights:
 """The alternatives of every tier with calls in the range and the other findings (see the module docstring)."""
 filt = call_filter(query)
 now_us = int(time.time() * 1_000_000) if now_us is None else now_us
 recorded = summarize(ledger, "tier", filt)
 tiers = {f.key: f for f in recorded.groups}
 facts = _tier_facts(ledger, filt, tiers, tier_models)
 span = span_us(ledger, filt, now_us)
 found = alternatives(ledger, filt, book, facts, candidates, span)
 return Insights(query, tuple(found), tuple(findings(ledger, filt, book, tiers, recorded.total)))


def findings(
 ledger: Ledger, filt: CallFilter, book: PriceBook, tiers: Mapping[str, Figures], total: Figures
) -> list[Finding]:
 """The other findings, in FINDING_KINDS order (those with nothing to say left out)."""
 if not total.calls:
  return []
 models = summarize(ledger, "model", filt).groups
 found = [
  *tier_shares(tiers),
  cache_finding(ledger, filt, book, total),
  unpriced_finding(models),
  long_context_finding(ledger, filt, book, [f.key for f in models]),
  retries_finding(ledger, filt),
 ]
 return [f for f in found if f is not None]


def insights_json(found: Insights) -> dict[str, Any]:
 """JSON-ready (what `costs optimize --json` prints and GET /insights answers): money as exact USD strings."""
 from .periods import iso_utc

 q = found.query
 return {
  "since": None if q.since_us is None else iso_utc(q.since_us),
  "until": None if q.until_us is None else iso_utc(q.until_us),
  "filters": {"provider": q.provider, "model": q.model, "tier": q.tier, "run_id": q.run_id},
  "alternatives": [_alternative_json(a) for a in found.alternatives],
  "findings": [{"kind": f.kind, "text": f.text, "usd": exact_usd(f.units)} for f in found.findings],
 }


def _alternative_json(a: Alternative) -> dict[str, Any]:
 money = ("recorded", "would_cost", "saving", "saving_per_month")
 out: dict[str, Any] = {"tier": a.tier, "current": {"provider": a.current_provider, "model": a.current_model}}
 out.update(provider=a.provider, model=a.model)
 out.update({f"{name}_usd": exact_usd(getattr(a, f"{name}_units")) for name in money})
 out.update(saving_pct=round(a.saving_pct, 2), success_current=a.success_current, success_model=a.success_model)
 out.update(recommended=a.recommended, note=a.note)
 return out


# The models to compare with ---------------------------------------------------------------------------------------

TIER_TABLES = {"tier1": "Tier 1", "tier2": "Tier 2", "tier3": "Tier 3", "tier4": "Tier 4"}


@dataclass(frozen=True, slots=True)
class ConfiguredTier:
 """A tier's provider, model and escalation ladder as the project's mma_conductor.toml sets them."""

 provider: str
 model: str
 escalation: tuple[str, ...] = ()


def configured_tiers(project_dir: Any) -> dict[str, ConfiguredTier]:
 """The tiers that the project's `[tiers.tierN]` tables name a model for (the app's own loader, which knows the
 defaults, is above the ledger; a tier left out is compared from the model it spent most on). A file that cannot
 be read or parsed raises LedgerConfigError (one line)."""
 from pathlib import Path

 from ..files import read_toml
 from .config import PROJECT_CONFIG_NAME, LedgerConfigError

 if project_dir is None:
  return {}
 data = read_toml(Path(project_dir) / PROJECT_CONFIG_NAME, LedgerConfigError) or {}
 tables = data.get("tiers", {})
 found = {}
 for key, tier in TIER_TABLES.items():
  table = tables.get(key) if isinstance(tables, dict) else None
  if isinstance(table, dict) and isinstance(table.get("model"), str):
   found[tier] = _configured(table)
 return found


def _configured(table: dict[str, Any]) -> ConfiguredTier:
 from ..pricing.prices import provider_of

 model = table["model"].strip()
 ladder = table.get("escalation", [])
 escalation = tuple(m.strip() for m in ladder if isinstance(m, str)) if isinstance(ladder, list) else ()
 provider = table.get("provider")
 return ConfiguredTier(provider if isinstance(provider, str) else provider_of(model), model, escalation)


def candidate_models(tiers: Mapping[str, ConfiguredTier], named: Iterable[str] = ()) -> list[tuple[str, str]]:
 """(provider, model) of every configured model (the tiers' models and escalation ladders, a ladder's models
 on its tier's provider) and of the models the user names (their provider guessed from the name), once each."""
 from ..pricing.prices import provider_of

 pairs = [(t.provider, m) for t in tiers.values() for m in (t.model, *t.escalation)]
 pairs += [(provider_of(m), m) for m in named]
 seen: dict[str, str] = {}
 for provider, model in pairs:
  seen.setdefault(model, provider)
 return [(provider, model) for model, provider in seen.items()]


# Text -------------------------------------------------------------------------------------------------------------


def insights_text(found: Insights) -> str:
 """The alternatives as a table per tier and the findings as a list (what `costs optimize` prints)."""
 from ..pricing.report import format_table

 parts = []
 for tier in dict.fromkeys(a.tier for a in found.alternatives):
  rows = [a for a in found.alternatives if a.tier == tier]
  head = f"{tier} on {rows[0].current_provider}/{rows[0].current_model}: {_usd(rows[0].recorded_units)} recorded"
  cells = [_alternative_cells(a) for a in rows]
  headers = ["Model", "Would cost", "Saving", "Per month", "Saving %", "Quality", "Recommended"]
  parts.append(head + "\n" + format_table(headers, cells, {1, 2, 3, 4}))
 if not parts:
  parts.append("No alternatives: no calls in the range, or no other priced model to compare with.")
 if found.findings:
  parts.append("Findings\n" + "\n".join(f"- {f.text}" for f in found.findings))
 return "\n\n".join(parts)


def _alternative_cells(a: Alternative) -> list[str]:
 return [
  f"{a.provider}/{a.model}",
  _usd(a.would_cost_units),
  _usd(a.saving_units),
  _usd(a.saving_per_month_units),
  f"{a.saving_pct:.1f}%",
  a.note,
  "yes" if a.recommended else "",
 ]
