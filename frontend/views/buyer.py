"""A buyer's pages: its orders, posting one with drawings, comparing quotes and the award."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from core.db import utcnow
from core.errors import DomainError
from core.money import Currency
from frontend.production_forms import (
    AwardForm,
    DrawingForm,
    InviteSupplierForm,
    MatchWeightsForm,
    NoteForm,
    OrderForm,
    fill_taxonomy_choices,
)
from frontend.views.common import acting_principal, company_required
from frontend.views.matching import match_panel
from frontend.views.production_common import (
    ORDER_ACTIONS,
    ORDER_STATUS_LABELS,
    back_to,
    buyer_required,
    company_has_role,
    current_language,
    flash_saved,
    is_htmx,
    page_of,
    reraise_not_found,
    show_error,
)
from marketplace import services
from marketplace.domain import CompanyRole
from marketplace.lifecycle import (
    ORDER_TRANSITIONS,
    Actor,
    OrderStatus,
    QuoteStatus,
    allowed_transitions,
)
from marketplace.models import Company, Order, Quote, SupplierScorecard
from marketplace.production import Allocation, sniff_attachment
from marketplace.services import orders as order_service
from marketplace.services import packages as package_service
from marketplace.services.common import history_of
from marketplace.services.orders import OPEN_FOR_QUOTES

PAGE_SIZE = 30
BEFORE_AWARD = (OrderStatus.DRAFT, *OPEN_FOR_QUOTES)
# The statuses "My orders" offers as filter tabs, in lifecycle order.
ORDER_FILTERS = (
    OrderStatus.DRAFT,
    OrderStatus.PUBLISHED,
    OrderStatus.QUOTED,
    OrderStatus.AWARDED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.DELIVERED,
    OrderStatus.DISPUTED,
    OrderStatus.COMPLETED,
    OrderStatus.CANCELLED,
)


# --- My orders ------------------------------------------------------------------------------


@buyer_required
def buyer_orders():
    status = request.args.get("status") or None
    try:
        selected = OrderStatus(status) if status else None
    except ValueError:
        selected = None
    page = order_service.list_my_orders(
        acting_principal(),
        status=selected,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "buyer/orders.html",
        page=page,
        selected=selected,
        filters=[(status, ORDER_STATUS_LABELS[status]) for status in ORDER_FILTERS],
    )


# --- Posting an order -----------------------------------------------------------------------


def _order_form() -> OrderForm:
    form = OrderForm()
    fill_taxonomy_choices(form, current_language())
    if request.method == "GET":
        form.due_date.data = utcnow().date() + timedelta(days=30)
    return form


@buyer_required
def new_order():
    return render_template("buyer/new_order.html", form=_order_form())


def _chosen_file(form) -> object | None:
    upload = form.file.data
    return upload if upload is not None and getattr(upload, "filename", "") else None


def _order_fields(form: OrderForm) -> dict:
    return {
        "title": form.title.data.strip(),
        "description": (form.description.data or "").strip(),
        "process": form.process_code.data,
        "material": form.material.data,
        "quantity": form.quantity.data,
        "tolerance_mm": form.tolerance_mm.data,
        "part_x_mm": form.part_x_mm.data,
        "part_y_mm": form.part_y_mm.data,
        "part_z_mm": form.part_z_mm.data,
        "required_certifications": list(form.required_certifications.data or []),
        "due_date": form.due_date.data,
        "target_unit_price": form.target_unit_price.data,
        "currency": Currency(form.currency.data),
        "delivery_province": (form.delivery_province.data or "").strip(),
        "delivery_city": form.delivery_city.data.strip(),
        "splittable": bool(form.splittable.data),
        # Without a split the minimum lot means nothing; it must still fit the quantity.
        "min_lot": form.min_lot.data if form.splittable.data else 1,
        "minutes_per_piece": form.minutes_per_piece.data,
    }


@buyer_required
def create_order():
    form = _order_form()
    if form.validate_on_submit():
        upload = _chosen_file(form)
        principal = acting_principal()
        try:
            if upload is not None:
                # Refuse a wrong file before anything is stored, so the form comes back whole.
                sniff_attachment(upload.filename, upload.stream.read(512))
                upload.stream.seek(0)
            order = order_service.create_order(principal, _order_fields(form))
        except DomainError as error:
            show_error(form, error, process="process_code")
        else:
            return _after_create(order, upload, publish=request.form.get("action") == "publish")
    return render_template("buyer/new_order.html", form=form), 422


def _after_create(order: Order, upload, *, publish: bool):
    principal = acting_principal()
    location = url_for("frontend.buyer_order", order_id=order.id)
    if upload is not None:
        try:
            order_service.add_attachment(principal, order.id, upload.filename, upload.stream)
        except DomainError as error:
            flash_saved(_("The order is saved as a draft."))
            return back_to(location, error)
    if publish:
        try:
            order_service.publish_order(principal, order.id)
        except DomainError as error:
            flash_saved(_("The order is saved as a draft."))
            return back_to(location, error)
        flash_saved(_("The order is published: suppliers can now quote."))
    else:
        flash_saved(_("The order is saved as a draft. Publish it when it is complete."))
    return redirect(location)


# --- One order ------------------------------------------------------------------------------


def buyer_order_page(
    order_id: int,
    *,
    drawing_form: DrawingForm | None = None,
    invite_form: InviteSupplierForm | None = None,
    weights_form: MatchWeightsForm | None = None,
    status: int = 200,
):
    principal = acting_principal()
    order = order_service.get_order(principal, order_id)
    if order.buyer_company_id != principal.company_id and company_has_role(CompanyRole.SUPPLIER):
        return redirect(url_for("frontend.supplier_order", order_id=order.id))
    quotes = order_service.quotes_for_buyer(principal, order_id)  # only the buyer gets past
    moves = [
        (target, ORDER_ACTIONS[target])
        for target in allowed_transitions(ORDER_TRANSITIONS, order.status, Actor.BUYER)
        if target in ORDER_ACTIONS
    ]
    return (
        render_template(
            "buyer/order.html",
            order=order,
            quotes=quotes,
            submitted=[quote for quote in quotes if quote.status is QuoteStatus.SUBMITTED],
            moves=moves,
            before_award=order.status in BEFORE_AWARD,
            open_for_quotes=order.status in OPEN_FOR_QUOTES,
            drawing_form=drawing_form or DrawingForm(formdata=None),
            invite_form=invite_form or InviteSupplierForm(formdata=None),
            invited=[
                (services.public_company(i.supplier_company_id), i) for i in order.invitations
            ],
            matching=match_panel(order, form=weights_form),
            history=history_of("order", order.id),
        ),
        status,
    )


@buyer_required
def buyer_order(order_id: int):
    return buyer_order_page(order_id)


@buyer_required
def change_order_status(order_id: int):
    form = NoteForm()
    location = url_for("frontend.buyer_order", order_id=order_id)
    target = request.form.get("target", "")
    if form.validate_on_submit() and target in {status.value for status in ORDER_ACTIONS}:
        principal = acting_principal()
        try:
            if target == OrderStatus.PUBLISHED:
                order_service.publish_order(principal, order_id)
                flash_saved(_("The order is published: suppliers can now quote."))
            else:
                order_service.cancel_order(principal, order_id, note=form.note.data or "")
                flash_saved(_("The order is cancelled."))
        except DomainError as error:
            reraise_not_found(error)
            return back_to(location, error)
    return redirect(location)


@buyer_required
def upload_drawing(order_id: int):
    form = DrawingForm()
    valid = form.validate_on_submit()
    upload = _chosen_file(form)
    if valid and upload is None:
        form.file.errors = [*form.file.errors, _("Choose a file to upload.")]
    elif valid:
        try:
            attachment = order_service.add_attachment(
                acting_principal(), order_id, upload.filename, upload.stream
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            flash_saved(_("%(name)s is attached.", name=attachment.filename))
            return redirect(url_for("frontend.buyer_order", order_id=order_id) + "#drawings")
    return buyer_order_page(order_id, drawing_form=form, status=422)


@company_required
def download_drawing(order_id: int, attachment_id: int):
    attachment, stream = order_service.open_attachment(acting_principal(), order_id, attachment_id)
    response = send_file(
        stream,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@buyer_required
def delete_drawing(order_id: int, attachment_id: int):
    form = NoteForm()
    location = url_for("frontend.buyer_order", order_id=order_id) + "#drawings"
    if form.validate_on_submit():
        try:
            order_service.delete_attachment(acting_principal(), order_id, attachment_id)
        except DomainError as error:
            reraise_not_found(error)
            return back_to(location, error)
        if is_htmx():
            return ""
    return redirect(location)


@buyer_required
def invite_supplier(order_id: int):
    form = InviteSupplierForm()
    if form.validate_on_submit():
        try:
            created = order_service.invite_suppliers(
                acting_principal(), order_id, [form.supplier_id.data]
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error, supplier_ids="supplier_id")
        else:
            if created:
                flash_saved(_("The supplier is invited and may now read the drawings."))
            back = request.form.get("back")
            if back == "quotes":
                return redirect(url_for("frontend.compare_quotes", order_id=order_id))
            return redirect(url_for("frontend.buyer_order", order_id=order_id) + "#suppliers")
    if request.form.get("back") == "quotes":
        for message in form.supplier_id.errors:
            flash(message, "error")
        return redirect(url_for("frontend.compare_quotes", order_id=order_id))
    return buyer_order_page(order_id, invite_form=form, status=422)


# --- Comparing quotes and the award ---------------------------------------------------------


@dataclass(frozen=True)
class QuoteRow:
    """One quote as the comparison shows it: terms, supplier, track record and the price gap."""

    quote: Quote
    supplier: Company | None
    scorecard: SupplierScorecard | None
    enough_history: bool
    versus_target: Decimal | None
    total: Decimal
    expired: bool
    invited: bool
    awardable: bool

    @property
    def promised(self):
        return utcnow().date() + timedelta(days=self.quote.lead_time_days)


def _quote_rows(order: Order, quotes: list[Quote]) -> list[QuoteRow]:
    today = utcnow().date()
    invited = {invitation.supplier_company_id for invitation in order.invitations}
    rows = []
    for quote in quotes:
        scorecard = package_service.get_scorecard(quote.supplier_company_id)
        target = order.target_unit_price
        rows.append(
            QuoteRow(
                quote=quote,
                supplier=services.public_company(quote.supplier_company_id),
                scorecard=scorecard,
                enough_history=package_service.has_enough_history(scorecard),
                versus_target=(quote.unit_price - target) / target if target else None,
                total=quote.unit_price * quote.quantity,
                expired=quote.is_expired_on(today),
                invited=quote.supplier_company_id in invited,
                awardable=quote.status is QuoteStatus.SUBMITTED and not quote.is_expired_on(today),
            )
        )
    return rows


def _compare_page(
    order_id: int, *, form: AwardForm | None = None, entered: dict | None = None, status=200
):
    principal = acting_principal()
    quotes = order_service.quotes_for_buyer(principal, order_id)
    order = order_service.get_order(principal, order_id)
    rows = _quote_rows(order, quotes)
    entered = entered or {}
    awarded_quantity = sum(quantity for quantity in entered.values() if quantity)
    awarded_value = sum(
        (row.quote.unit_price * entered.get(row.quote.id, 0) for row in rows), Decimal(0)
    )
    return (
        render_template(
            "buyer/compare.html",
            order=order,
            rows=rows,
            form=form or AwardForm(formdata=None),
            open_for_award=order.status in OPEN_FOR_QUOTES,
            entered=entered,
            awarded_quantity=awarded_quantity,
            awarded_value=awarded_value,
        ),
        status,
    )


@buyer_required
def compare_quotes(order_id: int):
    return _compare_page(order_id)


@buyer_required
def award(order_id: int):
    form = AwardForm()
    principal = acting_principal()
    quotes = order_service.quotes_for_buyer(principal, order_id)
    entered: dict[int, int] = {}
    valid = form.validate_on_submit()
    for quote in quotes:
        raw = (request.form.get(f"quantity-{quote.id}") or "").strip()
        if not raw:
            continue
        try:
            entered[quote.id] = int(raw)
        except ValueError:
            valid = False
            form.allocations.errors = [_("Quantities are whole numbers of pieces.")]
    if valid:
        allocations = [
            Allocation(quote_id=quote_id, quantity=quantity)
            for quote_id, quantity in entered.items()
            if quantity
        ]
        try:
            packages = order_service.award_order(principal, order_id, allocations)
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            flash_saved(
                ngettext(
                    "The order is awarded: %(num)d work package is created.",
                    "The order is awarded: %(num)d work packages are created.",
                    len(packages),
                )
            )
            return redirect(url_for("frontend.buyer_order", order_id=order_id) + "#packages")
    return _compare_page(order_id, form=form, entered=entered, status=422)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/orders", view_func=buyer_orders)
    blueprint.add_url_rule("/orders/new", view_func=new_order)
    blueprint.add_url_rule("/orders/new", view_func=create_order, methods=["POST"])
    blueprint.add_url_rule("/orders/<id:order_id>", view_func=buyer_order)
    blueprint.add_url_rule(
        "/orders/<id:order_id>/status", view_func=change_order_status, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/orders/<id:order_id>/drawings", view_func=upload_drawing, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/orders/<id:order_id>/drawings/<id:attachment_id>", view_func=download_drawing
    )
    blueprint.add_url_rule(
        "/orders/<id:order_id>/drawings/<id:attachment_id>/delete",
        view_func=delete_drawing,
        methods=["POST"],
    )
    blueprint.add_url_rule(
        "/orders/<id:order_id>/invitations", view_func=invite_supplier, methods=["POST"]
    )
    blueprint.add_url_rule("/orders/<id:order_id>/quotes", view_func=compare_quotes)
    blueprint.add_url_rule("/orders/<id:order_id>/quotes", view_func=award, methods=["POST"])
    for action in ("drawings", "invitations"):
        page_of(blueprint, f"/orders/<id:order_id>/{action}", "frontend.buyer_order")
