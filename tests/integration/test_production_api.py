"""The production marketplace over HTTP with API tokens, as an ERP/MES integrator drives it.

The journey: suppliers register machines and list capacity; a buyer drafts an order, uploads a
drawing, publishes and invites; suppliers quote and revise; the buyer compares, splits the award,
and the packages run to acceptance, review and scorecard. Then the refusals: the last free hours
go to one award only, wrong drawings and oversize bodies, closed orders, illegal moves and other
companies' packages.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from core.auth import Scope
from core.db import db, utcnow
from core.outbox import OutboxMessage
from core.problem import PROBLEM_MIMETYPE
from marketplace.domain import CompanyRole
from marketplace.models import (
    CapacityBooking,
    CompanyRoleAssignment,
    OrderAttachment,
    Quote,
    Review,
    User,
    WorkPackage,
)
from marketplace.production import MAX_ATTACHMENT_BYTES
from marketplace.tasks import package_changed
from tests.factories import BuyerFactory, CompanyFactory, UserFactory
from tests.integration.conftest import bearer, issue_token
from tests.support import postgres_server_url

API = "/api/v1"

# --------------------------------------------------------------------------------------------
# Callers and helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """A company's user as the API sees it: a bearer header and the ids the tests compare."""

    headers: dict[str, str]
    company_id: int
    user_id: int


def caller_for(user: Any, scope: Scope = Scope.WRITE) -> Caller:
    result = Caller(bearer(issue_token(user, scope)), user.company_id, user.id)
    db.session.remove()
    return result


def both_roles_company(**kwargs: Any):
    roles = [CompanyRoleAssignment(role=CompanyRole.BUYER)]
    roles.append(CompanyRoleAssignment(role=CompanyRole.SUPPLIER))
    return CompanyFactory(role_rows=roles, **kwargs)


def today() -> date:
    return utcnow().date()


def call(client, method: str, path: str, caller: Caller | None = None, **kwargs: Any):
    headers = dict(caller.headers) if caller else {}
    response = client.open(API + path, method=method, headers=headers, **kwargs)
    db.session.remove()  # what the end of a real request does
    return response


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_json()


def problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    assert response.mimetype == PROBLEM_MIMETYPE, response.content_type
    document = response.get_json()
    assert document["status"] == status
    if code is not None:
        assert document.get("code") == code, document
    return document


def pointers(document: dict[str, Any]) -> set[str]:
    return {entry["pointer"] for entry in document.get("errors", [])}


def count(model: Any) -> int:
    value = db.session.scalar(select(func.count()).select_from(model))
    db.session.remove()
    return value


def minimal_pdf(text: str = "Bracket 120x80x30, 6061-T6") -> bytes:
    """A small but well-formed one-page PDF (header, objects, cross-reference table, trailer)."""
    stream = f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def upload(client, caller: Caller, order_id: int, content: bytes, filename: str):
    return call(
        client,
        "POST",
        f"/orders/{order_id}/attachments",
        caller,
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


MACHINE = {
    "kind": "cnc_mill_3axis",
    "name": "DMG Mori CMX 1100 V",
    "brand": "DMG Mori",
    "model": "CMX 1100 V",
    "year": 2019,
    "processes": ["cnc_milling_3axis"],
    "materials": ["al_6061", "ss_304"],
    "envelope_x_mm": 1100,
    "envelope_y_mm": 560,
    "envelope_z_mm": 510,
    "tolerance_mm": "0.005",
    "rate_amount": "180",
    "rate_currency": "CNY",
    "rate_unit": "machine_hour",
}


def register_capacity(client, supplier: Caller, *, hours: str = "8", weeks: int = 8) -> dict:
    """A machine and a listing of `hours` a weekday on it, from today for `weeks` weeks."""
    machine = ok(call(client, "POST", "/machines", supplier, json=MACHINE), 201)
    listing = {
        "machine_id": machine["id"],
        "title": "CMX 1100 V second shift",
        "weekday_hours": [hours] * 5 + ["0", "0"],
        "start_date": today().isoformat(),
        "end_date": (today() + timedelta(weeks=weeks)).isoformat(),
        "price_amount": "175.50",
        "price_currency": "CNY",
        "price_unit": "machine_hour",
        "lead_time_days": 7,
    }
    return ok(call(client, "POST", "/listings", supplier, json=listing), 201)


def order_body(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Aluminium housing, anodised",
        "description": "6061-T6, black anodised, drawing attached",
        "process": "cnc_milling_3axis",
        "material": "al_6061",
        "quantity": 100,
        "tolerance_mm": "0.02",
        "part_x_mm": 120,
        "part_y_mm": 80,
        "part_z_mm": 30,
        "required_certifications": ["ISO 9001"],
        "due_date": (today() + timedelta(days=30)).isoformat(),
        "target_unit_price": "42.00",
        "currency": "CNY",
        "delivery_province": "江苏省",
        "delivery_city": "苏州市",
        "splittable": True,
        "min_lot": 20,
        **changes,
    }


def quote_terms(listing: dict, **changes: Any) -> dict[str, Any]:
    return {
        "listing_id": listing["id"],
        "unit_price": "38.50",
        "quantity": 100,
        "machine_hours": "25",
        "lead_time_days": 10,
        "valid_until": (today() + timedelta(days=14)).isoformat(),
        "note": "Anodising by our partner in Kunshan",
        **changes,
    }


def run_worker() -> None:
    """Do what the Celery worker does with the marketplace's outbox messages."""
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.task_name == "marketplace.package_changed")
    ).all()
    payloads = [dict(message.payload) for message in messages]
    db.session.remove()
    for payload in payloads:
        package_changed(**payload)
    db.session.remove()


