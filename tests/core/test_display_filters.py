"""The display filters every page and PDF uses for money, rates and quantities."""

from decimal import Decimal

import pytest

from app.web import chf, number


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "1'234.50"),
        (Decimal("0.05"), "0.05"),
        (Decimal("-250.00"), "-250.00"),
        (Decimal("1000000"), "1'000'000.00"),
    ],
)
def test_money_is_shown_in_swiss_notation(amount, shown):
    assert chf(amount) == shown


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        chf(1.5)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("8.1000"), "8.1"),
        (Decimal("10.00"), "10"),
        (Decimal("7.70"), "7.7"),
        (Decimal("100"), "100"),
    ],
)
def test_rates_and_quantities_are_shown_without_trailing_zeros_or_exponent(value, shown):
    assert number(value) == shown
