"""The demo data set: `flask demo seed` runs the accounts seeder, then the production one."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import click
import pytest
from flask import Flask
from sqlalchemy import func, select

from core.db import db, utcnow
from ledger import services as ledger_services
from ledger.domain import BatchStatus
from ledger.models import LedgerBatch, LedgerEntry
from ledger.verification import verify_proof_document
from marketplace.capacity import bookings_fit
from marketplace.demo import seed_accounts
from marketplace.demo_production import ORDER_COUNT, seed_production
from marketplace.domain import CompanyRole
from marketplace.lifecycle import OrderStatus, PackageStatus, QuoteStatus
from marketplace.models import (
    CapacityListing,
    Company,
    CompanyRoleAssignment,
    Machine,
    Order,
    Quote,
    QuoteRevision,
    StatusChange,
    SupplierScorecard,
    User,
    WorkPackage,
)
from marketplace.production import MAX_ENVELOPE_MM, MAX_TOLERANCE_MM, MIN_TOLERANCE_MM
from marketplace.services import machines
from marketplace.services.machines import open_bookings
from marketplace.taxonomy import TAXONOMY
from tests.factories import principal_of


def _company_of(email: str) -> int:
    return db.session.scalar(select(User.company_id).where(User.email == email))


def _supplier_ids() -> set[int]:
    return set(
        db.session.scalars(
            select(CompanyRoleAssignment.company_id).where(
                CompanyRoleAssignment.role == CompanyRole.SUPPLIER
            )
        )
    )


def _assert_machine_follows_the_rules(machine: Machine) -> None:
    """The rules `register_machine` applies (the seeder inserts machines in bulk)."""
    kind = TAXONOMY.machine_kinds[machine.kind]
    assert machine.processes and set(machine.processes) <= set(kind.processes), machine.id
    assert all(code in TAXONOMY.materials for code in machine.materials), machine.id
    for attribute in kind.attributes:
        value = machine.attributes.get(attribute.code)
        if attribute.required:
            assert value is not None, (machine.id, attribute.code)
        if value is not None:
            assert attribute.minimum <= value <= attribute.maximum, (machine.id, attribute.code)
    assert set(machine.attributes) <= {attribute.code for attribute in kind.attributes}
    for axis in (machine.envelope_x_mm, machine.envelope_y_mm, machine.envelope_z_mm):
        assert 1 <= axis <= MAX_ENVELOPE_MM, machine.id
    assert MIN_TOLERANCE_MM <= machine.tolerance_mm <= MAX_TOLERANCE_MM, machine.id
    assert machine.rate_amount > 0 and machine.rate_currency.value == "CNY"


def test_demo_seed_fills_every_state_and_books_no_listing_beyond_its_hours(app: Flask) -> None:
    # Given an empty database
    # When the demo seed command runs (accounts, then production)
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    elapsed = time.perf_counter() - started
    print(f"\n`flask demo seed` took {elapsed:.1f}s: {result.output.strip()}")

    # Then it succeeds
    assert result.exit_code == 0, result.output
    assert "seeded accounts" in result.output and "seeded production" in result.output
    db.session.expire_all()
    today = utcnow().date()

    # Every supplier has machines that follow the rules, and capacity listed
    suppliers = _supplier_ids()
    with_machines = set(db.session.scalars(select(Machine.company_id)))
    with_listings = set(db.session.scalars(select(CapacityListing.company_id)))
    assert suppliers and suppliers <= with_machines and suppliers <= with_listings
    per_supplier = Counter(db.session.scalars(select(Machine.company_id)))
    assert min(per_supplier.values()) >= 2 and max(per_supplier.values()) <= 8
    all_machines = list(db.session.scalars(select(Machine)))
    for machine in all_machines:
        _assert_machine_follows_the_rules(machine)
    machine_history = db.session.scalar(
        select(func.count(StatusChange.id)).where(StatusChange.entity == "machine")
    )
    assert machine_history >= len(all_machines)
    listings_per_supplier = Counter(db.session.scalars(select(CapacityListing.company_id)))
    assert set(listings_per_supplier.values()) <= {1, 2, 3}

    # About 300 orders, in every order state, with packages in every package state
    orders = list(db.session.scalars(select(Order)))
    assert len(orders) == ORDER_COUNT
    assert {order.status for order in orders} == set(OrderStatus)
    package_statuses = set(db.session.scalars(select(WorkPackage.status)))
    assert package_statuses == set(PackageStatus)
    assert any(len(order.packages) >= 2 for order in orders), "no split order"
    quotes = list(db.session.scalars(select(Quote)))
    assert {quote.status for quote in quotes} == set(QuoteStatus)
    assert any(quote.quantity < quote.order.quantity for quote in quotes), "no partial quote"
    assert db.session.scalar(select(func.count(QuoteRevision.id))) > 0, "no revised quote"

    # No listing is booked beyond its hours from today on
    for listing in db.session.scalars(select(CapacityListing)):
        assert bookings_fit(listing.calendar, open_bookings(listing), today), listing.id

    # The history lies in the past and some deliveries were late
    now = utcnow()
    assert db.session.scalar(select(func.max(StatusChange.created_at))) <= now
    assert db.session.scalar(select(func.min(Order.created_at))) < now - timedelta(days=30)
    scorecards = list(db.session.scalars(select(SupplierScorecard)))
    assert {card.company_id for card in scorecards} >= suppliers
    rates = [card.on_time_rate for card in scorecards if card.on_time_rate is not None]
    assert any(rate < 1 for rate in rates) and any(rate == 1 for rate in rates)
    assert sum(card.completed_packages >= 3 for card in scorecards) >= 5

    # The fixed sign-ins have something to show
    supplier = _company_of("supplier@demo.sharefab.cn")
    assert db.session.scalar(select(func.count()).where(Machine.company_id == supplier)) >= 5
    assert (
        db.session.scalar(select(func.count()).where(CapacityListing.company_id == supplier)) >= 2
    )
    supplier_quotes = {quote.status for quote in quotes if quote.supplier_company_id == supplier}
    assert {QuoteStatus.SUBMITTED, QuoteStatus.ACCEPTED} <= supplier_quotes
    supplier_packages = set(
        db.session.scalars(
            select(WorkPackage.status).where(WorkPackage.supplier_company_id == supplier)
        )
    )
    assert len(supplier_packages) >= 4, supplier_packages
    buyer = _company_of("buyer@demo.sharefab.cn")
    buyer_orders = [order for order in orders if order.buyer_company_id == buyer]
    assert {order.status for order in buyer_orders} == set(OrderStatus)
    assert any(len(order.packages) >= 2 for order in buyer_orders), "buyer-001 has no split order"
    comparable = [
        order
        for order in buyer_orders
        if order.status is OrderStatus.QUOTED
        and sum(q.status is QuoteStatus.SUBMITTED for q in order.quotes) >= 3
    ]
    assert comparable, "buyer-001 has no order with quotes to compare"

    # The packages' moves are in the ledger, every batch anchored, and a proof verifies
    assert "seeded ledger" in result.output
    entries = list(db.session.scalars(select(LedgerEntry)))
    awarded_packages = db.session.scalar(select(func.count(WorkPackage.id)))
    assert sum(e.body.get("type") == "package_awarded" for e in entries) == awarded_packages
    assert {"shipping", "receiving", "accepting", "inspecting"} <= {e.biz_step for e in entries}
    batches = list(db.session.scalars(select(LedgerBatch)))
    assert batches and {batch.status for batch in batches} == {BatchStatus.CONFIRMED}
    assert sum(batch.count for batch in batches) == len(entries)
    proof = ledger_services.proof_of(entries[len(entries) // 2])
    chain = ledger_services.ledger_chain()
    assert verify_proof_document(proof, chain.root_of).verified


def test_seeding_a_database_with_data_again_is_refused_and_if_empty_skips(app: Flask) -> None:
    # Given a database that holds the demo accounts and a machine
    seed_accounts()
    owner = db.session.scalar(select(User).where(User.email == "supplier@demo.sharefab.cn"))
    machines.register_machine(
        principal_of(owner),
        kind="cnc_lathe",
        processes=["cnc_turning"],
        materials=["steel_45"],
        name="CK6150",
        envelope_x_mm=500,
        envelope_y_mm=500,
        envelope_z_mm=1000,
        tolerance_mm=Decimal("0.02"),
        rate_amount=Decimal("80"),
        rate_currency="CNY",
        rate_unit="machine_hour",
    )
    companies = db.session.scalar(select(func.count(Company.id)))
    runner = app.test_cli_runner()

    # When the seed command runs again, with and without --if-empty
    again = runner.invoke(args=["demo", "seed"])
    skipped = runner.invoke(args=["demo", "seed", "--if-empty"])

    # Then the first is refused, the second does nothing, and nothing was added
    assert again.exit_code != 0 and "already has companies" in again.output
    assert skipped.exit_code == 0 and "not seeding" in skipped.output
    assert db.session.scalar(select(func.count(Company.id))) == companies
    assert db.session.scalar(select(func.count(Machine.id))) == 1
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_the_production_seeder_refuses_a_database_that_has_machines(app: Flask) -> None:
    # Given the demo accounts and one machine (as in the test above, through the service)
    seed_accounts()
    owner = db.session.scalar(select(User).where(User.email == "supplier@demo.sharefab.cn"))
    machines.register_machine(
        principal_of(owner),
        kind="cnc_lathe",
        processes=["cnc_turning"],
        materials=[],
        name="CK6150",
        envelope_x_mm=500,
        envelope_y_mm=500,
        envelope_z_mm=1000,
        tolerance_mm=Decimal("0.02"),
        rate_amount=Decimal("80"),
        rate_currency="CNY",
        rate_unit="machine_hour",
    )

    # When the production seeder runs, then it refuses and adds nothing
    with pytest.raises(click.ClickException, match="already has machines or orders"):
        seed_production()
    assert db.session.scalar(select(func.count(Machine.id))) == 1
    assert db.session.scalar(select(func.count(CapacityListing.id))) == 0
