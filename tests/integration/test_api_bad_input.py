"""Bad input on every API route: a 4xx problem+json document, never a 500, and nothing changes.

Covered: malformed and non-object JSON bodies, wrong types, unknown fields, nulls, empty and
non-JSON bodies, oversize bodies, 10k-character strings, NUL characters (emoji must round-trip
or be refused cleanly), malformed path ids, malformed paging parameters and wrong methods. Plus
sign-up (web only) refusing a unified social credit code whose check character is wrong.

The marketplace routes get the same sweep, out-of-range numbers, dates and codes besides; as a
refused request changes nothing, each route runs its cases in a loop on one world (building a
world, not sending a request, is what costs time).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.problem import PROBLEM_MIMETYPE
from marketplace.models import Company, User
from marketplace.uscc import CODE_ALPHABET, make_uscc
from tests.factories import PASSWORD, CompanyFactory, OperatorFactory, UserFactory, principal_of
from tests.integration.conftest import bearer, issue_token
from tests.integration.test_authorization_matrix import (
    Market,
    _buyer_and_supplier,
    build_market,
)

# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@dataclass
class Callers:
    owner: dict[str, str]
    operator: dict[str, str]
    company_id: int
    owner_id: int


@pytest.fixture
def callers() -> Callers:
    # The owner's company buys and supplies, so every marketplace route is open to it.
    owner = UserFactory(company=CompanyFactory(role_rows=_buyer_and_supplier()))
    operator = OperatorFactory()
    result = Callers(
        owner=bearer(issue_token(owner)),
        operator=bearer(issue_token(operator)),
        company_id=owner.company_id,
        owner_id=owner.id,
    )
    db.session.remove()
    return result


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table, minus bookkeeping that merely using a token updates."""
    volatile = {"last_used_at", "last_login_at"}
    state = {}
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if column.name not in volatile]
        rows = db.session.execute(select(*columns))
        state[table.name] = sorted(tuple(repr(value) for value in row) for row in rows)
    db.session.remove()
    return state


def describe(response) -> str:
    body = response.get_data(as_text=True)[:600]
    return f"{response.status_code} {response.content_type}: {body}"


def assert_problem(response, *statuses: int) -> dict[str, Any]:
    """Assert a client-error problem document (RFC 9457) and return it."""
    assert 400 <= response.status_code < 500, describe(response)
    if statuses:
        assert response.status_code in statuses, describe(response)
    assert response.mimetype == PROBLEM_MIMETYPE, describe(response)
    document = response.get_json()
    assert isinstance(document, dict), describe(response)
    assert isinstance(document.get("type"), str) and document["type"], document
    assert isinstance(document.get("title"), str) and document["title"], document
    assert document.get("status") == response.status_code, document
    if response.status_code == 422:
        errors = document.get("errors")
        assert isinstance(errors, list) and errors, f"422 without field errors: {document}"
        for entry in errors:
            assert isinstance(entry.get("pointer"), str), entry
            assert entry["pointer"] == "" or entry["pointer"].startswith("/"), entry
            assert isinstance(entry.get("detail"), str) and entry["detail"], entry
    return document


def pointers(document: dict[str, Any]) -> list[str]:
    return [entry["pointer"] for entry in document.get("errors", [])]


def assert_points_at(document: dict[str, Any], name: str) -> None:
    found = pointers(document)
    assert any(p == f"/{name}" or p.startswith(f"/{name}/") for p in found), (
        f"no error points at /{name}: {document}"
    )


def send(client, method: str, path: str, headers: dict[str, str], **kwargs: Any):
    response = client.open(path, method=method, headers=headers, **kwargs)
    db.session.remove()  # what the end of a real request does
    return response


# --------------------------------------------------------------------------------------------
# Write routes and their fields
# --------------------------------------------------------------------------------------------

TEXT = "text"  # free text stored as given
SECRET = "secret"  # a password: checked, hashed, never stored as text
EMAIL = "email"
TIMEZONE = "timezone"
ENUM = "enum"
DATE = "date"
BOOL = "bool"
ROLES = "roles"

WRONG_TYPES: dict[str, list[Any]] = {
    TEXT: [12345, True, ["text"], {"text": 1}],
    SECRET: [12345, False, ["secret"]],
    EMAIL: [12345, ["someone@example.cn"], {"email": "someone@example.cn"}],
    TIMEZONE: [8, ["Asia/Shanghai"], "Mars/Olympus_Mons"],
    ENUM: [1, ["value"], {"value": 1}, "no-such-choice"],
    DATE: [20991231, True, "31/12/2099", "2099-13-45"],
    BOOL: ["maybe", 2, ["true"], {"verified": True}],
    ROLES: ["buyer", 5, [5], ["astronaut"], [{"role": "buyer"}]],
}

STRING_KINDS = {TEXT, SECRET, EMAIL, TIMEZONE}


@dataclass(frozen=True)
class WriteRoute:
    method: str
    path: str  # may contain {company_id}
    caller: str  # "owner" or "operator"
    valid: dict[str, Any]
    fields: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, callers: Callers) -> str:
        return self.path.format(company_id=callers.company_id)

    def headers(self, callers: Callers) -> dict[str, str]:
        return dict(getattr(callers, self.caller))


