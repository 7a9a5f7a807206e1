"""An owner creates an API token on the page, uses it, and revokes it."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SUPPLIER_EMAIL, demo_company, sign_in, zh

pytestmark = pytest.mark.e2e


def _api_get(url: str, token: str) -> tuple[int, str, Any]:
    """GET `url` with a bearer token and no cookies: (status, content type, JSON body)."""
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_owner_creates_api_token_and_calls_api(page: Page, base_url: str) -> None:
    # Given the supplier's owner on the API tokens page, reached through the navigation
    supplier = demo_company("supplier-001")
    sign_in(page, SUPPLIER_EMAIL)
    page.locator(".nav-links a[href='/tokens']").click()
    expect(page).to_have_url(re.compile(r"/tokens$"))
    name = f"ERP {uuid.uuid4().hex[:8]}"

    # When they create a token with write access
    create = page.locator("form[action='/tokens']")
    create.locator("input[name=name]").fill(name)
    create.locator("input[name=scope][value=write]").check()
    create.locator("button[type=submit]").click()

    # Then the token is shown once and listed by its hint, with write access
    expect(page.get_by_test_id("new-token")).to_be_visible()
    token = page.get_by_test_id("token-value").input_value()
    assert token.startswith("sfp_") and len(token) > 40, token
    row = page.locator("tbody tr", has=page.locator("td", has_text=name))
    expect(row).to_have_count(1)
    hint = row.locator("code").inner_text().rstrip("…")
    assert hint and token.startswith(hint), (hint, token)
    # (in the owner's saved language, which another test may have switched)
    text = zh if page.locator("html").get_attribute("lang") == "zh-CN" else str
    expect(row.locator("td").nth(2)).to_have_text(text("Read and write"))

    # When a program calls the API with it
    status, content_type, body = _api_get(f"{base_url}/api/v1/companies/me", token)

    # Then it acts for the supplier
    assert status == 200, body
    assert content_type.startswith("application/json"), content_type
    assert body["legal_name"] == supplier.legal_name

    # When the owner revokes it (accepting the confirmation)
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[type=submit]").click()

    # Then the row disappears (htmx swap) and the API refuses the token
    expect(row).to_have_count(0)
    status, content_type, body = _api_get(f"{base_url}/api/v1/companies/me", token)
    assert status == 401, body
    assert content_type.split(";")[0] == "application/problem+json", content_type
    assert body["status"] == 401

    # And after a reload it is not listed any more
    page.reload()
    expect(page.locator("tbody tr", has=page.locator("td", has_text=name))).to_have_count(0)
