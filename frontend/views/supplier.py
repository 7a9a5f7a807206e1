"""A supplier's pages: machines, capacity listings, open orders to quote on and its quotes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.db import utcnow
from core.errors import DomainError
from core.money import Currency
from frontend.production_forms import (
    NO_MACHINE,
    ExceptionForm,
    ListingForm,
    ListingTermsForm,
    MachineForm,
    NoteForm,
    QuoteForm,
    fill_taxonomy_choices,
    plain,
)
from frontend.views.common import acting_principal
from frontend.views.production_common import (
    LISTING_ACTIONS,
    MACHINE_ACTIONS,
    back_to,
    current_language,
    flash_saved,
    hours,
    is_htmx,
    page_of,
    parse_day,
    reraise_not_found,
    show_error,
    supplier_required,
    taxonomy_label,
)
from marketplace.capacity import free_hours_before
from marketplace.lifecycle import (
    LISTING_TRANSITIONS,
    MACHINE_TRANSITIONS,
    QUOTE_TRANSITIONS,
    Actor,
    ListingStatus,
    MachineStatus,
    QuoteStatus,
    allowed_transitions,
)
from marketplace.models import CapacityListing, Machine, Order, Quote, QuoteInvitation
from marketplace.production import RateUnit
from marketplace.services import machines as machine_service
from marketplace.services import orders as order_service
from marketplace.services.common import history_of
from marketplace.services.orders import OPEN_FOR_QUOTES
from marketplace.taxonomy import TAXONOMY

PAGE_SIZE = 50
OPEN_ORDERS_PAGE_SIZE = 20
# Enough to fill the machine and listing pickers of any real shop.
ALL = 200


def _cursor() -> str | None:
    return request.args.get("cursor") or None


# --- Machines -------------------------------------------------------------------------------


def _machine_form() -> MachineForm:
    form = MachineForm()
    fill_taxonomy_choices(form, current_language())
    return form


def _kind_processes() -> dict[str, list[str]]:
    return {code: list(kind.processes) for code, kind in TAXONOMY.machine_kinds.items()}


def _machine_attribute_values(form: MachineForm) -> tuple[dict[str, str], dict[str, float]]:
    """The kind-specific figures sent (as typed, for the page) and as numbers (for the service)."""
    typed: dict[str, str] = {}
    numbers: dict[str, float] = {}
    kind = TAXONOMY.machine_kinds.get(form.kind.data or "")
    if kind is None:
        return typed, numbers
    for attribute in kind.attributes:
        name = f"attribute-{kind.code}-{attribute.code}"
        raw = (request.form.get(name) or "").strip()
        typed[name] = raw
        if not raw:
            continue
        try:
            value = Decimal(raw)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            form.attributes.errors = [
                *form.attributes.errors,
                _(
                    "%(attribute)s: enter a number.",
                    attribute=attribute.label.text(current_language()),
                ),
            ]
            continue
        numbers[attribute.code] = int(value) if value == value.to_integral() else float(value)
    return typed, numbers


def _machines_page(form: MachineForm, *, status: int, typed: dict[str, str] | None = None):
    principal = acting_principal()
    page = machine_service.list_machines(principal, limit=PAGE_SIZE, cursor=_cursor())
    return (
        render_template(
            "supplier/machines.html",
            page=page,
            form=form,
            kind_processes=_kind_processes(),
            attribute_values=typed or {},
            machine_moves=_machine_moves,
            taxonomy=TAXONOMY,
            language=current_language(),
        ),
        status,
    )


def _machine_moves(machine: Machine) -> list[tuple[MachineStatus, str]]:
    return [
        (target, MACHINE_ACTIONS[target])
        for target in allowed_transitions(MACHINE_TRANSITIONS, machine.status, Actor.SUPPLIER)
    ]


@supplier_required
def machines():
    return _machines_page(_machine_form(), status=200)


@supplier_required
def register_machine():
    form = _machine_form()
    valid = form.validate_on_submit()
    typed, attributes = _machine_attribute_values(form)
    if valid and not form.attributes.errors:
        try:
            machine = machine_service.register_machine(
                acting_principal(),
                kind=form.kind.data,
                processes=form.processes.data or [],
                materials=form.materials.data or [],
                attributes=attributes,
                name=form.name.data.strip(),
                brand=(form.brand.data or "").strip(),
                model=(form.model.data or "").strip(),
                year=form.year.data,
                envelope_x_mm=form.envelope_x_mm.data,
                envelope_y_mm=form.envelope_y_mm.data,
                envelope_z_mm=form.envelope_z_mm.data,
                tolerance_mm=form.tolerance_mm.data,
                rate_amount=form.rate_amount.data,
                rate_currency=Currency(form.rate_currency.data),
                rate_unit=RateUnit(form.rate_unit.data),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash_saved(_("%(name)s is registered.", name=machine.name))
            return redirect(url_for("frontend.machines"))
    return _machines_page(form, status=422, typed=typed)


@supplier_required
def change_machine_status(machine_id: int):
    form = NoteForm()
    try:
        target = MachineStatus(request.form.get("target", ""))
    except ValueError:
        return back_to(url_for("frontend.machines"))
    if form.validate_on_submit():
        try:
            machine = machine_service.change_machine_status(
                acting_principal(), machine_id, target, note=form.note.data or ""
            )
        except DomainError as error:
            reraise_not_found(error)
            return back_to(url_for("frontend.machines"), error)
        if is_htmx():
            return render_template(
                "partials/machine_row.html", machine=machine, machine_moves=_machine_moves
            )
    return redirect(url_for("frontend.machines"))


# --- Capacity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingSummary:
    """A listing with the hours the page shows: offered ahead, booked and still free."""

    listing: CapacityListing
    offered: Decimal
    booked: Decimal
    free: Decimal
    moves: list[tuple[ListingStatus, str]]

    @property
    def booked_share(self) -> int:
        total = self.booked + self.free
        return int(self.booked * 100 / total) if total else 0


def _summary(listing: CapacityListing) -> ListingSummary:
    today = utcnow().date()
    return ListingSummary(
        listing=listing,
        offered=listing.calendar.hours_between(today, listing.end_date),
        booked=machine_service.booked_hours(listing),
        free=machine_service.listing_free_hours(listing, today),
        moves=[
            (target, LISTING_ACTIONS[target])
            for target in allowed_transitions(LISTING_TRANSITIONS, listing.status, Actor.SUPPLIER)
        ],
    )


def _active_machines() -> list[Machine]:
    page = machine_service.list_machines(acting_principal(), limit=ALL, cursor=None)
    return [machine for machine in page.items if machine.status is MachineStatus.ACTIVE]


def _listing_form() -> tuple[ListingForm, list[Machine]]:
    form = ListingForm()
    fill_taxonomy_choices(form, current_language())
    machines = _active_machines()
    form.machine_id.choices = [(NO_MACHINE, _("No single machine: a group of processes"))] + [
        (machine.id, f"{machine.name} · {taxonomy_label('machine_kinds', machine.kind)}")
        for machine in machines
    ]
    if request.method == "GET":
        today = utcnow().date()
        form.start_date.data = today
        form.end_date.data = today + timedelta(days=90)
        if machines:
            form.machine_id.data = machines[0].id
    return form, machines


def _capacity_page(form: ListingForm, machines: list[Machine], *, status: int):
    page = machine_service.list_listings(acting_principal(), limit=PAGE_SIZE, cursor=_cursor())
    return (
        render_template(
            "supplier/capacity.html",
            page=page,
            summaries=[_summary(listing) for listing in page.items],
            form=form,
            machine_processes={machine.id: machine.processes for machine in machines},
            taxonomy=TAXONOMY,
            language=current_language(),
        ),
        status,
    )


@supplier_required
def capacity():
    form, machines = _listing_form()
    return _capacity_page(form, machines, status=200)


def _terms(form: ListingTermsForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "weekday_hours": form.weekday_values(),
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "price_amount": form.price_amount.data,
        "price_currency": Currency(form.price_currency.data),
        "price_unit": RateUnit(form.price_unit.data),
        "min_lot": form.min_lot.data,
        "lead_time_days": form.lead_time_days.data,
    }


@supplier_required
def create_listing():
    form, machines = _listing_form()
    if form.validate_on_submit():
        try:
            listing = machine_service.create_listing(
                acting_principal(),
                **_terms(form),
                machine_id=form.machine_id.data or None,
                processes=form.processes.data or None,
                materials=form.materials.data if form.materials.data else None,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash_saved(_("The capacity “%(title)s” is listed.", title=listing.title))
            return redirect(url_for("frontend.capacity"))
    return _capacity_page(form, machines, status=422)


def _listing_page(
    listing_id: int,
    *,
    form: ListingTermsForm | None = None,
    exception_form: ExceptionForm | None = None,
    status: int = 200,
):
    listing = machine_service.get_listing(acting_principal(), listing_id)
    if form is None:
        form = ListingTermsForm(obj=listing, formdata=None)
        for field, value in zip(form.day_fields(), listing.weekday_hours, strict=True):
            field.data = Decimal(value)
        form.price_amount.data = plain(listing.price_amount)
        form.price_currency.data = listing.price_currency.value
        form.price_unit.data = listing.price_unit.value
    return (
        render_template(
            "supplier/listing.html",
            summary=_summary(listing),
            listing=listing,
            form=form,
            exception_form=exception_form or ExceptionForm(formdata=None),
            bookings=[booking for booking in listing.bookings if booking.released_at is None],
            history=history_of("listing", listing.id),
        ),
        status,
    )


@supplier_required
def listing(listing_id: int):
    return _listing_page(listing_id)


@supplier_required
def update_listing(listing_id: int):
    form = ListingTermsForm()
    if form.validate_on_submit():
        try:
            machine_service.update_listing(acting_principal(), listing_id, _terms(form))
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            flash_saved(_("The listing is saved."))
            return redirect(url_for("frontend.listing", listing_id=listing_id))
    return _listing_page(listing_id, form=form, status=422)


def _exception_rows(listing: CapacityListing) -> list[dict[str, Any]]:
    return [{"day": row.day, "hours": row.hours, "note": row.note} for row in listing.exceptions]


def _hours_partial(listing_id: int, exception_form: ExceptionForm, status: int = 200):
    listing = machine_service.get_listing(acting_principal(), listing_id)
    return (
        render_template(
            "partials/listing_hours.html",
            listing=listing,
            summary=_summary(listing),
            exception_form=exception_form,
        ),
        status,
    )


@supplier_required
def add_listing_exception(listing_id: int):
    form = ExceptionForm()
    if form.validate_on_submit():
        listing = machine_service.get_listing(acting_principal(), listing_id)
        rows = [row for row in _exception_rows(listing) if row["day"] != form.day.data]
        rows.append({"day": form.day.data, "hours": form.hours.data, "note": form.note.data or ""})
        try:
            machine_service.update_listing(acting_principal(), listing_id, {"exceptions": rows})
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error, exceptions="day", weekday_hours="hours")
        else:
            if is_htmx():
                return _hours_partial(listing_id, ExceptionForm(formdata=None))
            flash_saved(_("The exception is saved."))
            return redirect(url_for("frontend.listing", listing_id=listing_id) + "#calendar")
    if is_htmx():
        return _hours_partial(listing_id, form, status=422)
    return _listing_page(listing_id, exception_form=form, status=422)


@supplier_required
def remove_listing_exception(listing_id: int, day: str):
    form = NoteForm()
    removed = parse_day(day)
    location = url_for("frontend.listing", listing_id=listing_id) + "#calendar"
    if form.validate_on_submit():
        listing = machine_service.get_listing(acting_principal(), listing_id)
        rows = [row for row in _exception_rows(listing) if row["day"] != removed]
        try:
            machine_service.update_listing(acting_principal(), listing_id, {"exceptions": rows})
        except DomainError as error:
            reraise_not_found(error)
            return back_to(location, error)
        if is_htmx():
            return _hours_partial(listing_id, ExceptionForm(formdata=None))
    return redirect(location)


@supplier_required
def change_listing_status(listing_id: int):
    form = NoteForm()
    location = request.form.get("back") == "listing"
    back = (
        url_for("frontend.listing", listing_id=listing_id)
        if location
        else url_for("frontend.capacity")
    )
    try:
        target = ListingStatus(request.form.get("target", ""))
    except ValueError:
        return back_to(back)
    if form.validate_on_submit():
        try:
            listing = machine_service.change_listing_status(
                acting_principal(), listing_id, target, note=form.note.data or ""
            )
        except DomainError as error:
            reraise_not_found(error)
            return back_to(back, error)
        if is_htmx() and not location:
            return render_template("partials/listing_card.html", summary=_summary(listing))
    return redirect(back)


# --- Open orders and quotes -----------------------------------------------------------------


@supplier_required
def open_orders():
    principal = acting_principal()
    family = request.args.get("family") or None
    if family not in TAXONOMY.families:
        family = None
    page = order_service.list_open_orders(
        principal, family=family, limit=OPEN_ORDERS_PAGE_SIZE, cursor=_cursor()
    )
    listings = machine_service.list_listings(principal, limit=ALL, cursor=None).items
    offered = {
        process
        for listing in listings
        if listing.status is ListingStatus.ACTIVE
        for process in listing.processes
    }
    quoted = {
        order.id
        for order in page.items
        if any(quote.supplier_company_id == principal.company_id for quote in order.quotes)
    }
    return render_template(
        "supplier/open_orders.html",
        page=page,
        family=family,
        families=TAXONOMY.choices("families", current_language()),
        offered=offered,
        quoted=quoted,
    )


def _own_quote(order: Order, company_id: int | None) -> Quote | None:
    return next((quote for quote in order.quotes if quote.supplier_company_id == company_id), None)


def _quote_listings(order: Order) -> list[tuple[CapacityListing, Decimal]]:
    """The supplier's active listings that offer the order's process, with hours free in time."""
    today = utcnow().date()
    listings = machine_service.list_listings(acting_principal(), limit=ALL, cursor=None).items
    return [
        (
            listing,
            free_hours_before(
                listing.calendar, machine_service.open_bookings(listing), today, order.due_date
            ),
        )
        for listing in listings
        if listing.status is ListingStatus.ACTIVE and order.process in listing.processes
    ]


def _own_invitation(order: Order, company_id: int | None) -> QuoteInvitation | None:
    return next((i for i in order.invitations if i.supplier_company_id == company_id), None)


def _quote_form(order: Order, quote: Quote | None, listings, *, formdata: bool) -> QuoteForm:
    form = QuoteForm() if formdata else QuoteForm(obj=quote, formdata=None)
    form.listing_id.choices = [
        (
            listing.id,
            _(
                "%(title)s (%(hours)s h free before the due date)",
                title=listing.title,
                hours=hours(free),
            ),
        )
        for listing, free in listings
    ]
    if not formdata and quote is None:
        form.prefill(order, listings[0][0] if listings else None)
        invitation = _own_invitation(order, acting_principal().company_id)
        if invitation is not None and invitation.proposed_quantity:
            # The buyer proposed a share of a split: quote for that unless told otherwise.
            form.quantity.data = invitation.proposed_quantity
    elif not formdata:
        form.unit_price.data = plain(quote.unit_price)
        form.machine_hours.data = plain(quote.machine_hours)
    return form


def _supplier_order_page(order_id: int, *, form: QuoteForm | None = None, status: int = 200):
    principal = acting_principal()
    order = order_service.get_order(principal, order_id)
    if order.buyer_company_id == principal.company_id:
        return redirect(url_for("frontend.buyer_order", order_id=order.id))
    quote = _own_quote(order, principal.company_id)
    listings = _quote_listings(order)
    may_quote = order.status in OPEN_FOR_QUOTES and (
        quote is None or quote.status in (QuoteStatus.SUBMITTED, QuoteStatus.WITHDRAWN)
    )
    if form is None:
        form = _quote_form(order, quote, listings, formdata=False)
    withdrawable = quote is not None and QuoteStatus.WITHDRAWN in allowed_transitions(
        QUOTE_TRANSITIONS, quote.status, Actor.SUPPLIER
    )
    return (
        render_template(
            "supplier/order.html",
            order=order,
            quote=quote,
            invitation=_own_invitation(order, principal.company_id),
            form=form if may_quote else None,
            listings=listings,
            withdrawable=withdrawable,
            drawings_allowed=order_service.may_read_drawings(principal, order),
            packages=[p for p in order.packages if p.supplier_company_id == principal.company_id],
        ),
        status,
    )


@supplier_required
def supplier_order(order_id: int):
    return _supplier_order_page(order_id)


@supplier_required
def submit_quote(order_id: int):
    principal = acting_principal()
    order = order_service.get_order(principal, order_id)
    quote = _own_quote(order, principal.company_id)
    form = _quote_form(order, quote, _quote_listings(order), formdata=True)
    if form.validate_on_submit():
        try:
            quote = order_service.submit_quote(
                principal,
                order_id,
                {
                    "listing_id": form.listing_id.data,
                    "unit_price": form.unit_price.data,
                    "quantity": form.quantity.data,
                    "machine_hours": form.machine_hours.data,
                    "lead_time_days": form.lead_time_days.data,
                    "valid_until": form.valid_until.data,
                    "note": form.note.data or "",
                },
            )
        except DomainError as error:
            reraise_not_found(error)
            show_error(form, error)
        else:
            if quote.revision > 1:
                flash_saved(
                    _("Your quote is revised (revision %(number)d).", number=quote.revision)
                )
            else:
                flash_saved(_("Your quote is sent to the buyer."))
            return redirect(url_for("frontend.supplier_order", order_id=order_id))
    return _supplier_order_page(order_id, form=form, status=422)


@supplier_required
def withdraw_quote(quote_id: int):
    form = NoteForm()
    principal = acting_principal()
    quote = order_service.get_quote(principal, quote_id)
    back = url_for("frontend.supplier_order", order_id=quote.order_id)
    if request.form.get("back") == "quotes":
        back = url_for("frontend.my_quotes")
    if form.validate_on_submit():
        try:
            order_service.withdraw_quote(principal, quote_id)
        except DomainError as error:
            reraise_not_found(error)
            return back_to(back, error)
        flash_saved(_("Your quote is withdrawn. You can send it again while the order is open."))
    return redirect(back)


@supplier_required
def my_quotes():
    page = order_service.list_my_quotes(acting_principal(), limit=PAGE_SIZE, cursor=_cursor())
    return render_template("supplier/quotes.html", page=page, today=utcnow().date())


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/machines", view_func=machines)
    blueprint.add_url_rule("/machines", view_func=register_machine, methods=["POST"])
    blueprint.add_url_rule(
        "/machines/<id:machine_id>/status", view_func=change_machine_status, methods=["POST"]
    )
    blueprint.add_url_rule("/capacity", view_func=capacity)
    blueprint.add_url_rule("/capacity", view_func=create_listing, methods=["POST"])
    blueprint.add_url_rule("/capacity/<id:listing_id>", view_func=listing)
    blueprint.add_url_rule("/capacity/<id:listing_id>", view_func=update_listing, methods=["POST"])
    blueprint.add_url_rule(
        "/capacity/<id:listing_id>/status", view_func=change_listing_status, methods=["POST"]
    )
    blueprint.add_url_rule(
        "/capacity/<id:listing_id>/exceptions",
        view_func=add_listing_exception,
        methods=["POST"],
    )
    blueprint.add_url_rule(
        "/capacity/<id:listing_id>/exceptions/<day>/remove",
        view_func=remove_listing_exception,
        methods=["POST"],
    )
    page_of(blueprint, "/capacity/<id:listing_id>/exceptions", "frontend.listing")
    blueprint.add_url_rule("/open-orders", view_func=open_orders)
    blueprint.add_url_rule("/open-orders/<id:order_id>", view_func=supplier_order)
    blueprint.add_url_rule("/open-orders/<id:order_id>", view_func=submit_quote, methods=["POST"])
    blueprint.add_url_rule("/quotes", view_func=my_quotes)
    blueprint.add_url_rule(
        "/quotes/<id:quote_id>/withdraw", view_func=withdraw_quote, methods=["POST"]
    )
