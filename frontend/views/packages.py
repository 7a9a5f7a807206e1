"""Work packages for both sides: the timeline, status moves, milestones and the review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.auth import Principal
from core.errors import DomainError
from frontend.production_forms import MilestoneForm, NoteForm, ReviewForm
from frontend.views.common import acting_principal, company_required
from frontend.views.production_common import (
    CAUTIOUS_TARGETS,
    PACKAGE_ACTIONS,
    PACKAGE_STATUS_LABELS,
    company_has_role,
    flash_saved,
    page_of,
    reraise_not_found,
    show_error,
)
from marketplace import services
from marketplace.domain import CompanyRole
from marketplace.lifecycle import (
    CLOSED_PACKAGE_STATUSES,
    PACKAGE_TRANSITIONS,
    Actor,
    PackageStatus,
    allowed_transitions,
)
from marketplace.models import WorkPackage
from marketplace.services import packages as package_service
from marketplace.services.common import history_of

PAGE_SIZE = 30


def _actor_on(package: WorkPackage, principal: Principal) -> Actor:
    if package.supplier_company_id == principal.company_id:
        return Actor.SUPPLIER
    if package.order.buyer_company_id == principal.company_id:
        return Actor.BUYER
    return Actor.OPERATOR


@company_required
def packages():
    is_supplier = company_has_role(CompanyRole.SUPPLIER)
    is_buyer = company_has_role(CompanyRole.BUYER)
    side = request.args.get("as")
    if side not in ("supplier", "buyer") or (side == "supplier" and not is_supplier):
        side = "supplier" if is_supplier else "buyer"
    if side == "buyer" and not is_buyer and is_supplier:
        side = "supplier"
    page = package_service.list_packages(
        acting_principal(),
        as_role=Actor(side),
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "packages/list.html",
        page=page,
        side=side,
        both_sides=is_supplier and is_buyer,
    )


@dataclass(frozen=True)
class TimelineEntry:
    """A status change or a progress report, in the order they happened."""

    at: datetime
    kind: str  # "status" or "milestone"
    status: str | None = None
    previous: str | None = None
    actor: str | None = None
    note: str = ""
    progress: int | None = None
    forecast: date | None = None


def _timeline(package: WorkPackage) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=change.created_at,
            kind="status",
            status=change.to_status,
            previous=change.from_status,
            actor=change.actor_role,
            note=change.note,
        )
        for change in history_of("package", package.id)
    ]
    entries += [
        TimelineEntry(
            at=milestone.created_at,
            kind="milestone",
            note=milestone.note,
            progress=milestone.progress_pct,
            forecast=milestone.forecast_date,
        )
        for milestone in package.milestones
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def _milestone_form(package: WorkPackage) -> MilestoneForm:
    form = MilestoneForm(formdata=None)
    form.progress_pct.data = package.progress_pct
    form.forecast_date.data = package.forecast_date or package.promised_date
    return form


def _package_page(
    package_id: int,
    *,
    note_form: NoteForm | None = None,
    milestone_form: MilestoneForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
):
    principal = acting_principal()
    package = package_service.get_package(principal, package_id)
    actor = _actor_on(package, principal)
    moves = [
        (target, PACKAGE_ACTIONS[(package.status, target)], target in CAUTIOUS_TARGETS)
        for target in allowed_transitions(PACKAGE_TRANSITIONS, package.status, actor)
        if (package.status, target) in PACKAGE_ACTIONS
    ]
    reporting = actor is Actor.SUPPLIER and package.status not in (
        *CLOSED_PACKAGE_STATUSES,
        PackageStatus.DELIVERED,
    )
    reviewable = (
        actor is Actor.BUYER
        and package.review is None
        and package.status in (PackageStatus.ACCEPTED_BY_BUYER, PackageStatus.RESOLVED)
    )
    scorecard = package_service.get_scorecard(package.supplier_company_id)
    return (
        render_template(
            "packages/detail.html",
            package=package,
            order=package.order,
            actor=actor.value,
            moves=moves,
            note_form=note_form or NoteForm(formdata=None),
            milestone_form=(milestone_form or _milestone_form(package)) if reporting else None,
            review_form=(review_form or ReviewForm(formdata=None)) if reviewable else None,
            timeline=_timeline(package),
            supplier=services.public_company(package.supplier_company_id),
            buyer=services.public_company(package.order.buyer_company_id),
            scorecard=scorecard,
            enough_history=package_service.has_enough_history(scorecard),
            late=bool(package.forecast_date and package.forecast_date > package.promised_date),
        ),
        status,
    )


@company_required
def package(package_id: int):
    return _package_page(package_id)


@company_required
def change_package_status(package_id: int):
    form = NoteForm()
    principal = acting_principal()
    current = package_service.get_package(principal, package_id)
    try:
        target = PackageStatus(request.form.get("target", ""))
    except ValueError:
        return redirect(url_for("frontend.package", package_id=package_id))
    if form.validate_on_submit():
        quality_passed = None
        if current.status is PackageStatus.QUALITY_CHECK:
            quality_passed = target is PackageStatus.SHIPPED
        try:
            package_service.transition_package(
                principal,
                package_id,
                target,
                note=form.note.data or "",
                quality_passed=quality_passed,
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            flash_saved(
                _("The package is now: %(status)s.", status=_(PACKAGE_STATUS_LABELS[target]))
            )
            return redirect(url_for("frontend.package", package_id=package_id))
    return _package_page(package_id, note_form=form, status=422)


@company_required
def report_progress(package_id: int):
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            package_service.report_progress(
                acting_principal(),
                package_id,
                progress_pct=form.progress_pct.data,
                forecast_date=form.forecast_date.data,
                note=form.progress_note.data or "",
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error, note="progress_note")
        else:
            flash_saved(_("Your progress report is added to the timeline."))
            return redirect(url_for("frontend.package", package_id=package_id))
    return _package_page(package_id, milestone_form=form, status=422)


@company_required
def review_package(package_id: int):
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            package_service.review_package(
                acting_principal(),
                package_id,
                quality=int(form.quality.data),
                delivery=int(form.delivery.data),
                communication=int(form.communication.data),
                comment=form.comment.data or "",
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            flash_saved(_("Thank you: your review is saved."))
            return redirect(url_for("frontend.package", package_id=package_id))
    return _package_page(package_id, review_form=form, status=422)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/packages", view_func=packages)
    blueprint.add_url_rule("/packages/<id:package_id>", view_func=package)
    blueprint.add_url_rule(
        "/packages/<id:package_id>/status", view_func=change_package_status, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/packages/<id:package_id>/milestones", view_func=report_progress, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/packages/<id:package_id>/review", view_func=review_package, methods=["POST"]
    )
    for action in ("status", "milestones", "review"):
        page_of(blueprint, f"/packages/<id:package_id>/{action}", "frontend.package")
