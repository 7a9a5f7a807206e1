"""The ledger's tables: entries (EPCIS events and records), their parties and identifiers, batches.

An entry is never updated once written, except to be put in a batch; what it says is its `body`,
whose RFC 8785 canonical form the batch's Merkle leaf commits to. Orders, packages and companies are
referred to by id only (no foreign keys): the ledger keeps its facts whatever happens to the rows
they speak of, and imports no other context.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, StrEnumType, UTCDateTime, utcnow
from ledger.domain import BatchStatus, EntryKind

BigId = BigInteger().with_variant(Integer, "sqlite")


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_order_time", "order_ref", "event_time"),
        Index("ix_ledger_entry_unbatched", "batch_number", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(StrEnumType(EntryKind, 20))
    # The GS1 event hash ID of an EPCIS event, or the digest ID of a record: the dedup key.
    hash_id: Mapped[str] = mapped_column(String(120), unique=True)
    owner_company_id: Mapped[int | None] = mapped_column(Integer, index=True)
    order_ref: Mapped[int | None] = mapped_column(Integer)
    package_ref: Mapped[int | None] = mapped_column(Integer, index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    biz_step: Mapped[str | None] = mapped_column(String(200))
    disposition: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    batch_number: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_batch.number", ondelete="RESTRICT")
    )

    batch: Mapped[LedgerBatch | None] = relationship(back_populates="entries")
    parties: Mapped[list[LedgerEntryParty]] = relationship(cascade="all, delete-orphan")
    identifiers: Mapped[list[LedgerIdentifier]] = relationship(cascade="all, delete-orphan")


class LedgerEntryParty(Base):
    """A company that may read an entry: its owner and the companies of its order."""

    __tablename__ = "ledger_entry_party"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_entry.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class LedgerIdentifier(Base):
    """An EPC, class or location an entry mentions, for queries by identifier."""

    __tablename__ = "ledger_identifier"

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_entry.id", ondelete="CASCADE"), primary_key=True
    )
    identifier: Mapped[str] = mapped_column(String(400), primary_key=True, index=True)


class LedgerBatch(Base):
    """A sealed set of entries whose Merkle root is (being) anchored on the chain."""

    __tablename__ = "ledger_batch"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[BatchStatus] = mapped_column(StrEnumType(BatchStatus, 20), index=True)
    root: Mapped[str] = mapped_column(String(66))  # 0x + 64 hex
    count: Mapped[int] = mapped_column(Integer)
    # The whole tree (OpenZeppelin's dump format), so proofs need no recomputation.
    tree: Mapped[dict[str, Any]] = mapped_column(JSON)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    chain_id: Mapped[int | None] = mapped_column(BigInteger)
    contract_address: Mapped[str | None] = mapped_column(String(42))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="batch")


class LedgerCapture(Base):
    """One accepted capture request (EPCIS REST binding: GET /capture/{id} tells its outcome)."""

    __tablename__ = "ledger_capture"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer)
    new_count: Mapped[int] = mapped_column(Integer)  # the others were already in the ledger
