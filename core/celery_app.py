"""The Celery app, configured from the Flask settings, with tasks that run in an app context."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from core.db import db
from core.outbox import MESSAGE_ID_PREFIX, claim_message


class RetryableError(Exception):
    """A passing failure (network, lock timeout): the task is retried with backoff."""


# Modules whose tasks the worker must know; contexts add theirs here.
TASK_MODULES = ["core.tasks", "marketplace.tasks", "ledger.tasks"]

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "purge-outbox": {"task": "core.purge_outbox", "schedule": 3600.0},
    # Seals due ledger batches, anchors them and confirms anchors; cheap when there is nothing.
    "anchor-ledger": {"task": "ledger.anchor", "schedule": 30.0},
}


def init_celery(app: Flask) -> Celery:
    """Create the Celery app for `app` and store it as `app.extensions["celery"]`."""

    class AppTask(Task):
        acks_late = True
        reject_on_worker_lost = True
        autoretry_for = (RetryableError,)
        max_retries = 5
        retry_backoff = True
        retry_backoff_max = 300

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                message_id = self.request.id or ""
                # Claim and work share one transaction: a failure undoes the claim too.
                if message_id.startswith(MESSAGE_ID_PREFIX) and not claim_message(
                    db.session, message_id, self.name
                ):
                    db.session.rollback()
                    return None
                try:
                    result = self.run(*args, **kwargs)
                    db.session.commit()
                except BaseException:
                    db.session.rollback()
                    raise
                return result

    celery = Celery(app.import_name, task_cls=AppTask)
    celery.conf.update(
        broker_url=app.config["BROKER_URL"],
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_always_eager=app.config.get("CELERY_TASK_ALWAYS_EAGER", False),
        timezone="UTC",
        enable_utc=True,
        include=TASK_MODULES,
        beat_schedule=BEAT_SCHEDULE,
        beat_schedule_filename=str(app.config["INSTANCE_PATH"] / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
