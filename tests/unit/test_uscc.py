"""Unified social credit codes (GB 32100-2015) and the registration-number rule built on them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from marketplace.domain import normalize_registration_number
from marketplace.uscc import CODE_ALPHABET, make_uscc, organization_check_character, uscc_problem

# Codes printed on real business licences.
REAL_CODES = ["914403001922038216", "91110000600037341L", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert uscc_problem(code) is None


def test_a_changed_character_breaks_the_check_character():
    assert uscc_problem("914403001922038217") == "check_character"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91440300192203821", "length"),
        ("9144030019220382166", "length"),
        ("91440300192203821I", "alphabet"),
        ("914403001922038z16", "alphabet"),
        ("91A403001922038216", "division"),
    ],
)
def test_malformed_codes_name_their_problem(code, problem):
    assert uscc_problem(code) == problem


def test_organization_check_character_matches_gb_11714():
    # 192203821 is Huawei's organization code with its check digit 1 as the ninth character.
    assert organization_check_character("19220382") == "1"


@given(
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)
def test_every_built_code_is_valid(organization, division):
    code = make_uscc("9", "1", division, organization.replace("I", "1"))
    assert uscc_problem(code) is None


@given(st.integers(min_value=0, max_value=16), st.sampled_from(CODE_ALPHABET))
def test_any_single_substitution_is_detected(position, replacement):
    code = REAL_CODES[0]
    if code[position] == replacement or (2 <= position < 8 and not replacement.isdigit()):
        return
    altered = code[:position] + replacement + code[position + 1 :]
    assert uscc_problem(altered) is not None


def test_chinese_registration_numbers_are_normalized_before_checking():
    assert normalize_registration_number("CN", " 9144 0300-1922 038216 ") == "914403001922038216"


def test_a_bad_chinese_code_is_rejected_with_a_message_about_the_check_character():
    with pytest.raises(InvalidInput) as raised:
        normalize_registration_number("CN", "914403001922038217")
    assert raised.value.field == "registration_number"
    assert "check character" in raised.value.message


@pytest.mark.parametrize("number", ["HRB 123456", "12-3456789", "5010401089001"])
def test_other_countries_accept_ordinary_registration_numbers(number):
    assert normalize_registration_number("DE", number) == number


@pytest.mark.parametrize("number", ["", "x", "<script>", "a" * 80])
def test_other_countries_reject_implausible_numbers(number):
    with pytest.raises(InvalidInput):
        normalize_registration_number("DE", number)
