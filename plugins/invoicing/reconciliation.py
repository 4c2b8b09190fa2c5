"""Finance's reconciliation: open items by age, credit balances, the day's money by channel.

Age is counted in days past the due date; an item not yet due has age 0. Read only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.toolkit import Customer, db
from plugins.invoicing.account import InvoicePosition, credit_balances, open_items
from plugins.invoicing.models import Payment
from plugins.invoicing.vocabulary import INCOMING_METHODS, AgeBucket, PaymentMethod

ZERO = Decimal("0.00")


def age_bucket(days_past_due: int) -> AgeBucket:
    """0–30, 31–60, 61–90 or over 90 days past due (not yet due: 0)."""
    if days_past_due <= 30:
        return AgeBucket.UP_TO_30
    if days_past_due <= 60:
        return AgeBucket.UP_TO_60
    if days_past_due <= 90:
        return AgeBucket.UP_TO_90
    return AgeBucket.OVER_90


def days_past_due(due_date: date | None, day: date) -> int:
    return max((day - due_date).days, 0) if due_date else 0


@dataclass(frozen=True)
class AgedItem:
    position: InvoicePosition
    customer_name: str
    customer_number: str
    days: int
    bucket: AgeBucket


@dataclass(frozen=True)
class Aging:
    items: list[AgedItem]
    totals: dict[AgeBucket, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def aging(day: date) -> Aging:
    """Every open item with its age on `day`, and the total per age bucket."""
    positions = open_items()
    names = _customers({p.customer_id for p in positions})
    items = []
    totals = dict.fromkeys(AgeBucket, ZERO)
    for position in positions:
        days = days_past_due(position.due_date, day)
        bucket = age_bucket(days)
        totals[bucket] += position.open
        name, number = names.get(position.customer_id, ("", ""))
        items.append(AgedItem(position, name, number, days, bucket))
    items.sort(key=lambda item: (-item.days, item.position.number))
    return Aging(items, totals)


@dataclass(frozen=True)
class CreditRow:
    customer_id: int
    customer_name: str
    customer_number: str
    amount: Decimal


def credit_rows() -> list[CreditRow]:
    """Customers with a credit balance, largest first."""
    balances = {c: a for c, a in credit_balances().items() if a > 0}
    names = _customers(set(balances))
    rows = [
        CreditRow(customer_id, *names.get(customer_id, ("", "")), amount)
        for customer_id, amount in balances.items()
    ]
    return sorted(rows, key=lambda row: (-row.amount, row.customer_name))


def incoming_by_channel(day: date) -> dict[PaymentMethod, Decimal]:
    """The money booked on `day` per channel (QR-bill, Stripe, by hand), net of reversals;
    a credit balance applied is money already received and not counted."""
    rows = db.session.execute(
        select(Payment.method, func.sum(Payment.amount))
        .where(Payment.received_on == day, Payment.method.in_(INCOMING_METHODS))
        .group_by(Payment.method)
    ).all()
    found = dict.fromkeys(INCOMING_METHODS, ZERO)
    for method, amount in rows:
        found[PaymentMethod(method)] = amount or ZERO
    return found


def _customers(ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Customer.id, Customer.legal_name, Customer.number).where(Customer.id.in_(ids))
    )
    return {row[0]: (row[1], row[2] or "") for row in rows}
