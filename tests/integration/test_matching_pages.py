"""Matching on the pages: a buyer's matched suppliers, weights and proposed split; a supplier's
recommended orders; an operator's plan of the week. Through the test client, both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.db import db
from core.security import limiter
from marketplace.models import MatchRun, Order, QuoteInvitation, User
from marketplace.services import orders as order_service
from tests.factories import PASSWORD, BuyerFactory, OperatorFactory
from tests.integration.marketplace_world import buyer_with_order, supplier_with_capacity, today
from tests.integration.test_translations import compiled_translations  # noqa: F401

pytestmark = pytest.mark.usefixtures("csrf_off", "compiled_translations")


class FreshLocaleClient(FlaskClient):
    """A test client whose every request chooses its language anew.

    The tests run inside an app context, which the requests share; Flask-Babel keeps the chosen
    locale on `g`, so without a refresh the first request's language would stick.
    """

    def open(self, *args, **kwargs):
        flask_babel.refresh()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return FreshLocaleClient(app, app.response_class, use_cookies=True)


def sign_in(client, user) -> None:
    limiter.reset()  # these tests sign in more often than the per-minute limit allows
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section id="{element_id}".*?</section>', html, re.S)
    assert match, f"no #{element_id} section"
    return match.group(0)


def user_of(principal) -> User:
    return db.session.get(User, principal.user_id)


def invitation_count(order_id: int) -> int:
    return db.session.scalar(
        select(func.count(QuoteInvitation.id)).where(QuoteInvitation.order_id == order_id)
    )


WEIGHTS = {"cost": "4", "quality": "3", "speed": "2", "proximity": "1"}


# --- The buyer's order page --------------------------------------------------------------------


def test_the_buyer_sees_ranked_suppliers_with_their_explanations_in_english(client):
    # Given two suppliers that can make the buyer's published order
    supplier_with_capacity()
    supplier_with_capacity(title="Second mill", price_amount=Decimal("90"))
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))

    # When the buyer opens the order in English
    response = client.get(f"/orders/{order.id}?lang=en")

    # Then the matched suppliers are listed, best first, each explained criterion by criterion
    assert response.status_code == 200
    matches = section(response.get_data(as_text=True), "matches")
    words = text_of(matches)
    assert "Matched suppliers" in words
    assert "2 capacity listings offer this process; 2 can serve this order." in words
    assert matches.count('data-testid="match-candidate"') == 2
    assert "Price" in words and "Lead time" in words and "Idle capacity" in words
    assert "per piece" in words and "below the target price" in words
    assert re.search(r"\+\d+\.\d pts", words)
    # And a proposed split with the button that invites its suppliers
    assert 'data-testid="proposal"' in matches
    assert "Invite these suppliers to quote" in words


def test_the_same_page_in_chinese_explains_in_chinese(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))

    html = client.get(f"/orders/{order.id}?lang=zh_CN").get_data(as_text=True)

    words = text_of(section(html, "matches"))
    assert "匹配的供应商" in words
    assert "价格" in words and "闲置产能" in words and "履约记录" in words
    assert "比目标价低" in words
    assert "尚无已完成的工作包" in words
    assert "邀请这些供应商报价" in words
    assert "below the target price" not in words and "per piece" not in words


def test_an_order_nobody_can_serve_shows_the_counted_reasons(client):
    # Given a supplier without the certification the order requires
    supplier_with_capacity()
    buyer, order = buyer_with_order(required_certifications=["ISO 13485"])
    sign_in(client, user_of(buyer))

    english = client.get(f"/orders/{order.id}?lang=en")
    chinese = client.get(f"/orders/{order.id}?lang=zh_CN")

    assert english.status_code == chinese.status_code == 200
    words = text_of(section(english.get_data(as_text=True), "matches"))
    assert "1 capacity listing offers this process; 0 can serve this order." in words
    assert "Nobody can serve this order as it stands:" in words
    assert "1 lacks ISO 13485" in words
    assert 'data-testid="proposal"' not in english.get_data(as_text=True)
    assert "1 项缺少 ISO 13485 认证" in text_of(section(chinese.get_data(as_text=True), "matches"))


def test_an_order_that_takes_no_more_quotes_shows_no_matches(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    order_service.cancel_order(buyer, order.id, note="")
    sign_in(client, user_of(buyer))

    html = client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert 'id="matches"' not in html


def test_saved_weights_rerank_and_persist(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))
    client.get(f"/orders/{order.id}")

    response = client.post(
        f"/orders/{order.id}/matching/weights",
        data={"cost": "0", "quality": "1", "speed": "2.5", "proximity": "10"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}#matches")
    db.session.expire_all()
    saved = {"cost": 0.0, "quality": 1.0, "speed": 2.5, "proximity": 10.0}
    assert db.session.get(Order, order.id).match_weights == saved
    assert db.session.get(MatchRun, order.id).weights == saved
    html = client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "Your weights are saved; the suppliers are ranked again." in html
    assert re.search(r'name="speed"[^>]*value="2.5"', html)
    assert re.search(r'name="proximity"[^>]*value="10"', html)


def test_weights_through_htmx_come_back_as_the_section(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))

    response = client.post(
        f"/orders/{order.id}/matching/weights",
        data={**WEIGHTS, "cost": "9"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="matches"')
    assert 'data-testid="weights-saved"' in html
    assert "<html" not in html


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"cost": "11"}, "cost"),
        ({"speed": "-1"}, "speed"),
        ({"quality": "NaN"}, "quality"),
        ({"proximity": "sNaN"}, "proximity"),
        ({"cost": "1e400"}, "cost"),
        ({"cost": "0", "quality": "0", "speed": "0", "proximity": "0"}, "cost"),
        ({"quality": "a lot"}, "quality"),
        ({"speed": ""}, "speed"),
    ],
)
def test_bad_weights_show_a_message_and_change_nothing(client, changes, field):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))
    client.get(f"/orders/{order.id}")  # the ranking is stored on first view
    computed_at = db.session.get(MatchRun, order.id).computed_at

    response = client.post(
        f"/orders/{order.id}/matching/weights?lang=en", data={**WEIGHTS, **changes}
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'class="field-error"[^>]*data-field="{field}"', html)
    db.session.expire_all()
    assert db.session.get(Order, order.id).match_weights is None
    assert db.session.get(MatchRun, order.id).computed_at == computed_at


def test_out_of_range_weights_say_why_in_both_languages(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))
    url = f"/orders/{order.id}/matching/weights"

    english = client.post(f"{url}?lang=en", data={**WEIGHTS, "cost": "12"})
    chinese = client.post(f"{url}?lang=zh_CN", data={**WEIGHTS, "cost": "12"})
    htmx = client.post(
        f"{url}?lang=en", data={**WEIGHTS, "cost": "12"}, headers={"HX-Request": "1"}
    )

    message = "Each weight must be between 0 and 10, and at least one above 0."
    assert message in english.get_data(as_text=True)
    assert "每项权重须在 0 到 10 之间，且至少有一项大于 0。" in chinese.get_data(as_text=True)
    assert htmx.status_code == 200 and message in htmx.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Order, order.id).match_weights is None


def test_accepting_the_split_invites_its_suppliers_once(client):
    # Given a large splittable order that needs two suppliers
    for _ in range(2):
        supplier_with_capacity(hours_per_day=4, weeks=4, lead_time_days=1)
    buyer, order = buyer_with_order(quantity=600, min_lot=50, days=28, minutes_per_piece=12)
    sign_in(client, user_of(buyer))
    client.get(f"/orders/{order.id}")
    proposal = db.session.get(MatchRun, order.id).proposal
    shares = {share["company_id"]: share["quantity"] for share in proposal["shares"]}
    assert len(shares) == 2

    # When the buyer presses the button
    response = client.post(f"/orders/{order.id}/matching/accept?lang=en")

    # Then each proposed supplier is invited for its share, and the page says so
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}#suppliers")
    db.session.expire_all()
    invitations = db.session.scalars(
        select(QuoteInvitation).where(QuoteInvitation.order_id == order.id)
    ).all()
    assert {i.supplier_company_id: i.proposed_quantity for i in invitations} == shares
    html = client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "2 suppliers are invited to quote for their proposed shares." in html
    listed = re.findall(r'data-testid="invited-quantity">· proposed share: ([\d,]+) pcs', html)
    assert sorted(int(q.replace(",", "")) for q in listed) == sorted(shares.values())
    assert 'data-testid="proposal-accepted"' in html

    # When they press it again, nothing new is created
    again = client.post(f"/orders/{order.id}/matching/accept?lang=en")
    assert again.status_code == 302
    assert invitation_count(order.id) == 2
    html = client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "These suppliers are already invited for these shares." in html


def test_accepting_without_a_proposal_says_so(client):
    supplier_with_capacity()
    buyer, order = buyer_with_order(required_certifications=["ISO 13485"])
    sign_in(client, user_of(buyer))

    response = client.post(f"/orders/{order.id}/matching/accept?lang=en")

    assert response.status_code == 302
    html = client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "There is no proposed split for this order (yet)." in html
    assert invitation_count(order.id) == 0


def test_another_buyer_can_neither_weigh_nor_accept(client):
    supplier_with_capacity()
    _, order = buyer_with_order()
    stranger = BuyerFactory()
    sign_in(client, stranger)

    weights = client.post(f"/orders/{order.id}/matching/weights", data=WEIGHTS)
    bad_weights = client.post(
        f"/orders/{order.id}/matching/weights",
        data={**WEIGHTS, "cost": "99"},
        headers={"HX-Request": "true"},
    )
    accept = client.post(f"/orders/{order.id}/matching/accept")

    assert weights.status_code == 403
    assert bad_weights.status_code == 403
    assert accept.status_code == 403
    db.session.expire_all()
    assert db.session.get(Order, order.id).match_weights is None
    assert invitation_count(order.id) == 0


def test_suppliers_and_operators_cannot_use_the_buyer_actions(client):
    supplier, _ = supplier_with_capacity()
    _, order = buyer_with_order()
    sign_in(client, user_of(supplier))
    assert client.post(f"/orders/{order.id}/matching/weights", data=WEIGHTS).status_code == 403
    assert client.post(f"/orders/{order.id}/matching/accept").status_code == 403
    client.post("/logout")
    sign_in(client, OperatorFactory())
    assert client.post(f"/orders/{order.id}/matching/accept").status_code == 404
    db.session.expire_all()
    assert invitation_count(order.id) == 0
    assert db.session.get(Order, order.id).match_weights is None


def test_a_get_on_an_action_url_lands_on_the_order(client):
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))
    response = client.get(f"/orders/{order.id}/matching/weights")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order.id}")


# --- Posting an order with machine-minutes per piece -----------------------------------------


def order_form(**changes) -> dict:
    form = {
        "title": "Housings",
        "description": "",
        "process_code": "cnc_milling_3axis",
        "material": "al_6061",
        "quantity": "200",
        "tolerance_mm": "0.05",
        "part_x_mm": "120",
        "part_y_mm": "80",
        "part_z_mm": "30",
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "target_unit_price": "35",
        "currency": "CNY",
        "delivery_province": "江苏省",
        "delivery_city": "苏州市",
        "min_lot": "1",
        "minutes_per_piece": "7.5",
        "action": "draft",
    }
    form.update(changes)
    return form


def test_the_new_order_form_offers_and_keeps_minutes_per_piece(client):
    buyer = BuyerFactory()
    sign_in(client, buyer)

    page = client.get("/orders/new?lang=en").get_data(as_text=True)
    assert 'name="minutes_per_piece"' in page
    assert "It sharpens the matching" in page

    response = client.post("/orders/new", data=order_form())
    assert response.status_code == 302
    order = db.session.scalars(
        select(Order).where(Order.buyer_company_id == buyer.company_id)
    ).one()
    assert order.minutes_per_piece == Decimal("7.5")
    detail = client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    assert "Machine-minutes per piece" in detail


@pytest.mark.parametrize("value", ["0", "100001", "-3"])
def test_minutes_per_piece_out_of_range_is_refused(client, value):
    buyer = BuyerFactory()
    sign_in(client, buyer)
    response = client.post("/orders/new", data=order_form(minutes_per_piece=value))
    assert response.status_code == 422
    assert 'data-field="minutes_per_piece"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0


# --- The supplier's side ----------------------------------------------------------------------


def test_a_supplier_sees_recommended_orders_in_both_languages(client):
    # Given a published order whose proposal gives the supplier the whole quantity
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order(title="Aluminium brackets")
    sign_in(client, user_of(buyer))
    client.get(f"/orders/{order.id}")  # stores the ranking
    client.post("/logout")
    sign_in(client, user_of(supplier))

    english = client.get("/recommended-orders?lang=en")
    chinese = client.get("/recommended-orders?lang=zh_CN")

    assert english.status_code == chinese.status_code == 200
    html = english.get_data(as_text=True)
    words = text_of(html)
    assert html.count('data-testid="recommendation"') == 1
    assert "Aluminium brackets" in words
    assert "Proposed share: 100 pcs" in words
    assert listing.title in words
    assert "below the target price" in words
    assert f'href="/open-orders/{order.id}"' in html
    assert 'aria-current="page">Recommended orders' in html
    zh_words = text_of(chinese.get_data(as_text=True))
    assert "推荐订单" in zh_words and "建议份额：100 件" in zh_words
    assert "比目标价低" in zh_words


def test_a_supplier_without_matches_is_told_how_recommendations_come(client):
    supplier, _ = supplier_with_capacity()
    sign_in(client, user_of(supplier))
    html = client.get("/recommended-orders?lang=en").get_data(as_text=True)
    assert 'data-testid="no-recommendations"' in html


def test_an_invited_supplier_sees_its_proposed_share_and_a_quote_for_it(client):
    _, first = supplier_with_capacity(hours_per_day=4, weeks=4, lead_time_days=1)
    supplier_with_capacity(hours_per_day=4, weeks=4, lead_time_days=1)
    buyer, order = buyer_with_order(quantity=600, min_lot=50, days=28, minutes_per_piece=12)
    sign_in(client, user_of(buyer))
    client.get(f"/orders/{order.id}")
    client.post(f"/orders/{order.id}/matching/accept")
    invitation = db.session.scalars(
        select(QuoteInvitation).where(
            QuoteInvitation.order_id == order.id,
            QuoteInvitation.supplier_company_id == first.company_id,
        )
    ).one()
    client.post("/logout")
    sign_in(
        client, db.session.scalars(select(User).where(User.company_id == first.company_id)).one()
    )

    html = client.get(f"/open-orders/{order.id}?lang=en").get_data(as_text=True)

    share = f"{invitation.proposed_quantity:,}"
    assert f"The buyer proposes that you make {share} of the 600 pieces." in text_of(html)
    assert re.search(rf'name="quantity"[^>]*value="{invitation.proposed_quantity}"', html)


def test_buyers_cannot_open_recommended_orders(client):
    sign_in(client, BuyerFactory())
    assert client.get("/recommended-orders").status_code == 403


# --- The operator's plan of the week ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_an_operator_plans_the_week_and_sees_the_gap(client, mode):
    supplier_with_capacity(hours_per_day=4, weeks=4, lead_time_days=1)
    buyer_with_order(quantity=300, min_lot=50, minutes_per_piece=12)
    buyer_with_order(quantity=5_000, min_lot=50, minutes_per_piece=12)  # too big for anyone
    sign_in(client, OperatorFactory())

    form = client.get("/operator/plan?lang=en")
    assert form.status_code == 200
    assert 'aria-current="page">Plan the week' in form.get_data(as_text=True)

    response = client.post("/operator/plan?lang=en", data={"mode": mode, "time_limit": "3"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    gap = re.search(r'data-testid="plan-gap">([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d+(\.\d)?%", gap), gap
    assert html.count('data-testid="plan-share"') >= 1
    assert 'data-testid="plan-unassigned"' in html
    assert re.search(r'data-testid="plan-seconds">[\d.]+ s<', html)
    assert re.search(r'data-testid="plan-objective">CN¥[\d,]+<', html)
    assert "All costs in CNY" in html
    chinese = client.post("/operator/plan?lang=zh_CN", data={"mode": mode, "time_limit": "3"})
    assert "最优性差距" in chinese.get_data(as_text=True)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"mode": "whole", "time_limit": "0"}, "time_limit"),
        ({"mode": "whole", "time_limit": "31"}, "time_limit"),
        ({"mode": "whole", "time_limit": "soon"}, "time_limit"),
        ({"mode": "whole"}, "time_limit"),
        ({"mode": "greedy", "time_limit": "5"}, "mode"),
        ({"time_limit": "5"}, "mode"),
    ],
)
def test_bad_plan_input_gets_a_message_not_a_500(client, data, field):
    sign_in(client, OperatorFactory())
    response = client.post("/operator/plan", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'data-field="{field}"' in html
    assert 'data-testid="plan-result"' not in html


def test_the_plan_refuses_everyone_but_operators(client):
    supplier, _ = supplier_with_capacity()
    sign_in(client, user_of(supplier))
    assert client.get("/operator/plan").status_code == 403
    assert (
        client.post("/operator/plan", data={"mode": "whole", "time_limit": "1"}).status_code == 403
    )
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="nav-plan"' not in html
    assert 'data-testid="nav-recommended"' in html


def test_the_weights_and_accept_forms_carry_their_csrf_token(client, app):
    supplier_with_capacity()
    buyer, order = buyer_with_order()
    sign_in(client, user_of(buyer))
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    weights_form = re.search(r'<form[^>]*data-testid="weights-form".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', weights_form).group(1)
    accept_form = re.search(r"<form[^>]*matching/accept.*?</form>", html, re.S).group(0)
    assert 'name="csrf_token"' in accept_form

    refused = client.post(f"/orders/{order.id}/matching/weights", data=WEIGHTS)
    accepted = client.post(
        f"/orders/{order.id}/matching/weights", data={**WEIGHTS, "csrf_token": token}
    )

    assert refused.status_code == 400
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).match_weights == {
        name: float(value) for name, value in WEIGHTS.items()
    }
