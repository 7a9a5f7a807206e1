"""Use cases of the ledger: capture and query EPCIS events, record lifecycle facts, seal batches,
anchor them on the chain, and prove an entry.

The ledger reads no other context's tables. Who may see an order's events is asked of an
`OrderDirectory` the application wires in (`set_order_directory`); lifecycle facts arrive as plain
values in outbox messages (`ledger.package_event`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import MAX_ID, db, utcnow
from core.errors import DomainError, PermissionDenied
from core.translatable import N_
from core.unit_of_work import unit_of_work
from ledger.adapters.chain import (
    AnchorConflict,
    AnchorRejected,
    Chain,
    ChainError,
    ChainUnavailable,
    ContractNotFound,
    open_chain,
)
from ledger.domain import (
    BatchStatus,
    EntryKind,
    EntryNotFound,
    NotAnchoredYet,
    check_batch_transition,
    record_hash_id,
)
from ledger.epcis import CapturedEvent, EpcisReferenceUnavailable, EpcisValidator
from ledger.event_hash import event_hash_id, event_hash_ids
from ledger.merkle import (
    LEDGER_LEAF_ENCODING,
    LeafNotInTree,
    MalformedTree,
    StandardMerkleTree,
    entry_leaf,
    leaf_hash,
)
from ledger.models import (
    LedgerBatch,
    LedgerCapture,
    LedgerEntry,
    LedgerEntryParty,
    LedgerIdentifier,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

ORDER_URN = "urn:sharefab:order:"
PACKAGE_URN = "urn:sharefab:package:"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# A submitted anchor with no receipt after this long was dropped by the node: send it again.
RESUBMIT_AFTER = timedelta(minutes=10)


class OrderDirectory(Protocol):
    def parties(self, order_id: int) -> frozenset[int] | None:
        """The companies taking part in the order (buyer, suppliers), None if there is none."""
        ...


def set_order_directory(app: Flask, directory: OrderDirectory) -> None:
    app.extensions["ledger_order_directory"] = directory


def _order_directory() -> OrderDirectory:
    return current_app.extensions["ledger_order_directory"]


class EpcisUnavailable(DomainError):
    status = 503
    code = "epcis-unavailable"
    message = N_("EPCIS capture is not available: the EPCIS schema and contexts are not installed.")


class NotPartyToOrder(PermissionDenied):
    code = "not-party-to-order"
    message = N_("Events can only be captured for orders your company takes part in.")


def epcis_validator() -> EpcisValidator:
    """The validator for the configured reference files, built once per application.

    Raises:
        EpcisUnavailable when the official schema and contexts cannot be read.
    """
    validator = current_app.extensions.get("epcis_validator")
    if validator is None:
        try:
            validator = EpcisValidator.from_directory(current_app.config["EPCIS_REFERENCE_DIR"])
        except EpcisReferenceUnavailable as error:
            log.error("EPCIS reference files unavailable: %s", error)
            raise EpcisUnavailable() from error
        current_app.extensions["epcis_validator"] = validator
    return validator


# --- Capture and query ---------------------------------------------------------------------------


def order_of(event: CapturedEvent) -> tuple[int | None, str]:
    """The platform order an event belongs to (a `po` business transaction naming it)."""
    for position, transaction in enumerate(event.biz_transactions):
        if transaction.value.startswith(ORDER_URN):
            number = transaction.value.removeprefix(ORDER_URN)
            if number.isdigit():
                # A field name for problem+json, which turns it into a JSON pointer.
                pointer = f"{event.pointer}/bizTransactionList/{position}/bizTransaction"
                return int(number), pointer.lstrip("/").replace("/", ".")
    return None, ""


@dataclass(frozen=True)
class PreparedEntry:
    hash_id: str
    kind: EntryKind
    body: dict[str, Any]
    event_type: str
    event_time: datetime
    biz_step: str | None
    disposition: str | None
    order_ref: int | None
    package_ref: int | None
    owner_company_id: int | None
    parties: frozenset[int]
    identifiers: frozenset[str]


def capture(company_id: int, body: bytes) -> LedgerCapture:
    """Validate an EPCIS document and store its events once each (the event hash dedups).

    Raises:
        EpcisDocumentInvalid / EpcisDocumentTooLarge; EpcisUnavailable; NotPartyToOrder when an
        event names an order the company does not take part in. Nothing is stored then.
    """
    captured = epcis_validator().validate_body(body)
    hash_ids = event_hash_ids(captured.document)
    directory = _order_directory()
    prepared = []
    for event, hash_id in zip(captured.events, hash_ids, strict=True):
        order_ref, pointer = order_of(event)
        parties = {company_id}
        if order_ref is not None:
            order_parties = directory.parties(order_ref) if order_ref <= MAX_ID else None
            if order_parties is None or company_id not in order_parties:
                raise NotPartyToOrder(field=pointer)
            parties |= order_parties
        prepared.append(
            PreparedEntry(
                hash_id=hash_id,
                kind=EntryKind.EPCIS_EVENT,
                body=event.standalone(),
                event_type=event.event_type.value,
                event_time=event.event_time,
                biz_step=event.biz_step,
                disposition=event.disposition,
                order_ref=order_ref,
                package_ref=None,
                owner_company_id=company_id,
                parties=frozenset(parties),
                identifiers=event.mentioned,
            )
        )

    def write() -> LedgerCapture:
        new = store_entries(prepared)
        receipt = LedgerCapture(company_id=company_id, event_count=len(prepared), new_count=new)
        db.session.add(receipt)
        return receipt

    return _committed(write)


def _committed(write: Callable[[], T]) -> T:
    """Run `write` in a unit of work; once more if a concurrent writer took one of its unique
    event hashes first (the second run finds those entries and skips them)."""
    try:
        with unit_of_work():
            return write()
    except IntegrityError:
        with unit_of_work():
            return write()


def store_entries(prepared: Sequence[PreparedEntry]) -> int:
    """Add the entries not in the ledger yet to the session; return how many."""
    wanted = {entry.hash_id for entry in prepared}
    known = set(
        db.session.scalars(select(LedgerEntry.hash_id).where(LedgerEntry.hash_id.in_(wanted)))
    )
    new = 0
    for entry in prepared:
        if entry.hash_id in known:
            continue
        known.add(entry.hash_id)
        new += 1
        db.session.add(
            LedgerEntry(
                kind=entry.kind,
                hash_id=entry.hash_id,
                owner_company_id=entry.owner_company_id,
                order_ref=entry.order_ref,
                package_ref=entry.package_ref,
                event_type=entry.event_type,
                event_time=entry.event_time,
                biz_step=entry.biz_step,
                disposition=entry.disposition,
                body=entry.body,
                parties=[LedgerEntryParty(company_id=c) for c in sorted(entry.parties)],
                identifiers=[
                    LedgerIdentifier(identifier=value[:400]) for value in sorted(entry.identifiers)
                ],
            )
        )
    return new


def get_capture(company_id: int, capture_id: int) -> LedgerCapture:
    """Raises:
    EntryNotFound for another company's capture or none."""
    receipt = db.session.get(LedgerCapture, capture_id)
    if receipt is None or receipt.company_id != company_id:
        raise EntryNotFound()
    return receipt


