"""The ledger on the pages: an order's tracking page (packages, ledger timeline, anchoring,
tampering), the check of one entry with its proof download, and the public proof check. Through
the test client, both languages; the ledger tasks run in-process on the embedded EVM."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from html import unescape

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from core.db import db
from core.outbox import OutboxMessage
from core.security import limiter
from ledger import services as ledger_service
from ledger.models import LedgerBatch, LedgerEntry
from ledger.tasks import package_event
from marketplace.lifecycle import PackageStatus
from marketplace.models import User
from marketplace.services import orders, packages
from marketplace.services.orders import Allocation
from tests.factories import PASSWORD, OperatorFactory
from tests.integration.marketplace_world import (
    buyer_with_order,
    quote,
    supplier_with_capacity,
    today,
)
from tests.integration.test_translations import compiled_translations  # noqa: F401

pytestmark = pytest.mark.usefixtures("csrf_off", "compiled_translations", "fresh_limits")

TAMPERED = "Tampered — this entry no longer matches what was anchored."


class FreshLocaleClient(FlaskClient):
    """A test client whose every request chooses its language anew (see test_matching_pages)."""

    def open(self, *args, **kwargs):
        flask_babel.refresh()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return FreshLocaleClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def fresh_limits() -> None:
    """The public check is rate limited per address; each test starts with none used."""
    limiter.reset()


# --- Helpers ---------------------------------------------------------------------------------


def sign_in(client, principal) -> None:
    limiter.reset()
    user = db.session.get(User, principal.user_id)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def main_text(response) -> str:
    html = response.get_data(as_text=True)
    match = re.search(r"<main.*?</main>", html, re.S)
    assert match, "no <main> on the page"
    return text_of(match.group(0))


def entry_items(html: str) -> list[str]:
    return re.findall(r'<li [^>]*data-testid="ledger-entry".*?</li>', html, re.S)


def run_ledger_messages() -> int:
    """Do what the worker does with the ledger's outbox messages."""
    added = 0
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.task_name == "ledger.package_event")
        .order_by(OutboxMessage.id)
    ).all():
        added += package_event(**message.payload)
    return added


def seal_and_anchor() -> None:
    """Do what the `ledger.anchor` beat task does once a batch's time is up."""
    ledger_service.seal_due_batches(size=1000, max_age=timedelta(0))
    chain = ledger_service.ledger_chain()
    ledger_service.anchor_batches(chain, confirmations=1)
    ledger_service.anchor_batches(chain, confirmations=1)


def shipped_order(*, report_progress: bool = True):
    """An awarded package taken through production, a passed inspection and shipping."""
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order()
    offer = quote(supplier, listing, order)
    (package,) = orders.award_order(buyer, order.id, [Allocation(offer.id, order.quantity)])
    packages.transition_package(supplier, package.id, PackageStatus.IN_PRODUCTION)
    if report_progress:
        packages.report_progress(
            supplier,
            package.id,
            progress_pct=40,
            forecast_date=package.promised_date + timedelta(days=3),
            note="Roughing done",
        )
    packages.transition_package(supplier, package.id, PackageStatus.QUALITY_CHECK)
    packages.transition_package(supplier, package.id, PackageStatus.SHIPPED, quality_passed=True)
    return buyer, supplier, order, package


def entries_of(order) -> list[LedgerEntry]:
    return ledger_service.entries_of_order(order.id)


def tamper(entry: LedgerEntry) -> None:
    altered = {**entry.body, "disposition": "destroyed"}
    db.session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id).values(body=altered))
    db.session.commit()
    db.session.expire_all()


def ledger_snapshot() -> tuple:
    """What the ledger holds, to show a page changed nothing."""
    return (
        db.session.scalar(select(func.count(LedgerEntry.id))),
        db.session.scalar(select(func.count(LedgerEntry.batch_number))),
        db.session.scalar(select(func.count(LedgerBatch.number))),
        db.session.scalar(select(func.count(OutboxMessage.id))),
    )


# --- The tracking page -----------------------------------------------------------------------


