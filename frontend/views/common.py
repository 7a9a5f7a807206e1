"""Helpers shared by the page views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, session
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from core.auth import Principal
from core.errors import DomainError
from core.problem import domain_error_message
from marketplace.services import principal_for_user


def acting_principal() -> Principal:
    """The signed-in user as a principal for the services (pages have full write access)."""
    return principal_for_user(current_user)


def show_domain_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a domain error next to the field it concerns, or at the top of the page."""
    message = domain_error_message(error)
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        flash(message, "error")


_SHOWN_ONCE_KEY = "shown_once"


def show_once(kind: str, secret: str) -> None:
    """Keep a secret for the next page only (post/redirect/get: a reload creates nothing new)."""
    session[_SHOWN_ONCE_KEY] = {"kind": kind, "secret": secret}


def take_shown_once(kind: str) -> str | None:
    """Return (and forget) the secret kept by `show_once` for `kind`."""
    kept = session.get(_SHOWN_ONCE_KEY)
    if not kept or kept.get("kind") != kind:
        return None
    session.pop(_SHOWN_ONCE_KEY)
    return kept["secret"]


def owner_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def company_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.company_id is None:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
