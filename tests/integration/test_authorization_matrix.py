"""The authorization matrix: every API route against every kind of caller.

`ROUTES` is the explicit table of the API: for each (rule, method) how to fill its path with
company B's ids, a valid body, and who may call it. `test_every_api_route_is_in_the_table` walks
`app.url_map` and fails for any /api/v1 route the table does not cover, so a new endpoint cannot
ship without being added here (and thereby getting every check below).

The world: companies A and B, each with an owner, a member, a removed member, a certification,
an open invitation and API tokens (all made through factories and the real services), plus a
platform operator. The checks, each route/actor its own test id:

(a) A's owner (write and read-only tokens) and A's member aimed at B's resources get 403/404
    problem+json and B's rows stay unchanged; on the `/me` routes they see only A's data.
(b) no, malformed, unknown, revoked or orphaned token -> 401 problem+json.
(c) a read-only token on a write method -> 403, nothing changes.
(d) a member on owner-only routes -> 403, nothing changes.
(e) non-operators on /api/v1/operator/* -> 403, nothing changes.
(f) the operator can use the operator routes.
And the positive side: B's owner (and B's member / read-only token where allowed) on B's
resources gets the documented 2xx and the change really happens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Scope
from core.db import db
from core.problem import PROBLEM_MIMETYPE
from marketplace import services
from marketplace.domain import CertificationStandard, MembershipRole
from marketplace.models import (
    ApiToken,
    Certification,
    Company,
    CompanyRoleAssignment,
    CompanyVerificationEvent,
    Invitation,
    User,
)
from marketplace.uscc import make_uscc
from tests.factories import PASSWORD, CompanyFactory, OperatorFactory, UserFactory, principal_of
from tests.integration.conftest import bearer, issue_token

# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------


@dataclass
class Tenant:
    """One company and everything of it the matrix needs, as plain values (no ORM objects)."""

    tag: str
    company_id: int
    owner_id: int
    member_id: int
    former_member_id: int
    certification_id: int
    invitation_id: int
    spare_token_id: int
    tokens: dict[str, str]
    # Strings only this tenant's data contains; none may show up in another tenant's responses.
    markers: list[str] = field(default_factory=list)


@dataclass
class World:
    a: Tenant
    b: Tenant
    operator_id: int
    tokens: dict[str, str]  # actor name -> bearer token (or a raw Authorization header value)


def _make_tenant(tag: str, organization_base: str) -> Tenant:
    company = CompanyFactory(
        legal_name=f"{tag.upper()} Precision Works Ltd",
        registration_number=make_uscc("9", "1", "320500", organization_base),
        address=f"{tag.upper()} Industrial Park 1",
        description=f"{tag} description",
        website=f"https://{tag}.example.cn",
    )
    owner = UserFactory(
        company=company, email=f"{tag}-owner@{tag}.example.cn", display_name=f"{tag}-owner-name"
    )
    member = UserFactory(
        company=company,
        membership_role=MembershipRole.MEMBER,
        email=f"{tag}-member@{tag}.example.cn",
        display_name=f"{tag}-member-name",
    )
    former = UserFactory(
        company=company,
        membership_role=MembershipRole.MEMBER,
        email=f"{tag}-former@{tag}.example.cn",
        display_name=f"{tag}-former-name",
    )
    ids = {"company": company.id, "owner": owner.id, "member": member.id, "former": former.id}
    emails = {"owner": owner.email, "member": member.email, "former": former.email}
    owner_principal = principal_of(owner)

    certification = services.add_certification(
        owner_principal,
        standard=CertificationStandard.ISO_9001,
        valid_until=date(2099, 12, 31),
        certificate_number=f"{tag.upper()}-CERT-0001",
        issued_by=f"{tag} registrar",
    )
    invitation = services.invite_member(
        owner_principal, f"{tag}-invitee@{tag}.example.cn", days=7
    ).record
    spare = services.create_api_token(owner_principal, name=f"{tag}-spare", scope=Scope.READ)
    revoked = services.create_api_token(owner_principal, name=f"{tag}-revoked", scope=Scope.WRITE)
    services.revoke_api_token(owner_principal, revoked.record.id)

    owner_user = db.session.get(User, ids["owner"])
    tokens = {
        "owner": issue_token(owner_user, Scope.WRITE),
        "owner_ro": issue_token(owner_user, Scope.READ),
        "member": issue_token(db.session.get(User, ids["member"]), Scope.WRITE),
        "former": issue_token(db.session.get(User, ids["former"]), Scope.WRITE),
        "revoked": revoked.secret,
    }
    # The former member leaves after getting a token: that token must die with the membership.
    services.remove_member(owner_principal, ids["former"])

    hints = list(
        db.session.scalars(select(ApiToken.hint).where(ApiToken.company_id == ids["company"]))
    )
    return Tenant(
        tag=tag,
        company_id=ids["company"],
        owner_id=ids["owner"],
        member_id=ids["member"],
        former_member_id=ids["former"],
        certification_id=certification.id,
        invitation_id=invitation.id,
        spare_token_id=spare.record.id,
        tokens=tokens,
        markers=[
            f"{tag.upper()} Precision Works Ltd",
            make_uscc("9", "1", "320500", organization_base),
            f"{tag.upper()}-CERT-0001",
            f"{tag}-invitee@{tag}.example.cn",
            f"{tag}-owner-name",
            f"{tag}-member-name",
            *emails.values(),
            *hints,
        ],
    )


@pytest.fixture
def world() -> World:
    a = _make_tenant("alpha", "10000001")
    b = _make_tenant("beta", "20000002")
    operator = OperatorFactory(email="operator@sharefab.example.cn", display_name="operator-name")
    operator_id = operator.id
    tokens = {
        "a_owner": a.tokens["owner"],
        "a_owner_ro": a.tokens["owner_ro"],
        "a_member": a.tokens["member"],
        "b_owner": b.tokens["owner"],
        "b_owner_ro": b.tokens["owner_ro"],
        "b_member": b.tokens["member"],
        "b_revoked": b.tokens["revoked"],
        "b_former_member": b.tokens["former"],
        "operator": issue_token(operator, Scope.WRITE),
        "operator_ro": issue_token(operator, Scope.READ),
    }
    db.session.remove()
    return World(a=a, b=b, operator_id=operator_id, tokens=tokens)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

ANY = "any"  # any authenticated user of a company (owner or member)
OWNER = "owner"  # the company owner only
OPERATOR = "operator"  # platform operators only


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    access: str
    write: bool
    ok: int
    # Path parameters filled with company B's ids; routes without them act on the caller ("me").
    params: Callable[[World], dict[str, int]] | None = None
    body: dict[str, Any] | None = None
    # What the operator gets on a company route (an operator belongs to no company).
    operator: int | None = None
    # Checks, after B's rightful actor succeeded, that the change really happened.
    effect: Callable[[World, Any], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def targets_b(self) -> bool:
        return self.params is not None


def _company(world_: World) -> Company:
    return db.session.get(Company, world_.b.company_id)


def _effect_display_name(w: World, response: Any) -> None:
    assert db.session.get(User, w.b.owner_id).display_name == "Renamed by the matrix"


def _effect_password(w: World, response: Any) -> None:
    assert services.authenticate("beta-owner@beta.example.cn", "a-brand-new-password") is not None


def _effect_company_city(w: World, response: Any) -> None:
    assert _company(w).city == "苏州市"


def _effect_member_removed(w: World, response: Any) -> None:
    assert db.session.get(User, w.b.member_id).active is False


def _effect_invited(w: World, response: Any) -> None:
    emails = db.session.scalars(
        select(Invitation.email).where(Invitation.company_id == w.b.company_id)
    )
    assert "newcomer@example.cn" in set(emails)


def _effect_invitation_revoked(w: World, response: Any) -> None:
    assert db.session.get(Invitation, w.b.invitation_id).revoked_at is not None


def _effect_certified(w: World, response: Any) -> None:
    standards = db.session.scalars(
        select(Certification.standard).where(Certification.company_id == w.b.company_id)
    )
    assert CertificationStandard.ISO_14001 in set(standards)


def _effect_certification_removed(w: World, response: Any) -> None:
    assert db.session.get(Certification, w.b.certification_id) is None


def _effect_token_created(w: World, response: Any) -> None:
    names = db.session.scalars(select(ApiToken.name).where(ApiToken.company_id == w.b.company_id))
    assert "matrix" in set(names)


def _effect_token_revoked(w: World, response: Any) -> None:
    assert db.session.get(ApiToken, w.b.spare_token_id).revoked_at is not None


def _effect_verified(w: World, response: Any) -> None:
    assert _company(w).verified is True


def _shows_b_company(w: World, response: Any) -> None:
    assert response.get_json()["id"] == w.b.company_id


def _shows_b_user(w: World, response: Any) -> None:
    assert response.get_json()["id"] == w.b.owner_id


ROUTES: list[Route] = [
    Route("/api/v1/users/me", "GET", ANY, False, 200, operator=200, effect=_shows_b_user),
    Route(
        "/api/v1/users/me", "PATCH", ANY, True, 200,
        body={"display_name": "Renamed by the matrix"}, operator=200, effect=_effect_display_name,
    ),
    Route(
        "/api/v1/users/me/password", "POST", ANY, True, 204,
        body={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
        operator=204, effect=_effect_password,
    ),
    Route("/api/v1/companies/me", "GET", ANY, False, 200, operator=404, effect=_shows_b_company),
    Route(
        "/api/v1/companies/me", "PATCH", OWNER, True, 200,
        body={"city": "苏州市"}, operator=403, effect=_effect_company_city,
    ),
    Route("/api/v1/companies/me/members", "GET", ANY, False, 200, operator=404),
    Route(
        "/api/v1/companies/me/members/<id:user_id>", "DELETE", OWNER, True, 204,
        params=lambda w: {"user_id": w.b.member_id}, operator=403, effect=_effect_member_removed,
    ),
    Route("/api/v1/companies/me/invitations", "GET", OWNER, False, 200, operator=403),
    Route(
        "/api/v1/companies/me/invitations", "POST", OWNER, True, 201,
        body={"email": "newcomer@example.cn"}, operator=403, effect=_effect_invited,
    ),
    Route(
        "/api/v1/companies/me/invitations/<id:invitation_id>", "DELETE", OWNER, True, 200,
        params=lambda w: {"invitation_id": w.b.invitation_id}, operator=403,
        effect=_effect_invitation_revoked,
    ),
    Route("/api/v1/companies/me/certifications", "GET", ANY, False, 200, operator=404),
    Route(
        "/api/v1/companies/me/certifications", "POST", OWNER, True, 201,
        body={"standard": "ISO 14001", "valid_until": "2099-06-30", "certificate_number": "N-1"},
        operator=403, effect=_effect_certified,
    ),
    Route(
        "/api/v1/companies/me/certifications/<id:certification_id>", "DELETE", OWNER, True, 204,
        params=lambda w: {"certification_id": w.b.certification_id}, operator=403,
        effect=_effect_certification_removed,
    ),
    # Tokens: the decorator lets any user in; the service restricts them to owners (and operators).
    Route("/api/v1/tokens", "GET", OWNER, False, 200, operator=200),
    Route(
        "/api/v1/tokens", "POST", OWNER, True, 201,
        body={"name": "matrix", "scope": "read"}, operator=201, effect=_effect_token_created,
    ),
    Route(
        "/api/v1/tokens/<id:token_id>", "DELETE", OWNER, True, 204,
        params=lambda w: {"token_id": w.b.spare_token_id}, operator=404,
        effect=_effect_token_revoked,
    ),
    Route("/api/v1/operator/companies", "GET", OPERATOR, False, 200),
    Route(
        "/api/v1/operator/companies/<id:company_id>/verification", "PUT", OPERATOR, True, 200,
        params=lambda w: {"company_id": w.b.company_id},
        body={"verified": True, "note": "checked by the matrix"}, effect=_effect_verified,
    ),
]  # fmt: skip

ROUTE_IDS = [route.id for route in ROUTES]
# Routes under /api/v1 that are documentation, not API operations.
UNDOCUMENTED_RULES = {"/api/v1/openapi.json", "/api/v1/docs"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

A_ACTORS = ["a_owner", "a_owner_ro", "a_member"]
B_ACTORS = ["b_owner", "b_owner_ro", "b_member"]
NON_OPERATORS = A_ACTORS + B_ACTORS

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _path(route: Route, world_: World) -> str:
    values = route.params(world_) if route.params else {}
    path = _PARAM.sub(lambda match: str(values[match.group(1)]), route.rule)
    assert "<" not in path, f"unfilled path parameter in {route.rule}"
    return path


def call(client, route: Route, world_: World, authorization: str | None):
    """Send the route's request as one caller, then drop the session like a real request end."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.open(
        _path(route, world_), method=route.method, headers=headers, json=route.body
    )
    db.session.remove()
    return response


