"""Stored matches: computed from the database, kept fresh through the outbox, used by suppliers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import InvalidInput, PermissionDenied
from core.outbox import OutboxMessage
from marketplace import tasks
from marketplace.lifecycle import ListingStatus
from marketplace.models import MatchCandidate, MatchRun, QuoteInvitation
from marketplace.services import accounts, machines, orders
from marketplace.services import matching as matching_services
from marketplace.services.listing_index import ChangeFeed, load_listing_records
from marketplace.services.matching import (
    accept_proposal,
    get_matches,
    plan_open_orders,
    rank_order,
    recommended_orders,
    refresh_matches,
)
from marketplace.services.orders import Allocation
from matching.domain import Weights
from matching.planning import PlanMode
from tests.factories import OperatorFactory, principal_of
from tests.integration.marketplace_world import (
    buyer_with_order,
    quote,
    supplier_with_capacity,
    today,
)

TASKS = {
    "matching.order_changed": tasks.order_changed,
    "matching.listing_changed": tasks.listing_changed,
    "matching.machine_changed": tasks.machine_changed,
    "matching.company_changed": tasks.company_changed,
    "marketplace.package_changed": tasks.package_changed,
}


def run_matching_messages() -> list[str]:
    """Do what the relay and worker would: run the pending matching-related messages."""
    ran = []
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.dispatched_at.is_(None))
        .order_by(OutboxMessage.id)
    ).all():
        message.dispatched_at = utcnow()
        db.session.commit()
        if message.task_name in TASKS:
            TASKS[message.task_name](**message.payload)
            db.session.commit()
            ran.append(message.task_name)
    return ran


def stored_candidates(order_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(MatchCandidate.listing_id)
            .where(MatchCandidate.order_id == order_id)
            .order_by(MatchCandidate.rank)
        )
    )


def test_publishing_an_order_stores_its_matches_through_the_outbox():
    # Given a supplier with capacity
    _, listing = supplier_with_capacity()
    # When a buyer publishes an order and the outbox is worked off
    _, order = buyer_with_order()
    assert "matching.order_changed" in run_matching_messages()
    # Then the ranking is stored with the listing first and a proposal covering the order
    run = db.session.get(MatchRun, order.id)
    assert run.feasible == 1
    assert stored_candidates(order.id) == [listing.id]
    assert run.proposal["shares"] == [
        {
            "listing_id": listing.id,
            "company_id": listing.company_id,
            "quantity": 100,
            "unit_price": run.proposal["shares"][0]["unit_price"],
        }
    ]


def test_new_capacity_reaches_the_stored_matches_of_open_orders():
    _, order = buyer_with_order()
    run_matching_messages()
    assert stored_candidates(order.id) == []
    # When a supplier lists capacity for the process
    _, listing = supplier_with_capacity()
    assert "matching.listing_changed" in run_matching_messages()
    # Then the open order's stored matches include it
    assert stored_candidates(order.id) == [listing.id]


def test_pausing_a_listing_excludes_it_and_says_why():
    supplier, listing = supplier_with_capacity()
    _, order = buyer_with_order()
    run_matching_messages()
    machines.change_listing_status(supplier, listing.id, ListingStatus.PAUSED)
    run_matching_messages()
    run = db.session.get(MatchRun, order.id)
    assert stored_candidates(order.id) == []
    assert run.exclusions == [{"reason": "inactive", "detail": "", "count": 1}]


def test_a_missing_certificate_is_counted_and_adding_it_brings_the_supplier_back():
    supplier, listing = supplier_with_capacity()
    _, order = buyer_with_order(required_certifications=["ISO 13485"])
    run_matching_messages()
    assert db.session.get(MatchRun, order.id).exclusions == [
        {"reason": "certification_missing", "detail": "ISO 13485", "count": 1}
    ]
    accounts.add_certification(
        supplier,
        standard="ISO 13485",
        certificate_number="MD-1",
        issued_by="TÜV",
        valid_until=today() + timedelta(days=365),
    )
    assert "matching.company_changed" in run_matching_messages()
    assert stored_candidates(order.id) == [listing.id]


def test_cancelling_an_order_drops_its_matches():
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    run_matching_messages()
    orders.cancel_order(buyer, order.id)
    run_matching_messages()
    assert db.session.get(MatchRun, order.id) is None
    assert db.session.scalar(select(func.count()).select_from(MatchCandidate)) == 0


def test_a_large_splittable_order_is_proposed_across_suppliers_within_their_hours():
    # Given three suppliers with 4 h a day for four weeks (~80 h each)
    listings = [supplier_with_capacity(hours_per_day=4, weeks=4)[1] for _ in range(3)]
    # When a buyer orders more than any one of them can make before the due date
    buyer, order = buyer_with_order(quantity=1000, min_lot=100, days=28, minutes_per_piece=6)
    run = refresh_matches(order.id)
    # Then the proposal splits it, each share within what that listing can take
    shares = run.proposal["shares"]
    assert len(shares) >= 2
    assert sum(share["quantity"] for share in shares) == 1000
    room = {c.listing_id: c.max_quantity for c in run.candidates}
    assert all(share["quantity"] <= room[share["listing_id"]] for share in shares)
    assert {share["listing_id"] for share in shares} <= {listing.id for listing in listings}

    # When the buyer accepts the proposal, twice
    accept_proposal(buyer, order.id)
    accept_proposal(buyer, order.id)
    # Then each proposed supplier is invited once, with its share
    invitations = db.session.scalars(
        select(QuoteInvitation).where(QuoteInvitation.order_id == order.id)
    ).all()
    assert sorted((i.supplier_company_id, i.proposed_quantity) for i in invitations) == sorted(
        (share["company_id"], share["quantity"]) for share in shares
    )


def test_suppliers_see_the_orders_they_match_best():
    supplier, listing = supplier_with_capacity()
    _, first = buyer_with_order(title="First")
    buyer_with_order(title="Second", required_certifications=["AS9100"])
    run_matching_messages()
    recommended = recommended_orders(supplier)
    assert [r.order.id for r in recommended] == [first.id]
    assert recommended[0].listing_id == listing.id
    assert recommended[0].proposed_quantity == 100


def test_other_weights_rank_live_without_changing_what_is_stored():
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    run_matching_messages()
    stored_at = db.session.get(MatchRun, order.id).computed_at
    live = get_matches(buyer, order.id, Weights(cost=0, quality=0, speed=10, proximity=0))
    assert live.stored is False
    assert live.weights.speed == 10
    assert db.session.get(MatchRun, order.id).computed_at == stored_at


def test_another_buyer_cannot_see_or_accept_the_matches():
    supplier_with_capacity()
    _, order = buyer_with_order()
    run_matching_messages()
    stranger, _ = buyer_with_order()
    with pytest.raises(PermissionDenied):
        get_matches(stranger, order.id)
    with pytest.raises(PermissionDenied):
        accept_proposal(stranger, order.id)
    assert db.session.scalar(select(func.count()).select_from(QuoteInvitation)) == 0


def test_an_operator_plans_all_open_orders_within_capacity():
    _, listing = supplier_with_capacity(hours_per_day=4, weeks=4)
    for _ in range(3):
        buyer_with_order(quantity=300, min_lot=50, minutes_per_piece=12)  # ~63 h each
    operator = principal_of(OperatorFactory())
    for mode in PlanMode:
        result = plan_open_orders(operator, order_ids=None, mode=mode, time_limit=2)
        plan = result.plan
        used = sum(
            matching_services.needs_of(result.orders[share.order]).hours_for(share.quantity)
            for share in plan.shares
        )
        free = float(machines.listing_free_hours(listing))
        assert used <= free + 1e-6
        assert sum(s.quantity for s in plan.shares) + sum(plan.unassigned.values()) == 900
        assert plan.unassigned  # ~80 free hours cannot make all three
        assert plan.lower_bound is not None and plan.lower_bound <= plan.objective + 1e-6


def test_only_operators_plan_and_time_limits_are_bounded():
    supplier, _ = supplier_with_capacity()
    with pytest.raises(PermissionDenied):
        plan_open_orders(supplier, order_ids=None, mode=PlanMode.SPLIT, time_limit=1)
    operator = principal_of(OperatorFactory())
    with pytest.raises(InvalidInput):
        plan_open_orders(operator, order_ids=None, mode=PlanMode.SPLIT, time_limit=31)
    with pytest.raises(InvalidInput):
        plan_open_orders(operator, order_ids=[999_999], mode=PlanMode.SPLIT, time_limit=1)


def test_the_index_holds_only_listings_of_the_process():
    supplier_with_capacity()
    supplier_with_capacity(title="Second mill", price_amount=Decimal("90"))
    assert len(load_listing_records("cnc_milling_3axis", today())) == 2
    assert load_listing_records("cnc_turning", today()) == {}


def test_a_ranking_sees_changes_committed_since_the_index_was_built():
    # Given an order ranked once, which loads the process's listings into memory
    supplier, listing = supplier_with_capacity()
    _, order = buyer_with_order()
    ranking, _ = rank_order(order, Weights(), today())
    assert [item.offer.listing_id for item in ranking.ranked] == [listing.id]
    # When the listing is paused and a second one appears, no task having run
    machines.change_listing_status(supplier, listing.id, ListingStatus.PAUSED)
    second_supplier, second = supplier_with_capacity(title="Second mill")
    # Then the next ranking already reads them from the outbox
    ranking, _ = rank_order(order, Weights(), today())
    assert [item.offer.listing_id for item in ranking.ranked] == [second.id]
    assert ranking.exclusion_summary() == [{"reason": "inactive", "detail": "", "count": 1}]
    # And a booking made by an award shrinks the free hours it reads
    unbooked_before = ranking.ranked[0].offer.unbooked_hours
    other_buyer, other = buyer_with_order(quantity=200)
    offer = quote(second_supplier, second, other, hours="120")
    orders.award_order(other_buyer, other.id, [Allocation(offer.id, 200)])
    ranking, _ = rank_order(order, Weights(), today())
    assert ranking.ranked[0].offer.unbooked_hours == unbooked_before - 120


def test_the_change_feed_waits_for_ids_committed_out_of_order(monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("marketplace.services.listing_index.time.monotonic", lambda: clock[0])
    feed = ChangeFeed()
    feed.start(db.session)

    def message(message_id: int) -> None:
        db.session.add(
            OutboxMessage(
                id=message_id, task_name="matching.listing_changed", payload={"listing_id": 7}
            )
        )
        db.session.commit()

    message(5)
    assert feed.poll(db.session) == [("matching.listing_changed", {"listing_id": 7})]
    # Id 3 belongs to a transaction still open when id 5 was read: it is looked for again
    message(3)
    assert len(feed.poll(db.session)) == 1
    assert feed.poll(db.session) == []
    # Ids 1, 2 and 4 never commit: after a while they are given up on
    message(6)
    feed.poll(db.session)
    assert set(feed.missing_since) == {1, 2, 4}
    clock[0] += 61
    assert feed.poll(db.session) == []
    assert feed.watermark == 6 and not feed.missing_since
