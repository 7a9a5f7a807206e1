"""Errors as HTTP responses: RFC 9457 problem+json on the API, an error page on the web.

Every failure path of a request ends here, so no bad input can surface as an unhandled 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, Response, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from core.errors import DomainError
from core.translatable import N_

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemSchema(ma.Schema):
    """The problem document (RFC 9457), for the OpenAPI description of error responses."""

    type = ma.fields.String(metadata={"description": "A URI reference naming the problem kind"})
    title = ma.fields.String(metadata={"description": "Short summary of the problem kind"})
    status = ma.fields.Integer(metadata={"description": "The HTTP status code"})
    detail = ma.fields.String(metadata={"description": "What went wrong in this request"})
    instance = ma.fields.String(metadata={"description": "The path that was requested"})
    code = ma.fields.String(metadata={"description": "Stable machine-readable problem code"})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Field errors: JSON pointer, location and message"},
    )


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem_response(
    status: int,
    *,
    title: str,
    detail: str | None = None,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: Any, location: str | None = None) -> list[dict[str, Any]]:
    """Flatten marshmallow/webargs messages into a list of `{pointer, in, detail}` entries.

    Webargs nests messages under the request location (`json`, `query`, ...); marshmallow nests
    them by field and list index. Each leaf becomes one entry with a JSON pointer (RFC 6901).
    """
    if location is None and isinstance(messages, dict):
        locations = {"json", "query", "form", "headers", "files", "path", "view_args", "cookies"}
        if messages and set(messages) <= locations:
            entries: list[dict[str, Any]] = []
            for where, nested in messages.items():
                entries.extend(field_errors(nested, "path" if where == "view_args" else where))
            return entries
    return list(_walk(messages, "", location or "json"))


def _walk(messages: Any, pointer: str, location: str) -> Any:
    if isinstance(messages, dict):
        for key, nested in messages.items():
            if key == "_schema":
                yield from _walk(nested, pointer, location)
            else:
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                yield from _walk(nested, f"{pointer}/{escaped}", location)
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            for item in messages:
                yield {"pointer": pointer, "in": location, "detail": item}
        else:
            for index, nested in enumerate(messages):
                yield from _walk(nested, f"{pointer}/{index}", location)
    else:
        yield {"pointer": pointer, "in": location, "detail": str(messages)}


def domain_error_message(error: DomainError) -> str:
    """Translate a domain error's message into the request's language and fill its params."""
    text = gettext(error.message)
    return text % error.params if error.params else text


# Titles of the statuses this API returns, marked so they are translated like everything else.
HTTP_TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Content Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}


def http_title(status: int) -> str:
    return gettext(HTTP_TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error"))


def _http_title(error: HTTPException) -> str:
    return http_title(error.code or 500)


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    """Render any HTTP error (404, 405, 413, 422 from webargs, ...) for the API or the web."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if is_api_request():
        errors = None
        detail = data.get("message") or _http_detail(status, error)
        if "messages" in data:
            errors = field_errors(data["messages"])
            if status == 400 and _is_json_decode_error(data["messages"]):
                detail = gettext("The request body is not valid JSON.")
            else:
                detail = gettext("The input is not valid; see errors for each field.")
        return problem_response(
            status,
            title=_http_title(error),
            detail=detail,
            errors=errors,
            headers=data.get("headers") or _passthrough_headers(error),
        )
    return _error_page(status, _http_title(error), _http_detail(status, error))


def _is_json_decode_error(messages: Any) -> bool:
    return isinstance(messages, dict) and "json" in messages and isinstance(messages["json"], list)


def _http_detail(status: int, error: HTTPException) -> str:
    details = {
        400: gettext("The request could not be understood."),
        401: gettext("Sign in or send a valid API token."),
        403: gettext("You are not allowed to do this."),
        404: gettext("There is nothing here."),
        405: gettext("This method is not allowed here."),
        413: gettext("The request body is too large."),
        415: gettext("This content type is not supported here."),
        422: gettext("The input is not valid."),
        429: gettext("Too many requests; wait a moment and try again."),
    }
    return details.get(status, gettext("Something went wrong on our side."))


def _passthrough_headers(error: HTTPException) -> dict[str, str]:
    """Keep headers the client needs from the original error, such as Allow and Retry-After."""
    response = error.get_response()
    keep = ("Allow", "Retry-After", "WWW-Authenticate")
    return {name: response.headers[name] for name in keep if name in response.headers}


def handle_domain_error(error: DomainError) -> Response | tuple[str, int]:
    message = domain_error_message(error)
    if is_api_request():
        errors = None
        if error.field:
            pointer = "/" + error.field.replace(".", "/")
            errors = [{"pointer": pointer, "in": error.location, "detail": message}]
        title = http_title(error.status)
        return problem_response(
            error.status, title=title, detail=message, code=error.code, errors=errors
        )
    return _error_page(error.status, message, "")


def handle_csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    detail = gettext(
        "The form expired or was sent from another site. Reload the page and try again."
    )
    if is_api_request():
        return problem_response(400, title=http_title(400), detail=detail, code="csrf")
    return _error_page(400, http_title(400), detail)


def handle_database_busy(error: OperationalError) -> Response | tuple[str, int]:
    """SQLite refuses a write whose snapshot another writer changed: nothing was stored, retry."""
    if not _is_busy(error):
        return handle_unexpected_error(error)
    from core.db import db

    db.session.rollback()
    detail = gettext("The database was busy with another change; nothing was saved. Try again.")
    if is_api_request():
        return problem_response(
            503, title=http_title(503), detail=detail, code="busy", headers={"Retry-After": "1"}
        )
    return _error_page(503, http_title(503), detail)


def _is_busy(error: OperationalError) -> bool:
    message = str(error.orig).lower() if error.orig is not None else ""
    return "database is locked" in message or "database is busy" in message


def handle_unexpected_error(error: Exception) -> Response | tuple[str, int]:
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return handle_http_exception(InternalServerError())


def _error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    """Route every error of the app through this module (after flask-smorest registered its own)."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(OperationalError, handle_database_busy)
    app.register_error_handler(Exception, handle_unexpected_error)
