"""The capacity arithmetic of `capacity.py` over many listings at once, with NumPy arrays.

Ranking an order reads the free hours of every listing offering its process before its due date:
tens of thousands of calendars. Here they are columns (weekday hours, first and last day, and the
exceptions and open bookings of all listings as flat arrays sorted by listing and day), and the
sums over days are cumulative sums looked up by binary search, so a query costs a few array
operations whatever the number of listings. Days are proleptic ordinals (`date.toordinal`).
Results equal `WeeklyCalendar.hours_between` and `free_hours_before` up to float rounding.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.ranking import put_rows

# Composite sort key of a (row, day) pair: days are ordinals below 10**6 until the year 2739.
ROW_STRIDE = 1_000_000
# Hours are kept to the hundredth; sums of floats may be off by far less than this.
EPSILON = 1e-6


@dataclass(frozen=True)
class CalendarRecord:
    """One listing's calendar and open bookings, as plain numbers."""

    weekday_hours: tuple[float, ...]  # Monday first
    start: date
    end: date
    exceptions: dict[date, float]
    bookings: tuple[tuple[date, float], ...]  # (due date, hours still to work)


def weekday_of(ordinal: np.ndarray | int) -> np.ndarray | int:
    return (ordinal - 1) % 7  # ordinal 1, 1 January of year 1, was a Monday