def test_the_buyer_follows_the_order_and_its_anchored_entries_in_english(client):
    # Given a shipped package whose moves were recorded, sealed and anchored
    buyer, _supplier, order, package = shipped_order()
    assert run_ledger_messages() == 4
    seal_and_anchor()
    sign_in(client, buyer)

    # When the buyer opens the order's tracking page in English
    response = client.get(f"/orders/{order.id}/tracking?lang=en")

    # Then the package shows its dates, its progress report, the inspection and the shipment
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    words = main_text(response)
    assert f"Tracking: {order.title}" in words
    assert f"Work package #{package.id}" in words
    assert "Later than promised" in words
    assert "Progress 40%" in words and "Roughing done" in words
    assert re.search(r'data-testid="inspection">\s*<span class="badge badge-ok">Passed', html)
    assert re.search(r"Shipped .+, on its way", words)
    # And the ledger timeline tells each move in words, newest first, each confirmed on chain
    items = entry_items(html)
    assert [text_of(re.search(r'entry-what">(.*?)</span>', item).group(1)) for item in items] == [
        "Shipped (in transit)",
        "Inspection passed",
        "Production started",
        "Work package awarded",
    ]
    batch = db.session.get(LedgerBatch, 1)
    for item in items:
        assert 'data-anchoring="confirmed"' in item and 'data-tampered="false"' in item
        assert f"Batch 1 · confirmed at block {batch.block_number}" in text_of(item)
        assert f"{batch.tx_hash[:6]}…{batch.tx_hash[-4:]}" in text_of(item)
        assert re.search(r'href="/ledger/entries/\d+/verify"', item)
    assert "4 entries recorded for this order." in words
    assert TAMPERED not in words


def test_the_tracking_page_in_chinese_speaks_chinese(client):
    buyer, _supplier, order, _package = shipped_order()
    run_ledger_messages()
    seal_and_anchor()
    sign_in(client, buyer)

    words = main_text(client.get(f"/orders/{order.id}/tracking?lang=zh_CN"))

    assert f"追踪：{order.title}" in words
    assert "已发货（运输中）" in words and "质检通过" in words
    assert "已开始生产" in words and "工单已授标" in words
    assert "批次 1 · 已在区块" in words and "核验此记录" in words
    assert "进度 40%" in words and "晚于承诺交期" in words
    for english in ("Shipped (in transit)", "Inspection passed", "Batch 1", "Verify this entry"):
        assert english not in words


def test_entries_not_yet_sealed_say_they_wait_for_a_batch(client):
    # Given moves recorded by the worker but no batch sealed yet
    buyer, _supplier, order, _package = shipped_order()
    run_ledger_messages()
    sign_in(client, buyer)

    response = client.get(f"/orders/{order.id}/tracking?lang=en")

    items = entry_items(response.get_data(as_text=True))
    assert len(items) == 4
    assert all(
        'data-anchoring="unbatched"' in item and "Waiting for a batch" in text_of(item)
        for item in items
    )
    assert "4 wait for the next batch" in main_text(response)
    # And the entry's check says to come back later; its proof cannot be downloaded yet
    entry = entries_of(order)[0]
    check = client.get(f"/ledger/entries/{entry.id}/verify?lang=en")
    assert check.status_code == 200
    assert "This entry is not in an anchored batch yet" in main_text(check)
    assert 'data-testid="proof-check"' not in check.get_data(as_text=True)
    assert client.get(f"/ledger/entries/{entry.id}/proof.json").status_code == 409


def test_a_sealed_batch_not_yet_on_chain_shows_as_pending(client):
    buyer, _supplier, order, _package = shipped_order()
    run_ledger_messages()
    ledger_service.seal_due_batches(size=1000, max_age=timedelta(0))
    sign_in(client, buyer)

    items = entry_items(client.get(f"/orders/{order.id}/tracking?lang=en").get_data(as_text=True))

    assert items and all("Batch 1 · waiting to be anchored" in text_of(item) for item in items)


