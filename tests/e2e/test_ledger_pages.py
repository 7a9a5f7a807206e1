"""The ledger in a real browser on the demo data: an order's tracking page (English and Chinese,
desktop and phone), an entry's step-by-step check, the proof downloaded and checked again on the
public page by a visitor who is not signed in, a tampered copy and garbage refused there.

The demo seed records the seeded packages' moves in the ledger and anchors every batch (the
server here runs no Celery worker, so entries made during a test would not appear: a real user
sees them once the worker ran). The demo users prefer Chinese, so English pages are asked for
with `?lang=en` and Chinese ones with `?lang=zh_CN` (switching would change the shared users).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import BUYER_EMAIL, SUPPLIER_EMAIL, NewPage, screenshot_path, sign_in, zh

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Statuses whose orders have work packages, most eventful first.
FOLLOWED_STATUSES = ("completed", "delivered", "disputed", "in_production", "awarded")
TAMPERED = "Tampered — this entry no longer matches what was anchored."


def overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def followed_order_id(page: Page) -> int:
    """One of the signed-in buyer's orders with work packages whose moves are in the ledger."""
    for status in FOLLOWED_STATUSES:
        page.goto(f"/orders?status={status}&lang=en")
        links = page.locator("[data-testid=order-row] td.primary-cell a")
        for href in links.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
            order_id = int(href.rsplit("/", 1)[-1])
            page.goto(f"/orders/{order_id}/tracking?lang=en")
            if page.get_by_test_id("ledger-entry").count() >= 3:
                return order_id
    pytest.fail("none of the demo buyer's orders has ledger entries: is the ledger seeded?")


def in_english(page: Page) -> None:
    """The page just opened by a link, again in English (the demo users prefer Chinese)."""
    page.goto(page.url + "?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def step_result(page: Page, step: str) -> str | None:
    return page.locator(f"[data-testid=check-step][data-step={step}]").get_attribute("data-result")


def test_buyer_tracks_an_order_checks_an_entry_and_a_visitor_checks_its_proof(
    new_page: NewPage, tmp_path: Path
) -> None:
    # Given the demo buyer signed in, on one of its orders in production or done
    page = new_page()
    sign_in(page, BUYER_EMAIL)
    order_id = followed_order_id(page)

    # When it follows the Tracking link from the order page (read in English)
    page.goto(f"/orders/{order_id}?lang=en")
    page.get_by_test_id("tracking-link").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}/tracking$"))
    in_english(page)

    # Then the packages show their dates and the ledger tells every move in words, anchored
    expect(page.get_by_test_id("tracking-title")).to_contain_text("Tracking: ")
    package = page.get_by_test_id("tracked-package").first
    expect(package.get_by_test_id("promised-date")).to_have_text(re.compile(r"\w{3} \d+, \d{4}"))
    expect(package.get_by_test_id("forecast-date")).not_to_be_empty()
    entries = page.get_by_test_id("ledger-entry")
    expect(entries.filter(has_text="Work package awarded")).not_to_have_count(0)
    expect(entries.filter(has_text="Production started")).not_to_have_count(0)
    first = entries.first
    expect(first.get_by_test_id("entry-what")).not_to_be_empty()
    expect(first.get_by_test_id("entry-anchoring")).to_contain_text(
        re.compile(r"Batch \d+ · confirmed at block \d+")
    )
    expect(first.get_by_test_id("tx-hash")).to_have_text(re.compile(r"^0x[0-9a-f]{4}…[0-9a-f]{4}$"))
    expect(page.locator("[data-tampered=true]")).to_have_count(0)
    page.screenshot(path=str(screenshot_path("ledger-tracking-en")), full_page=True)

    # When the buyer follows an entry's verify link
    what = first.get_by_test_id("entry-what").inner_text()
    first.get_by_test_id("verify-link").click()
    expect(page).to_have_url(re.compile(r"/ledger/entries/\d+/verify$"))
    in_english(page)

    # Then the server checks it step by step and every step passes
    expect(page.get_by_test_id("proof-check")).to_have_attribute("data-verified", "true")
    expect(page.get_by_test_id("check-result")).to_contain_text("Verified: this entry is exactly")
    for step in ("leaf", "root", "chain"):
        assert step_result(page, step) == "passed", step
    expect(page.get_by_test_id("entry-what")).to_have_text(what)
    expect(page.locator("main")).to_contain_text("standalone_verify.py")
    page.screenshot(path=str(screenshot_path("ledger-entry-check-en")), full_page=True)

    # And the proof downloads as a JSON file
    with page.expect_download() as download_info:
        page.get_by_test_id("download-proof").click()
    download = download_info.value
    assert re.fullmatch(r"sharefab-proof-\d+\.json", download.suggested_filename)
    proof_path = tmp_path / download.suggested_filename
    download.save_as(proof_path)
    proof = json.loads(proof_path.read_text(encoding="utf-8"))
    assert proof["tampered"] is False and proof["entry"]["body"]

    # When a visitor who is not signed in checks that file on the public page (footer link)
    visitor = new_page()
    visitor.goto("/?lang=en")
    visitor.get_by_test_id("verify-proof-link").click()
    expect(visitor.get_by_test_id("verify-title")).to_have_text("Check a proof")
    visitor.locator("#proof-file").set_input_files(str(proof_path))
    visitor.get_by_test_id("check-proof").click()

    # Then it is verified there too, step by step
    expect(visitor.get_by_test_id("check-result")).to_contain_text("Verified")
    for step in ("leaf", "root", "chain"):
        assert step_result(visitor, step) == "passed", step
    expect(visitor.get_by_test_id("proof-sentence")).to_have_text(what)
    visitor.screenshot(path=str(screenshot_path("ledger-public-check-en")), full_page=True)

    # When the visitor checks a copy whose entry was altered
    proof["entry"]["body"]["disposition"] = "destroyed"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(proof), encoding="utf-8")
    visitor.locator("#proof-file").set_input_files(str(altered))
    visitor.get_by_test_id("check-proof").click()

    # Then it is shown as tampered: the entry no longer gives the leaf
    expect(visitor.get_by_test_id("check-result")).to_have_text(TAMPERED)
    assert step_result(visitor, "leaf") == "failed"

    # And pasted garbage gets a message on the page, with the form to try again
    visitor.locator("#proof").fill("this is not a proof")
    visitor.get_by_test_id("check-proof").click()
    expect(visitor.get_by_test_id("verify-problem")).to_contain_text("This is not JSON")
    expect(visitor.get_by_test_id("proof-check")).to_have_count(0)
    expect(visitor.get_by_test_id("verify-form")).to_be_visible()


