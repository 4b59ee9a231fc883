"""Calendar periods for cost reports: day, ISO week and month keys, today/this week/this month, date parsing.

Timestamps are epoch microseconds (UTC). `tz` None means the machine's local time (with its daylight saving
rules, instant by instant); otherwise any tzinfo, e.g. `datetime.UTC`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from ..pricing.calendar import (  # noqa: F401 (re-exported: the ledger's modules import them from here)
 PERIODS,
 US_PER_HOUR,
 US_PER_S,
 midnight,
 period_bounds,
 period_start,
 to_datetime,
 to_us,
)

_RELATIVE = re.compile(r"^(\d{1,5})([dh])$")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def period_key(us: int, period: str, tz: tzinfo | None = None) -> str:
 """`2026-01-05` (day), `2026-W02` (ISO week, Monday first) or `2026-01` (month) of `us` in `tz`."""
 moment = to_datetime(us, tz)
 if period == "day":
  return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
 if period == "week":
  year, week, _ = moment.isocalendar()
  return f"{year:04d}-W{week:02d}"
 if period == "month":
  return f"{moment.year:04d}-{moment.month:02d}"
 raise ValueError(f"unknown period {period!r} (use {', '.join(PERIODS)})")


def parse_when(
 text: str, option: str, *, end: bool = False, now_us: int | None = None, tz: tzinfo | None = None
) -> int:
 """Epoch microseconds of a command-line time: `YYYY-MM-DD` (local midnight; as an end, the day is
 included), an ISO 8601 time (`2026-01-05T10:00`, `...Z`, `...+02:00`), `today` or `yesterday` (as an end, the
 day is included), `7d` (midnight 7 days ago) or `24h` (24 hours ago). Raises ValueError naming `option`."""
 value = text.strip()
 now = now_us if now_us is not None else to_us(datetime.now(UTC))
 relative = _relative(value.lower(), now, tz)
 if relative is not None:
  return relative
 if value.lower() in _DAYS_AGO:
  start = to_us(midnight(to_datetime(now, tz)) - timedelta(days=_DAYS_AGO[value.lower()]))
  return _next_day(start, tz) if end else start
 when = _day_or_moment(value, text, option, end, tz)
 if isinstance(when, int):
  return when
 if when.tzinfo is None and tz is not None:
  when = when.replace(tzinfo=tz)
 return to_us(when)


_DAYS_AGO = {"today": 0, "yesterday": 1}


def _relative(value: str, now: int, tz: tzinfo | None) -> int | None:
 """`7d`: midnight 7 days ago; `24h`: 24 hours before `now`; None for anything else."""
 match = _RELATIVE.match(value)
 if not match:
  return None
 count = int(match.group(1))
 if match.group(2) == "h":
  return now - count * US_PER_HOUR
 return to_us(midnight(to_datetime(now, tz)) - timedelta(days=count))


def _day_or_moment(value: str, text: str, option: str, end: bool, tz: tzinfo | None) -> int | datetime:
 """A `YYYY-MM-DD` day's start (or, as an end, the next day's) in epoch microseconds, or an ISO 8601 time as
 written; ValueError naming `option` for anything else."""
 try:
  if _DAY.fullmatch(value):
   start = to_us(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=tz))
   return _next_day(start, tz) if end else start
  return datetime.fromisoformat(value.replace("Z", "+00:00"))
 except ValueError:
  raise ValueError(
   f"{option}: {text!r} is not a date (use YYYY-MM-DD, an ISO 8601 time like 2026-01-05T10:00Z, today,"
   " yesterday, 24h or 7d)"
  ) from None


def _next_day(start_us: int, tz: tzinfo | None) -> int:
 day = to_datetime(start_us, tz) + timedelta(days=1, hours=2)
 return to_us(midnight(day))


def iso_utc(us: int) -> str:
 """`2026-01-05T10:00:00.123456Z`."""
 return to_datetime(us, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