WRITE_ROUTES = [
    WriteRoute(
        "PATCH",
        "/api/v1/users/me",
        "owner",
        {"display_name": "A valid name"},
        {"display_name": TEXT, "preferred_language": ENUM, "timezone": TIMEZONE},
    ),
    WriteRoute(
        "POST",
        "/api/v1/users/me/password",
        "owner",
        {"current_password": PASSWORD, "new_password": "another-good-password"},
        {"current_password": SECRET, "new_password": SECRET},
    ),
    WriteRoute(
        "PATCH",
        "/api/v1/companies/me",
        "owner",
        {"city": "苏州市"},
        {
            "legal_name": TEXT,
            "province": TEXT,
            "city": TEXT,
            "address": TEXT,
            "description": TEXT,
            "website": TEXT,
            "roles": ROLES,
        },
    ),
    WriteRoute(
        "POST",
        "/api/v1/companies/me/invitations",
        "owner",
        {"email": "newcomer@example.cn"},
        {"email": EMAIL},
    ),
    WriteRoute(
        "POST",
        "/api/v1/companies/me/certifications",
        "owner",
        {"standard": "ISO 9001", "valid_until": "2099-12-31", "certificate_number": "C-1"},
        {"standard": ENUM, "certificate_number": TEXT, "issued_by": TEXT, "valid_until": DATE},
    ),
    WriteRoute(
        "POST",
        "/api/v1/tokens",
        "owner",
        {"name": "ci", "scope": "read"},
        {"name": TEXT, "scope": ENUM},
    ),
    WriteRoute(
        "PUT",
        "/api/v1/operator/companies/{company_id}/verification",
        "operator",
        {"verified": True, "note": "documents checked"},
        {"verified": BOOL, "note": TEXT},
    ),
]


def _field_cases(kinds: set[str] | None = None) -> list[Any]:
    return [
        pytest.param(route, name, id=f"{route.id} {name}")
        for route in WRITE_ROUTES
        for name, kind in route.fields.items()
        if kinds is None or kind in kinds
    ]


def _refused_unchanged(client, callers, route: WriteRoute, *statuses: int, **kwargs: Any):
    before = database_state()
    response = send(client, route.method, route.url(callers), route.headers(callers), **kwargs)
    document = assert_problem(response, *statuses)
    assert database_state() == before, "a refused request changed the database"
    return document


# --------------------------------------------------------------------------------------------
# Bodies that are not a JSON object
# --------------------------------------------------------------------------------------------

ROUTE_PARAMS = [pytest.param(route, id=route.id) for route in WRITE_ROUTES]


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_valid_body_is_accepted(client, callers, route):
    """Control: the bodies the cases below start from are themselves valid."""
    response = send(
        client, route.method, route.url(callers), route.headers(callers), json=route.valid
    )
    assert response.status_code < 300, describe(response)


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_malformed_json_is_400(client, callers, route):
    document = _refused_unchanged(
        client, callers, route, 400, data="{bad", content_type="application/json"
    )
    assert "JSON" in document.get("detail", ""), document


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_invalid_utf8_is_400(client, callers, route):
    _refused_unchanged(
        client, callers, route, 400, data=b'{"name": "\xff\xfe"}', content_type="application/json"
    )


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_deeply_nested_json_is_refused(client, callers, route):
    nested = "[" * 100_000 + "]" * 100_000  # 200 kB, well under MAX_CONTENT_LENGTH
    _refused_unchanged(
        client, callers, route, 400, 422, data=nested, content_type="application/json"
    )


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize(
    "document", ["array", "null", "string", "number"], ids=lambda name: f"json {name}"
)
def test_json_that_is_not_an_object_is_422(client, callers, route, document):
    body = {
        "array": [route.valid],
        "null": None,
        "string": "text",
        "number": 42,
    }[document]
    problem = _refused_unchanged(
        client, callers, route, 422, data=json.dumps(body), content_type="application/json"
    )
    assert "" in pointers(problem), problem


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"data": "", "content_type": "application/json"}, id="empty json body"),
        pytest.param({}, id="no body no content type"),
    ],
)
def test_empty_body_is_refused(client, callers, route, kwargs):
    """The OpenAPI document marks every request body required; none is an error, not a no-op."""
    _refused_unchanged(client, callers, route, 400, 415, 422, **kwargs)


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_content_type_is_refused(client, callers, route, content_type):
    """A valid JSON text sent as another media type must not be taken as an empty change."""
    _refused_unchanged(
        client, callers, route, 415, 422, data=json.dumps(route.valid), content_type=content_type
    )


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_oversize_body_is_413(client, app, callers, route):
    limit = app.config["MAX_CONTENT_LENGTH"]
    name = next(iter(route.valid))
    body = json.dumps({**route.valid, name: "x" * (limit + 1)})
    _refused_unchanged(client, callers, route, 413, data=body, content_type="application/json")


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_unknown_field_is_422(client, callers, route):
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, "surprise": 1})
    assert_points_at(problem, "surprise")


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_server_owned_fields_cannot_be_sent(client, callers, route):
    """Fields the server sets (id, created_at, ...) are refused, not silently ignored."""
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, "id": 1})
    assert_points_at(problem, "id")


def test_read_only_company_fields_cannot_be_patched(client, callers):
    """The registration number, country and verification are fixed for the owner."""
    route = WRITE_ROUTES[2]
    for name, value in {
        "registration_number": make_uscc("9", "1", "110000", "77777777"),
        "country": "US",
        "verified": True,
        "id": 999,
    }.items():
        problem = _refused_unchanged(client, callers, route, 422, json={name: value})
        assert_points_at(problem, name)