@dataclass(frozen=True)
class EventQuery:
    identifier: str | None = None
    event_type: str | None = None
    biz_step: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    order_ref: int | None = None


def query_entries(
    company_id: int, query: EventQuery, *, after_id: int | None, limit: int
) -> list[LedgerEntry]:
    """The entries the company may see that match, oldest event first (then by id)."""
    statement = (
        select(LedgerEntry)
        .join(LedgerEntryParty, LedgerEntryParty.entry_id == LedgerEntry.id)
        .where(LedgerEntryParty.company_id == company_id)
    )
    if query.identifier:
        statement = statement.where(
            LedgerEntry.id.in_(
                select(LedgerIdentifier.entry_id).where(
                    LedgerIdentifier.identifier == query.identifier
                )
            )
        )
    if query.event_type:
        statement = statement.where(LedgerEntry.event_type == query.event_type)
    if query.biz_step:
        statement = statement.where(LedgerEntry.biz_step == query.biz_step)
    if query.since:
        statement = statement.where(LedgerEntry.event_time >= query.since)
    if query.until:
        statement = statement.where(LedgerEntry.event_time < query.until)
    if query.order_ref is not None:
        statement = statement.where(LedgerEntry.order_ref == query.order_ref)
    if after_id is not None:
        statement = statement.where(LedgerEntry.id > after_id)
    return list(db.session.scalars(statement.order_by(LedgerEntry.id).limit(limit)))


