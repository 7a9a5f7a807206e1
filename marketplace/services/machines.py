"""Use cases for a supplier's machines and the capacity it lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import Principal
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.pagination import Page, paginate
from core.translatable import N_
from core.unit_of_work import unit_of_work
from marketplace.capacity import Booking, bookings_fit, free_hours
from marketplace.domain import CompanyRole
from marketplace.lifecycle import (
    LISTING_TRANSITIONS,
    MACHINE_TRANSITIONS,
    Actor,
    ListingStatus,
    MachineStatus,
)
from marketplace.models import (
    CapacityBooking,
    CapacityListing,
    ListingException,
    ListingMaterial,
    ListingProcess,
    Machine,
    MachineMaterial,
    MachineProcess,
)
from marketplace.production import (
    MAX_ENVELOPE_MM,
    MAX_TOLERANCE_MM,
    MIN_TOLERANCE_MM,
    CalendarTooSmall,
)
from marketplace.services.common import (
    acting_company,
    change_status,
    enqueue_rematch,
    get_for_update,
    record_status,
)
from marketplace.taxonomy import TAXONOMY

MACHINE_FIELDS = (
    "name",
    "brand",
    "model",
    "year",
    "envelope_x_mm",
    "envelope_y_mm",
    "envelope_z_mm",
    "tolerance_mm",
    "rate_amount",
    "rate_currency",
    "rate_unit",
)


def _check_machine_spec(kind: str, processes: list[str], materials: list[str], spec: dict) -> None:
    machine_kind = TAXONOMY.machine_kinds.get(kind)
    if machine_kind is None:
        raise InvalidInput(N_("Unknown machine kind."), field="kind")
    if not processes:
        raise InvalidInput(N_("Choose at least one process."), field="processes")
    for process in processes:
        if process not in machine_kind.processes:
            raise InvalidInput(
                N_("A machine of this kind cannot perform %(process)s."),
                field="processes",
                process=process,
            )
    for material in materials:
        if material not in TAXONOMY.materials:
            raise InvalidInput(
                N_("Unknown material %(material)s."), field="materials", material=material
            )
    attributes = spec.get("attributes") or {}
    allowed = {attribute.code: attribute for attribute in machine_kind.attributes}
    for code in attributes:
        if code not in allowed:
            raise InvalidInput(
                N_("Unknown machine attribute %(code)s."), field="attributes", code=code
            )
    for attribute in allowed.values():
        value = attributes.get(attribute.code)
        if value is None:
            if attribute.required:
                raise InvalidInput(
                    N_("This kind of machine needs %(attribute)s."),
                    field="attributes",
                    attribute=attribute.label.en,
                )
            continue
        if not attribute.minimum <= float(value) <= attribute.maximum:
            raise InvalidInput(
                N_("%(attribute)s must be between %(minimum)s and %(maximum)s."),
                field="attributes",
                attribute=attribute.label.en,
                minimum=attribute.minimum,
                maximum=attribute.maximum,
            )
    for axis in ("envelope_x_mm", "envelope_y_mm", "envelope_z_mm"):
        if axis in spec and not 1 <= spec[axis] <= MAX_ENVELOPE_MM:
            raise InvalidInput(N_("The work envelope must be between 1 mm and 50 m."), field=axis)
    if "tolerance_mm" in spec and not MIN_TOLERANCE_MM <= spec["tolerance_mm"] <= MAX_TOLERANCE_MM:
        raise InvalidInput(
            N_("The tolerance must be between 0.0005 mm and 10 mm."), field="tolerance_mm"
        )
    if "rate_amount" in spec and spec["rate_amount"] <= 0:
        raise InvalidInput(N_("The rate must be more than zero."), field="rate_amount")


def register_machine(
    principal: Principal,
    *,
    kind: str,
    processes: list[str],
    materials: list[str],
    attributes: dict[str, Any] | None = None,
    **fields: Any,
) -> Machine:
    """Register a machine of the principal's supplier company.

    Raises:
        SupplierRoleRequired; InvalidInput for a spec the taxonomy or the limits refuse.
    """
    _check_machine_spec(kind, processes, materials, {**fields, "attributes": attributes})
    with unit_of_work() as session:
        company = acting_company(principal, CompanyRole.SUPPLIER)
        machine = Machine(company_id=company.id, kind=kind, attributes=attributes or {})
        for name in MACHINE_FIELDS:
            if name in fields:
                setattr(machine, name, fields[name])
        machine.process_rows = [MachineProcess(process=code) for code in sorted(set(processes))]
        machine.material_rows = [MachineMaterial(material=code) for code in sorted(set(materials))]
        session.add(machine)
        record_status(
            session, "machine", machine, None, MachineStatus.ACTIVE, Actor.SUPPLIER, principal
        )
    return machine


def _own_machine(principal: Principal, machine_id: int) -> Machine:
    machine = db.session.get(Machine, machine_id)
    if machine is None or machine.company_id != principal.company_id:
        raise NotFound(N_("There is no such machine."))
    return machine


def get_machine(principal: Principal, machine_id: int) -> Machine:
    """Raises: NotFound for another company's or an unknown machine."""
    return _own_machine(principal, machine_id)