# --------------------------------------------------------------------------------------------
# Field by field
# --------------------------------------------------------------------------------------------


def _wrong_type_cases() -> list[Any]:
    return [
        pytest.param(route, name, value, id=f"{route.id} {name}={json.dumps(value)}")
        for route in WRITE_ROUTES
        for name, kind in route.fields.items()
        for value in WRONG_TYPES[kind]
    ]


@pytest.mark.parametrize(("route", "name", "value"), _wrong_type_cases())
def test_wrong_type_is_422_at_the_field(client, callers, route, name, value):
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, name: value})
    assert_points_at(problem, name)


@pytest.mark.parametrize(("route", "name"), _field_cases())
def test_null_is_422_at_the_field(client, callers, route, name):
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, name: None})
    assert_points_at(problem, name)


@pytest.mark.parametrize(("route", "name"), _field_cases(STRING_KINDS))
def test_ten_thousand_characters_is_422_at_the_field(client, callers, route, name):
    value = "x" * 10_000
    if route.fields[name] == EMAIL:
        value = "x" * 10_000 + "@example.cn"
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, name: value})
    assert_points_at(problem, name)


NUL_VALUES = {
    TEXT: "before\x00after",
    EMAIL: "new\x00comer@example.cn",
    TIMEZONE: "Asia/Shang\x00hai",
}


@pytest.mark.parametrize(("route", "name"), _field_cases(set(NUL_VALUES)))
def test_nul_character_is_422_at_the_field(client, callers, route, name):
    """NUL cannot be stored in PostgreSQL text and has no place in these fields."""
    value = NUL_VALUES[route.fields[name]]
    problem = _refused_unchanged(client, callers, route, 422, json={**route.valid, name: value})
    assert_points_at(problem, name)


@pytest.mark.parametrize(("route", "name"), _field_cases({TEXT}))
def test_emoji_is_stored_exactly_or_refused_cleanly(client, callers, route, name):
    """Emoji (astral-plane characters) are legitimate text: kept as sent, or a clean 422."""
    value = "工厂 🏭 ok"
    before = database_state()
    response = send(
        client, route.method, route.url(callers), route.headers(callers),
        json={**route.valid, name: value},
    )  # fmt: skip
    if response.status_code < 300:
        after = database_state()
        stored = any(value in cell for rows in after.values() for row in rows for cell in row)
        assert stored, f"{name} was accepted but not stored exactly as sent"
    else:
        problem = assert_problem(response, 422)
        assert_points_at(problem, name)
        assert database_state() == before


# --------------------------------------------------------------------------------------------
# Path ids
# --------------------------------------------------------------------------------------------

ID_ROUTES = [
    ("DELETE", "/api/v1/companies/me/members/{id}", "owner", None),
    ("DELETE", "/api/v1/companies/me/invitations/{id}", "owner", None),
    ("DELETE", "/api/v1/companies/me/certifications/{id}", "owner", None),
    ("DELETE", "/api/v1/tokens/{id}", "owner", None),
    ("PUT", "/api/v1/operator/companies/{id}/verification", "operator", {"verified": True}),
]
# Malformed ids never match a route; well-formed ones that exist nowhere are a 404 from the service
# (2147483648 is one past PostgreSQL's INTEGER range, 999999999999999999 the converter's maximum).
BAD_IDS = [
    "0",
    "-1",
    "abc",
    "99999999999999999999999",
    "1.5",
    "1e3",
    "%20",
    "2147483648",
    "999999999999999999",
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(
    ("method", "path", "caller", "body"),
    [pytest.param(*entry, id=f"{entry[0]} {entry[1]}") for entry in ID_ROUTES],
)
def test_bad_path_id_is_404(client, callers, method, path, caller, body, bad_id):
    before = database_state()
    response = send(client, method, path.format(id=bad_id), getattr(callers, caller), json=body)
    assert_problem(response, 404)
    assert database_state() == before


# --------------------------------------------------------------------------------------------
# Paging parameters
# --------------------------------------------------------------------------------------------


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


LISTINGS = [
    ("/api/v1/companies/me/members", "owner"),
    ("/api/v1/companies/me/invitations", "owner"),
    ("/api/v1/tokens", "owner"),
    ("/api/v1/operator/companies", "operator"),
]
BAD_QUERIES = {
    "limit=0": ("limit", "0"),
    "limit=-1": ("limit", "-1"),
    "limit=1000": ("limit", "1000"),
    "limit=abc": ("limit", "abc"),
    "limit=1.5": ("limit", "1.5"),
    "cursor=garbage": ("cursor", "garbage"),
    "cursor=after 1e30": ("cursor", _cursor(b'{"after": 1e30}')),
    "cursor=after x": ("cursor", _cursor(b'{"after": "x"}')),
    "cursor=after -5": ("cursor", _cursor(b'{"after": -5}')),
    "cursor=after 2**64": ("cursor", _cursor(b'{"after": 18446744073709551616}')),
    "cursor=after true": ("cursor", _cursor(b'{"after": true}')),
    "cursor=list": ("cursor", _cursor(b"[1]")),
    "cursor=not utf-8": ("cursor", _cursor(b"\xff\xfe\xfd")),
    "cursor=300 chars": ("cursor", "x" * 300),
}


@pytest.mark.parametrize("query", list(BAD_QUERIES))
@pytest.mark.parametrize(("path", "caller"), [pytest.param(*e, id=e[0]) for e in LISTINGS])
def test_bad_paging_parameter_is_422(client, callers, path, caller, query):
    name, value = BAD_QUERIES[query]
    before = database_state()
    response = send(client, "GET", path, getattr(callers, caller), query_string={name: value})
    problem = assert_problem(response, 422)
    assert_points_at(problem, name)
    assert database_state() == before


@pytest.mark.parametrize("after", [2**31, 2**62])
@pytest.mark.parametrize(("path", "caller"), [pytest.param(*e, id=e[0]) for e in LISTINGS])
def test_cursor_beyond_the_id_range_is_not_a_server_error(client, callers, path, caller, after):
    """A well-formed cursor past any stored id: an empty page or a 422, never a 500."""
    cursor = _cursor(json.dumps({"after": after}).encode())
    response = send(client, "GET", path, getattr(callers, caller), query_string={"cursor": cursor})
    if response.status_code != 200:
        assert_points_at(assert_problem(response, 422), "cursor")


def test_bad_verified_filter_is_422(client, callers):
    response = send(
        client, "GET", "/api/v1/operator/companies", callers.operator,
        query_string={"verified": "maybe"},
    )  # fmt: skip
    assert_points_at(assert_problem(response, 422), "verified")


@pytest.mark.parametrize("query", ["limit=abc", "cursor=garbage"])
def test_query_errors_name_the_query_as_their_location(client, callers, query):
    """Field errors say where the field is: `in` is "query" for both kinds of paging error."""
    name, value = BAD_QUERIES[query]
    response = send(client, "GET", "/api/v1/tokens", callers.owner, query_string={name: value})
    problem = assert_problem(response, 422)
    entries = [entry for entry in problem["errors"] if entry["pointer"] == f"/{name}"]
    assert entries and all(entry.get("in") == "query" for entry in entries), problem


# --------------------------------------------------------------------------------------------
# Methods and unknown paths
# --------------------------------------------------------------------------------------------

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def test_wrong_method_is_405_with_allow(client, app, callers):
    checked = []
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<id:{argument}>", "1").replace(f"<{argument}>", "1")
        for method in sorted(METHODS - rule.methods):
            response = send(client, method, path, callers.owner, json={})
            checked.append((method, path))
            allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m}
            problems = []
            if response.status_code != 405:
                problems.append(f"status {response.status_code}")
            if response.mimetype != PROBLEM_MIMETYPE:
                problems.append(f"content type {response.content_type}")
            elif response.get_json().get("status") != 405:
                problems.append(f"document {response.get_json()}")
            if allowed != set(rule.methods):
                problems.append(f"Allow {sorted(allowed)} != {sorted(rule.methods)}")
            if problems:
                failures.append(f"{method} {path}: {', '.join(problems)}")
    assert checked, "no API routes found"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/users/me/nothing", "/api/v2/x"])
