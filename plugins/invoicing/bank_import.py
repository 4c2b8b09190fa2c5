"""Import a camt.054 file: book each credit on the invoice its QR reference names, queue
the rest for finance, take back what the bank reversed; never anything twice.

The file is read whole first (camt.py): a malformed one is refused with its line and
reason before anything is booked. Each booked transaction is recorded as a `BankCredit`
under the bank's (entry, transaction) keys, which are unique: a second import of the same
file (or a concurrent one) finds them and books nothing. Pending and informational
entries are skipped (they come again as booked), as are ordinary debits of the account.

Services here flush; the upload page, the API and the CLI commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import N_, RuleViolation, company, db, now
from plugins.invoicing.account import reverse_payment
from plugins.invoicing.camt import BankTransaction, CamtError, ReferenceType, read_notification
from plugins.invoicing.documents import DEFAULT_CREDITOR_IBAN
from plugins.invoicing.models import BankCredit, Invoice
from plugins.invoicing.payments import record_payment
from plugins.invoicing.vocabulary import (
    BANK_QUEUE,
    BankCreditState,
    InvoiceKind,
    InvoiceState,
    PaymentMethod,
)

CURRENCY = "CHF"


@dataclass
class ImportResult:
    """What one import did, counted per transaction."""

    message_id: str = ""
    matched: int = 0
    unmatched: int = 0
    already_imported: int = 0
    reversed: int = 0
    skipped: int = 0
    credit_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "matched": self.matched,
            "unmatched": self.unmatched,
            "already_imported": self.already_imported,
            "reversed": self.reversed,
            "skipped": self.skipped,
        }


def import_bank_file(data: bytes, *, file_name: str = "", actor: str = "system") -> ImportResult:
    """Read and book a camt.054 file (flushes; the caller commits). Raises CamtError when
    the file is refused: then nothing is booked."""
    notification = read_notification(data)
    qr_iban = credited_account()
    if qr_iban and notification.account_ibans and qr_iban not in notification.account_ibans:
        raise CamtError(
            None,
            N_("the file notifies %(accounts)s, not the company's QR-IBAN %(iban)s"),
            accounts=", ".join(notification.account_ibans),
            iban=qr_iban,
        )
    result = ImportResult(message_id=notification.message_id)
    for transaction in notification.transactions:
        if not transaction.is_booked or (
            qr_iban and transaction.account_iban and transaction.account_iban != qr_iban
        ):
            result.skipped += 1
        elif transaction.is_credit and not transaction.reversal:
            _import_credit(transaction, notification.message_id, file_name, actor, result)
        elif not transaction.is_credit and transaction.reversal:
            _import_reversal(transaction, notification.message_id, file_name, actor, result)
        else:
            result.skipped += 1  # a debit of the account, or the reversal of one
    return result


def credited_account() -> str:
    """The QR-IBAN the QR-bills name (outside production possibly the SIX sample): the
    only account whose credits are invoices' payments."""
    return company().qr_iban or DEFAULT_CREDITOR_IBAN.replace(" ", "")


def _record(
    transaction: BankTransaction, message_id: str, file_name: str, actor: str
) -> BankCredit | None:
    """The transaction's record, or None when an earlier import holds its keys."""
    known = db.session.scalar(
        select(BankCredit.id).where(
            BankCredit.entry_key == transaction.entry_key,
            BankCredit.transaction_key == transaction.transaction_key,
        )
    )
    if known is not None:
        return None
    credit = BankCredit(
        entry_key=transaction.entry_key[:120],
        transaction_key=transaction.transaction_key[:120],
        state=BankCreditState.UNMATCHED,
        reversal=transaction.reversal,
        amount=transaction.amount,
        currency=transaction.currency,
        booking_date=transaction.booking_date,
        value_date=transaction.value_date,
        reference=(transaction.reference or None) and transaction.reference[:35],
        reference_type=transaction.reference_type,
        debtor_name=(transaction.debtor_name or None) and transaction.debtor_name[:140],
        debtor_iban=transaction.debtor_iban,
        remittance_text=transaction.remittance_text,
        message_id=message_id[:80],
        file_name=file_name[:200],
        line=transaction.line,
        imported_at=now(),
        imported_by=actor[:120],
        note="",
    )
    try:
        # A concurrent import of the same file meets the unique keys here.
        with db.session.begin_nested():
            db.session.add(credit)
    except IntegrityError:
        return None
    return credit


def _payment_reference(credit: BankCredit) -> str:
    return f"{credit.entry_key}/{credit.transaction_key}"[:120]


def _import_credit(
    transaction: BankTransaction, message_id: str, file_name: str, actor: str, result
) -> None:
    credit = _record(transaction, message_id, file_name, actor)
    if credit is None:
        result.already_imported += 1
        return
    result.credit_ids.append(credit.id)
    invoice, state, note = _match(transaction)
    if invoice is None:
        credit.state, credit.note = state, note
        result.unmatched += 1
        db.session.flush()
        return
    _book(credit, invoice, actor)
    credit.state = BankCreditState.MATCHED
    result.matched += 1
    db.session.flush()


