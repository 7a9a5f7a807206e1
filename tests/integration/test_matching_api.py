"""Matching over HTTP with API tokens: a buyer's ranked suppliers and why, weights, the proposed
split, a supplier's recommended orders and an operator's batch plans.

The world: two suppliers of 3-axis milling for a buyer who delivers to Suzhou. "Urumqi" is cheap
(60 CNY a machine-hour) but 3,300 km away and has 30 hours free after its 2-day lead time;
"Suzhou" is dear (200 CNY) but in the delivery city, with hours to spare. Orders state one
machine-hour a piece (60 minutes), so the figures below are exact: a share of q pieces takes 3
setup hours plus q hours, and Urumqi can make 27 pieces. Stored matches are computed on first
read (no worker runs here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from core.auth import Scope
from core.db import db, utcnow
from core.i18n import translate
from core.problem import PROBLEM_MIMETYPE
from marketplace.models import MatchCandidate, MatchRun, Order, QuoteInvitation, User
from marketplace.services import machines
from tests.factories import BuyerFactory, CompanyFactory, OperatorFactory, UserFactory, principal_of
from tests.integration.conftest import bearer, issue_token

API = "/api/v1"
DEFAULT_WEIGHTS = {"cost": 4.0, "quality": 3.0, "speed": 2.0, "proximity": 1.0}
COST_ONLY = {"cost": 10.0, "quality": 0.0, "speed": 0.0, "proximity": 0.0}
PROXIMITY_ONLY = {"cost": 0.0, "quality": 0.0, "speed": 0.0, "proximity": 10.0}
CRITERIA = ["price", "lead_time", "track_record", "distance", "idle_capacity"]
URUMQI_PIECES = 27  # (30 hours after the lead time - 3 setup hours) / 1 hour a piece

# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    company_id: int | None


@dataclass(frozen=True)
class Supplier:
    caller: Caller
    company_id: int
    company_name: str
    listing_id: int
    listing_title: str


def today() -> date:
    return utcnow().date()


def caller_for(user: Any, scope: Scope = Scope.WRITE) -> Caller:
    result = Caller(bearer(issue_token(user, scope)), user.company_id)
    db.session.remove()
    return result


def make_supplier(
    name: str, city: str, price: str, hours_a_day: int, days: int, lead_time_days: int = 2
) -> Supplier:
    """A supplier in `city` listing a 3-axis mill `hours_a_day` every day for `days` days."""
    user = UserFactory(company=CompanyFactory(legal_name=name, city=city))
    principal = principal_of(user)
    machine = machines.register_machine(
        principal,
        kind="cnc_mill_3axis",
        processes=["cnc_milling_3axis"],
        materials=["al_6061"],
        name=f"{name} mill",
        envelope_x_mm=850,
        envelope_y_mm=500,
        envelope_z_mm=500,
        tolerance_mm=Decimal("0.01"),
        rate_amount=Decimal(price),
        rate_currency="CNY",
        rate_unit="machine_hour",
    )
    title = f"{name} free hours"
    listing = machines.create_listing(
        principal,
        title=title,
        # Every day alike, so that the free hours do not depend on today's weekday.
        weekday_hours=[Decimal(hours_a_day)] * 7,
        start_date=today(),
        end_date=today() + timedelta(days=days - 1),
        price_amount=Decimal(price),
        price_currency="CNY",
        price_unit="machine_hour",
        lead_time_days=lead_time_days,
        machine_id=machine.id,
    )
    company_id, listing_id = user.company_id, listing.id
    return Supplier(caller_for(user), company_id, name, listing_id, title)


@dataclass(frozen=True)
class World:
    buyer: Caller
    buyer_user_id: int
    urumqi: Supplier  # cheap and far
    suzhou: Supplier  # dear and near


@pytest.fixture
def world() -> World:
    urumqi = make_supplier("Urumqi Cheap Machining", "乌鲁木齐市", "60", hours_a_day=10, days=5)
    suzhou = make_supplier("Suzhou Precision", "苏州市", "200", hours_a_day=8, days=57)
    buyer = BuyerFactory()
    buyer_id = buyer.id
    return World(caller_for(buyer), buyer_id, urumqi, suzhou)


def call(client, method: str, path: str, caller: Caller | None = None, **kwargs: Any):
    headers = {**(caller.headers if caller else {}), **kwargs.pop("headers", {})}
    # Each request in an app context of its own, as when served: otherwise it would share the
    # test's `g`, where Flask-Babel keeps the language of the first request that asked.
    with client.application.app_context():
        response = client.open(API + path, method=method, headers=headers, **kwargs)
    db.session.remove()  # what the end of a real request does
    return response


def order_body(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Aluminium brackets",
        "process": "cnc_milling_3axis",
        "material": "al_6061",
        "quantity": 100,
        "tolerance_mm": "0.05",
        "part_x_mm": 120,
        "part_y_mm": 80,
        "part_z_mm": 30,
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "target_unit_price": "250",
        "currency": "CNY",
        "delivery_city": "苏州市",
        "splittable": True,
        "min_lot": 10,
        "minutes_per_piece": "60",
        "publish": True,
        **changes,
    }


def post_order(client, buyer: Caller, **changes: Any) -> int:
    response = call(client, "POST", "/orders", buyer, json=order_body(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def describe(response) -> str:
    return f"{response.status_code}: {response.get_data(as_text=True)[:600]}"


def assert_problem(response, status: int, pointer: str | None = None, where: str = "json"):
    assert response.status_code == status, describe(response)
    assert response.mimetype == PROBLEM_MIMETYPE, describe(response)
    document = response.get_json()
    assert document["status"] == status
    if pointer is not None:
        assert {(e["pointer"], e["in"]) for e in document["errors"]} == {(pointer, where)}, document
    return document


def matches_state(order_id: int) -> tuple:
    """What a refused request must leave alone: the order's weights and its stored ranking."""
    order = db.session.get(Order, order_id)
    run = db.session.get(MatchRun, order_id)
    state = (
        order.match_weights,
        None if run is None else (run.weights, run.computed_at, run.proposal),
        [
            (row.listing_id, row.rank, row.score)
            for row in db.session.scalars(
                select(MatchCandidate).where(MatchCandidate.order_id == order_id)
            )
        ],
        db.session.scalar(
            select(func.count(QuoteInvitation.id)).where(QuoteInvitation.order_id == order_id)
        ),
    )
    db.session.remove()
    return state


