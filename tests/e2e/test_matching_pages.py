"""Matching in a real browser on the demo data: the buyer's ranked suppliers, weights and proposed
split; a supplier's recommended orders; the operator's plan of the week. English and Chinese,
desktop and phone.

The demo users prefer Chinese, so English pages are asked for with `?lang=en` (switching the
language would change the shared demo users for every other test). The services rank an order on
its first view, so nothing here depends on matches being stored by the seed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from marketplace.demo_data import OPERATOR_EMAIL
from tests.e2e.conftest import BUYER_EMAIL, SUPPLIER_EMAIL, NewPage, screenshot_path, sign_in, zh

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# A plan runs its solver for up to the time limit, after loading every open order's candidates.
PLAN_WAIT_MS = 60_000
OPEN_STATUSES = ("published", "quoted")


def pattern(template: str) -> re.Pattern[str]:
    """A regular expression for a message with its placeholders filled in."""
    escaped = re.escape(template.replace("%%", "%"))
    return re.compile(re.sub(r"%\\\(\w+\\\)[ds]", r".+?", escaped))


def open_order_ids(page: Page) -> list[int]:
    """The signed-in buyer's orders that take quotes, as "My orders" lists them."""
    ids: list[int] = []
    for status in OPEN_STATUSES:
        page.goto(f"/orders?status={status}")
        for href in page.locator("[data-testid=order-row] td.primary-cell a").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        ):
            ids.append(int(href.rsplit("/", 1)[-1]))
    return ids


def order_with_proposal(page: Page) -> int:
    """One of the buyer's open orders whose matches propose a split."""
    for order_id in open_order_ids(page):
        page.goto(f"/orders/{order_id}?lang=en")
        if page.get_by_test_id("proposal").count():
            return order_id
    pytest.fail("none of the demo buyer's open orders has a proposed split")


def candidate_ids(page: Page) -> list[str]:
    return page.locator(
        "#matches [data-testid=match-list] > [data-testid=match-candidate]"
    ).evaluate_all("cards => cards.map(card => card.dataset.listingId)")


def horizontal_overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def expect_explained(candidate: Locator) -> None:
    """Every criterion of a candidate has its label, its points and a sentence."""
    rows = candidate.locator("[data-testid=explanation] li")
    assert rows.count() >= 4
    for index in range(rows.count()):
        row = rows.nth(index)
        expect(row.locator(".criterion")).not_to_be_empty()
        expect(row.locator(".points")).to_have_text(re.compile(r"\+\d+(\.\d)?"))
        expect(row.locator(".reason")).not_to_be_empty()