def _match(transaction: BankTransaction) -> tuple[Invoice | None, BankCreditState, str]:
    """The invoice the credit pays, or None with the queue state and the reason."""
    if transaction.currency != CURRENCY:
        return None, BankCreditState.AMBIGUOUS, f"in {transaction.currency}, not {CURRENCY}"
    if transaction.amount != transaction.amount.quantize(Decimal("0.01")):
        return None, BankCreditState.AMBIGUOUS, "the amount has fractions of a Rappen"
    if transaction.reference_type != ReferenceType.QRR:
        return None, BankCreditState.UNMATCHED, "no QR reference"
    documents = db.session.scalars(
        select(Invoice).where(
            Invoice.qr_reference == transaction.reference, Invoice.status != InvoiceState.DRAFT
        )
    ).all()
    invoices = [d for d in documents if d.kind == InvoiceKind.INVOICE]
    if len(invoices) == 1:
        return invoices[0], BankCreditState.MATCHED, ""
    if len(invoices) > 1:
        numbers = ", ".join(i.number for i in invoices)
        return None, BankCreditState.AMBIGUOUS, f"the reference names several invoices: {numbers}"
    if documents:
        return (
            None,
            BankCreditState.AMBIGUOUS,
            f"the reference is of credit note {documents[0].number}",
        )
    return None, BankCreditState.UNMATCHED, "no invoice has this QR reference"


def _book(credit: BankCredit, invoice: Invoice, actor: str) -> None:
    payment = record_payment(
        invoice.id,
        credit.amount.quantize(Decimal("0.01")),
        credit.booking_date,
        method=PaymentMethod.QR_BILL,
        external_reference=_payment_reference(credit),
        note=(credit.debtor_name or "")[:200],
        actor=actor,
        value_date=credit.value_date,
        overpayment=True,  # the money is on the account: a surplus becomes a credit balance
    )
    credit.invoice_id = invoice.id
    credit.payment_id = payment.id


def _import_reversal(
    transaction: BankTransaction, message_id: str, file_name: str, actor: str, result
) -> None:
    """The bank takes back an earlier credit: its payment is counter-booked (the invoice
    is open again), or, still in the queue, it leaves the queue. A reversal whose credit
    is not found waits in the queue for finance."""
    record = _record(transaction, message_id, file_name, actor)
    if record is None:
        result.already_imported += 1
        return
    result.credit_ids.append(record.id)
    original = _reversed_credit(transaction) if transaction.reference else None
    if original is None:
        record.state = BankCreditState.UNMATCHED
        record.note = "a reversal of a credit that was not found"
        result.unmatched += 1
        db.session.flush()
        return
    if original.payment_id is not None:
        counter = reverse_payment(
            original.payment_id,
            f"bank reversal {transaction.entry_key}",
            on=transaction.booking_date,
            external_reference=_payment_reference(record),
            actor=actor,
        )
        record.payment_id = counter.id
    record.invoice_id = original.invoice_id
    record.state = BankCreditState.REVERSED
    record.note = f"takes back the credit of {original.booking_date} ({original.entry_key})"
    original.state = BankCreditState.REVERSED
    original.note = f"reversed by the bank on {transaction.booking_date}"
    result.reversed += 1
    db.session.flush()


def _reversed_credit(transaction: BankTransaction) -> BankCredit | None:
    """The latest credit of the same reference and amount that is not yet taken back."""
    return db.session.scalar(
        select(BankCredit)
        .where(
            BankCredit.reference == transaction.reference,
            BankCredit.amount == transaction.amount,
            BankCredit.reversal.is_(False),
            BankCredit.state.in_((BankCreditState.MATCHED, BankCreditState.ASSIGNED, *BANK_QUEUE)),
        )
        .order_by(BankCredit.booking_date.desc(), BankCredit.id.desc())
        .limit(1)
    )


# --- finance's queue ---------------------------------------------------------------------


def queue() -> list[BankCredit]:
    """The credits waiting for finance, oldest first."""
    return list(
        db.session.scalars(
            select(BankCredit)
            .where(BankCredit.state.in_(BANK_QUEUE))
            .order_by(BankCredit.booking_date, BankCredit.id)
        )
    )


def _queued(credit_id: int) -> BankCredit:
    credit = db.session.scalar(
        select(BankCredit).where(BankCredit.id == credit_id).with_for_update()
    )
    if credit is None or not credit.in_queue:
        raise RuleViolation(_("This bank credit is no longer waiting for assignment."))
    return credit


def invoice_by_number(number: str) -> Invoice:
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == (number or "").strip()))
    if invoice is None or invoice.kind != InvoiceKind.INVOICE:
        raise RuleViolation(_("No invoice has the number %(number)s.", number=number), "invoice")
    return invoice


def assign_credit(credit_id: int, invoice_number: str, *, actor: str) -> BankCredit:
    """Finance books a queued credit on the invoice it names (flushes)."""
    credit = _queued(credit_id)
    if credit.reversal:
        raise RuleViolation(_("A reversal cannot be booked on an invoice; return it instead."))
    if credit.currency != CURRENCY:
        raise RuleViolation(_("Only a credit in CHF can be booked on an invoice."))
    invoice = invoice_by_number(invoice_number)
    _book(credit, invoice, actor)
    credit.state = BankCreditState.ASSIGNED
    credit.resolved_by = actor[:120]
    credit.resolved_at = now()
    db.session.flush()
    return credit


def return_credit(credit_id: int, reason: str, *, actor: str) -> BankCredit:
    """Finance decides a queued credit is not for an invoice here (paid back to the
    sender, a wrong account): it leaves the queue with the reason, nothing is booked."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Give the reason."), "reason")
    credit = _queued(credit_id)
    credit.state = BankCreditState.RETURNED
    credit.note = reason[:2000]
    credit.resolved_by = actor[:120]
    credit.resolved_at = now()
    db.session.flush()
    return credit
