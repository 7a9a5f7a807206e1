"""A write SQLite cannot make because another writer holds the database is a 503, not a 500."""

from __future__ import annotations

import sqlite3

import pytest

from core.db import db
from marketplace.models import User
from tests.integration.conftest import bearer, issue_token


def test_a_locked_sqlite_database_gives_503_with_retry_after(client, owner):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL writers wait on row locks instead")
    token = issue_token(owner)
    db.session.commit()
    # Given another process holding SQLite's write lock
    blocker = sqlite3.connect(db.engine.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        # When an API write arrives (it waits for busy_timeout, then gives up)
        response = client.patch(
            "/api/v1/users/me", json={"display_name": "新名字"}, headers=bearer(token)
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Then the client is told to retry, and nothing was stored
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["code"] == "busy"
    db.session.expire_all()
    assert db.session.get(User, owner.id).display_name == owner.display_name
