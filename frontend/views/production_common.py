"""What the production pages (machines, capacity, orders, quotes, packages) share.

Status and action labels (marked for translation, translated in the templates), taxonomy labels
in the reader's language, money and hour formatting, role checks, and the larger upload limit of
the pages that take drawings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import format_currency, format_decimal, format_percent, get_locale, gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from core.errors import DomainError
from core.security import admit_large_bodies
from core.translatable import N_
from frontend.views.common import show_domain_error
from marketplace import services
from marketplace.domain import CompanyRole
from marketplace.lifecycle import (
    Actor,
    ListingStatus,
    MachineStatus,
    OrderStatus,
    PackageStatus,
    QuoteStatus,
)
from marketplace.production import MAX_ATTACHMENT_BYTES, RATE_UNIT_LABELS
from marketplace.taxonomy import TAXONOMY, is_chinese

# Endpoints whose forms carry a drawing. The app refuses bodies over 1 MiB before any view runs
# (CSRF and the NUL check read the form in before_request), so the limit is raised for these in a
# URL value preprocessor, which Flask runs before every before_request function.
UPLOAD_ENDPOINTS = {"frontend.create_order", "frontend.upload_drawing"}
UPLOAD_LIMIT_BYTES = MAX_ATTACHMENT_BYTES + 64 * 1024

MACHINE_STATUS_LABELS = {
    MachineStatus.ACTIVE: N_("In service"),
    MachineStatus.MAINTENANCE: N_("In maintenance"),
    MachineStatus.RETIRED: N_("Retired"),
}
MACHINE_ACTIONS = {
    MachineStatus.ACTIVE: N_("Back in service"),
    MachineStatus.MAINTENANCE: N_("Put into maintenance"),
    MachineStatus.RETIRED: N_("Retire"),
}
LISTING_STATUS_LABELS = {
    ListingStatus.ACTIVE: N_("Open for orders"),
    ListingStatus.PAUSED: N_("Paused"),
    ListingStatus.FULLY_BOOKED: N_("Fully booked"),
    ListingStatus.CLOSED: N_("Closed"),
}
LISTING_ACTIONS = {
    ListingStatus.ACTIVE: N_("Resume"),
    ListingStatus.PAUSED: N_("Pause"),
    ListingStatus.CLOSED: N_("Close"),
}
ORDER_STATUS_LABELS = {
    OrderStatus.DRAFT: N_("Draft"),
    OrderStatus.PUBLISHED: N_("Open for quotes"),
    OrderStatus.QUOTED: N_("Quotes received"),
    OrderStatus.AWARDED: N_("Awarded"),
    OrderStatus.IN_PRODUCTION: N_("In production"),
    OrderStatus.DELIVERED: N_("Delivered"),
    OrderStatus.COMPLETED: N_("Completed"),
    OrderStatus.DISPUTED: N_("Disputed"),
    OrderStatus.CANCELLED: N_("Cancelled"),
}
ORDER_ACTIONS = {
    OrderStatus.PUBLISHED: N_("Publish for quotes"),
    OrderStatus.CANCELLED: N_("Cancel the order"),
}
QUOTE_STATUS_LABELS = {
    QuoteStatus.SUBMITTED: N_("Submitted"),
    QuoteStatus.WITHDRAWN: N_("Withdrawn"),
    QuoteStatus.ACCEPTED: N_("Won"),
    QuoteStatus.REJECTED: N_("Not chosen"),
}
PACKAGE_STATUS_LABELS = {
    PackageStatus.ACCEPTED: N_("Awarded, not started"),
    PackageStatus.IN_PRODUCTION: N_("In production"),
    PackageStatus.QUALITY_CHECK: N_("Quality check"),
    PackageStatus.SHIPPED: N_("Shipped"),
    PackageStatus.DELIVERED: N_("Delivered"),
    PackageStatus.ACCEPTED_BY_BUYER: N_("Accepted by the buyer"),
    PackageStatus.DISPUTED: N_("Disputed"),
    PackageStatus.RESOLVED: N_("Resolved"),
    PackageStatus.CANCELLED: N_("Cancelled"),
}
# The button for each move, by who presses it (the same move reads differently for each side).
PACKAGE_ACTIONS = {
    (PackageStatus.ACCEPTED, PackageStatus.IN_PRODUCTION): N_("Start production"),
    (PackageStatus.ACCEPTED, PackageStatus.CANCELLED): N_("Cancel this package"),
    (PackageStatus.IN_PRODUCTION, PackageStatus.QUALITY_CHECK): N_("Send to quality check"),
    (PackageStatus.IN_PRODUCTION, PackageStatus.CANCELLED): N_("Cancel this package"),
    (PackageStatus.QUALITY_CHECK, PackageStatus.SHIPPED): N_("Inspection passed: ship"),
    (PackageStatus.QUALITY_CHECK, PackageStatus.IN_PRODUCTION): N_(
        "Inspection failed: back to production"
    ),
    (PackageStatus.SHIPPED, PackageStatus.DELIVERED): N_("Mark as delivered"),
    (PackageStatus.DELIVERED, PackageStatus.ACCEPTED_BY_BUYER): N_("Accept the delivery"),
    (PackageStatus.DELIVERED, PackageStatus.DISPUTED): N_("Dispute the delivery"),
    (PackageStatus.DISPUTED, PackageStatus.RESOLVED): N_("Mark as resolved"),
}
# Moves that undo work or raise a problem: shown as secondary, asked to confirm.
CAUTIOUS_TARGETS = {PackageStatus.CANCELLED, PackageStatus.DISPUTED, MachineStatus.RETIRED}
ACTOR_LABELS = {
    Actor.BUYER: N_("Buyer"),
    Actor.SUPPLIER: N_("Supplier"),
    Actor.OPERATOR: N_("Operator"),
    Actor.SYSTEM: N_("Platform"),
}
ENTITY_NOUNS = {
    "machine": N_("machine"),
    "listing": N_("capacity listing"),
    "order": N_("order"),
    "quote": N_("quote"),
    "package": N_("work package"),
}
STATUS_LABELS_BY_ENTITY = {
    "machine": MACHINE_STATUS_LABELS,
    "listing": LISTING_STATUS_LABELS,
    "order": ORDER_STATUS_LABELS,
    "quote": QUOTE_STATUS_LABELS,
    "package": PACKAGE_STATUS_LABELS,
}
# Badge colour by status value: done and good, waiting on someone, or a problem.
GOOD_STATUSES = {"active", "accepted_by_buyer", "completed", "resolved", "delivered", "won"}
PROBLEM_STATUSES = {"disputed", "cancelled", "retired", "closed", "rejected", "withdrawn"}


def current_language() -> str:
    """ "zh_CN" or "en": the language this request is served in."""
    return "zh_CN" if is_chinese(str(get_locale() or "")) else "en"


def taxonomy_label(section: str, code: str | None) -> str:
    """The label of a process, material, machine kind or family code in the reader's language."""
    entries: dict[str, Any] = getattr(TAXONOMY, section)
    entry = entries.get(code or "")
    if entry is None:
        return code or "—"
    label = entry if section == "material_groups" else entry.label
    return label.text(current_language())