def ranked_listings(document: dict[str, Any]) -> list[int]:
    return [candidate["listing_id"] for candidate in document["candidates"]]


def explanation(candidate: dict[str, Any], criterion: str) -> dict[str, Any]:
    (found,) = [item for item in candidate["explanations"] if item["criterion"] == criterion]
    return found


# --------------------------------------------------------------------------------------------
# The buyer's matches
# --------------------------------------------------------------------------------------------


def test_published_order_gets_ranked_suppliers_with_reasons_and_a_proposed_split(client, world):
    order_id = post_order(client, world.buyer)

    response = call(client, "GET", f"/orders/{order_id}/matches", world.buyer)

    assert response.status_code == 200, describe(response)
    document = response.get_json()
    assert (document["order_id"], document["currency"]) == (order_id, "CNY")
    assert document["weights"] == DEFAULT_WEIGHTS
    assert (document["considered"], document["feasible"], document["exclusions"]) == (2, 2, [])
    assert document["stored"] is True
    # Cheap beats near when cost weighs four times proximity.
    assert ranked_listings(document) == [world.urumqi.listing_id, world.suzhou.listing_id]
    first, second = document["candidates"]
    assert {key: first[key] for key in first if key not in ("score", "explanations")} == {
        "rank": 1,
        "listing_id": world.urumqi.listing_id,
        "listing_title": "Urumqi Cheap Machining free hours",
        "company_id": world.urumqi.company_id,
        "company_name": "Urumqi Cheap Machining",
        "city": "乌鲁木齐市",
        "max_quantity": URUMQI_PIECES,
        "unit_price": "66.67",  # (3 + 27) hours × 60 CNY / 27 pieces
    }
    assert (second["rank"], second["max_quantity"], second["unit_price"]) == (2, 100, "206.00")
    assert Decimal(first["score"]) > Decimal(second["score"])
    for candidate in document["candidates"]:
        assert [item["criterion"] for item in candidate["explanations"]] == CRITERIA
        points = sum(Decimal(str(item["points"])) for item in candidate["explanations"])
        assert abs(points - Decimal(candidate["score"])) <= Decimal("0.05")
    assert explanation(first, "price") | {"score": None, "weight": None, "points": None} == {
        "criterion": "price",
        "label": "Price",
        "score": None,
        "weight": None,
        "points": None,
        "text": "About CNY 66.67 per piece, 73% below the target price.",
    }
    assert explanation(first, "price")["score"] == 1.0
    assert explanation(first, "price")["weight"] == round(4 / 9.75, 4)
    assert explanation(second, "distance")["text"] == (
        "In 苏州市, about 0 km from the delivery city."
    )
    assert explanation(second, "track_record")["text"] == (
        "No finished packages yet: scored at the platform average."
    )
    assert explanation(first, "idle_capacity")["text"] == (
        "100% of its hours before the due date are still free."
    )
    # Urumqi makes its 27 pieces, the other 73 go to Suzhou: (3 + 73) × 200 / 73 = 208.22 each.
    proposal = document["proposal"]
    assert (proposal["currency"], proposal["optimal"]) == ("CNY", True)
    assert sorted(proposal["shares"], key=lambda share: share["listing_id"]) == sorted(
        [
            {
                "listing_id": world.urumqi.listing_id,
                "company_id": world.urumqi.company_id,
                "quantity": URUMQI_PIECES,
                "unit_price": "66.67",
            },
            {
                "listing_id": world.suzhou.listing_id,
                "company_id": world.suzhou.company_id,
                "quantity": 100 - URUMQI_PIECES,
                "unit_price": "208.22",
            },
        ],
        key=lambda share: share["listing_id"],
    )


