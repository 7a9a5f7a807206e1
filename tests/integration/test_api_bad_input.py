"""Bad input on every API route: a 4xx problem+json document, never a 500, and nothing changes.

Covered: malformed and non-object JSON bodies, wrong types, unknown fields, nulls, empty and
non-JSON bodies, oversize bodies, 10k-character strings, NUL characters (emoji must round-trip
or be refused cleanly), malformed path ids, malformed paging parameters and wrong methods. Plus
sign-up (web only) refusing a unified social credit code whose check character is wrong.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import db
from core.problem import PROBLEM_MIMETYPE
from marketplace.models import Company, User
from marketplace.uscc import CODE_ALPHABET, make_uscc
from tests.factories import PASSWORD, OperatorFactory, UserFactory
from tests.integration.conftest import bearer, issue_token

# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@dataclass
class Callers:
    owner: dict[str, str]
    operator: dict[str, str]
    company_id: int


@pytest.fixture
def callers() -> Callers:
    owner = UserFactory()
    operator = OperatorFactory()
    result = Callers(
        owner=bearer(issue_token(owner)),
        operator=bearer(issue_token(operator)),
        company_id=owner.company_id,
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