def entries_of_order(order_id: int) -> list[LedgerEntry]:
    """Every entry of an order, in event time order (the caller checks it may see the order)."""
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.order_ref == order_id)
            .order_by(LedgerEntry.event_time, LedgerEntry.id)
        )
    )


# --- Lifecycle facts ----------------------------------------------------------------------------

# Package moves that EPCIS describes: (bizStep, disposition) of an ObjectEvent on the package.
PACKAGE_EVENTS = {
    "in_production": ("commissioning", "active"),
    "shipped": ("shipping", "in_transit"),
    "delivered": ("receiving", "in_progress"),
    "accepted_by_buyer": ("accepting", "in_progress"),
}
# The others become records.
PACKAGE_RECORDS = {
    "awarded": "package_awarded",
    "disputed": "package_disputed",
    "resolved": "dispute_resolved",
    "cancelled": "package_cancelled",
}


def record_package_event(
    *,
    package_id: int,
    order_id: int,
    buyer_company_id: int,
    supplier_company_id: int,
    status: str,
    quantity: int,
    at: str,
    quality_passed: bool | None = None,
) -> int:
    """Record a work package's move in the ledger; a replayed message adds nothing.

    Returns how many entries were added.
    """
    moment = datetime.fromisoformat(at)
    parties = frozenset({buyer_company_id, supplier_company_id})
    entries = []
    if quality_passed is not None:  # leaving quality check: the inspection and its result
        disposition = "conformant" if quality_passed else "non_conformant"
        entries.append(
            _package_event(package_id, order_id, quantity, moment, "inspecting", disposition)
        )
    if status in PACKAGE_EVENTS and not (status == "in_production" and quality_passed is False):
        biz_step, disposition = PACKAGE_EVENTS[status]
        entries.append(
            _package_event(package_id, order_id, quantity, moment, biz_step, disposition)
        )
    elif status in PACKAGE_RECORDS:
        record = {
            "type": PACKAGE_RECORDS[status],
            "order": f"{ORDER_URN}{order_id}",
            "package": f"{PACKAGE_URN}{package_id}",
            "quantity": quantity,
            "at": moment.isoformat(),
        }
        entries.append(_record_entry(record, moment))
    prepared = [
        PreparedEntry(
            **entry,
            order_ref=order_id,
            package_ref=package_id,
            owner_company_id=None,
            parties=parties,
        )
        for entry in entries
    ]
    return _committed(lambda: store_entries(prepared))


def _package_event(
    package_id: int,
    order_id: int,
    quantity: int,
    moment: datetime,
    biz_step: str,
    disposition: str,
) -> dict[str, Any]:
    event = {
        "type": "ObjectEvent",
        "eventTime": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"{PACKAGE_URN}{package_id}"],
        "action": "OBSERVE",
        "bizStep": biz_step,
        "disposition": disposition,
        "bizTransactionList": [{"type": "po", "bizTransaction": f"{ORDER_URN}{order_id}"}],
    }
    body = {"@context": [EPCIS_CONTEXT], **event}
    return {
        "hash_id": event_hash_id(event, [EPCIS_CONTEXT]),
        "kind": EntryKind.EPCIS_EVENT,
        "body": body,
        "event_type": "ObjectEvent",
        "event_time": moment,
        "biz_step": biz_step,
        "disposition": disposition,
        "identifiers": frozenset({f"{PACKAGE_URN}{package_id}", f"{ORDER_URN}{order_id}"}),
    }


def _record_entry(record: dict[str, Any], moment: datetime) -> dict[str, Any]:
    return {
        "hash_id": record_hash_id(record),
        "kind": EntryKind.RECORD,
        "body": record,
        "event_type": record["type"],
        "event_time": moment,
        "biz_step": None,
        "disposition": None,
        "identifiers": frozenset(v for k, v in record.items() if k in ("order", "package")),
    }


# --- Batches and anchoring -----------------------------------------------------------------------


