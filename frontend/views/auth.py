"""Sign up, sign in, sign out and accepting an invitation."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core.errors import DomainError
from core.i18n import normalize_language
from core.security import limiter
from frontend.forms import AcceptInvitationForm, LoginForm, SignupForm
from frontend.views.common import show_domain_error
from marketplace import services
from marketplace.domain import CompanyRole, Language


def _default_language() -> str:
    return normalize_language(str(request.accept_languages.best_match(["zh-CN", "en"]))) or "en"


def signup():
    form = SignupForm()
    if request.method == "GET":
        form.preferred_language.data = session.get("language") or _default_language()
    if form.validate_on_submit():
        try:
            user = services.register_company(
                legal_name=form.legal_name.data,
                country=form.country.data,
                registration_number=form.registration_number.data,
                province=form.province.data or "",
                city=form.city.data,
                address=form.address.data or "",
                roles={CompanyRole(role) for role in form.roles.data},
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                preferred_language=Language(form.preferred_language.data),
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            login_user(user)
            flash(_("Welcome to ShareFab. Your company is registered."), "success")
            return redirect(url_for("frontend.company_profile"))
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def login():
    if current_user.is_authenticated:
        return redirect(url_for("frontend.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("frontend.dashboard")
            return redirect(target)
        form.password.errors = [_("The email or password is not correct.")]
    return render_template("auth/login.html", form=form), 401 if form.errors else 200


@login_required
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("frontend.home"))


def accept_invitation(token: str):
    try:
        invitation = services.find_open_invitation(token)
    except DomainError as error:
        show_domain_error(None, error)
        return render_template("auth/invitation_invalid.html"), 404
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.preferred_language.data = _default_language()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                token,
                display_name=form.display_name.data,
                password=form.password.data,
                preferred_language=Language(form.preferred_language.data),
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash(_("Welcome to %(company)s.", company=invitation.company.legal_name), "success")
            return redirect(url_for("frontend.company_profile"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/signup", view_func=signup, methods=["GET", "POST"])
    limited_login = limiter.limit(_login_limit, methods=["POST"])(login)
    blueprint.add_url_rule(
        "/login", view_func=limited_login, endpoint="login", methods=["GET", "POST"]
    )
    blueprint.add_url_rule("/logout", view_func=logout, methods=["POST"])
    blueprint.add_url_rule(
        "/invitations/<token>", view_func=accept_invitation, methods=["GET", "POST"]
    )