def update_machine(principal: Principal, machine_id: int, changes: dict[str, Any]) -> Machine:
    """Change a machine's description, processes, materials or rate.

    Raises:
        NotFound; InvalidInput for a spec the taxonomy or the limits refuse.
    """
    with unit_of_work() as session:
        acting_company(principal, CompanyRole.SUPPLIER)
        machine = _own_machine(principal, machine_id)
        enqueue_rematch(session, "machine", machine.id)
        processes = changes.get("processes", machine.processes)
        materials = changes.get("materials", machine.materials)
        attributes = changes.get("attributes", machine.attributes)
        _check_machine_spec(
            machine.kind, processes, materials, {**changes, "attributes": attributes}
        )
        for name in MACHINE_FIELDS:
            if name in changes:
                setattr(machine, name, changes[name])
        machine.attributes = attributes
        if "processes" in changes:
            machine.process_rows = [MachineProcess(process=code) for code in sorted(set(processes))]
        if "materials" in changes:
            machine.material_rows = [
                MachineMaterial(material=code) for code in sorted(set(materials))
            ]
    return machine


def change_machine_status(
    principal: Principal, machine_id: int, target: MachineStatus, note: str = ""
) -> Machine:
    """Send a machine to maintenance, back into service, or retire it.

    Its capacity follows: maintenance pauses its active listings, retirement closes them (a
    supplier resumes a paused listing by hand once the machine is back).

    Raises:
        NotFound; InvalidTransition for a move the machine table does not allow.
    """
    with unit_of_work() as session:
        acting_company(principal, CompanyRole.SUPPLIER)
        machine = _own_machine(principal, machine_id)
        enqueue_rematch(session, "machine", machine.id)
        change_status(
            session,
            machine,
            entity="machine",
            table=MACHINE_TRANSITIONS,
            target=target,
            actor=Actor.SUPPLIER,
            principal=principal,
            note=note,
        )
        follow = {
            MachineStatus.MAINTENANCE: (ListingStatus.PAUSED, {ListingStatus.ACTIVE}),
            MachineStatus.RETIRED: (
                ListingStatus.CLOSED,
                {ListingStatus.ACTIVE, ListingStatus.PAUSED, ListingStatus.FULLY_BOOKED},
            ),
        }.get(target)
        if follow is not None:
            listing_target, affected = follow
            listings = session.scalars(
                select(CapacityListing).where(
                    CapacityListing.machine_id == machine.id,
                    CapacityListing.status.in_(affected),
                )
            )
            for listing in listings:
                change_status(
                    session,
                    listing,
                    entity="listing",
                    table=LISTING_TRANSITIONS,
                    target=listing_target,
                    actor=Actor.SUPPLIER,
                    principal=principal,
                    note=f"machine {target.value}",
                )
    return machine