def seal_due_batches(*, size: int, max_age: timedelta, now: datetime | None = None) -> list[int]:
    """Seal full batches, and a last partial one whose oldest entry has waited `max_age`.

    Returns the numbers of the batches sealed.
    """
    now = now or utcnow()
    sealed: list[int] = []
    while True:
        with unit_of_work() as session:
            entries = list(
                session.scalars(
                    select(LedgerEntry)
                    .where(LedgerEntry.batch_number.is_(None))
                    .order_by(LedgerEntry.id)
                    .limit(size)
                )
            )
            if not entries or (len(entries) < size and entries[0].recorded_at > now - max_age):
                return sealed
            # The contract takes batch numbers 1, 2, 3, ... in order.
            number = (session.scalar(select(func.max(LedgerBatch.number))) or 0) + 1
            tree = StandardMerkleTree.of(
                [entry_leaf(entry.body) for entry in entries], LEDGER_LEAF_ENCODING
            )
            session.add(
                LedgerBatch(
                    number=number,
                    status=BatchStatus.PENDING,
                    root=_hex(tree.root),
                    count=len(entries),
                    tree=tree.dump(),
                )
            )
            session.flush()
            for entry in entries:
                entry.batch_number = number
        sealed.append(number)


def ledger_chain() -> Chain:
    """The chain this process anchors on and reads from, opened once per application.

    Raises:
        ChainUnavailable / ContractNotFound.
    """
    chain = current_app.extensions.get("ledger_chain")
    if chain is None:
        config = current_app.config
        chain = open_chain(
            config["LEDGER_CHAIN_RPC_URL"],
            contract_address=config["LEDGER_CONTRACT_ADDRESS"],
            private_key=config["LEDGER_CHAIN_PRIVATE_KEY"],
            timeout=config["LEDGER_CHAIN_TIMEOUT_SECONDS"],
        )
        current_app.extensions["ledger_chain"] = chain
    if current_app.config["LEDGER_CHAIN_RPC_URL"] is None:
        _mirror_anchored_batches(chain)
    return chain


def _mirror_anchored_batches(chain: Chain) -> None:
    """Bring this process's in-process EVM up to the batches the database says are anchored.

    The embedded chain lives in each process's memory (the web server's, the worker's), so each
    replays the anchors it has not seen. It shows the mechanics without a node; it proves nothing
    the database does not say — tamper evidence needs a real node (LEDGER_CHAIN_RPC_URL).
    """
    anchored = chain.batches()
    for number, root, count in db.session.execute(
        select(LedgerBatch.number, LedgerBatch.root, LedgerBatch.count)
        .where(
            LedgerBatch.number > anchored,
            LedgerBatch.status.in_([BatchStatus.SUBMITTED, BatchStatus.CONFIRMED]),
        )
        .order_by(LedgerBatch.number)
    ):
        chain.anchor(number, bytes.fromhex(root[2:]), count)


def anchor_batches(chain: Chain, *, confirmations: int) -> None:
    """Send pending batches to the chain in order, and confirm the submitted ones.

    A node that is down leaves everything as it was, to be tried at the next run; a refusal by
    the contract stops anchoring until a person looks (logged as an error).
    """
    for number in _batch_numbers(BatchStatus.PENDING):
        with unit_of_work() as session:
            batch = session.get(LedgerBatch, number)
            if batch is None or batch.status is not BatchStatus.PENDING:
                continue
            batch.attempts += 1
            try:
                tx_hash = chain.anchor(number, bytes.fromhex(batch.root[2:]), batch.count)
            except ChainUnavailable as error:
                batch.last_error = f"node unavailable: {error}"[:2000]
                return
            except (AnchorRejected, AnchorConflict, ContractNotFound) as error:
                batch.last_error = f"{type(error).__name__}: {error}"[:2000]
                log.error("batch %s cannot be anchored: %s", number, error)
                return
            check_batch_transition(batch.status, BatchStatus.SUBMITTED)
            batch.status = BatchStatus.SUBMITTED
            batch.tx_hash = tx_hash
            batch.chain_id = chain.chain_id
            batch.contract_address = chain.contract_address
            batch.submitted_at = utcnow()
            batch.last_error = None
    for number in _batch_numbers(BatchStatus.SUBMITTED):
        with unit_of_work() as session:
            batch = session.get(LedgerBatch, number)
            if batch is None or batch.status is not BatchStatus.SUBMITTED or not batch.tx_hash:
                continue
            try:
                _confirm(batch, chain, confirmations)
            except ChainError as error:
                batch.last_error = f"{type(error).__name__}: {error}"[:2000]
                return


