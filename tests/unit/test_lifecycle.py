"""Every state machine: every pair of statuses, for every actor, against its transition table."""

from __future__ import annotations

import itertools

import pytest

from core.errors import InvalidTransition, PermissionDenied
from marketplace.lifecycle import (
    LISTING_TRANSITIONS,
    MACHINE_TRANSITIONS,
    ORDER_TRANSITIONS,
    PACKAGE_TRANSITIONS,
    QUOTE_TRANSITIONS,
    Actor,
    ListingStatus,
    MachineStatus,
    OrderStatus,
    PackageStatus,
    QuoteStatus,
    check_transition,
    derive_order_status,
)

MACHINES = [
    ("machine", MACHINE_TRANSITIONS, MachineStatus),
    ("listing", LISTING_TRANSITIONS, ListingStatus),
    ("order", ORDER_TRANSITIONS, OrderStatus),
    ("quote", QUOTE_TRANSITIONS, QuoteStatus),
    ("package", PACKAGE_TRANSITIONS, PackageStatus),
]

CASES = [
    pytest.param(table, current, target, actor, id=f"{name}:{current}->{target} by {actor}")
    for name, table, statuses in MACHINES
    for current, target in itertools.product(statuses, repeat=2)
    for actor in Actor
]


@pytest.mark.parametrize(("table", "current", "target", "actor"), CASES)
def test_every_status_pair_for_every_actor(table, current, target, actor):
    allowed = table.get(current, {}).get(target)
    if allowed is None:
        with pytest.raises(InvalidTransition):
            check_transition(table, current, target, actor)
    elif actor in allowed:
        check_transition(table, current, target, actor)
    else:
        with pytest.raises(PermissionDenied):
            check_transition(table, current, target, actor)


@pytest.mark.parametrize(("name", "table", "statuses"), MACHINES, ids=[m[0] for m in MACHINES])
def test_every_status_has_a_row(name, table, statuses):
    assert set(table) == set(statuses)


def test_the_package_path_of_the_issue_is_walkable():
    path = [
        (PackageStatus.ACCEPTED, PackageStatus.IN_PRODUCTION, Actor.SUPPLIER),
        (PackageStatus.IN_PRODUCTION, PackageStatus.QUALITY_CHECK, Actor.SUPPLIER),
        (PackageStatus.QUALITY_CHECK, PackageStatus.SHIPPED, Actor.SUPPLIER),
        (PackageStatus.SHIPPED, PackageStatus.DELIVERED, Actor.BUYER),
        (PackageStatus.DELIVERED, PackageStatus.ACCEPTED_BY_BUYER, Actor.BUYER),
    ]
    for current, target, actor in path:
        check_transition(PACKAGE_TRANSITIONS, current, target, actor)
    check_transition(
        PACKAGE_TRANSITIONS, PackageStatus.DELIVERED, PackageStatus.DISPUTED, Actor.BUYER
    )
    check_transition(
        PACKAGE_TRANSITIONS, PackageStatus.DISPUTED, PackageStatus.RESOLVED, Actor.OPERATOR
    )


def test_terminal_package_statuses_go_nowhere():
    for status in (
        PackageStatus.ACCEPTED_BY_BUYER,
        PackageStatus.RESOLVED,
        PackageStatus.CANCELLED,
    ):
        assert PACKAGE_TRANSITIONS[status] == {}


@pytest.mark.parametrize(
    ("packages", "expected"),
    [
        ([PackageStatus.ACCEPTED, PackageStatus.ACCEPTED], OrderStatus.AWARDED),
        ([PackageStatus.ACCEPTED, PackageStatus.IN_PRODUCTION], OrderStatus.IN_PRODUCTION),
        ([PackageStatus.DELIVERED, PackageStatus.SHIPPED], OrderStatus.IN_PRODUCTION),
        ([PackageStatus.DELIVERED, PackageStatus.ACCEPTED_BY_BUYER], OrderStatus.DELIVERED),
        ([PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.CANCELLED], OrderStatus.COMPLETED),
        ([PackageStatus.DISPUTED, PackageStatus.ACCEPTED_BY_BUYER], OrderStatus.DISPUTED),
        ([PackageStatus.CANCELLED, PackageStatus.CANCELLED], OrderStatus.CANCELLED),
        ([PackageStatus.RESOLVED], OrderStatus.COMPLETED),
    ],
)
def test_order_status_is_derived_from_its_packages(packages, expected):
    assert derive_order_status(packages) is expected


def test_every_derived_order_status_is_reachable_in_the_table():
    derived = {
        OrderStatus.AWARDED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
        OrderStatus.DISPUTED,
        OrderStatus.CANCELLED,
    }
    for current in derived - {OrderStatus.COMPLETED, OrderStatus.CANCELLED}:
        for target in derived - {current}:
            check_transition(ORDER_TRANSITIONS, current, target, Actor.SYSTEM)