class CalendarColumns:
    """Calendars as arrays, one row per listing; `updated` replaces or appends rows."""

    def __init__(self, records: Sequence[CalendarRecord]) -> None:
        rows = np.arange(len(records))
        for name, values in self._rows(records).items():
            setattr(self, name, values)
        self._exceptions = _Dated.of(rows, records, _exception_entries)
        self._bookings = _Dated.of(rows, records, _booking_entries)

    @property
    def size(self) -> int:
        return len(self.start)

    @staticmethod
    def _rows(records: Sequence[CalendarRecord]) -> dict[str, np.ndarray]:
        n = len(records)
        weekday_hours = np.array([r.weekday_hours for r in records], dtype=float).reshape(n, 7)
        return {
            "weekday_hours": weekday_hours,
            "start": np.array([r.start.toordinal() for r in records], dtype=np.int64),
            "end": np.array([r.end.toordinal() for r in records], dtype=np.int64),
            "hours_per_week": weekday_hours.sum(axis=1),
            # Hours from the start of the week to each weekday, over two weeks for wrapped ranges.
            "_week_prefix": np.concatenate(
                [np.zeros((n, 1)), np.cumsum(np.tile(weekday_hours, 2), axis=1)], axis=1
            ),
        }

    def updated(self, rows: np.ndarray, records: Sequence[CalendarRecord]) -> CalendarColumns:
        """New columns with `records` at `rows` (rows from `size` on are appended, in order)."""
        new = copy.copy(self)
        size = max(self.size, int(rows.max()) + 1 if len(rows) else 0)
        for name, values in self._rows(records).items():
            setattr(new, name, put_rows(getattr(self, name), rows, values, size))
        new._exceptions = self._exceptions.replaced(rows, records, _exception_entries)
        new._bookings = self._bookings.replaced(rows, records, _booking_entries)
        return new

    def hours_between(self, rows: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Hours offered by each row's calendar from `first` to `last` inclusive (ordinals)."""
        first = np.maximum(first, self.start[rows])
        last = np.minimum(last, self.end[rows])
        days = np.maximum(last - first + 1, 0)
        full_weeks, rest = np.divmod(days, 7)
        weekday = weekday_of(first)
        prefix = self._week_prefix[rows]
        partial = (
            np.take_along_axis(prefix, (weekday + rest)[:, None], axis=1)[:, 0]
            - np.take_along_axis(prefix, weekday[:, None], axis=1)[:, 0]
        )
        total = self.hours_per_week[rows] * full_weeks + partial
        exceptions = self._exceptions.sum_between(rows, first, last)
        return np.where(days > 0, total + exceptions, 0.0)

    def free_hours(
        self, today: date, due: date, lead_time_days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For a new booking due on `due`, per row: the hours it could take after the lead time,
        the unbooked hours (`free_hours_before`) and the hours offered, from today to `due`."""
        all_rows = np.arange(self.size)
        t, d = today.toordinal(), max(due, today).toordinal()
        offered = self.hours_between(all_rows, np.full(self.size, t), np.full(self.size, d))

        # Open bookings, overdue ones counting as due today, worked off earliest due date first.
        bookings = self._bookings.from_day(t)

        def booked_by(rows: np.ndarray, day: np.ndarray) -> np.ndarray:
            return bookings.sum_between(rows, np.full(len(rows), t), day)

        rows, effective = bookings.rows, bookings.days
        slack_at_dues = self.hours_between(rows, np.full(len(rows), t), effective) - booked_by(
            rows, effective
        )
        overbooked = np.zeros(self.size, dtype=bool)
        overbooked[rows[slack_at_dues < -EPSILON]] = True
        # The new work delays everything due after it: the least slack from its due date on.
        unbooked = offered - booked_by(all_rows, np.full(self.size, d))
        later = effective >= d
        np.minimum.at(unbooked, rows[later], slack_at_dues[later])
        unbooked = np.where(overbooked, 0.0, np.maximum(unbooked, 0.0))

        after_lead_time = self.hours_between(
            all_rows, t + lead_time_days.astype(np.int64), np.full(self.size, d)
        )
        return np.minimum(unbooked, after_lead_time), unbooked, offered


def _exception_entries(record: CalendarRecord) -> list[tuple[int, float]]:
    """An exception as the change it makes to the weekday's hours."""
    return [
        (day.toordinal(), hours - record.weekday_hours[day.weekday()])
        for day, hours in record.exceptions.items()
    ]


def _booking_entries(record: CalendarRecord) -> list[tuple[int, float]]:
    return [(due.toordinal(), hours) for due, hours in record.bookings]


@dataclass(frozen=True)
class _Dated:
    """Dated amounts of all rows, sorted by (row, day), with running sums to add up ranges."""

    keys: np.ndarray  # row * ROW_STRIDE + day
    values: np.ndarray
    sums: np.ndarray  # sums[i]: the total of values[:i]

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        records: Sequence[CalendarRecord],
        entries: Callable[[CalendarRecord], list[tuple[int, float]]],
    ) -> _Dated:
        keys, values = [], []
        for row, record in zip(rows.tolist(), records, strict=True):
            for day, value in entries(record):
                keys.append(row * ROW_STRIDE + day)
                values.append(value)
        return cls.sorted(np.array(keys, dtype=np.int64), np.array(values, dtype=float))

    @classmethod
    def sorted(cls, keys: np.ndarray, values: np.ndarray) -> _Dated:
        order = np.argsort(keys, kind="stable")
        values = values[order]
        return cls(keys[order], values, np.concatenate([[0.0], np.cumsum(values)]))

    @property
    def rows(self) -> np.ndarray:
        return self.keys // ROW_STRIDE

    @property
    def days(self) -> np.ndarray:
        return self.keys % ROW_STRIDE

    def replaced(
        self,
        rows: np.ndarray,
        records: Sequence[CalendarRecord],
        entries: Callable[[CalendarRecord], list[tuple[int, float]]],
    ) -> _Dated:
        kept = ~np.isin(self.rows, rows)
        added = _Dated.of(rows, records, entries)
        return _Dated.sorted(
            np.concatenate([self.keys[kept], added.keys]),
            np.concatenate([self.values[kept], added.values]),
        )

    def from_day(self, day: int) -> _Dated:
        """The same amounts with days before `day` moved to `day` (the order stays sorted)."""
        keys = self.rows * ROW_STRIDE + np.maximum(self.days, day)
        return _Dated(keys, self.values, self.sums)

    def sum_between(self, rows: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Per query, the sum of the values of `rows[i]` dated from `first[i]` to `last[i]`."""
        if len(self.keys) == 0:
            return np.zeros(len(rows))
        upper = np.searchsorted(self.keys, rows * ROW_STRIDE + last, side="right")
        lower = np.searchsorted(self.keys, rows * ROW_STRIDE + first, side="left")
        return np.where(last >= first, self.sums[upper] - self.sums[lower], 0.0)
