"""The capacity listings of each process as columns in memory, kept fresh from the outbox.

Ranking an order against every listing of a popular process cannot read tens of thousands of rows
from the database each time and stay fast. Each process (web or worker) therefore keeps, per
process of the taxonomy that has been asked for, the listings' facts as `OfferColumns` and their
calendars as `CalendarColumns`, loaded once with a few column queries.

Freshness: every change that can alter a listing's facts already leaves a message in the outbox in
the transaction that makes it (`matching.listing_changed`, `matching.machine_changed`,
`matching.company_changed`, `marketplace.package_changed`). Before each use the index reads the
outbox messages it has not seen (one indexed query) and reloads the listings they concern. Outbox
ids come from a sequence, and a transaction may commit after one holding a later id, so ids
skipped over are looked for again until `GAP_PATIENCE_SECONDS` have passed (rolled-back
transactions leave holes forever). Nothing needs reloading when the day turns: what depends on
today (hours from today on, expired certificates, ended listings) is worked out at each ranking.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import numpy as np
from flask import Flask, current_app
from sqlalchemy import Float, String, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from core.db import db
from core.outbox import OutboxMessage
from marketplace.capacity_columns import CalendarColumns, CalendarRecord
from marketplace.lifecycle import ListingStatus, MachineStatus
from marketplace.models import (
    CapacityBooking,
    CapacityListing,
    Certification,
    Company,
    ListingException,
    ListingMaterial,
    ListingProcess,
    Machine,
    SupplierScorecard,
    WorkPackage,
)
from matching.domain import OrderNeeds, TrackRecord
from matching.geo import locate_city
from matching.ranking import OfferColumns, OfferHours, OfferRecord

GAP_PATIENCE_SECONDS = 60.0
# On starting, ids this far below the newest may belong to transactions still in flight.
START_LOOKBACK = 1_000
# Listings in these states are read so that the reasons they cannot serve are counted.
CONSIDERED_LISTING_STATUSES = (
    ListingStatus.ACTIVE,
    ListingStatus.FULLY_BOOKED,
    ListingStatus.PAUSED,
)
WATCHED_TASKS = (
    "matching.listing_changed",
    "matching.machine_changed",
    "matching.company_changed",
    "marketplace.package_changed",
)


class ProcessListings:
    """The current listings offering one process, as columns (row i of both is one listing)."""

    def __init__(
        self, process: str, records: dict[int, tuple[OfferRecord, CalendarRecord]]
    ) -> None:
        self.process = process
        self.row_of = {listing_id: row for row, listing_id in enumerate(records)}
        self.offers = OfferColumns([offer for offer, _ in records.values()])
        self.calendars = CalendarColumns([calendar for _, calendar in records.values()])

    def updated(
        self, listing_ids: set[int], loaded: dict[int, tuple[OfferRecord, CalendarRecord]]
    ) -> ProcessListings:
        """With the reloaded listings in place; those of `listing_ids` not reloaded are gone."""
        gone = [self.row_of[i] for i in listing_ids if i in self.row_of and i not in loaded]
        if not loaded and not gone:
            return self  # none of this process's listings
        new = copy.copy(self)
        new.row_of = dict(self.row_of)
        for listing_id in loaded:
            new.row_of.setdefault(listing_id, len(new.row_of))
        rows = np.array([new.row_of[i] for i in loaded], dtype=np.int64)
        new.offers = self.offers.updated(
            rows, [offer for offer, _ in loaded.values()], np.array(gone, dtype=np.int64)
        )
        new.calendars = self.calendars.updated(rows, [calendar for _, calendar in loaded.values()])
        return new

    def hours_for(self, needs: OrderNeeds, today: date) -> tuple[OfferHours, np.ndarray]:
        """The rows' hours for this order, and which rows are considered (listed for its dates)."""
        free, unbooked, offered = self.calendars.free_hours(
            today, needs.due_date, self.offers.lead_time
        )
        hours = OfferHours(
            free=free, offered=offered, unbooked=unbooked, daily=self.calendars.hours_per_week / 7
        )
        considered = (
            self.offers.present
            & (self.calendars.end >= today.toordinal())
            & (self.calendars.start <= needs.due_date.toordinal())
        )
        return hours, considered


class ListingIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: dict[str, ProcessListings] = {}
        self._feed: ChangeFeed | None = None

    def listings(self, process: str, today: date) -> ProcessListings:
        """The listings offering `process`, up to date with every committed change."""
        with self._lock:
            if self._feed is None:
                self._feed = ChangeFeed()
                self._feed.start(db.session)
            else:
                self._apply_changes(self._feed, today)
            entry = self._processes.get(process)
            if entry is None:
                entry = ProcessListings(process, load_listing_records(process, today))
                self._processes[process] = entry
            return entry

    def _apply_changes(self, feed: ChangeFeed, today: date) -> None:
        changed = listings_concerned(feed.poll(db.session))
        if not changed:
            return
        # The processes the changed listings offer now, or offered when loaded.
        offered = set(
            db.session.scalars(
                select(ListingProcess.process).where(ListingProcess.listing_id.in_(changed))
            )
        )
        for process, entry in self._processes.items():
            if process in offered or not changed.isdisjoint(entry.row_of):
                loaded = load_listing_records(process, today, listing_ids=changed)
                self._processes[process] = entry.updated(changed, loaded)


