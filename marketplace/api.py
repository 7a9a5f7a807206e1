"""REST endpoints for the caller's company, members, invitations, certifications and tokens."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask.views import MethodView

from core.api import ApiBlueprint
from core.auth import Scope, api_auth, current_principal
from core.schema import dump_attributes
from marketplace import services
from marketplace.schemas import (
    ApiTokenPageSchema,
    ApiTokenSchema,
    CertificationSchema,
    CompanyListArgs,
    CompanyPageSchema,
    CompanySchema,
    CompanyUpdateSchema,
    CursorArgs,
    InvitationPageSchema,
    InvitationSchema,
    IssuedApiTokenSchema,
    IssuedInvitationSchema,
    MemberPageSchema,
    PasswordChangeSchema,
    UserSchema,
    VerificationSchema,
)

accounts = ApiBlueprint(
    "accounts", __name__, url_prefix="/api/v1", description="The caller, its company and tokens"
)
operator = ApiBlueprint(
    "operator", __name__, url_prefix="/api/v1/operator", description="Platform operators only"
)


@accounts.route("/users/me")
class Me(MethodView):
    @api_auth()
    @accounts.response(200, UserSchema)
    def get(self) -> Any:
        """The user the token acts for."""
        return services.load_user(current_principal().user_id)

    @api_auth(Scope.WRITE)
    @accounts.arguments(UserSchema)
    @accounts.response(200, UserSchema)
    def patch(self, changes: dict[str, Any]) -> Any:
        """Change the caller's display name, language or time zone."""
        return services.update_profile(current_principal(), changes)


@accounts.route("/users/me/password")
class MyPassword(MethodView):
    @api_auth(Scope.WRITE)
    @accounts.arguments(PasswordChangeSchema)
    @accounts.response(204)
    def post(self, body: dict[str, str]) -> None:
        """Change the caller's password."""
        services.change_password(
            current_principal(), body["current_password"], body["new_password"]
        )


@accounts.route("/companies/me")
class MyCompany(MethodView):
    @api_auth()
    @accounts.response(200, CompanySchema)
    def get(self) -> Any:
        """The caller's company with its roles and certifications."""
        return services.get_company(current_principal())

    @api_auth(Scope.WRITE, owner=True)
    @accounts.arguments(CompanyUpdateSchema)
    @accounts.response(200, CompanySchema)
    def patch(self, changes: dict[str, Any]) -> Any:
        """Change the company profile (owner only; the registration number is fixed)."""
        return services.update_company(current_principal(), changes)


@accounts.route("/companies/me/members")
class Members(MethodView):
    @api_auth()
    @accounts.arguments(CursorArgs, location="query")
    @accounts.response(200, MemberPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Members of the caller's company, newest first."""
        return services.list_members(current_principal(), **args)


@accounts.route("/companies/me/members/<id:user_id>")
class Member(MethodView):
    @api_auth(Scope.WRITE, owner=True)
    @accounts.response(204)
    def delete(self, user_id: int) -> None:
        """Remove a member (owner only); their sessions and tokens stop working."""
        services.remove_member(current_principal(), user_id)


@accounts.route("/companies/me/invitations")
class Invitations(MethodView):
    @api_auth(owner=True)
    @accounts.arguments(CursorArgs, location="query")
    @accounts.response(200, InvitationPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Invitations of the caller's company (owner only)."""
        return services.list_invitations(current_principal(), **args)

    @api_auth(Scope.WRITE, owner=True)
    @accounts.arguments(InvitationSchema)
    @accounts.response(201, IssuedInvitationSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Invite a member; the response carries the link to share, shown only this once."""
        issued = services.invite_member(
            current_principal(), body["email"], days=current_app.config["INVITATION_DAYS"]
        )
        accept_url = url_for("frontend.accept_invitation", token=issued.secret, _external=True)
        return {**dump_attributes(InvitationSchema, issued.record), "accept_url": accept_url}


@accounts.route("/companies/me/invitations/<id:invitation_id>")
class InvitationResource(MethodView):
    @api_auth(Scope.WRITE, owner=True)
    @accounts.response(200, InvitationSchema)
    def delete(self, invitation_id: int) -> Any:
        """Revoke an open invitation (owner only)."""
        return services.revoke_invitation(current_principal(), invitation_id)


@accounts.route("/companies/me/certifications")
class Certifications(MethodView):
    @api_auth()
    @accounts.response(200, CertificationSchema(many=True))
    def get(self) -> Any:
        """Certifications of the caller's company."""
        return services.get_company(current_principal()).certifications

    @api_auth(Scope.WRITE, owner=True)
    @accounts.arguments(CertificationSchema)
    @accounts.response(201, CertificationSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Record a certification, or renew it when the standard is already recorded."""
        return services.add_certification(current_principal(), **body)


@accounts.route("/companies/me/certifications/<id:certification_id>")
class CertificationResource(MethodView):
    @api_auth(Scope.WRITE, owner=True)
    @accounts.response(204)
    def delete(self, certification_id: int) -> None:
        """Remove a certification."""
        services.remove_certification(current_principal(), certification_id)


@accounts.route("/tokens")
class Tokens(MethodView):
    @api_auth()
    @accounts.arguments(CursorArgs, location="query")
    @accounts.response(200, ApiTokenPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Active API tokens of the caller's company (owners and operators); secrets never shown."""
        return services.list_api_tokens(current_principal(), **args)

    @api_auth(Scope.WRITE)
    @accounts.arguments(ApiTokenSchema)
    @accounts.response(201, IssuedApiTokenSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a token; its secret is in this response only."""
        issued = services.create_api_token(current_principal(), **body)
        return {**dump_attributes(ApiTokenSchema, issued.record), "token": issued.secret}


@accounts.route("/tokens/<id:token_id>")
class Token(MethodView):
    @api_auth(Scope.WRITE)
    @accounts.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke a token at once."""
        services.revoke_api_token(current_principal(), token_id)


@operator.route("/companies")
class ReviewCompanies(MethodView):
    @api_auth(operator=True)
    @operator.arguments(CompanyListArgs, location="query")
    @operator.response(200, CompanyPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """All companies, newest first, optionally only (un)verified ones."""
        return services.list_companies_for_review(current_principal(), **args)


@operator.route("/companies/<id:company_id>/verification")
class CompanyVerification(MethodView):
    @api_auth(Scope.WRITE, operator=True)
    @operator.arguments(VerificationSchema)
    @operator.response(200, CompanySchema)
    def put(self, body: dict[str, Any], company_id: int) -> Any:
        """Verify or un-verify a company; the decision is kept in its history."""
        return services.set_company_verification(current_principal(), company_id, **body)
