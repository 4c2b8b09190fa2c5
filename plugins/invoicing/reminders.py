"""Payment reminders: which overdue invoices reach which level, and sending each once.

The levels are data (tariff `invoicing.reminder_levels`: days after due, fee, text); the
company's terms say whether fees and default interest are claimed. An invoice is not
reminded while its customer is on hold, while a Stripe payment of it is in progress,
while the customer's credit balance covers it, or once nothing is open; the unique key
(invoice, level) keeps concurrent runs to one reminder per level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from app.toolkit import company, db, now, today
from plugins.invoicing.account import credit_balance, credit_balances
from plugins.invoicing.dunning_rules import (
    CHECKOUT_LIFETIME,
    ReminderAmounts,
    ReminderLevel,
    covered_by_credit,
    next_level,
    payment_in_progress,
    reminder_amounts,
)
from plugins.invoicing.mailing import mail_reminder
from plugins.invoicing.models import CheckoutSession, DunningHold, Invoice, Reminder
from plugins.invoicing.payments import locked_invoice
from plugins.invoicing.reminder_documents import render_reminder_pdf
from plugins.invoicing.sources import tariff_on
from plugins.invoicing.vocabulary import (
    CHECKOUT_UNSETTLED,
    CheckoutState,
    InvoiceKind,
    InvoiceState,
    ReminderWording,
)

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")

__all__ = ["DueReminder", "ReminderLevel", "due_reminders", "next_level", "remind"]


@dataclass(frozen=True)
class DueReminder:
    invoice: Invoice
    level: ReminderLevel
    days_overdue: int


def reminder_levels(day: date) -> list[ReminderLevel]:
    """The levels finance configured (tariff invoicing.reminder_levels), lowest first."""
    raw = tariff_on("invoicing.reminder_levels", day)
    levels = [
        ReminderLevel(
            int(item["level"]),
            int(item["days_overdue"]),
            Decimal(str(item["fee"])),
            ReminderWording(item.get("text") or ReminderWording.REMINDER),
        )
        for item in raw
    ]
    return sorted(levels, key=lambda level: level.level)


def interest_percent(day: date) -> Decimal | None:
    """The default interest claimed (% a year), or None when the terms claim none."""
    if not company().default_interest:
        return None
    return Decimal(str(tariff_on("invoicing.default_interest_percent", day)))


def _paying_now(invoice_id: int) -> bool:
    sessions = db.session.execute(
        select(CheckoutSession.status, CheckoutSession.created_at).where(
            CheckoutSession.invoice_id == invoice_id,
            CheckoutSession.status.in_(CHECKOUT_UNSETTLED),
        )
    ).all()
    return payment_in_progress(((row.status, row.created_at) for row in sessions), now())


def _on_hold(customer_id: int) -> bool:
    return (
        db.session.scalar(select(DunningHold.id).where(DunningHold.customer_id == customer_id))
        is not None
    )


def due_reminders(day: date | None = None) -> list[DueReminder]:
    day = day or today()
    levels = reminder_levels(day)
    recent = now() - CHECKOUT_LIFETIME
    paying = exists().where(
        CheckoutSession.invoice_id == Invoice.id,
        (CheckoutSession.status == CheckoutState.PENDING)
        | ((CheckoutSession.status == CheckoutState.OPEN) & (CheckoutSession.created_at > recent)),
    )
    held = exists().where(DunningHold.customer_id == Invoice.customer_id)
    overdue = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceState.ISSUED,
            Invoice.due_date < day,
            ~held,
            ~paying,
        )
        .order_by(Invoice.due_date, Invoice.id)
    ).all()
    customers = sorted({invoice.customer_id for invoice in overdue})
    credit = credit_balances(customers) if customers else {}
    found = []
    for invoice in overdue:
        if invoice.open_amount <= 0:
            continue
        if covered_by_credit(invoice.open_amount, credit.get(invoice.customer_id, ZERO)):
            continue
        days = (day - invoice.due_date).days
        level = next_level(levels, invoice.reminder_level, days)
        if level is not None:
            found.append(DueReminder(invoice, level, days))
    return found


def amounts_of(invoice: Invoice, level: ReminderLevel, day: date) -> ReminderAmounts:
    """What a reminder of `invoice` at `level` on `day` asks for, under today's terms."""
    earlier = db.session.scalar(
        select(func.coalesce(func.sum(Reminder.fee), 0)).where(
            Reminder.invoice_id == invoice.id, Reminder.level < level.level
        )
    )
    return reminder_amounts(
        open_amount=invoice.open_amount,
        level=level,
        earlier_fees=Decimal(earlier or 0).quantize(Decimal("0.01")),
        due_date=invoice.due_date,
        on=day,
        fees_allowed=company().reminder_fees,
        interest_percent=interest_percent(day),
        paid_after_due=[(p.received_on, p.amount) for p in invoice.payments],
    )


def remind(due: DueReminder, day: date) -> Reminder | None:
    """Record the reminder, render its PDF and queue its e-mail (flushes); None when it is
    not to be sent after all: paid, on hold or being paid online since it was found, or
    this level sent already by a concurrent run (the unique key (invoice, level))."""
    # Locked and read again: a payment booked since `due_reminders` stops the reminder.
    invoice = locked_invoice(due.invoice.id)
    if (
        invoice.status != InvoiceState.ISSUED
        or invoice.open_amount <= 0
        or invoice.reminder_level >= due.level.level
        or _on_hold(invoice.customer_id)
        or _paying_now(invoice.id)
        or covered_by_credit(invoice.open_amount, credit_balance(invoice.customer_id))
    ):
        return None
    amounts = amounts_of(invoice, due.level, day)
    reminder = Reminder(
        invoice_id=invoice.id,
        level=due.level.level,
        wording=due.level.wording,
        fee=amounts.fee,
        earlier_fees=amounts.earlier_fees,
        interest=amounts.interest,
        amount_due=amounts.total,
        open_amount=amounts.open_amount,
        sent_on=day,
        sent_to=invoice.bill_to_email,
        created_at=now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
    except IntegrityError:
        return None
    invoice.reminder_level = due.level.level
    reminder.invoice = invoice
    reminder.pdf = render_reminder_pdf(reminder, amounts)
    mail_reminder(reminder, amounts)
    db.session.flush()
    return reminder
