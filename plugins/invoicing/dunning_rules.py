"""The rules of Swiss dunning as pure functions: the next level, default interest
(OR 104), what a reminder asks for, and when a Stripe payment in progress pauses it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from plugins.invoicing.vocabulary import CheckoutState, ReminderWording

CENTS = Decimal("0.01")
# Default interest counts the calendar days in default over a year of 365 days (the
# Federal Supreme Court's practice for OR 104; no 30/360 commercial convention).
DAYS_IN_YEAR = 365
# Stripe lets a Checkout session be paid for 24 hours after it was opened; an older
# session that is still "open" was abandoned (its "expired" event may have been lost).
CHECKOUT_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class ReminderLevel:
    level: int
    days_overdue: int
    fee: Decimal
    wording: ReminderWording = ReminderWording.REMINDER


@dataclass(frozen=True)
class ReminderAmounts:
    """What one reminder asks for; `total` is the amount of its QR-bill."""

    open_amount: Decimal
    fee: Decimal
    earlier_fees: Decimal
    interest: Decimal
    interest_days: int
    interest_percent: Decimal | None = None

    @property
    def total(self) -> Decimal:
        return self.open_amount + self.fee + self.earlier_fees + self.interest


def next_level(
    levels: list[ReminderLevel], current_level: int, days_overdue: int
) -> ReminderLevel | None:
    """The next level an invoice reaches; levels are sent in order, one per run, so an
    invoice found 35 days overdue without any reminder gets the first level first."""
    for level in sorted(levels, key=lambda item: item.level):
        if level.level > current_level:
            return level if days_overdue >= level.days_overdue else None
    return None


def _to_cents(value: Fraction) -> Decimal:
    """A non-negative exact amount rounded to 0.01 CHF, half up."""
    cents = (value * 100 + Fraction(1, 2)).__floor__()
    return (Decimal(cents) / 100).quantize(CENTS)


def default_interest(
    amount: Decimal,
    due_date: date,
    on: date,
    percent: Decimal,
    paid_after_due: Iterable[tuple[date, Decimal]] = (),
) -> Decimal:
    """Default interest (Verzugszins, OR 104) on what is open, from the due date to `on`.

    Interest runs from the day after the due date (the debtor is in default once the
    agreed day has passed, OR 102 al. 2) to `on` included, on the balance of each day:
    `amount` is what is open now, and each payment received after the due date (day,
    amount) was still open until it arrived. Balance x percent/100 x days/365, summed
    exactly and rounded once to 0.01 CHF, half up. E.g. CHF 648.60 at 5 % for 30 days:
    648.60 x 0.05 x 30/365 = 2.6654... -> 2.67.
    """
    if on <= due_date or percent <= 0:
        return Decimal("0.00")
    payments = sorted((day, paid) for day, paid in paid_after_due if due_date < day <= on)
    balance = Fraction(amount) + sum((Fraction(paid) for _, paid in payments), Fraction(0))
    exact, since = Fraction(0), due_date
    for day, paid in payments:
        exact += balance * (day - since).days
        balance -= Fraction(paid)
        since = day
    exact += balance * (on - since).days
    if exact <= 0:
        return Decimal("0.00")
    return _to_cents(exact * Fraction(percent) / 100 / DAYS_IN_YEAR)


def reminder_amounts(
    *,
    open_amount: Decimal,
    level: ReminderLevel,
    earlier_fees: Decimal,
    due_date: date,
    on: date,
    fees_allowed: bool,
    interest_percent: Decimal | None,
    paid_after_due: Iterable[tuple[date, Decimal]] = (),
) -> ReminderAmounts:
    """The open amount, this level's fee (only where the terms allow fees), the fees of
    earlier reminders, and default interest (only when claimed) of one reminder."""
    fee = level.fee if fees_allowed else Decimal("0.00")
    interest = Decimal("0.00")
    if interest_percent is not None:
        interest = default_interest(open_amount, due_date, on, interest_percent, paid_after_due)
    return ReminderAmounts(
        open_amount=open_amount,
        fee=fee,
        earlier_fees=earlier_fees if fees_allowed else Decimal("0.00"),
        interest=interest,
        interest_days=max((on - due_date).days, 0),
        interest_percent=interest_percent,
    )


def covered_by_credit(open_amount: Decimal, credit_balance: Decimal) -> bool:
    """Whether the customer's credit balance pays the open amount in full: then nobody is
    reminded; the credit is applied, or refunded, by finance's account work."""
    return open_amount > 0 and credit_balance >= open_amount


def payment_in_progress(sessions: Iterable[tuple[CheckoutState, datetime]], at: datetime) -> bool:
    """Whether a Stripe payment may still arrive: a session Stripe reported as pending
    (an asynchronous payment not yet confirmed), or one opened less than 24 h ago."""
    for status, created_at in sessions:
        if status == CheckoutState.PENDING:
            return True
        if status == CheckoutState.OPEN and at - created_at < CHECKOUT_LIFETIME:
            return True
    return False