def money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return "—"
    return format_currency(amount, str(currency))


def hours(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    return format_decimal(Decimal(value).normalize(), format="#,##0.##")


def millimetres(value: Decimal | float | int | None) -> str:
    """A length or tolerance with up to four decimals (tolerances go down to 0.0005 mm)."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value).normalize(), format="#,##0.####")


def percent(value: Decimal | float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0%")


def weekday_names(width: str = "abbreviated") -> list[str]:
    """Monday..Sunday in the reader's language."""
    names = get_day_names(width, locale=get_locale())
    return [names[day] for day in range(7)]


def status_tone(value: object) -> str:
    text = str(getattr(value, "value", value))
    if text in GOOD_STATUSES:
        return "badge-ok"
    if text in PROBLEM_STATUSES:
        return "badge-danger"
    return "badge-warn" if text in {"maintenance", "paused", "fully_booked"} else ""


def company_has_role(role: CompanyRole) -> bool:
    company = getattr(current_user, "company", None)
    return company is not None and company.has_role(role)


def role_required(role: CompanyRole) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only signed-in members of a company that plays `role` may open the page."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.company_id is None:
                abort(404)
            if not company_has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


supplier_required = role_required(CompanyRole.SUPPLIER)
buyer_required = role_required(CompanyRole.BUYER)


def localize(error: DomainError) -> DomainError:
    """Put the reader's words into a domain error's parameters where the service put codes.

    The transition checks name statuses and roles by their stored values ("in_production",
    "buyer"), and machine checks name attributes by their English label; the message around them
    is translated, so the parameters must be too.
    """
    params = error.params
    if {"kind", "current", "target"} <= params.keys():
        entity = params["kind"]
        labels = STATUS_LABELS_BY_ENTITY.get(entity, {})
        error.params = {
            **params,
            "kind": gettext(ENTITY_NOUNS.get(entity, entity)),
            "current": gettext(labels.get(params["current"], params["current"])),
            "target": gettext(labels.get(params["target"], params["target"])),
        }
    elif "allowed" in params:
        roles = [role.strip() for role in str(params["allowed"]).split("/")]
        error.params = {
            **params,
            "allowed": " / ".join(gettext(ACTOR_LABELS.get(role, role)) for role in roles),
        }
    elif "process" in params and params["process"] in TAXONOMY.processes:
        error.params = {**params, "process": taxonomy_label("processes", params["process"])}
    elif "attribute" in params:
        for kind in TAXONOMY.machine_kinds.values():
            for attribute in kind.attributes:
                if attribute.label.en == params["attribute"]:
                    error.params = {
                        **params,
                        "attribute": attribute.label.text(current_language()),
                    }
    return error


def show_error(form: FlaskForm | None, error: DomainError, **aliases: str) -> None:
    """`show_domain_error`, with the service's field names mapped onto this form's fields."""
    if error.field in aliases:
        error.field = aliases[error.field]
    show_domain_error(form, localize(error))


def reraise_not_found(error: DomainError) -> None:
    """Let a 404 stay a 404: another company's id must look like an id that does not exist."""
    if error.status == 404:
        raise error


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def htmx_reload(error: DomainError, location: str):
    """An htmx action failed: keep the message and have htmx load the page again to show it."""
    show_domain_error(None, localize(error))
    response = make_response("", 200)
    response.headers["HX-Redirect"] = location
    return response


def back_to(location: str, error: DomainError | None = None):
    """After an action: the full page again (htmx follows HX-Redirect), with the error if any."""
    if error is not None:
        if is_htmx():
            return htmx_reload(error, location)
        show_domain_error(None, localize(error))
    return redirect(location)


def flash_saved(message: str) -> None:
    flash(message, "success")


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def page_of(blueprint: Blueprint, rule: str, endpoint: str) -> None:
    """Answer GET on a POST-only action URL by going to the page the action belongs to.

    A page re-rendered after a refused post (422) keeps the action's URL; switching the language
    or reloading then asks for it with GET, which should land on the page, not on a 405.
    """

    def view(**values: Any):
        return redirect(url_for(endpoint, **values))

    name = f"{endpoint.rsplit('.', 1)[-1]}_via_{rule}"
    blueprint.add_url_rule(rule, endpoint=name, view_func=view)


def _template_globals() -> dict[str, Any]:
    # Globals, not a context processor: macros imported without context must see them too.
    return {
        "machine_status_labels": MACHINE_STATUS_LABELS,
        "listing_status_labels": LISTING_STATUS_LABELS,
        "order_status_labels": ORDER_STATUS_LABELS,
        "quote_status_labels": QUOTE_STATUS_LABELS,
        "package_status_labels": PACKAGE_STATUS_LABELS,
        "status_labels_by_entity": STATUS_LABELS_BY_ENTITY,
        "actor_labels": ACTOR_LABELS,
        "rate_unit_labels": {unit.value: label for unit, label in RATE_UNIT_LABELS.items()},
        "taxonomy_label": taxonomy_label,
        "status_tone": status_tone,
        "weekday_names": weekday_names,
        "company_card": services.public_company,
        "is_supplier_company": lambda: company_has_role(CompanyRole.SUPPLIER),
        "is_buyer_company": lambda: company_has_role(CompanyRole.BUYER),
    }


def register(blueprint: Blueprint) -> None:
    admit_large_bodies(blueprint, UPLOAD_ENDPOINTS, UPLOAD_LIMIT_BYTES)
    for name, value in _template_globals().items():
        blueprint.add_app_template_global(value, name)
    blueprint.add_app_template_filter(money, "money")
    blueprint.add_app_template_filter(hours, "hours")
    blueprint.add_app_template_filter(percent, "percent")
    blueprint.add_app_template_filter(millimetres, "mm")
