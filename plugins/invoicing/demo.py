"""Demo invoicing: the last months billed, issued and mostly paid, one invoice overdue and
reminded, one partly paid, this month's open; all played through the real jobs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.toolkit import ZURICH, Customer, clock_at, db, now, today
from plugins.invoicing.billing import Month
from plugins.invoicing.jobs import issue_invoices, run_period, send_reminders
from plugins.invoicing.models import Invoice, InvoiceRun
from plugins.invoicing.payments import record_payment
from plugins.invoicing.reminders import reminder_levels
from plugins.invoicing.sources import tariff_on
from plugins.invoicing.vocabulary import InvoiceState, PaymentMethod

ACTOR = "cli:demo"
MONTHS_BILLED = 4  # this month and the three before
LATE_PAYER = "Aarebank Genossenschaft"  # the customer's dashboard then shows a reminder
PART_PAYER = "Alpine Precision Ltd"
# Days after issue on which customers pay, in turn: well inside the 30 days net.
PAYING_DAYS = (12, 18, 24, 9, 21)
CENT = Decimal("0.01")


def _at(day: date, hour: int) -> datetime:
    """`day` at `hour` in Zurich, but never later than the real now: the demo's past must
    not run ahead of the clock it is loaded on (on the 1st before seven, say)."""
    return min(datetime.combine(day, time(hour), tzinfo=ZURICH), now())


def _customer_id(name: str) -> int | None:
    return db.session.scalar(select(Customer.id).where(Customer.legal_name == name))


def _drafts(period: Month) -> list[Invoice]:
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.period == period.label, Invoice.status == InvoiceState.DRAFT)
        .order_by(Invoice.id)
    ).all()


def load_demo() -> None:
    # Any run at all means the demo (or real work) is there: never bill it twice.
    if db.session.scalar(select(InvoiceRun.id).limit(1)) is not None:
        return
    late_payer, part_payer = _customer_id(LATE_PAYER), _customer_id(PART_PAYER)
    if late_payer is None:
        return  # no demo customers to bill
    day = today()
    terms = timedelta(days=tariff_on("invoicing.payment_terms_days", day))
    first_level = min(reminder_levels(day), key=lambda level: level.level)
    # The late invoice is issued so that, today, its first reminder is five days old and
    # the second not yet due, whatever day the demo is loaded on.
    reminded_on = day - timedelta(days=5)
    late_issue = reminded_on - timedelta(days=first_level.days_overdue) - terms
    late_period = Month.of(late_issue)
    current = Month.of(day)
    periods = [current]
    while len(periods) < MONTHS_BILLED:
        periods.insert(0, periods[0].previous())
    late_invoice_id = None
    for period in periods:
        # The monthly run on the 1st, as the scheduler does it, drafts issued that morning.
        with clock_at(_at(period.first_day, 7)):
            run_period(period, actor=ACTOR)
            drafts = _drafts(period)
            held = [d.id for d in drafts if period == late_period and d.customer_id == late_payer]
            issue_invoices([d.id for d in drafts if d.id not in held], actor=ACTOR)
        if held:
            # Finance held the bank's draft back for a question and issued it later.
            (late_invoice_id,) = held
            with clock_at(_at(late_issue, 9)):
                issue_invoices(held, actor=ACTOR)
    _pay(day, late_invoice_id, part_payer)
    with clock_at(_at(reminded_on, 8)):
        send_reminders(reminded_on, actor=ACTOR)
    db.session.flush()


def _pay(day: date, late_invoice_id: int | None, part_payer: int | None) -> None:
    """Customers pay within the terms, except the late one; this month's invoices are
    still open (not yet due), one of them paid in part."""
    issued = db.session.scalars(
        select(Invoice)
        .where(Invoice.status == InvoiceState.ISSUED, Invoice.id != (late_invoice_id or 0))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    payments, part_paid = [], False
    for position, invoice in enumerate(issued):
        received = invoice.issue_date + timedelta(days=PAYING_DAYS[position % len(PAYING_DAYS)])
        if Month.of(invoice.issue_date) == Month.of(day):
            if invoice.customer_id == part_payer and not part_paid and invoice.payable > 0:
                part_paid = True
                received = min(invoice.issue_date + timedelta(days=5), day)
                payments.append((received, invoice, (invoice.payable / 2).quantize(CENT)))
        elif received < day and invoice.open_amount > 0:
            payments.append((received, invoice, invoice.open_amount))
    payments.sort(key=lambda entry: (entry[0], entry[1].id))
    for position, (received, invoice, amount) in enumerate(payments):
        # One in five paid by card online, the rest by bank transfer.
        online = position % 5 == 2
        with clock_at(_at(received, 10)):
            record_payment(
                invoice.id,
                amount,
                received,
                method=PaymentMethod.STRIPE if online else PaymentMethod.BANK,
                external_reference=f"pi_demo_{invoice.id}" if online else None,
                actor=ACTOR,
            )
