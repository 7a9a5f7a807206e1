"""Operators verify companies."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from frontend.forms import VerificationForm
from frontend.views.common import acting_principal, operator_required
from marketplace import services

PAGE_SIZE = 50


@operator_required
def operator_companies():
    show = request.args.get("show", "unverified")
    verified = {"unverified": False, "verified": True}.get(show)
    page = services.list_companies_for_review(
        acting_principal(),
        verified=verified,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template("operator/companies.html", page=page, show=show, form=VerificationForm())


@operator_required
def set_verification(company_id: int):
    form = VerificationForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("verify", "unverify"):
        abort(400)
    verified = decision == "verify"
    company = services.set_company_verification(
        acting_principal(), company_id, verified=verified, note=form.note.data or ""
    )
    if request.headers.get("HX-Request"):
        return render_template(
            "partials/company_row.html", company=company, form=VerificationForm()
        )
    return redirect(url_for("frontend.operator_companies"))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/operator/companies", view_func=operator_companies)
    blueprint.add_url_rule(
        "/operator/companies/<id:company_id>/verification",
        view_func=set_verification,
        methods=["POST"],
    )
