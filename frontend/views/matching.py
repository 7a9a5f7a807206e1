"""Matching on the pages: a buyer's ranked suppliers and proposed split, a supplier's recommended
orders, an operator's plan of the week.

The engine's explanations are message ids with parameters (stored with the ranking), translated
here in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import format_currency, format_decimal, format_percent, gettext, ngettext

from core.errors import DomainError
from core.i18n import translate
from core.problem import domain_error_message
from frontend.production_forms import PLAN_MODES, MatchWeightsForm, NoteForm, PlanForm, plain
from frontend.views.common import acting_principal, operator_required
from frontend.views.production_common import (
    back_to,
    buyer_required,
    flash_saved,
    htmx_reload,
    is_htmx,
    page_of,
    show_error,
    supplier_required,
)
from marketplace import services
from marketplace.models import Company, Order, QuoteInvitation
from marketplace.production import NotYourOrder
from marketplace.services import matching as matching_service
from marketplace.services import orders as order_service
from marketplace.services.matching import Candidate, Matches
from marketplace.services.orders import OPEN_FOR_QUOTES
from matching.domain import (
    CRITERION_LABELS,
    EXCLUSION_MESSAGES,
    MAX_WEIGHT,
    Criterion,
    ExclusionReason,
    InvalidWeights,
    Weights,
)
from matching.planning import PlanMode

# Candidates shown at once; the rest (up to the stored 30) fold away under "show all".
TOP_CANDIDATES = 10
RECOMMENDED_LIMIT = 20


# --- Reading the engine's words ---------------------------------------------------------------


def explanation(contribution: dict[str, Any]) -> str:
    """One criterion's sentence in the reader's language, e.g. "About 39 km from ..."."""
    return translate(
        str(contribution.get("message", "")),
        contribution.get("params") or {},
        contribution.get("plural"),
    )


def criterion_label(code: str) -> str:
    try:
        return gettext(CRITERION_LABELS[Criterion(code)])
    except ValueError:
        return code


def exclusion_text(item: dict[str, Any]) -> str:
    """One counted reason of exclusion, e.g. "37 lack ISO 13485"."""
    params = {"count": int(item.get("count", 0)), "detail": item.get("detail") or ""}
    try:
        singular, plural = EXCLUSION_MESSAGES[ExclusionReason(item.get("reason"))]
    except ValueError:
        return f"{params['count']} × {item.get('reason')}"
    return translate(singular, params, plural)


def points(value: float | Decimal | None) -> str:
    """What a criterion adds to the score, with its sign: "+41.0"."""
    if value is None:
        return "—"
    return "+" + format_decimal(Decimal(str(value)), format="#,##0.0")


def score(value: float | Decimal | None) -> str:
    return "—" if value is None else format_decimal(Decimal(str(value)), format="#,##0.0")


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# --- The buyer's order page: matched suppliers and the proposed split ---------------------------


@dataclass(frozen=True)
class ProposedShare:
    company: Company | None
    company_id: int
    listing_title: str
    quantity: int
    unit_price: Decimal | None
    invitation: QuoteInvitation | None

    @property
    def subtotal(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.quantity

    @property
    def invited(self) -> bool:
        return self.invitation is not None and self.invitation.proposed_quantity == self.quantity


@dataclass(frozen=True)
class Proposal:
    shares: list[ProposedShare]
    currency: str
    optimal: bool

    @property
    def quantity(self) -> int:
        return sum(share.quantity for share in self.shares)

    @property
    def total(self) -> Decimal | None:
        """What the shares come to at their estimated unit prices."""
        subtotals = [share.subtotal for share in self.shares]
        if any(subtotal is None for subtotal in subtotals):
            return None
        return sum((subtotal for subtotal in subtotals if subtotal is not None), Decimal(0))

    @property
    def accepted(self) -> bool:
        return all(share.invited for share in self.shares)


@dataclass(frozen=True)
class MatchPanel:
    """What the "Matched suppliers" section of a buyer's order shows."""

    order: Order
    form: MatchWeightsForm
    matches: Matches | None = None
    proposal: Proposal | None = None
    note: str | None = None
    saved: bool = False

    @property
    def top(self) -> list[Candidate]:
        return self.matches.candidates[:TOP_CANDIDATES] if self.matches else []

    @property
    def rest(self) -> list[Candidate]:
        return self.matches.candidates[TOP_CANDIDATES:] if self.matches else []

    @property
    def excluded(self) -> list[str]:
        return [exclusion_text(item) for item in self.matches.exclusions] if self.matches else []