def listing_index(app: Flask | None = None) -> ListingIndex:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault("listing_index", ListingIndex())


def forget_listing_index(app: Flask) -> None:
    """Drop what the index holds: for tests that empty the tables under a running app."""
    app.extensions.pop("listing_index", None)


class ChangeFeed:
    """The outbox messages committed since the last look, each returned once."""

    def __init__(self) -> None:
        self.watermark = 0  # every id up to here has been seen or given up on
        self.seen_above: set[int] = set()
        self.missing_since: dict[int, float] = {}  # id skipped over -> when first missed

    def start(self, session: Session) -> None:
        """Look only at messages from now on (what came before is in the data about to load)."""
        newest = session.scalar(select(func.max(OutboxMessage.id))) or 0
        self.watermark = max(newest - START_LOOKBACK, 0)
        self.seen_above.clear()
        self.missing_since.clear()
        self.poll(session)  # marks the ids not committed yet as missing; the rest is loaded

    def poll(self, session: Session) -> list[tuple[str, dict[str, int]]]:
        low = min(self.missing_since, default=self.watermark + 1) - 1
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.task_name, OutboxMessage.payload)
            .where(OutboxMessage.id > low)
            .order_by(OutboxMessage.id)
        ).all()
        new = []
        for message_id, task_name, payload in rows:
            if message_id <= self.watermark and message_id not in self.missing_since:
                continue
            if message_id in self.seen_above:
                continue
            self.seen_above.add(message_id)
            self.missing_since.pop(message_id, None)
            if task_name in WATCHED_TASKS:
                new.append((task_name, payload))
        highest = max(self.seen_above, default=self.watermark)
        now = time.monotonic()
        for message_id in range(self.watermark + 1, highest):
            if message_id not in self.seen_above:
                self.missing_since.setdefault(message_id, now)
        for message_id, since in list(self.missing_since.items()):
            if now - since > GAP_PATIENCE_SECONDS:
                del self.missing_since[message_id]
        # Everything below the first id still missing is settled.
        settled = min(self.missing_since, default=highest + 1) - 1
        if settled > self.watermark:
            self.watermark = settled
            self.seen_above = {i for i in self.seen_above if i > settled}
        return new


def listings_concerned(messages: Iterable[tuple[str, dict[str, int]]]) -> set[int]:
    """The listings whose facts the changes named in these messages may have altered."""
    listing_ids: set[int] = set()
    machines, companies, packages = set(), set(), set()
    for task_name, payload in messages:
        if task_name == "matching.listing_changed":
            listing_ids.add(payload["listing_id"])
        elif task_name == "matching.machine_changed":
            machines.add(payload["machine_id"])
        elif task_name == "matching.company_changed":
            companies.add(payload["company_id"])
        elif task_name == "marketplace.package_changed":
            packages.add(payload["package_id"])
    if packages:  # its bookings and its supplier's record
        companies.update(
            db.session.scalars(
                select(WorkPackage.supplier_company_id).where(WorkPackage.id.in_(packages))
            )
        )
    if machines or companies:
        listing_ids.update(
            db.session.scalars(
                select(CapacityListing.id).where(
                    CapacityListing.machine_id.in_(machines)
                    | CapacityListing.company_id.in_(companies)
                )
            )
        )
    return listing_ids