@pytest.fixture
def buyer() -> Caller:
    return caller_for(BuyerFactory())


@pytest.fixture
def supplier() -> Caller:
    return caller_for(UserFactory())


@pytest.fixture
def second_supplier() -> Caller:
    return caller_for(UserFactory())


@pytest.fixture
def stranger() -> Caller:
    """A company that both buys and supplies but has no part in the tests' deals."""
    return caller_for(UserFactory(company=both_roles_company()))


# --------------------------------------------------------------------------------------------
# The journey
# --------------------------------------------------------------------------------------------


def test_the_whole_journey_over_http(client, buyer, supplier, second_supplier):
    # Given: the vocabulary, in both languages
    taxonomy = ok(call(client, "GET", "/taxonomy", supplier))
    milling = next(f for f in taxonomy["families"] if f["code"] == "machining")
    assert any(p["code"] == "cnc_milling_3axis" for p in milling["processes"])
    kind = next(k for k in taxonomy["machine_kinds"] if k["code"] == "cnc_mill_3axis")
    assert kind["name_zh"] and kind["name_en"] and "cnc_milling_3axis" in kind["processes"]
    assert any(m["code"] == "al_6061" and m["name_zh"] for m in taxonomy["materials"])

    # Suppliers register a machine each and list its free hours
    listing_one = register_capacity(client, supplier)
    listing_two = register_capacity(client, second_supplier)
    assert listing_one["weekday_hours"] == ["8.00"] * 5 + ["0.00", "0.00"]
    assert listing_one["booked_hours"] == "0.00"
    assert Decimal(listing_one["free_hours"]) >= Decimal(8 * 5 * 7)
    assert listing_one["price_amount"] == "175.5000"
    machines = ok(call(client, "GET", "/machines", supplier))
    assert [m["name"] for m in machines["items"]] == ["DMG Mori CMX 1100 V"]
    assert machines["items"][0]["tolerance_mm"] == "0.0050"

    # The buyer drafts an order, attaches the drawing and publishes
    order = ok(call(client, "POST", "/orders", buyer, json=order_body()), 201)
    assert (order["status"], order["target_unit_price"]) == ("draft", "42.0000")
    pdf = minimal_pdf()
    drawing = ok(upload(client, buyer, order["id"], pdf, "housing-rev-B.pdf"), 201)
    assert drawing["content_type"] == "application/pdf"
    assert (drawing["size_bytes"], drawing["sha256"]) == (len(pdf), hashlib.sha256(pdf).hexdigest())
    order = ok(call(client, "POST", f"/orders/{order['id']}/publish", buyer))
    assert order["status"] == "published" and order["published_at"]
    order_id = order["id"]

    # Suppliers find it; drawings are for invited suppliers only
    open_orders = ok(call(client, "GET", "/orders/open?family=machining", supplier))
    assert [o["id"] for o in open_orders["items"]] == [order_id]
    call_drawing = f"/orders/{order_id}/attachments/{drawing['id']}"
    problem(call(client, "GET", call_drawing, supplier), 404)
    invited = ok(
        call(
            client, "POST", f"/orders/{order_id}/invitations", buyer,
            json={"supplier_ids": [supplier.company_id, second_supplier.company_id]},
        )
    )  # fmt: skip
    assert {i["supplier_company_id"] for i in invited} == {
        supplier.company_id,
        second_supplier.company_id,
    }
    download = call(client, "GET", call_drawing, supplier)
    assert download.status_code == 200
    assert download.data == pdf
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "housing-rev-B.pdf" in download.headers["Content-Disposition"]
    listed = ok(call(client, "GET", f"/orders/{order_id}/attachments", second_supplier))
    assert [a["filename"] for a in listed] == ["housing-rev-B.pdf"]

    # They quote; a repeat changes nothing, a revision keeps the old terms
    quote_path = f"/orders/{order_id}/quote"
    first = ok(
        call(client, "PUT", quote_path, supplier, json=quote_terms(listing_one, quantity=60)), 201
    )
    terms_two = quote_terms(listing_two, unit_price="41.00", quantity=50, machine_hours="20")
    second = ok(call(client, "PUT", quote_path, second_supplier, json=terms_two), 201)
    again = ok(call(client, "PUT", quote_path, second_supplier, json=terms_two))
    assert (again["id"], again["revision"]) == (second["id"], 1)
    revised = ok(
        call(client, "PUT", quote_path, second_supplier, json={**terms_two, "unit_price": "36.80"})
    )
    assert (revised["id"], revised["revision"], revised["unit_price"]) == (
        second["id"],
        2,
        "36.8000",
    )
    detail = ok(call(client, "GET", f"/quotes/{second['id']}", second_supplier))
    assert [r["unit_price"] for r in detail["revisions"]] == ["41.0000"]
    mine = ok(call(client, "GET", "/quotes", supplier))
    assert [q["id"] for q in mine["items"]] == [first["id"]]

    # The buyer compares (cheapest first) and splits the award
    compared = ok(call(client, "GET", f"/orders/{order_id}/quotes", buyer))
    assert [q["id"] for q in compared] == [second["id"], first["id"]]
    assert ok(call(client, "GET", f"/orders/{order_id}", buyer))["status"] == "quoted"
    award = {
        "allocations": [
            {"quote_id": second["id"], "quantity": 50},
            {"quote_id": first["id"], "quantity": 50},
        ]
    }
    created = ok(call(client, "POST", f"/orders/{order_id}/award", buyer, json=award), 201)
    assert sorted((p["supplier_company_id"], p["quantity"]) for p in created) == sorted(
        [(supplier.company_id, 50), (second_supplier.company_id, 50)]
    )
    assert {p["status"] for p in created} == {"accepted"}
    # A retried award books nothing twice
    problem(
        call(client, "POST", f"/orders/{order_id}/award", buyer, json=award), 409, "order-not-open"
    )
    assert count(WorkPackage) == 2
    listing_one = ok(call(client, "GET", f"/listings/{listing_one['id']}", supplier))
    # 25 machine-hours were quoted for 60 pieces; 50 were awarded
    assert listing_one["booked_hours"] == "20.83"
    assert ok(call(client, "GET", f"/quotes/{first['id']}", buyer))["status"] == "accepted"

    # Production: each supplier works its package; the buyer takes delivery and accepts
    for package in created:
        maker = (
            supplier if package["supplier_company_id"] == supplier.company_id else second_supplier
        )
        path = f"/packages/{package['id']}"
        seen = ok(call(client, "GET", path, maker))
        assert seen["allowed_transitions"] == ["in_production", "cancelled"]
        ok(call(client, "POST", f"{path}/transitions", maker, json={"status": "in_production"}))
        forecast = (today() + timedelta(days=12)).isoformat()
        milestone = {"progress_pct": 60, "forecast_date": forecast, "note": "Roughing done"}
        ok(call(client, "POST", f"{path}/milestones", maker, json=milestone), 201)
        ok(call(client, "POST", f"{path}/transitions", maker, json={"status": "quality_check"}))
        shipped = ok(
            call(
                client, "POST", f"{path}/transitions", maker,
                json={"status": "shipped", "quality_passed": True, "note": "SF Express 123"},
            )
        )  # fmt: skip
        assert (shipped["status"], shipped["quality_passed"]) == ("shipped", True)
        for status in ("delivered", "accepted_by_buyer"):
            ok(call(client, "POST", f"{path}/transitions", buyer, json={"status": status}))
    final = ok(call(client, "GET", f"/packages/{created[0]['id']}", buyer))
    assert final["status"] == "accepted_by_buyer" and final["progress_pct"] == 100
    assert [m["progress_pct"] for m in final["milestones"]] == [60]
    assert [h["to_status"] for h in final["history"]] == [
        "accepted",
        "in_production",
        "quality_check",
        "shipped",
        "delivered",
        "accepted_by_buyer",
    ]
    assert final["allowed_transitions"] == []
    assert ok(call(client, "GET", f"/orders/{order_id}", buyer))["status"] == "completed"
    history = ok(call(client, "GET", f"/orders/{order_id}/history", buyer))
    assert [h["to_status"] for h in history] == [
        "draft",
        "published",
        "quoted",
        "awarded",
        "in_production",
        "delivered",
        "completed",
    ]
    assert count(CapacityBooking) == 2
    listing_one = ok(call(client, "GET", f"/listings/{listing_one['id']}", supplier))
    assert listing_one["booked_hours"] == "0.00"  # closed packages give their hours back

    # The buyer reviews a package (once); the worker rebuilds the supplier's scorecard
    package_one = next(p for p in created if p["supplier_company_id"] == supplier.company_id)
    rating = {"quality": 4, "delivery": 4, "communication": 4, "comment": "准时，质量好"}
    review_path = f"/packages/{package_one['id']}/review"
    review = ok(call(client, "POST", review_path, buyer, json=rating), 201)
    assert (review["quality"], review["comment"]) == (4, "准时，质量好")
    problem(call(client, "POST", review_path, buyer, json=rating), 422, "review-not-allowed")
    run_worker()
    scorecard = ok(call(client, "GET", f"/suppliers/{supplier.company_id}/scorecard", buyer))
    assert scorecard == {
        "company_id": supplier.company_id,
        "enough_history": False,
        "completed_packages": 1,
        "on_time_rate": "1.0000",
        "quality_acceptance_rate": "1.0000",
        "dispute_rate": "0.0000",
        "average_rating": "4.00",
        "ratings_count": 1,
        "updated_at": scorecard["updated_at"],
    }
    problem(call(client, "GET", f"/suppliers/{buyer.company_id}/scorecard", supplier), 404)


