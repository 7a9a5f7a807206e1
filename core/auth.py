"""Authentication plumbing: password hashing, API bearer tokens, the acting principal.

Who the users are is the marketplace's business; it registers how a token becomes a principal
(`set_token_loader`) and how a session id becomes a user (Flask-Login's user loader).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request
from flask_login import LoginManager
from itsdangerous import BadData, URLSafeSerializer

from core.errors import PermissionDenied
from core.translatable import N_

login_manager = LoginManager()
login_manager.login_view = "frontend.login"
login_manager.session_protection = "strong"

_password_hasher = PasswordHasher()
# Verifying against this hash when the email is unknown keeps sign-in time the same either way.
_DUMMY_HASH = _password_hasher.hash("not-a-real-password")

TOKEN_PREFIX = "sfp_"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user, the company they act for and what they may do."""

    user_id: int
    company_id: int | None
    company_role: str | None
    is_operator: bool
    scope: Scope
    token_id: int | None = None

    @property
    def is_owner(self) -> bool:
        return self.company_role == "owner"


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its argon2 hash (or a dummy hash when there is none)."""
    try:
        return _password_hasher.verify(password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _password_hasher.check_needs_rehash(password_hash)


def new_api_token() -> tuple[str, str]:
    """Return a fresh token (shown to its owner once) and the digest stored in its place."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, api_token_digest(token)


def api_token_digest(token: str) -> str:
    # A random 256-bit secret needs no slow hash: SHA-256 cannot be brute-forced back to it.
    return hashlib.sha256(token.encode()).hexdigest()


# Cached per request (not on g, which outlives a request when an app context is reused).
_PRINCIPAL_KEY = "sharefab.principal"

TokenLoader = Callable[[str], Principal | None]
_token_loader: TokenLoader | None = None


def set_token_loader(loader: TokenLoader) -> None:
    """Register how a token digest is turned into a principal (None for unknown or revoked)."""
    global _token_loader
    _token_loader = loader


class Unauthenticated(PermissionDenied):
    status = 401
    code = "unauthenticated"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate_request() -> Principal:
    """Return the principal behind the request's bearer token.

    Raises:
        Unauthenticated: when the token is missing, unknown, expired or revoked.
    """
    principal = request.environ.get(_PRINCIPAL_KEY)
    if principal is not None:
        return principal
    token = _bearer_token()
    if token is None or _token_loader is None or not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated(N_("Send a valid API token as 'Authorization: Bearer …'."))
    principal = _token_loader(api_token_digest(token))
    if principal is None:
        raise Unauthenticated(N_("This API token is unknown, expired or revoked."))
    request.environ[_PRINCIPAL_KEY] = principal
    return principal


F = TypeVar("F", bound=Callable[..., Any])


def api_auth(scope: Scope = Scope.READ, *, owner: bool = False, operator: bool = False):
    """Require a bearer token with `scope` (and, optionally, company ownership or operator rights).

    Raises:
        Unauthenticated: without a valid token.
        PermissionDenied: when the token's scope or the user's role is not enough.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate_request()
            if scope is Scope.WRITE and principal.scope is not Scope.WRITE:
                raise PermissionDenied(N_("This API token is read-only."))
            if operator and not principal.is_operator:
                raise PermissionDenied(N_("Only platform operators may do this."))
            if owner and not principal.is_owner:
                raise PermissionDenied(N_("Only the company owner may do this."))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def current_principal() -> Principal:
    """Return the principal authenticated for this request.

    Raises:
        Unauthenticated: when the request carries no valid credentials.
    """
    return authenticate_request()


def sign_value(purpose: str, value: Any) -> str:
    """Return a URL-safe token carrying `value`, signed with the app's secret key for `purpose`."""
    return URLSafeSerializer(str(current_app.secret_key), salt=purpose).dumps(value)


def unsign_value(purpose: str, token: str) -> Any:
    """Return the value inside a token made by `sign_value`, or None if it was forged or altered."""
    try:
        return URLSafeSerializer(str(current_app.secret_key), salt=purpose).loads(token)
    except BadData:
        return None
