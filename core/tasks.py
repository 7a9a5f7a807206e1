"""Housekeeping tasks of the shared plumbing."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from core.db import db
from core.outbox import purge_before, retention_cutoff


@shared_task(name="core.purge_outbox")
def purge_outbox() -> int:
    """Delete outbox rows and processed markers past the retention period."""
    days = current_app.config["OUTBOX_RETENTION_DAYS"]
    return purge_before(db.session, retention_cutoff(days))