def auth_header(world_: World, actor: str) -> str:
    return bearer(world_.tokens[actor])["Authorization"]


def _rows(model: Any, *criteria: Any, ignore: tuple[str, ...] = ()) -> list[tuple]:
    table = model.__table__
    columns = [column for column in table.columns if column.name not in ignore]
    statement = select(*columns).where(*criteria)
    return sorted(tuple(repr(value) for value in row) for row in db.session.execute(statement))


def company_state(company_id: int, *, ignore_usage: bool = False) -> dict[str, list[tuple]]:
    """Every row that belongs to one company: profile, roles, certifications, members' flags,
    invitations, tokens and verification history."""
    usage = ("last_used_at",) if ignore_usage else ()
    state = {
        "company": _rows(Company, Company.id == company_id),
        "roles": _rows(CompanyRoleAssignment, CompanyRoleAssignment.company_id == company_id),
        "certifications": _rows(Certification, Certification.company_id == company_id),
        "users": _rows(User, User.company_id == company_id, ignore=("last_login_at",)),
        "invitations": _rows(Invitation, Invitation.company_id == company_id),
        "tokens": _rows(ApiToken, ApiToken.company_id == company_id, ignore=usage),
        "verification": _rows(
            CompanyVerificationEvent, CompanyVerificationEvent.company_id == company_id
        ),
    }
    db.session.remove()
    return state


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
    return (
        f"{response.status_code} {response.content_type}: {response.get_data(as_text=True)[:500]}"
    )


