"""State machines of the marketplace: one transition table per machine, and the checks on them.

Pure Python (no Flask, no SQLAlchemy). Each table maps a status to the statuses it may move to and
who may make the move; services call `check_transition` before changing a status and record a
history row afterwards.
"""

from __future__ import annotations

from enum import StrEnum

from core.errors import InvalidTransition, PermissionDenied
from core.translatable import N_


class Actor(StrEnum):
    """Who asks for a change: the buyer's company, the supplier's, an operator or the platform."""

    BUYER = "buyer"
    SUPPLIER = "supplier"
    OPERATOR = "operator"
    SYSTEM = "system"


class MachineStatus(StrEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class ListingStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FULLY_BOOKED = "fully_booked"
    CLOSED = "closed"


class OrderStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    QUOTED = "quoted"
    AWARDED = "awarded"
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


class QuoteStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class PackageStatus(StrEnum):
    ACCEPTED = "accepted"
    IN_PRODUCTION = "in_production"
    QUALITY_CHECK = "quality_check"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ACCEPTED_BY_BUYER = "accepted_by_buyer"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


Table = dict[StrEnum, dict[StrEnum, frozenset[Actor]]]

# Short names keep the tables readable.
S, B, OP, X = Actor.SUPPLIER, Actor.BUYER, Actor.OPERATOR, Actor.SYSTEM

MACHINE_TRANSITIONS: Table = {
    MachineStatus.ACTIVE: {
        MachineStatus.MAINTENANCE: frozenset({S}),
        MachineStatus.RETIRED: frozenset({S}),
    },
    MachineStatus.MAINTENANCE: {
        MachineStatus.ACTIVE: frozenset({S}),
        MachineStatus.RETIRED: frozenset({S}),
    },
    MachineStatus.RETIRED: {},
}

LISTING_TRANSITIONS: Table = {
    ListingStatus.ACTIVE: {
        ListingStatus.PAUSED: frozenset({S}),
        ListingStatus.FULLY_BOOKED: frozenset({X}),
        ListingStatus.CLOSED: frozenset({S}),
    },
    ListingStatus.PAUSED: {
        ListingStatus.ACTIVE: frozenset({S}),
        ListingStatus.CLOSED: frozenset({S}),
    },
    ListingStatus.FULLY_BOOKED: {
        ListingStatus.ACTIVE: frozenset({X}),
        ListingStatus.CLOSED: frozenset({S}),
    },
    ListingStatus.CLOSED: {},
}

_DERIVED_ORDER_STATUSES = (
    OrderStatus.AWARDED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.DELIVERED,
    OrderStatus.DISPUTED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
)

# Before the award the buyer drives the order; afterwards its status follows its packages (SYSTEM).
ORDER_TRANSITIONS: Table = {
    OrderStatus.DRAFT: {
        OrderStatus.PUBLISHED: frozenset({B}),
        OrderStatus.CANCELLED: frozenset({B}),
    },
    OrderStatus.PUBLISHED: {
        OrderStatus.QUOTED: frozenset({X}),
        OrderStatus.AWARDED: frozenset({B}),
        OrderStatus.CANCELLED: frozenset({B}),
    },
    OrderStatus.QUOTED: {
        OrderStatus.AWARDED: frozenset({B}),
        OrderStatus.CANCELLED: frozenset({B}),
    },
    # After the award the status is derived from the packages (`derive_order_status`).
    **{
        status: {target: frozenset({X}) for target in _DERIVED_ORDER_STATUSES if target != status}
        for status in _DERIVED_ORDER_STATUSES
        if status not in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
    },
    OrderStatus.COMPLETED: {},
    OrderStatus.CANCELLED: {},
}

QUOTE_TRANSITIONS: Table = {
    QuoteStatus.SUBMITTED: {
        QuoteStatus.WITHDRAWN: frozenset({S}),
        QuoteStatus.ACCEPTED: frozenset({B}),
        QuoteStatus.REJECTED: frozenset({B, X}),
    },
    QuoteStatus.WITHDRAWN: {QuoteStatus.SUBMITTED: frozenset({S})},
    QuoteStatus.ACCEPTED: {},
    QuoteStatus.REJECTED: {},
}

PACKAGE_TRANSITIONS: Table = {
    PackageStatus.ACCEPTED: {
        PackageStatus.IN_PRODUCTION: frozenset({S}),
        PackageStatus.CANCELLED: frozenset({S, B}),
    },
    PackageStatus.IN_PRODUCTION: {
        PackageStatus.QUALITY_CHECK: frozenset({S}),
        PackageStatus.CANCELLED: frozenset({OP}),
    },
    PackageStatus.QUALITY_CHECK: {
        PackageStatus.SHIPPED: frozenset({S}),
        PackageStatus.IN_PRODUCTION: frozenset({S}),  # failed inspection: back to rework
    },
    PackageStatus.SHIPPED: {PackageStatus.DELIVERED: frozenset({S, B})},
    PackageStatus.DELIVERED: {
        PackageStatus.ACCEPTED_BY_BUYER: frozenset({B}),
        PackageStatus.DISPUTED: frozenset({B}),
    },
    PackageStatus.DISPUTED: {PackageStatus.RESOLVED: frozenset({OP})},
    PackageStatus.ACCEPTED_BY_BUYER: {},
    PackageStatus.RESOLVED: {},
    PackageStatus.CANCELLED: {},
}

# Packages that still hold capacity and count towards the order's progress.
OPEN_PACKAGE_STATUSES = frozenset(
    {
        PackageStatus.ACCEPTED,
        PackageStatus.IN_PRODUCTION,
        PackageStatus.QUALITY_CHECK,
        PackageStatus.SHIPPED,
        PackageStatus.DELIVERED,
        PackageStatus.DISPUTED,
    }
)
CLOSED_PACKAGE_STATUSES = frozenset(
    {PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.RESOLVED, PackageStatus.CANCELLED}
)


def allowed_transitions(table: Table, status: StrEnum, actor: Actor) -> list[StrEnum]:
    """Statuses `actor` may move to from `status`, in table order."""
    return [target for target, actors in table.get(status, {}).items() if actor in actors]


def check_transition(table: Table, current: StrEnum, target: StrEnum, actor: Actor) -> None:
    """Raise unless `actor` may move from `current` to `target` under `table`.

    Raises:
        InvalidTransition: when the table has no such move.
        PermissionDenied: when the move exists but belongs to someone else.
    """
    moves = table.get(current, {})
    if target not in moves:
        raise InvalidTransition(
            N_("A %(kind)s cannot go from %(current)s to %(target)s."),
            field="status",
            kind=type(current).__name__.removesuffix("Status").lower(),
            current=current.value,
            target=target.value,
        )
    if actor not in moves[target]:
        raise PermissionDenied(
            N_("Only the %(allowed)s may make this change."),
            allowed=" / ".join(sorted(actor.value for actor in moves[target])),
        )


def derive_order_status(package_statuses: list[PackageStatus]) -> OrderStatus:
    """The status of an awarded order, from its packages.

    Any dispute shows; otherwise the least advanced open package sets the pace; all cancelled
    means cancelled; all closed (accepted or resolved) means completed.
    """
    live = [status for status in package_statuses if status is not PackageStatus.CANCELLED]
    if not live:
        return OrderStatus.CANCELLED
    if PackageStatus.DISPUTED in live:
        return OrderStatus.DISPUTED
    if all(status in CLOSED_PACKAGE_STATUSES for status in live):
        return OrderStatus.COMPLETED
    if all(
        status in (PackageStatus.DELIVERED, PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.RESOLVED)
        for status in live
    ):
        return OrderStatus.DELIVERED
    if all(status is PackageStatus.ACCEPTED for status in live):
        return OrderStatus.AWARDED
    return OrderStatus.IN_PRODUCTION