def read_in_chinese(page) -> None:
    """Switch to Chinese if the saved language is English (another test may have saved it)."""
    to_chinese = page.get_by_test_id("language-zh_CN")
    if to_chinese.count():
        to_chinese.click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_buyer_ranks_reweighs_and_invites_the_proposed_split(new_page: NewPage) -> None:
    # Given the demo buyer signed in, on one of its open orders in English
    page = new_page()
    sign_in(page, BUYER_EMAIL)
    order_id = order_with_proposal(page)
    matches = page.locator("#matches")

    # Then the matched suppliers are ranked, each with its score, price, capacity and reasons
    expect(matches.locator("h2")).to_have_text("Matched suppliers")
    expect(page.get_by_test_id("matches-summary")).to_contain_text("can serve this order")
    first = matches.get_by_test_id("match-candidate").first
    expect(first.locator(".match-rank")).to_have_text("1")
    expect(first.get_by_test_id("match-company")).not_to_be_empty()
    expect(first.get_by_test_id("match-score")).to_have_text(re.compile(r"\d+\.\d"))
    expect(first.get_by_test_id("match-capacity")).to_contain_text("pcs")
    expect_explained(first)
    expect(first.locator("[data-criterion=price] .criterion")).to_have_text("Price")
    expect(first.locator("[data-criterion=price] .reason")).to_contain_text("per piece")
    expect(first.locator("[data-criterion=idle_capacity] .reason")).to_have_text(
        pattern("%(free)d%% of its hours before the due date are still free.")
    )
    expect(page.get_by_test_id("exclusions")).to_contain_text("Not shown, by reason:")
    page.screenshot(path=str(screenshot_path("matching-buyer-en")), full_page=True)

    # When the buyer cares only about proximity and ranks again
    before = candidate_ids(page)
    form = page.get_by_test_id("weights-form")
    for name, value in (("cost", "0"), ("quality", "0"), ("speed", "0"), ("proximity", "10")):
        form.locator(f"input[name={name}]").fill(value)
    form.get_by_test_id("save-weights").click()

    # Then htmx swaps in the new ranking, and the weights are kept on the order
    expect(page.get_by_test_id("weights-saved")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}\?lang=en$"))
    assert candidate_ids(page) != before
    page.goto(f"/orders/{order_id}?lang=en")
    expect(page.locator("#matches input[name=cost]")).to_have_value("0")
    expect(page.locator("#matches input[name=proximity]")).to_have_value("10")
    assert candidate_ids(page) != before

    # When the buyer accepts the proposed split
    shares = {
        row.get_attribute("data-company-id"): re.sub(
            r"\D", "", row.get_by_test_id("share-quantity").inner_text()
        )
        for row in page.get_by_test_id("proposal-share").all()
    }
    assert shares
    page.get_by_test_id("accept-proposal").click()

    # Then every proposed supplier is invited, with its proposed quantity
    expect(page).to_have_url(re.compile(rf"/orders/{order_id}#suppliers$"))
    expect(page.locator(".flash-success").first).to_be_visible()
    for company_id, quantity in shares.items():
        invited = page.locator(f"[data-testid=invited-supplier][data-company-id='{company_id}']")
        expect(invited.get_by_test_id("invited-quantity")).to_contain_text(
            re.compile(rf"{int(quantity):,}".replace(",", "[,]?"))
        )
    expect(page.get_by_test_id("proposal-accepted")).to_be_visible()


