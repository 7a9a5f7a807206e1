"""Home, dashboard, language switch and the API docs page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from core.i18n import LANGUAGES
from frontend.views.common import acting_principal
from marketplace import services


def home():
    if current_user.is_authenticated:
        return redirect(url_for("frontend.dashboard"))
    return render_template("home.html")


@login_required
def dashboard():
    company = services.get_company(acting_principal()) if current_user.company_id else None
    return render_template("dashboard.html", company=company)


def switch_language(code: str):
    """Remember the chosen language (and make it the user's preference when signed in)."""
    if code not in LANGUAGES:
        return redirect(url_for("frontend.home"))
    session["language"] = code
    if current_user.is_authenticated:
        services.update_profile(acting_principal(), {"preferred_language": code})
    target = request.form.get("next") or ""
    # Only same-site paths: never redirect to another host.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("frontend.home")
    return redirect(target)


def api_docs():
    return render_template("api_docs.html")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", view_func=home)
    blueprint.add_url_rule("/dashboard", view_func=dashboard)
    blueprint.add_url_rule("/language/<code>", view_func=switch_language, methods=["POST"])
    blueprint.add_url_rule("/api/v1/docs", view_func=api_docs)