def assert_problem(response, *statuses: int) -> None:
    assert response.status_code in statuses, describe(response)
    assert response.mimetype == PROBLEM_MIMETYPE, describe(response)
    document = response.get_json()
    assert document["status"] == response.status_code, document
    assert document["title"] and document["type"], document


def assert_no_leak(response, tenant: Tenant) -> None:
    text = json.dumps(response.get_json(silent=True), ensure_ascii=False)
    text += response.get_data(as_text=True)
    leaked = [marker for marker in tenant.markers if marker in text]
    assert not leaked, f"{tenant.tag}'s data in the response: {leaked}"


def _routes(predicate: Callable[[Route], bool]) -> list[Any]:
    return [pytest.param(route, id=route.id) for route in ROUTES if predicate(route)]


def _route_actor_params(routes: list[Route], actors: list[str]) -> list[Any]:
    return [
        pytest.param(route, actor, id=f"{route.id} as {actor}")
        for route in routes
        for actor in actors
    ]


# --------------------------------------------------------------------------------------------
# The walk: the table covers the API exactly
# --------------------------------------------------------------------------------------------


def test_every_api_route_is_in_the_table(app):
    served = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and rule.rule not in UNDOCUMENTED_RULES
        for method in rule.methods - IGNORED_METHODS
    }
    tabled = {(route.rule, route.method) for route in ROUTES}
    missing = sorted(served - tabled)
    stale = sorted(tabled - served)
    assert not missing, f"routes missing from the authorization table ROUTES: {missing}"
    assert not stale, f"table entries for routes that no longer exist: {stale}"
    assert len(tabled) == len(ROUTES), "a (rule, method) appears twice in ROUTES"


