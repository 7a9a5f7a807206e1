"""Celery tasks of the ledger: thin wrappers around its services."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from ledger import services
from ledger.adapters.chain import ChainError

log = logging.getLogger(__name__)


@shared_task(name="ledger.package_event")
def package_event(
    package_id: int,
    order_id: int,
    buyer_company_id: int,
    supplier_company_id: int,
    status: str,
    quantity: int,
    at: str,
    quality_passed: bool | None = None,
) -> int:
    """A work package moved in the marketplace: record it (once)."""
    return services.record_package_event(
        package_id=package_id,
        order_id=order_id,
        buyer_company_id=buyer_company_id,
        supplier_company_id=supplier_company_id,
        status=status,
        quantity=quantity,
        at=at,
        quality_passed=quality_passed,
    )


@shared_task(name="ledger.anchor")
def anchor() -> None:
    """Seal the batches that are due, anchor the pending ones, confirm the submitted ones."""
    config = current_app.config
    services.seal_due_batches(
        size=config["LEDGER_BATCH_SIZE"], max_age=timedelta(seconds=config["LEDGER_BATCH_SECONDS"])
    )
    try:
        chain = services.ledger_chain()
    except ChainError as error:  # a node that is down: the next run tries again
        log.warning("ledger chain unavailable, anchoring later: %s", error)
        return
    services.anchor_batches(chain, confirmations=config["LEDGER_CONFIRMATIONS"])