def test_a_new_supplier_has_an_empty_scorecard_without_enough_history(client, buyer, supplier):
    scorecard = ok(call(client, "GET", f"/suppliers/{supplier.company_id}/scorecard", buyer))
    assert scorecard == {
        "company_id": supplier.company_id,
        "enough_history": False,
        "completed_packages": 0,
        "on_time_rate": None,
        "quality_acceptance_rate": None,
        "dispute_rate": None,
        "average_rating": None,
        "ratings_count": 0,
        "updated_at": None,
    }
    problem(call(client, "GET", "/suppliers/2147483647/scorecard", buyer), 404)


# --------------------------------------------------------------------------------------------
# Capacity: the last free hours go to one award only
# --------------------------------------------------------------------------------------------


def test_two_awards_for_the_last_free_hours_only_one_wins(client, supplier):
    # Given: a listing whose every free hour two orders each want, due on its last day
    listing = register_capacity(client, supplier, hours="1", weeks=2)
    free = listing["free_hours"]
    due = listing["end_date"]
    buyers = [caller_for(BuyerFactory()), caller_for(BuyerFactory())]
    quotes = []
    for each in buyers:
        body = order_body(quantity=10, splittable=False, min_lot=1, due_date=due, publish=True)
        order = ok(call(client, "POST", "/orders", each, json=body), 201)
        assert order["status"] == "published"
        terms = quote_terms(listing, quantity=10, machine_hours=free)
        quotes.append(
            ok(call(client, "PUT", f"/orders/{order['id']}/quote", supplier, json=terms), 201)
        )

    # When: both buyers award
    results = [
        call(
            client, "POST", f"/orders/{quote['order_id']}/award", each,
            json={"allocations": [{"quote_id": quote["id"], "quantity": 10}]},
        )
        for each, quote in zip(buyers, quotes, strict=True)
    ]  # fmt: skip

    # Then: exactly one wins; the other is told the capacity is gone and nothing is booked for it
    assert sorted(r.status_code for r in results) == [201, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert "/allocations" in pointers(problem(loser, 409, "capacity-exhausted"))
    assert count(WorkPackage) == 1 and count(CapacityBooking) == 1
    listing = ok(call(client, "GET", f"/listings/{listing['id']}", supplier))
    assert (listing["status"], listing["free_hours"], listing["booked_hours"]) == (
        "fully_booked",
        "0.00",
        free,
    )
    losing_order = quotes[[r.status_code for r in results].index(409)]["order_id"]
    loser_buyer = buyers[[r.status_code for r in results].index(409)]
    assert ok(call(client, "GET", f"/orders/{losing_order}", loser_buyer))["status"] == "quoted"


# --------------------------------------------------------------------------------------------
# Drawings
# --------------------------------------------------------------------------------------------


@pytest.fixture
def draft(client, buyer) -> dict[str, Any]:
    return ok(call(client, "POST", "/orders", buyer, json=order_body()), 201)


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "drawing.pdf", id="executable"),
        pytest.param(minimal_pdf(), "drawing.png", id="name does not match the content"),
        pytest.param(b"just some text", "notes.txt", id="text"),
    ],
)
def test_a_file_that_is_no_drawing_is_422(client, buyer, draft, content, filename):
    document = problem(upload(client, buyer, draft["id"], content, filename), 422)
    assert document["code"] == "attachment-refused"
    assert pointers(document) == {"/file"}
    assert count(OrderAttachment) == 0


