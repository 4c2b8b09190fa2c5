"""E-mails to customers: an issued invoice with its PDF and pay link, and reminders."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.toolkit import Attachment, company, format_chf, queue_mail
from plugins.invoicing.document_text import format_date, language_of
from plugins.invoicing.dunning_rules import ReminderAmounts
from plugins.invoicing.models import Invoice, Reminder
from plugins.invoicing.paylinks import pay_url

_INVOICE = {
    "de": (
        "Rechnung {number}",
        "Guten Tag\n\nIm Anhang finden Sie die Rechnung {number} über CHF {amount}, "
        "zahlbar bis {due}.\nOnline bezahlen (Karte, TWINT): {link}\n\n"
        "Freundliche Grüsse\nWinet Voicetec Solutions AG",
    ),
    "en": (
        "Invoice {number}",
        "Hello\n\nPlease find attached invoice {number} for CHF {amount}, due on {due}.\n"
        "Pay online (card, TWINT): {link}\n\nKind regards\nWinet Voicetec Solutions AG",
    ),
}
_CREDIT_NOTE = {
    "de": ("Gutschrift {number}", "Guten Tag\n\nIm Anhang finden Sie die Gutschrift {number}.\n"),
    "en": ("Credit note {number}", "Hello\n\nPlease find attached credit note {number}.\n"),
}


def _attachment(invoice: Invoice) -> tuple[Attachment, ...]:
    if not invoice.pdf:
        return ()
    return (Attachment(f"{invoice.number}.pdf", invoice.pdf),)


def mail_document(invoice: Invoice) -> None:
    """Queue the issued invoice or credit note for its customer (sent after commit, once)."""
    language = language_of(invoice)
    texts = _CREDIT_NOTE if invoice.is_credit_note else _INVOICE
    subject, body = texts[language]
    values = {
        "number": invoice.number,
        "amount": format_chf(invoice.payable),
        "due": format_date(invoice.due_date, language),
        "link": pay_url(invoice.id),
    }
    queue_mail(
        invoice.bill_to_email,
        subject.format(**values),
        body.format(**values),
        _attachment(invoice),
        key=f"invoicing.document:{invoice.id}",
        related=("invoicing_invoice", invoice.id),
        language=language,
    )


def mail_reminder(reminder: Reminder, amounts: ReminderAmounts) -> None:
    """Queue the reminder with its PDF (and the invoice's) in the customer's language."""
    invoice = reminder.invoice
    language = language_of(invoice)
    with force_locale(language):
        subject = _(
            "Reminder %(level)d: invoice %(number)s", level=reminder.level, number=invoice.number
        )
        body = _(
            "Hello\n\nInvoice %(number)s of %(issued)s was due on %(due)s. Including fees "
            "and interest, CHF %(total)s is open; the attached reminder has a QR-bill for "
            "this amount.\nPay online (card, TWINT): %(link)s\n\n"
            "If you have already paid, please disregard this message.\n\n"
            "Kind regards\n%(company)s",
            number=invoice.number,
            issued=format_date(invoice.issue_date, language),
            due=format_date(invoice.due_date, language),
            total=format_chf(amounts.total),
            link=pay_url(invoice.id),
            company=company().legal_name,
        )
        filename = _(
            "reminder-%(level)d-%(number)s.pdf", level=reminder.level, number=invoice.number
        )
    attachments = (Attachment(filename, reminder.pdf),) if reminder.pdf else ()
    queue_mail(
        invoice.bill_to_email,
        subject,
        body,
        attachments + _attachment(invoice),
        key=f"invoicing.reminder:{invoice.id}:{reminder.level}",
        related=("invoicing_invoice", invoice.id),
        language=language,
    )
