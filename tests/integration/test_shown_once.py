"""Secrets shown once on a page survive neither a reload nor a re-sent form."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from marketplace.models import ApiToken, Invitation
from tests.factories import PASSWORD, UserFactory


def sign_in(client, user) -> None:
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_a_new_token_is_shown_after_a_redirect_and_only_once(client, csrf_off):
    owner = UserFactory()
    sign_in(client, owner)
    response = client.post("/tokens", data={"name": "ERP", "scope": "write"})
    assert response.status_code == 302 and response.headers["Location"] == "/tokens"
    first = client.get("/tokens").get_data(as_text=True)
    assert re.search(r'value="sfp_[^"]+"', first)
    again = client.get("/tokens").get_data(as_text=True)
    assert not re.search(r'value="sfp_[^"]+"', again)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1


def test_an_invitation_link_is_shown_after_a_redirect_and_only_once(client, csrf_off):
    owner = UserFactory()
    sign_in(client, owner)
    response = client.post("/company/invitations", data={"email": "new@example.cn"})
    assert response.status_code == 302
    first = client.get("/company/members").get_data(as_text=True)
    again = client.get("/company/members").get_data(as_text=True)
    assert 'data-testid="invitation-link"' in first
    assert 'data-testid="invitation-link"' not in again
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


def test_an_invalid_token_form_shows_errors_and_creates_nothing(client, csrf_off):
    owner = UserFactory()
    sign_in(client, owner)
    response = client.post("/tokens", data={"name": "", "scope": "write"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0