def test_an_upload_without_a_file_part_is_422(client, buyer, draft):
    response = call(
        client, "POST", f"/orders/{draft['id']}/attachments", buyer,
        data={"drawing": "not a file"}, content_type="multipart/form-data",
    )  # fmt: skip
    assert pointers(problem(response, 422)) == {"/file"}
    response = call(client, "POST", f"/orders/{draft['id']}/attachments", buyer, json={})
    assert pointers(problem(response, 422)) == {"/file"}
    assert count(OrderAttachment) == 0


def test_a_drawing_larger_than_the_global_body_limit_is_accepted(client, app, buyer, draft):
    content = minimal_pdf() + b"%" + b"0" * (2 * app.config["MAX_CONTENT_LENGTH"])
    created = ok(upload(client, buyer, draft["id"], content, "large-scan.pdf"), 201)
    assert created["size_bytes"] == len(content)


@pytest.mark.parametrize(
    "extra", [1, 200 * 1024], ids=["one byte over 20 MB", "beyond the body limit"]
)
def test_an_oversize_drawing_is_413_and_leaves_nothing(client, buyer, draft, extra):
    content = minimal_pdf() + b"0" * (MAX_ATTACHMENT_BYTES - len(minimal_pdf()) + extra)

    response = upload(client, buyer, draft["id"], content, "huge.pdf")

    problem(response, 413)
    assert count(OrderAttachment) == 0


