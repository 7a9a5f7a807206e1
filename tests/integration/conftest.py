from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.auth import Scope
from marketplace import services
from tests.factories import UserFactory
from tests.support import clear_tables, fresh_database, make_test_app


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    with fresh_database(instance) as url:
        application = make_test_app(url, instance)
        yield application
        with application.app_context():
            from core.db import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    """Every test runs in an app context on empty tables."""
    clear_tables(app)
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_off(app: Flask) -> Iterator[None]:
    """Turn CSRF off for form-posting tests that are not about CSRF."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


def issue_token(user, scope: Scope = Scope.WRITE) -> str:
    """Return a bearer token for `user` made through the real service."""
    return services.create_api_token_for_email(user.email, scope=scope, name="test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def owner_headers(owner) -> dict[str, str]:
    return bearer(issue_token(owner))
