"""The marketplace in a real browser: machines, capacity, an order with a drawing, two quotes, a
split award and both packages through production to acceptance, dispute and review.

Every company is signed up fresh in the browser, so nothing here depends on the demo seed beyond
the server being up. The pages are checked in English and in Chinese, and on a phone.
"""

from __future__ import annotations

import random
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from marketplace.uscc import make_uscc
from tests.e2e.conftest import NewPage, screenshot_path, zh, zh_plural

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"
SUZHOU = "320500"


@dataclass(frozen=True)
class Company:
    legal_name: str
    email: str


def drawing_pdf(padding: int = 0) -> bytes:
    """A real one-page PDF (a part outline with a hole) with a valid xref table.

    `padding` adds an unused stream of that many bytes, for a file of a given size.
    """
    content = (
        b"0.8 w 40 60 m 360 60 l 360 240 l 40 240 l h S "
        b"100 150 m 100 172 118 190 140 190 c 162 190 180 172 180 150 c "
        b"180 128 162 110 140 110 c 118 110 100 128 100 150 c S "
        b"BT /F1 10 Tf 40 260 Td (HOUSING-120x80x40 Al 6061 +/-0.01) Tj ET"
    )
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % padding + b"0" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_file(name: str, content: bytes) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


def sign_up(page: Page, *, role: str, language: str, name: str) -> Company:
    """Register a fresh company playing `role` through the sign-up form; its owner is signed in."""
    token = uuid.uuid4().hex[:6]
    company = Company(f"{name}{token}有限公司", f"{role}-{token}@example.cn")
    page.goto("/signup")
    page.locator("#legal_name").fill(company.legal_name)
    page.locator("#country").select_option("CN")
    page.locator("#registration_number").fill(
        make_uscc("9", "1", SUZHOU, f"{random.randrange(10**8):08d}")
    )
    page.locator("#province").fill("江苏省")
    page.locator("#city").fill("苏州市")
    for box in ("buyer", "supplier"):
        checkbox = page.locator(f"input[name=roles][value={box}]")
        checkbox.set_checked(box == role)
    page.locator("#display_name").fill(f"{role.title()} {token}")
    page.locator("#preferred_language").select_option(language)
    page.locator("#email").fill(company.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/company$"))
    return company


def text_of(page: Page):
    """How a fixed English text reads on `page` right now (its Chinese on a Chinese page)."""
    return zh if (page.locator("html").get_attribute("lang") or "").startswith("zh") else str


def nav_to(page: Page, label: str) -> None:
    page.locator(".nav-links").get_by_role("link", name=text_of(page)(label), exact=True).click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(f"marketplace-{name}")), full_page=True)


def overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def register_machine(page: Page, name: str) -> None:
    t = text_of(page)
    nav_to(page, "Machines")
    expect(page.locator("main h1")).to_have_text(t("Machines"))
    page.locator("#name").fill(name)
    page.locator("#kind").select_option("cnc_mill_5axis")
    processes = page.locator("#processes")
    # The kind narrows the processes to what a 5-axis centre does
    expect(processes.locator("label.choice:visible")).to_have_count(4)
    expect(processes.locator("label[data-code=cnc_turning]")).to_be_hidden()
    processes.locator("input[value=cnc_milling_5axis]").check()
    processes.locator("input[value=cnc_milling_3axis]").check()
    page.locator("#materials input[value=al_6061]").check()
    page.locator("#materials input[value=al_7075]").check()
    page.locator("#brand").fill("DMG MORI")
    page.locator("#model").fill("DMU 50")
    page.locator("#year").fill("2019")
    page.locator("#envelope_x_mm").fill("500")
    page.locator("#envelope_y_mm").fill("450")
    page.locator("#envelope_z_mm").fill("400")
    page.locator("#tolerance_mm").fill("0.005")
    page.locator("#rate_amount").fill("380")
    page.get_by_test_id("register-machine").click()
    expect(page.locator(".flash-success")).to_be_visible()
    row = page.get_by_test_id("machine-row").filter(has_text=name)
    expect(row).to_contain_text(t("In service"))


