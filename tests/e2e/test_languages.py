"""The pages in English and Chinese: browser language, saved preference and the switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    SUPPLIER_EMAIL,
    NewPage,
    demo_company,
    screenshot_path,
    sign_in,
    zh,
)

pytestmark = pytest.mark.e2e


def _expect_company_page_in(page: Page, language: str, legal_name: str) -> None:
    """The supplier's company page, with its fixed texts in `language` ("en" or "zh_CN")."""
    text = zh if language == "zh_CN" else str
    expect(page).to_have_url(re.compile(r"/company$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if language == "zh_CN" else "en")
    expect(page.get_by_test_id("company-name")).to_have_text(legal_name)
    expect(page.locator("main h2").first).to_have_text(text("Certifications"))
    expect(page.get_by_role("heading", name=text("Certifications"), exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=text("Edit the profile"), exact=True)).to_be_visible()
    expect(page.locator("dl.facts dt").first).to_have_text(text("Registration number"))
    expect(page.get_by_test_id("verified")).to_have_text(text("Verified"))
    expect(page.get_by_test_id("sign-out")).to_have_text(text("Sign out"))
    expect(page.locator(".nav-links a[href='/company']")).to_have_text(text("Company"))
    # The switch offers only the other language, named in that language
    other = "en" if language == "zh_CN" else "zh_CN"
    switch_label = "English" if other == "en" else "中文"
    expect(page.get_by_test_id(f"language-{other}")).to_have_text(switch_label)
    expect(page.get_by_test_id(f"language-{language}")).to_have_count(0)


def test_demo_supplier_sees_company_page_in_english_and_chinese(new_page: NewPage) -> None:
    # Given the demo supplier's owner, whose saved language is Chinese, in an en-US browser
    supplier = demo_company("supplier-001")
    page = new_page(locale="en-US")
    sign_in(page, SUPPLIER_EMAIL)
    # Then the saved language beats the browser's
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main hgroup p")).to_have_text(supplier.legal_name)

    # When they open the company page from the dashboard
    page.locator("main a[href='/company']").click()
    # Then it is their company, in Chinese
    _expect_company_page_in(page, "zh_CN", supplier.legal_name)

    # When they switch to English
    page.get_by_test_id("language-en").click()
    # Then the same page is in English
    _expect_company_page_in(page, "en", supplier.legal_name)
    page.screenshot(path=str(screenshot_path("company-page-en")), full_page=True)

    # When they switch to Chinese
    page.get_by_test_id("language-zh_CN").click()
    expect(page).to_have_url(re.compile(r"/company$"))
    page.screenshot(path=str(screenshot_path("company-page-zh_CN")), full_page=True)
    # Then the same page is in Chinese
    _expect_company_page_in(page, "zh_CN", supplier.legal_name)

    # When they switch back to English
    page.get_by_test_id("language-en").click()
    # Then it is English, also after a reload and on their next sign-in from another browser
    _expect_company_page_in(page, "en", supplier.legal_name)
    page.reload()
    _expect_company_page_in(page, "en", supplier.legal_name)
    elsewhere = new_page(locale="zh-CN")
    sign_in(elsewhere, SUPPLIER_EMAIL)
    expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
    expect(elsewhere.get_by_test_id("sign-out")).to_have_text("Sign out")


def test_chinese_browser_gets_chinese_by_default(new_page: NewPage) -> None:
    # Given a visitor whose browser asks for Chinese
    chinese = new_page(locale="zh-CN")
    # When they open the sign-in page
    chinese.goto("/login")
    # Then it is in Chinese
    expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(chinese.locator("main h1")).to_have_text(zh("Sign in"))
    expect(chinese.locator("main form button[type=submit]")).to_have_text(zh("Sign in"))
    expect(chinese.locator("label[for=password]")).to_have_text(zh("Password"))
    expect(chinese.get_by_test_id("language-en")).to_have_text("English")
    expect(chinese.get_by_test_id("language-zh_CN")).to_have_count(0)

    # Given a visitor whose browser asks for English
    english = new_page(locale="en-US")
    # When they open the same page
    english.goto("/login")
    # Then it is in English
    expect(english.locator("html")).to_have_attribute("lang", "en")
    expect(english.locator("main h1")).to_have_text("Sign in")
    expect(english.locator("main form button[type=submit]")).to_have_text("Sign in")
    expect(english.locator("label[for=password]")).to_have_text("Password")
    expect(english.get_by_test_id("language-zh_CN")).to_have_text("中文")
    expect(english.get_by_test_id("language-en")).to_have_count(0)