def test_a_read_only_token_cannot_push_a_large_body(client, app, buyer, draft):
    reader = caller_for(db.session.get(User, buyer.user_id), Scope.READ)
    large = minimal_pdf() + b"0" * (2 * app.config["MAX_CONTENT_LENGTH"])

    problem(upload(client, reader, draft["id"], large, "large.pdf"), 413)
    problem(upload(client, reader, draft["id"], minimal_pdf(), "small.pdf"), 403)
    assert count(OrderAttachment) == 0


def test_drawings_are_for_the_buyer_and_invited_suppliers_only(client, buyer, supplier, stranger):
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    drawing = ok(upload(client, buyer, order["id"], minimal_pdf(), "part.pdf"), 201)
    path = f"/orders/{order['id']}/attachments"

    # The published order is visible to every supplier; its drawings are not
    assert ok(call(client, "GET", f"/orders/{order['id']}", stranger))["id"] == order["id"]
    problem(call(client, "GET", path, stranger), 404)
    problem(call(client, "GET", f"{path}/{drawing['id']}", stranger), 404)
    # Only the buyer may add or remove drawings
    problem(upload(client, stranger, order["id"], minimal_pdf(), "mine.pdf"), 403, "not-your-order")
    problem(call(client, "DELETE", f"{path}/{drawing['id']}", stranger), 403, "not-your-order")
    assert count(OrderAttachment) == 1

    call(
        client, "POST", f"/orders/{order['id']}/invitations", buyer,
        json={"supplier_ids": [supplier.company_id]},
    )  # fmt: skip
    assert [a["id"] for a in ok(call(client, "GET", path, supplier))] == [drawing["id"]]
    problem(call(client, "GET", path, stranger), 404)

    assert call(client, "DELETE", f"{path}/{drawing['id']}", buyer).status_code == 204
    assert ok(call(client, "GET", path, buyer)) == []


def test_a_drawing_keeps_its_chinese_name_on_download(client, buyer, draft):
    drawing = ok(upload(client, buyer, draft["id"], minimal_pdf(), "支架图纸-B版.pdf"), 201)

    download = call(client, "GET", f"/orders/{draft['id']}/attachments/{drawing['id']}", buyer)

    assert drawing["filename"] == "支架图纸-B版.pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%94%AF%E6%9E%B6" in disposition
    assert download.headers["Cache-Control"] == "private, no-cache"


# --------------------------------------------------------------------------------------------
# Orders and quotes
# --------------------------------------------------------------------------------------------


def test_quoting_on_a_closed_order_is_409(client, buyer, supplier):
    listing = register_capacity(client, supplier)
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    quote = ok(
        call(client, "PUT", f"/orders/{order['id']}/quote", supplier, json=quote_terms(listing)),
        201,
    )
    cancelled = ok(
        call(client, "POST", f"/orders/{order['id']}/cancel", buyer, json={"note": "budget cut"})
    )
    assert cancelled["status"] == "cancelled"

    for terms in (quote_terms(listing), quote_terms(listing, unit_price="30")):
        response = call(client, "PUT", f"/orders/{order['id']}/quote", supplier, json=terms)
        problem(response, 409, "order-not-open")
    stored = ok(call(client, "GET", f"/quotes/{quote['id']}", supplier))
    assert (stored["status"], stored["unit_price"], stored["revision"]) == (
        "rejected",
        "38.5000",
        1,
    )


def test_a_supplier_withdraws_and_resubmits_its_quote(client, buyer, supplier):
    listing = register_capacity(client, supplier)
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    path = f"/orders/{order['id']}/quote"
    quote = ok(call(client, "PUT", path, supplier, json=quote_terms(listing)), 201)

    withdrawn = ok(call(client, "POST", f"/quotes/{quote['id']}/withdraw", supplier))
    assert withdrawn["status"] == "withdrawn"
    problem(call(client, "POST", f"/quotes/{quote['id']}/withdraw", supplier), 409)
    # The same terms again resubmit it (a withdrawn quote is not "unchanged")
    again = ok(call(client, "PUT", path, supplier, json=quote_terms(listing)))
    assert (again["id"], again["status"], again["revision"]) == (quote["id"], "submitted", 2)