# --------------------------------------------------------------------------------------------
# (a) company A against company B
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "actor"), _route_actor_params(ROUTES, A_ACTORS))
def test_company_a_cannot_touch_company_b(client, world, route, actor):
    before_b = company_state(world.b.company_id)
    before_all = database_state()

    response = call(client, route, world, auth_header(world, actor))

    assert response.status_code < 500, describe(response)
    assert company_state(world.b.company_id) == before_b, "company B's rows changed"
    if route.targets_b or route.access == OPERATOR:
        # Aimed at B's ids (or at the operator's desk): refused, and nothing anywhere changes.
        assert_problem(response, 403, 404)
        assert database_state() == before_all
    else:
        # A `/me` route acts on A's own company: whatever A may do there, it never shows B.
        assert response.status_code == _expected_for_own_company(route, actor), describe(response)
        assert_no_leak(response, world.b)


def _expected_for_own_company(route: Route, actor: str) -> int:
    """What a company's own owner / read-only owner / member gets on a company route."""
    role = actor.split("_", 1)[1]
    if role == "owner_ro" and route.write:
        return 403
    if role == "member" and route.access == OWNER:
        return 403
    return route.ok


# --------------------------------------------------------------------------------------------
# (b) without a valid token
# --------------------------------------------------------------------------------------------

BAD_CREDENTIALS = {
    "no header": lambda w: None,
    "empty bearer": lambda w: "Bearer ",
    "basic scheme": lambda w: "Basic " + "dXNlcjpwYXNz",
    "token without bearer": lambda w: w.tokens["b_owner"],
    "unknown token": lambda w: "Bearer sfp_" + "x" * 43,
    "foreign prefix": lambda w: "Bearer " + w.tokens["b_owner"].removeprefix("sfp_"),
    "revoked token": lambda w: "Bearer " + w.tokens["b_revoked"],
    "removed member's token": lambda w: "Bearer " + w.tokens["b_former_member"],
}


