"""Capacity arithmetic: weekly calendars with exceptions, and whether bookings fit. Pure Python.

A listing offers machine-hours per weekday between two dates, with per-day exceptions (holidays,
maintenance). Work is booked as (hours, due date). Bookings fit when, for every due date d, the
hours due by d do not exceed the hours the calendar offers from today to d — the earliest-due-
date condition, exact for work that can be split over days. Booked hours are never typed in: they
are the open bookings of awarded work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_HOURS_PER_DAY = Decimal(24)
ZERO = Decimal(0)


@dataclass(frozen=True)
class WeeklyCalendar:
    """Machine-hours offered on each weekday (Monday first) from `start` to `end` inclusive."""

    weekday_hours: tuple[Decimal, ...]
    start: date
    end: date
    exceptions: Mapping[date, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weekday_hours) != 7:
            raise ValueError("a weekly calendar has 7 weekdays")
        for hours in (*self.weekday_hours, *self.exceptions.values()):
            if not ZERO <= hours <= MAX_HOURS_PER_DAY:
                raise ValueError("daily hours must be between 0 and 24")
        if self.end < self.start:
            raise ValueError("the calendar ends before it starts")

    @cached_property  # asked on every hours_between: rankings read thousands of calendars
    def hours_per_week(self) -> Decimal:
        return sum(self.weekday_hours, ZERO)

    def hours_on(self, day: date) -> Decimal:
        if not self.start <= day <= self.end:
            return ZERO
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekday_hours[day.weekday()]

    def hours_between(self, first: date, last: date) -> Decimal:
        """Hours offered from `first` to `last` inclusive (zero for an empty range)."""
        first, last = max(first, self.start), min(last, self.end)
        if last < first:
            return ZERO
        days = (last - first).days + 1
        full_weeks, rest = divmod(days, 7)
        total = self.hours_per_week * full_weeks
        for offset in range(rest):
            total += self.weekday_hours[(first + timedelta(days=full_weeks * 7 + offset)).weekday()]
        for day, hours in self.exceptions.items():
            if first <= day <= last:
                total += hours - self.weekday_hours[day.weekday()]
        return total


@dataclass(frozen=True)
class Booking:
    hours: Decimal
    due: date


def bookings_fit(calendar: WeeklyCalendar, bookings: Iterable[Booking], today: date) -> bool:
    """Whether all `bookings` can be worked off by their due dates from `today` on.

    Overdue work still has to be done, so it counts as due today.
    """
    booked = ZERO
    by_due: dict[date, Decimal] = {}
    for booking in bookings:
        due = max(booking.due, today)
        by_due[due] = by_due.get(due, ZERO) + booking.hours
    for due in sorted(by_due):
        booked += by_due[due]
        if booked > calendar.hours_between(today, due):
            return False
    return True


def free_hours(calendar: WeeklyCalendar, bookings: Iterable[Booking], today: date) -> Decimal:
    """Hours still offered from today to the calendar's end after the open bookings."""
    remaining = calendar.hours_between(today, calendar.end) - sum(
        (booking.hours for booking in bookings), ZERO
    )
    return max(remaining, ZERO)


def free_hours_before(
    calendar: WeeklyCalendar, bookings: list[Booking], today: date, due: date
) -> Decimal:
    """The most hours a new booking due on `due` could take without breaking the others.

    It is the smallest slack — hours offered from today to d minus hours due by d — over `due`
    and every later due date, because the new work delays everything due after it.
    """
    if not bookings_fit(calendar, bookings, today):
        return ZERO
    due = max(due, today)
    effective = [(max(booking.due, today), booking.hours) for booking in bookings]
    checkpoints = sorted({due} | {day for day, _ in effective if day >= due})
    slack = min(
        calendar.hours_between(today, day) - sum((h for d, h in effective if d <= day), ZERO)
        for day in checkpoints
    )
    return max(slack, ZERO)