def test_drafts_are_edited_filtered_and_hidden_from_suppliers(client, buyer, supplier):
    draft = ok(call(client, "POST", "/orders", buyer, json=order_body()), 201)
    changed = ok(
        call(
            client, "PATCH", f"/orders/{draft['id']}", buyer, json={"quantity": 250, "min_lot": 50}
        )
    )
    assert (changed["quantity"], changed["min_lot"], changed["title"]) == (
        250,
        50,
        draft["title"],
    )
    published = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)

    drafts = ok(call(client, "GET", "/orders?status=draft", buyer))
    assert [o["id"] for o in drafts["items"]] == [draft["id"]]
    everything = ok(call(client, "GET", "/orders", buyer))
    assert [o["id"] for o in everything["items"]] == [published["id"], draft["id"]]
    problem(call(client, "GET", f"/orders/{draft['id']}", supplier), 404, "order-not-found")
    visible = ok(call(client, "GET", "/orders/open", supplier))
    assert [o["id"] for o in visible["items"]] == [published["id"]]
    assert ok(call(client, "GET", "/orders/open?process=cnc_turning", supplier))["items"] == []

    # Once published, an order is no longer edited
    response = call(client, "PATCH", f"/orders/{published['id']}", buyer, json={"quantity": 5})
    problem(response, 409, "order-not-open")


def test_schemas_refuse_absurd_orders_before_the_services_run(client, buyer):
    cases = {
        "/quantity": {"quantity": 0},
        "/due_date": {"due_date": today().isoformat()},
        "/tolerance_mm": {"tolerance_mm": "0.00001"},
        "/process": {"process": "alchemy"},
        "/min_lot": {"quantity": 10, "min_lot": 11},
        "/target_unit_price": {"target_unit_price": "-1"},
        "/part_x_mm": {"part_x_mm": 50_001},
    }
    for pointer, changes in cases.items():
        response = call(client, "POST", "/orders", buyer, json=order_body(**changes))
        assert pointer in pointers(problem(response, 422)), (pointer, response.get_json())


def test_listing_hours_are_checked_per_day(client, supplier):
    listing = register_capacity(client, supplier)
    path = f"/listings/{listing['id']}"
    response = call(client, "PATCH", path, supplier, json={"weekday_hours": ["25"] * 7})
    assert "/weekday_hours/0" in pointers(problem(response, 422))
    response = call(client, "PATCH", path, supplier, json={"weekday_hours": ["8"] * 6})
    assert "/weekday_hours" in pointers(problem(response, 422))
    exception_day = (today() + timedelta(days=3)).isoformat()
    changed = ok(
        call(
            client, "PATCH", path, supplier,
            json={"exceptions": [{"day": exception_day, "hours": "0", "note": "国庆"}]},
        )
    )  # fmt: skip
    assert changed["exceptions"] == [{"day": exception_day, "hours": "0.00", "note": "国庆"}]
    paused = ok(call(client, "POST", f"{path}/status", supplier, json={"status": "paused"}))
    assert paused["status"] == "paused"
    response = call(client, "POST", f"{path}/status", supplier, json={"status": "fully_booked"})
    problem(response, 409, "invalid-transition")


# --------------------------------------------------------------------------------------------
# Packages: illegal moves and other companies
# --------------------------------------------------------------------------------------------


@pytest.fixture
def package(client, buyer, supplier) -> dict[str, Any]:
    listing = register_capacity(client, supplier)
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    quote = ok(
        call(client, "PUT", f"/orders/{order['id']}/quote", supplier, json=quote_terms(listing)),
        201,
    )
    award = {"allocations": [{"quote_id": quote["id"], "quantity": 100}]}
    (created,) = ok(call(client, "POST", f"/orders/{order['id']}/award", buyer, json=award), 201)
    return created


def test_an_illegal_transition_is_409_and_changes_nothing(client, buyer, supplier, package):
    path = f"/packages/{package['id']}/transitions"

    skipped = call(client, "POST", path, supplier, json={"status": "shipped"})
    wrong_actor = call(client, "POST", path, buyer, json={"status": "in_production"})

    assert "/status" in pointers(problem(skipped, 409, "invalid-transition"))
    problem(wrong_actor, 403)
    stored = ok(call(client, "GET", f"/packages/{package['id']}", supplier))
    assert (stored["status"], [h["to_status"] for h in stored["history"]]) == (
        "accepted",
        ["accepted"],
    )


