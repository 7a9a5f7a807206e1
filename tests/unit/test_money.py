"""Money keeps Decimal amounts with a currency and refuses floats and mixed currencies."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import Currency, CurrencyMismatch, Money

amounts = st.decimals(
    min_value=Decimal("-1000000000"), max_value=Decimal("1000000000"), places=4, allow_nan=False
)
currencies = st.sampled_from(list(Currency))


def test_amount_is_quantized_to_four_places_half_even():
    assert Money(Decimal("1.00005"), Currency.CNY).amount == Decimal("1.0000")
    assert Money(Decimal("1.00015"), Currency.CNY).amount == Decimal("1.0002")


def test_float_amounts_are_refused():
    with pytest.raises(TypeError):
        Money(0.1, Currency.USD)  # type: ignore[arg-type]


def test_multiplying_by_float_is_refused():
    with pytest.raises(TypeError):
        Money(Decimal(1), Currency.USD) * 1.5  # type: ignore[operator]


def test_mixed_currencies_cannot_be_added():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), Currency.CNY) + Money(Decimal(1), Currency.EUR)


def test_non_finite_and_out_of_range_amounts_are_refused():
    with pytest.raises(ValueError):
        Money(Decimal("NaN"), Currency.CNY)
    with pytest.raises(ValueError):
        Money(Decimal("1e20"), Currency.CNY)


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError):
        Money(Decimal(1), "GBP")  # type: ignore[arg-type]


def test_string_form_shows_two_decimals_and_currency():
    assert str(Money(Decimal("12.5"), Currency.CNY)) == "12.50 CNY"


@given(amounts, amounts, currencies)
def test_addition_then_subtraction_restores_the_amount(a, b, currency):
    left, right = Money(a, currency), Money(b, currency)
    assert (left + right) - right == left


@given(st.lists(amounts, max_size=20), currencies)
def test_sum_is_exact_regardless_of_order(values, currency):
    forward = sum((Money(v, currency) for v in values), Money.zero(currency))
    backward = sum((Money(v, currency) for v in reversed(values)), Money.zero(currency))
    assert forward == backward
    assert forward.amount == sum(values, Decimal(0))