def test_an_order_before_its_first_recorded_move_says_nothing_is_recorded(client):
    buyer, _supplier, order, _package = shipped_order()
    sign_in(client, buyer)  # the worker has not run yet

    response = client.get(f"/orders/{order.id}/tracking?lang=en")

    assert response.status_code == 200
    assert 'data-testid="ledger-empty"' in response.get_data(as_text=True)
    assert "Nothing is recorded yet." in main_text(response)


def test_a_tampered_entry_is_shown_in_red_and_fails_its_check(client):
    # Given anchored entries, one of which is changed in the database afterwards
    buyer, _supplier, order, _package = shipped_order()
    run_ledger_messages()
    seal_and_anchor()
    shipped = entries_of(order)[-1]
    tamper(shipped)
    sign_in(client, buyer)

    # When the buyer opens the tracking page
    response = client.get(f"/orders/{order.id}/tracking?lang=en")

    # Then that entry, and only that one, is marked tampered, and the page warns at the top
    html = response.get_data(as_text=True)
    items = {
        int(re.search(r'data-entry-id="(\d+)"', item).group(1)): item for item in entry_items(html)
    }
    assert 'data-tampered="true"' in items[shipped.id]
    assert 'class="tampered-note"' in items[shipped.id] and TAMPERED in text_of(items[shipped.id])
    assert all('data-tampered="false"' in item for key, item in items.items() if key != shipped.id)
    assert 'data-testid="tampered-warning"' in html
    assert "1 entry below no longer matches what was anchored" in main_text(response)

    # And its check says so: the entry no longer reaches the anchored root
    check = client.get(f"/ledger/entries/{shipped.id}/verify?lang=en")
    check_html = check.get_data(as_text=True)
    assert 'data-verified="false"' in check_html
    assert step_results(check_html) == {"leaf": "passed", "root": "failed", "chain": "passed"}
    assert TAMPERED in main_text(check)


def test_the_supplier_follows_the_order_it_makes_part_of(client):
    _buyer, supplier, order, package = shipped_order()
    run_ledger_messages()
    seal_and_anchor()
    sign_in(client, supplier)

    response = client.get(f"/orders/{order.id}/tracking?lang=en")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(entry_items(html)) == 4
    assert f'data-package-id="{package.id}"' in html
    # The breadcrumb leads to the supplier's view of the order, not the buyer's
    assert f'href="/open-orders/{order.id}"' in html
    assert f'href="/orders/{order.id}"' not in html


def test_a_co_supplier_sees_only_its_own_package_and_entries(client):
    # Given an order split between two suppliers, both of whose packages moved
    first, first_listing = supplier_with_capacity()
    second, second_listing = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=100)
    first_quote = quote(first, first_listing, order, quantity=60)
    second_quote = quote(second, second_listing, order, quantity=40)
    first_package, second_package = orders.award_order(
        buyer, order.id, [Allocation(first_quote.id, 60), Allocation(second_quote.id, 40)]
    )
    packages.transition_package(second, second_package.id, PackageStatus.IN_PRODUCTION)
    run_ledger_messages()
    sign_in(client, first)

    html = client.get(f"/orders/{order.id}/tracking?lang=en").get_data(as_text=True)

    assert f'data-package-id="{first_package.id}"' in html
    assert f'data-package-id="{second_package.id}"' not in html
    assert f"Work package #{second_package.id}" not in text_of(html)
    items = entry_items(html)
    assert len(items) == 1 and "Work package awarded" in text_of(items[0])
    # And the other supplier's entries cannot be checked by this one
    other = next(e for e in entries_of(order) if e.package_ref == second_package.id)
    assert client.get(f"/ledger/entries/{other.id}/verify").status_code == 404


