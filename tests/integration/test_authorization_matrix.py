"""The authorization matrix: every API route against every kind of caller.

`ROUTES` is the explicit table of the API: for each (rule, method) how to fill its path with
company B's ids, a valid body, and who may call it. `test_every_api_route_is_in_the_table` walks
`app.url_map` and fails for any /api/v1 route the table does not cover, so a new endpoint cannot
ship without being added here (and thereby getting every check below).

The world: companies A and B, each buying and supplying, each with an owner, a member, a removed
member, a certification, an open invitation and API tokens (all made through factories and the
real services), plus a platform operator. For a marketplace route, B also gets the records the
route needs (`Route.needs`, built by `build_market` through the real services): machines,
capacity, a draft order with a drawing, a published order with a rival's quote, B's quote and
work package on a third company's orders, a package B accepted, and stored matches (B's open
order matched to the counterpart's listing, the counterpart's order to B's); for a ledger route,
B's EPCIS capture naming its finished order, whose entries are sealed and anchored on a fresh
in-process chain. The checks, each
route its own test id (and for (d)–(f) each caller too; (a) and (b) take their callers in turn
on one world, as building the world costs far more than a request):

(a) A's owner (write and read-only tokens) and A's member aimed at B's resources get 403/404
    problem+json and B's rows stay unchanged; on the `/me` routes and the marketplace listings
    they see only A's data. By design, published orders are visible to every supplier and
    scorecards to every signed-in company (`shared`); B's machines, listings, draft orders,
    quotes, packages, drawings, EPCIS captures and ledger entries are not.
(b) no, malformed, unknown, revoked or orphaned token -> 401 problem+json; a public route (the
    check of a ledger proof) answers without a token.
(c) a read-only token on a write method -> 403, nothing changes.
(d) a member on owner-only routes -> 403, nothing changes.
(e) non-operators on /api/v1/operator/* and batch planning -> 403, nothing changes.
(f) the operator can use the operator routes; on marketplace routes it reads orders, drawings
    and packages (the services open them to operators, who resolve disputes) and changes none.
And the positive side: B's owner (and B's member / read-only token where allowed) on B's
resources gets the documented 2xx and the change really happens.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Principal, Scope
from core.db import MAX_ID, db, utcnow
from core.problem import PROBLEM_MIMETYPE
from ledger import services as ledger_services
from ledger.models import LedgerCapture, LedgerEntry, LedgerEntryParty
from marketplace import services
from marketplace.domain import CertificationStandard, CompanyRole, MembershipRole
from marketplace.lifecycle import ListingStatus, MachineStatus, OrderStatus, PackageStatus
from marketplace.models import (
    ApiToken,
    CapacityBooking,
    CapacityListing,
    Certification,
    Company,
    CompanyRoleAssignment,
    CompanyVerificationEvent,
    Invitation,
    Machine,
    MatchCandidate,
    MatchRun,
    Milestone,
    Order,
    OrderAttachment,
    Quote,
    QuoteInvitation,
    Review,
    User,
    WorkPackage,
)
from marketplace.production import Allocation
from marketplace.services import machines, orders, packages
from marketplace.services.matching import refresh_matches
from marketplace.uscc import make_uscc
from tests.factories import PASSWORD, CompanyFactory, OperatorFactory, UserFactory, principal_of
from tests.integration.conftest import bearer, issue_token
from tests.integration.test_ledger_services import EXAMPLES, run_ledger_messages

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


# An id that names no row: checks decided before any lookup (401, read-only 403) run without
# building B's marketplace records.
NOWHERE = MAX_ID


@dataclass
class Market:
    """Company B's marketplace records a route needs (ids; NOWHERE for those not built)."""

    machine_id: int = NOWHERE
    listing_id: int = NOWHERE
    draft_order_id: int = NOWHERE  # B's draft, with a drawing
    drawing_id: int = NOWHERE
    open_order_id: int = NOWHERE  # B's published order, quoted by the counterpart
    rival_quote_id: int = NOWHERE
    foreign_order_id: int = NOWHERE  # the counterpart's published order, quoted by B
    quote_id: int = NOWHERE
    package_id: int = NOWHERE  # B's work on the counterpart's order, just awarded
    accepted_package_id: int = NOWHERE  # the counterpart's work on B's order, accepted by B
    finished_order_id: int = NOWHERE  # B's order of that package
    counterpart_id: int = NOWHERE  # the company on the other side of B's deals
    matched_order_id: int = NOWHERE  # the counterpart's published order, matched to B's listing
    capture_id: int = NOWHERE  # B's EPCIS capture naming its finished order
    entry_id: int = NOWHERE  # an event of that capture, in a batch anchored on the chain


@dataclass
class World:
    a: Tenant
    b: Tenant
    operator_id: int
    tokens: dict[str, str]  # actor name -> bearer token (or a raw Authorization header value)
    market: Market = field(default_factory=Market)


def _make_tenant(tag: str, organization_base: str) -> Tenant:
    company = CompanyFactory(
        legal_name=f"{tag.upper()} Precision Works Ltd",
        registration_number=make_uscc("9", "1", "320500", organization_base),
        address=f"{tag.upper()} Industrial Park 1",
        description=f"{tag} description",
        website=f"https://{tag}.example.cn",
        role_rows=_buyer_and_supplier(),
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
            *market_markers(tag),
        ],
    )