def list_capacity(page: Page, title: str) -> None:
    t = text_of(page)
    nav_to(page, "Capacity")
    expect(page.locator("main h1")).to_have_text(t("Capacity"))
    page.locator("#title").fill(title)
    # The first active machine is chosen; its processes are offered when none are ticked
    week = {"mon": 10, "tue": 10, "wed": 10, "thu": 10, "fri": 10, "sat": 8, "sun": 0}
    for day, hours in week.items():
        page.locator(f"#{day}").fill(str(hours))
    page.locator("#price_amount").fill("400")
    page.locator("#min_lot").fill("10")
    page.locator("#lead_time_days").fill("10")
    page.get_by_test_id("create-listing").click()
    card = page.get_by_test_id("listing-card").filter(has_text=title)
    expect(card).to_contain_text(t("Open for orders"))
    expect(card.get_by_test_id("listing-hours")).to_contain_text("0")


def test_order_from_capacity_to_review(new_page: NewPage) -> None:
    today = date.today()
    marker = uuid.uuid4().hex[:6]

    # Given two suppliers, one working in English and one in Chinese, and a buyer
    supplier_a = new_page()
    company_a = sign_up(supplier_a, role="supplier", language="en", name="苏州精铣")
    supplier_b = new_page(locale="zh-CN")
    company_b = sign_up(supplier_b, role="supplier", language="zh_CN", name="昆山五轴")
    buyer = new_page()
    company_buyer = sign_up(buyer, role="buyer", language="en", name="苏州整机")

    # --- A supplier registers a machine (a refused spec first) and lists its capacity --------
    nav_to(supplier_a, "Machines")
    expect(supplier_a.get_by_text("No machines yet.", exact=False)).to_be_visible()
    supplier_a.locator("#name").fill("DMU 50 no. 1")
    supplier_a.locator("#kind").select_option("cnc_mill_5axis")
    for axis in ("x", "y", "z"):
        supplier_a.locator(f"#envelope_{axis}_mm").fill("500")
    supplier_a.locator("#tolerance_mm").fill("0.005")
    supplier_a.locator("#rate_amount").fill("380")
    supplier_a.get_by_test_id("register-machine").click()
    # Then the service's refusal sits next to the processes, and the input is kept
    expect(supplier_a.locator("small.field-error[data-field=processes]")).to_have_text(
        "Choose at least one process."
    )
    expect(supplier_a.locator("#name")).to_have_value("DMU 50 no. 1")

    register_machine(supplier_a, "DMU 50 no. 1")
    shot(supplier_a, "machines-en")
    # Status buttons come from the transition table and swap the row in place
    row = supplier_a.get_by_test_id("machine-row").filter(has_text="DMU 50 no. 1")
    row.get_by_test_id("machine-maintenance").click()
    expect(row).to_contain_text("In maintenance")
    expect(row.get_by_test_id("machine-maintenance")).to_have_count(0)
    row.get_by_test_id("machine-active").click()
    expect(row).to_contain_text("In service")
    supplier_a.goto("/dashboard")
    expect(supplier_a.get_by_test_id("supplier-card")).to_be_visible()
    expect(supplier_a.get_by_test_id("buyer-card")).to_have_count(0)
    shot(supplier_a, "dashboard-supplier-en")
    list_capacity(supplier_a, f"5-axis evenings {marker}")
    shot(supplier_a, "capacity-en")

    # Pausing and resuming swap the card in place
    card = supplier_a.get_by_test_id("listing-card").filter(has_text=f"5-axis evenings {marker}")
    card.get_by_test_id("listing-paused").click()
    expect(card).to_contain_text("Paused")
    card.get_by_test_id("listing-active").click()
    expect(card).to_contain_text("Open for orders")

    # An exception day (maintenance) takes its hours out of the free hours, and can be removed
    card.get_by_test_id("edit-listing").click()
    hours = supplier_a.get_by_test_id("listing-hours").first
    free_before = hours.inner_text()
    monday = today + timedelta(days=14 - today.weekday())
    supplier_a.locator("#day").fill(monday.isoformat())
    supplier_a.locator("#hours").fill("0")
    supplier_a.locator("#note").fill("Spindle maintenance")
    supplier_a.get_by_test_id("add-exception").click()
    expect(supplier_a.get_by_test_id("exceptions")).to_contain_text("Spindle maintenance")
    expect(hours).not_to_have_text(free_before)
    shot(supplier_a, "listing-en")
    supplier_a.get_by_test_id("remove-exception").click()
    expect(supplier_a.get_by_test_id("exceptions")).to_have_count(0)
    expect(supplier_a.get_by_test_id("listing-hours").first).to_have_text(free_before)

    # The Chinese supplier does the same in Chinese
    register_machine(supplier_b, "五轴 1 号机")
    list_capacity(supplier_b, f"五轴夜班产能 {marker}")
    expect(supplier_b.locator("html")).to_have_attribute("lang", "zh-CN")
    shot(supplier_b, "capacity-zh_CN")

    # --- The buyer posts an order with a PDF drawing and publishes it -------------------------
    title = f"Gearbox housing 6061 {marker}"
    nav_to(buyer, "Post an order")
    expect(buyer.locator("main h1")).to_have_text("Post an order")
    buyer.locator("#title").fill(title)
    buyer.locator("#process_code").select_option("cnc_milling_5axis")
    buyer.locator("#material").select_option("al_6061")
    buyer.locator("#part_x_mm").fill("120")
    buyer.locator("#part_y_mm").fill("80")
    buyer.locator("#part_z_mm").fill("40")
    buyer.locator("#tolerance_mm").fill("0.01")
    buyer.locator("#description").fill("Anodised black after machining. Threads M6 per drawing.")
    buyer.locator("#file").set_input_files(files=[pdf_file("housing-rev-A.pdf", drawing_pdf())])
    buyer.locator("#quantity").fill("100")
    buyer.locator("#due_date").fill((today + timedelta(days=60)).isoformat())
    buyer.locator("#target_unit_price").fill("150")
    buyer.locator("#splittable").check()
    buyer.locator("#min_lot").fill("20")
    buyer.locator("#delivery_province").fill("江苏省")
    buyer.locator("#delivery_city").fill("苏州市")
    buyer.locator("input[name=required_certifications][value='ISO 9001']").check()
    shot(buyer, "new-order-en")
    buyer.get_by_test_id("publish-order").click()

    # Then the order is open for quotes with its drawing, which downloads as the same PDF
    expect(buyer.get_by_test_id("order-title")).to_have_text(title)
    expect(buyer.locator("main hgroup .badge")).to_have_text("Open for quotes")
    link = buyer.get_by_test_id("drawings").get_by_role("link", name=re.compile("housing-rev-A"))
    download = buyer.request.get(link.get_attribute("href"))
    assert download.status == 200
    assert download.body() == drawing_pdf()
    assert download.headers["content-type"] == "application/pdf"
    order_url = buyer.url
    order_id = int(order_url.rstrip("/").rsplit("/", 1)[1])

    # A file that only pretends to be a PDF is refused next to the upload field
    buyer.locator("#drawing-file").set_input_files(
        files=[pdf_file("rev-B.pdf", b"MZ\x90\x00 an executable, renamed")]
    )
    buyer.get_by_test_id("upload-drawing").click()
    expect(buyer.locator("small.field-error[data-field=file]")).to_have_text(
        "Only PDF, STEP, DXF, PNG and JPEG drawings can be attached."
    )
    # A drawing larger than the site-wide 1 MiB request limit still goes through
    big = drawing_pdf(padding=1_500_000)
    buyer.locator("#drawing-file").set_input_files(files=[pdf_file("housing-rev-B.pdf", big)])
    buyer.get_by_test_id("upload-drawing").click()
    expect(buyer.get_by_test_id("drawings").locator("li")).to_have_count(2)
    big_link = buyer.get_by_test_id("drawings").get_by_role("link", name="housing-rev-B.pdf")
    assert buyer.request.get(big_link.get_attribute("href")).body() == big

    # --- Supplier A finds it under Open orders and quotes (then revises) -------------------
    nav_to(supplier_a, "Open orders")
    supplier_a.locator("#family").select_option("machining")
    expect(supplier_a).to_have_url(re.compile(r"family=machining"))
    order_card = supplier_a.get_by_test_id("open-order").filter(has_text=title)
    expect(order_card).to_contain_text("Matches your capacity")
    shot(supplier_a, "open-orders-en")
    order_card.get_by_role("link", name=title).click()
    expect(supplier_a.get_by_test_id("order-title")).to_have_text(title)
    # Not invited yet: the drawing exists but is not shown
    expect(supplier_a.get_by_test_id("drawings-withheld")).to_contain_text("2 drawings")
    expect(supplier_a.locator("#listing_id option")).to_have_count(1)
    supplier_a.locator("#unit_price").fill("142")
    supplier_a.locator("#quantity").fill("60")
    supplier_a.locator("#machine_hours").fill("30")
    supplier_a.locator("#lead_time_days").fill("12")
    supplier_a.locator("#note").fill("Anodising by our partner next door.")
    supplier_a.get_by_test_id("send-quote").click()
    expect(supplier_a.get_by_test_id("quote-price")).to_have_text(re.compile(r"142\.00"))
    supplier_a.locator("#unit_price").fill("138")
    supplier_a.get_by_test_id("send-quote").click()
    expect(supplier_a.locator(".flash-success")).to_contain_text("revision 2")
    expect(supplier_a.get_by_test_id("quote-price")).to_have_text(re.compile(r"138\.00"))
    shot(supplier_a, "supplier-order-en")
    nav_to(supplier_a, "My quotes")
    expect(supplier_a.get_by_test_id("quote-row").filter(has_text=title)).to_contain_text(
        "Submitted"
    )

    # --- Supplier B quotes the whole quantity, in Chinese -------------------------------------
    supplier_b.goto(f"/open-orders/{order_id}")
    expect(supplier_b.get_by_test_id("order-title")).to_have_text(title)
    expect(supplier_b.get_by_role("heading", name=zh("Send a quote"))).to_be_visible()
    supplier_b.locator("#unit_price").fill("155")
    supplier_b.locator("#machine_hours").fill("45")
    supplier_b.locator("#lead_time_days").fill("20")
    supplier_b.get_by_test_id("send-quote").click()
    sent = zh("Your quote is sent to the buyer.")
    expect(supplier_b.locator(".flash-success")).to_have_text(sent)
    shot(supplier_b, "supplier-order-zh_CN")

    # --- The buyer compares the quotes side by side ----------------------------------------
    buyer.goto(order_url)
    expect(buyer.get_by_test_id("quote-count")).to_have_text("2 suppliers have quoted.")
    buyer.get_by_test_id("compare-quotes").click()
    expect(buyer.locator("main h1")).to_have_text("Compare quotes")
    rows = buyer.get_by_test_id("quote-row")
    expect(rows).to_have_count(2)
    # Cheapest first, with the gap to the target price and an honest scorecard
    expect(rows.nth(0)).to_contain_text(company_a.legal_name)
    expect(rows.nth(0).get_by_test_id("versus-target")).to_have_text(re.compile("8%.*below target"))
    expect(rows.nth(1).get_by_test_id("versus-target")).to_have_text(re.compile("3%.*above target"))
    expect(rows.get_by_test_id("not-enough-history")).to_have_count(2)

    # When the award adds up to more than ordered, the page says so next to the award
    rows.nth(0).get_by_test_id("award-quantity").fill("60")
    rows.nth(1).get_by_test_id("award-quantity").fill("60")
    expect(buyer.locator("[data-award-quantity]")).to_have_text("120")
    buyer.get_by_test_id("award").click()
    expect(buyer.locator("small.field-error[data-field=allocations]")).to_have_text(
        "The awarded quantities add up to 120, more than the 100 ordered."
    )

    # The same page in Chinese
    buyer.get_by_test_id("language-zh_CN").click()
    expect(buyer.locator("main h1")).to_have_text(zh("Compare quotes"))
    expect(buyer.get_by_test_id("not-enough-history").first).to_contain_text(
        zh("Not enough history yet (%(done)d of %(needed)d finished packages)")
        % {"done": 0, "needed": 3}
    )
    shot(buyer, "compare-zh_CN")
    buyer.get_by_test_id("language-en").click()
    expect(buyer.locator("main h1")).to_have_text("Compare quotes")

    # When it is split 60 / 40 across both suppliers
    rows = buyer.get_by_test_id("quote-row")
    rows.nth(0).get_by_test_id("award-quantity").fill("60")
    rows.nth(1).get_by_test_id("award-quantity").fill("40")
    expect(buyer.locator("[data-award-quantity]")).to_have_text("100")
    expect(buyer.locator("[data-award-value]")).to_contain_text("14,480.00")
    shot(buyer, "compare-en")
    buyer.get_by_test_id("award").click()

    # Then two work packages exist and the order is awarded
    expect(buyer.locator(".flash-success")).to_have_text(
        "The order is awarded: 2 work packages are created."
    )
    expect(buyer.get_by_test_id("package-row")).to_have_count(2)
    expect(buyer.locator("main .page-head .badge").first).to_have_text("Awarded")

    # --- The suppliers make their packages ----------------------------------------------------
    supplier_a.goto(f"/open-orders/{order_id}")
    # Awarded work may read the drawings
    expect(supplier_a.get_by_test_id("drawings")).to_contain_text("housing-rev-A.pdf")
    supplier_a.get_by_test_id("package-link").click()
    expect(supplier_a.get_by_test_id("package-title")).to_be_visible()
    supplier_a.get_by_test_id("package-in_production").click()
    expect(supplier_a.locator("main hgroup .badge")).to_have_text("In production")
    supplier_a.locator("#progress_pct").fill("50")
    supplier_a.locator("#forecast_date").fill((today + timedelta(days=11)).isoformat())
    supplier_a.locator("#progress_note").fill("Roughing done on all 60 pieces.")
    supplier_a.get_by_test_id("report-progress").click()
    expect(supplier_a.get_by_test_id("timeline")).to_contain_text("Roughing done on all 60")
    supplier_a.get_by_test_id("package-quality_check").click()
    supplier_a.locator("#note").fill("SF Express SF1234567890")
    supplier_a.get_by_test_id("package-shipped").click()
    expect(supplier_a.locator("main hgroup .badge")).to_have_text("Shipped")
    expect(supplier_a.get_by_test_id("timeline")).to_contain_text("SF1234567890")
    shot(supplier_a, "package-supplier-en")

    # Another supplier cannot open it: the package does not exist for them
    package_url = supplier_a.url
    assert supplier_b.goto(package_url).status == 404

    # Supplier B's first inspection fails and the package goes back to production
    supplier_b.goto("/packages")
    expect(supplier_b.locator("main h1")).to_have_text(zh("Work packages"))
    supplier_b.get_by_test_id("package-row").filter(has_text=title).get_by_role(
        "link"
    ).first.click()
    supplier_b.get_by_test_id("package-in_production").click()
    supplier_b.get_by_test_id("package-quality_check").click()
    supplier_b.get_by_test_id("package-in_production").click()
    expect(supplier_b.locator("main hgroup .badge")).to_have_text(zh("In production"))
    expect(supplier_b.get_by_test_id("package-title")).to_be_visible()
    supplier_b.get_by_test_id("package-quality_check").click()
    supplier_b.get_by_test_id("package-shipped").click()
    expect(supplier_b.locator("main hgroup .badge")).to_have_text(zh("Shipped"))
    expect(supplier_b.get_by_test_id("inspection-result")).to_have_text(
        [f"{zh('Inspection')}: {zh('Passed')}", f"{zh('Inspection')}: {zh('Failed')}"]
    )
    shot(supplier_b, "package-supplier-zh_CN")

    # --- The buyer receives both: accepts and reviews one, disputes the other ----------------
    buyer.goto(order_url)
    buyer.get_by_test_id("package-row").filter(has_text=company_a.legal_name).get_by_role(
        "link"
    ).click()
    expect(buyer.get_by_test_id("promised-date")).to_be_visible()
    expect(buyer.get_by_test_id("timeline")).to_contain_text("Roughing done on all 60")
    package_a_id = int(buyer.url.rstrip("/").rsplit("/", 1)[1])
    buyer.get_by_test_id("package-delivered").click()
    buyer.get_by_test_id("package-accepted_by_buyer").click()
    expect(buyer.locator("main hgroup .badge")).to_have_text("Accepted by the buyer")
    buyer.locator("label[for=quality-0]").click()  # five stars
    buyer.locator("label[for=delivery-1]").click()  # four stars
    buyer.locator("label[for=communication-0]").click()
    buyer.locator("#comment").fill("Clean parts, anodising even, early delivery.")
    buyer.get_by_test_id("send-review").click()
    review = buyer.get_by_test_id("review")
    expect(review).to_contain_text("Clean parts, anodising even")
    expect(review.locator(".stars-shown").nth(1).locator(".on")).to_have_count(4)
    shot(buyer, "package-buyer-en")

    buyer.goto(order_url)
    buyer.get_by_test_id("package-row").filter(has_text=company_b.legal_name).get_by_role(
        "link"
    ).click()
    buyer.get_by_test_id("package-delivered").click()
    # A dispute without a note is refused next to the note
    buyer.get_by_test_id("package-disputed").click()
    expect(buyer.locator("small.field-error[data-field=note]")).to_have_text(
        "Say what is wrong when you dispute a delivery."
    )
    buyer.locator("#note").fill("12 of 40 pieces have burrs in the M6 threads.")
    buyer.get_by_test_id("package-disputed").click()
    expect(buyer.locator("main hgroup .badge")).to_have_text("Disputed")
    expect(buyer.get_by_test_id("timeline")).to_contain_text("burrs in the M6 threads")

    # Then the order shows the dispute, in both languages
    buyer.goto(order_url)
    expect(buyer.locator("main .page-head .badge").first).to_have_text("Disputed")
    shot(buyer, "buyer-order-en")
    buyer.get_by_test_id("language-zh_CN").click()
    expect(buyer.locator("main .page-head .badge").first).to_have_text(zh("Disputed"))
    expect(buyer.get_by_role("heading", name=zh("Work packages"))).to_be_visible()
    shot(buyer, "buyer-order-zh_CN")
    nav_to(buyer, "My orders")
    expect(buyer.locator("main h1")).to_have_text(zh("My orders"))
    expect(buyer.get_by_test_id("order-row").filter(has_text=title)).to_contain_text(zh("Disputed"))
    shot(buyer, "buyer-orders-zh_CN")
    buyer.get_by_test_id("language-en").click()

    # --- On a phone the key pages fit the screen ----------------------------------------------
    phone = new_page(viewport=PHONE)
    phone.goto("/login")
    phone.locator("#email").fill(company_buyer.email)
    phone.locator("#password").fill(PASSWORD)
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/dashboard$"))
    for path, name in (
        ("/dashboard", "dashboard"),
        (order_url, "order"),
        (f"/orders/{order_id}/quotes", "compare"),
        ("/packages", "packages"),
        ("/orders/new", "new-order"),
        (f"/packages/{package_a_id}", "package"),
    ):
        phone.goto(path)
        assert overflow(phone) == 0, path
        shot(phone, f"phone-{name}")