def test_buyer_reads_the_explanations_in_chinese(new_page: NewPage) -> None:
    # Given the demo buyer (who prefers Chinese) on an open order with a proposal
    page = new_page(locale="zh-CN")
    sign_in(page, BUYER_EMAIL)
    read_in_chinese(page)
    order_id = order_with_proposal(page)
    page.goto(f"/orders/{order_id}")

    # Then the section, the criteria and the sentences are Chinese
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    matches = page.locator("#matches")
    expect(matches.locator("h2")).to_have_text(zh("Matched suppliers"))
    first = matches.get_by_test_id("match-candidate").first
    expect_explained(first)
    expect(first.locator("[data-criterion=price] .criterion")).to_have_text(zh("Price"))
    expect(first.locator("[data-criterion=track_record] .criterion")).to_have_text(
        zh("Track record")
    )
    expect(first.locator("[data-criterion=idle_capacity] .reason")).to_have_text(
        pattern(zh("%(free)d%% of its hours before the due date are still free."))
    )
    expect(first.locator("[data-criterion=price] .reason")).to_contain_text("/件")
    expect(first.locator("[data-testid=explanation]")).not_to_contain_text("per piece")
    expect(page.get_by_test_id("accept-proposal")).to_have_text(
        zh("Invite these suppliers to quote")
    )
    page.screenshot(path=str(screenshot_path("matching-buyer-zh_CN")), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_buyer_matches_fit_a_phone(new_page: NewPage, language: str) -> None:
    page = new_page(viewport=PHONE)
    sign_in(page, BUYER_EMAIL)
    order_id = order_with_proposal(page)
    page.goto(f"/orders/{order_id}?lang={language}")
    expect(page.locator("#matches [data-testid=match-candidate]").first).to_be_visible()
    assert horizontal_overflow(page) == 0
    page.locator("#matches").screenshot(
        path=str(screenshot_path(f"matching-buyer-phone-{language}"))
    )


def test_supplier_sees_recommended_orders_in_both_languages(new_page: NewPage) -> None:
    # Given the demo buyer's open orders have been ranked (their first view ranks them)
    buyer = new_page()
    sign_in(buyer, BUYER_EMAIL)
    for order_id in open_order_ids(buyer):
        buyer.goto(f"/orders/{order_id}")

    # When the demo supplier, reading in Chinese, follows "Recommended orders"
    page = new_page(locale="zh-CN")
    sign_in(page, SUPPLIER_EMAIL)
    read_in_chinese(page)
    link = page.get_by_test_id("nav-recommended")
    expect(link).to_have_text(zh("Recommended orders"))
    link.click()

    # Then it sees orders ranked for its capacity, with the score and why, in Chinese
    expect(page).to_have_url(re.compile(r"/recommended-orders$"))
    expect(page.locator("main h1")).to_have_text(zh("Recommended orders"))
    first = page.get_by_test_id("recommendation").first
    expect(first.get_by_test_id("match-score")).to_have_text(re.compile(r"\d+\.\d"))
    expect_explained(first)
    expect(first.locator("[data-criterion=idle_capacity] .reason")).to_have_text(
        pattern(zh("%(free)d%% of its hours before the due date are still free."))
    )
    page.screenshot(path=str(screenshot_path("matching-supplier-zh_CN")), full_page=True)

    # And in English
    page.goto("/recommended-orders?lang=en")
    expect(page.locator("main h1")).to_have_text("Recommended orders")
    first = page.get_by_test_id("recommendation").first
    expect(first.locator("[data-criterion=lead_time] .criterion")).to_have_text("Lead time")
    page.screenshot(path=str(screenshot_path("matching-supplier-en")), full_page=True)

    # When it opens a recommendation, it lands on the order where it can quote
    order_id = first.get_attribute("data-order-id")
    first.get_by_test_id("recommendation-link").click()
    expect(page).to_have_url(re.compile(rf"/open-orders/{order_id}$"))
    expect(page.get_by_test_id("order-title")).not_to_be_empty()


def test_operator_plans_the_week_and_sees_the_gap(new_page: NewPage) -> None:
    # Given the operator signed in (prefers Chinese)
    page = new_page(locale="zh-CN")
    sign_in(page, OPERATOR_EMAIL)
    read_in_chinese(page)

    # When they open "Plan the week" and run it with a time limit out of range
    link = page.get_by_test_id("nav-plan")
    expect(link).to_have_text(zh("Plan the week"))
    link.click()
    expect(page.locator("main h1")).to_have_text(zh("Plan the week"))
    page.locator("input[name=time_limit]").fill("0")
    page.get_by_test_id("run-plan").click()

    # Then the page says what is wrong, and no plan is shown
    expect(page.locator(".field-error[data-field=time_limit]")).to_be_visible()
    expect(page.get_by_test_id("plan-result")).to_have_count(0)

    # When they plan split orders within 5 seconds
    page.locator("input[name=mode][value=split]").check()
    page.locator("input[name=time_limit]").fill("5")
    with page.expect_navigation(timeout=PLAN_WAIT_MS):
        page.get_by_test_id("run-plan").click()

    # Then the plan shows its cost, lower bound, gap, time and shares
    expect(page.get_by_test_id("plan-result")).to_be_visible()
    expect(page.get_by_test_id("plan-result")).to_contain_text(
        zh("Split orders: splittable orders may be shared out")
    )
    expect(page.get_by_test_id("plan-gap")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    expect(page.get_by_test_id("plan-objective")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_test_id("plan-lower-bound")).to_have_text(re.compile(r"\d"))
    expect(page.get_by_test_id("plan-seconds")).to_contain_text(re.compile(r"\d"))
    assert page.get_by_test_id("plan-share").count() > 0
    page.screenshot(path=str(screenshot_path("matching-operator-plan-zh_CN")), full_page=True)

    # And the whole-order plan works too
    page.locator("input[name=mode][value=whole]").check()
    page.locator("input[name=time_limit]").fill("2")
    with page.expect_navigation(timeout=PLAN_WAIT_MS):
        page.get_by_test_id("run-plan").click()
    expect(page.get_by_test_id("plan-result")).to_contain_text(
        zh("Whole orders: each order goes to one supplier")
    )
    expect(page.get_by_test_id("plan-gap")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