def test_a_stranger_and_a_supplier_who_only_quoted_get_404_and_nothing_changes(client):
    # Given an anchored order, a stranger company, and a supplier whose quote was not chosen
    supplier, listing = supplier_with_capacity()
    loser, loser_listing = supplier_with_capacity()
    buyer, order = buyer_with_order()
    offer = quote(supplier, listing, order)
    quote(loser, loser_listing, order)
    orders.award_order(buyer, order.id, [Allocation(offer.id, order.quantity)])
    run_ledger_messages()
    seal_and_anchor()
    entry = entries_of(order)[0]
    stranger, _ = supplier_with_capacity()
    before = ledger_snapshot()

    for outsider in (stranger, loser):
        client.post("/logout")
        sign_in(client, outsider)
        # Then every ledger page of the order answers as if it did not exist
        for path in (
            f"/orders/{order.id}/tracking",
            f"/ledger/entries/{entry.id}/verify",
            f"/ledger/entries/{entry.id}/proof.json",
            "/orders/999999/tracking",
            "/ledger/entries/999999/verify",
        ):
            assert client.get(path).status_code == 404, (outsider, path)
    assert ledger_snapshot() == before


def test_an_operator_without_a_company_gets_404(client):
    _buyer, _supplier, order, _package = shipped_order(report_progress=False)
    run_ledger_messages()
    operator = OperatorFactory()
    limiter.reset()
    client.post("/login", data={"email": operator.email, "password": PASSWORD})

    assert client.get(f"/orders/{order.id}/tracking").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    _buyer, _supplier, order, _package = shipped_order(report_progress=False)
    run_ledger_messages()
    seal_and_anchor()
    entry = entries_of(order)[0]

    for path in (
        f"/orders/{order.id}/tracking",
        f"/ledger/entries/{entry.id}/verify",
        f"/ledger/entries/{entry.id}/proof.json",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path


def test_the_order_and_package_pages_link_to_tracking_and_every_page_to_the_check(client):
    buyer, supplier, order, package = shipped_order(report_progress=False)
    sign_in(client, buyer)

    order_page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    package_page = client.get(f"/packages/{package.id}").get_data(as_text=True)

    tracking = f'href="/orders/{order.id}/tracking"'
    assert tracking in order_page and tracking in package_page
    assert 'href="/verify"' in order_page
    client.post("/logout")
    sign_in(client, supplier)
    assert tracking in client.get(f"/packages/{package.id}").get_data(as_text=True)
    assert tracking in client.get(f"/open-orders/{order.id}").get_data(as_text=True)


# --- The check of one entry ------------------------------------------------------------------


def step_results(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="check-step" data-step="(\w+)" data-result="(\w+)"', html))


def test_an_entrys_check_passes_every_step_and_offers_the_proof(client):
    # Given an anchored entry of the buyer's order
    buyer, _supplier, order, _package = shipped_order(report_progress=False)
    run_ledger_messages()
    seal_and_anchor()
    entry = entries_of(order)[-1]
    sign_in(client, buyer)

    # When the buyer follows the entry's verify link
    response = client.get(f"/ledger/entries/{entry.id}/verify?lang=en")

    # Then the three steps pass, the standalone script is named and the proof can be downloaded
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verified="true"' in html
    assert step_results(html) == {"leaf": "passed", "root": "passed", "chain": "passed"}
    words = main_text(response)
    assert "Verified: this entry is exactly what was anchored on the chain in batch 1." in words
    assert "Shipped (in transit)" in words
    assert "standalone_verify.py" in words
    assert f'href="/ledger/entries/{entry.id}/proof.json"' in html
    assert f'href="/orders/{order.id}/tracking"' in html

    download = client.get(f"/ledger/entries/{entry.id}/proof.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert (
        download.headers["Content-Disposition"]
        == f'attachment; filename="sharefab-proof-{entry.id}.json"'
    )
    assert json.loads(download.get_data()) == json.loads(json.dumps(ledger_service.proof_of(entry)))


def test_an_entrys_check_in_chinese(client):
    _buyer, supplier, order, _package = shipped_order(report_progress=False)
    run_ledger_messages()
    seal_and_anchor()
    entry = entries_of(order)[0]
    sign_in(client, supplier)

    words = main_text(client.get(f"/ledger/entries/{entry.id}/verify?lang=zh_CN"))

    assert "核验通过：此记录与批次 1 在链上锚定的内容完全一致。" in words
    assert "记录得出叶子哈希" in words and "证明可算到根哈希" in words
    assert "工单已授标" in words and "standalone_verify.py" in words
    assert "Verified" not in words


# --- The public check ------------------------------------------------------------------------


def anchored_proof() -> dict:
    _buyer, _supplier, order, _package = shipped_order(report_progress=False)
    run_ledger_messages()
    seal_and_anchor()
    return json.loads(json.dumps(ledger_service.proof_of(entries_of(order)[-1])))


def test_the_public_check_page_needs_no_sign_in_in_either_language(client):
    english = client.get("/verify?lang=en")
    chinese = client.get("/verify?lang=zh_CN")

    assert english.status_code == chinese.status_code == 200
    assert "Check a proof" in main_text(english) and "standalone_verify.py" in main_text(english)
    assert "核验证明" in main_text(chinese) and "Check a proof" not in main_text(chinese)


def test_a_pasted_proof_is_verified_step_by_step(client):
    proof = anchored_proof()

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verified="true"' in html
    assert step_results(html) == {"leaf": "passed", "root": "passed", "chain": "passed"}
    assert "Shipped (in transit)" in main_text(response)


def test_an_uploaded_proof_file_is_verified_and_wins_over_pasted_text(client):
    proof = anchored_proof()

    response = client.post(
        "/verify?lang=zh_CN",
        data={
            "proof": "not even json",
            "file": (io.BytesIO(json.dumps(proof, indent=2).encode()), "proof.json"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 200
    assert 'data-verified="true"' in response.get_data(as_text=True)
    assert "核验通过" in main_text(response)


def test_a_proof_whose_entry_was_altered_is_shown_as_tampered(client):
    proof = anchored_proof()
    proof["entry"]["body"]["disposition"] = "destroyed"

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verified="false"' in html
    assert step_results(html)["leaf"] == "failed"
    assert TAMPERED in main_text(response)


def test_a_proof_with_a_wrong_sibling_does_not_hold(client):
    proof = anchored_proof()
    proof["proof"][0] = "0x" + "ab" * 32

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    html = response.get_data(as_text=True)
    assert step_results(html) == {"leaf": "passed", "root": "failed", "chain": "passed"}
    assert "Not verified: this proof does not hold." in main_text(response)


def test_a_proof_for_a_batch_the_chain_does_not_hold_fails_the_chain_step(client):
    proof = anchored_proof()
    proof["batch"]["number"] = 999

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    html = response.get_data(as_text=True)
    assert step_results(html) == {"leaf": "passed", "root": "passed", "chain": "failed"}
    assert "The anchoring contract has no root for batch 999." in main_text(response)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Paste a proof or choose a proof file first."),
        ("{not json", "This is not JSON (line 1, column 2)"),
        ('{"leaf": NaN}', "This is not JSON"),
        ("[1, 2, 3]", "This is not a proof"),
        ('"a string"', "This is not a proof"),
        ('{"hello": "world"}', "This JSON is not a proof: batch, entry, leaf, proof, root"),
        ("[" * 100_000 + "]" * 100_000, "This is not JSON"),
    ],
    ids=["empty", "not-json", "nan", "array", "string", "not-a-proof", "deep"],
)
def test_garbage_gets_a_clear_message_on_the_page(client, text, message):
    response = client.post("/verify?lang=en", data={"proof": text})

    assert response.status_code in (400, 422)
    html = response.get_data(as_text=True)
    assert 'data-testid="verify-problem"' in html
    assert message in main_text(response)
    assert 'data-testid="proof-check"' not in html
    assert 'data-testid="verify-form"' in html  # the form is there to try again


NOT_A_PROOF = "This is not a proof: a proof names an entry, its leaf"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"leaf": "0x1234"}, "This JSON is not a proof: leaf missing or malformed."),
        ({"root": "0x" + "zz" * 32}, NOT_A_PROOF),
        ({"proof": "0x" + "00" * 32}, "This JSON is not a proof: proof missing or malformed."),
        ({"proof": ["0x" + "00" * 32] * 65}, "This JSON is not a proof: proof missing"),
        ({"batch": {"number": 1e400}}, "This is not JSON"),
        ({"batch": {"number": -3}}, "This JSON is not a proof: batch.number missing"),
        ({"batch": {"number": True}}, "This JSON is not a proof: batch.number missing"),
        ({"batch": {"number": 2**300}}, "This JSON is not a proof: batch.number missing"),
        ({"batch": [1]}, "This JSON is not a proof: batch missing or malformed."),
        ({"entry": {"body": [1, 2]}}, "This JSON is not a proof: entry.body missing"),
        ({"entry": {"body": {"x": 2**60}}}, NOT_A_PROOF),  # beyond what RFC 8785 carries
    ],
    ids=lambda value: json.dumps(value)[:40] if isinstance(value, dict) else "",
)
def test_a_malformed_proof_is_refused_with_a_message_never_a_500(client, change, message):
    proof = {**anchored_proof(), **change}

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    assert response.status_code == 422
    assert 'data-testid="verify-problem"' in response.get_data(as_text=True)
    assert message in main_text(response)