def test_explanations_follow_the_callers_language(client, app, world):
    order_id = post_order(client, world.buyer, required_certifications=["ISO 13485"])
    near_order_id = post_order(client, world.buyer)
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}

    excluded_en = call(client, "GET", f"/orders/{order_id}/matches", world.buyer).get_json()
    excluded_zh = call(
        client, "GET", f"/orders/{order_id}/matches", world.buyer, headers=chinese
    ).get_json()
    ranked_zh = call(
        client, "GET", f"/orders/{near_order_id}/matches", world.buyer, headers=chinese
    ).get_json()

    with app.app_context(), app.test_request_context(headers=chinese):
        expected_exclusion = translate(
            "%(count)d lacks %(detail)s",
            {"count": 2, "detail": "ISO 13485"},
            "%(count)d lack %(detail)s",
        )
        expected_distance = translate("In %(city)s, about %(km)d km from the delivery city.") % {
            "km": 0,
            "city": "苏州市",
        }
    assert excluded_en["exclusions"][0]["text"] == "2 lack ISO 13485"
    assert excluded_zh["exclusions"][0]["text"] == expected_exclusion
    assert expected_exclusion != "2 lack ISO 13485", "the zh_CN catalogue lacks the message"
    suzhou = next(c for c in ranked_zh["candidates"] if c["listing_id"] == world.suzhou.listing_id)
    assert explanation(suzhou, "price")["label"] == "价格"
    assert explanation(suzhou, "distance")["text"] == expected_distance
    assert expected_distance != "In 苏州市, about 0 km from the delivery city.", (
        "the zh_CN catalogue lacks the message"
    )


def test_an_order_nobody_can_serve_gets_no_ranking_and_the_reasons_counted(client, world):
    order_id = post_order(client, world.buyer, required_certifications=["ISO 13485"])

    response = call(client, "GET", f"/orders/{order_id}/matches", world.buyer)

    assert response.status_code == 200, describe(response)
    document = response.get_json()
    assert (document["considered"], document["feasible"]) == (2, 0)
    assert document["candidates"] == []
    assert document["proposal"] is None
    assert document["exclusions"] == [
        {
            "reason": "certification_missing",
            "detail": "ISO 13485",
            "count": 2,
            "text": "2 lack ISO 13485",
        }
    ]