def _buyer_and_supplier() -> list[CompanyRoleAssignment]:
    return [
        CompanyRoleAssignment(role=CompanyRole.BUYER),
        CompanyRoleAssignment(role=CompanyRole.SUPPLIER),
    ]


# --------------------------------------------------------------------------------------------
# Company B's marketplace records
# --------------------------------------------------------------------------------------------

MARKET_NEEDS = {
    "machine": (),  # a machine and a listing of its hours
    "listing": ("machine",),
    "draft": (),
    "open": (),
    "quote": ("listing",),
    "package": ("quote",),
    "accepted": (),
    "matched": ("open",),  # B's open order with its matches stored (a split is proposed)
    "recommended": ("listing",),  # a counterpart's order that B's listing is matched to
    "ledger": ("accepted",),  # B's capture on its finished order; the order's entries anchored
}


def market_markers(tag: str) -> list[str]:
    """Text only the tenant's private marketplace records contain (never its published orders)."""
    return [
        f"{tag}-machine-name",
        f"{tag}-listing-title",
        f"{tag}-draft-title",
        f"{tag}-quote-note",
        f"{tag}-drawing.pdf",
        f"{tag}-epcis-note",
    ]


def _today() -> date:
    return utcnow().date()


def _order_fields(title: str, **changes: Any) -> dict[str, Any]:
    return {
        "title": title,
        "process": "cnc_milling_3axis",
        "material": "al_6061",
        "quantity": 100,
        "tolerance_mm": Decimal("0.05"),
        "part_x_mm": 120,
        "part_y_mm": 80,
        "part_z_mm": 30,
        "due_date": _today() + timedelta(days=30),
        "currency": "CNY",
        "delivery_city": "苏州市",
        "splittable": True,
        "min_lot": 10,
        **changes,
    }


def _quote_terms(listing_id: int, note: str = "") -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "unit_price": Decimal("30"),
        "quantity": 100,
        "machine_hours": Decimal("20"),
        "lead_time_days": 7,
        "valid_until": _today() + timedelta(days=14),
        "note": note,
    }


def _capacity(principal: Principal, machine_name: str, title: str) -> tuple[int, int]:
    machine = machines.register_machine(
        principal,
        kind="cnc_mill_3axis",
        processes=["cnc_milling_3axis"],
        materials=["al_6061"],
        name=machine_name,
        envelope_x_mm=850,
        envelope_y_mm=500,
        envelope_z_mm=500,
        tolerance_mm=Decimal("0.01"),
        rate_amount=Decimal("120"),
        rate_currency="CNY",
        rate_unit="machine_hour",
    )
    listing = machines.create_listing(
        principal,
        title=title,
        weekday_hours=[Decimal(8)] * 5 + [Decimal(0)] * 2,
        start_date=_today(),
        end_date=_today() + timedelta(weeks=8),
        price_amount=Decimal("120"),
        price_currency="CNY",
        price_unit="machine_hour",
        lead_time_days=10,
        machine_id=machine.id,
    )
    return machine.id, listing.id


