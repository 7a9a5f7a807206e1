"""Helpers the marketplace services share: the acting company and status history."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import select

from core.auth import Principal
from core.db import DbSession, db, utcnow
from core.errors import NotFound
from core.outbox import enqueue
from core.translatable import N_
from marketplace.domain import CompanyRole
from marketplace.lifecycle import Actor, Table, check_transition
from marketplace.models import Company, StatusChange
from marketplace.production import BuyerRoleRequired, SupplierRoleRequired

T = TypeVar("T")


def acting_company(principal: Principal, role: CompanyRole) -> Company:
    """The principal's company, which must play `role`.

    Raises:
        NotFound when the principal has no company; Supplier/BuyerRoleRequired for the wrong role.
    """
    company = db.session.get(Company, principal.company_id) if principal.company_id else None
    if company is None:
        raise NotFound(N_("You do not belong to a company."))
    if not company.has_role(role):
        raise SupplierRoleRequired() if role is CompanyRole.SUPPLIER else BuyerRoleRequired()
    return company


def change_status(
    session: DbSession,
    record: object,
    *,
    entity: str,
    table: Table,
    target: StrEnum,
    actor: Actor,
    principal: Principal | None,
    note: str = "",
) -> None:
    """Move `record.status` to `target` if the table allows it, and keep a history row.

    Raises:
        InvalidTransition / PermissionDenied from the transition table.
    """
    current = record.status  # type: ignore[attr-defined]
    check_transition(table, current, target, actor)
    record.status = target  # type: ignore[attr-defined]
    record_status(session, entity, record, current, target, actor, principal, note)


def record_status(
    session: DbSession,
    entity: str,
    record: object,
    previous: StrEnum | None,
    target: StrEnum,
    actor: Actor,
    principal: Principal | None,
    note: str = "",
) -> None:
    """Write the history row of a status change (the record must have its id)."""
    session.flush()
    session.add(
        StatusChange(
            entity=entity,
            entity_id=record.id,  # type: ignore[attr-defined]
            from_status=previous.value if previous is not None else None,
            to_status=target.value,
            actor_role=actor.value,
            actor_id=principal.user_id if principal else None,
            note=note.strip(),
        )
    )


def history_of(entity: str, entity_id: int) -> list[StatusChange]:
    """The status changes of one record, oldest first."""
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity == entity, StatusChange.entity_id == entity_id)
            .order_by(StatusChange.id)
        )
    )


def get_for_update(model: type[T], record_id: int) -> T | None:
    """Load a row and, on PostgreSQL, lock it until the transaction ends.

    Use it before checking and changing a row that parallel requests (a double click, a client
    retry) may change too: the second waits, then sees the first one's result.
    """
    statement = select(model).where(model.id == record_id)  # type: ignore[attr-defined]
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return db.session.scalar(statement.execution_options(populate_existing=True))


def enqueue_ledger_event(
    session: DbSession, package: Any, status: str, *, quality_passed: bool | None = None
) -> None:
    """Have the ledger record that a work package moved, as a fact nobody can quietly change.

    The message carries everything the ledger needs (it reads no marketplace table), including
    the moment, so a replayed message records the same fact once.
    """
    enqueue(
        session,
        "ledger.package_event",
        package_id=package.id,
        order_id=package.order_id,
        buyer_company_id=package.order.buyer_company_id,
        supplier_company_id=package.supplier_company_id,
        status=status,
        quantity=package.quantity,
        at=utcnow().isoformat(),
        quality_passed=quality_passed,
    )


def enqueue_rematch(session: DbSession, what: str, record_id: int) -> None:
    """Have stored matches recomputed, after the commit, for what a change to this record affects.

    `what` is "order", "listing", "machine" or "company"; the matching tasks know the rest.
    """
    enqueue(session, f"matching.{what}_changed", **{f"{what}_id": record_id})
