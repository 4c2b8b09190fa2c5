"""Payments against an invoice: bank payments by hand (partial allowed) and Stripe's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.toolkit import RuleViolation, db, format_chf, now, require_cents
from plugins.invoicing.models import Invoice, Payment
from plugins.invoicing.vocabulary import InvoiceState


def locked_invoice(invoice_id: int) -> Invoice:
    """The invoice, row-locked and freshly read, so concurrent changes queue up."""
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice is None:
        raise RuleViolation(_("Invoice %(id)s does not exist.", id=invoice_id))
    return invoice


def settle_status(invoice: Invoice) -> None:
    """Paid when nothing is open; credited when credit notes cleared it without payment."""
    if invoice.status == InvoiceState.DRAFT or invoice.is_credit_note:
        return
    if invoice.open_amount > 0:
        invoice.status = InvoiceState.ISSUED
        invoice.paid_at = None
    elif invoice.amount_paid > 0:
        if invoice.status != InvoiceState.PAID:
            invoice.status = InvoiceState.PAID
            invoice.paid_at = now()
    else:
        invoice.status = InvoiceState.CREDITED


def record_payment(
    invoice_id: int,
    amount: Decimal,
    received_on: date,
    *,
    method: str = "bank",
    external_reference: str | None = None,
    note: str = "",
    actor: str = "system",
    value_date: date | None = None,
    overpayment: bool = False,
) -> Payment:
    """Book a payment (flushes; the caller commits).

    An amount above the open amount is refused unless `overpayment` says it is meant
    (a customer paid twice, say): then it is booked whole, and the surplus is what the
    customer has paid beyond the invoice (amount_paid > payable), a credit to settle.

    The invoice row is locked first, so concurrent payments add up instead of
    overwriting each other; a repeated (method, external reference) raises
    IntegrityError, which is how a replayed Stripe event is recognised.
    """
    amount = require_cents(amount)
    if amount <= 0:
        raise RuleViolation(_("A payment must be a positive amount."), "amount")
    # account.py books payments through this module: imported here, where it is needed.
    from plugins.invoicing.account import invoice_open_amount

    invoice = locked_invoice(invoice_id)
    if invoice.status == InvoiceState.DRAFT or invoice.is_credit_note:
        raise RuleViolation(_("Payments are recorded against issued invoices only."))
    # The open amount with the reminder fees: paying what a reminder asks is no overpayment.
    open_amount = invoice_open_amount(invoice)
    if amount > open_amount and not overpayment:
        raise RuleViolation(
            _(
                "CHF %(amount)s is more than the open amount of CHF %(open)s. Tick "
                "“Overpayment” to book it anyway; the surplus becomes a credit.",
                amount=format_chf(amount),
                open=format_chf(open_amount),
            ),
            "amount",
        )
    payment = Payment(
        invoice_id=invoice.id,
        amount=amount,
        received_on=received_on,
        value_date=value_date,
        method=method,
        external_reference=external_reference,
        note=note[:200],
        recorded_by=actor[:120],
        created_at=now(),
    )
    db.session.add(payment)
    db.session.flush()
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id)
        .values(amount_paid=Invoice.amount_paid + amount)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    settle_status(invoice)
    db.session.flush()
    return payment