@pytest.mark.parametrize(
    ("weights", "first"),
    [
        pytest.param(COST_ONLY, "urumqi", id="cost puts the cheap one first"),
        pytest.param(PROXIMITY_ONLY, "suzhou", id="proximity puts the near one first"),
    ],
)
def test_weights_in_the_query_rerank_without_storing(client, world, weights, first):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)  # stores the default ranking
    before = matches_state(order_id)

    response = call(client, "GET", f"/orders/{order_id}/matches", world.buyer, query_string=weights)

    assert response.status_code == 200, describe(response)
    document = response.get_json()
    winner, loser = (
        (world.urumqi, world.suzhou) if first == "urumqi" else (world.suzhou, world.urumqi)
    )
    assert ranked_listings(document) == [winner.listing_id, loser.listing_id]
    assert (document["weights"], document["stored"]) == (weights, False)
    assert matches_state(order_id) == before


def test_reranked_candidates_carry_their_listing_titles(client, world):
    order_id = post_order(client, world.buyer)

    response = call(
        client, "GET", f"/orders/{order_id}/matches", world.buyer, query_string=COST_ONLY
    )

    assert [candidate["listing_title"] for candidate in response.get_json()["candidates"]] == [
        world.urumqi.listing_title,
        world.suzhou.listing_title,
    ]


def test_missing_query_weights_take_the_defaults(client, world):
    order_id = post_order(client, world.buyer)

    response = call(
        client, "GET", f"/orders/{order_id}/matches", world.buyer, query_string={"proximity": 9}
    )

    assert response.get_json()["weights"] == {**DEFAULT_WEIGHTS, "proximity": 9.0}
    assert ranked_listings(response.get_json()) == [
        world.suzhou.listing_id,
        world.urumqi.listing_id,
    ]


def test_saved_weights_are_kept_and_rank_the_stored_matches(client, world):
    order_id = post_order(client, world.buyer)

    saved = call(
        client, "PUT", f"/orders/{order_id}/match-weights", world.buyer, json=PROXIMITY_ONLY
    )
    shown = call(client, "GET", f"/orders/{order_id}/matches", world.buyer)

    assert saved.status_code == 200, describe(saved)
    for document in (saved.get_json(), shown.get_json()):
        assert (document["weights"], document["stored"]) == (PROXIMITY_ONLY, True)
        assert ranked_listings(document) == [world.suzhou.listing_id, world.urumqi.listing_id]
    assert db.session.get(Order, order_id).match_weights == PROXIMITY_ONLY
    assert db.session.get(MatchRun, order_id).weights == PROXIMITY_ONLY


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        pytest.param({"cost": "10.5"}, "/cost", id="above 10"),
        pytest.param({"quality": "-1"}, "/quality", id="below 0"),
        pytest.param({"speed": "fast"}, "/speed", id="not a number"),
        pytest.param({"proximity": "nan"}, "/proximity", id="nan"),
        pytest.param({"cost": "inf"}, "/cost", id="infinite"),
        pytest.param({"cost": 0, "quality": 0, "speed": 0, "proximity": 0}, "/cost", id="zeros"),
    ],
)
def test_bad_query_weights_are_422_and_change_nothing(client, world, query, pointer):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)
    before = matches_state(order_id)

    response = call(client, "GET", f"/orders/{order_id}/matches", world.buyer, query_string=query)

    assert_problem(response, 422, pointer, "query")
    assert matches_state(order_id) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({**COST_ONLY, "cost": 11}, "/cost", id="above 10"),
        pytest.param({**COST_ONLY, "speed": -0.5}, "/speed", id="below 0"),
        pytest.param({**COST_ONLY, "cost": "5"}, "/cost", id="a string"),
        pytest.param({**COST_ONLY, "quality": True}, "/quality", id="a boolean"),
        pytest.param({**COST_ONLY, "proximity": None}, "/proximity", id="null"),
        pytest.param({**COST_ONLY, "cost": 0}, "/cost", id="all zero"),
        pytest.param({"cost": 1, "quality": 1, "speed": 1}, "/proximity", id="one missing"),
        pytest.param({**COST_ONLY, "colour": 1}, "/colour", id="unknown weight"),
    ],
)
def test_bad_saved_weights_are_422_and_store_nothing(client, world, body, pointer):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)
    before = matches_state(order_id)

    response = call(client, "PUT", f"/orders/{order_id}/match-weights", world.buyer, json=body)

    assert_problem(response, 422, pointer)
    assert matches_state(order_id) == before


