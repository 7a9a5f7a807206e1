"""The OpenAPI document: valid, complete, secured, and true to the API it describes.

The schemathesis run fuzzes every documented operation (valid and invalid data) with a write
token of a company owner and checks that nothing answers 5xx and every error is problem+json.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from core.db import db
from core.problem import PROBLEM_MIMETYPE
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.integration.conftest import bearer, issue_token
from tests.integration.test_authorization_matrix import ROUTES, _buyer_and_supplier

SPEC_URL = "/api/v1/openapi.json"
# Routes under /api/v1 that are documentation, not API operations.
UNDOCUMENTED_RULES = {"/api/v1/openapi.json", "/api/v1/docs"}
# Operations that are deliberately public (no bearerAuth requirement). None so far.
PUBLIC_OPERATIONS: set[tuple[str, str]] = {("/api/v1/ledger/verify", "post")}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get(SPEC_URL)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def openapi_path(rule: str) -> str:
    """`/a/<id:user_id>` (Werkzeug) -> `/a/{user_id}` (OpenAPI)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operations(spec_: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec_["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _resolve(spec_: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec_
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# --------------------------------------------------------------------------------------------
# The document itself
# --------------------------------------------------------------------------------------------


def test_openapi_document_is_valid(spec):
    validate(spec)


def test_every_api_route_is_documented(app, spec):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in UNDOCUMENTED_RULES:
            continue
        path = openapi_path(rule.rule)
        served |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, _ in _operations(spec)}
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_every_operation_requires_the_bearer_token(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sfp_…",
    }
    unsecured = []
    for path, method, operation in _operations(spec):
        requirements = operation.get("security", spec.get("security", []))
        if (path, method) in PUBLIC_OPERATIONS:
            continue
        if {"bearerAuth": []} not in requirements or {} in requirements:
            unsecured.append(f"{method.upper()} {path}: {requirements}")
    assert not unsecured, "operations without the bearerAuth requirement:\n" + "\n".join(unsecured)


def test_path_ids_are_documented_as_integers(spec):
    """Ids in paths are positive integers (the `id` converter); the document must say so."""
    wrong = []
    for path, item in spec["paths"].items():
        parameters = list(item.get("parameters", []))
        for method in HTTP_METHODS & set(item):
            parameters += item[method].get("parameters", [])
        for parameter in parameters:
            parameter = _resolve(spec, parameter)
            if parameter["in"] == "path" and parameter["schema"].get("type") != "integer":
                wrong.append(f"{path} {parameter['name']}: {parameter['schema']}")
    assert not wrong, "path ids not documented as integers:\n" + "\n".join(sorted(set(wrong)))


def test_error_responses_are_documented_as_problem_json(spec):
    """Errors are served as application/problem+json; the document must not promise JSON."""
    wrong = []
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith(("2", "3")):
                continue
            content = _resolve(spec, response).get("content", {})
            if PROBLEM_MIMETYPE not in content:
                wrong.append(f"{method.upper()} {path} {status}: {sorted(content)}")
    assert not wrong, "error responses not documented as problem+json:\n" + "\n".join(wrong)


# --------------------------------------------------------------------------------------------
# Fuzzing every operation
# --------------------------------------------------------------------------------------------
#
# schemathesis' own pytest loaders need the schema at import time (`schema.parametrize()`, but
# the app only exists once the session fixture runs, and `create_app` cannot build a second app
# in one process) or use `from_fixture`, whose subtests break on pytest 9. So each operation is
# parametrized from the authorization matrix's route table (which its walk keeps equal to the
# URL map) and fuzzed with schemathesis' Hypothesis strategies, valid and invalid data each.

FUZZED = sorted({(route.method, openapi_path(route.rule)) for route in ROUTES})


def test_the_fuzzed_operations_are_exactly_the_documented_ones(spec):
    documented = {(method.upper(), path) for path, method, _ in _operations(spec)}
    assert set(FUZZED) == documented


# Argon2 verifies with the parameters stored in the hash: a cheap hash of the factories' password
# keeps the password-change operation (which verifies on every example) fast.
CHEAP_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture(scope="session")
def api_schema(app):
    return schemathesis.openapi.from_wsgi(SPEC_URL, app)


def errors_are_problem_json(ctx, response, case) -> None:
    """Every 4xx/5xx response is an RFC 9457 problem document whose status matches."""
    if response.status_code < 400:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_MIMETYPE, (
        f"{response.status_code} served as {content_type!r}"
    )
    document = json.loads(response.content)
    assert document.get("status") == response.status_code, document
    assert document.get("title") and document.get("type"), document


# Account operations can revoke the caller's token or remove the caller; the marketplace's cannot.
ACCOUNT_PREFIXES = ("/api/v1/users/", "/api/v1/companies/", "/api/v1/tokens", "/api/v1/operator/")
MARKETPLACE_EXAMPLES = 15


def _fuzzing_owner_headers() -> dict[str, str]:
    """A fresh company owner's write token; the company buys and supplies, so marketplace
    operations get past the role checks."""
    company = CompanyFactory(role_rows=_buyer_and_supplier())
    owner = UserFactory(company=company, password_hash=CHEAP_PASSWORD_HASH)
    headers = bearer(issue_token(owner))
    db.session.remove()
    return headers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(
    ("method", "path"),
    [pytest.param(method, path, id=f"{method} {path}") for method, path in FUZZED],
)
def test_api_survives_fuzzing(api_schema, method, path, mode):
    operation = api_schema[path][method]
    # The tables are emptied once per pytest test, not per example: on account operations each
    # example gets its own owner, whose token no earlier example can have revoked or orphaned.
    fresh_owner_each_time = path.startswith(ACCOUNT_PREFIXES)
    shared_headers = None if fresh_owner_each_time else _fuzzing_owner_headers()

    @settings(
        # Marketplace operations are many and their bodies share field types: fewer examples
        # each keep the run short without leaving a kind of field unfuzzed.
        max_examples=25 if fresh_owner_each_time else MARKETPLACE_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case):
        headers = shared_headers or _fuzzing_owner_headers()

        response = case.call(headers=headers)
        db.session.remove()

        case.validate_response(
            response, checks=[not_a_server_error, errors_are_problem_json], headers=headers
        )

    fuzz()