@pytest.mark.parametrize(
    ("route", "credential"), _route_actor_params(ROUTES, list(BAD_CREDENTIALS))
)
def test_without_a_valid_token_is_401(client, world, route, credential):
    before = database_state()

    response = call(client, route, world, BAD_CREDENTIALS[credential](world))

    assert_problem(response, 401)
    assert database_state() == before


# --------------------------------------------------------------------------------------------
# (c) read-only tokens cannot write
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "actor"),
    [
        pytest.param(
            route,
            "operator_ro" if route.access == OPERATOR else "b_owner_ro",
            id=f"{route.id} as {'operator_ro' if route.access == OPERATOR else 'b_owner_ro'}",
        )
        for route in ROUTES
        if route.write
    ],
)
def test_read_only_token_cannot_write(client, world, route, actor):
    before = database_state()

    response = call(client, route, world, auth_header(world, actor))

    assert_problem(response, 403)
    assert database_state() == before


# --------------------------------------------------------------------------------------------
# (d) members cannot use owner-only routes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", _routes(lambda route: route.access == OWNER))
def test_member_cannot_use_owner_only_routes(client, world, route):
    before = database_state()

    response = call(client, route, world, auth_header(world, "b_member"))

    assert_problem(response, 403)
    assert database_state() == before


# --------------------------------------------------------------------------------------------
# (e) operator routes refuse everyone else; (f) operators may use them
# --------------------------------------------------------------------------------------------

OPERATOR_ROUTES = [route for route in ROUTES if route.access == OPERATOR]


@pytest.mark.parametrize(("route", "actor"), _route_actor_params(OPERATOR_ROUTES, NON_OPERATORS))
def test_non_operators_are_refused_operator_routes(client, world, route, actor):
    before = database_state()

    response = call(client, route, world, auth_header(world, actor))

    assert_problem(response, 403)
    assert database_state() == before


def test_operator_routes_are_all_under_the_operator_prefix():
    for route in ROUTES:
        assert (route.access == OPERATOR) == route.rule.startswith("/api/v1/operator/"), route.id


@pytest.mark.parametrize(
    ("route", "actor"),
    [
        pytest.param(route, actor, id=f"{route.id} as {actor}")
        for route in OPERATOR_ROUTES
        # A read-only operator token on a write route is (c).
        for actor in (["operator"] if route.write else ["operator", "operator_ro"])
    ],
)
def test_operator_can_use_operator_routes(client, world, route, actor):
    response = call(client, route, world, auth_header(world, actor))

    assert response.status_code == route.ok, describe(response)
    if route.effect:
        route.effect(world, response)
        db.session.remove()


@pytest.mark.parametrize("route", _routes(lambda route: route.access != OPERATOR))
def test_operator_on_company_routes(client, world, route):
    """An operator belongs to no company: it never reaches a company's resources."""
    before_b = company_state(world.b.company_id)

    response = call(client, route, world, auth_header(world, "operator"))

    assert response.status_code == route.operator, describe(response)
    if route.targets_b:
        assert_problem(response, 403, 404)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    assert company_state(world.b.company_id) == before_b, "company B's rows changed"
    assert_no_leak(response, world.b)
    assert_no_leak(response, world.a)


# --------------------------------------------------------------------------------------------
# The positive side: B's rightful callers on B's resources
# --------------------------------------------------------------------------------------------

COMPANY_ROUTES = [route for route in ROUTES if route.access != OPERATOR]


def _rightful(route: Route) -> list[str]:
    actors = ["b_owner"]
    if not route.write:
        actors.append("b_owner_ro")
    if route.access == ANY:
        actors.append("b_member")
    return actors


@pytest.mark.parametrize(
    ("route", "actor"),
    [
        pytest.param(route, actor, id=f"{route.id} as {actor}")
        for route in COMPANY_ROUTES
        for actor in _rightful(route)
    ],
)
def test_rightful_actor_succeeds(client, world, route, actor):
    before_a = company_state(world.a.company_id)

    response = call(client, route, world, auth_header(world, actor))

    assert response.status_code == route.ok, describe(response)
    if response.status_code != 204:
        assert response.mimetype == "application/json", describe(response)
    assert_no_leak(response, world.a)
    assert company_state(world.a.company_id) == before_a, "company A's rows changed"
    if route.effect and actor == "b_owner":
        route.effect(world, response)
        db.session.remove()
