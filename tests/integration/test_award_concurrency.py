"""Awards racing for the same capacity or the same order, from two threads at once.

`award_order` locks the order row and every listing it books on PostgreSQL (SELECT … FOR UPDATE),
so of two awards that cannot both hold, exactly one wins. SQLite has no row locks (it serialises
whole writes instead), so this is a PostgreSQL test.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.auth import Principal
from core.db import db
from marketplace.capacity import bookings_fit, free_hours_before
from marketplace.lifecycle import OrderStatus, QuoteStatus
from marketplace.models import CapacityBooking, CapacityListing, Order, WorkPackage
from marketplace.production import Allocation, CapacityExhausted, OrderNotOpen
from marketplace.services import orders
from marketplace.services.machines import open_bookings
from tests.integration.marketplace_world import (
    buyer_with_order,
    quote,
    supplier_with_capacity,
    today,
)
from tests.support import postgres_server_url

pytestmark = pytest.mark.skipif(
    postgres_server_url() is None,
    reason="row locks are a PostgreSQL matter: set SHAREFAB_TEST_DATABASE_URL to run the races",
)

RACES = 10
THREAD_TIMEOUT = 30  # seconds; a lock never released would otherwise hang the suite


@dataclass
class Outcome:
    package_ids: list[int] | None = None
    error: BaseException | None = None


def race(app: Flask, awards: list[tuple[Principal, int, list[Allocation]]]) -> list[Outcome]:
    """Run the awards in threads that start together, each in its own app context (session)."""
    barrier = threading.Barrier(len(awards))
    outcomes = [Outcome() for _ in awards]

    def award(index: int, principal: Principal, order_id: int, allocations: list) -> None:
        with app.app_context():
            barrier.wait(timeout=THREAD_TIMEOUT)
            try:
                packages = orders.award_order(principal, order_id, allocations)
                outcomes[index].package_ids = [package.id for package in packages]
            except Exception as error:  # the assertions look at what was raised
                outcomes[index].error = error

    threads = [
        threading.Thread(target=award, args=(index, *arguments), daemon=True)
        for index, arguments in enumerate(awards)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
        assert not thread.is_alive(), "an award is still waiting: a lock was never released"
    db.session.expire_all()
    return outcomes


def listing_fits(listing_id: int) -> bool:
    listing = db.session.get(CapacityListing, listing_id)
    return bookings_fit(listing.calendar, open_bookings(listing), today())


@pytest.mark.parametrize("attempt", range(RACES))
def test_two_buyers_racing_for_the_last_free_hours_leave_exactly_one_winner(
    app: Flask, attempt: int
) -> None:
    # Given a listing whose free hours before the due date fit either order's quote, not both
    supplier, listing = supplier_with_capacity(hours_per_day=8, weeks=3)
    first_buyer, first_order = buyer_with_order(quantity=100, splittable=False, days=12)
    second_buyer, second_order = buyer_with_order(quantity=100, splittable=False, days=12)
    due = today() + timedelta(days=12)
    free = free_hours_before(listing.calendar, [], today(), due)
    hours = (free * Decimal("0.6")).quantize(Decimal("0.01"))
    first_quote = quote(supplier, listing, first_order, hours=str(hours))
    second_quote = quote(supplier, listing, second_order, hours=str(hours))

    # When both buyers award at the same moment
    outcomes = race(
        app,
        [
            (first_buyer, first_order.id, [Allocation(first_quote.id, 100)]),
            (second_buyer, second_order.id, [Allocation(second_quote.id, 100)]),
        ],
    )

    # Then exactly one award succeeded and the other found the capacity gone
    winners = [outcome for outcome in outcomes if outcome.error is None]
    losers = [outcome for outcome in outcomes if outcome.error is not None]
    assert len(winners) == 1 and len(winners[0].package_ids) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0].error, CapacityExhausted), outcomes
    # and the listing holds one booking that fits its calendar
    bookings = db.session.scalars(
        select(CapacityBooking).where(CapacityBooking.listing_id == listing.id)
    ).all()
    assert len(bookings) == 1 and bookings[0].hours == hours
    assert listing_fits(listing.id)
    # and the losing order is untouched: still open, its quote still standing
    loser_order_id = first_order.id if outcomes[1] is winners[0] else second_order.id
    loser_order = db.session.get(Order, loser_order_id)
    assert loser_order.status is OrderStatus.QUOTED
    assert [q.status for q in loser_order.quotes] == [QuoteStatus.SUBMITTED]
    assert loser_order.packages == []


@pytest.mark.parametrize("attempt", range(RACES))
def test_one_order_awarded_twice_at_once_gets_one_set_of_packages(app: Flask, attempt: int) -> None:
    # Given an order split across two quotes from two suppliers (two tabs of the same buyer)
    first_supplier, first_listing = supplier_with_capacity(hours_per_day=8, weeks=6)
    second_supplier, second_listing = supplier_with_capacity(hours_per_day=8, weeks=6)
    buyer, order = buyer_with_order(quantity=100, splittable=True, min_lot=10, days=30)
    first_quote = quote(first_supplier, first_listing, order, quantity=60, hours="12")
    second_quote = quote(second_supplier, second_listing, order, quantity=40, hours="8")
    allocations = [Allocation(first_quote.id, 60), Allocation(second_quote.id, 40)]

    # When both tabs press "award" at the same moment
    outcomes = race(app, [(buyer, order.id, allocations), (buyer, order.id, allocations)])

    # Then one award made the packages and the other found the order no longer open
    winners = [outcome for outcome in outcomes if outcome.error is None]
    losers = [outcome for outcome in outcomes if outcome.error is not None]
    assert len(winners) == 1 and len(winners[0].package_ids) == 2, outcomes
    assert len(losers) == 1 and isinstance(losers[0].error, OrderNotOpen), outcomes
    packages = db.session.scalar(
        select(func.count(WorkPackage.id)).where(WorkPackage.order_id == order.id)
    )
    assert packages == 2
    assert db.session.get(Order, order.id).status is OrderStatus.AWARDED
    for listing in (first_listing, second_listing):
        bookings = db.session.scalar(
            select(func.count(CapacityBooking.id)).where(CapacityBooking.listing_id == listing.id)
        )
        assert bookings == 1
        assert listing_fits(listing.id)
