"""The outbox relay hands rows to a real Celery worker exactly once, on the configured broker."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

from app import create_app
from core.db import db
from core.outbox import OutboxMessage, ProcessedMessage, claim_message, relay_pending
from marketplace import services
from marketplace.models import Invitation
from tests.factories import UserFactory, principal_of
from tests.support import amqp_url, free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_inbox(app) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield inbox
    app.config["SMTP_URL"] = None
    controller.stop()


@pytest.fixture
def worker(app) -> Iterator[None]:
    celery = app.extensions["celery"]
    celery.control.purge()
    with start_worker(
        celery, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_invitation_mail_goes_out_once_even_when_published_twice(app, smtp_inbox, worker):
    owner = UserFactory()
    issued = services.invite_member(principal_of(owner), "colleague@example.cn", days=7)
    celery = app.extensions["celery"]

    assert relay_pending(celery) == 1
    assert relay_pending(celery) == 0  # dispatched rows are not published again
    assert wait_for(lambda: len(smtp_inbox.messages) == 1)

    # A relay that crashed after publishing but before marking would publish the row again.
    message = db.session.scalar(select(OutboxMessage))
    celery.send_task(message.task_name, kwargs=message.payload, task_id=message.message_id)
    time.sleep(2)

    recipients, content = smtp_inbox.messages[0]
    mail = email.message_from_string(content, policy=email.policy.default)
    assert len(smtp_inbox.messages) == 1
    assert recipients == ["colleague@example.cn"]
    assert f"http://localhost/invitations/{issued.secret}\r\n" in mail.get_content()
    assert processed_count() == 1
    assert db.session.get(Invitation, issued.record.id).emailed_at is not None


def test_without_mail_settings_nothing_is_sent_and_the_message_is_still_processed(app, worker):
    owner = UserFactory()
    issued = services.invite_member(principal_of(owner), "colleague@example.cn", days=7)
    assert relay_pending(app.extensions["celery"]) == 1
    assert wait_for(lambda: processed_count() == 1)
    assert db.session.get(Invitation, issued.record.id).emailed_at is None


def processed_count() -> int:
    db.session.rollback()  # end the snapshot so rows committed by the worker become visible
    return db.session.scalar(select(func.count()).select_from(ProcessedMessage))


def test_a_message_is_claimed_only_once():
    assert claim_message(db.session, "outbox-1", "t") is True
    db.session.commit()
    assert claim_message(db.session, "outbox-1", "t") is False


@pytest.mark.skipif(not amqp_url(), reason="set SHAREFAB_TEST_AMQP_URL to run against RabbitMQ")
def test_relay_and_worker_also_run_on_rabbitmq(app, tmp_path):
    # Given a second app on the same database whose Celery broker is RabbitMQ
    rabbit_app = create_app(
        {**app.config, "ENV_NAME": "testing", "BROKER_URL": amqp_url(), "INSTANCE_PATH": tmp_path}
    )
    celery = rabbit_app.extensions["celery"]
    with rabbit_app.app_context():
        owner = UserFactory()
        services.invite_member(principal_of(owner), "colleague@example.cn", days=7)
        celery.control.purge()
        with start_worker(
            celery, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
        ):
            # When the relay publishes the invitation message
            assert relay_pending(celery) == 1
            # Then the worker processes it exactly once
            assert wait_for(lambda: processed_count() == 1)
        db.session.remove()
    app.extensions["celery"].set_default()


def test_package_events_rebuild_the_suppliers_scorecard_through_the_worker(app, worker):
    from marketplace.lifecycle import PackageStatus
    from marketplace.models import SupplierScorecard
    from marketplace.production import Allocation
    from marketplace.services import orders, packages
    from tests.integration.marketplace_world import buyer_with_order, quote, supplier_with_capacity

    # Given a package delivered and accepted by its buyer
    supplier, listing = supplier_with_capacity()
    buyer, order = buyer_with_order(quantity=20, splittable=False, min_lot=1)
    offer = quote(supplier, listing, order)
    (package,) = orders.award_order(buyer, order.id, [Allocation(offer.id, 20)])
    for actor, status in [
        (supplier, PackageStatus.IN_PRODUCTION),
        (supplier, PackageStatus.QUALITY_CHECK),
        (supplier, PackageStatus.SHIPPED),
        (buyer, PackageStatus.DELIVERED),
        (buyer, PackageStatus.ACCEPTED_BY_BUYER),
    ]:
        packages.transition_package(actor, package.id, status)

    # When the relay hands the events to the worker
    celery = app.extensions["celery"]
    while relay_pending(celery):
        pass

    # Then the supplier's scorecard counts the package
    def scorecard():
        db.session.rollback()
        return db.session.get(SupplierScorecard, supplier.company_id)

    assert wait_for(lambda: (card := scorecard()) is not None and card.completed_packages == 1)
