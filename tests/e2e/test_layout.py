"""The layout on a phone: the navigation folds behind a toggle and nothing overflows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SUPPLIER_EMAIL, NewPage, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_layout_on_phone(new_page: NewPage) -> None:
    # Given a visitor on a phone
    page = new_page(viewport=PHONE)
    page.goto("/")
    toggle = page.locator("label[for=nav-toggle]")
    links = page.locator(".nav-links")
    sign_in_link = links.locator("a[href='/login']")

    # Then the links are folded away behind the toggle
    expect(toggle).to_be_visible()
    expect(links).to_be_hidden()
    expect(sign_in_link).to_be_hidden()
    assert _horizontal_overflow(page) == 0
    page.screenshot(path=str(screenshot_path("phone-home-closed")), full_page=True)

    # When the toggle is tapped
    toggle.click()

    # Then the links show, one under another
    expect(links).to_be_visible()
    expect(sign_in_link).to_be_visible()
    expect(sign_in_link).to_have_text("Sign in")
    expect(links.locator("a[href='/signup']")).to_be_visible()
    expect(page.get_by_test_id("language-zh_CN")).to_be_visible()
    boxes = [links.locator("li").nth(index).bounding_box() for index in range(2)]
    assert boxes[0] and boxes[1] and boxes[1]["y"] > boxes[0]["y"], boxes
    assert _horizontal_overflow(page) == 0
    page.screenshot(path=str(screenshot_path("phone-home-open")), full_page=True)

    # When it is tapped again, they fold away
    toggle.click()
    expect(links).to_be_hidden()


def test_company_page_on_phone_fits_the_screen(new_page: NewPage) -> None:
    # Given the supplier signed in on a phone
    page = new_page(viewport=PHONE)
    sign_in(page, SUPPLIER_EMAIL)

    # When they open the company page from the folded navigation
    page.locator("label[for=nav-toggle]").click()
    page.locator(".nav-links a[href='/company']").click()

    # Then the page is no wider than the screen (wide tables scroll inside their box)
    expect(page).to_have_url(re.compile(r"/company$"))
    expect(page.locator(".nav-links")).to_be_hidden()
    assert _horizontal_overflow(page) == 0
    page.screenshot(path=str(screenshot_path("phone-company")), full_page=True)
