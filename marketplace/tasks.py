"""Celery tasks of the marketplace: thin wrappers that call services by id."""

from __future__ import annotations

import smtplib

from celery import shared_task

from core.celery_app import RetryableError
from marketplace.services import email_invitation
from marketplace.services.packages import recompute_scorecard_of_package


@shared_task(name="marketplace.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    """Email an invitation link when mail is configured; return whether a mail went out."""
    try:
        return email_invitation(invitation_id)
    except (OSError, smtplib.SMTPException) as error:
        raise RetryableError(str(error)) from error


@shared_task(name="marketplace.package_changed")
def package_changed(package_id: int, status: str) -> None:
    """A package moved (or was reviewed): its supplier's scorecard is rebuilt from history."""
    recompute_scorecard_of_package(package_id)