def _proposal(matches: Matches) -> Proposal | None:
    if not matches.proposal or not matches.proposal.get("shares"):
        return None
    titles = {candidate.listing_id: candidate.listing_title for candidate in matches.candidates}
    invitations = {i.supplier_company_id: i for i in matches.order.invitations}
    shares = [
        ProposedShare(
            company=services.public_company(share["company_id"]),
            company_id=share["company_id"],
            listing_title=titles.get(share["listing_id"], ""),
            quantity=int(share["quantity"]),
            unit_price=_decimal(share.get("unit_price")),
            invitation=invitations.get(share["company_id"]),
        )
        for share in matches.proposal["shares"]
    ]
    return Proposal(
        shares=shares,
        currency=str(matches.proposal.get("currency") or matches.order.currency.value),
        optimal=bool(matches.proposal.get("optimal")),
    )


def _weights_form(weights: Weights) -> MatchWeightsForm:
    form = MatchWeightsForm(formdata=None)
    for field in form.group_fields():
        field.data = plain(Decimal(str(getattr(weights, field.name))))
    return form


def match_panel(
    order: Order, *, form: MatchWeightsForm | None = None, saved: bool = False
) -> MatchPanel | None:
    """The matched suppliers of the buyer's open order; None once it no longer takes quotes."""
    if order.status not in OPEN_FOR_QUOTES:
        return None
    try:
        matches = matching_service.get_matches(acting_principal(), order.id)
    except DomainError as error:
        if error.status == 403:
            raise
        # A due date that has passed while the order is still published, for one.
        return MatchPanel(
            order=order,
            form=form or MatchWeightsForm(formdata=None),
            note=domain_error_message(error),
        )
    return MatchPanel(
        order=order,
        form=form or _weights_form(matches.weights),
        matches=matches,
        proposal=_proposal(matches),
        saved=saved,
    )


def _form_weights(form: MatchWeightsForm) -> Weights:
    """Raises: InvalidWeights for values that are not finite numbers from 0 to 10."""
    values = {}
    for field in form.group_fields():
        value = field.data
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidWeights(field=field.name, max=int(MAX_WEIGHT))
        values[field.name] = float(value)
    return Weights(**values)


def _own_order(order_id: int) -> Order:
    """The signed-in buyer's order. Raises: OrderNotFound, NotYourOrder."""
    principal = acting_principal()
    order = order_service.get_order(principal, order_id)
    if order.buyer_company_id != principal.company_id:
        raise NotYourOrder()
    return order


def _render_panel(order_id: int, form: MatchWeightsForm | None, *, saved: bool = False):
    order = _own_order(order_id)
    panel = match_panel(order, form=form, saved=saved)
    return render_template("buyer/_matches.html", order=order, matching=panel)


@buyer_required
def save_weights(order_id: int):
    from frontend.views.buyer import buyer_order_page

    _own_order(order_id)
    form = MatchWeightsForm()
    location = url_for("frontend.buyer_order", order_id=order_id) + "#matches"
    if form.validate_on_submit():
        try:
            weights = _form_weights(form)
            matching_service.save_match_weights(acting_principal(), order_id, weights)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            if error.field is None:  # the order stopped taking quotes meanwhile
                return back_to(location, error)
            show_error(form, error)
        else:
            if is_htmx():
                return _render_panel(order_id, None, saved=True)
            flash_saved(gettext("Your weights are saved; the suppliers are ranked again."))
            return redirect(location)
    if is_htmx():
        # htmx swaps only successful answers: the form comes back with its messages as a 200.
        return _render_panel(order_id, form)
    return buyer_order_page(order_id, weights_form=form, status=422)