def test_a_proof_of_an_entry_nobody_anchored_fails_at_the_leaf(client):
    proof = {**anchored_proof(), "entry": {"body": {"x": 1.5e300}}}

    response = client.post("/verify?lang=en", data={"proof": json.dumps(proof)})

    assert response.status_code == 200
    assert step_results(response.get_data(as_text=True)) == {
        "leaf": "failed",
        "root": "passed",
        "chain": "passed",
    }


def test_a_proof_larger_than_a_megabyte_is_refused_on_the_page(client):
    padded = json.dumps({"padding": "x" * (1024 * 1024)})

    pasted = client.post("/verify?lang=en", data={"proof": padded})
    uploaded = client.post(
        "/verify?lang=zh_CN",
        data={"file": (io.BytesIO(padded.encode()), "proof.json")},
        content_type="multipart/form-data",
    )

    assert pasted.status_code == uploaded.status_code == 422
    assert "This is larger than 1 MB" in main_text(pasted)
    assert "内容大于 1 MB" in main_text(uploaded)


def test_a_body_beyond_the_checks_limit_still_gets_the_page_with_a_message(client):
    huge = "x" * (3 * 1024 * 1024)

    response = client.post("/verify?lang=en", data={"proof": huge})

    assert response.status_code == 413
    assert 'data-testid="verify-problem"' in response.get_data(as_text=True)
    assert "This is larger than 1 MB" in main_text(response)