def list_machines(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    acting_company(principal, CompanyRole.SUPPLIER)
    statement = (
        select(Machine)
        .where(Machine.company_id == principal.company_id)
        .options(selectinload(Machine.process_rows), selectinload(Machine.material_rows))
    )
    return paginate(db.session, statement, Machine.id, limit=limit, cursor=cursor)


def _weekday_hours(hours: list[Decimal]) -> list[str]:
    if len(hours) != 7:
        raise InvalidInput(N_("Give the hours for each of the 7 weekdays."), field="weekday_hours")
    if any(not Decimal(0) <= value <= 24 for value in hours):
        raise InvalidInput(N_("Daily hours must be between 0 and 24."), field="weekday_hours")
    if sum(hours) <= 0:
        raise InvalidInput(N_("Offer at least some hours in the week."), field="weekday_hours")
    return [str(value) for value in hours]


def _check_listing_dates(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(N_("The end date is before the start date."), field="end_date")
    if end < utcnow().date():
        raise InvalidInput(N_("The end date is in the past."), field="end_date")
    if (end - start).days > 731:
        raise InvalidInput(N_("A listing can cover at most two years."), field="end_date")


def create_listing(
    principal: Principal,
    *,
    title: str,
    weekday_hours: list[Decimal],
    start_date: date,
    end_date: date,
    price_amount: Decimal,
    price_currency: str,
    price_unit: str,
    lead_time_days: int,
    min_lot: int = 1,
    machine_id: int | None = None,
    processes: list[str] | None = None,
    materials: list[str] | None = None,
    exceptions: list[dict[str, Any]] | None = None,
) -> CapacityListing:
    """List free capacity: one machine's hours, or a process group's.

    Raises:
        SupplierRoleRequired; NotFound for another company's machine; InvalidInput.
    """
    hours = _weekday_hours(weekday_hours)
    _check_listing_dates(start_date, end_date)
    if price_amount <= 0:
        raise InvalidInput(N_("The price must be more than zero."), field="price_amount")
    with unit_of_work() as session:
        company = acting_company(principal, CompanyRole.SUPPLIER)
        machine = _own_machine(principal, machine_id) if machine_id else None
        if machine is not None and machine.status is not MachineStatus.ACTIVE:
            raise InvalidInput(N_("Only an active machine can offer capacity."), field="machine_id")
        listed_processes = processes or (machine.processes if machine else [])
        if not listed_processes:
            raise InvalidInput(N_("Choose the processes this capacity serves."), field="processes")
        unknown = [code for code in listed_processes if code not in TAXONOMY.processes]
        if unknown or (machine and not set(listed_processes) <= set(machine.processes)):
            raise InvalidInput(
                N_("A process is unknown or not done by the machine."), field="processes"
            )
        listed_materials = (
            materials if materials is not None else (machine.materials if machine else [])
        )
        if any(code not in TAXONOMY.materials for code in listed_materials):
            raise InvalidInput(N_("Unknown material."), field="materials")
        listing = CapacityListing(
            company_id=company.id,
            machine_id=machine.id if machine else None,
            title=title.strip(),
            weekday_hours=hours,
            start_date=start_date,
            end_date=end_date,
            price_amount=price_amount,
            price_currency=price_currency,
            price_unit=price_unit,
            min_lot=min_lot,
            lead_time_days=lead_time_days,
            process_rows=[ListingProcess(process=code) for code in sorted(set(listed_processes))],
            material_rows=[
                ListingMaterial(material=code) for code in sorted(set(listed_materials))
            ],
            exceptions=_exception_rows(exceptions or [], start_date, end_date),
        )
        session.add(listing)
        record_status(
            session, "listing", listing, None, ListingStatus.ACTIVE, Actor.SUPPLIER, principal
        )
        enqueue_rematch(session, "listing", listing.id)
    return listing


def _exception_rows(
    exceptions: list[dict[str, Any]], start: date, end: date
) -> list[ListingException]:
    rows: dict[date, ListingException] = {}
    for exception in exceptions:
        day, hours = exception["day"], Decimal(exception["hours"])
        if not start <= day <= end:
            raise InvalidInput(
                N_("An exception day lies outside the listing's dates."), field="exceptions"
            )
        if not 0 <= hours <= 24:
            raise InvalidInput(N_("Daily hours must be between 0 and 24."), field="exceptions")
        rows[day] = ListingException(day=day, hours=hours, note=exception.get("note", "").strip())
    return [rows[day] for day in sorted(rows)]


def _own_listing(principal: Principal, listing_id: int, *, lock: bool = False) -> CapacityListing:
    listing = (
        get_for_update(CapacityListing, listing_id)
        if lock
        else db.session.get(CapacityListing, listing_id)
    )
    if listing is None or listing.company_id != principal.company_id:
        raise NotFound(N_("There is no such capacity listing."))
    return listing


def get_listing(principal: Principal, listing_id: int) -> CapacityListing:
    """Raises: NotFound for another company's or an unknown listing."""
    return _own_listing(principal, listing_id)


def update_listing(
    principal: Principal, listing_id: int, changes: dict[str, Any]
) -> CapacityListing:
    """Change a listing's calendar, price or terms; booked work must still fit.

    Raises:
        NotFound; InvalidInput; CalendarTooSmall when the new calendar cannot hold booked work.
    """
    with unit_of_work() as session:
        acting_company(principal, CompanyRole.SUPPLIER)
        listing = _own_listing(principal, listing_id, lock=True)
        if "weekday_hours" in changes:
            listing.weekday_hours = _weekday_hours(changes["weekday_hours"])
        for name in (
            "title",
            "price_amount",
            "price_currency",
            "price_unit",
            "min_lot",
            "lead_time_days",
            "start_date",
            "end_date",
        ):
            if name in changes:
                setattr(listing, name, changes[name].strip() if name == "title" else changes[name])
        _check_listing_dates(listing.start_date, listing.end_date)
        if "exceptions" in changes:
            listing.exceptions = _exception_rows(
                changes["exceptions"], listing.start_date, listing.end_date
            )
        session.flush()
        session.expire(listing, ["exceptions"])
        if not bookings_fit(listing.calendar, open_bookings(listing), utcnow().date()):
            raise CalendarTooSmall(field="weekday_hours")
        sync_listing_fullness(session, listing, principal)
        enqueue_rematch(session, "listing", listing.id)
    return listing


def change_listing_status(
    principal: Principal, listing_id: int, target: ListingStatus, note: str = ""
) -> CapacityListing:
    """Pause, resume or close a listing.

    Raises:
        NotFound; InvalidTransition (e.g. resuming a fully booked listing by hand).
    """
    with unit_of_work() as session:
        acting_company(principal, CompanyRole.SUPPLIER)
        listing = _own_listing(principal, listing_id, lock=True)
        change_status(
            session,
            listing,
            entity="listing",
            table=LISTING_TRANSITIONS,
            target=target,
            actor=Actor.SUPPLIER,
            principal=principal,
            note=note,
        )
        enqueue_rematch(session, "listing", listing.id)
    return listing


def list_listings(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    acting_company(principal, CompanyRole.SUPPLIER)
    statement = (
        select(CapacityListing)
        .where(CapacityListing.company_id == principal.company_id)
        .options(
            selectinload(CapacityListing.process_rows),
            selectinload(CapacityListing.material_rows),
            selectinload(CapacityListing.exceptions),
            selectinload(CapacityListing.bookings).selectinload(CapacityBooking.package),
        )
    )
    return paginate(db.session, statement, CapacityListing.id, limit=limit, cursor=cursor)


def open_bookings(listing: CapacityListing) -> list[Booking]:
    """The hours still to be worked on the listing: each open booking less the reported progress."""
    return [
        Booking(hours=booking.remaining_hours, due=booking.due_date)
        for booking in listing.bookings
        if booking.released_at is None
    ]


def booked_hours(listing: CapacityListing) -> Decimal:
    return sum((booking.hours for booking in open_bookings(listing)), Decimal(0))


def listing_free_hours(listing: CapacityListing, today: date | None = None) -> Decimal:
    return free_hours(listing.calendar, open_bookings(listing), today or utcnow().date())


# A listing with less than this left is shown and treated as fully booked.
FULLY_BOOKED_BELOW_HOURS = Decimal(1)


def sync_listing_fullness(
    session: Any, listing: CapacityListing, principal: Principal | None
) -> None:
    """Mark a listing fully booked when its free hours run out, and active again when freed."""
    full = listing_free_hours(listing) < FULLY_BOOKED_BELOW_HOURS
    target = None
    if full and listing.status is ListingStatus.ACTIVE:
        target = ListingStatus.FULLY_BOOKED
    elif not full and listing.status is ListingStatus.FULLY_BOOKED:
        target = ListingStatus.ACTIVE
    if target is not None:
        change_status(
            session,
            listing,
            entity="listing",
            table=LISTING_TRANSITIONS,
            target=target,
            actor=Actor.SYSTEM,
            principal=principal,
        )


def release_booking(session: Any, booking: CapacityBooking) -> None:
    """Give a package's hours back to its listing (the package closed or was cancelled)."""
    if booking.released_at is None:
        booking.released_at = utcnow()
        session.flush()
        sync_listing_fullness(session, booking.listing, None)
