"""The web pages: server-rendered Jinja with htmx for partial updates, assets served locally."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from flask_babel import get_locale
from flask_login import current_user

from core.db import utcnow
from core.i18n import LANGUAGES
from core.translatable import N_
from frontend.views import register_views
from marketplace.domain import COMPANY_ROLE_LABELS, MEMBERSHIP_ROLE_LABELS, CompanyRole

INVITATION_STATUS_LABELS = {
    "open": N_("Open"),
    "accepted": N_("Accepted"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
}

frontend = Blueprint(
    "frontend",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/app",
)

# npm files the pages may load, by the name they are served under (nothing else is exposed).
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "pico.min.css": "@picocss/pico/css/pico.min.css",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
}


@frontend.route("/static/vendor/<name>")
def vendor(name: str):
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    path = Path(current_app.config["NODE_MODULES"]) / relative
    return send_from_directory(path.parent, path.name, max_age=86400)


register_views(frontend)


def _navigation() -> list[tuple[str, str]]:
    """(endpoint, label) entries for what the signed-in user may open."""
    from flask_babel import gettext as _

    if not current_user.is_authenticated:
        return []
    items = [("frontend.dashboard", _("Dashboard"))]
    company = current_user.company
    if company is not None:
        is_supplier = company.has_role(CompanyRole.SUPPLIER)
        is_buyer = company.has_role(CompanyRole.BUYER)
        if is_supplier:
            items.append(("frontend.machines", _("Machines")))
            items.append(("frontend.capacity", _("Capacity")))
            items.append(("frontend.open_orders", _("Open orders")))
            items.append(("frontend.my_quotes", _("My quotes")))
        if is_buyer:
            items.append(("frontend.buyer_orders", _("My orders")))
            items.append(("frontend.new_order", _("Post an order")))
        if is_supplier or is_buyer:
            items.append(("frontend.packages", _("Packages")))
    if current_user.company_id is not None:
        items.append(("frontend.company_profile", _("Company")))
        items.append(("frontend.members", _("Members")))
        if current_user.is_owner:
            items.append(("frontend.api_tokens", _("API tokens")))
    if current_user.is_operator:
        items.append(("frontend.operator_companies", _("Companies to verify")))
    return items


def init_frontend(app: Flask) -> None:
    app.register_blueprint(frontend)

    @app.context_processor
    def _layout_context() -> dict:
        # Babel reads "zh_CN" as zh_Hans_CN; the pages only need to know which of the two it is.
        locale = "zh_CN" if getattr(get_locale(), "language", "en") == "zh" else "en"
        return {
            "role_labels": COMPANY_ROLE_LABELS,
            "membership_labels": MEMBERSHIP_ROLE_LABELS,
            "invitation_status_labels": INVITATION_STATUS_LABELS,
            "today": utcnow().date(),
            "languages": LANGUAGES,
            "current_language": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
            "navigation": _navigation(),
        }
