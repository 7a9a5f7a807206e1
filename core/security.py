"""Request-level protections: rate limits and security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, abort, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def _refuse_nul_characters() -> None:
    """Refuse NUL in query strings and forms (no real value has one; PostgreSQL rejects it)."""
    values = list(request.args.values())
    if request.mimetype in FORM_MIMETYPES:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def admit_large_bodies(
    blueprint: Blueprint,
    endpoints: set[str],
    limit: int,
    may: Callable[[], bool] = lambda: True,
) -> None:
    """Raise the body limit to `limit` for some endpoints of `blueprint` (uploads), when `may()`.

    It has to happen before the app's before-request hooks (CSRF, the NUL check), which read
    forms and would refuse a large body at the global limit: Flask runs a blueprint's URL value
    preprocessors first.
    """

    def raise_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if endpoint in endpoints and may():
            request.max_content_length = limit

    blueprint.url_value_preprocessor(raise_limit)


FORM_MIMETYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def init_security(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    # Flask-Limiter reads RATELIMIT_STORAGE_URI: Redis when configured, else per-process memory.
    limiter.init_app(app)
    app.after_request(_security_headers)