def test_unknown_api_path_is_404_problem(client, callers, path):
    assert_problem(send(client, "GET", path, callers.owner), 404)


# --------------------------------------------------------------------------------------------
# Sign-up: a unified social credit code with a wrong check character
# --------------------------------------------------------------------------------------------

CHECK_CHARACTER_MESSAGE = (
    "This unified social credit code fails its check character (GB 32100-2015); look for a typo."
)


def _signup_form(registration_number: str) -> dict[str, Any]:
    return {
        "legal_name": "苏州精密制造有限公司",
        "country": "CN",
        "registration_number": registration_number,
        "province": "江苏省",
        "city": "苏州市",
        "address": "工业园区星湖街 1 号",
        "roles": ["supplier"],
        "display_name": "王工",
        "email": "wang@suzhou-precision.example.cn",
        "password": "a-good-long-password",
        "preferred_language": "en",
    }


def _wrong_check_character(code: str) -> str:
    wrong = next(char for char in CODE_ALPHABET if char != code[-1])
    return code[:-1] + wrong


def _stored_counts() -> tuple[int, int]:
    counts = (
        db.session.scalar(select(func.count(Company.id))),
        db.session.scalar(select(func.count(User.id))),
    )
    db.session.remove()
    return counts


def test_signup_refuses_uscc_with_wrong_check_character(client, csrf_off):
    code = _wrong_check_character(make_uscc("9", "1", "320500", "12345678"))

    response = client.post("/signup", data=_signup_form(code))
    db.session.remove()

    assert response.status_code == 422, response.status_code
    assert CHECK_CHARACTER_MESSAGE in response.get_data(as_text=True)
    assert _stored_counts() == (0, 0)


def test_signup_accepts_the_same_form_with_the_right_check_character(client, csrf_off):
    """Control: the form above fails only because of the check character."""
    response = client.post("/signup", data=_signup_form(make_uscc("9", "1", "320500", "12345678")))
    db.session.remove()

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _stored_counts() == (1, 1)


# --------------------------------------------------------------------------------------------
# The marketplace routes
# --------------------------------------------------------------------------------------------

INT = "int"
DECIMAL = "decimal"
NUMBER = "number"  # a JSON number (weights, seconds)
CODE = "code"  # a taxonomy code
CODES = "codes"
HOURS = "hours"  # the 7 weekday hours
IDS = "ids"
ATTRIBUTES = "attributes"
EXCEPTIONS = "exceptions"
ALLOCATIONS = "allocations"
CERTIFICATIONS = "certifications"

