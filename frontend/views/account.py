"""The user's own settings and the company's API tokens."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth import Scope
from core.errors import DomainError
from frontend.forms import AccountForm, PasswordForm, TokenForm
from frontend.views.common import (
    acting_principal,
    owner_required,
    show_domain_error,
    show_once,
    take_shown_once,
)
from marketplace import services
from marketplace.domain import Language

COMMON_TIMEZONES = sorted(
    zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc")
)


def _account_forms(
    account_form: AccountForm | None = None, password_form: PasswordForm | None = None
):
    account_form = account_form or AccountForm(obj=current_user)
    account_form.timezone.choices = COMMON_TIMEZONES
    return account_form, password_form or PasswordForm()


@login_required
def account():
    account_form, password_form = _account_forms()
    return render_template("account/settings.html", form=account_form, password_form=password_form)


@login_required
def update_account():
    account_form, password_form = _account_forms(AccountForm())
    if account_form.validate_on_submit():
        services.update_profile(
            acting_principal(),
            {
                "display_name": account_form.display_name.data.strip(),
                "preferred_language": Language(account_form.preferred_language.data),
                "timezone": account_form.timezone.data,
            },
        )
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("frontend.account"))
    return render_template(
        "account/settings.html", form=account_form, password_form=password_form
    ), 422


@login_required
def change_password():
    account_form, password_form = _account_forms(password_form=PasswordForm())
    if password_form.validate_on_submit():
        try:
            services.change_password(
                acting_principal(),
                password_form.current_password.data,
                password_form.new_password.data,
            )
        except DomainError as error:
            show_domain_error(password_form, error)
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("frontend.account"))
    return render_template(
        "account/settings.html", form=account_form, password_form=password_form
    ), 422


@owner_required
def api_tokens():
    return _tokens_page(TokenForm(), status=200)


def _tokens_page(form: TokenForm, *, status: int):
    page = services.list_api_tokens(acting_principal(), limit=200, cursor=None)
    issued = take_shown_once("api-token")
    return render_template(
        "account/tokens.html", tokens=page.items, form=form, issued=issued
    ), status


@owner_required
def create_api_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, status=422)
    issued = services.create_api_token(
        acting_principal(), name=form.name.data, scope=Scope(form.scope.data)
    )
    show_once("api-token", issued.secret)
    return redirect(url_for("frontend.api_tokens"))


@owner_required
def revoke_api_token(token_id: int):
    services.revoke_api_token(acting_principal(), token_id)
    if request.headers.get("HX-Request"):
        return ""
    flash(_("The token is revoked."), "success")
    return redirect(url_for("frontend.api_tokens"))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/account", view_func=account)
    blueprint.add_url_rule("/account", view_func=update_account, methods=["POST"])
    blueprint.add_url_rule("/account/password", view_func=change_password, methods=["POST"])
    blueprint.add_url_rule("/tokens", view_func=api_tokens)
    blueprint.add_url_rule("/tokens", view_func=create_api_token, methods=["POST"])
    blueprint.add_url_rule(
        "/tokens/<id:token_id>/revoke", view_func=revoke_api_token, methods=["POST"]
    )
