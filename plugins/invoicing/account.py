"""The customer account: open items, credit balance and the statement, read from the bookings.

The account has no table of its own. Its bookings are the documents and money rows that
already exist, each audited and append-only:

    debits   issued invoices (payable), reminder fees (Reminder.fee > 0), refunds
    credits  payments (a bank reversal is a negative counter-booking), credit notes

Money on an invoice beyond what it asks for (payable plus its reminder fees, less its
credit notes) is the customer's **credit balance**, as is a credit note that credits no
invoice (a period whose lines come to a negative total, see writing.py). The balance is
used up by being applied to the next issued invoice (a payment of method "credit", shown
on the invoice as "Guthaben aus …") or by a refund that finance records with a reason.

    open amount    = sum over invoices of max(0, payable + fees - paid - credited)
    credit balance = sum of surpluses + unlinked credit notes - credit applied - refunds
    balance        = open amount - credit balance  (= debits - credits of the statement)

Services here flush; the entry points commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.toolkit import Customer, RuleViolation, db, now, require_cents, today
from plugins.invoicing.models import Invoice, Payment, Refund, Reminder
from plugins.invoicing.payments import locked_invoice, record_payment, settle_status
from plugins.invoicing.vocabulary import AccountEntryKind, InvoiceKind, InvoiceState, PaymentMethod

ZERO = Decimal("0.00")


# --- positions of invoices ---------------------------------------------------------------


@dataclass(frozen=True)
class InvoicePosition:
    """What one issued invoice asks for and what it received."""

    invoice_id: int
    customer_id: int
    number: str
    issue_date: date | None
    due_date: date | None
    payable: Decimal
    fees: Decimal
    paid: Decimal
    credited: Decimal

    @property
    def due(self) -> Decimal:
        return self.payable + self.fees

    @property
    def open(self) -> Decimal:
        return max(self.due - self.paid - self.credited, ZERO)

    @property
    def surplus(self) -> Decimal:
        return max(self.paid + self.credited - self.due, ZERO)


def _fees_of_invoice():
    return (
        select(func.coalesce(func.sum(Reminder.fee), ZERO))
        .where(Reminder.invoice_id == Invoice.id, Reminder.fee > ZERO)
        .scalar_subquery()
    )


def invoice_positions(*conditions) -> list[InvoicePosition]:
    """Positions of the issued invoices (not credit notes) that match `conditions`."""
    fees = _fees_of_invoice()
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.payable,
            fees,
            Invoice.amount_paid,
            Invoice.amount_credited,
        )
        .where(
            Invoice.kind == InvoiceKind.INVOICE, Invoice.status != InvoiceState.DRAFT, *conditions
        )
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    return [
        InvoicePosition(row[0], row[1], row[2], row[3], row[4], row[5], Decimal(row[6]), *row[7:])
        for row in rows
    ]


def _unsettled():
    """Invoices that may have something open or too much: still issued, overpaid, or with
    a reminder fee (a paid invoice's fee can still be open)."""
    return or_(
        Invoice.status == InvoiceState.ISSUED,
        Invoice.amount_paid + Invoice.amount_credited > Invoice.payable,
        _fees_of_invoice() > ZERO,
    )


def invoice_position(invoice: Invoice) -> InvoicePosition | None:
    """One issued invoice's position, its reminder fees included; None for a draft or a
    credit note."""
    positions = invoice_positions(Invoice.id == invoice.id)
    return positions[0] if positions else None


def invoice_open_amount(invoice: Invoice) -> Decimal:
    """What is still open on one invoice, its reminder fees included: what a payment
    settles it with, online or by bank."""
    position = invoice_position(invoice)
    return position.open if position else ZERO


def open_items(customer_id: int | None = None) -> list[InvoicePosition]:
    """The invoices with something open, oldest first (of one customer, or all)."""
    conditions = [_unsettled()]
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    return [p for p in invoice_positions(*conditions) if p.open > 0]


def open_amount(customer_id: int) -> Decimal:
    """What the customer owes on invoices and reminder fees (credit balance not deducted)."""
    return sum((p.open for p in open_items(customer_id)), ZERO)


# --- the credit balance ------------------------------------------------------------------


@dataclass(frozen=True)
class CreditSource:
    """Where credit came from: an overpaid invoice or a credit note crediting no invoice."""

    number: str
    day: date | None
    amount: Decimal


def _credit_sources(customer_ids: list[int] | None) -> dict[int, list[CreditSource]]:
    surplus = [Invoice.amount_paid + Invoice.amount_credited > Invoice.payable]
    notes = select(Invoice.customer_id, Invoice.number, Invoice.issue_date, Invoice.payable).where(
        Invoice.kind == InvoiceKind.CREDIT_NOTE,
        Invoice.status != InvoiceState.DRAFT,
        Invoice.credited_invoice_id.is_(None),
    )
    if customer_ids is not None:
        surplus.append(Invoice.customer_id.in_(customer_ids))
        notes = notes.where(Invoice.customer_id.in_(customer_ids))
    found: dict[int, list[CreditSource]] = defaultdict(list)
    for position in invoice_positions(*surplus):
        if position.surplus > 0:
            found[position.customer_id].append(
                CreditSource(position.number, position.issue_date, position.surplus)
            )
    for customer_id, number, day, payable in db.session.execute(notes):
        if payable < 0:
            found[customer_id].append(CreditSource(number, day, -payable))
    for sources in found.values():
        sources.sort(key=lambda source: (source.day or date.min, source.number))
    return found


def _used_credit(customer_ids: list[int] | None) -> dict[int, Decimal]:
    """Credit applied to invoices plus refunds (net of their counter-bookings)."""
    applied = (
        select(Invoice.customer_id, func.sum(Payment.amount))
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.method == PaymentMethod.CREDIT_BALANCE)
        .group_by(Invoice.customer_id)
    )
    refunded = select(Refund.customer_id, func.sum(Refund.amount)).group_by(Refund.customer_id)
    if customer_ids is not None:
        applied = applied.where(Invoice.customer_id.in_(customer_ids))
        refunded = refunded.where(Refund.customer_id.in_(customer_ids))
    used: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for statement in (applied, refunded):
        for customer_id, amount in db.session.execute(statement):
            used[customer_id] += amount or ZERO
    return used


