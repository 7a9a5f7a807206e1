"""Builders for marketplace tests: a supplier with a machine and capacity, a buyer with an order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.db import utcnow
from marketplace.services import machines, orders
from tests.factories import BuyerFactory, UserFactory, principal_of


def today() -> date:
    return utcnow().date()


def supplier_with_capacity(hours_per_day: int = 8, weeks: int = 8, **listing):
    """A supplier owner with a 3-axis mill listed at `hours_per_day` on weekdays."""
    owner = UserFactory()
    principal = principal_of(owner)
    machine = machines.register_machine(
        principal,
        kind="cnc_mill_3axis",
        processes=["cnc_milling_3axis"],
        materials=["al_6061"],
        name="VMC 850",
        envelope_x_mm=850,
        envelope_y_mm=500,
        envelope_z_mm=500,
        tolerance_mm=Decimal("0.01"),
        rate_amount=Decimal("120"),
        rate_currency="CNY",
        rate_unit="machine_hour",
    )
    fields = dict(
        title="VMC 850 free hours",
        weekday_hours=[Decimal(hours_per_day)] * 5 + [Decimal(0)] * 2,
        start_date=today(),
        end_date=today() + timedelta(weeks=weeks),
        price_amount=Decimal("120"),
        price_currency="CNY",
        price_unit="machine_hour",
        lead_time_days=10,
        machine_id=machine.id,
    )
    fields.update(listing)
    listing_row = machines.create_listing(principal, **fields)
    return principal, listing_row


def buyer_with_order(
    quantity: int = 100, splittable: bool = True, min_lot: int = 10, days: int = 30, **extra
):
    buyer = BuyerFactory()
    principal = principal_of(buyer)
    fields = dict(
        title="Aluminium brackets",
        description="6061-T6, anodised",
        process="cnc_milling_3axis",
        material="al_6061",
        quantity=quantity,
        tolerance_mm=Decimal("0.05"),
        part_x_mm=120,
        part_y_mm=80,
        part_z_mm=30,
        due_date=today() + timedelta(days=days),
        target_unit_price=Decimal("35"),
        currency="CNY",
        delivery_city="苏州市",
        splittable=splittable,
        min_lot=min_lot,
    )
    fields.update(extra)
    order = orders.create_order(principal, fields, publish=True)
    return principal, order


def quote(supplier, listing, order, *, quantity=None, hours="20", price="30", valid_days=14):
    return orders.submit_quote(
        supplier,
        order.id,
        {
            "listing_id": listing.id,
            "unit_price": Decimal(price),
            "quantity": quantity or order.quantity,
            "machine_hours": Decimal(hours),
            "lead_time_days": 7,
            "valid_until": today() + timedelta(days=valid_days),
            "note": "",
        },
    )