def epcis_document(order_id: int, note: str) -> dict[str, Any]:
    """GS1's example of two ObjectEvents, both naming the order (a `po` business transaction)
    and carrying `note` in their extension field."""
    document = json.loads((EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    order = {"type": "po", "bizTransaction": f"{ledger_services.ORDER_URN}{order_id}"}
    for event in document["epcisBody"]["eventList"]:
        event["bizTransactionList"] = [order]
        event["example:myField"] = note
    return document


DRAWING = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def build_market(owner: Principal, tag: str, needs: Iterable[str]) -> Market:
    """Build, through the real services, the records of `owner`'s company that `needs` name."""
    wanted: set[str] = set()
    pending = list(needs)
    while pending:
        need = pending.pop()
        if need not in wanted:
            wanted.add(need)
            pending.extend(MARKET_NEEDS[need])
    market = Market()
    if not wanted:
        return market
    counterpart_user = UserFactory(
        company=CompanyFactory(legal_name=f"{tag} counterpart Ltd", role_rows=_buyer_and_supplier())
    )
    counterpart = principal_of(counterpart_user)
    market.counterpart_id = counterpart.company_id
    counterpart_listing: list[int] = []

    def counterpart_listing_id() -> int:
        if not counterpart_listing:
            counterpart_listing.append(_capacity(counterpart, "counterpart mill", "counterpart")[1])
        return counterpart_listing[0]

    if "machine" in wanted:
        market.machine_id, market.listing_id = _capacity(
            owner, f"{tag}-machine-name", f"{tag}-listing-title"
        )
    if "draft" in wanted:
        draft = orders.create_order(owner, _order_fields(f"{tag}-draft-title"))
        market.draft_order_id = draft.id
        market.drawing_id = orders.add_attachment(
            owner, draft.id, f"{tag}-drawing.pdf", io.BytesIO(DRAWING)
        ).id
    if "open" in wanted:
        order = orders.create_order(owner, _order_fields(f"{tag} open order"), publish=True)
        market.open_order_id = order.id
        market.rival_quote_id = orders.submit_quote(
            counterpart, order.id, _quote_terms(counterpart_listing_id())
        ).id
    if "quote" in wanted:
        foreign = orders.create_order(counterpart, _order_fields("counterpart order"), publish=True)
        market.foreign_order_id = foreign.id
        quote = orders.submit_quote(
            owner, foreign.id, _quote_terms(market.listing_id, f"{tag}-quote-note")
        )
        market.quote_id = quote.id
        if "package" in wanted:
            (package,) = orders.award_order(counterpart, foreign.id, [Allocation(quote.id, 100)])
            market.package_id = package.id
    if "accepted" in wanted:
        order = orders.create_order(owner, _order_fields(f"{tag} finished order"), publish=True)
        offer = orders.submit_quote(counterpart, order.id, _quote_terms(counterpart_listing_id()))
        (package,) = orders.award_order(owner, order.id, [Allocation(offer.id, 100)])
        for actor, status in (
            (counterpart, PackageStatus.IN_PRODUCTION),
            (counterpart, PackageStatus.QUALITY_CHECK),
            (counterpart, PackageStatus.SHIPPED),
            (owner, PackageStatus.DELIVERED),
            (owner, PackageStatus.ACCEPTED_BY_BUYER),
        ):
            packages.transition_package(actor, package.id, status)
        market.accepted_package_id = package.id
        market.finished_order_id = order.id
    if "matched" in wanted:
        refresh_matches(market.open_order_id)
    if "recommended" in wanted:
        matched = orders.create_order(
            counterpart, _order_fields("counterpart order to match"), publish=True
        )
        market.matched_order_id = matched.id
        refresh_matches(matched.id)
    if "ledger" in wanted:
        document = json.dumps(epcis_document(market.finished_order_id, f"{tag}-epcis-note"))
        market.capture_id = ledger_services.capture(owner.company_id, document.encode()).id
        market.entry_id = db.session.scalar(
            select(LedgerEntry.id)
            .where(LedgerEntry.owner_company_id == owner.company_id)
            .order_by(LedgerEntry.id)
        )
        run_ledger_messages()  # the finished package's moves, as the worker records them
        ledger_services.seal_due_batches(size=1000, max_age=timedelta(0))
        chain = ledger_services.ledger_chain()
        ledger_services.anchor_batches(chain, confirmations=1)  # submitted
        ledger_services.anchor_batches(chain, confirmations=1)  # confirmed
    return market


# Tests whose outcome is decided before any record is looked up: they skip B's marketplace.
WITHOUT_MARKET = {"test_without_a_valid_token_is_401", "test_read_only_token_cannot_write"}


@pytest.fixture
def fresh_chain(app):
    """A new in-process EVM for each world: the tables are emptied between tests, the chain not."""
    app.extensions.pop("ledger_chain", None)
    yield
    app.extensions.pop("ledger_chain", None)


@pytest.fixture
def world(request: pytest.FixtureRequest, fresh_chain: None) -> World:
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
    callspec = getattr(request.node, "callspec", None)
    route = callspec.params.get("route") if callspec else None
    needs = () if route is None or request.function.__name__ in WITHOUT_MARKET else route.needs
    market = build_market(principal_of(db.session.get(User, b.owner_id)), b.tag, needs)
    db.session.remove()
    return World(a=a, b=b, operator_id=operator_id, tokens=tokens, market=market)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

ANY = "any"  # any authenticated user of a company (owner or member)
OWNER = "owner"  # the company owner only
OPERATOR = "operator"  # platform operators only
PUBLIC = "public"  # anyone, without a token


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    access: str
    write: bool
    ok: int
    # Path parameters filled with company B's ids; routes without them act on the caller ("me").
    params: Callable[[World], dict[str, int]] | None = None
    # The body names B's records though the path names none: the route is aimed at B all the same.
    body_targets_b: bool = False
    # The JSON body, or a function of the world for bodies naming B's records or today's date.
    body: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    # What the operator gets on a company route (an operator belongs to no company).
    operator: int | None = None
    # Checks, after B's rightful actor succeeded, that the change really happened.
    effect: Callable[[World, Any], None] | None = None
    # B's marketplace records the route works on (see `build_market`).
    needs: tuple[str, ...] = ()
    query: dict[str, str] | None = None
    # Sends a drawing as multipart/form-data instead of a JSON body.
    upload: bool = False
    # What A gets aimed at B's record (a read-only token on a write route always gets 403).
    foreign: tuple[int, ...] = (403, 404)
    # B's record is readable by every signed-in company by design (A gets `ok`).
    shared: bool = False
    mimetype: str = "application/json"

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def targets_b(self) -> bool:
        return self.params is not None or self.body_targets_b


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


# Marketplace effects and bodies


def _listed(attribute: str) -> Callable[[World, Any], None]:
    """The response (a page or a list) shows B's record named by the market `attribute`."""

    def effect(w: World, response: Any) -> None:
        document = response.get_json()
        items = document["items"] if isinstance(document, dict) else document
        assert getattr(w.market, attribute) in {item["id"] for item in items}, document

    return effect


def _shows(attribute: str) -> Callable[[World, Any], None]:
    def effect(w: World, response: Any) -> None:
        assert response.get_json()["id"] == getattr(w.market, attribute)

    return effect


def _b_has(model: Any, *criteria: Callable[[World], Any]) -> Callable[[World, Any], None]:
    """A row of `model` matching every criterion (built from the world) exists."""

    def effect(w: World, response: Any) -> None:
        statement = select(model).where(*(criterion(w) for criterion in criteria))
        assert db.session.scalar(statement) is not None, f"no {model.__name__} row"

    return effect


def _effect_machine_renamed(w: World, response: Any) -> None:
    assert db.session.get(Machine, w.market.machine_id).name == "renamed by the matrix"


def _effect_machine_in_maintenance(w: World, response: Any) -> None:
    assert db.session.get(Machine, w.market.machine_id).status is MachineStatus.MAINTENANCE


def _effect_listing_renamed(w: World, response: Any) -> None:
    assert db.session.get(CapacityListing, w.market.listing_id).title == "renamed by the matrix"


def _effect_listing_paused(w: World, response: Any) -> None:
    assert db.session.get(CapacityListing, w.market.listing_id).status is ListingStatus.PAUSED


def _order_status(w: World) -> OrderStatus:
    return db.session.get(Order, w.market.draft_order_id).status


def _effect_order_renamed(w: World, response: Any) -> None:
    assert db.session.get(Order, w.market.draft_order_id).title == "renamed by the matrix"


def _effect_published(w: World, response: Any) -> None:
    assert _order_status(w) is OrderStatus.PUBLISHED


def _effect_cancelled(w: World, response: Any) -> None:
    assert _order_status(w) is OrderStatus.CANCELLED


def _effect_drawing_added(w: World, response: Any) -> None:
    assert len(db.session.get(Order, w.market.draft_order_id).attachments) == 2


def _effect_drawing_served(w: World, response: Any) -> None:
    assert response.data == DRAWING


def _effect_drawing_removed(w: World, response: Any) -> None:
    assert db.session.get(OrderAttachment, w.market.drawing_id) is None


def _effect_quote_revised(w: World, response: Any) -> None:
    quote = db.session.get(Quote, w.market.quote_id)
    assert (quote.unit_price, quote.revision) == (Decimal("27.5"), 2)


def _effect_quote_withdrawn(w: World, response: Any) -> None:
    assert db.session.get(Quote, w.market.quote_id).status.value == "withdrawn"


def _effect_awarded(w: World, response: Any) -> None:
    order = db.session.get(Order, w.market.open_order_id)
    assert order.status is OrderStatus.AWARDED and len(order.packages) == 1


def _effect_in_production(w: World, response: Any) -> None:
    package = db.session.get(WorkPackage, w.market.package_id)
    assert package.status is PackageStatus.IN_PRODUCTION


def _effect_progress(w: World, response: Any) -> None:
    package = db.session.get(WorkPackage, w.market.package_id)
    assert (package.progress_pct, len(package.milestones)) == (30, 1)


def _effect_reviewed(w: World, response: Any) -> None:
    assert db.session.get(WorkPackage, w.market.accepted_package_id).review is not None


MATCH_WEIGHTS = {"cost": 1.0, "quality": 2.0, "speed": 3.0, "proximity": 4.0}


def _effect_matches_shown(w: World, response: Any) -> None:
    document = response.get_json()
    assert document["order_id"] == w.market.open_order_id, document
    assert {item["company_id"] for item in document["candidates"]} == {w.market.counterpart_id}


def _effect_weights_saved(w: World, response: Any) -> None:
    assert db.session.get(Order, w.market.open_order_id).match_weights == MATCH_WEIGHTS
    assert response.get_json()["weights"] == MATCH_WEIGHTS


def _effect_proposal_accepted(w: World, response: Any) -> None:
    invitations = db.session.execute(
        select(QuoteInvitation.supplier_company_id, QuoteInvitation.proposed_quantity).where(
            QuoteInvitation.order_id == w.market.open_order_id
        )
    ).all()
    assert [tuple(row) for row in invitations] == [(w.market.counterpart_id, 100)]


def _effect_recommended(w: World, response: Any) -> None:
    document = response.get_json()
    assert [item["order"]["id"] for item in document] == [w.market.matched_order_id], document
    assert document[0]["listing_id"] == w.market.listing_id


def _effect_planned(w: World, response: Any) -> None:
    plan = response.get_json()
    assert {share["order_id"] for share in plan["shares"]} == {w.market.open_order_id}, plan
    assert plan["unassigned"] == [], plan


def _effect_capture_shown(w: World, response: Any) -> None:
    assert response.get_json()["captureID"] == str(w.market.capture_id)


def _effect_proof(w: World, response: Any) -> None:
    proof = response.get_json()
    assert (proof["entry"]["id"], proof["tampered"]) == (w.market.entry_id, False), proof


def _effect_proof_checks_out(w: World, response: Any) -> None:
    assert response.get_json()["verified"] is True, response.get_json()


def _proof_body(w: World) -> dict[str, Any]:
    """The proof of B's entry, as the proof route gives it to B."""
    return ledger_services.proof_of(db.session.get(LedgerEntry, w.market.entry_id))


MACHINE_BODY = {
    "kind": "cnc_mill_3axis",
    "name": "matrix machine",
    "processes": ["cnc_milling_3axis"],
    "materials": ["al_6061"],
    "envelope_x_mm": 800,
    "envelope_y_mm": 500,
    "envelope_z_mm": 500,
    "tolerance_mm": "0.01",
    "rate_amount": "150",
    "rate_currency": "CNY",
    "rate_unit": "machine_hour",
}


def _listing_body(w: World) -> dict[str, Any]:
    return {
        "title": "matrix listing",
        "processes": ["cnc_milling_3axis"],
        "weekday_hours": ["8"] * 5 + ["0", "0"],
        "start_date": _today().isoformat(),
        "end_date": (_today() + timedelta(weeks=4)).isoformat(),
        "price_amount": "150",
        "price_currency": "CNY",
        "price_unit": "machine_hour",
        "lead_time_days": 5,
    }


def _order_body(w: World) -> dict[str, Any]:
    return {
        "title": "matrix order",
        "process": "cnc_turning",
        "material": "ss_304",
        "quantity": 40,
        "tolerance_mm": "0.02",
        "part_x_mm": 30,
        "part_y_mm": 30,
        "part_z_mm": 60,
        "due_date": (_today() + timedelta(days=20)).isoformat(),
        "currency": "CNY",
        "delivery_city": "宁波市",
    }


def _quote_body(w: World) -> dict[str, Any]:
    return {
        "listing_id": w.market.listing_id,
        "unit_price": "27.5",
        "quantity": 100,
        "machine_hours": "20",
        "lead_time_days": 7,
        "valid_until": (_today() + timedelta(days=14)).isoformat(),
    }


def _milestone_body(w: World) -> dict[str, Any]:
    forecast = (_today() + timedelta(days=10)).isoformat()
    return {"progress_pct": 30, "forecast_date": forecast, "note": "matrix milestone"}


def _machine(w: World) -> dict[str, int]:
    return {"machine_id": w.market.machine_id}


def _listing(w: World) -> dict[str, int]:
    return {"listing_id": w.market.listing_id}


def _draft(w: World) -> dict[str, int]:
    return {"order_id": w.market.draft_order_id}


def _drawing(w: World) -> dict[str, int]:
    return {"order_id": w.market.draft_order_id, "attachment_id": w.market.drawing_id}


def _open_order(w: World) -> dict[str, int]:
    return {"order_id": w.market.open_order_id}


def _quote(w: World) -> dict[str, int]:
    return {"quote_id": w.market.quote_id}


def _package(w: World) -> dict[str, int]:
    return {"package_id": w.market.package_id}


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
    # ---- The production marketplace: members act like owners; the operator has no company.
    Route("/api/v1/taxonomy", "GET", ANY, False, 200, operator=200),
    Route(
        "/api/v1/machines", "GET", ANY, False, 200,
        needs=("machine",), operator=404, effect=_listed("machine_id"),
    ),
    Route(
        "/api/v1/machines", "POST", ANY, True, 201, body=MACHINE_BODY, operator=404,
        effect=_b_has(Machine, lambda w: Machine.company_id == w.b.company_id,
                      lambda w: Machine.name == "matrix machine"),
    ),
    Route(
        "/api/v1/machines/<id:machine_id>", "GET", ANY, False, 200,
        params=_machine, needs=("machine",), operator=404, effect=_shows("machine_id"),
    ),
    Route(
        "/api/v1/machines/<id:machine_id>", "PATCH", ANY, True, 200,
        params=_machine, needs=("machine",), body={"name": "renamed by the matrix"},
        operator=404, effect=_effect_machine_renamed,
    ),
    Route(
        "/api/v1/machines/<id:machine_id>/status", "POST", ANY, True, 200,
        params=_machine, needs=("machine",), body={"status": "maintenance", "note": "spindle"},
        operator=404, effect=_effect_machine_in_maintenance,
    ),
    Route(
        "/api/v1/listings", "GET", ANY, False, 200,
        needs=("listing",), operator=404, effect=_listed("listing_id"),
    ),
    Route(
        "/api/v1/listings", "POST", ANY, True, 201, body=_listing_body, operator=404,
        effect=_b_has(CapacityListing, lambda w: CapacityListing.company_id == w.b.company_id,
                      lambda w: CapacityListing.title == "matrix listing"),
    ),
    Route(
        "/api/v1/listings/<id:listing_id>", "GET", ANY, False, 200,
        params=_listing, needs=("listing",), operator=404, effect=_shows("listing_id"),
    ),
    Route(
        "/api/v1/listings/<id:listing_id>", "PATCH", ANY, True, 200,
        params=_listing, needs=("listing",), body={"title": "renamed by the matrix"},
        operator=404, effect=_effect_listing_renamed,
    ),
    Route(
        "/api/v1/listings/<id:listing_id>/status", "POST", ANY, True, 200,
        params=_listing, needs=("listing",), body={"status": "paused"}, operator=404,
        effect=_effect_listing_paused,
    ),
    Route(
        "/api/v1/orders", "GET", ANY, False, 200,
        needs=("draft",), operator=404, effect=_listed("draft_order_id"),
    ),
    Route(
        "/api/v1/orders", "POST", ANY, True, 201, body=_order_body, operator=404,
        effect=_b_has(Order, lambda w: Order.buyer_company_id == w.b.company_id,
                      lambda w: Order.title == "matrix order"),
    ),
    # Published orders are visible to every supplier by design: A's list shows B's open order.
    Route("/api/v1/orders/open", "GET", ANY, False, 200, needs=("open", "quote"), operator=404,
          effect=_listed("foreign_order_id")),
    # Operators see every order, draft or not (the services let them, to resolve disputes).
    Route(
        "/api/v1/orders/<id:order_id>", "GET", ANY, False, 200,
        params=_draft, needs=("draft",), operator=200, effect=_shows("draft_order_id"),
    ),
    Route(
        "/api/v1/orders/<id:order_id>", "PATCH", ANY, True, 200,
        params=_draft, needs=("draft",), body={"title": "renamed by the matrix"},
        operator=403, effect=_effect_order_renamed,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/publish", "POST", ANY, True, 200,
        params=_draft, needs=("draft",), operator=403, effect=_effect_published,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/cancel", "POST", ANY, True, 200,
        params=_draft, needs=("draft",), body={"note": "matrix"}, operator=403,
        effect=_effect_cancelled,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/history", "GET", ANY, False, 200,
        params=_draft, needs=("draft",), operator=200,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/attachments", "GET", ANY, False, 200,
        params=_draft, needs=("draft",), operator=200, effect=_listed("drawing_id"),
    ),
    Route(
        "/api/v1/orders/<id:order_id>/attachments", "POST", ANY, True, 201,
        params=_draft, needs=("draft",), upload=True, operator=403,
        effect=_effect_drawing_added,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/attachments/<id:attachment_id>", "GET", ANY, False, 200,
        params=_drawing, needs=("draft",), operator=200, mimetype="application/pdf",
        effect=_effect_drawing_served,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/attachments/<id:attachment_id>", "DELETE", ANY, True, 204,
        params=_drawing, needs=("draft",), operator=403, effect=_effect_drawing_removed,
    ),
    # B's open order is visible to A (a supplier), so A is told it is not its order: 403.
    Route(
        "/api/v1/orders/<id:order_id>/invitations", "POST", ANY, True, 200,
        params=_open_order, needs=("open",), operator=403,
        body=lambda w: {"supplier_ids": [w.market.counterpart_id]},
        effect=_b_has(QuoteInvitation,
                      lambda w: QuoteInvitation.order_id == w.market.open_order_id),
    ),
    Route(
        "/api/v1/orders/<id:order_id>/quotes", "GET", ANY, False, 200,
        params=_open_order, needs=("open",), operator=403, effect=_listed("rival_quote_id"),
    ),
    # The path names the counterpart's published order (open to every supplier); B's listing in
    # the body is not A's, so A's quote is refused at /listing_id and B's quote is untouched.
    Route(
        "/api/v1/orders/<id:order_id>/quote", "PUT", ANY, True, 200,
        params=lambda w: {"order_id": w.market.foreign_order_id}, needs=("quote",),
        body=_quote_body, foreign=(422,), operator=404, effect=_effect_quote_revised,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/award", "POST", ANY, True, 201,
        params=_open_order, needs=("open",), operator=403,
        body=lambda w: {"allocations": [{"quote_id": w.market.rival_quote_id, "quantity": 100}]},
        effect=_effect_awarded,
    ),
    Route(
        "/api/v1/quotes", "GET", ANY, False, 200,
        needs=("quote",), operator=404, effect=_listed("quote_id"),
    ),
    Route(
        "/api/v1/quotes/<id:quote_id>", "GET", ANY, False, 200,
        params=_quote, needs=("quote",), operator=404, effect=_shows("quote_id"),
    ),
    Route(
        "/api/v1/quotes/<id:quote_id>/withdraw", "POST", ANY, True, 200,
        params=_quote, needs=("quote",), operator=404, effect=_effect_quote_withdrawn,
    ),
    # An operator belongs to no company: its package lists are empty.
    Route(
        "/api/v1/packages", "GET", ANY, False, 200, query={"as": "supplier"},
        needs=("package",), operator=200, effect=_listed("package_id"),
    ),
    Route(
        "/api/v1/packages/<id:package_id>", "GET", ANY, False, 200,
        params=_package, needs=("package",), operator=200, effect=_shows("package_id"),
    ),
    Route(
        "/api/v1/packages/<id:package_id>/transitions", "POST", ANY, True, 200,
        params=_package, needs=("package",), body={"status": "in_production"}, operator=403,
        effect=_effect_in_production,
    ),
    Route(
        "/api/v1/packages/<id:package_id>/milestones", "POST", ANY, True, 201,
        params=_package, needs=("package",), body=_milestone_body, operator=403,
        effect=_effect_progress,
    ),
    # The service refuses a non-buyer's review as 422 review-not-allowed (not 403).
    Route(
        "/api/v1/packages/<id:package_id>/review", "POST", ANY, True, 201,
        params=lambda w: {"package_id": w.market.accepted_package_id}, needs=("accepted",),
        body={"quality": 5, "delivery": 4, "communication": 5}, operator=422,
        effect=_effect_reviewed,
    ),
    # Scorecards are public to every signed-in company by design.
    Route(
        "/api/v1/suppliers/<id:company_id>/scorecard", "GET", ANY, False, 200,
        params=lambda w: {"company_id": w.b.company_id}, shared=True, operator=200,
    ),
    # ---- Matching: an order's matches are its buyer's (operators read them, change nothing);
    # B's open order is visible to A (a supplier), so A is told it is not its order: 403.
    Route(
        "/api/v1/orders/<id:order_id>/matches", "GET", ANY, False, 200,
        params=_open_order, needs=("matched",), operator=200, effect=_effect_matches_shown,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/match-weights", "PUT", ANY, True, 200,
        params=_open_order, needs=("matched",), body=MATCH_WEIGHTS, operator=403,
        effect=_effect_weights_saved,
    ),
    Route(
        "/api/v1/orders/<id:order_id>/matches/proposal/accept", "POST", ANY, True, 200,
        params=_open_order, needs=("matched",), operator=403, effect=_effect_proposal_accepted,
    ),
    # A supplier's own recommendations; the operator belongs to no company.
    Route(
        "/api/v1/matching/recommended-orders", "GET", ANY, False, 200,
        needs=("recommended",), operator=404, effect=_effect_recommended,
    ),
    # Planning only computes (nothing is booked), so a read-only operator token may plan.
    Route(
        "/api/v1/matching/plan", "POST", OPERATOR, False, 200,
        body={"mode": "split", "time_limit": 5}, needs=("open",), effect=_effect_planned,
    ),
    # ---- The ledger: an order's events are its parties' (operators, of no company, read proofs).
    # The document names B's finished order, in which A takes no part: A's capture is refused.
    Route(
        "/api/v1/epcis/capture", "POST", ANY, True, 202, needs=("accepted",), body_targets_b=True,
        body=lambda w: epcis_document(w.market.finished_order_id, "matrix capture"),
        foreign=(403,), operator=403,
        effect=_b_has(LedgerEntry, lambda w: LedgerEntry.owner_company_id == w.b.company_id,
                      lambda w: LedgerEntry.order_ref == w.market.finished_order_id),
    ),
    Route(
        "/api/v1/epcis/capture/<id:capture_id>", "GET", ANY, False, 200,
        params=lambda w: {"capture_id": w.market.capture_id}, needs=("ledger",), foreign=(404,),
        operator=403, effect=_effect_capture_shown,
    ),
    Route(
        "/api/v1/epcis/events", "GET", ANY, False, 200,
        needs=("ledger",), operator=403, effect=_listed("entry_id"),
    ),
    Route(
        "/api/v1/ledger/entries/<id:entry_id>/proof", "GET", ANY, False, 200,
        params=lambda w: {"entry_id": w.market.entry_id}, needs=("ledger",), foreign=(404,),
        operator=200, effect=_effect_proof,
    ),
    # Anyone may check a proof; A checks B's (as if B had shown it) and learns only the verdict.
    Route(
        "/api/v1/ledger/verify", "POST", PUBLIC, False, 200,
        body=_proof_body, needs=("ledger",), operator=200, effect=_effect_proof_checks_out,
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
    if route.upload:
        body: dict[str, Any] = {
            "data": {"file": (io.BytesIO(DRAWING), "matrix.pdf")},
            "content_type": "multipart/form-data",
        }
    else:
        body = {"json": route.body(world_) if callable(route.body) else route.body}
    response = client.open(
        _path(route, world_),
        method=route.method,
        headers=headers,
        query_string=route.query,
        **body,
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
        **_market_state(company_id),
        **_ledger_state(company_id),
    }
    db.session.remove()
    return state


def _market_state(company_id: int) -> dict[str, list[tuple]]:
    """The company's marketplace rows: as supplier, as buyer, and what hangs off both."""
    own_orders = select(Order.id).where(Order.buyer_company_id == company_id)
    own_listings = select(CapacityListing.id).where(CapacityListing.company_id == company_id)
    own_packages = select(WorkPackage.id).where(
        (WorkPackage.supplier_company_id == company_id) | WorkPackage.order_id.in_(own_orders)
    )
    return {
        "machines": _rows(Machine, Machine.company_id == company_id),
        "listings": _rows(CapacityListing, CapacityListing.company_id == company_id),
        "bookings": _rows(CapacityBooking, CapacityBooking.listing_id.in_(own_listings)),
        "orders": _rows(Order, Order.id.in_(own_orders)),
        "attachments": _rows(OrderAttachment, OrderAttachment.order_id.in_(own_orders)),
        "invitations_sent": _rows(QuoteInvitation, QuoteInvitation.order_id.in_(own_orders)),
        "quotes": _rows(
            Quote, (Quote.supplier_company_id == company_id) | Quote.order_id.in_(own_orders)
        ),
        "packages": _rows(WorkPackage, WorkPackage.id.in_(own_packages)),
        "milestones": _rows(Milestone, Milestone.package_id.in_(own_packages)),
        "reviews": _rows(Review, Review.package_id.in_(own_packages)),
        "match_runs": _rows(MatchRun, MatchRun.order_id.in_(own_orders)),
        "match_candidates": _rows(
            MatchCandidate,
            (MatchCandidate.company_id == company_id) | MatchCandidate.order_id.in_(own_orders),
        ),
    }


def _ledger_state(company_id: int) -> dict[str, list[tuple]]:
    """The ledger rows the company can read (it is a party of them) and its captures."""
    own_entries = select(LedgerEntryParty.entry_id).where(LedgerEntryParty.company_id == company_id)
    return {
        "ledger_entries": _rows(LedgerEntry, LedgerEntry.id.in_(own_entries)),
        "ledger_parties": _rows(LedgerEntryParty, LedgerEntryParty.entry_id.in_(own_entries)),
        "ledger_captures": _rows(LedgerCapture, LedgerCapture.company_id == company_id),
    }


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


@pytest.mark.parametrize("route", _routes(lambda route: True))
def test_company_a_cannot_touch_company_b(client, world, route):
    """A's three callers in turn on one world; the owner last, so its own changes (a new
    password, a new token) cannot decide what the others get."""
    for actor in ("a_owner_ro", "a_member", "a_owner"):
        _check_a_against_b(client, world, route, actor)


def _check_a_against_b(client, world: World, route: Route, actor: str) -> None:
    before_b = company_state(world.b.company_id)
    before_all = database_state()

    response = call(client, route, world, auth_header(world, actor))

    context = f"as {actor}: {describe(response)}"
    assert response.status_code < 500, context
    assert company_state(world.b.company_id) == before_b, f"company B's rows changed {context}"
    if route.shared:
        # A record every signed-in company may read: A reads it, sees nothing private of B's.
        assert response.status_code == route.ok, context
        assert_no_leak(response, world.b)
        assert database_state() == before_all, context
    elif route.targets_b or route.access == OPERATOR:
        # Aimed at B's ids (or at the operator's desk): refused, and nothing anywhere changes.
        read_only_write = actor == "a_owner_ro" and route.write
        assert response.status_code in ((403,) if read_only_write else route.foreign), context
        assert_problem(response, response.status_code)
        assert database_state() == before_all, context
    else:
        # A `/me` route acts on A's own company: whatever A may do there, it never shows B.
        assert response.status_code == _expected_for_own_company(route, actor), context
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


@pytest.mark.parametrize("route", _routes(lambda route: route.access != PUBLIC))
def test_without_a_valid_token_is_401(client, world, route):
    """Every bad credential in turn on one world (the world, not the request, is the cost)."""
    before = database_state()
    failures = []

    for credential, header in BAD_CREDENTIALS.items():
        response = call(client, route, world, header(world))
        if response.status_code != 401 or response.mimetype != PROBLEM_MIMETYPE:
            failures.append(f"{credential}: {describe(response)}")
        else:
            assert_problem(response, 401)

    assert not failures, "\n".join(failures)
    assert database_state() == before


@pytest.mark.parametrize("route", _routes(lambda route: route.access == PUBLIC))
def test_public_routes_need_no_token(client, world, route):
    before = database_state()

    response = call(client, route, world, None)

    assert response.status_code == route.ok, describe(response)
    assert_no_leak(response, world.a)
    if route.effect:
        route.effect(world, response)
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


# Operator-only routes that belong with their subject rather than under /api/v1/operator/.
OPERATOR_ROUTES_ELSEWHERE = {"/api/v1/matching/plan"}


def test_operator_routes_are_all_under_the_operator_prefix():
    for route in ROUTES:
        elsewhere = route.rule in OPERATOR_ROUTES_ELSEWHERE
        assert (route.access == OPERATOR) == (
            route.rule.startswith("/api/v1/operator/") or elsewhere
        ), route.id


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
    """An operator belongs to no company: it never changes a company's resources, and reads only
    what the services open to operators (orders, drawings and packages, to resolve disputes)."""
    before_b = company_state(world.b.company_id)

    response = call(client, route, world, auth_header(world, "operator"))

    assert response.status_code == route.operator, describe(response)
    reads_by_design = route.targets_b and response.status_code < 400
    if route.targets_b and not reads_by_design:
        assert_problem(response, 403, 404, 422)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
    assert company_state(world.b.company_id) == before_b, "company B's rows changed"
    if not reads_by_design:
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
        assert response.mimetype == route.mimetype, describe(response)
    assert_no_leak(response, world.a)
    assert company_state(world.a.company_id) == before_a, "company A's rows changed"
    if route.effect and actor == "b_owner":
        route.effect(world, response)
        db.session.remove()


# --------------------------------------------------------------------------------------------
# Shared by design: published orders
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [pytest.param(route, id=route.id) for route in ROUTES if route.rule == "/api/v1/orders/open"],
)
def test_published_orders_are_visible_to_other_suppliers_but_not_their_drawings(
    client, world, route
):
    """B's published order is in A's open orders and readable; its drawings and the quotes on it
    are not (A was not invited and is not its buyer)."""
    orders_path = "/api/v1/orders"
    open_id = world.market.open_order_id
    headers = bearer(world.tokens["a_owner"])

    listed = client.get(f"{orders_path}/open", headers=headers).get_json()["items"]
    shown = client.get(f"{orders_path}/{open_id}", headers=headers)
    drawings = client.get(f"{orders_path}/{open_id}/attachments", headers=headers)
    quotes = client.get(f"{orders_path}/{open_id}/quotes", headers=headers)
    db.session.remove()

    assert open_id in {order["id"] for order in listed}
    assert shown.status_code == 200 and shown.get_json()["title"] == "beta open order"
    assert_problem(drawings, 404)
    assert_problem(quotes, 403)
