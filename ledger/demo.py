"""Demo data of the ledger: the seeded orders' lifecycle recorded, sealed and anchored.

The marketplace seeder replays real service calls, which leave `ledger.package_event` messages in
the outbox; here they are worked off as the worker would (and marked dispatched, so the relay does
not hand them over again), then every entry is sealed into batches and anchored on the configured
chain, so the seeded orders show confirmed entries with proofs that verify.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import func, select

from core.db import db, utcnow
from core.outbox import OutboxMessage
from ledger import services
from ledger.models import LedgerBatch, LedgerEntry
from ledger.tasks import package_event


def seed_ledger() -> None:
    """Record the seeded packages' moves, seal them into batches and anchor the batches."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.task_name == "ledger.package_event",
            OutboxMessage.dispatched_at.is_(None),
        )
        .order_by(OutboxMessage.id)
    ).all()
    for message in messages:
        package_event(**message.payload)
        message.dispatched_at = utcnow()
    db.session.commit()
    config = current_app.config
    sealed = services.seal_due_batches(size=config["LEDGER_BATCH_SIZE"], max_age=timedelta(0))
    chain = services.ledger_chain()
    services.anchor_batches(chain, confirmations=config["LEDGER_CONFIRMATIONS"])
    services.anchor_batches(chain, confirmations=config["LEDGER_CONFIRMATIONS"])
    entries = db.session.scalar(select(func.count(LedgerEntry.id)))
    confirmed = db.session.scalar(
        select(func.count(LedgerBatch.number)).where(LedgerBatch.status == "confirmed")
    )
    click.echo(
        f"ledger: {entries} entries from {len(messages)} package moves, "
        f"{len(sealed)} batches sealed, {confirmed} confirmed on chain {chain.chain_id}"
    )

