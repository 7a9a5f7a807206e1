"""The ledger's REST endpoints: capture and query over HTTP, proofs, the public check, and bad
input answered with problem+json that changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from ledger import services
from ledger.models import LedgerEntry
from marketplace.models import User
from tests.integration.conftest import bearer, issue_token
from tests.integration.test_ledger_services import awarded_order, run_ledger_messages
from tests.support import EXTERNAL

EXAMPLES = EXTERNAL / "gs1-epcis" / "examples"
OBJECT_EVENTS = (EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_bytes()


def headers_of(principal) -> dict[str, str]:
    return bearer(issue_token(db.session.get(User, principal.user_id)))


def entries() -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)))


def test_capture_then_query_by_epc_and_time(client):
    _, supplier, _, _ = awarded_order()
    headers = headers_of(supplier)
    captured = client.post(
        "/api/v1/epcis/capture",
        data=OBJECT_EVENTS,
        headers={**headers, "Content-Type": "application/ld+json"},
    )
    assert captured.status_code == 202, captured.json
    assert captured.json["eventCount"] == captured.json["newEventCount"] == 2
    location = captured.headers["Location"]
    assert client.get(location, headers=headers).json["captureID"] == captured.json["captureID"]
    # the same document again stores nothing new
    again = client.post("/api/v1/epcis/capture", data=OBJECT_EVENTS, headers=headers)
    assert again.json["newEventCount"] == 0
    epc = json.loads(OBJECT_EVENTS)["epcisBody"]["eventList"][0]["epcList"][0]
    found = client.get(f"/api/v1/epcis/events?MATCH_anyEPC={epc}", headers=headers).json
    assert len(found["items"]) == 1 and found["items"][0]["body"]["epcList"][0] == epc
    assert found["items"][0]["hash_id"].startswith("ni:///sha-256;")
    assert found["items"][0]["anchoring"]["status"] == "unbatched"
    shipping = client.get("/api/v1/epcis/events?EQ_bizStep=shipping", headers=headers).json
    assert {item["biz_step"] for item in shipping["items"]} == {"shipping"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"type": "EPCISDocument"}',
        b"[" * 100_000 + b"]" * 100_000,  # deep nesting, after the EVM raised the limit
    ],
)
def test_bad_documents_are_refused_and_store_nothing(client, body):
    _, supplier, _, _ = awarded_order()
    services.ledger_chain()  # imports the EVM, which raises Python's recursion limit
    response = client.post("/api/v1/epcis/capture", data=body, headers=headers_of(supplier))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert entries() == 0


def test_events_for_an_order_the_caller_is_not_part_of_are_refused(client):
    _, _, order, _ = awarded_order()
    stranger = awarded_order()[1]  # a supplier of another order
    document = json.loads(OBJECT_EVENTS)
    document["epcisBody"]["eventList"][1]["bizTransactionList"] = [
        {"type": "po", "bizTransaction": f"urn:sharefab:order:{order.id}"}
    ]
    response = client.post(
        "/api/v1/epcis/capture", data=json.dumps(document), headers=headers_of(stranger)
    )
    assert response.status_code == 403
    assert "/epcisBody/eventList/1/bizTransactionList/0/bizTransaction" in response.get_data(
        as_text=True
    )
    assert entries() == 0


def test_a_proof_from_the_api_checks_out_on_the_public_endpoint(client):
    buyer, supplier, _, _ = awarded_order()
    run_ledger_messages()
    entry_id = db.session.scalar(select(LedgerEntry.id))
    assert (
        client.get(
            f"/api/v1/ledger/entries/{entry_id}/proof", headers=headers_of(buyer)
        ).status_code
        == 409
    )  # not anchored yet
    services.seal_due_batches(size=1000, max_age=timedelta(0))
    services.anchor_batches(services.ledger_chain(), confirmations=1)
    services.anchor_batches(services.ledger_chain(), confirmations=1)
    proof = client.get(f"/api/v1/ledger/entries/{entry_id}/proof", headers=headers_of(supplier))
    assert proof.status_code == 200 and proof.json["tampered"] is False
    checked = client.post("/api/v1/ledger/verify", json=proof.json)
    assert checked.json == {
        "verified": True,
        "entry_matches_leaf": True,
        "proof_reaches_root": True,
        "root_on_chain": True,
        "chain_note": "",
    }
    forged = {**proof.json, "entry": {**proof.json["entry"], "body": {"type": "forged"}}}
    assert client.post("/api/v1/ledger/verify", json=forged).json["verified"] is False
    assert client.post("/api/v1/ledger/verify", json={"leaf": 1}).status_code == 422
    outsider = awarded_order()[1]
    assert (
        client.get(
            f"/api/v1/ledger/entries/{entry_id}/proof", headers=headers_of(outsider)
        ).status_code
        == 404
    )


def test_numbers_beyond_reason_are_bad_input_not_errors(client):
    _, supplier, _, _ = awarded_order()
    document = json.loads(OBJECT_EVENTS)
    document["epcisBody"]["eventList"][0]["bizTransactionList"] = [
        {"type": "po", "bizTransaction": "urn:sharefab:order:99999999999999999999"}
    ]
    response = client.post(
        "/api/v1/epcis/capture", data=json.dumps(document), headers=headers_of(supplier)
    )
    assert response.status_code == 403
    assert response.json["errors"][0]["pointer"] == (
        "/epcisBody/eventList/0/bizTransactionList/0/bizTransaction"
    )
    huge = '{"entry": {"body": {"a": ' + "9" * 5000 + "}}}"
    answer = client.post("/api/v1/ledger/verify", data=huge, content_type="application/json")
    assert answer.status_code == 400
    assert entries() == 0
