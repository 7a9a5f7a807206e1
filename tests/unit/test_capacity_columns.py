"""The column arithmetic of capacity gives what `capacity.py` gives, listing by listing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.capacity import Booking, WeeklyCalendar, free_hours_before
from marketplace.capacity_columns import CalendarColumns, CalendarRecord

TODAY = date(2026, 11, 2)
hours = st.decimals(min_value=0, max_value=24, places=2)


@st.composite
def listings(draw: st.DrawFn) -> tuple[WeeklyCalendar, list[Booking]]:
    start = TODAY + timedelta(days=draw(st.integers(-30, 20)))
    end = start + timedelta(days=draw(st.integers(0, 120)))
    exceptions = draw(
        st.dictionaries(
            st.integers(-40, 140).map(lambda offset: TODAY + timedelta(days=offset)),
            hours,
            max_size=8,
        )
    )
    weekday_hours = tuple(draw(st.lists(hours, min_size=7, max_size=7)))
    calendar = WeeklyCalendar(weekday_hours, start, end, exceptions)
    bookings = draw(
        st.lists(
            st.builds(
                Booking,
                st.decimals(min_value=0, max_value=300, places=2),
                st.integers(-10, 130).map(lambda offset: TODAY + timedelta(days=offset)),
            ),
            max_size=5,
        )
    )
    return calendar, bookings


def columns_of(drawn: list[tuple[WeeklyCalendar, list[Booking]]]) -> CalendarColumns:
    return CalendarColumns(records_of(drawn))


def records_of(drawn: list[tuple[WeeklyCalendar, list[Booking]]]) -> list[CalendarRecord]:
    return [
        CalendarRecord(
            weekday_hours=tuple(float(h) for h in calendar.weekday_hours),
            start=calendar.start,
            end=calendar.end,
            exceptions={day: float(h) for day, h in calendar.exceptions.items()},
            bookings=tuple((b.due, float(b.hours)) for b in bookings),
        )
        for calendar, bookings in drawn
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(listings(), min_size=1, max_size=6),
    st.integers(-5, 100),
    st.integers(0, 130),
    st.integers(0, 20),
)
def test_hours_and_free_hours_match_the_calendar_arithmetic(drawn, first, span, lead):
    columns = columns_of(drawn)
    rows = np.arange(len(drawn))
    first_day = TODAY + timedelta(days=first)
    last_day = first_day + timedelta(days=span)
    between = columns.hours_between(
        rows, np.full(len(drawn), first_day.toordinal()), np.full(len(drawn), last_day.toordinal())
    )
    due = TODAY + timedelta(days=span + 1)
    free, unbooked, offered = columns.free_hours(TODAY, due, np.full(len(drawn), lead))
    for row, (calendar, bookings) in enumerate(drawn):
        assert between[row] == float_close(calendar.hours_between(first_day, last_day))
        expected_unbooked = free_hours_before(calendar, bookings, TODAY, due)
        assert unbooked[row] == float_close(expected_unbooked)
        assert offered[row] == float_close(calendar.hours_between(TODAY, due))
        after_lead = calendar.hours_between(TODAY + timedelta(days=lead), due)
        assert free[row] == float_close(min(expected_unbooked, after_lead))


def float_close(value: Decimal) -> object:
    return pytest.approx(float(value), abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(listings(), min_size=1, max_size=5),
    st.lists(listings(), min_size=1, max_size=5),
    st.data(),
)
def test_updated_columns_equal_columns_built_afresh(first, second, data):
    # Some rows replaced by listings of the second draw, the rest of it appended
    replaced = data.draw(st.lists(st.sampled_from(range(len(first))), unique=True))
    replaced = replaced[: len(second)]
    final = list(first)
    for row, listing in zip(replaced, second, strict=False):
        final[row] = listing
    final.extend(second[len(replaced) :])
    rows = np.array(replaced + list(range(len(first), len(final))), dtype=np.int64)
    updated = columns_of(first).updated(rows, records_of(second))
    afresh = columns_of(final)
    lead = np.full(len(final), 3)
    for got, expected in zip(
        updated.free_hours(TODAY, TODAY + timedelta(days=40), lead),
        afresh.free_hours(TODAY, TODAY + timedelta(days=40), lead),
        strict=True,
    ):
        assert got == pytest.approx(expected, abs=1e-6)
