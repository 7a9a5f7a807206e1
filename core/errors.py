"""Named domain errors. Pure Python: the HTTP mapping lives in `core.problem`."""

from __future__ import annotations

from typing import Any

from core.translatable import N_


class DomainError(Exception):
    """A rule of the business was broken; the caller gets a 4xx with this message.

    `message` is English source text (translated at the boundary), formatted with `params`.
    `field` names the input field at fault, when there is one, and `location` where it was sent
    (`json` body, `query` string, `path`).
    """

    status = 400
    code = "bad-request"
    message = N_("The request cannot be carried out.")

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        location: str = "json",
        **params: Any,
    ) -> None:
        if message is not None:
            self.message = message
        self.field = field
        self.location = location
        self.params = params
        super().__init__(self.message % params if params else self.message)


class NotFound(DomainError):
    status = 404
    code = "not-found"
    message = N_("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    message = N_("You are not allowed to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = N_("This conflicts with the current state.")


class InvalidInput(DomainError):
    status = 422
    code = "invalid-input"
    message = N_("The input is not valid.")


class InvalidTransition(Conflict):
    code = "invalid-transition"
    message = N_("This change of status is not allowed.")
