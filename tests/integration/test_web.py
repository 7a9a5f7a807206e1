"""The web shell: CSRF on every form, secure cookies, login rate limit, language selection."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.auth import Scope
from core.db import db
from marketplace import services
from marketplace.models import ApiToken, Company, User
from marketplace.uscc import make_uscc
from tests.factories import PASSWORD, UserFactory, principal_of

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path: str) -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def signup_form(**overrides):
    form = dict(
        legal_name="苏州精密钣金有限公司",
        country="CN",
        registration_number=make_uscc("9", "1", "320500", "MA1X2Y3W"),
        province="江苏省",
        city="苏州市",
        address="工业园区星湖街",
        roles=["supplier", "buyer"],
        display_name="陈静",
        email="chen@example.cn",
        password="long-enough-password",
        preferred_language="zh_CN",
    )
    form.update(overrides)
    return form


def test_signup_form_without_csrf_token_is_refused_and_changes_nothing(client):
    response = client.post("/signup", data=signup_form())
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Company.id))) == 0


def test_signup_with_csrf_token_creates_company_and_signs_in(client):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={**signup_form(), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/company"
    page = client.get("/company").get_data(as_text=True)
    assert "苏州精密钣金有限公司" in page


def test_signup_with_bad_code_shows_the_message_next_to_the_field(client, csrf_off):
    response = client.post(
        "/signup",
        data=signup_form(registration_number="914403001922038217"),
        headers={"Accept-Language": "en"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field="registration_number"' in page
    assert "fails its check character" in page
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_session_cookie_is_httponly_and_samesite(client):
    user = UserFactory()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("sharefab_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_settings_mark_cookies_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_wrong_password_is_refused_without_saying_which_part(client, csrf_off):
    user = UserFactory()
    response = client.post(
        "/login",
        data={"email": user.email, "password": "nope-nope-nope"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "The email or password is not correct." in response.get_data(as_text=True)


def test_sign_in_is_rate_limited(app, client, csrf_off):
    from core.security import limiter

    limiter.reset()
    user = UserFactory()
    statuses = [
        client.post("/login", data={"email": user.email, "password": "wrong-password"}).status_code
        for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    limiter.reset()


def test_pages_that_need_a_user_redirect_to_sign_in(client):
    response = client.get("/company")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_open_redirects_are_refused_after_sign_in(client, csrf_off):
    user = UserFactory()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", '<html lang="zh-CN"'),
        ("zh-TW", '<html lang="zh-CN"'),
        ("en-US,en", '<html lang="en"'),
        ("fr-FR", '<html lang="en"'),
    ],
)
def test_language_follows_the_browser_when_nothing_was_chosen(client, accept_language, expected):
    page = client.get("/login", headers={"Accept-Language": accept_language}).get_data(as_text=True)
    assert expected in page


def test_language_switch_is_remembered_for_the_user(client, csrf_off):
    user = UserFactory(preferred_language="en")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post("/language/zh_CN", data={"next": "/company"})
    assert response.headers["Location"] == "/company"
    db.session.expire_all()
    assert db.session.get(User, user.id).preferred_language == "zh_CN"
    assert '<html lang="zh-CN"' in client.get("/company").get_data(as_text=True)


def test_member_cannot_open_the_tokens_page(client, csrf_off):
    member = UserFactory(membership_role="member")
    client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert client.get("/tokens").status_code == 403


def test_vendor_assets_are_served_locally_and_nothing_else(client):
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    assert client.get("/static/vendor/..%2Fpackage.json").status_code == 404
    assert client.get("/static/vendor/unknown.js").status_code == 404


def test_pages_load_nothing_from_other_hosts(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', docs)


def test_html_error_pages_for_unknown_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_htmx_buttons_without_csrf_token_are_refused_and_change_nothing(client, csrf_off):
    owner = UserFactory()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    token = services.create_api_token(principal_of(owner), name="ERP", scope=Scope.READ)
    client.application.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/tokens/{token.record.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(ApiToken, token.record.id).revoked_at is None
