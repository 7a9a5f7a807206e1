"""Signing up, signing out and joining a company by invitation, in a real browser."""

from __future__ import annotations

import random
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from marketplace.domain import InvalidRegistrationNumber, normalize_registration_number
from marketplace.uscc import CODE_ALPHABET, make_uscc
from tests.e2e.conftest import (
    BUYER_EMAIL,
    LENDER_EMAIL,
    NewPage,
    demo_company,
    sign_in,
    zh,
)

pytestmark = pytest.mark.e2e

DONGGUAN = "441900"


def _fresh_uscc() -> str:
    return make_uscc("9", "1", DONGGUAN, f"{random.randrange(10**8):08d}")


def _with_wrong_check_character(code: str) -> str:
    return code[:17] + next(char for char in CODE_ALPHABET if char != code[17])


def _check_character_message(code: str) -> str:
    """The English message the domain gives for `code` (the page shows it, translated)."""
    with pytest.raises(InvalidRegistrationNumber) as caught:
        normalize_registration_number("CN", code)
    return caught.value.message


def _fill_signup(page: Page, *, legal_name: str, code: str, email: str) -> None:
    page.locator("#legal_name").fill(legal_name)
    page.locator("#country").select_option("CN")
    page.locator("#registration_number").fill(code)
    page.locator("#province").fill("广东省")
    page.locator("#city").fill("东莞市")
    page.locator("#address").fill("长安镇振安中路 88 号")
    page.locator("input[name=roles][value=supplier]").check()
    page.locator("#display_name").fill("陈测试")
    page.locator("#preferred_language").select_option("en")
    page.locator("#email").fill(email)
    page.locator("#password").fill("correct horse battery")


def _submit(page: Page) -> None:
    page.locator("main form button[type=submit]").click()


def test_signup_creates_company_and_lands_on_profile(new_page: NewPage) -> None:
    # Given a fresh valid unified social credit code, and the same code with a wrong last character
    page = new_page()
    code = _fresh_uscc()
    wrong_code = _with_wrong_check_character(code)
    message = _check_character_message(wrong_code)
    legal_name = f"东莞市测试{uuid.uuid4().hex[:6]}精密五金有限公司"
    email = f"owner-{uuid.uuid4().hex[:10]}@example.cn"
    page.goto("/signup")

    # When the form is sent with the mistyped code
    _fill_signup(page, legal_name=legal_name, code=wrong_code, email=email)
    _submit(page)

    # Then the field says what is wrong, and the page stays on the form with the input kept
    error = page.locator("small.field-error[data-field=registration_number]")
    expect(error).to_have_text(message)
    expect(page.locator("#registration_number")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/signup$"))
    expect(page.locator("#legal_name")).to_have_value(legal_name)
    expect(page.locator("#registration_number")).to_have_value(wrong_code)

    # When the code is corrected (the password field is never sent back, so it is typed again)
    page.locator("#registration_number").fill(code)
    page.locator("#password").fill("correct horse battery")
    _submit(page)

    # Then the new owner is signed in on the company page
    expect(page).to_have_url(re.compile(r"/company$"))
    expect(page.get_by_test_id("company-name")).to_have_text(legal_name)
    expect(page.locator("dl.facts code")).to_have_text(code)
    expect(page.locator(".flash-success")).to_have_text(
        "Welcome to ShareFab. Your company is registered."
    )
    expect(page.get_by_test_id("sign-out")).to_have_text("Sign out")


def test_signup_check_character_error_in_chinese(new_page: NewPage) -> None:
    # Given a Chinese browser on the sign-up form
    page = new_page(locale="zh-CN")
    wrong_code = _with_wrong_check_character(_fresh_uscc())
    message = _check_character_message(wrong_code)
    page.goto("/signup")
    expect(page.locator("#preferred_language")).to_have_value("zh_CN")

    # When a code with a wrong check character is sent
    _fill_signup(
        page,
        legal_name="东莞市校验位测试有限公司",
        code=wrong_code,
        email=f"owner-{uuid.uuid4().hex[:10]}@example.cn",
    )
    _submit(page)

    # Then the error is in Chinese and nothing was registered
    expect(page.locator("small.field-error[data-field=registration_number]")).to_have_text(
        zh(message)
    )
    expect(page).to_have_url(re.compile(r"/signup$"))


def test_sign_out(page: Page) -> None:
    # Given a signed-in owner
    sign_in(page, LENDER_EMAIL)

    # When they sign out
    page.get_by_test_id("sign-out").click()

    # Then they are on the home page as a visitor
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("sign-out")).to_have_count(0)
    expect(page.locator(".nav-links a[href='/login']")).to_be_visible()
    expect(page.locator(".nav-links a[href='/login']")).to_have_text("Sign in")
    expect(page.locator(".flash-success")).to_have_text("You are signed out.")

    # And the company page sends them to the sign-in form
    page.goto("/company")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcompany$"))
    expect(page.locator("main h1")).to_have_text("Sign in")


def test_invitation_flow(new_page: NewPage, base_url: str) -> None:
    # Given the buyer's owner on the members page
    company = demo_company("buyer-001")
    owner = new_page()
    sign_in(owner, BUYER_EMAIL)
    owner.locator(".nav-links a[href='/company/members']").click()
    expect(owner).to_have_url(re.compile(r"/company/members$"))
    invitee = f"colleague-{uuid.uuid4().hex[:10]}@example.cn"

    # When the owner invites a colleague
    owner.locator("form.invite-form input[name=email]").fill(invitee)
    owner.locator("form.invite-form button[type=submit]").click()

    # Then a link to share is shown once, and the invitation is listed as open
    link = owner.get_by_test_id("invitation-link").locator("input").input_value()
    assert re.fullmatch(re.escape(base_url) + r"/invitations/[A-Za-z0-9_.\-]+", link), link
    invitation_row = owner.locator("tr", has=owner.locator("td", has_text=invitee))
    expect(invitation_row).to_have_count(1)

    # When the colleague opens the link in their own browser and creates an account
    member = new_page(locale="en-US")
    member.goto(link)
    expect(member.locator("main h1")).to_have_text(f"Join {company.legal_name}")
    member.locator("#display_name").fill("Lin Colleague")
    member.locator("#password").fill("a long enough password")
    member.locator("#preferred_language").select_option("en")
    member.locator("main form button[type=submit]").click()

    # Then they are signed in on the company page as a member, in English
    expect(member).to_have_url(re.compile(r"/company$"))
    expect(member.get_by_test_id("company-name")).to_have_text(company.legal_name)
    expect(member.locator(".flash-success")).to_have_text(f"Welcome to {company.legal_name}.")
    expect(member.get_by_test_id("account-link")).to_have_text("Lin Colleague")
    navigation = member.locator(".nav-links")
    expect(navigation.locator("a[href='/company/members']")).to_have_text("Members")
    # ... and a member has neither API tokens nor the profile editor
    expect(navigation.locator("a[href='/tokens']")).to_have_count(0)
    expect(navigation).not_to_contain_text("API tokens")
    expect(member.locator("form[action='/company']")).to_have_count(0)

    # And the link works only once
    again = new_page(locale="en-US")
    response = again.goto(link)
    assert response is not None and response.status == 404
    expect(again.locator("main h1")).to_have_text("This invitation cannot be used")