def _confirm(batch: LedgerBatch, chain: Chain, confirmations: int) -> None:
    receipt = chain.receipt(batch.tx_hash or "")
    if receipt is None:
        if batch.submitted_at and utcnow() - batch.submitted_at > RESUBMIT_AFTER:
            check_batch_transition(batch.status, BatchStatus.PENDING)
            batch.status = BatchStatus.PENDING  # the adapter resends the same transaction
        return
    if not receipt.succeeded:
        check_batch_transition(batch.status, BatchStatus.PENDING)
        batch.status = BatchStatus.PENDING
        batch.last_error = f"anchoring transaction {receipt.tx_hash} reverted"
        return
    batch.block_number = receipt.block_number
    batch.confirmations = chain.confirmations(receipt.tx_hash)
    if batch.confirmations >= confirmations:
        check_batch_transition(batch.status, BatchStatus.CONFIRMED)
        batch.status = BatchStatus.CONFIRMED
        batch.confirmed_at = utcnow()


def _batch_numbers(status: BatchStatus) -> list[int]:
    return list(
        db.session.scalars(
            select(LedgerBatch.number)
            .where(LedgerBatch.status == status)
            .order_by(LedgerBatch.number)
        )
    )


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


# --- Proofs ------------------------------------------------------------------------------------


def visible_entry(company_id: int | None, entry_id: int) -> LedgerEntry:
    """The entry, if the company is one of its parties (operators pass None: all entries).

    Raises:
        EntryNotFound.
    """
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise EntryNotFound()
    if company_id is not None and company_id not in {p.company_id for p in entry.parties}:
        raise EntryNotFound()
    return entry


def proof_of(entry: LedgerEntry) -> dict[str, Any]:
    """Everything needed to check the entry without trusting the platform.

    `tampered` is true when the entry as stored no longer matches the leaf its batch committed
    to: someone changed it after it was sealed.

    Raises:
        NotAnchoredYet while the entry waits for its batch.
    """
    batch = entry.batch
    if batch is None:
        raise NotAnchoredYet()
    tree = StandardMerkleTree.load(batch.tree)
    try:
        value = entry_leaf(entry.body)
    except ValueError:  # no longer even canonical JSON: it cannot be the entry that was sealed
        value = (b"\0" * 32,)
    try:
        proof = [_hex(node) for node in tree.proof(tree.leaf_index(value))]
        tampered = False
    except LeafNotInTree:
        proof, tampered = [], True
    return {
        "entry": {"id": entry.id, "hash_id": entry.hash_id, "body": entry.body},
        "leaf_encoding": list(LEDGER_LEAF_ENCODING),
        "value": [_hex(value[0])],
        "leaf": _hex(leaf_hash(LEDGER_LEAF_ENCODING, value)),
        "proof": proof,
        "root": batch.root,
        "tampered": tampered,
        "batch": {"number": batch.number, "count": batch.count, "status": batch.status.value},
        "chain": {
            "chain_id": batch.chain_id,
            "contract_address": batch.contract_address,
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
            "confirmations": batch.confirmations,
        },
    }


def tampered_entry_ids(
    entries: Iterable[LedgerEntry], batches: Mapping[int, LedgerBatch]
) -> set[int]:
    """Ids of the entries that no longer match the leaf their batch committed to.

    The test of `proof_of`, for many entries, with each batch's tree loaded once.
    """
    trees: dict[int, StandardMerkleTree | None] = {}
    tampered = set()
    for entry in entries:
        number = entry.batch_number
        if number is None or number not in batches:
            continue
        if number not in trees:
            try:
                trees[number] = StandardMerkleTree.load(batches[number].tree)
            except MalformedTree:
                log.error("ledger batch %s holds a malformed tree", number)
                trees[number] = None
        tree = trees[number]
        try:
            if tree is None:
                raise LeafNotInTree("the batch's tree is unreadable")
            tree.leaf_index(entry_leaf(entry.body))
        except (LeafNotInTree, ValueError):  # ValueError: no longer even canonical JSON
            tampered.add(entry.id)
    return tampered


def batches_of(entries: Iterable[LedgerEntry]) -> dict[int, LedgerBatch]:
    numbers = {entry.batch_number for entry in entries if entry.batch_number is not None}
    if not numbers:
        return {}
    return {
        batch.number: batch
        for batch in db.session.scalars(select(LedgerBatch).where(LedgerBatch.number.in_(numbers)))
    }