def test_operators_read_matches_but_cannot_change_them(client, world):
    order_id = post_order(client, world.buyer)
    operator = caller_for(OperatorFactory())

    read = call(client, "GET", f"/orders/{order_id}/matches", operator)
    before = matches_state(order_id)
    saved = call(client, "PUT", f"/orders/{order_id}/match-weights", operator, json=COST_ONLY)
    accepted = call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", operator)

    assert read.status_code == 200, describe(read)
    assert ranked_listings(read.get_json()) == [world.urumqi.listing_id, world.suzhou.listing_id]
    assert_problem(saved, 403)
    assert_problem(accepted, 403)
    assert matches_state(order_id) == before


def test_other_companies_cannot_read_or_change_an_orders_matches(client, world):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)
    rival = caller_for(BuyerFactory())
    before = matches_state(order_id)

    responses = {
        "rival reads": call(client, "GET", f"/orders/{order_id}/matches", rival),
        "supplier reads": call(client, "GET", f"/orders/{order_id}/matches", world.urumqi.caller),
        "rival saves": call(
            client, "PUT", f"/orders/{order_id}/match-weights", rival, json=COST_ONLY
        ),
        "rival accepts": call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", rival),
    }

    for case, response in responses.items():
        assert assert_problem(response, 403)["code"] == "not-your-order", case
    assert matches_state(order_id) == before


def test_unknown_orders_are_404(client, world):
    paths = [
        ("GET", "/orders/999999/matches"),
        ("PUT", "/orders/999999/match-weights"),
        ("POST", "/orders/999999/matches/proposal/accept"),
    ]
    for method, path in paths:
        response = call(client, method, path, world.buyer, json=COST_ONLY)
        assert assert_problem(response, 404)["code"] == "order-not-found", path


def test_a_draft_has_no_matches(client, world):
    order_id = post_order(client, world.buyer, publish=False)

    response = call(client, "GET", f"/orders/{order_id}/matches", world.buyer)

    assert assert_problem(response, 409)["code"] == "order-not-open"
    assert db.session.get(MatchRun, order_id) is None


def test_read_only_tokens_cannot_save_weights_or_accept(client, world):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)
    read_only = caller_for(db.session.get(User, world.buyer_user_id), Scope.READ)
    before = matches_state(order_id)

    saved = call(client, "PUT", f"/orders/{order_id}/match-weights", read_only, json=COST_ONLY)
    accepted = call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", read_only)

    assert_problem(saved, 403)
    assert_problem(accepted, 403)
    assert matches_state(order_id) == before


# --------------------------------------------------------------------------------------------
# Accepting the proposed split
# --------------------------------------------------------------------------------------------


def invitations_of(order_id: int) -> list[tuple[int, int | None]]:
    rows = db.session.execute(
        select(QuoteInvitation.supplier_company_id, QuoteInvitation.proposed_quantity)
        .where(QuoteInvitation.order_id == order_id)
        .order_by(QuoteInvitation.supplier_company_id)
    ).all()
    db.session.remove()
    return [tuple(row) for row in rows]


