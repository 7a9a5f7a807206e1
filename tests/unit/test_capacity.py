"""Weekly calendars and the earliest-due-date check that keeps listings from being overbooked."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.capacity import (
    Booking,
    WeeklyCalendar,
    bookings_fit,
    free_hours,
    free_hours_before,
)

MONDAY = date(2027, 3, 1)
EIGHT_WEEKDAYS = (Decimal(8),) * 5 + (Decimal(0),) * 2


def calendar(weeks: int = 4, exceptions=None) -> WeeklyCalendar:
    return WeeklyCalendar(
        EIGHT_WEEKDAYS, MONDAY, MONDAY + timedelta(days=7 * weeks - 1), exceptions or {}
    )


def test_hours_follow_the_weekly_pattern_and_the_exceptions():
    cal = calendar(exceptions={MONDAY + timedelta(days=2): Decimal(0)})
    assert cal.hours_per_week == 40
    assert cal.hours_between(MONDAY, MONDAY + timedelta(days=6)) == 32
    assert cal.hours_between(MONDAY, MONDAY + timedelta(days=27)) == 152
    assert cal.hours_between(MONDAY - timedelta(days=10), MONDAY) == 8
    assert cal.hours_between(MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)) == 0


def test_bookings_fit_only_before_their_due_dates():
    cal = calendar()
    friday = MONDAY + timedelta(days=4)
    assert bookings_fit(cal, [Booking(Decimal(40), friday)], MONDAY)
    assert not bookings_fit(cal, [Booking(Decimal("40.01"), friday)], MONDAY)
    # Work due later cannot use hours an earlier deadline needs.
    assert not bookings_fit(
        cal,
        [Booking(Decimal(30), friday), Booking(Decimal(60), friday + timedelta(days=7))],
        MONDAY,
    )


def test_free_hours_before_leaves_room_for_later_deadlines():
    cal = calendar()
    later = [Booking(Decimal(70), MONDAY + timedelta(days=11))]  # 80 hours exist by then
    assert free_hours_before(cal, later, MONDAY, MONDAY + timedelta(days=4)) == 10
    assert free_hours(cal, later, MONDAY) == 90


def test_calendars_refuse_impossible_days():
    with pytest.raises(ValueError):
        WeeklyCalendar((Decimal(25),) * 7, MONDAY, MONDAY)
    with pytest.raises(ValueError):
        WeeklyCalendar(EIGHT_WEEKDAYS, MONDAY, MONDAY - timedelta(days=1))


hours = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(60), places=2)
days = st.integers(min_value=0, max_value=27)


@given(st.lists(st.tuples(hours, days), max_size=8), days)
def test_a_booking_of_exactly_the_free_hours_always_fits(existing, due_offset):
    cal = calendar()
    bookings = [Booking(h, MONDAY + timedelta(days=d)) for h, d in existing]
    if not bookings_fit(cal, bookings, MONDAY):
        return
    due = MONDAY + timedelta(days=due_offset)
    free = free_hours_before(cal, bookings, MONDAY, due)
    assert bookings_fit(cal, [*bookings, Booking(free, due)], MONDAY)
    assert not bookings_fit(cal, [*bookings, Booking(free + Decimal("0.01"), due)], MONDAY)
