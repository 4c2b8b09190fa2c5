"""Payment reminders: which overdue invoices reach which level, and sending them once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import acting_as, db, now, today
from plugins.invoicing.mailing import mail_reminder
from plugins.invoicing.models import Invoice, Reminder
from plugins.invoicing.sources import tariff_on

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
            Invoice.kind == "invoice",
            Invoice.status == "issued",
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


def send_reminders(day: date | None = None, *, actor: str = "system") -> list[Reminder]:
    """Record and e-mail each due reminder, one transaction each; never twice per level."""
    day = day or today()
    sent = []
    with acting_as(actor):
        for due in due_reminders(day):
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
                db.session.add(reminder)
                invoice.reminder_level = due.level.level
                db.session.flush()
                mail_reminder(invoice, due.level.level, due.level.fee, invoice.open_amount)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # another run sent this level meanwhile
                continue
            except Exception:
                db.session.rollback()  # mail failed: nothing recorded, the next run retries
                log.exception("reminder for invoice %s failed", invoice.id)
                continue
            sent.append(reminder)
    return sent
