"""A platform operator verifies a company from the review list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.demo_data import OPERATOR_EMAIL
from tests.e2e.conftest import sign_in, zh

pytestmark = pytest.mark.e2e


def test_operator_verifies_company(page: Page) -> None:
    # Given the operator signed in (their saved language is Chinese)
    sign_in(page, OPERATOR_EMAIL)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # When they open "Companies to verify" from the navigation
    link = page.locator(".nav-links a[href='/operator/companies']")
    expect(link).to_have_text(zh("Companies to verify"))
    link.click()

    # Then the unverified companies are listed
    expect(page).to_have_url(re.compile(r"/operator/companies$"))
    expect(page.locator("main h1")).to_have_text(zh("Companies"))
    first = page.locator("main tbody tr").first
    row_id = first.get_attribute("id")
    assert row_id and re.fullmatch(r"company-\d+", row_id), row_id
    row = page.locator(f"#{row_id}")
    expect(row.locator(".badge-warn")).to_have_text(zh("Awaiting verification"))
    name = row.locator("td").first.inner_text()

    # When they click Verify on the first row
    verify = row.locator("button[name=decision][value=verify]")
    expect(verify).to_have_text(zh("Verify"))
    verify.click()

    # Then htmx swaps the row in place: it shows the Verified badge and the opposite action
    expect(row.locator(".badge-ok")).to_have_text(zh("Verified"))
    expect(row.locator(".badge-warn")).to_have_count(0)
    expect(row.locator("button[name=decision][value=unverify]")).to_have_text(
        zh("Withdraw verification")
    )
    expect(row.locator("td").first).to_have_text(name)
    expect(page).to_have_url(re.compile(r"/operator/companies$"))

    # And the company has left the "awaiting verification" list and is among the verified
    page.reload()
    expect(page.locator(f"#{row_id}")).to_have_count(0)
    page.goto("/operator/companies?show=verified")
    expect(page.locator(f"#{row_id} .badge-ok")).to_have_text(zh("Verified"))