def test_accepting_the_proposal_invites_its_suppliers_once(client, world):
    order_id = post_order(client, world.buyer)
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)
    expected = sorted(
        [(world.urumqi.company_id, URUMQI_PIECES), (world.suzhou.company_id, 100 - URUMQI_PIECES)]
    )

    first = call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", world.buyer)
    after_first = invitations_of(order_id)
    again = call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", world.buyer)

    assert first.status_code == 200, describe(first)
    assert [
        (item["supplier_company_id"], item["proposed_quantity"]) for item in first.get_json()
    ] == expected
    assert all(item["created_at"] for item in first.get_json())
    assert after_first == expected
    assert again.status_code == 200, describe(again)
    assert again.get_json() == first.get_json()
    assert invitations_of(order_id) == expected


def test_without_a_proposal_accepting_is_422_and_invites_nobody(client, world):
    order_id = post_order(client, world.buyer, required_certifications=["ISO 13485"])
    call(client, "GET", f"/orders/{order_id}/matches", world.buyer)

    response = call(client, "POST", f"/orders/{order_id}/matches/proposal/accept", world.buyer)

    assert_problem(response, 422, "/proposal")
    assert invitations_of(order_id) == []


# --------------------------------------------------------------------------------------------
# A supplier's recommended orders
# --------------------------------------------------------------------------------------------


def test_suppliers_see_the_orders_their_capacity_matches(client, world):
    order_id = post_order(client, world.buyer)
    post_order(client, world.buyer, required_certifications=["ISO 13485"])  # matches nobody
    ranking = call(client, "GET", f"/orders/{order_id}/matches", world.buyer).get_json()
    urumqi_candidate = ranking["candidates"][0]

    response = call(client, "GET", "/matching/recommended-orders", world.urumqi.caller)

    assert response.status_code == 200, describe(response)
    (recommendation,) = response.get_json()
    assert recommendation["order"] == {
        "id": order_id,
        "title": "Aluminium brackets",
        "process": "cnc_milling_3axis",
        "material": "al_6061",
        "quantity": 100,
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "delivery_city": "苏州市",
        "splittable": True,
        "currency": "CNY",
    }
    assert {key: value for key, value in recommendation.items() if key != "order"} == {
        "listing_id": world.urumqi.listing_id,
        "listing_title": "Urumqi Cheap Machining free hours",
        "score": urumqi_candidate["score"],
        "max_quantity": URUMQI_PIECES,
        "unit_price": "66.67",
        "proposed_quantity": URUMQI_PIECES,
        "explanations": urumqi_candidate["explanations"],
    }


def test_recommendations_are_limited_and_need_a_supplier(client, world):
    for _ in range(3):
        call(client, "GET", f"/orders/{post_order(client, world.buyer)}/matches", world.buyer)

    limited = call(
        client,
        "GET",
        "/matching/recommended-orders",
        world.suzhou.caller,
        query_string={"limit": 2},
    )
    too_many = call(
        client, "GET", "/matching/recommended-orders", world.suzhou.caller,
        query_string={"limit": 101},
    )  # fmt: skip
    as_buyer = call(client, "GET", "/matching/recommended-orders", world.buyer)

    assert [len(limited.get_json())] == [2]
    assert_problem(too_many, 422, "/limit", "query")
    assert assert_problem(as_buyer, 403)["code"] == "supplier-role-required"


# --------------------------------------------------------------------------------------------
# Batch plans
# --------------------------------------------------------------------------------------------

SETUP_HOURS = 3  # machining
# Free hours up to the batch's latest due date (30 days ahead, 31 days counted).
CAPACITY_HOURS = {"urumqi": 10 * 5, "suzhou": 8 * 31}


def plan_orders(client, world: World) -> dict[int, tuple[int, bool]]:
    """Two orders of 33 machine-hours each: Urumqi's 50 hours hold one, not both."""
    return {
        post_order(client, world.buyer, quantity=30, splittable=True, min_lot=10): (30, True),
        post_order(client, world.buyer, quantity=30, splittable=False, min_lot=1): (30, False),
    }