@buyer_required
def accept_split(order_id: int):
    form = NoteForm()
    location = url_for("frontend.buyer_order", order_id=order_id)
    if not form.validate_on_submit():
        return redirect(location + "#matches")
    principal = acting_principal()
    order = _own_order(order_id)
    before = {i.supplier_company_id: i.proposed_quantity for i in order.invitations}
    try:
        invitations = matching_service.accept_proposal(principal, order_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if is_htmx():
            return htmx_reload(error, location + "#matches")
        return back_to(location + "#matches", error)
    new = [i for i in invitations if i.supplier_company_id not in before]
    changed = [
        i
        for i in invitations
        if i.supplier_company_id in before and before[i.supplier_company_id] != i.proposed_quantity
    ]
    if new:
        flash_saved(
            ngettext(
                "%(num)d supplier is invited to quote for its proposed share.",
                "%(num)d suppliers are invited to quote for their proposed shares.",
                len(new),
            )
        )
    if changed:
        flash_saved(
            ngettext(
                "%(num)d supplier already invited now sees its proposed share.",
                "%(num)d suppliers already invited now see their proposed shares.",
                len(changed),
            )
        )
    if not new and not changed:
        flash_saved(gettext("These suppliers are already invited for these shares."))
    return redirect(location + "#suppliers")


# --- A supplier's recommended orders ------------------------------------------------------------


@supplier_required
def recommended_orders():
    principal = acting_principal()
    items = matching_service.recommended_orders(principal, limit=RECOMMENDED_LIMIT)
    invitations = {
        item.order.id: next(
            (i for i in item.order.invitations if i.supplier_company_id == principal.company_id),
            None,
        )
        for item in items
    }
    return render_template("supplier/recommended.html", items=items, invitations=invitations)


# --- An operator's plan of the week ------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    order: Order
    company_name: str
    listing_title: str
    quantity: int
    cost: Decimal


def _amount(value: float, currency: str) -> str:
    """A plan-sized amount: whole units, the currency sign in front."""
    return format_currency(
        Decimal(round(float(value))), currency, format="¤#,##0", currency_digits=False
    )


def _plan_view(result: matching_service.PlanResult) -> dict[str, Any]:
    plan = result.plan
    currency = str(getattr(result.currency, "value", result.currency))
    rows = []
    for share in plan.shares:
        title, _company_id, company_name = result.listings.get(share.factory, ("", 0, ""))
        rows.append(
            PlanRow(
                order=result.orders[share.order],
                company_name=company_name,
                listing_title=title,
                quantity=share.quantity,
                cost=Decimal(str(round(share.cost, 2))),
            )
        )
    rows.sort(key=lambda row: (row.order.id, -row.quantity))
    unassigned = [
        (result.orders[order_id], pieces)
        for order_id, pieces in sorted(plan.unassigned.items())
        if pieces > 0
    ]
    return {
        "plan": plan,
        "rows": rows,
        "unassigned": unassigned,
        "order_count": len(result.orders),
        "assigned_orders": len({row.order.id for row in rows}),
        "currency": currency,
        "objective": _amount(plan.objective, currency),
        "penalty": _amount(
            max(0.0, plan.objective - sum(share.cost for share in plan.shares)), currency
        ),
        "lower_bound": "—" if plan.lower_bound is None else _amount(plan.lower_bound, currency),
        "gap": "—" if plan.gap is None else format_percent(plan.gap, format="#,##0.0%"),
        "seconds": format_decimal(round(plan.seconds, 2), format="#,##0.00"),
    }


@operator_required
def plan_week():
    form = PlanForm(formdata=None)
    return render_template("operator/plan.html", form=form, result=None, modes=PLAN_MODES)


@operator_required
def run_plan():
    form = PlanForm()
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            planned = matching_service.plan_open_orders(
                acting_principal(),
                order_ids=None,
                mode=PlanMode(form.mode.data),
                time_limit=float(form.time_limit.data),
            )
        except DomainError as error:
            show_error(form, error)
            status = 422
        else:
            result = _plan_view(planned)
    else:
        status = 422
    return render_template("operator/plan.html", form=form, result=result, modes=PLAN_MODES), status


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule(
        "/orders/<id:order_id>/matching/weights", view_func=save_weights, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/orders/<id:order_id>/matching/accept", view_func=accept_split, methods=["POST"]
    )
    for action in ("matching/weights", "matching/accept"):
        page_of(blueprint, f"/orders/<id:order_id>/{action}", "frontend.buyer_order")
    blueprint.add_url_rule("/recommended-orders", view_func=recommended_orders)
    blueprint.add_url_rule("/operator/plan", view_func=plan_week)
    blueprint.add_url_rule("/operator/plan", view_func=run_plan, methods=["POST"])
    blueprint.add_app_template_global(explanation, "match_explanation")
    blueprint.add_app_template_global(criterion_label, "criterion_label")
    blueprint.add_app_template_filter(points, "match_points")
    blueprint.add_app_template_filter(score, "match_score")