def test_draft_withdrawn_quote_and_cancelled_order(new_page: NewPage) -> None:
    marker = uuid.uuid4().hex[:6]
    title = f"Turned shafts 45# {marker}"

    # Given a buyer who saves an order as a draft, and a supplier with capacity
    buyer = new_page(locale="zh-CN")
    sign_up(buyer, role="buyer", language="zh_CN", name="宁波整机")
    supplier = new_page(viewport=PHONE)
    sign_up(supplier, role="supplier", language="en", name="宁波精车")
    supplier.on("dialog", lambda dialog: dialog.accept())
    buyer.on("dialog", lambda dialog: dialog.accept())

    buyer.goto("/orders/new")
    expect(buyer.locator("main h1")).to_have_text(zh("Post an order"))
    buyer.locator("#title").fill(title)
    buyer.locator("#process_code").select_option("cnc_milling_5axis")
    buyer.locator("#material").select_option("steel_45")
    for field, value in (("part_x_mm", "200"), ("part_y_mm", "30"), ("part_z_mm", "30")):
        buyer.locator(f"#{field}").fill(value)
    buyer.locator("#tolerance_mm").fill("0.02")
    buyer.locator("#quantity").fill("500")
    buyer.locator("#delivery_city").fill("宁波市")
    # Not splittable: the minimum lot is hidden, it means nothing then
    expect(buyer.locator("#min_lot")).to_be_hidden()
    buyer.get_by_test_id("save-draft").click()
    expect(buyer.locator("main .page-head .badge").first).to_have_text(zh("Draft"))
    expect(buyer.locator(".flash-info")).to_have_text(
        zh("This order is a draft: suppliers do not see it until you publish it.")
    )
    order_url = buyer.url
    order_id = int(order_url.rstrip("/").rsplit("/", 1)[1])

    # The supplier (on a phone) cannot open the draft yet
    register_machine(supplier_menu(supplier), "Mazak VCN 1")
    list_capacity(supplier_menu(supplier), f"Day shift {marker}")
    assert supplier.goto(f"/open-orders/{order_id}").status == 404

    # When the buyer publishes it, the supplier quotes, withdraws and sends it again
    buyer.get_by_test_id("order-published").click()
    expect(buyer.locator("main .page-head .badge").first).to_have_text(zh("Open for quotes"))
    supplier.goto(f"/open-orders/{order_id}")
    supplier.locator("#unit_price").fill("36.5")
    supplier.locator("#machine_hours").fill("60")
    supplier.locator("#lead_time_days").fill("15")
    # A partial quote is refused: the order may not be split
    supplier.locator("#quantity").fill("300")
    supplier.get_by_test_id("send-quote").click()
    expect(supplier.locator("small.field-error[data-field=quantity]")).to_have_text(
        "This order may not be split: quote the whole quantity."
    )
    supplier.locator("#quantity").fill("500")
    supplier.get_by_test_id("send-quote").click()
    expect(supplier.get_by_test_id("my-quote")).to_contain_text("Submitted")
    assert overflow(supplier) == 0
    shot(supplier, "phone-supplier-order")
    supplier.get_by_test_id("withdraw-quote").click()
    expect(supplier.get_by_test_id("my-quote")).to_contain_text("Withdrawn")
    supplier.get_by_test_id("send-quote").click()
    expect(supplier.get_by_test_id("my-quote")).to_contain_text("Submitted")
    expect(supplier.get_by_test_id("my-quote")).to_contain_text("Earlier revisions")

    # When the buyer cancels the order
    buyer.reload()
    expect(buyer.get_by_test_id("quote-count")).to_have_text(
        zh_plural("%(num)d supplier has quoted.") % {"num": 1}
    )
    buyer.get_by_test_id("order-cancelled").click()
    expect(buyer.locator("main .page-head .badge").first).to_have_text(zh("Cancelled"))

    # Then the supplier's quote was not chosen, and the pages fit the phone
    supplier_menu(supplier).locator(".nav-links").get_by_role("link", name="My quotes").click()
    expect(supplier.get_by_test_id("quote-row").filter(has_text=title)).to_contain_text(
        "Not chosen"
    )
    for path, name in (
        ("/quotes", "quotes"),
        ("/machines", "machines"),
        ("/capacity", "capacity"),
        ("/open-orders", "open-orders"),
    ):
        supplier.goto(path)
        assert overflow(supplier) == 0, path
        shot(supplier, f"phone-supplier-{name}")


def supplier_menu(page: Page) -> Page:
    """Open the folded navigation when the page is on a phone; the page, for chaining."""
    toggle = page.locator("label[for=nav-toggle]")
    if toggle.is_visible() and page.locator(".nav-links").is_hidden():
        toggle.click()
    return page