def assert_capacity_respected(world: World, shares: list[dict[str, Any]]) -> None:
    listings = {world.urumqi.listing_id: "urumqi", world.suzhou.listing_id: "suzhou"}
    used = dict.fromkeys(CAPACITY_HOURS, 0)
    for share in shares:
        used[listings[share["listing_id"]]] += SETUP_HOURS + share["quantity"]
    assert all(used[name] <= CAPACITY_HOURS[name] for name in used), used


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_operators_plan_open_orders_within_capacity(client, world, mode):
    orders = plan_orders(client, world)
    operator = caller_for(OperatorFactory())

    response = call(
        client, "POST", "/matching/plan", operator,
        json={"order_ids": sorted(orders), "mode": mode, "time_limit": 5},
    )  # fmt: skip

    assert response.status_code == 200, describe(response)
    plan = response.get_json()
    assert plan["mode"] == mode
    assert plan["unassigned"] == []
    assert_capacity_respected(world, plan["shares"])
    for order_id, (quantity, splittable) in orders.items():
        shares = [share for share in plan["shares"] if share["order_id"] == order_id]
        assert sum(share["quantity"] for share in shares) == quantity
        if mode == "whole" or not splittable:
            assert len(shares) == 1, shares
    companies = {
        world.urumqi.listing_id: (world.urumqi.company_id, world.urumqi.company_name),
        world.suzhou.listing_id: (world.suzhou.company_id, world.suzhou.company_name),
    }
    for share in plan["shares"]:
        assert (share["company_id"], share["company_name"]) == companies[share["listing_id"]]
    assert plan["currency"] == "CNY"
    assert sum(Decimal(share["cost"]) for share in plan["shares"]) == Decimal(plan["objective"])
    assert Decimal(plan["lower_bound"]) <= Decimal(plan["objective"])
    assert 0 <= plan["gap"] <= 1


def test_only_operators_plan(client, world):
    orders = plan_orders(client, world)
    body = {"order_ids": sorted(orders), "mode": "whole"}

    as_buyer = call(client, "POST", "/matching/plan", world.buyer, json=body)
    as_supplier = call(client, "POST", "/matching/plan", world.urumqi.caller, json=body)

    assert_problem(as_buyer, 403)
    assert_problem(as_supplier, 403)


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        pytest.param({"time_limit": 0}, "/time_limit", id="no time"),
        pytest.param({"time_limit": 31}, "/time_limit", id="too long"),
        pytest.param({"mode": "half"}, "/mode", id="unknown mode"),
        pytest.param({"order_ids": []}, "/order_ids", id="no orders"),
        pytest.param({"order_ids": [1, 1]}, "/order_ids", id="an order twice"),
        pytest.param({"order_ids": ["1"]}, "/order_ids/0", id="an id as text"),
    ],
)
def test_bad_plan_requests_are_422(client, world, change, pointer):
    operator = caller_for(OperatorFactory())

    response = call(client, "POST", "/matching/plan", operator, json={"mode": "split", **change})

    assert_problem(response, 422, pointer)


def test_planning_a_draft_is_422(client, world):
    draft_id = post_order(client, world.buyer, publish=False)
    operator = caller_for(OperatorFactory())

    response = call(client, "POST", "/matching/plan", operator, json={"order_ids": [draft_id]})

    assert_problem(response, 422, "/order_ids")


def test_minutes_per_piece_is_kept_on_the_order_and_checked(client, world):
    order_id = post_order(client, world.buyer, publish=False, minutes_per_piece="2.5")

    shown = call(client, "GET", f"/orders/{order_id}", world.buyer)
    cleared = call(
        client, "PATCH", f"/orders/{order_id}", world.buyer, json={"minutes_per_piece": None}
    )
    refused = [
        call(client, "PATCH", f"/orders/{order_id}", world.buyer, json={"minutes_per_piece": v})
        for v in ("0", "0.001", "100000.01", "abc")
    ]

    assert shown.get_json()["minutes_per_piece"] == "2.50"
    assert cleared.get_json()["minutes_per_piece"] is None
    for response in refused:
        assert_problem(response, 422, "/minutes_per_piece")
    assert db.session.get(Order, order_id).minutes_per_piece is None