def test_tracking_and_checking_in_chinese(new_page: NewPage) -> None:
    # Given the demo buyer on one of its followed orders, in Chinese
    page = new_page(locale="zh-CN")
    sign_in(page, BUYER_EMAIL)
    order_id = followed_order_id(page)

    page.goto(f"/orders/{order_id}/tracking?lang=zh_CN")

    # Then the page, the moves and the anchoring read in Chinese
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("tracking-title")).to_contain_text("追踪：")
    entries = page.get_by_test_id("ledger-entry")
    expect(entries.filter(has_text=zh("Work package awarded"))).not_to_have_count(0)
    expect(entries.filter(has_text=zh("Production started"))).not_to_have_count(0)
    expect(entries.first.get_by_test_id("entry-anchoring")).to_contain_text(
        re.compile(r"批次 \d+ · 已在区块 \d+ 确认")
    )
    expect(entries.first.get_by_test_id("verify-link")).to_have_text(zh("Verify this entry"))
    expect(page.locator("main")).not_to_contain_text("Work package awarded")
    page.screenshot(path=str(screenshot_path("ledger-tracking-zh")), full_page=True)

    # When the entry's check is opened
    entries.first.get_by_test_id("verify-link").click()
    expect(page).to_have_url(re.compile(r"/ledger/entries/\d+/verify$"))
    page.goto(page.url + "?lang=zh_CN")

    # Then its result and steps are in Chinese too
    expect(page.get_by_test_id("check-result")).to_contain_text("核验通过")
    expect(page.locator("[data-testid=check-step][data-step=leaf]")).to_contain_text(
        zh("The entry gives the leaf")
    )
    page.screenshot(path=str(screenshot_path("ledger-entry-check-zh")), full_page=True)


def test_supplier_follows_its_package_to_the_tracking_page_on_a_phone(new_page: NewPage) -> None:
    # Given the demo supplier on a phone, on one of its work packages
    page = new_page(viewport=PHONE)
    sign_in(page, SUPPLIER_EMAIL)
    page.goto("/packages?as=supplier&lang=en")
    links = page.locator("main table a[href^='/packages/']")
    hrefs = links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert hrefs, "the demo supplier has no work packages"

    # When it follows the Tracking link of a package whose moves are recorded
    for href in hrefs:
        page.goto(f"{href}?lang=en")
        page.get_by_test_id("tracking-link").click()
        expect(page).to_have_url(re.compile(r"/orders/\d+/tracking$"))
        in_english(page)
        if page.get_by_test_id("ledger-entry").count():
            break
    else:
        pytest.fail("none of the demo supplier's packages has ledger entries")

    # Then the tracking page fits the phone, shows its own package and the entries' anchoring
    expect(page.get_by_test_id("tracked-package").first).to_be_visible()
    expect(page.get_by_test_id("entry-anchoring").first).to_contain_text("Batch")
    assert overflow(page) <= 1
    page.screenshot(path=str(screenshot_path("ledger-tracking-phone")), full_page=True)

    # And so does an entry's check
    page.get_by_test_id("verify-link").first.click()
    expect(page).to_have_url(re.compile(r"/ledger/entries/\d+/verify$"))
    expect(page.get_by_test_id("proof-check")).to_have_attribute("data-verified", "true")
    assert overflow(page) <= 1


def test_a_stranger_cannot_open_another_companys_tracking(new_page: NewPage) -> None:
    # Given an order of the demo buyer with ledger entries
    buyer = new_page()
    sign_in(buyer, BUYER_EMAIL)
    order_id = followed_order_id(buyer)
    verify_href = buyer.get_by_test_id("verify-link").first.get_attribute("href")

    # When another buyer's owner asks for its tracking page and an entry's check
    stranger = new_page()
    sign_in(stranger, "owner@buyer-040.demo.sharefab.cn")

    # Then both answer as if they did not exist
    assert stranger.goto(f"/orders/{order_id}/tracking").status == 404
    assert stranger.goto(verify_href).status == 404