MARKET_WRONG_VALUES: dict[str, list[Any]] = {
    TEXT: WRONG_TYPES[TEXT],
    ENUM: WRONG_TYPES[ENUM],
    DATE: WRONG_TYPES[DATE],
    BOOL: WRONG_TYPES[BOOL],
    INT: ["5", 5.5, True, [5], {"n": 5}, -1, 2**63],
    DECIMAL: [True, ["1"], {"a": 1}, "abc", "NaN", "Infinity", "1e400", -1, "9" * 20],
    NUMBER: [True, "5", ["1"], {"a": 1}, "abc", float("nan"), float("inf"), -1, 1e300],
    CODE: [5, ["cnc_turning"], "alchemy", ""],
    CODES: ["cnc_turning", 5, [5], ["alchemy"]],
    HOURS: ["8", ["8"] * 6, ["8"] * 8, ["x"] * 7, [True] * 7, ["24.01"] * 7, ["-1"] * 7],
    IDS: [5, ["1"], [0], [True], [], [2**40]],
    ATTRIBUTES: [[1], "x", {"spindle": "fast"}, {"spindle": True}],
    EXCEPTIONS: ["x", [1], [{"day": "x", "hours": "1"}], [{"hours": "1"}]],
    ALLOCATIONS: ["x", [], [1], [{"quote_id": "1", "quantity": 1}], [{"quote_id": 1}]],
    CERTIFICATIONS: ["ISO 9001", [5], ["ISO 9999"]],
}