def test_a_failed_inspection_cannot_ship(client, supplier, package):
    path = f"/packages/{package['id']}/transitions"
    for status in ("in_production", "quality_check"):
        ok(call(client, "POST", path, supplier, json={"status": status}))

    response = call(
        client, "POST", path, supplier, json={"status": "shipped", "quality_passed": False}
    )

    assert pointers(problem(response, 422)) == {"/quality_passed"}
    rework = ok(
        call(
            client,
            "POST",
            path,
            supplier,
            json={"status": "in_production", "quality_passed": False},
        )
    )
    assert (rework["status"], rework["quality_passed"]) == ("in_production", False)


def test_another_companys_package_is_404(client, stranger, package):
    path = f"/packages/{package['id']}"
    problem(call(client, "GET", path, stranger), 404)
    problem(
        call(client, "POST", f"{path}/transitions", stranger, json={"status": "cancelled"}), 404
    )
    milestone = {"progress_pct": 10, "forecast_date": (today() + timedelta(days=5)).isoformat()}
    problem(call(client, "POST", f"{path}/milestones", stranger, json=milestone), 404)
    rating = {"quality": 1, "delivery": 1, "communication": 1}
    problem(call(client, "POST", f"{path}/review", stranger, json=rating), 404)
    assert ok(call(client, "GET", "/packages?as=supplier", stranger))["items"] == []
    assert ok(call(client, "GET", "/packages?as=buyer", stranger))["items"] == []
    stored = db.session.get(WorkPackage, package["id"])
    assert (stored.status.value, stored.progress_pct, stored.milestones) == ("accepted", 0, [])


def test_packages_are_listed_for_each_side(client, buyer, supplier, package):
    as_supplier = ok(call(client, "GET", "/packages?as=supplier", supplier))
    as_buyer = ok(call(client, "GET", "/packages?as=buyer", buyer))
    assert [p["id"] for p in as_supplier["items"]] == [package["id"]]
    assert [p["id"] for p in as_buyer["items"]] == [package["id"]]
    assert as_buyer["items"][0]["buyer_company_id"] == buyer.company_id
    assert ok(call(client, "GET", "/packages?as=buyer", supplier))["items"] == []
    assert pointers(problem(call(client, "GET", "/packages", supplier), 422)) == {"/as"}


def test_quotes_are_for_their_supplier_and_the_orders_buyer(client, buyer, supplier, stranger):
    listing = register_capacity(client, supplier)
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    quote = ok(
        call(client, "PUT", f"/orders/{order['id']}/quote", supplier, json=quote_terms(listing)),
        201,
    )
    assert ok(call(client, "GET", f"/quotes/{quote['id']}", buyer))["id"] == quote["id"]
    problem(call(client, "GET", f"/quotes/{quote['id']}", stranger), 404)
    problem(call(client, "POST", f"/quotes/{quote['id']}/withdraw", stranger), 404)
    problem(call(client, "GET", f"/orders/{order['id']}/quotes", stranger), 403, "not-your-order")
    # A stranger cannot quote with another company's listing
    response = call(
        client, "PUT", f"/orders/{order['id']}/quote", stranger, json=quote_terms(listing)
    )
    assert pointers(problem(response, 422)) == {"/listing_id"}
    assert count(Quote) == 1


def test_an_orders_certifications_are_a_set_when_drafted_and_when_edited(client, buyer):
    twice = ["ISO 9001", "IATF 16949", "ISO 9001"]
    draft = ok(
        call(client, "POST", "/orders", buyer, json=order_body(required_certifications=twice)), 201
    )
    edited = ok(
        call(
            client,
            "PATCH",
            f"/orders/{draft['id']}",
            buyer,
            json={"required_certifications": twice},
        )
    )
    assert (
        draft["required_certifications"]
        == edited["required_certifications"]
        == [
            "IATF 16949",
            "ISO 9001",
        ]
    )


# --------------------------------------------------------------------------------------------
# Known service bugs: these tests describe the right behaviour and fail until it is fixed
# --------------------------------------------------------------------------------------------


def finished_package(client, buyer: Caller, supplier: Caller) -> dict[str, Any]:
    """A package of `supplier` on an order of `buyer`, delivered and accepted."""
    listing = register_capacity(client, supplier)
    order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    path = f"/orders/{order['id']}/quote"
    quote = ok(call(client, "PUT", path, supplier, json=quote_terms(listing)), 201)
    award = {"allocations": [{"quote_id": quote["id"], "quantity": 100}]}
    (package,) = ok(call(client, "POST", f"/orders/{order['id']}/award", buyer, json=award), 201)
    moves = f"/packages/{package['id']}/transitions"
    for caller, status in (
        (supplier, "in_production"),
        (supplier, "quality_check"),
        (supplier, "shipped"),
        (buyer, "delivered"),
        (buyer, "accepted_by_buyer"),
    ):
        ok(call(client, "POST", moves, caller, json={"status": status}))
    return package


