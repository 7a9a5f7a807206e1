"""The company profile, its certifications, members and invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.errors import DomainError
from frontend.forms import CertificationForm, CompanyForm, InviteForm
from frontend.views.common import (
    acting_principal,
    company_required,
    owner_required,
    show_domain_error,
    show_once,
    take_shown_once,
)
from marketplace import services
from marketplace.domain import CertificationStandard, CompanyRole

MEMBERS_PAGE_SIZE = 50


@company_required
def company_profile():
    principal = acting_principal()
    company = services.get_company(principal)
    form = CompanyForm(obj=company) if principal.is_owner else None
    if form is not None and request.method == "GET":
        form.roles.data = [role.value for role in company.roles]
    certification_form = CertificationForm() if principal.is_owner else None
    return render_template(
        "company/profile.html", company=company, form=form, certification_form=certification_form
    )


@owner_required
def update_company():
    principal = acting_principal()
    form = CompanyForm()
    company = services.get_company(principal)
    if form.validate_on_submit():
        changes = {
            field: getattr(form, field).data or "" for field in services.EDITABLE_COMPANY_FIELDS
        }
        changes["roles"] = [CompanyRole(role) for role in form.roles.data]
        try:
            services.update_company(principal, changes)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The company profile is saved."), "success")
            return redirect(url_for("frontend.company_profile"))
    return (
        render_template(
            "company/profile.html",
            company=company,
            form=form,
            certification_form=CertificationForm(),
        ),
        422,
    )


@owner_required
def add_certification():
    principal = acting_principal()
    form = CertificationForm()
    if form.validate_on_submit():
        try:
            services.add_certification(
                principal,
                standard=CertificationStandard(form.standard.data),
                valid_until=form.valid_until.data,
                certificate_number=form.certificate_number.data or "",
                issued_by=form.issued_by.data or "",
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(_("The certification is saved."), "success")
            return redirect(url_for("frontend.company_profile"))
    company = services.get_company(principal)
    return (
        render_template(
            "company/profile.html",
            company=company,
            form=CompanyForm(obj=company, formdata=None),
            certification_form=form,
        ),
        422,
    )


@owner_required
def remove_certification(certification_id: int):
    services.remove_certification(acting_principal(), certification_id)
    if request.headers.get("HX-Request"):
        return ""  # htmx swaps the row out
    return redirect(url_for("frontend.company_profile"))


@company_required
def members():
    return _members_page(InviteForm(), status=200)


def _members_page(invite_form: InviteForm, *, status: int):
    principal = acting_principal()
    page = services.list_members(
        principal, limit=MEMBERS_PAGE_SIZE, cursor=request.args.get("cursor") or None
    )
    invitations = []
    if principal.is_owner:
        invitations = services.list_invitations(
            principal, limit=MEMBERS_PAGE_SIZE, cursor=None
        ).items
    return (
        render_template(
            "company/members.html",
            page=page,
            invitations=invitations,
            invite_form=invite_form if principal.is_owner else None,
            issued_link=take_shown_once("invitation"),
        ),
        status,
    )


@owner_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            issued = services.invite_member(
                acting_principal(), form.email.data, days=current_app.config["INVITATION_DAYS"]
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            link = url_for("frontend.accept_invitation", token=issued.secret, _external=True)
            show_once("invitation", link)
            return redirect(url_for("frontend.members"))
    return _members_page(form, status=422)


@owner_required
def revoke_invitation(invitation_id: int):
    invitation = services.revoke_invitation(acting_principal(), invitation_id)
    if request.headers.get("HX-Request"):
        return render_template("partials/invitation_row.html", invitation=invitation)
    return redirect(url_for("frontend.members"))


@owner_required
def remove_member(user_id: int):
    try:
        services.remove_member(acting_principal(), user_id)
    except DomainError as error:
        show_domain_error(None, error)
    if request.headers.get("HX-Request"):
        return ""
    return redirect(url_for("frontend.members"))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/company", view_func=company_profile)
    blueprint.add_url_rule("/company", view_func=update_company, methods=["POST"])
    blueprint.add_url_rule("/company/certifications", view_func=add_certification, methods=["POST"])
    blueprint.add_url_rule(
        "/company/certifications/<id:certification_id>/delete",
        view_func=remove_certification,
        methods=["POST"],
    )
    blueprint.add_url_rule("/company/members", view_func=members)
    blueprint.add_url_rule("/company/invitations", view_func=invite, methods=["POST"])
    blueprint.add_url_rule(
        "/company/invitations/<id:invitation_id>/revoke",
        view_func=revoke_invitation,
        methods=["POST"],
    )
    blueprint.add_url_rule(
        "/company/members/<id:user_id>/remove", view_func=remove_member, methods=["POST"]
    )
