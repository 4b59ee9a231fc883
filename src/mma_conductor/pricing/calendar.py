"""Calendar arithmetic shared by the ledger's reports and the budgets: epoch microseconds <-> wall-clock time, and
the [start, end) of the day, week or month that contains an instant.

Timestamps are epoch microseconds (UTC). `tz` None means the machine's local time (with its daylight saving
rules, instant by instant); otherwise any tzinfo, e.g. `datetime.UTC`. Weeks start on `week_start` (0 = Monday,
as ISO 8601, ... 6 = Sunday).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

US_PER_S = 1_000_000
US_PER_HOUR = 3600 * US_PER_S
PERIODS = ("day", "week", "month")


def to_datetime(us: int, tz: tzinfo | None = None) -> datetime:
 """The wall-clock time of `us` in `tz` (None: local, naive)."""
 seconds, micro = divmod(us, US_PER_S)
 return datetime.fromtimestamp(seconds, tz).replace(microsecond=micro)


def to_us(when: datetime | float | int) -> int:
 """Epoch microseconds of a datetime (naive = local time) or of epoch seconds."""
 if isinstance(when, datetime):
  return round(when.timestamp() * US_PER_S) if when.tzinfo is None else _aware_us(when)
 return round(when * US_PER_S)


def _aware_us(when: datetime) -> int:
 delta = when - datetime(1970, 1, 1, tzinfo=UTC)
 return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def midnight(moment: datetime) -> datetime:
 """The start of `moment`'s day (same tzinfo)."""
 return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def period_start(period: str, now_us: int, tz: tzinfo | None = None, week_start: int = 0) -> int:
 """Epoch microseconds of the start of the day, week or month containing `now_us`, in `tz`."""
 moment = midnight(to_datetime(now_us, tz))
 if period == "week":
  moment -= timedelta(days=(moment.weekday() - week_start) % 7)
 elif period == "month":
  moment = moment.replace(day=1)
 elif period != "day":
  raise ValueError(f"unknown period {period!r} (use {', '.join(PERIODS)})")
 return to_us(moment)


def period_bounds(period: str, now_us: int, tz: tzinfo | None = None, week_start: int = 0) -> tuple[int, int]:
 """[start, end) in epoch microseconds of the day, week or month containing `now_us`, in `tz`."""
 start = period_start(period, now_us, tz, week_start)
 first = to_datetime(start, tz)
 later = first + timedelta(days=_PERIOD_DAYS.get(period, 0), hours=2)
 if period == "month":
  later = (first.replace(day=28) + timedelta(days=4)).replace(day=1, hour=2)
 return start, to_us(midnight(later))


_PERIOD_DAYS = {"day": 1, "week": 7}
