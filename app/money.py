"""Swiss franc arithmetic: exact Decimal amounts, half-up rounding to Rappen and to 0.05 CHF.

Every rounding here is ROUND_HALF_UP (SPEC section 5). Python's Decimal implements it as
"ties away from zero", so a negative amount (a credit line, a credit note) rounds to the
exact mirror of the positive one: -0.005 -> -0.01 just as 0.005 -> 0.01. That symmetry is
what makes a credit note cancel its invoice to the Rappen.

Money is never a float: a float has already lost the exact value (0.1 + 0.2 != 0.3), so
every public function raises TypeError for one instead of guessing what was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "CENT",
    "FIVE_RAPPEN",
    "NO_DISCOUNT",
    "AgreedDiscount",
    "CashRounding",
    "Discounted",
    "apportion",
    "format_chf",
    "parse_money",
    "percent_of",
    "pro_rata",
    "require_cents",
    "round_chf",
    "round_to_five_rappen",
]

CENT = Decimal("0.01")
FIVE_RAPPEN = Decimal("0.05")

# A month has 28 to 31 days; anything else passed as `days_in_month` is a caller bug
# (for instance days of the year), and silently billing it would go unnoticed.
_MONTH_LENGTHS = range(28, 32)

# Swiss notation groups thousands with an apostrophe; exports from Excel or a bank often
# use the typographic one (U+2019) instead of the ASCII one, so both are accepted.
_MONEY_PATTERN = re.compile(
    r"""
    (?P<sign>-)?
    (?P<units>\d{1,3}(?:['\u2019]\d{3})+|\d+)    # 1'234'567 or 1234567
    (?:[.,](?P<fraction>\d{1,2}))?               # decimal point or comma, at most Rappen
    """,
    re.VERBOSE | re.ASCII,  # ASCII: \d must not match other scripts' digits
)


class CashRounding(NamedTuple):
    """A total rounded to 0.05 CHF and the difference shown as the rounding line."""

    payable: Decimal
    rounding_difference: Decimal


def _require_amount(value: object, name: str = "amount") -> Decimal:
    """Return `value` as a finite Decimal; refuse floats and anything that is not a number."""
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float (money is never float): {value!r}")
    # bool is an int subclass, but an amount of True CHF is certainly a bug.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}: {value!r}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite number, got {amount}")
    return amount


def _require_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    return value


def _round_fraction_to_cents(value: Fraction) -> Decimal:
    """Round an exact rational number of francs to 0.01, half up (ties away from zero)."""
    # Working on the exact fraction avoids the double rounding that Decimal division would
    # do first at the context precision (28 digits) and then again at 0.01.
    cents, remainder = divmod(abs(value) * 100, 1)
    if remainder >= Fraction(1, 2):
        cents += 1
    result = Decimal(int(cents)).scaleb(-2)
    return -result if value < 0 and cents else result


def round_chf(amount: Decimal | int) -> Decimal:
    """Round an amount to 0.01 CHF, half up; the result always has exactly two decimals."""
    amount = _require_amount(amount)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + 0  # "+ 0" turns -0.00 into 0.00


def require_cents(amount: Decimal | int, name: str = "amount") -> Decimal:
    """Return `amount` with two decimals, or raise ValueError if it has fractions of a Rappen.

    Used where an amount must already be final (an invoice line, a total): rounding it
    again here would hide a missing rounding step upstream.
    """
    amount = _require_amount(amount, name)
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded != amount:
        raise ValueError(f"{name} must be a whole number of Rappen (0.01 CHF), got {amount}")
    return rounded + 0


def round_to_five_rappen(amount: Decimal | int) -> CashRounding:
    """Round a total to 0.05 CHF, half up, and return it with the rounding difference.

    The input must already be at 0.01 CHF (a VAT-inclusive total). With such inputs a tie
    cannot occur (x.x2 goes down, x.x3 goes up), but half up is still stated for clarity.
    `rounding_difference` is `payable - amount`, e.g. 10.02 -> (10.00, -0.02) and
    10.03 -> (10.05, 0.02); negative totals round symmetrically.
    """
    amount = require_cents(amount)
    steps = (amount / FIVE_RAPPEN).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    payable = (steps * FIVE_RAPPEN).quantize(CENT) + 0
    return CashRounding(payable=payable, rounding_difference=payable - amount)


def apportion(amount: Decimal | int, part: int, whole: int) -> Decimal:
    """Return `amount * part / whole` rounded to 0.01 CHF, half up, computed exactly.

    The share of an amount for `part` out of `whole` units (days, as a rule). Callers that
    split one amount into several shares must make the shares add up themselves.
    """
    amount = _require_amount(amount)
    part = _require_int(part, "part")
    whole = _require_int(whole, "whole")
    if whole <= 0:
        raise ValueError(f"whole must be positive, got {whole}")
    if not 0 <= part <= whole:
        raise ValueError(f"part must be between 0 and {whole}, got {part}")
    return _round_fraction_to_cents(Fraction(amount) * part / whole)


def percent_of(amount: Decimal | int, percent: Decimal | int) -> Decimal:
    """Return `percent` % of `amount` rounded to 0.01 CHF, half up, computed exactly.

    For VAT (8.1 % of 5.00 = 0.405 -> 0.41) and percentage discounts.
    """
    amount = _require_amount(amount)
    percent = _require_amount(percent, "percent")
    return _round_fraction_to_cents(Fraction(amount) * Fraction(percent) / 100)


def pro_rata(monthly_price: Decimal | int, days: int, days_in_month: int) -> Decimal:
    """Return the price of `days` days of a month: monthly price x days / days in month.

    Rounded to 0.01 CHF half up per line (SPEC section 5), e.g. 129.00 x 7/31 = 29.13.
    """
    days_in_month = _require_int(days_in_month, "days_in_month")
    if days_in_month not in _MONTH_LENGTHS:
        raise ValueError(f"days_in_month must be 28 to 31, got {days_in_month}")
    days = _require_int(days, "days")
    if not 0 <= days <= days_in_month:
        raise ValueError(f"days must be between 0 and {days_in_month}, got {days}")
    return _pro_rata(_require_amount(monthly_price, "monthly_price"), days, days_in_month)


@lru_cache(maxsize=4096)
def _pro_rata(monthly_price: Decimal, days: int, days_in_month: int) -> Decimal:
    # A run prices thousands of segments with few distinct (price, days) pairs; the
    # arguments are checked above, so a float never reaches the cache.
    return apportion(monthly_price, days, days_in_month)


def parse_money(text: str) -> Decimal:
    """Parse an amount typed in a form or read from a CSV into a Decimal with two decimals.

    Accepts "1234.50", "1'234.50", "1234,50", "1234", "-12.5" (surrounding spaces are
    ignored). Raises ValueError for anything else, including more than two decimals:
    "1.234" or "1,234" could be a thousands separator or a decimal mark, and guessing
    would be off by a factor of 1000.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_money expects a str, got {type(text).__name__}: {text!r}")
    match = _MONEY_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a valid CHF amount: {text!r}")
    units = match["units"].replace("'", "").replace("\u2019", "")
    fraction = (match["fraction"] or "").ljust(2, "0")
    amount = Decimal(f"{match['sign'] or ''}{units}.{fraction}")
    return amount + 0  # "+ 0" turns -0.00 into 0.00


def format_chf(amount: Decimal | int) -> str:
    """Format an amount the Swiss way with two decimals: 1234.5 -> "1'234.50"."""
    amount = round_chf(amount)
    return f"{amount:,.2f}".replace(",", "'")


@dataclass(frozen=True)
class Discounted:
    """A list amount and the discounts taken off it, each rounded to 0.01 on its own."""

    amount: Decimal
    volume: Decimal
    special: Decimal

    @property
    def net(self) -> Decimal:
        return self.amount - self.volume - self.special


@dataclass(frozen=True)
class AgreedDiscount:
    """What a customer pays less than the list price, in percent of it: a volume discount
    (by number of sites, SPEC 3) and a special one the account manager granted.

    A quote and the invoices that bill its contracts both price a site's month with
    `apply`, so the monthly amount the quote states is the amount the invoices bill: each
    discount is taken from the site's amount and rounded there, never from a subtotal.
    """

    volume_percent: Decimal = Decimal("0")
    special_percent: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        for name in ("volume_percent", "special_percent"):
            value = _require_amount(getattr(self, name), name)
            if not Decimal(0) <= value <= Decimal(100):
                raise ValueError(f"{name} must be between 0 and 100, got {value}")
        if self.volume_percent + self.special_percent > Decimal(100):
            raise ValueError("the discounts together must not exceed 100 %")

    def __bool__(self) -> bool:
        return bool(self.volume_percent or self.special_percent)

    @property
    def total_percent(self) -> Decimal:
        return self.volume_percent + self.special_percent

    def apply(self, amount: Decimal) -> Discounted:
        """The amount (a monthly price, or its pro rata share) with both discounts."""
        amount = require_cents(amount)
        return Discounted(
            amount=amount,
            volume=percent_of(amount, self.volume_percent),
            special=percent_of(amount, self.special_percent),
        )


NO_DISCOUNT = AgreedDiscount()
