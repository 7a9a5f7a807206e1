"""Machines, capacity, orders, quotes, split awards and the package lifecycle (services)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from marketplace.lifecycle import ListingStatus, OrderStatus, PackageStatus, QuoteStatus
from marketplace.models import CapacityBooking, Order, StatusChange, WorkPackage
from marketplace.production import (
    Allocation,
    AttachmentRefused,
    CapacityExhausted,
    NotYourOrder,
    OrderNotFound,
    OrderNotOpen,
    OverAward,
    SupplierRoleRequired,
)
from marketplace.services import machines, orders, packages
from tests.factories import BuyerFactory, principal_of
from tests.integration.marketplace_world import (
    buyer_with_order,
    quote,
    supplier_with_capacity,
    today,
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_split_award_creates_one_package_per_supplier_and_books_their_hours():
    supplier_a, listing_a = supplier_with_capacity()
    supplier_b, listing_b = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=100)
    quote_a = quote(supplier_a, listing_a, order, quantity=60, hours="30", price="31")
    quote_b = quote(supplier_b, listing_b, order, quantity=50, hours="25", price="29")
    assert order.status is OrderStatus.QUOTED

    created = orders.award_order(
        buyer, order.id, [Allocation(quote_a.id, 60), Allocation(quote_b.id, 40)]
    )

    assert [(p.supplier_company_id, p.quantity, p.unit_price) for p in created] == [
        (supplier_a.company_id, 60, Decimal("31")),
        (supplier_b.company_id, 40, Decimal("29")),
    ]
    bookings = {b.listing_id: b.hours for b in db.session.scalars(select(CapacityBooking))}
    assert bookings == {listing_a.id: Decimal("30.00"), listing_b.id: Decimal("20.00")}
    assert db.session.get(Order, order.id).status is OrderStatus.AWARDED
    assert {q.status for q in (quote_a, quote_b)} == {QuoteStatus.ACCEPTED}


def test_awarding_more_than_ordered_is_refused_and_changes_nothing():
    supplier_a, listing_a = supplier_with_capacity()
    supplier_b, listing_b = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=100)
    quote_a = quote(supplier_a, listing_a, order, quantity=60)
    quote_b = quote(supplier_b, listing_b, order, quantity=60)
    with pytest.raises(OverAward):
        orders.award_order(
            buyer, order.id, [Allocation(quote_a.id, 60), Allocation(quote_b.id, 60)]
        )
    assert count(WorkPackage) == 0 and count(CapacityBooking) == 0
    assert db.session.get(Order, order.id).status is OrderStatus.QUOTED


def test_a_listing_is_never_booked_beyond_its_hours():
    supplier, listing = supplier_with_capacity(hours_per_day=2, weeks=2)
    buyer, order = buyer_with_order(quantity=100, days=10)
    free = machines.listing_free_hours(listing)
    with pytest.raises(CapacityExhausted):
        quote(supplier, listing, order, hours=str(free + 100))
    assert count(StatusChange) >= 1 and orders.get_order(buyer, order.id).quotes == []


def test_the_last_free_hours_go_to_one_award_only():
    supplier, listing = supplier_with_capacity(hours_per_day=1, weeks=1)
    buyer_one, order_one = buyer_with_order(quantity=10, splittable=False, min_lot=1, days=6)
    buyer_two, order_two = buyer_with_order(quantity=10, splittable=False, min_lot=1, days=6)
    free = machines.listing_free_hours(listing)
    first = quote(supplier, listing, order_one, hours=str(free))
    second = quote(supplier, listing, order_two, hours=str(free))
    orders.award_order(buyer_one, order_one.id, [Allocation(first.id, 10)])
    with pytest.raises(CapacityExhausted):
        orders.award_order(buyer_two, order_two.id, [Allocation(second.id, 10)])
    assert count(WorkPackage) == 1
    db.session.expire_all()
    assert machines.get_listing(supplier, listing.id).status is ListingStatus.FULLY_BOOKED


def test_the_package_lifecycle_derives_the_order_status_and_frees_hours():
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=50, splittable=False, min_lot=1)
    offer = quote(supplier, listing, order)
    (package,) = orders.award_order(buyer, order.id, [Allocation(offer.id, 50)])

    packages.transition_package(supplier, package.id, PackageStatus.IN_PRODUCTION)
    packages.report_progress(
        supplier, package.id, progress_pct=40, forecast_date=today() + timedelta(days=9)
    )
    packages.transition_package(supplier, package.id, PackageStatus.QUALITY_CHECK)
    packages.transition_package(
        supplier, package.id, PackageStatus.IN_PRODUCTION, quality_passed=False
    )
    packages.transition_package(supplier, package.id, PackageStatus.QUALITY_CHECK)
    packages.transition_package(supplier, package.id, PackageStatus.SHIPPED, quality_passed=True)
    packages.transition_package(buyer, package.id, PackageStatus.DELIVERED)
    assert db.session.get(Order, order.id).status is OrderStatus.DELIVERED
    packages.transition_package(buyer, package.id, PackageStatus.ACCEPTED_BY_BUYER)

    assert db.session.get(Order, order.id).status is OrderStatus.COMPLETED
    booking = db.session.scalar(select(CapacityBooking))
    assert booking.released_at is not None
    history = db.session.scalars(
        select(StatusChange.to_status)
        .where(StatusChange.entity == "package", StatusChange.entity_id == package.id)
        .order_by(StatusChange.id)
    ).all()
    assert history == [
        "accepted",
        "in_production",
        "quality_check",
        "in_production",
        "quality_check",
        "shipped",
        "delivered",
        "accepted_by_buyer",
    ]
    review = packages.review_package(buyer, package.id, quality=5, delivery=4, communication=5)
    scorecard = packages.recompute_scorecard(supplier.company_id)
    assert review.quality == 5
    assert (scorecard.completed_packages, scorecard.on_time_rate, scorecard.dispute_rate) == (
        1,
        Decimal("1.0000"),
        Decimal("0.0000"),
    )


def test_illegal_moves_and_wrong_actors_are_refused():
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=50, splittable=False, min_lot=1)
    offer = quote(supplier, listing, order)
    (package,) = orders.award_order(buyer, order.id, [Allocation(offer.id, 50)])
    with pytest.raises(InvalidTransition):
        packages.transition_package(supplier, package.id, PackageStatus.SHIPPED)
    with pytest.raises(PermissionDenied):
        packages.transition_package(buyer, package.id, PackageStatus.IN_PRODUCTION)
    assert db.session.get(WorkPackage, package.id).status is PackageStatus.ACCEPTED


def test_quoting_on_a_closed_order_is_refused():
    supplier, listing = supplier_with_capacity()
    newcomer, newcomer_listing = supplier_with_capacity()
    buyer, order = buyer_with_order()
    quote(supplier, listing, order)
    orders.cancel_order(buyer, order.id)
    with pytest.raises(OrderNotOpen):
        quote(supplier, listing, order, price="28")
    # A supplier that never took part does not even see a cancelled order.
    with pytest.raises(OrderNotFound):
        quote(newcomer, newcomer_listing, order)


def test_another_buyer_cannot_act_on_an_order():
    _, order = buyer_with_order()
    stranger = principal_of(BuyerFactory())
    with pytest.raises(NotYourOrder):
        orders.cancel_order(stranger, order.id)
    assert db.session.get(Order, order.id).status is OrderStatus.PUBLISHED


def test_drafts_are_invisible_to_other_companies():
    buyer = principal_of(BuyerFactory())
    draft = orders.create_order(
        buyer,
        {
            "title": "Draft",
            "process": "cnc_turning",
            "material": "ss_304",
            "quantity": 5,
            "tolerance_mm": Decimal("0.02"),
            "part_x_mm": 10,
            "part_y_mm": 10,
            "part_z_mm": 10,
            "due_date": today() + timedelta(days=20),
            "currency": "CNY",
            "delivery_city": "宁波市",
        },
    )
    supplier, _listing = supplier_with_capacity()
    with pytest.raises(OrderNotFound):
        orders.get_order(supplier, draft.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_date": "past"}, "due_date"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 10**9}, "quantity"),
        ({"process": "alchemy"}, "process"),
        ({"tolerance_mm": Decimal("0")}, "tolerance_mm"),
    ],
)
def test_bad_orders_are_refused(changes, field):
    if changes.get("due_date") == "past":
        changes = {"due_date": today() - timedelta(days=1)}
    with pytest.raises(InvalidInput) as raised:
        buyer_with_order(**changes)
    assert raised.value.field == field
    assert count(Order) == 0


def test_suppliers_cannot_post_orders_and_buyers_cannot_list_capacity():
    supplier, _ = supplier_with_capacity()
    with pytest.raises(PermissionDenied):
        orders.create_order(supplier, {"title": "x"})
    assert count(Order) == 0
    buyer = principal_of(BuyerFactory())
    with pytest.raises(SupplierRoleRequired):
        machines.list_machines(buyer, limit=None, cursor=None)


def test_attachments_are_sniffed_and_served_only_to_invited_suppliers():
    supplier, _listing = supplier_with_capacity()
    buyer, order = buyer_with_order()
    drawing = orders.add_attachment(
        buyer, order.id, "bracket.pdf", io.BytesIO(b"%PDF-1.7\n...%%EOF")
    )
    with pytest.raises(AttachmentRefused):
        orders.add_attachment(buyer, order.id, "virus.pdf", io.BytesIO(b"MZ\x90\x00binary"))
    with pytest.raises(AttachmentRefused):
        orders.add_attachment(buyer, order.id, "bracket.png", io.BytesIO(b"%PDF-1.7\n"))
    with pytest.raises(NotFound):
        orders.open_attachment(supplier, order.id, drawing.id)
    orders.invite_suppliers(buyer, order.id, [supplier.company_id])
    record, stream = orders.open_attachment(supplier, order.id, drawing.id)
    with stream:
        assert stream.read() == b"%PDF-1.7\n...%%EOF"
    assert record.content_type == "application/pdf"


def test_oversize_attachments_are_refused_and_leave_nothing():
    buyer, order = buyer_with_order()
    big = io.BytesIO(b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(AttachmentRefused):
        orders.add_attachment(buyer, order.id, "huge.pdf", big)
    assert orders.get_order(buyer, order.id).attachments == []
