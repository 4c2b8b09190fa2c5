"""Payment reminders: which overdue invoices reach which level, and sending them once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import db, now, today
from plugins.invoicing.mailing import mail_reminder
from plugins.invoicing.models import Invoice, Reminder
from plugins.invoicing.sources import tariff_on
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderLevel:
    level: int
    days_overdue: int
    fee: Decimal


@dataclass(frozen=True)
class DueReminder:
    invoice: Invoice
    level: ReminderLevel
    days_overdue: int


def reminder_levels(day: date) -> list[ReminderLevel]:
    """The levels finance configured (tariff invoicing.reminder_levels), lowest first."""
    raw = tariff_on("invoicing.reminder_levels", day)
    levels = [
        ReminderLevel(int(item["level"]), int(item["days_overdue"]), Decimal(str(item["fee"])))
        for item in raw
    ]
    return sorted(levels, key=lambda level: level.level)


def next_level(
    levels: list[ReminderLevel], current_level: int, days_overdue: int
) -> ReminderLevel | None:
    """The next level an invoice reaches; levels are sent in order, one per run."""
    for level in levels:
        if level.level > current_level:
            return level if days_overdue >= level.days_overdue else None
    return None


def due_reminders(day: date | None = None) -> list[DueReminder]:
    day = day or today()
    levels = reminder_levels(day)
    overdue = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceState.ISSUED,
            Invoice.due_date < day,
        )
        .order_by(Invoice.due_date, Invoice.id)
    ).all()
    found = []
    for invoice in overdue:
        if invoice.open_amount <= 0:
            continue
        days = (day - invoice.due_date).days
        level = next_level(levels, invoice.reminder_level, days)
        if level is not None:
            found.append(DueReminder(invoice, level, days))
    return found


def remind(due: DueReminder, day: date) -> Reminder | None:
    """Record the reminder and queue its e-mail (flushes); None when this level was sent
    already (by a concurrent run: the unique key (invoice, level) refuses the second)."""
    invoice = due.invoice
    reminder = Reminder(
        invoice_id=invoice.id,
        level=due.level.level,
        fee=due.level.fee,
        open_amount=invoice.open_amount,
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
    mail_reminder(invoice, due.level.level, due.level.fee, invoice.open_amount)
    db.session.flush()
    return reminder
