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

from marketplace.demo_data import FIXED_OWNER_EMAILS
from tests.e2e.conftest import demo_company, page_text, sign_in

# The API answers 500 for every record holding an enum kept in a String column (a
# certification's standard, a user's language, a token's scope): marshmallow's Enum field dumps
# `value.value`, but rows loaded from the database hold plain str. The lender has no
# certifications, so its /companies/me works; the supplier's does not.

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


@pytest.mark.parametrize(
    "company_key",
    [
        "lender-001",
        "supplier-001",
    ],
)
def test_owner_creates_api_token_and_calls_api(page: Page, base_url: str, company_key: str) -> None:
    # Given a demo company's owner on the API tokens page, reached through the navigation
    company = demo_company(company_key)
    sign_in(page, FIXED_OWNER_EMAILS[company_key])
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
    text = page_text(page)
    expect(row.locator("td").nth(2)).to_have_text(text("Read and write"))

    # When a program calls the API with it
    status, content_type, body = _api_get(f"{base_url}/api/v1/companies/me", token)

    # Then it acts for the owner's company
    assert status == 200, body
    assert content_type.startswith("application/json"), content_type
    assert body["legal_name"] == company.legal_name
    assert body["registration_number"] == company.registration_number

    # When the owner revokes it (accepting the confirmation)
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[type=submit]").click()

    # Then the row disappears (htmx swap) and the API refuses the token
    expect(row).to_have_count(0)
    status, content_type, body = _api_get(f"{base_url}/api/v1/companies/me", token)
    assert status == 401, body
    assert content_type.split(";")[0] == "application/problem+json", content_type
    assert body["status"] == 401

    # And a reload neither lists it again nor shows its secret again
    page.reload()
    expect(page.locator("tbody tr", has=page.locator("td", has_text=name))).to_have_count(0)
    expect(page.get_by_test_id("token-value")).to_have_count(0)
