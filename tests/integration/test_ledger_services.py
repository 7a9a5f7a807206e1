"""The ledger end to end on the database and the in-process EVM: capture, lifecycle facts,
batches anchored and confirmed, proofs that verify, and tampering that shows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.db import db
from core.outbox import OutboxMessage
from ledger import services
from ledger.domain import BatchStatus, EntryKind
from ledger.epcis import EpcisDocumentInvalid
from ledger.models import LedgerBatch, LedgerEntry
from ledger.tasks import package_event
from ledger.verification import verify_proof_document
from marketplace.lifecycle import PackageStatus
from marketplace.services import orders, packages
from marketplace.services.orders import Allocation
from tests.integration.marketplace_world import (
    buyer_with_order,
    quote,
    supplier_with_capacity,
)
from tests.support import EXTERNAL

EXAMPLES = EXTERNAL / "gs1-epcis" / "examples"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def awarded_order():
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order()
    offer = quote(supplier, listing, order)
    (package,) = orders.award_order(buyer, order.id, [Allocation(offer.id, order.quantity)])
    return buyer, supplier, order, package


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


def test_a_captured_document_is_stored_once_per_event():
    supplier, _ = supplier_with_capacity()
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    first = services.capture(supplier.company_id, document)
    again = services.capture(supplier.company_id, document)
    assert first.new_count == first.event_count == again.event_count > 0
    assert again.new_count == 0
    stored = db.session.scalars(select(LedgerEntry)).all()
    assert len(stored) == first.event_count
    assert all(e.hash_id.startswith("ni:///sha-256;") for e in stored)


def test_an_invalid_document_stores_nothing():
    supplier, _ = supplier_with_capacity()
    with pytest.raises(EpcisDocumentInvalid):
        services.capture(supplier.company_id, b'{"type": "EPCISDocument"}')
    assert db.session.scalar(select(LedgerEntry.id)) is None


def test_events_of_another_companys_order_are_refused():
    _, _, order, _ = awarded_order()
    stranger, _ = supplier_with_capacity()
    document = json.loads(example("Example_9.6.1-ObjectEvent.jsonld"))
    document["epcisBody"]["eventList"][0]["bizTransactionList"] = [
        {"type": "po", "bizTransaction": f"urn:sharefab:order:{order.id}"}
    ]
    with pytest.raises(services.NotPartyToOrder) as refused:
        services.capture(stranger.company_id, json.dumps(document).encode())
    assert refused.value.field == "epcisBody.eventList.0.bizTransactionList.0.bizTransaction"
    assert db.session.scalar(select(LedgerEntry.id)) is None


def test_package_moves_become_entries_anchored_with_proofs_that_verify():
    # Given an awarded package that goes through production, inspection and shipping
    buyer, supplier, order, package = awarded_order()
    for target in (PackageStatus.IN_PRODUCTION, PackageStatus.QUALITY_CHECK):
        packages.transition_package(supplier, package.id, target)
    packages.transition_package(supplier, package.id, PackageStatus.SHIPPED, quality_passed=True)
    assert run_ledger_messages() == 4  # award, production, inspection, shipping
    assert run_ledger_messages() == 0  # replayed messages add nothing
    entries = services.entries_of_order(order.id)
    assert [(e.kind, e.biz_step or e.event_type, e.disposition) for e in entries] == [
        (EntryKind.RECORD, "package_awarded", None),
        (EntryKind.EPCIS_EVENT, "commissioning", "active"),
        (EntryKind.EPCIS_EVENT, "inspecting", "conformant"),
        (EntryKind.EPCIS_EVENT, "shipping", "in_transit"),
    ]
    # When the batch is sealed (its period over) and anchored on the embedded chain
    assert services.seal_due_batches(size=1000, max_age=timedelta(0)) == [1]
    chain = services.ledger_chain()
    services.anchor_batches(chain, confirmations=1)
    services.anchor_batches(chain, confirmations=1)
    batch = db.session.get(LedgerBatch, 1)
    assert (batch.status, batch.count) == (BatchStatus.CONFIRMED, 4)
    # Then every entry's proof verifies up to the chain, for both companies
    for entry in entries:
        proof = services.proof_of(services.visible_entry(buyer.company_id, entry.id))
        assert proof["tampered"] is False
        assert verify_proof_document(proof, chain.root_of).verified
    # And an entry altered in the database shows as tampered and no longer verifies
    shipped = entries[-1]
    altered = {**shipped.body, "disposition": "destroyed"}
    db.session.execute(update(LedgerEntry).where(LedgerEntry.id == shipped.id).values(body=altered))
    db.session.commit()
    db.session.expire_all()
    proof = services.proof_of(services.visible_entry(supplier.company_id, shipped.id))
    assert proof["tampered"] is True
    assert not verify_proof_document(proof, chain.root_of).verified


def test_a_stranger_cannot_read_an_orders_entries():
    awarded_order()
    run_ledger_messages()
    stranger, _ = supplier_with_capacity()
    entry = db.session.scalars(select(LedgerEntry)).first()
    with pytest.raises(services.EntryNotFound):
        services.visible_entry(stranger.company_id, entry.id)