def _days(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class MarketRoute:
    method: str
    path: str  # formatted with the Market's ids
    needs: tuple[str, ...]
    valid: dict[str, Any] | Callable[[Market], dict[str, Any]]
    fields: dict[str, str]
    nullable: frozenset[str] = frozenset()
    # Well-typed values outside what the field allows (name, value): 422 at the field.
    out_of_range: tuple[tuple[str, Any], ...] = ()
    caller: str = "owner"  # or "operator"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, market: Market) -> str:
        return self.path.format(**asdict(market))

    def headers(self, callers: Callers) -> dict[str, str]:
        return dict(getattr(callers, self.caller))

    def body(self, market: Market) -> dict[str, Any]:
        return self.valid(market) if callable(self.valid) else dict(self.valid)


MACHINE_FIELDS = {
    "name": TEXT,
    "brand": TEXT,
    "model": TEXT,
    "year": INT,
    "processes": CODES,
    "materials": CODES,
    "attributes": ATTRIBUTES,
    "envelope_x_mm": INT,
    "envelope_y_mm": INT,
    "envelope_z_mm": INT,
    "tolerance_mm": DECIMAL,
    "rate_amount": DECIMAL,
    "rate_currency": ENUM,
    "rate_unit": ENUM,
}
MACHINE_RANGES = (
    ("year", 1899),
    ("envelope_x_mm", 0),
    ("envelope_z_mm", 50_001),
    ("tolerance_mm", "0.0004"),
    ("tolerance_mm", "10.0001"),
    ("rate_amount", "0"),
    ("rate_amount", "1000000.0001"),
    ("name", ""),
    ("attributes", {f"a{n}": 1 for n in range(31)}),
)
LISTING_FIELDS = {
    "title": TEXT,
    "weekday_hours": HOURS,
    "exceptions": EXCEPTIONS,
    "start_date": DATE,
    "end_date": DATE,
    "price_amount": DECIMAL,
    "price_currency": ENUM,
    "price_unit": ENUM,
    "min_lot": INT,
    "lead_time_days": INT,
}
LISTING_RANGES = (
    ("weekday_hours", ["0"] * 7),
    ("exceptions", [{"day": _days(1), "hours": "25"}]),
    ("end_date", _days(-1)),
    ("end_date", _days(800)),
    ("lead_time_days", 366),
    ("min_lot", 0),
    ("price_amount", "0"),
)
ORDER_FIELDS = {
    "title": TEXT,
    "description": TEXT,
    "process": CODE,
    "material": CODE,
    "quantity": INT,
    "tolerance_mm": DECIMAL,
    "part_x_mm": INT,
    "part_y_mm": INT,
    "part_z_mm": INT,
    "required_certifications": CERTIFICATIONS,
    "due_date": DATE,
    "target_unit_price": DECIMAL,
    "currency": ENUM,
    "delivery_province": TEXT,
    "delivery_city": TEXT,
    "splittable": BOOL,
    "min_lot": INT,
    "minutes_per_piece": DECIMAL,
}
ORDER_RANGES = (
    ("quantity", 0),
    ("quantity", 10_000_001),
    ("tolerance_mm", "0.0001"),
    ("part_y_mm", 50_001),
    ("due_date", _days(0)),
    ("target_unit_price", "0"),
    ("minutes_per_piece", "0"),
    ("minutes_per_piece", "0.001"),
    ("minutes_per_piece", "100000.01"),
    ("min_lot", 101),
    ("delivery_city", ""),
)
MACHINE_BODY = {
    "kind": "cnc_mill_3axis",
    "name": "Haas VF-2",
    "processes": ["cnc_milling_3axis"],
    "materials": ["al_6061"],
    "envelope_x_mm": 762,
    "envelope_y_mm": 406,
    "envelope_z_mm": 508,
    "tolerance_mm": "0.01",
    "rate_amount": "150",
    "rate_currency": "CNY",
    "rate_unit": "machine_hour",
}


def _listing_body(market: Market) -> dict[str, Any]:
    return {
        "title": "Second shift",
        "processes": ["cnc_milling_3axis"],
        "weekday_hours": ["8"] * 5 + ["0", "0"],
        "start_date": _days(0),
        "end_date": _days(28),
        "price_amount": "150",
        "price_currency": "CNY",
        "price_unit": "machine_hour",
        "lead_time_days": 5,
    }


def _order_body(market: Market) -> dict[str, Any]:
    return {
        "title": "Shafts",
        "process": "cnc_turning",
        "material": "ss_304",
        "quantity": 100,
        "tolerance_mm": "0.02",
        "part_x_mm": 30,
        "part_y_mm": 30,
        "part_z_mm": 60,
        "due_date": _days(20),
        "currency": "CNY",
        "delivery_city": "宁波市",
    }


def _quote_body(market: Market) -> dict[str, Any]:
    return {
        "listing_id": market.listing_id,
        "unit_price": "27.5",
        "quantity": 100,
        "machine_hours": "20",
        "lead_time_days": 7,
        "valid_until": _days(14),
    }


MARKET_ROUTES = [
    MarketRoute(
        "POST", "/api/v1/machines", (), MACHINE_BODY, {"kind": CODE, **MACHINE_FIELDS},
        nullable=frozenset({"year"}), out_of_range=MACHINE_RANGES,
    ),
    MarketRoute(
        "PATCH", "/api/v1/machines/{machine_id}", ("machine",), {"name": "Haas VF-2SS"},
        MACHINE_FIELDS, nullable=frozenset({"year"}), out_of_range=MACHINE_RANGES,
    ),
    MarketRoute(
        "POST", "/api/v1/machines/{machine_id}/status", ("machine",), {"status": "maintenance"},
        {"status": ENUM, "note": TEXT},
    ),
    MarketRoute(
        "POST", "/api/v1/listings", (), _listing_body,
        {"machine_id": INT, "processes": CODES, "materials": CODES, **LISTING_FIELDS},
        nullable=frozenset({"machine_id"}), out_of_range=LISTING_RANGES,
    ),
    MarketRoute(
        "PATCH", "/api/v1/listings/{listing_id}", ("listing",), {"title": "Night shift"},
        LISTING_FIELDS, out_of_range=LISTING_RANGES,
    ),
    MarketRoute(
        "POST", "/api/v1/listings/{listing_id}/status", ("listing",), {"status": "paused"},
        {"status": ENUM, "note": TEXT},
    ),
    MarketRoute(
        "POST", "/api/v1/orders", (), _order_body, {**ORDER_FIELDS, "publish": BOOL},
        nullable=frozenset({"target_unit_price", "minutes_per_piece"}), out_of_range=ORDER_RANGES,
    ),
    MarketRoute(
        "PATCH", "/api/v1/orders/{draft_order_id}", ("draft",), {"title": "Shafts, revised"},
        ORDER_FIELDS, nullable=frozenset({"target_unit_price", "minutes_per_piece"}),
        out_of_range=(*ORDER_RANGES[:-2], ("delivery_city", "")),
    ),
    MarketRoute(
        "POST", "/api/v1/orders/{draft_order_id}/cancel", ("draft",), {"note": "Budget cut"},
        {"note": TEXT},
    ),
    MarketRoute(
        "POST", "/api/v1/orders/{open_order_id}/invitations", ("open",),
        lambda market: {"supplier_ids": [market.counterpart_id]}, {"supplier_ids": IDS},
        out_of_range=(("supplier_ids", list(range(1, 52))),),
    ),
    MarketRoute(
        "PUT", "/api/v1/orders/{foreign_order_id}/quote", ("quote",), _quote_body,
        {
            "listing_id": INT, "unit_price": DECIMAL, "quantity": INT, "machine_hours": DECIMAL,
            "lead_time_days": INT, "valid_until": DATE, "note": TEXT,
        },
        out_of_range=(
            ("unit_price", "0"), ("quantity", 0), ("machine_hours", "0"),
            ("machine_hours", "100000.01"), ("lead_time_days", 366),
            ("valid_until", _days(-1)), ("valid_until", _days(181)),
        ),
    ),
    MarketRoute(
        "POST", "/api/v1/orders/{open_order_id}/award", ("open",),
        lambda market: {"allocations": [{"quote_id": market.rival_quote_id, "quantity": 100}]},
        {"allocations": ALLOCATIONS},
        out_of_range=(
            ("allocations", [{"quote_id": 1, "quantity": 0}]),
            ("allocations", [{"quote_id": 1, "quantity": 1}] * 51),
        ),
    ),
    MarketRoute(
        "POST", "/api/v1/packages/{package_id}/transitions", ("package",),
        {"status": "in_production"}, {"status": ENUM, "note": TEXT, "quality_passed": BOOL},
        nullable=frozenset({"quality_passed"}),
    ),
    MarketRoute(
        "POST", "/api/v1/packages/{package_id}/milestones", ("package",),
        lambda market: {"progress_pct": 40, "forecast_date": _days(9), "note": "Turning done"},
        {"progress_pct": INT, "forecast_date": DATE, "note": TEXT},
        out_of_range=(("progress_pct", 101),),
    ),
    MarketRoute(
        "POST", "/api/v1/packages/{accepted_package_id}/review", ("accepted",),
        {"quality": 5, "delivery": 4, "communication": 5, "comment": "Good"},
        {"quality": INT, "delivery": INT, "communication": INT, "comment": TEXT},
        out_of_range=(("quality", 0), ("delivery", 6), ("communication", 0)),
    ),
    # Cost alone is weighted, so a zero cost makes all four zero.
    MarketRoute(
        "PUT", "/api/v1/orders/{open_order_id}/match-weights", ("open",),
        {"cost": 5, "quality": 0, "speed": 0, "proximity": 0},
        {"cost": NUMBER, "quality": NUMBER, "speed": NUMBER, "proximity": NUMBER},
        out_of_range=(("cost", 0), ("cost", 10.01), ("proximity", -0.01)),
    ),
    MarketRoute(
        "POST", "/api/v1/matching/plan", ("open",),
        lambda market: {"order_ids": [market.open_order_id], "mode": "whole", "time_limit": 5},
        {"order_ids": IDS, "mode": ENUM, "time_limit": NUMBER},
        out_of_range=(
            ("order_ids", [1, 1]), ("order_ids", list(range(1, 2002))),
            ("order_ids", [2**31 - 1]), ("time_limit", 0), ("time_limit", 30.01),
        ),
        caller="operator",
    ),
]  # fmt: skip
MARKET_PARAMS = [pytest.param(route, id=route.id) for route in MARKET_ROUTES]


@pytest.fixture
def market(request: pytest.FixtureRequest, callers: Callers) -> Market:
    """The records the test's marketplace route works on, of the owner's company."""
    route: MarketRoute = request.node.callspec.params["route"]
    owner = principal_of(db.session.get(User, callers.owner_id))
    built = build_market(owner, "owner", route.needs)
    db.session.remove()
    return built


def _refusal(response, statuses: tuple[int, ...], pointer: str | None = None) -> str | None:
    """None when the response is the expected problem document; otherwise what is wrong."""
    try:
        document = assert_problem(response, *statuses)
        if pointer == "":
            assert "" in pointers(document), f"no error points at the body: {document}"
        elif pointer is not None:
            assert_points_at(document, pointer)
    except AssertionError as error:
        return str(error).splitlines()[0]
    return None


def test_every_marketplace_write_route_is_swept(app):
    """The sweep covers every marketplace route that takes a JSON body."""
    swept = {(route.method, route.path.split("{")[0]) for route in MARKET_ROUTES}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in {"capacity", "orders", "packages", "matching"}:
            continue
        for method in rule.methods & {"POST", "PUT", "PATCH"}:
            view = app.view_functions[rule.endpoint].view_class  # type: ignore[attr-defined]
            apidoc = getattr(getattr(view, method.lower()), "_apidoc", {})
            locations = {p["in"] for p in apidoc.get("arguments", {}).get("parameters", [])}
            if "json" in locations:
                served.add((method, rule.rule.split("<")[0]))
    assert served == swept


@pytest.mark.parametrize("route", MARKET_PARAMS)
def test_marketplace_valid_body_is_accepted(client, callers, market, route):
    """Control: the bodies the marketplace cases start from are themselves valid."""
    response = send(
        client, route.method, route.url(market), route.headers(callers), json=route.body(market)
    )
    assert response.status_code < 300, describe(response)


@pytest.mark.parametrize("route", MARKET_PARAMS)
def test_marketplace_bodies_that_are_no_json_object_are_refused(
    client, app, callers, market, route
):
    valid = route.body(market)
    name = next(iter(valid))
    limit = app.config["MAX_CONTENT_LENGTH"]
    json_type = "application/json"
    cases: dict[str, tuple[dict[str, Any], tuple[int, ...], str | None]] = {
        "malformed": ({"data": "{bad", "content_type": json_type}, (400,), None),
        "invalid utf-8": ({"data": b'{"a": "\xff\xfe"}', "content_type": json_type}, (400,), None),
        "deeply nested": (
            {"data": "[" * 100_000 + "]" * 100_000, "content_type": json_type}, (400, 422), None,
        ),
        "empty": ({"data": "", "content_type": json_type}, (400, 415, 422), None),
        "no body": ({}, (400, 415, 422), None),
        "oversize": (
            {"data": json.dumps({**valid, name: "x" * (limit + 1)}), "content_type": json_type},
            (413,), None,
        ),
        "unknown field": ({"json": {**valid, "surprise": 1}}, (422,), "surprise"),
        "server-owned field": ({"json": {**valid, "id": 1}}, (422,), "id"),
        **{
            f"json {kind}": ({"data": json.dumps(body), "content_type": json_type}, (422,), "")
            for kind, body in {"array": [valid], "null": None, "string": "x", "number": 4}.items()
        },
        **{
            kind: ({"data": json.dumps(valid), "content_type": kind}, (415, 422), None)
            for kind in ("text/plain", "application/x-www-form-urlencoded", "application/xml")
        },
    }  # fmt: skip
    before = database_state()

    failures = []
    for case, (kwargs, statuses, pointer) in cases.items():
        response = send(client, route.method, route.url(market), route.headers(callers), **kwargs)
        if (problem := _refusal(response, statuses, pointer)) is not None:
            failures.append(f"{case}: {problem}")

    assert not failures, "\n".join(failures)
    assert database_state() == before, "a refused request changed the database"


@pytest.mark.parametrize("route", MARKET_PARAMS)
def test_marketplace_bad_field_values_are_422_at_the_field(client, callers, market, route):
    """Wrong types, nulls, 10k-character and NUL strings, and well-typed values out of range."""
    valid = route.body(market)
    cases: list[tuple[str, Any]] = list(route.out_of_range)
    for name, kind in route.fields.items():
        cases += [(name, value) for value in MARKET_WRONG_VALUES[kind]]
        if name not in route.nullable:
            cases.append((name, None))
        if kind == TEXT:
            cases += [(name, "x" * 10_000), (name, "before\x00after")]
    before = database_state()

    failures = []
    for name, value in cases:
        body = {**valid, name: value}
        response = send(client, route.method, route.url(market), route.headers(callers), json=body)
        if (problem := _refusal(response, (422,), name)) is not None:
            failures.append(f"{name}={json.dumps(value)[:60]}: {problem}")

    assert not failures, "\n".join(failures)
    assert database_state() == before, "a refused request changed the database"


@pytest.mark.parametrize(
    "route", [param for param in MARKET_PARAMS if TEXT in param.values[0].fields.values()]
)
def test_marketplace_emoji_are_stored_exactly_or_refused_cleanly(client, callers, market, route):
    value = "工厂 🏭 ok"
    failures = []
    for name, kind in route.fields.items():
        if kind != TEXT:
            continue
        body = {**route.body(market), name: value}
        response = send(client, route.method, route.url(market), route.headers(callers), json=body)
        if response.status_code < 300:
            stored = database_state()
            if not any(value in cell for rows in stored.values() for row in rows for cell in row):
                failures.append(f"{name} was accepted but not stored exactly as sent")
        elif (problem := _refusal(response, (422,), name)) is not None:
            failures.append(f"{name}: {problem}")
    assert not failures, "\n".join(failures)


MARKET_ID_ROUTES = [
    ("GET", "/api/v1/machines/{id}"),
    ("PATCH", "/api/v1/machines/{id}"),
    ("POST", "/api/v1/machines/{id}/status"),
    ("GET", "/api/v1/listings/{id}"),
    ("PATCH", "/api/v1/listings/{id}"),
    ("POST", "/api/v1/listings/{id}/status"),
    ("GET", "/api/v1/orders/{id}"),
    ("PATCH", "/api/v1/orders/{id}"),
    ("POST", "/api/v1/orders/{id}/publish"),
    ("POST", "/api/v1/orders/{id}/cancel"),
    ("GET", "/api/v1/orders/{id}/history"),
    ("GET", "/api/v1/orders/{id}/attachments"),
    ("GET", "/api/v1/orders/1/attachments/{id}"),
    ("DELETE", "/api/v1/orders/{id}/attachments/1"),
    ("POST", "/api/v1/orders/{id}/invitations"),
    ("GET", "/api/v1/orders/{id}/quotes"),
    ("PUT", "/api/v1/orders/{id}/quote"),
    ("POST", "/api/v1/orders/{id}/award"),
    ("GET", "/api/v1/quotes/{id}"),
    ("POST", "/api/v1/quotes/{id}/withdraw"),
    ("GET", "/api/v1/packages/{id}"),
    ("POST", "/api/v1/packages/{id}/transitions"),
    ("POST", "/api/v1/packages/{id}/milestones"),
    ("POST", "/api/v1/packages/{id}/review"),
    ("GET", "/api/v1/suppliers/{id}/scorecard"),
    ("GET", "/api/v1/orders/{id}/matches"),
    ("PUT", "/api/v1/orders/{id}/match-weights"),
    ("POST", "/api/v1/orders/{id}/matches/proposal/accept"),
]


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(*e, id=" ".join(e)) for e in MARKET_ID_ROUTES]
)
def test_bad_marketplace_path_ids_are_404(client, callers, method, path):
    before = database_state()
    failures = []
    for bad_id in BAD_IDS:
        response = send(client, method, path.format(id=bad_id), callers.owner, json={})
        if (problem := _refusal(response, (404,))) is not None:
            failures.append(f"{bad_id}: {problem}")
    assert not failures, "\n".join(failures)
    assert database_state() == before


