"""Use cases of orders (RFQs): posting, drawings, quotes, and awards that split into packages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import Principal
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.outbox import enqueue
from core.pagination import Page, paginate
from core.storage import file_storage
from core.translatable import N_
from core.unit_of_work import unit_of_work
from marketplace.capacity import Booking, bookings_fit, free_hours_before
from marketplace.domain import CertificationStandard, CompanyRole
from marketplace.lifecycle import (
    ORDER_TRANSITIONS,
    QUOTE_TRANSITIONS,
    Actor,
    ListingStatus,
    MachineStatus,
    OrderStatus,
    PackageStatus,
    QuoteStatus,
)
from marketplace.models import (
    CapacityBooking,
    CapacityListing,
    Company,
    Order,
    OrderAttachment,
    Quote,
    QuoteInvitation,
    QuoteRevision,
    WorkPackage,
)
from marketplace.production import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_ORDER,
    MAX_LEAD_TIME_DAYS,
    MAX_QUANTITY,
    MAX_TOLERANCE_MM,
    MIN_TOLERANCE_MM,
    Allocation,
    AttachmentRefused,
    CapacityExhausted,
    NotYourOrder,
    OrderNotFound,
    OrderNotOpen,
    QuoteExpired,
    check_allocations,
    check_due_date,
    hours_for,
    sniff_attachment,
)
from marketplace.services.common import (
    acting_company,
    change_status,
    enqueue_ledger_event,
    enqueue_rematch,
    get_for_update,
    record_status,
)
from marketplace.services.machines import open_bookings, sync_listing_fullness
from marketplace.taxonomy import TAXONOMY

ORDER_FIELDS = (
    "title",
    "description",
    "process",
    "material",
    "quantity",
    "tolerance_mm",
    "part_x_mm",
    "part_y_mm",
    "part_z_mm",
    "required_certifications",
    "due_date",
    "target_unit_price",
    "currency",
    "delivery_province",
    "delivery_city",
    "splittable",
    "min_lot",
    "minutes_per_piece",
)
OPEN_FOR_QUOTES = (OrderStatus.PUBLISHED, OrderStatus.QUOTED)


def _check_order(fields: dict[str, Any]) -> None:
    if fields["process"] not in TAXONOMY.processes:
        raise InvalidInput(N_("Unknown process."), field="process")
    if fields["material"] not in TAXONOMY.materials:
        raise InvalidInput(N_("Unknown material."), field="material")
    if not 1 <= fields["quantity"] <= MAX_QUANTITY:
        raise InvalidInput(N_("The quantity must be between 1 and 10,000,000."), field="quantity")
    min_lot = fields.get("min_lot") or 1
    if not 1 <= min_lot <= fields["quantity"]:
        raise InvalidInput(
            N_("The minimum lot must be between 1 and the quantity."), field="min_lot"
        )
    if not MIN_TOLERANCE_MM <= fields["tolerance_mm"] <= MAX_TOLERANCE_MM:
        raise InvalidInput(
            N_("The tolerance must be between 0.0005 mm and 10 mm."), field="tolerance_mm"
        )
    for axis in ("part_x_mm", "part_y_mm", "part_z_mm"):
        if not 1 <= fields[axis] <= 50_000:
            raise InvalidInput(N_("Part sizes must be between 1 mm and 50 m."), field=axis)
    price = fields.get("target_unit_price")
    if price is not None and price <= 0:
        raise InvalidInput(
            N_("The target price must be more than zero."), field="target_unit_price"
        )
    minutes = fields.get("minutes_per_piece")
    # Numeric(10, 2) holds up to 99,999,999.99; beyond 100,000 minutes a piece is a typo.
    if minutes is not None and not Decimal("0.01") <= minutes <= Decimal("100000"):
        raise InvalidInput(
            N_("The minutes per piece must be between 0.01 and 100,000."),
            field="minutes_per_piece",
        )
    for standard in fields.get("required_certifications") or []:
        CertificationStandard(standard)  # the schema has checked; this guards other callers
    check_due_date(fields["due_date"], utcnow().date())


def create_order(principal: Principal, fields: dict[str, Any], *, publish: bool = False) -> Order:
    """Draft an order (and publish it at once when asked).

    Raises:
        BuyerRoleRequired; InvalidInput for unknown codes, absurd numbers or a past due date.
    """
    company = acting_company(principal, CompanyRole.BUYER)
    fields = {"min_lot": 1, "required_certifications": [], **fields}
    _check_order(fields)
    with unit_of_work() as session:
        order = Order(
            buyer_company_id=company.id,
            created_by_id=principal.user_id,
            **{name: fields[name] for name in ORDER_FIELDS if name in fields},
        )
        order.required_certifications = sorted(set(order.required_certifications))
        session.add(order)
        record_status(session, "order", order, None, OrderStatus.DRAFT, Actor.BUYER, principal)
        if publish:
            _publish(session, order, principal)
    return order


def _buyer_order(principal: Principal, order_id: int, *, lock: bool = False) -> Order:
    order = get_for_update(Order, order_id) if lock else db.session.get(Order, order_id)
    if order is None or not _may_see(principal, order):
        raise OrderNotFound()
    if order.buyer_company_id != principal.company_id:
        raise NotYourOrder()
    return order


def update_order(principal: Principal, order_id: int, changes: dict[str, Any]) -> Order:
    """Change a draft order.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen once it is published; InvalidInput.
    """
    with unit_of_work():
        order = _buyer_order(principal, order_id)
        if order.status is not OrderStatus.DRAFT:
            raise OrderNotOpen(N_("Only a draft order can be changed."))
        merged = {name: getattr(order, name) for name in ORDER_FIELDS} | changes
        _check_order(merged)
        for name in ORDER_FIELDS:
            if name in changes:
                setattr(order, name, changes[name])
    return order


def _publish(session: Any, order: Order, principal: Principal) -> None:
    check_due_date(order.due_date, utcnow().date())
    change_status(
        session,
        order,
        entity="order",
        table=ORDER_TRANSITIONS,
        target=OrderStatus.PUBLISHED,
        actor=Actor.BUYER,
        principal=principal,
    )
    order.published_at = utcnow()
    enqueue_rematch(session, "order", order.id)


def publish_order(principal: Principal, order_id: int) -> Order:
    """Open a draft order for quotes.

    Raises:
        OrderNotFound / NotYourOrder; InvalidTransition; InvalidInput when the due date passed.
    """
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id, lock=True)
        _publish(session, order, principal)
    return order


def cancel_order(principal: Principal, order_id: int, note: str = "") -> Order:
    """Withdraw an order before it is awarded (awarded work is cancelled package by package).

    Raises:
        OrderNotFound / NotYourOrder; InvalidTransition after the award.
    """
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id, lock=True)
        if order.status not in (OrderStatus.DRAFT, *OPEN_FOR_QUOTES):
            raise OrderNotOpen(N_("An awarded order is cancelled package by package."))
        change_status(
            session,
            order,
            entity="order",
            table=ORDER_TRANSITIONS,
            target=OrderStatus.CANCELLED,
            actor=Actor.BUYER,
            principal=principal,
            note=note,
        )
        for quote in order.quotes:
            if quote.status is QuoteStatus.SUBMITTED:
                change_status(
                    session,
                    quote,
                    entity="quote",
                    table=QUOTE_TRANSITIONS,
                    target=QuoteStatus.REJECTED,
                    actor=Actor.SYSTEM,
                    principal=principal,
                    note="order cancelled",
                )
        enqueue_rematch(session, "order", order.id)
    return order


def _is_party(company_id: int | None, order: Order) -> bool:
    """Whether a company quoted, was invited to quote or was awarded on the order."""
    if company_id is None:
        return False
    return (
        any(invitation.supplier_company_id == company_id for invitation in order.invitations)
        or any(quote.supplier_company_id == company_id for quote in order.quotes)
        or any(package.supplier_company_id == company_id for package in order.packages)
    )


def _may_see(principal: Principal, order: Order) -> bool:
    """Buyers see their own orders; suppliers see published ones and those they take part in."""
    if principal.is_operator or order.buyer_company_id == principal.company_id:
        return True
    if order.status in OPEN_FOR_QUOTES:
        return True
    return _is_party(principal.company_id, order)


def get_order(principal: Principal, order_id: int) -> Order:
    """Raises: OrderNotFound when the order does not exist or is not visible to the caller."""
    order = db.session.get(Order, order_id)
    if order is None or not _may_see(principal, order):
        raise OrderNotFound()
    return order


class OrderParties:
    """Who takes part in an order, for the ledger: its buyer and the suppliers it awarded work."""

    def parties(self, order_id: int) -> frozenset[int] | None:
        buyer = db.session.scalar(select(Order.buyer_company_id).where(Order.id == order_id))
        if buyer is None:
            return None
        suppliers = db.session.scalars(
            select(WorkPackage.supplier_company_id).where(WorkPackage.order_id == order_id)
        )
        return frozenset({buyer, *suppliers})


def may_read_drawings(principal: Principal, order: Order) -> bool:
    """Drawings are for the buyer and for suppliers invited to quote or awarded work."""
    if principal.is_operator or order.buyer_company_id == principal.company_id:
        return True
    company_id = principal.company_id
    return any(i.supplier_company_id == company_id for i in order.invitations) or any(
        p.supplier_company_id == company_id for p in order.packages
    )


def list_my_orders(
    principal: Principal, *, status: OrderStatus | None, limit: int | None, cursor: str | None
) -> Page:
    acting_company(principal, CompanyRole.BUYER)
    statement = select(Order).where(Order.buyer_company_id == principal.company_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    return paginate(db.session, statement, Order.id, limit=limit, cursor=cursor)


def list_open_orders(
    principal: Principal,
    *,
    process: str | None = None,
    family: str | None = None,
    limit: int | None,
    cursor: str | None,
) -> Page:
    """Published orders a supplier may quote on, newest first, optionally by process or family."""
    acting_company(principal, CompanyRole.SUPPLIER)
    statement = select(Order).where(
        Order.status.in_(OPEN_FOR_QUOTES),
        Order.buyer_company_id != principal.company_id,
        Order.due_date > utcnow().date(),
    )
    # Pages show whether the caller already quoted or was invited: load those with the page.
    statement = statement.options(selectinload(Order.quotes), selectinload(Order.invitations))
    if process:
        statement = statement.where(Order.process == process)
    elif family and family in TAXONOMY.families:
        statement = statement.where(Order.process.in_(TAXONOMY.families[family].processes))
    return paginate(db.session, statement, Order.id, limit=limit, cursor=cursor)


def add_attachment(
    principal: Principal, order_id: int, filename: str, stream: BinaryIO
) -> OrderAttachment:
    """Attach a drawing to a draft or open order; the bytes go to file storage.

    Raises:
        OrderNotFound / NotYourOrder; AttachmentRefused for wrong types, names or sizes.
    """
    safe_name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not safe_name:
        raise AttachmentRefused(N_("The file has no name."), field="file")
    head = stream.read(512)
    kind = sniff_attachment(safe_name, head)
    stream.seek(0)
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id)
        if order.status not in (OrderStatus.DRAFT, *OPEN_FOR_QUOTES):
            raise OrderNotOpen(N_("Drawings can only be added before the award."))
        if len(order.attachments) >= MAX_ATTACHMENTS_PER_ORDER:
            raise AttachmentRefused(N_("An order can have at most 20 attachments."), field="file")
        try:
            key, size, sha256 = file_storage().save(stream, max_bytes=MAX_ATTACHMENT_BYTES)
        except ValueError:
            raise AttachmentRefused(N_("A drawing may be at most 20 MB."), field="file") from None
        attachment = OrderAttachment(
            order_id=order.id,
            filename=safe_name,
            content_type=kind.content_type,
            size_bytes=size,
            sha256=sha256,
            storage_key=key,
            uploaded_by_id=principal.user_id,
        )
        session.add(attachment)
        try:
            session.flush()
        except Exception:
            file_storage().delete(key)
            raise
    return attachment


def open_attachment(
    principal: Principal, order_id: int, attachment_id: int
) -> tuple[OrderAttachment, BinaryIO]:
    """Return a drawing and its bytes.

    Raises:
        OrderNotFound for an order the caller cannot see or whose drawings are not for it.
    """
    order = get_order(principal, order_id)
    attachment = db.session.get(OrderAttachment, attachment_id)
    if (
        attachment is None
        or attachment.order_id != order.id
        or not may_read_drawings(principal, order)
    ):
        raise NotFound()
    return attachment, file_storage().open(attachment.storage_key)


def delete_attachment(principal: Principal, order_id: int, attachment_id: int) -> None:
    """Raises: OrderNotFound / NotYourOrder; OrderNotOpen after the award."""
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id)
        attachment = db.session.get(OrderAttachment, attachment_id)
        if attachment is None or attachment.order_id != order.id:
            raise NotFound()
        if order.status not in (OrderStatus.DRAFT, *OPEN_FOR_QUOTES):
            raise OrderNotOpen(N_("Drawings can only be removed before the award."))
        key = attachment.storage_key
        session.delete(attachment)
    file_storage().delete(key)


def invite_suppliers(
    principal: Principal, order_id: int, supplier_ids: list[int]
) -> list[QuoteInvitation]:
    """Ask suppliers to quote (they may then read the drawings); repeats are ignored.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen; InvalidInput for a company that is no supplier.
    """
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id, lock=True)
        if order.status not in OPEN_FOR_QUOTES:
            raise OrderNotOpen()
        invited = {invitation.supplier_company_id for invitation in order.invitations}
        created = []
        for supplier_id in dict.fromkeys(supplier_ids):
            supplier = session.get(Company, supplier_id)
            if (
                supplier is None
                or not supplier.has_role(CompanyRole.SUPPLIER)
                or supplier_id == order.buyer_company_id
            ):
                raise InvalidInput(
                    N_("Only supplier companies can be invited."), field="supplier_ids"
                )
            if supplier_id not in invited:
                invitation = QuoteInvitation(
                    order_id=order.id,
                    supplier_company_id=supplier_id,
                    invited_by_id=principal.user_id,
                )
                order.invitations.append(invitation)
                created.append(invitation)
    return created


def listing_can_take_work(listing: CapacityListing) -> bool:
    """Active, and its machine (if it is one machine's capacity) neither retired nor in repair."""
    machine_ok = listing.machine is None or listing.machine.status is MachineStatus.ACTIVE
    return listing.status is ListingStatus.ACTIVE and machine_ok


def _check_quote_terms(order: Order, listing: CapacityListing, terms: dict[str, Any]) -> None:
    today = utcnow().date()
    if terms["unit_price"] <= 0:
        raise InvalidInput(N_("The unit price must be more than zero."), field="unit_price")
    if not 1 <= terms["quantity"] <= order.quantity:
        raise InvalidInput(
            N_("The quantity must be between 1 and the ordered %(quantity)d."),
            field="quantity",
            quantity=order.quantity,
        )
    if terms["quantity"] < order.quantity:
        if not order.splittable:
            raise InvalidInput(
                N_("This order may not be split: quote the whole quantity."), field="quantity"
            )
        if terms["quantity"] < order.min_lot:
            raise InvalidInput(
                N_("A partial quote must cover at least the minimum lot of %(min_lot)d."),
                field="quantity",
                min_lot=order.min_lot,
            )
    if not 0 <= terms["lead_time_days"] <= MAX_LEAD_TIME_DAYS:
        raise InvalidInput(
            N_("The lead time must be between 0 and 365 days."), field="lead_time_days"
        )
    if not today <= terms["valid_until"] <= today + timedelta(days=180):
        raise InvalidInput(
            N_("A quote must be valid from today for at most 180 days."), field="valid_until"
        )
    if not Decimal("0.01") <= terms["machine_hours"] <= Decimal(100_000):
        raise InvalidInput(
            N_("The machine-hours must be between 0.01 and 100,000."), field="machine_hours"
        )
    if not listing_can_take_work(listing):
        raise InvalidInput(
            N_("Quote from an active capacity listing whose machine is in service."),
            field="listing_id",
        )
    if order.process not in listing.processes:
        raise InvalidInput(
            N_("This capacity listing does not offer the order's process."), field="listing_id"
        )
    free = free_hours_before(listing.calendar, open_bookings(listing), today, order.due_date)
    if terms["machine_hours"] > free:
        raise CapacityExhausted(
            field="machine_hours", free=str(free), wanted=str(terms["machine_hours"])
        )


def submit_quote(principal: Principal, order_id: int, terms: dict[str, Any]) -> Quote:
    """Quote on an open order, or revise the company's quote (the old terms are kept).

    Raises:
        SupplierRoleRequired; OrderNotFound; OrderNotOpen; InvalidInput; CapacityExhausted.
    """
    with unit_of_work() as session:
        company = acting_company(principal, CompanyRole.SUPPLIER)
        order = get_order(principal, order_id)
        # One supplier's parallel submissions (a double click) must become a quote and a revision.
        get_for_update(Order, order.id)
        if order.buyer_company_id == company.id:
            raise InvalidInput(N_("You cannot quote on your own order."), field="order")
        if order.status not in OPEN_FOR_QUOTES:
            raise OrderNotOpen()
        listing = session.get(CapacityListing, terms["listing_id"])
        if listing is None or listing.company_id != company.id:
            raise InvalidInput(N_("Choose one of your capacity listings."), field="listing_id")
        _check_quote_terms(order, listing, terms)
        quote = session.scalar(
            select(Quote).where(Quote.order_id == order.id, Quote.supplier_company_id == company.id)
        )
        if quote is None:
            quote = Quote(
                order_id=order.id,
                supplier_company_id=company.id,
                currency=order.currency,
                submitted_by_id=principal.user_id,
                status=QuoteStatus.SUBMITTED,
            )
            session.add(quote)
            _apply_terms(quote, terms)
            record_status(
                session, "quote", quote, None, QuoteStatus.SUBMITTED, Actor.SUPPLIER, principal
            )
        else:
            if quote.status not in (QuoteStatus.SUBMITTED, QuoteStatus.WITHDRAWN):
                raise OrderNotOpen(N_("This quote was already decided on."))
            quote.revisions.append(
                QuoteRevision(
                    revision=quote.revision,
                    listing_id=quote.listing_id,
                    unit_price=quote.unit_price,
                    quantity=quote.quantity,
                    machine_hours=quote.machine_hours,
                    lead_time_days=quote.lead_time_days,
                    valid_until=quote.valid_until,
                    note=quote.note,
                    created_at=quote.updated_at,
                )
            )
            quote.revision += 1
            quote.submitted_by_id = principal.user_id
            _apply_terms(quote, terms)
            if quote.status is QuoteStatus.WITHDRAWN:
                change_status(
                    session,
                    quote,
                    entity="quote",
                    table=QUOTE_TRANSITIONS,
                    target=QuoteStatus.SUBMITTED,
                    actor=Actor.SUPPLIER,
                    principal=principal,
                )
        if order.status is OrderStatus.PUBLISHED:
            change_status(
                session,
                order,
                entity="order",
                table=ORDER_TRANSITIONS,
                target=OrderStatus.QUOTED,
                actor=Actor.SYSTEM,
                principal=principal,
            )
    return quote


def _apply_terms(quote: Quote, terms: dict[str, Any]) -> None:
    for name in (
        "listing_id",
        "unit_price",
        "quantity",
        "machine_hours",
        "lead_time_days",
        "valid_until",
    ):
        setattr(quote, name, terms[name])
    quote.note = (terms.get("note") or "").strip()
    quote.updated_at = utcnow()


def withdraw_quote(principal: Principal, quote_id: int) -> Quote:
    """Raises: NotFound for another company's quote; InvalidTransition once decided."""
    with unit_of_work() as session:
        quote = get_for_update(Quote, quote_id)
        if quote is None or quote.supplier_company_id != principal.company_id:
            raise NotFound(N_("There is no such quote."))
        change_status(
            session,
            quote,
            entity="quote",
            table=QUOTE_TRANSITIONS,
            target=QuoteStatus.WITHDRAWN,
            actor=Actor.SUPPLIER,
            principal=principal,
        )
    return quote


def list_my_quotes(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    acting_company(principal, CompanyRole.SUPPLIER)
    statement = (
        select(Quote)
        .where(Quote.supplier_company_id == principal.company_id)
        .options(selectinload(Quote.order))
    )
    return paginate(db.session, statement, Quote.id, limit=limit, cursor=cursor)


def quotes_for_buyer(principal: Principal, order_id: int) -> list[Quote]:
    """The quotes on one of the buyer's orders, for comparing side by side (cheapest first)."""
    order = _buyer_order(principal, order_id)
    return sorted(
        order.quotes, key=lambda quote: (quote.unit_price, quote.lead_time_days, quote.id)
    )


def get_quote(principal: Principal, quote_id: int) -> Quote:
    """A quote, for its supplier or the order's buyer.

    Raises:
        NotFound for anyone else.
    """
    quote = db.session.get(Quote, quote_id)
    if quote is None or principal.company_id not in (
        quote.supplier_company_id,
        quote.order.buyer_company_id,
    ):
        raise NotFound(N_("There is no such quote."))
    return quote


def award_order(
    principal: Principal, order_id: int, allocations: list[Allocation]
) -> list[WorkPackage]:
    """Award an order to one or several quotes; each becomes a work package booking capacity.

    The order row (and, on PostgreSQL, every listing touched) is locked, so two buyers or two
    tabs racing for the last free hours cannot both win.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen; QuoteExpired; InvalidInput / OverAward;
        CapacityExhausted when a supplier's listing no longer has the hours.
    """
    today = utcnow().date()
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id, lock=True)
        if order.status not in OPEN_FOR_QUOTES:
            raise OrderNotOpen(N_("This order is not open for an award."))
        quotes = {
            quote.id: quote for quote in order.quotes if quote.status is QuoteStatus.SUBMITTED
        }
        check_allocations(
            allocations,
            ordered=order.quantity,
            splittable=order.splittable,
            min_lot=order.min_lot,
            quoted={quote_id: quote.quantity for quote_id, quote in quotes.items()},
        )
        packages = []
        for allocation in sorted(allocations, key=lambda a: quotes[a.quote_id].listing_id):
            quote = quotes[allocation.quote_id]
            if quote.is_expired_on(today):
                raise QuoteExpired(field="allocations")
            listing = get_for_update(CapacityListing, quote.listing_id)
            if listing is None:
                raise NotFound()
            hours = hours_for(allocation.quantity, quote.quantity, quote.machine_hours)
            if not listing_can_take_work(listing) or not bookings_fit(
                listing.calendar, [*open_bookings(listing), Booking(hours, order.due_date)], today
            ):
                free = free_hours_before(
                    listing.calendar, open_bookings(listing), today, order.due_date
                )
                raise CapacityExhausted(field="allocations", free=str(free), wanted=str(hours))
            package = WorkPackage(
                order_id=order.id,
                supplier_company_id=quote.supplier_company_id,
                quote_id=quote.id,
                listing_id=listing.id,
                quantity=allocation.quantity,
                unit_price=quote.unit_price,
                currency=quote.currency,
                due_date=order.due_date,
                promised_date=min(order.due_date, today + timedelta(days=quote.lead_time_days)),
                status=PackageStatus.ACCEPTED,
            )
            session.add(package)
            session.flush()
            listing.bookings.append(
                CapacityBooking(work_package_id=package.id, hours=hours, due_date=order.due_date)
            )
            session.flush()
            sync_listing_fullness(session, listing, principal)
            record_status(
                session, "package", package, None, PackageStatus.ACCEPTED, Actor.BUYER, principal
            )
            enqueue(
                session, "marketplace.package_changed", package_id=package.id, status="accepted"
            )
            enqueue_ledger_event(session, package, "awarded")
            packages.append(package)
        for quote in quotes.values():
            target = (
                QuoteStatus.ACCEPTED
                if any(a.quote_id == quote.id for a in allocations)
                else QuoteStatus.REJECTED
            )
            change_status(
                session,
                quote,
                entity="quote",
                table=QUOTE_TRANSITIONS,
                target=target,
                actor=Actor.BUYER if target is QuoteStatus.ACCEPTED else Actor.SYSTEM,
                principal=principal,
            )
        change_status(
            session,
            order,
            entity="order",
            table=ORDER_TRANSITIONS,
            target=OrderStatus.AWARDED,
            actor=Actor.BUYER,
            principal=principal,
        )
        enqueue_rematch(session, "order", order.id)
    return packages
