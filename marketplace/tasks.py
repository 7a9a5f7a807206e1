"""Celery tasks of the marketplace: thin wrappers that call services by id."""

from __future__ import annotations

import smtplib

from celery import shared_task

from core.celery_app import RetryableError
from marketplace.services import email_invitation


@shared_task(name="marketplace.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    """Email an invitation link when mail is configured; return whether a mail went out."""
    try:
        return email_invitation(invitation_id)
    except (OSError, smtplib.SMTPException) as error:
        raise RetryableError(str(error)) from error
