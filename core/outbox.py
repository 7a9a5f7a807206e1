"""Transactional outbox: work for other processes is written in the same transaction as the change.

A relay hands pending rows to Celery with the row's id as the task id; the task side records that
id under a unique key in the same transaction as its own work. Publishing is at-least-once (a relay
crash after publishing and before marking re-publishes the row), processing is exactly-once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any, cast

from celery import Celery
from sqlalchemy import JSON, BigInteger, Integer, String, delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, DbSession, UTCDateTime, db, utcnow

log = logging.getLogger(__name__)

MESSAGE_ID_PREFIX = "outbox-"

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big integers are plain integers there.
BigId = BigInteger().with_variant(Integer, "sqlite")


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def message_id(self) -> str:
        return f"{MESSAGE_ID_PREFIX}{self.id}"


class ProcessedMessage(Base):
    """A message a task has fully processed; its unique key is what makes delivery exactly-once."""

    __tablename__ = "processed_message"

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    task_name: Mapped[str] = mapped_column(String(200))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def enqueue(session: DbSession, task_name: str, **kwargs: Any) -> OutboxMessage:
    """Add a message for `task_name(**kwargs)` to the caller's transaction (committed by it)."""
    message = OutboxMessage(task_name=task_name, payload=kwargs)
    session.add(message)
    return message


def relay_pending(celery: Celery, batch_size: int = 100) -> int:
    """Publish up to `batch_size` pending messages in id order; return how many were published."""
    session = db.session
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.dispatched_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several relays may run; each row is claimed by exactly one of them.
        statement = statement.with_for_update(skip_locked=True)
    try:
        messages = list(session.scalars(statement))
        for message in messages:
            celery.send_task(message.task_name, kwargs=message.payload, task_id=message.message_id)
            message.dispatched_at = utcnow()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(messages)


def run_relay(celery: Celery, *, poll_seconds: float, batch_size: int, stop: Any = None) -> None:
    """Relay forever (or until `stop()` is true), sleeping only when nothing is pending."""
    while stop is None or not stop():
        try:
            published = relay_pending(celery, batch_size)
        except Exception:  # a broker or database hiccup must not kill the relay
            log.exception("outbox relay failed; retrying")
            published = 0
            time.sleep(min(5.0, poll_seconds * 4))
        finally:
            db.session.remove()
        if published < batch_size:
            time.sleep(poll_seconds)


def claim_message(session: DbSession, message_id: str, task_name: str) -> bool:
    """Record that `message_id` is being processed in the open transaction.

    Returns False when it was already processed, in which case the caller must skip its work.
    """
    if session.get(ProcessedMessage, message_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedMessage(message_id=message_id, task_name=task_name))
    except IntegrityError:
        return False  # a concurrent delivery of the same message got there first
    return True


def purge_before(session: DbSession, cutoff: datetime) -> int:
    """Delete dispatched messages and processed markers older than `cutoff`; return rows removed."""
    removed = 0
    for statement in (
        delete(OutboxMessage).where(OutboxMessage.dispatched_at < cutoff),
        delete(ProcessedMessage).where(ProcessedMessage.processed_at < cutoff),
    ):
        removed += cast(CursorResult, session.execute(statement)).rowcount
    return removed


def retention_cutoff(days: int) -> datetime:
    return utcnow() - timedelta(days=days)
