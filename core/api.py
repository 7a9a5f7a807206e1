"""The REST API root: flask-smorest under /api/v1, bearer-token security, problem+json errors."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import BaseConverter

from core.problem import ProblemSchema, handle_http_exception


class SharefabApi(Api):
    """flask-smorest's Api with errors rendered as problem+json (RFC 9457)."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: Any) -> Any:
        return handle_http_exception(error)


class IdConverter(BaseConverter):
    """A positive database id that fits in a signed 64-bit integer; anything else is a 404."""

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

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
    api.register_field(IdConverter, "integer", None)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "sfp_…"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}]
    return api