MARKET_LISTINGS = [
    ("/api/v1/machines", {}),
    ("/api/v1/listings", {}),
    ("/api/v1/orders", {}),
    ("/api/v1/orders/open", {}),
    ("/api/v1/quotes", {}),
    ("/api/v1/packages", {"as": "supplier"}),
]


@pytest.mark.parametrize(("path", "query"), [pytest.param(*e, id=e[0]) for e in MARKET_LISTINGS])
def test_bad_paging_parameters_on_marketplace_lists_are_422(client, callers, path, query):
    before = database_state()
    failures = []
    for case, (name, value) in BAD_QUERIES.items():
        response = send(client, "GET", path, callers.owner, query_string={**query, name: value})
        if (problem := _refusal(response, (422,), name)) is not None:
            failures.append(f"{case}: {problem}")
    assert not failures, "\n".join(failures)
    assert database_state() == before


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/v1/orders", {"status": "lost"}, "status"),
        ("/api/v1/orders/open", {"process": "alchemy"}, "process"),
        ("/api/v1/orders/open", {"family": "alchemy"}, "family"),
        ("/api/v1/packages", {"as": "lender"}, "as"),
        ("/api/v1/packages", {}, "as"),
        ("/api/v1/matching/recommended-orders", {"limit": "0"}, "limit"),
        ("/api/v1/matching/recommended-orders", {"limit": "101"}, "limit"),
        ("/api/v1/matching/recommended-orders", {"limit": "ten"}, "limit"),
    ],
)
def test_bad_marketplace_filters_are_422(client, callers, path, query, name):
    response = send(client, "GET", path, callers.owner, query_string=query)
    assert_points_at(assert_problem(response, 422), name)
