"""E-mails to customers: an issued invoice with its PDF and pay link, and reminders.

Each is worded in the customer's language (`force_locale`), from the plugin's catalogs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from app.toolkit import (
    MAIL,
    Attachment,
    Outgoing,
    company,
    format_chf,
    hooks,
    queue_mail,
    queue_many,
    queue_outgoing,
)
from plugins.invoicing.billing import Month
from plugins.invoicing.document_language import format_date, language_of
from plugins.invoicing.dunning_rules import ReminderAmounts
from plugins.invoicing.models import Invoice, Reminder
from plugins.invoicing.paylinks import pay_url


@dataclass(frozen=True)
class MailPreview:
    """An e-mail as its customer will get it, for the preview pages (core/mail_preview.html)."""

    recipient: str
    subject: str
    body: str
    attachment: str  # the attached files' names


def _attachment(invoice: Invoice) -> tuple[Attachment, ...]:
    if not invoice.pdf:
        return ()
    return (Attachment(f"{invoice.number}.pdf", invoice.pdf),)


def document_mail(
    invoice: Invoice,
    *,
    number: str | None = None,
    due_date: date | None = None,
    language: str | None = None,
) -> tuple[str, str]:
    """Subject and body of the e-mail that brings an issued invoice or credit note.

    A draft's preview passes the number, due date and language issuing would give it."""
    number = number or invoice.number
    due_date = due_date or invoice.due_date
    with force_locale(language or language_of(invoice)):
        if invoice.is_credit_note:
            return (
                _("Credit note %(number)s", number=number),
                _(
                    "Hello\n\nPlease find attached credit note %(number)s.\n\n"
                    "Kind regards\n%(company)s",
                    number=number,
                    company=company().legal_name,
                ),
            )
        return (
            _("Invoice %(number)s", number=number),
            _(
                "Hello\n\nPlease find attached invoice %(number)s for CHF %(amount)s, "
                "due on %(due)s.\nPay online (card, TWINT): %(link)s\n\n"
                "Kind regards\n%(company)s",
                number=number,
                amount=format_chf(invoice.payable),
                due=format_date(due_date),
                link=pay_url(invoice.id),
                company=company().legal_name,
            ),
        )


def reminder_mail(invoice: Invoice, level: int, amounts: ReminderAmounts) -> tuple[str, str]:
    """Subject and body of the reminder of `invoice` at `level`, in the customer's language."""
    with force_locale(language_of(invoice)):
        subject = _("Reminder %(level)d: invoice %(number)s", level=level, number=invoice.number)
        body = _(
            "Hello\n\nInvoice %(number)s of %(issued)s was due on %(due)s. Including fees "
            "and interest, CHF %(total)s is open; the attached reminder has a QR-bill for "
            "this amount.\nPay online (card, TWINT): %(link)s\n\n"
            "If you have already paid, please disregard this message.\n\n"
            "Kind regards\n%(company)s",
            number=invoice.number,
            issued=format_date(invoice.issue_date),
            due=format_date(invoice.due_date),
            total=format_chf(amounts.total),
            link=pay_url(invoice.id),
            company=company().legal_name,
        )
    return subject, body


def reminder_filename(invoice: Invoice, level: int) -> str:
    """The name of the reminder's PDF as its e-mail attaches it."""
    with force_locale(language_of(invoice)):
        return _("reminder-%(level)d-%(number)s.pdf", level=level, number=invoice.number)


def _plugin_attachments(invoice: Invoice) -> tuple[Attachment, ...]:
    """What other plugins attach to a monthly invoice (hook invoice_mail_attachments),
    for the month whose charges it bills in arrears."""
    if invoice.is_credit_note or not invoice.period:
        return ()
    answers = hooks().invoice_mail_attachments(
        customer_id=invoice.customer_id, service_month=Month.parse(invoice.period).previous().label
    )
    return tuple(attachment for answer in answers for attachment in answer or ())


def document_attachments(invoice: Invoice) -> tuple[Attachment, ...]:
    """The PDF of the document and what other plugins attach to it."""
    return _attachment(invoice) + _plugin_attachments(invoice)


def document_letter(invoice: Invoice) -> Outgoing:
    """The e-mail of an issued invoice or credit note for its customer, with its PDF."""
    subject, body = document_mail(invoice)
    return Outgoing(
        invoice.bill_to_email,
        subject,
        body,
        document_attachments(invoice),
        key=f"invoicing.document:{invoice.id}",
        related=("invoicing_invoice", invoice.id),
        language=language_of(invoice),
    )


def mail_document(invoice: Invoice) -> None:
    """Queue the issued invoice or credit note for its customer (sent after commit, once)."""
    queue_outgoing(MAIL, document_letter(invoice))


def mail_documents(invoices: Iterable[Invoice]) -> None:
    """Queue several documents' e-mails at once (see `queue_many`: a bad address raises
    before anything is queued)."""
    queue_many(MAIL, [document_letter(invoice) for invoice in invoices])


def mail_reminder(reminder: Reminder, amounts: ReminderAmounts) -> None:
    """Queue the reminder with its PDF (and the invoice's) in the customer's language."""
    invoice = reminder.invoice
    subject, body = reminder_mail(invoice, reminder.level, amounts)
    filename = reminder_filename(invoice, reminder.level)
    attachments = (Attachment(filename, reminder.pdf),) if reminder.pdf else ()
    queue_mail(
        invoice.bill_to_email,
        subject,
        body,
        attachments + _attachment(invoice),
        key=f"invoicing.reminder:{invoice.id}:{reminder.level}",
        related=("invoicing_invoice", invoice.id),
        language=language_of(invoice),
    )
