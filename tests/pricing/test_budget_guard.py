"""The budget guard: reservations, holds, allowances, alerts and calendar periods, with exact money."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mma_conductor.pricing.budget_guard import BudgetGuard, BudgetHold, Reservation, worst_state
from mma_conductor.pricing.budgets import Budget, BudgetSettings
from mma_conductor.pricing.calendar import to_us
from mma_conductor.pricing.money import usd_to_units

USD = usd_to_units(1)


def dollars(text: str) -> int:
 return usd_to_units(Decimal(text))


class Clock:
 def __init__(self, when: datetime) -> None:
  self.now = when.timestamp()

 def __call__(self) -> float:
  return self.now


def guard_of(*budgets: Budget, spent=None, clock=None) -> BudgetGuard:
 settings = BudgetSettings(limits=budgets, time_zone="UTC")
 guard = BudgetGuard(settings, spent=spent, clock=clock or Clock(datetime(2026, 11, 21, 12, tzinfo=UTC)))
 guard.begin_run("run-1")
 return guard


def test_calls_in_flight_hold_their_estimates_so_the_next_call_is_held_before_the_limit():
 guard = guard_of(Budget("run", USD, action="pause"))
 first = guard.reserve("Tier 3", dollars("0.40"), "Tier 3 T1 on m")
 second = guard.reserve("Tier 3", dollars("0.40"), "Tier 3 T2 on m")
 third = guard.reserve("Tier 3", dollars("0.40"), "Tier 3 T3 on m")
 assert isinstance(first, Reservation) and isinstance(second, Reservation)
 assert isinstance(third, BudgetHold)
 assert (third.used_units, third.reserved_units, third.estimate_units) == (0, dollars("0.80"), dollars("0.40"))
 assert third.what == "Tier 3 T3 on m"
 # the first two settle far below their estimates: room again
 guard.settle(first, dollars("0.10"))
 guard.settle(second, dollars("0.15"))
 assert isinstance(guard.reserve("Tier 3", dollars("0.40")), Reservation)
 status = guard.statuses()[0]
 assert (status.used_units, status.reserved_units, status.left_units) == (
  dollars("0.25"),
  dollars("0.40"),
  dollars("0.75"),
 )


def test_a_released_call_gives_its_reservation_back_and_a_second_release_changes_nothing():
 guard = guard_of(Budget("run", USD))
 reservation = guard.reserve("Tier 1", dollars("0.90"))
 assert isinstance(guard.reserve("Tier 1", dollars("0.20")), BudgetHold)
 guard.release(reservation)
 guard.release(reservation)
 guard.settle(reservation, dollars("5"))  # closed: settling it now must not count it
 assert guard.statuses()[0].used_units == 0
 assert isinstance(guard.reserve("Tier 1", dollars("0.20")), Reservation)


def test_the_tightest_budget_decides_and_its_message_names_budget_use_call_and_reset():
 clock = Clock(datetime(2026, 11, 21, 12, tzinfo=UTC))
 spent = {"monthly": dollars("98.40"), "daily": dollars("1")}
 guard = guard_of(
  Budget("daily", dollars("5"), action="stop"),
  Budget("monthly", dollars("100"), action="pause"),
  spent=lambda budget, start, end: spent[budget.key],
  clock=clock,
 )
 hold = guard.reserve("Tier 2", dollars("2.10"), "Tier 2 T4 on claude-sonnet-4-5")
 assert isinstance(hold, BudgetHold)
 assert hold.budget.key == "monthly"
 now = to_us(clock())
 assert hold.message(now) == ("monthly budget $100.00: $98.40 used, this call may cost up to $2.10; resets in 9 days")


def test_a_stop_budget_wins_a_tie_with_a_pause_budget():
 guard = guard_of(Budget("run", USD, action="pause"), Budget("run", USD, action="stop", tier="Tier 3"))
 hold = guard.reserve("Tier 3", dollars("2"))
 assert isinstance(hold, BudgetHold) and hold.budget.action == "stop"


def test_a_warn_budget_never_holds_but_alerts_once_at_its_threshold_and_once_at_its_limit():
 guard = guard_of(Budget("run", USD, alert_pct=Decimal(80), action="warn"))
 alerts = []
 for _ in range(12):
  reservation = guard.reserve("Tier 3", dollars("0.30"))
  assert isinstance(reservation, Reservation)
  alerts += guard.settle(reservation, dollars("0.10"))
 assert [(a.threshold_pct, a.used_units) for a in alerts] == [(Decimal(80), dollars("0.80")), (Decimal(100), USD)]
 assert alerts[0].message() == "per-run budget passed 80%: $0.8000 of $1.00 used; resets at the next run"
 assert guard.statuses()[0].used_units == dollars("1.20")
 assert guard.statuses()[0].state == "limit"


def test_a_tier_budget_counts_and_holds_only_its_tier():
 guard = guard_of(Budget("run", dollars("2"), tier="Tier 3"))
 assert isinstance(guard.reserve("Tier 1", dollars("50")), Reservation)
 assert isinstance(guard.reserve("Tier 3", dollars("3")), BudgetHold)
 settled = guard.reserve("Tier 3", dollars("1.50"))
 guard.settle(settled, dollars("1.50"))
 assert guard.statuses()[0].used_units == dollars("1.50")


def test_allow_once_lets_exactly_one_held_call_through_and_allow_run_lasts_until_the_next_run():
 guard = guard_of(Budget("run", USD))
 guard.settle(guard.reserve("Tier 3", dollars("1")), dollars("1"))
 assert isinstance(guard.reserve("Tier 3", dollars("0.01")), BudgetHold)
 guard.allow_once("run")
 assert isinstance(guard.reserve("Tier 3", dollars("0.01")), Reservation)
 assert isinstance(guard.reserve("Tier 3", dollars("0.01")), BudgetHold)
 guard.allow_run("run")
 assert all(isinstance(guard.reserve("Tier 3", dollars("0.50")), Reservation) for _ in range(5))
 assert guard.statuses()[0].allowance == "run"
 guard.begin_run("run-2")  # a new run: spend from zero, allowance gone
 assert guard.statuses()[0].used_units == 0 and guard.statuses()[0].allowance == ""
 assert isinstance(guard.reserve("Tier 3", dollars("2")), BudgetHold)


def test_a_calendar_period_starts_from_the_ledgers_spend_and_turns_over_at_midnight_in_its_time_zone():
 clock = Clock(datetime(2026, 11, 21, 23, 59, tzinfo=UTC))
 asked = []

 def spent(budget, start, end):
  asked.append((start, end))
  return dollars("4.00") if len(asked) == 1 else dollars("0.25")

 guard = guard_of(Budget("daily", dollars("5")), spent=spent, clock=clock)
 day = (to_us(datetime(2026, 11, 21, tzinfo=UTC)), to_us(datetime(2026, 11, 22, tzinfo=UTC)))
 assert asked == [day]
 assert isinstance(guard.reserve("Tier 1", dollars("1.50")), BudgetHold)
 clock.now += 120  # 00:01 the next day
 assert isinstance(guard.reserve("Tier 1", dollars("1.50")), Reservation)
 assert asked[-1] == (day[1], to_us(datetime(2026, 11, 23, tzinfo=UTC)))
 assert guard.statuses()[0].used_units == dollars("0.25")


def test_a_week_starts_on_the_configured_day():
 clock = Clock(datetime(2026, 11, 25, 12, tzinfo=UTC))  # a Wednesday
 asked = []
 settings = BudgetSettings(limits=(Budget("weekly", USD),), time_zone="UTC", week_start=6)  # Sunday
 guard = BudgetGuard(settings, spent=lambda b, s, e: asked.append((s, e)) or 0, clock=clock)
 guard.begin_run("r")
 assert asked == [(to_us(datetime(2026, 11, 22, tzinfo=UTC)), to_us(datetime(2026, 11, 29, tzinfo=UTC)))]


def test_the_same_period_read_again_keeps_what_the_guard_settled_that_the_ledger_does_not_hold_yet():
 guard = guard_of(Budget("monthly", dollars("10")), spent=lambda b, s, e: dollars("1"))
 guard.settle(guard.reserve("Tier 3", dollars("2")), dollars("2"))
 guard.begin_run("run-2")  # the ledger still says $1 (the write is queued): the guard's $3 stands
 assert guard.statuses()[0].used_units == dollars("3")


def test_a_run_that_starts_past_the_alert_threshold_alerts_at_once_and_only_once():
 guard = BudgetGuard(BudgetSettings(limits=(Budget("monthly", dollars("10")),)), spent=lambda b, s, e: dollars("9"))
 alerts = guard.begin_run("r1")
 assert [a.threshold_pct for a in alerts] == [Decimal(80)]
 assert guard.begin_run("r2") == []


def test_raising_a_limit_keeps_the_spend_and_lets_the_held_call_through():
 guard = guard_of(Budget("run", USD))
 guard.settle(guard.reserve("Tier 3", dollars("0.9")), dollars("0.9"))
 assert isinstance(guard.reserve("Tier 3", dollars("0.5")), BudgetHold)
 guard.update_settings(BudgetSettings(limits=(Budget("run", dollars("2")),), time_zone="UTC"))
 assert guard.statuses()[0].used_units == dollars("0.9")
 assert isinstance(guard.reserve("Tier 3", dollars("0.5")), Reservation)


def test_states_and_the_worst_of_them():
 guard = guard_of(Budget("run", USD), Budget("run", USD, tier="Tier 1"))
 assert worst_state(guard.statuses()) == "ok"
 guard.settle(guard.reserve("Tier 2", dollars("0.85")), dollars("0.85"))
 assert [s.state for s in guard.statuses()] == ["alert", "ok"]
 assert worst_state(guard.statuses()) == "alert"
 guard.allow_once("run")
 guard.settle(guard.reserve("Tier 1", dollars("0.5")), dollars("0.5"))
 assert [s.state for s in guard.statuses()] == ["limit", "ok"]
 assert worst_state(()) == "ok"


def test_allowing_an_unknown_budget_is_a_clear_error():
 with pytest.raises(KeyError, match="no weekly budget"):
  guard_of(Budget("run", USD)).allow_once("weekly")


def test_new_settings_re_read_the_spend_so_a_ledger_attached_later_counts():
 recorded = {"now": 0}
 guard = BudgetGuard(BudgetSettings(limits=(Budget("monthly", dollars("10")),)), spent=lambda b, s, e: recorded["now"])
 assert guard.statuses()[0].used_units == 0  # read before the ledger was there
 recorded["now"] = dollars("7")
 guard.update_settings(guard.settings)
 assert guard.statuses()[0].used_units == dollars("7")
