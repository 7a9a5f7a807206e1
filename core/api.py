"""The REST API root: flask-smorest under /api/v1, bearer-token security, problem+json errors."""

from __future__ import annotations

import http
import json
from typing import Any

import flask
from flask import Flask
from flask_smorest import Api, Blueprint, abort
from flask_smorest.utils import prepare_response
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser
from werkzeug.routing import BaseConverter, ValidationError

from core.db import MAX_ID
from core.problem import PROBLEM_MIMETYPE, ProblemSchema, handle_http_exception


class SharefabApi(Api):
    """flask-smorest's Api with errors rendered and documented as problem+json (RFC 9457)."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: Any) -> Any:
        return handle_http_exception(error)

    def _register_responses(self) -> None:
        """Document every error response as `application/problem+json`, as it is served."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


class JsonBodyParser(FlaskParser):
    """Webargs' parser, stricter about bodies: JSON only, present, and not nested absurdly deep."""

    def load_json(self, req: flask.Request, schema: Any) -> Any:
        if not webargs_core.is_json(req.mimetype):
            abort(415, message="Send the body as application/json.")
        if not req.get_data(cache=True):
            abort(400, message="A JSON body is required.")
        return super().load_json(req, schema)

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as error:
            if isinstance(error, json.JSONDecodeError):
                raise
            # Webargs turns JSONDecodeError into a 400; a stack overflow, or an integer beyond
            # Python's 4,300-digit conversion limit (a ValueError), is just as malformed.
            # (A non-empty `doc`: webargs reads an empty one as "no body" rather than an error.)
            raise json.JSONDecodeError(
                "nested too deeply or number too long", "<body>", 0
            ) from None


class ApiBlueprint(Blueprint):
    """The blueprint every REST module uses, so all of them parse bodies the same way."""

    ARGUMENTS_PARSER = JsonBodyParser()


class IdConverter(BaseConverter):
    """A positive database id within the id columns' range; anything else is a 404."""

    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def init_api(app: Flask) -> Api:
    """Create the app's API (one per app: the OpenAPI document is per app)."""
    app.url_map.converters["id"] = IdConverter
    api = SharefabApi()
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "ShareFab's REST API. Authenticate with `Authorization: Bearer <token>`; "
                    "company owners create tokens on the API tokens page. Errors are "
                    "`application/problem+json` (RFC 9457). Listings use cursor pagination."
                )
            },
            "servers": [{"url": "/"}],
        },
    )
    api.register_converter(
        IdConverter, lambda converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "sfp_…"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    return api
