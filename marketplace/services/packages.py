"""Use cases of work packages: the production lifecycle, milestones, reviews and scorecards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.auth import Principal
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.outbox import enqueue
from core.pagination import Page, paginate
from core.translatable import N_
from core.unit_of_work import unit_of_work
from marketplace.lifecycle import (
    CLOSED_PACKAGE_STATUSES,
    ORDER_TRANSITIONS,
    PACKAGE_TRANSITIONS,
    Actor,
    PackageStatus,
    derive_order_status,
)
from marketplace.models import (
    CapacityBooking,
    Milestone,
    Order,
    Review,
    StatusChange,
    SupplierScorecard,
    WorkPackage,
)
from marketplace.production import MIN_HISTORY_FOR_SCORECARD, PackageOutcome, compute_scorecard
from marketplace.services.common import (
    change_status,
    enqueue_ledger_event,
    enqueue_rematch,
    get_for_update,
)
from marketplace.services.machines import release_booking

IN_PRODUCTION_STATUSES = frozenset(
    {PackageStatus.ACCEPTED, PackageStatus.IN_PRODUCTION, PackageStatus.QUALITY_CHECK}
)

# Once shipped, a package needs no more machine time: its hours go back to the listing.
RELEASES_CAPACITY = frozenset({PackageStatus.SHIPPED, PackageStatus.CANCELLED})


class ReviewNotAllowed(InvalidInput):
    code = "review-not-allowed"


def _package_for(
    principal: Principal, package_id: int, *, lock: bool = False
) -> tuple[WorkPackage, Actor]:
    """A package (locked for a change when asked) and the role the caller plays on it.

    Raises:
        NotFound unless the caller is its supplier, its buyer or an operator.
    """
    package = (
        get_for_update(WorkPackage, package_id) if lock else db.session.get(WorkPackage, package_id)
    )
    if package is None:
        raise NotFound(N_("There is no such work package."))
    if package.supplier_company_id == principal.company_id:
        return package, Actor.SUPPLIER
    if package.order.buyer_company_id == principal.company_id:
        return package, Actor.BUYER
    if principal.is_operator:
        return package, Actor.OPERATOR
    raise NotFound(N_("There is no such work package."))


def get_package(principal: Principal, package_id: int) -> WorkPackage:
    """Raises: NotFound for packages the caller is not part of."""
    return _package_for(principal, package_id)[0]


def transition_package(
    principal: Principal,
    package_id: int,
    target: PackageStatus,
    *,
    note: str = "",
    quality_passed: bool | None = None,
) -> WorkPackage:
    """Move a package along its lifecycle, as its supplier, buyer or an operator.

    Leaving quality check needs the inspection result: passed → shipped, failed → back to
    production. Closing a package gives its booked hours back to the listing.

    Raises:
        NotFound; InvalidTransition / PermissionDenied from the transition table; InvalidInput.
    """
    with unit_of_work() as session:
        package, actor = _package_for(principal, package_id, lock=True)
        if package.status is PackageStatus.QUALITY_CHECK and target in (
            PackageStatus.SHIPPED,
            PackageStatus.IN_PRODUCTION,
        ):
            expected = target is PackageStatus.SHIPPED
            if quality_passed is None:
                quality_passed = expected
            if quality_passed is not expected:
                raise InvalidInput(
                    N_("A failed inspection sends the package back to production, not out."),
                    field="quality_passed",
                )
            package.quality_passed = quality_passed
        if target is PackageStatus.DISPUTED and not note.strip():
            raise InvalidInput(N_("Say what is wrong when you dispute a delivery."), field="note")
        change_status(
            session,
            package,
            entity="package",
            table=PACKAGE_TRANSITIONS,
            target=target,
            actor=actor,
            principal=principal,
            note=note,
        )
        now = utcnow()
        if target is PackageStatus.DELIVERED:
            package.delivered_at = now
            package.progress_pct = 100
        if target in CLOSED_PACKAGE_STATUSES:
            package.closed_at = now
        if target in RELEASES_CAPACITY:
            booking = session.scalar(
                select(CapacityBooking).where(CapacityBooking.work_package_id == package.id)
            )
            if booking is not None:
                release_booking(session, booking)
        _sync_order_status(session, package.order, principal)
        enqueue(session, "marketplace.package_changed", package_id=package.id, status=target.value)
        enqueue_ledger_event(session, package, target.value, quality_passed=quality_passed)
    return package


def _sync_order_status(session, order: Order, principal: Principal | None) -> None:
    derived = derive_order_status([package.status for package in order.packages])
    if derived is not order.status:
        change_status(
            session,
            order,
            entity="order",
            table=ORDER_TRANSITIONS,
            target=derived,
            actor=Actor.SYSTEM,
            principal=principal,
        )


def report_progress(
    principal: Principal, package_id: int, *, progress_pct: int, forecast_date: date, note: str = ""
) -> Milestone:
    """The supplier reports how far a package is and when it expects to finish.

    Raises:
        NotFound; PermissionDenied for anyone but the supplier; InvalidInput.
    """
    with unit_of_work() as session:
        package, actor = _package_for(principal, package_id, lock=True)
        if actor is not Actor.SUPPLIER:
            raise PermissionDenied(N_("Only the supplier reports progress."))
        if package.status not in IN_PRODUCTION_STATUSES:
            raise InvalidInput(
                N_("Progress is reported while the work is in the shop."), field="progress_pct"
            )
        if not 0 <= progress_pct <= 100:
            raise InvalidInput(N_("Progress is a percentage from 0 to 100."), field="progress_pct")
        if forecast_date < package.created_at.date():
            raise InvalidInput(N_("The forecast date is before the award."), field="forecast_date")
        milestone = Milestone(
            package_id=package.id,
            progress_pct=progress_pct,
            forecast_date=forecast_date,
            note=note.strip(),
            reported_by_id=principal.user_id,
        )
        session.add(milestone)
        package.progress_pct = progress_pct
        package.forecast_date = forecast_date
        # Progress shrinks the hours the package still books on the supplier's listings.
        enqueue_rematch(session, "company", package.supplier_company_id)
    return milestone


def review_package(
    principal: Principal,
    package_id: int,
    *,
    quality: int,
    delivery: int,
    communication: int,
    comment: str = "",
) -> Review:
    """The buyer rates a package it accepted (once).

    Raises:
        NotFound; ReviewNotAllowed before acceptance, for non-buyers or a second review.
    """
    with unit_of_work() as session:
        package, actor = _package_for(principal, package_id, lock=True)
        if actor is not Actor.BUYER:
            raise ReviewNotAllowed(N_("Only the buyer reviews a package."))
        if package.status not in (PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.RESOLVED):
            raise ReviewNotAllowed(N_("A package is reviewed after you accept it."))
        if package.review is not None:
            raise ReviewNotAllowed(N_("This package is already reviewed."))
        for name, value in (
            ("quality", quality),
            ("delivery", delivery),
            ("communication", communication),
        ):
            if not 1 <= value <= 5:
                raise InvalidInput(N_("Ratings are from 1 to 5."), field=name)
        review = Review(
            package_id=package.id,
            supplier_company_id=package.supplier_company_id,
            buyer_company_id=package.order.buyer_company_id,
            quality=quality,
            delivery=delivery,
            communication=communication,
            comment=comment.strip(),
            author_id=principal.user_id,
        )
        session.add(review)
        enqueue(session, "marketplace.package_changed", package_id=package.id, status="reviewed")
    return review


def list_packages(
    principal: Principal, *, as_role: Actor, limit: int | None, cursor: str | None
) -> Page:
    """The caller's packages as supplier (its work) or as buyer (its orders' packages)."""
    statement = select(WorkPackage).options(selectinload(WorkPackage.order))
    if as_role is Actor.SUPPLIER:
        statement = statement.where(WorkPackage.supplier_company_id == principal.company_id)
    else:
        statement = statement.join(Order).where(Order.buyer_company_id == principal.company_id)
    return paginate(db.session, statement, WorkPackage.id, limit=limit, cursor=cursor)


def recompute_scorecard_of_package(package_id: int) -> int | None:
    """Rebuild the scorecard of the package's supplier; return that supplier's company id."""
    package = db.session.get(WorkPackage, package_id)
    if package is None:
        return None
    recompute_scorecard(package.supplier_company_id)
    return package.supplier_company_id


def recompute_scorecard(company_id: int) -> SupplierScorecard:
    """Rebuild a supplier's scorecard from its finished packages and reviews."""
    finished = db.session.scalars(
        select(WorkPackage).where(
            WorkPackage.supplier_company_id == company_id,
            WorkPackage.delivered_at.is_not(None),
            WorkPackage.status.in_(
                [PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.DISPUTED, PackageStatus.RESOLVED]
            ),
        )
    ).all()
    outcomes = [
        PackageOutcome(
            on_time=package.delivered_at.date() <= package.due_date,
            disputed=package.status in (PackageStatus.DISPUTED, PackageStatus.RESOLVED)
            and _was_disputed(package.id),
        )
        for package in finished
    ]
    ratings = [
        Decimal(review.quality + review.delivery + review.communication) / 3
        for review in db.session.scalars(
            select(Review).where(Review.supplier_company_id == company_id)
        )
    ]
    figures = compute_scorecard(outcomes, ratings)
    delivered = db.session.scalar(
        select(func.count(WorkPackage.id)).where(
            WorkPackage.supplier_company_id == company_id, WorkPackage.delivered_at.is_not(None)
        )
    )
    with unit_of_work() as session:
        scorecard = session.get(SupplierScorecard, company_id) or SupplierScorecard(
            company_id=company_id
        )
        scorecard.completed_packages = figures.completed_packages
        scorecard.delivered_packages = delivered or 0
        scorecard.on_time_rate = figures.on_time_rate
        scorecard.quality_acceptance_rate = figures.quality_acceptance_rate
        scorecard.dispute_rate = figures.dispute_rate
        scorecard.average_rating = figures.average_rating
        scorecard.ratings_count = figures.ratings_count
        scorecard.updated_at = utcnow()
        session.add(scorecard)
        enqueue_rematch(session, "company", company_id)  # its record weighs in its rankings
    return scorecard


def _was_disputed(package_id: int) -> bool:
    return (
        db.session.scalar(
            select(StatusChange.id).where(
                StatusChange.entity == "package",
                StatusChange.entity_id == package_id,
                StatusChange.to_status == PackageStatus.DISPUTED.value,
            )
        )
        is not None
    )


def get_scorecard(company_id: int) -> SupplierScorecard | None:
    """A supplier's scorecard (public to every signed-in company), or None before any history."""
    return db.session.get(SupplierScorecard, company_id)


def has_enough_history(scorecard: SupplierScorecard | None) -> bool:
    """Rates over fewer packages than this say more about luck than about the shop."""
    return scorecard is not None and scorecard.completed_packages >= MIN_HISTORY_FOR_SCORECARD
