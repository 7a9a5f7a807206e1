"""Celery tasks of the marketplace: thin wrappers that call services by id."""

from __future__ import annotations

import smtplib

from celery import shared_task

from core.celery_app import RetryableError
from marketplace.services import email_invitation
from marketplace.services.matching import refresh_affected_matches, refresh_matches
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
    """A package moved (or was reviewed): its supplier's scorecard is rebuilt from history; that
    has the matches its booked hours and its record take part in recomputed (company_changed)."""
    recompute_scorecard_of_package(package_id)


@shared_task(name="matching.order_changed")
def order_changed(order_id: int) -> None:
    """An order was published, awarded or cancelled: store its matches, or drop them."""
    refresh_matches(order_id)


@shared_task(name="matching.listing_changed")
def listing_changed(listing_id: int) -> None:
    refresh_affected_matches(listing_id=listing_id)


@shared_task(name="matching.machine_changed")
def machine_changed(machine_id: int) -> None:
    refresh_affected_matches(machine_id=machine_id)


@shared_task(name="matching.company_changed")
def company_changed(company_id: int) -> None:
    refresh_affected_matches(company_id=company_id)
