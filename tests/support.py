"""Test plumbing shared by integration and e2e tests: a real, migrated database per session."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from config import BaseConfig
from core.db import db

POSTGRES_URL_ENV = "SHAREFAB_TEST_DATABASE_URL"
REDIS_URL_ENV = "SHAREFAB_TEST_REDIS_URL"
BROKER_URL_ENV = "SHAREFAB_TEST_BROKER_URL"
AMQP_URL_ENV = "SHAREFAB_TEST_AMQP_URL"
EXTERNAL = BaseConfig.EXTERNAL_DIR  # the reference data in ../shared/external, read in place


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_server_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def redis_url() -> str | None:
    return os.environ.get(REDIS_URL_ENV) or None


def amqp_url() -> str | None:
    return os.environ.get(AMQP_URL_ENV) or None


def broker_url() -> str | None:
    return os.environ.get(BROKER_URL_ENV) or None


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of an empty database: a new PostgreSQL database if configured, else SQLite."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{tmp_dir / 'test.sqlite'}"
        return
    name = f"sharefab_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_test_app(database_url: str, instance: Path, **overrides: object) -> Flask:
    """Create the app in testing mode on `database_url` and migrate it to the newest revision."""
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance,
        "BROKER_URL": broker_url() or f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "REDIS_URL": redis_url(),
        "RATELIMIT_STORAGE_URI": redis_url() or "memory://",
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


def clear_tables(app: Flask) -> None:
    """Empty every table (fast reset between tests; the schema stays)."""
    from marketplace.services.listing_index import forget_listing_index

    forget_listing_index(app)  # it would not notice the tables emptied under it
    app.extensions.pop("ledger_chain", None)  # an in-process chain holding the old batches
    with app.app_context():
        db.session.remove()
        engine = db.engine
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                quoted = ", ".join(f'"{name}"' for name in tables)
                connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    connection.execute(sa.text(f'DELETE FROM "{name}"'))