def credit_balances(customer_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Each customer's credit balance (only customers that have one, or the ones asked)."""
    sources = _credit_sources(customer_ids)
    used = _used_credit(customer_ids)
    balances = {
        customer_id: sum((s.amount for s in found), ZERO) - used[customer_id]
        for customer_id, found in sources.items()
    }
    if customer_ids is not None:
        return {customer_id: balances.get(customer_id, ZERO) for customer_id in customer_ids}
    return {customer_id: amount for customer_id, amount in balances.items() if amount != 0}


def credit_balance(customer_id: int) -> Decimal:
    """The customer's credit: money received beyond what was asked, not yet used up."""
    return credit_balances([customer_id])[customer_id]


def balance(customer_id: int) -> Decimal:
    """What the customer owes (positive) or has to its credit (negative)."""
    return open_amount(customer_id) - credit_balance(customer_id)


def remaining_sources(customer_id: int) -> list[CreditSource]:
    """The sources of the credit still there, oldest used up first."""
    sources = _credit_sources([customer_id]).get(customer_id, [])
    used = _used_credit([customer_id])[customer_id]
    remaining = []
    for source in sources:
        if used >= source.amount:
            used -= source.amount
            continue
        remaining.append(CreditSource(source.number, source.day, source.amount - max(used, ZERO)))
        used = ZERO
    return remaining


def _lock_customers(customer_ids: Iterable[int]) -> None:
    """Credit is used under the customer's row lock, so two invoices issued at once
    (or an invoice and a refund) cannot both spend the same credit. Locked in id order,
    so two batches never wait on each other in a circle."""
    db.session.execute(
        select(Customer.id)
        .where(Customer.id.in_(set(customer_ids)))
        .order_by(Customer.id)
        .with_for_update()
    ).all()


def apply_credit_balances(invoices: Iterable[Invoice], *, actor: str = "system") -> list[Payment]:
    """Use each customer's credit balance on its just issued invoices, in the order given
    (flushes): a payment of method "credit" naming the documents the credit came from
    ("Guthaben aus …"). The balances of all their customers are read at once; an invoice
    with nothing to pay, or a customer without credit, gets no payment.
    """
    invoices = [
        invoice
        for invoice in invoices
        if invoice.kind == InvoiceKind.INVOICE and invoice.status != InvoiceState.DRAFT
    ]
    if not invoices:
        return []
    customer_ids = sorted({invoice.customer_id for invoice in invoices})
    _lock_customers(customer_ids)
    balances = credit_balances(customer_ids)
    payments = []
    for invoice in invoices:
        amount = min(balances[invoice.customer_id], invoice.open_amount)
        if amount < Decimal("0.01"):
            continue
        sources = ", ".join(source.number for source in remaining_sources(invoice.customer_id))
        payments.append(
            record_payment(
                invoice.id,
                amount,
                today(),
                method=PaymentMethod.CREDIT_BALANCE,
                note=sources[:200],
                actor=actor,
            )
        )
        balances[invoice.customer_id] -= amount
    return payments


def credit_applied(invoice: Invoice) -> list[Payment]:
    """The credit balance applied to an invoice (its "Guthaben aus …" lines)."""
    return [p for p in invoice.payments if p.method == PaymentMethod.CREDIT_BALANCE]


def refund_credit(
    customer_id: int, amount: Decimal, reason: str, *, paid_on: date | None = None, actor: str
) -> Refund:
    """Record that finance pays (part of) the credit balance back (flushes)."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("A refund needs a reason."), "reason")
    try:
        amount = require_cents(amount)
    except ValueError as error:
        raise RuleViolation(_("At most %(count)s decimal places.", count=2), "amount") from error
    if amount <= 0:
        raise RuleViolation(_("A refund must be a positive amount."), "amount")
    if db.session.get(Customer, customer_id) is None:
        raise RuleViolation(_("No such customer."))
    _lock_customers([customer_id])
    available = credit_balance(customer_id)
    if amount > available:
        raise RuleViolation(
            _("At most the credit balance of CHF %(amount)s can be refunded.", amount=available),
            "amount",
        )
    refund = Refund(
        customer_id=customer_id,
        amount=amount,
        paid_on=paid_on or today(),
        reason=reason[:2000],
        recorded_by=actor[:120],
        created_at=now(),
    )
    db.session.add(refund)
    db.session.flush()
    return refund


def reverse_payment(
    payment_id: int,
    reason: str,
    *,
    on: date | None = None,
    external_reference: str | None = None,
    method: str | None = None,
    actor: str = "system",
) -> Payment:
    """Take a payment back by a counter-booking of the same amount (flushes); the
    invoice is open again by that much. A payment is taken back once."""
    original = db.session.get(Payment, payment_id)
    if original is None or original.amount <= 0:
        raise RuleViolation(_("Only a booked payment can be reversed."))
    taken_back = db.session.scalar(select(Payment.id).where(Payment.reverses_id == payment_id))
    if taken_back is not None:
        raise RuleViolation(_("This payment is already reversed."))
    invoice = locked_invoice(original.invoice_id)
    counter = Payment(
        invoice_id=invoice.id,
        amount=-original.amount,
        received_on=on or today(),
        method=method or original.method,
        external_reference=external_reference,
        note=(reason or "").strip()[:200],
        recorded_by=actor[:120],
        reverses_id=original.id,
        created_at=now(),
    )
    db.session.add(counter)
    db.session.flush()
    invoice.amount_paid = invoice.amount_paid - original.amount
    settle_status(invoice)
    db.session.flush()
    return counter


# --- the statement -----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountEntry:
    """One line of a customer's statement; `debit` and `credit` are positive amounts."""

    day: date | None
    kind: AccountEntryKind
    document: str
    text: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    invoice_id: int | None = None
    balance: Decimal = ZERO


_DAY_ORDER = {
    AccountEntryKind.INVOICE: 0,
    AccountEntryKind.REMINDER_FEE: 1,
    AccountEntryKind.CREDIT_NOTE: 2,
    AccountEntryKind.PAYMENT: 3,
    AccountEntryKind.PAYMENT_REVERSAL: 3,
    AccountEntryKind.CREDIT_APPLIED: 3,
    AccountEntryKind.REFUND: 4,
}


def statement(customer_id: int) -> list[AccountEntry]:
    """Every booking of the customer's account in date order, with the running balance.

    A credit balance applied moves money from one invoice to another on the same account:
    it is listed (so the customer sees where the credit went) but neither debit nor credit.
    """
    entries: list[AccountEntry] = []
    documents = db.session.execute(
        select(Invoice.id, Invoice.kind, Invoice.number, Invoice.issue_date, Invoice.payable)
        .where(Invoice.customer_id == customer_id, Invoice.status != InvoiceState.DRAFT)
        .order_by(Invoice.id)
    ).all()
    numbers = {row.id: row.number for row in documents}
    for row in documents:
        if row.kind == InvoiceKind.INVOICE:
            entries.append(
                AccountEntry(
                    row.issue_date,
                    AccountEntryKind.INVOICE,
                    row.number,
                    "",
                    row.payable,
                    invoice_id=row.id,
                )
            )
        else:
            entries.append(
                AccountEntry(
                    row.issue_date,
                    AccountEntryKind.CREDIT_NOTE,
                    row.number,
                    "",
                    credit=-row.payable,
                    invoice_id=row.id,
                )
            )
    fees = db.session.execute(
        select(Reminder.invoice_id, Reminder.level, Reminder.sent_on, Reminder.fee)
        .join(Invoice, Invoice.id == Reminder.invoice_id)
        .where(Invoice.customer_id == customer_id, Reminder.fee > ZERO)
    ).all()
    for invoice_id, level, sent_on, fee in fees:
        entries.append(
            AccountEntry(
                sent_on,
                AccountEntryKind.REMINDER_FEE,
                numbers.get(invoice_id, ""),
                str(level),
                fee,
                invoice_id=invoice_id,
            )
        )
    payments = db.session.scalars(
        select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.customer_id == customer_id)
        .order_by(Payment.id)
    ).all()
    for payment in payments:
        number = numbers.get(payment.invoice_id, "")
        if payment.method == PaymentMethod.CREDIT_BALANCE:
            entries.append(
                AccountEntry(
                    payment.received_on,
                    AccountEntryKind.CREDIT_APPLIED,
                    number,
                    f"{payment.amount} ({payment.note})",
                    invoice_id=payment.invoice_id,
                )
            )
        elif payment.amount > 0:
            entries.append(
                AccountEntry(
                    payment.received_on,
                    AccountEntryKind.PAYMENT,
                    number,
                    payment.method.label,
                    credit=payment.amount,
                    invoice_id=payment.invoice_id,
                )
            )
        else:
            entries.append(
                AccountEntry(
                    payment.received_on,
                    AccountEntryKind.PAYMENT_REVERSAL,
                    number,
                    payment.note,
                    -payment.amount,
                    invoice_id=payment.invoice_id,
                )
            )
    refunds = db.session.scalars(
        select(Refund).where(Refund.customer_id == customer_id).order_by(Refund.id)
    ).all()
    for refund in refunds:
        if refund.amount > 0:
            entries.append(
                AccountEntry(
                    refund.paid_on, AccountEntryKind.REFUND, "", refund.reason, refund.amount
                )
            )
        else:
            entries.append(
                AccountEntry(
                    refund.paid_on,
                    AccountEntryKind.REFUND,
                    "",
                    refund.reason,
                    credit=-refund.amount,
                )
            )
    # Within a day: documents, then money in the order it was booked (stable sort).
    entries.sort(key=lambda e: (e.day or date.min, _DAY_ORDER[e.kind]))
    running = ZERO
    result = []
    for entry in entries:
        running += entry.debit - entry.credit
        result.append(replace(entry, balance=running))
    return result


@dataclass(frozen=True)
class AccountSummary:
    open_amount: Decimal
    credit_balance: Decimal

    @property
    def balance(self) -> Decimal:
        return self.open_amount - self.credit_balance


def summary(customer_id: int) -> AccountSummary:
    return AccountSummary(open_amount(customer_id), credit_balance(customer_id))


__all__ = [
    "AccountEntry",
    "AccountSummary",
    "InvoicePosition",
    "apply_credit_balances",
    "balance",
    "credit_applied",
    "credit_balance",
    "credit_balances",
    "invoice_open_amount",
    "open_amount",
    "open_items",
    "refund_credit",
    "reverse_payment",
    "statement",
    "summary",
]