def test_the_average_rating_keeps_the_decimals_of_each_review(client, buyer, supplier):
    """BUG (packages.recompute_scorecard): each review's mean is rounded to whole stars before
    averaging, so quality 5, delivery 4, communication 5 shows as 5.00 instead of 4.67."""
    package = finished_package(client, buyer, supplier)
    rating = {"quality": 5, "delivery": 4, "communication": 5}
    ok(call(client, "POST", f"/packages/{package['id']}/review", buyer, json=rating), 201)
    run_worker()

    scorecard = ok(call(client, "GET", f"/suppliers/{supplier.company_id}/scorecard", buyer))

    assert scorecard["average_rating"] == "4.67"


def test_a_retired_machines_capacity_is_neither_quoted_nor_awarded(client, buyer, supplier):
    """BUG (machines.change_machine_status): retiring a machine left its listings taking work,
    so its hours were still quoted and awarded."""
    listing = register_capacity(client, supplier)
    earlier = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
    path = f"/orders/{earlier['id']}/quote"
    quote = ok(call(client, "PUT", path, supplier, json=quote_terms(listing)), 201)
    retire = {"status": "retired", "note": "sold"}
    ok(call(client, "POST", f"/machines/{listing['machine_id']}/status", supplier, json=retire))
    later = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)

    new_quote = call(
        client, "PUT", f"/orders/{later['id']}/quote", supplier, json=quote_terms(listing)
    )
    award = {"allocations": [{"quote_id": quote["id"], "quantity": 100}]}
    old_quote_award = call(client, "POST", f"/orders/{earlier['id']}/award", buyer, json=award)

    assert "/listing_id" in pointers(problem(new_quote, 422))
    problem(old_quote_award, 409, "capacity-exhausted")
    assert count(WorkPackage) == 0


# Two requests at once, as a double click or a retrying client sends them. Only PostgreSQL runs
# requests truly in parallel; SQLite serialises writers.


def race(app, requests: list[tuple[str, str, Caller, dict[str, Any]]]) -> list[int]:
    """Send the requests from parallel threads, released together; return their statuses."""
    statuses: list[int] = [0] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int, method: str, path: str, caller: Caller, body: dict[str, Any]) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            response = client.open(API + path, method=method, headers=caller.headers, json=body)
            statuses[index] = response.status_code
            db.session.remove()

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


postgresql_only = pytest.mark.skipif(
    postgres_server_url() is None, reason="parallel requests need PostgreSQL"
)


@postgresql_only
def test_a_double_clicked_transition_moves_the_package_once(app, client, supplier, package):
    """BUG (packages.transition_package): the package row is not locked, so two identical
    moves both succeed and the history shows in_production twice."""
    path = f"/packages/{package['id']}/transitions"

    statuses = race(app, [("POST", path, supplier, {"status": "in_production"})] * 2)

    assert sorted(statuses) == [200, 409]
    history = ok(call(client, "GET", f"/packages/{package['id']}", supplier))["history"]
    assert [entry["to_status"] for entry in history] == ["accepted", "in_production"]


@postgresql_only
def test_a_double_clicked_review_is_stored_once_without_a_server_error(
    app, client, buyer, supplier
):
    """BUG (packages.review_package): the second review of a race hits the unique constraint
    on review.package_id and answers 500."""
    package = finished_package(client, buyer, supplier)
    rating = {"quality": 5, "delivery": 5, "communication": 5}

    statuses = race(app, [("POST", f"/packages/{package['id']}/review", buyer, rating)] * 2)

    assert sorted(statuses) == [201, 422]
    assert count(Review) == 1


@postgresql_only
def test_a_double_clicked_first_quote_never_fails_on_the_server(app, client, buyer, supplier):
    """BUG (orders.submit_quote): two first quotes of one supplier race into the unique
    constraint (order, supplier) and one answers 500."""
    listing = register_capacity(client, supplier)
    for _attempt in range(3):
        order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
        path = f"/orders/{order['id']}/quote"

        statuses = race(app, [("PUT", path, supplier, quote_terms(listing))] * 2)

        assert all(status < 500 for status in statuses), statuses


@postgresql_only
def test_a_double_clicked_invitation_never_fails_on_the_server(app, client, buyer, supplier):
    """BUG (orders.invite_suppliers): two invitations of one supplier race into the unique
    constraint (order, supplier) and one answers 500."""
    for _attempt in range(3):
        order = ok(call(client, "POST", "/orders", buyer, json=order_body(publish=True)), 201)
        body = {"supplier_ids": [supplier.company_id]}

        statuses = race(app, [("POST", f"/orders/{order['id']}/invitations", buyer, body)] * 2)

        assert statuses == [200, 200]
