"""The ledger's rules: kinds of entries, the anchoring state machine, records, errors. Pure.

Two kinds of entries share one ledger: EPCIS 2.0 events (captured by companies or derived from the
marketplace's lifecycle) and records, canonical JSON facts where EPCIS does not fit (money held in
escrow, a dispute opened). Entries are sealed into numbered batches; a batch's Merkle root is
anchored on the chain: pending → submitted → confirmed. A submission that fails or is dropped goes
back to pending and is tried again; the contract refuses a batch number twice, so a retry can never
anchor a batch twice.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from core.errors import Conflict, NotFound
from core.translatable import N_
from ledger.merkle import canonical_json


class EntryKind(StrEnum):
    EPCIS_EVENT = "epcis_event"
    RECORD = "record"


class BatchStatus(StrEnum):
    PENDING = "pending"  # sealed, root known, not (yet) sent to the chain
    SUBMITTED = "submitted"  # anchoring transaction sent, waiting for confirmations
    CONFIRMED = "confirmed"  # enough blocks on top of the anchoring transaction


BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.PENDING: frozenset({BatchStatus.SUBMITTED, BatchStatus.CONFIRMED}),
    BatchStatus.SUBMITTED: frozenset({BatchStatus.CONFIRMED, BatchStatus.PENDING}),
    BatchStatus.CONFIRMED: frozenset(),
}


class InvalidBatchTransition(Conflict):
    code = "invalid-batch-transition"
    message = N_("A batch cannot go from %(current)s to %(target)s.")


def check_batch_transition(current: BatchStatus, target: BatchStatus) -> None:
    """Raises:
    InvalidBatchTransition when the state machine has no such move."""
    if target not in BATCH_TRANSITIONS[current]:
        raise InvalidBatchTransition(current=current.value, target=target.value)


RECORD_HASH_VERSION = "ShareFab1"


def record_hash_id(record: dict[str, Any]) -> str:
    """A record's dedup ID: the SHA-256 of its RFC 8785 form, shaped like an event hash ID."""
    digest = hashlib.sha256(canonical_json(record)).hexdigest()
    return f"ni:///sha-256;{digest}?ver={RECORD_HASH_VERSION}"


class EntryNotFound(NotFound):
    code = "entry-not-found"
    message = N_("There is no such ledger entry, or it is not yours to see.")


class NotAnchoredYet(Conflict):
    code = "not-anchored-yet"
    message = N_("This entry is not in an anchored batch yet; try again in a few minutes.")
