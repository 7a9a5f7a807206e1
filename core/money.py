"""Money: a Decimal amount with an ISO 4217 currency. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum

# Matches the Numeric(18, 4) columns money is stored in.
SCALE = Decimal("0.0001")
MAX_ABS_AMOUNT = Decimal("99999999999999.9999")


class Currency(StrEnum):
    CNY = "CNY"
    USD = "USD"
    EUR = "EUR"


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal | int | str):
            raise TypeError("money amounts are Decimal, int or str, never float")
        try:
            amount = Decimal(self.amount)
        except InvalidOperation as error:
            raise ValueError(f"not a number: {self.amount!r}") from error
        if not amount.is_finite():
            raise ValueError("money amounts must be finite")
        amount = amount.quantize(SCALE, rounding=ROUND_HALF_EVEN)
        if abs(amount) > MAX_ABS_AMOUNT:
            raise ValueError("amount exceeds the storable range")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", Currency(self.currency))

    @classmethod
    def zero(cls, currency: Currency | str) -> Money:
        return cls(Decimal(0), Currency(currency))

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float) or not isinstance(factor, Decimal | int):
            raise TypeError("multiply money by Decimal or int, never float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"