def load_listing_records(
    process: str, today: date, *, listing_ids: Iterable[int] | None = None
) -> dict[int, tuple[OfferRecord, CalendarRecord]]:
    """Every current listing offering `process` (or those of `listing_ids` that do), as records.

    Seven column queries, however many listings there are; no ORM objects.
    """
    offering = select(ListingProcess.listing_id).where(ListingProcess.process == process)
    if listing_ids is not None:
        offering = offering.where(ListingProcess.listing_id.in_(list(listing_ids)))
    # Core rows, not ORM ones; status, currency and unit are plain strings, hours plain floats.
    connection = db.session.connection()
    rows = connection.execute(
        select(
            CapacityListing.id,
            CapacityListing.company_id,
            CapacityListing.title,
            type_coerce(CapacityListing.status, String).label("listing_status"),
            CapacityListing.weekday_hours,
            CapacityListing.start_date,
            CapacityListing.end_date,
            CapacityListing.price_amount,
            type_coerce(CapacityListing.price_currency, String).label("price_currency"),
            type_coerce(CapacityListing.price_unit, String).label("price_unit"),
            CapacityListing.lead_time_days,
            Company.legal_name,
            Company.city,
            type_coerce(Machine.status, String).label("machine_status"),
            Machine.tolerance_mm,
            Machine.envelope_x_mm,
            Machine.envelope_y_mm,
            Machine.envelope_z_mm,
        )
        .join(Company, Company.id == CapacityListing.company_id)
        .outerjoin(Machine, Machine.id == CapacityListing.machine_id)
        .where(
            CapacityListing.id.in_(offering),
            CapacityListing.status.in_(CONSIDERED_LISTING_STATUSES),
            CapacityListing.end_date >= today,
        )
    ).all()
    if not rows:
        return {}
    bookings: dict[int, list[tuple[date, float]]] = defaultdict(list)
    for listing_id, hours, due, progress in connection.execute(
        select(
            CapacityBooking.listing_id,
            CapacityBooking.hours,
            CapacityBooking.due_date,
            WorkPackage.progress_pct,
        )
        .join(WorkPackage, WorkPackage.id == CapacityBooking.work_package_id)
        .where(CapacityBooking.listing_id.in_(offering), CapacityBooking.released_at.is_(None))
    ).all():
        remaining = (hours * (1 - Decimal(progress) / 100)).quantize(Decimal("0.01"))
        bookings[listing_id].append((due, float(remaining)))
    exceptions: dict[int, dict[date, float]] = defaultdict(dict)
    for listing_id, day, hours in connection.execute(
        select(
            ListingException.listing_id, ListingException.day, cast(ListingException.hours, Float)
        ).where(ListingException.listing_id.in_(offering), ListingException.day >= today)
    ).all():
        exceptions[listing_id][day] = hours
    materials: dict[int, set[str]] = defaultdict(set)
    for listing_id, material in connection.execute(
        select(ListingMaterial.listing_id, ListingMaterial.material).where(
            ListingMaterial.listing_id.in_(offering)
        )
    ).all():
        materials[listing_id].add(material)

    companies = select(CapacityListing.company_id).where(CapacityListing.id.in_(offering))
    certifications: dict[int, dict[str, date]] = defaultdict(dict)
    for company_id, standard, valid_until in connection.execute(
        select(
            Certification.company_id,
            type_coerce(Certification.standard, String).label("standard"),
            func.max(Certification.valid_until),
        )
        .where(Certification.company_id.in_(companies))
        .group_by(Certification.company_id, Certification.standard)
    ).all():
        certifications[company_id][standard] = valid_until
    records = {
        row.company_id: TrackRecord(
            completed_packages=row.completed_packages,
            on_time_rate=_float(row.on_time_rate),
            quality_acceptance_rate=_float(row.quality_acceptance_rate),
            average_rating=_float(row.average_rating),
            ratings_count=row.ratings_count,
        )
        for row in connection.execute(
            select(
                SupplierScorecard.company_id,
                SupplierScorecard.completed_packages,
                SupplierScorecard.on_time_rate,
                SupplierScorecard.quality_acceptance_rate,
                SupplierScorecard.average_rating,
                SupplierScorecard.ratings_count,
            ).where(SupplierScorecard.company_id.in_(companies))
        )
    }

    processes = frozenset({process})
    loaded = {}
    for row in rows:
        (
            listing_id, company_id, title, listing_status, weekday_hours, start, end,
            price_amount, price_currency, price_unit, lead_time, company_name, city,
            machine_status, tolerance, envelope_x, envelope_y, envelope_z,
        ) = row  # fmt: skip
        has_machine = tolerance is not None
        offer = OfferRecord(
            listing_id=listing_id,
            company_id=company_id,
            company_name=company_name,
            city=city,
            title=title,
            active=listing_status == ListingStatus.ACTIVE.value
            and machine_status in (None, MachineStatus.ACTIVE.value),
            processes=processes,
            materials=frozenset(materials.get(listing_id, ())),
            tolerance_mm=float(tolerance) if has_machine else None,
            envelope_mm=(envelope_x, envelope_y, envelope_z) if has_machine else None,
            certifications=certifications.get(company_id, {}),
            price_amount=float(price_amount),
            price_currency=price_currency,
            price_unit=price_unit,
            lead_time_days=lead_time,
            track_record=records.get(company_id),
            credit_band=None,  # scored by finance (issue 7) once it exists
            location=locate_city(city),
        )
        calendar = CalendarRecord(
            weekday_hours=tuple(float(hours) for hours in weekday_hours),
            start=start,
            end=end,
            exceptions=exceptions.get(listing_id, {}),
            bookings=tuple(bookings.get(listing_id, ())),
        )
        loaded[listing_id] = (offer, calendar)
    return loaded


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