def test_a_file_that_is_not_text_is_refused(client):
    response = client.post(
        "/verify?lang=en",
        data={"file": (io.BytesIO(b"\xff\xd8\xff\xe0 a jpeg"), "photo.jpg")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "This file is not text" in main_text(response)


def test_the_public_check_works_with_its_csrf_token(app: Flask, client):
    # Given CSRF protection on, as in production
    proof = anchored_proof()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        form = client.get("/verify").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

        # When the visitor sends the form it was given, and someone else sends one without it
        response = client.post(
            "/verify?lang=en", data={"csrf_token": token, "proof": json.dumps(proof)}
        )
        forged = FreshLocaleClient(app, app.response_class).post(
            "/verify", data={"proof": json.dumps(proof)}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    # Then the first is checked and the second refused
    assert response.status_code == 200
    assert 'data-verified="true"' in response.get_data(as_text=True)
    assert forged.status_code == 400


def test_the_packages_dates_stay_those_of_the_package(client):
    """Promised and forecast dates on the tracking page are the package's own."""
    buyer, _supplier, order, package = shipped_order()
    sign_in(client, buyer)

    html = client.get(f"/orders/{order.id}/tracking?lang=en").get_data(as_text=True)

    promised = re.search(r'data-testid="promised-date">([^<]+)<', html).group(1)
    assert promised.strip() == package.promised_date.strftime("%b %-d, %Y")
    assert package.promised_date >= today()
