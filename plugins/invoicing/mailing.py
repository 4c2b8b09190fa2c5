"""E-mails to customers: an issued invoice with its PDF and pay link, and reminders.

Each is worded in the customer's language (`force_locale`), from the plugin's catalogs.
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.toolkit import Attachment, company, format_chf, queue_mail
from plugins.invoicing.document_language import format_date, language_of
from plugins.invoicing.models import Invoice
from plugins.invoicing.paylinks import pay_url


def _attachment(invoice: Invoice) -> tuple[Attachment, ...]:
    if not invoice.pdf:
        return ()
    return (Attachment(f"{invoice.number}.pdf", invoice.pdf),)


def document_mail(invoice: Invoice) -> tuple[str, str]:
    """Subject and body of the e-mail that brings an issued invoice or credit note."""
    with force_locale(language_of(invoice)):
        if invoice.is_credit_note:
            return (
                _("Credit note %(number)s", number=invoice.number),
                _(
                    "Hello\n\nPlease find attached credit note %(number)s.\n\n"
                    "Kind regards\n%(company)s",
                    number=invoice.number,
                    company=company().legal_name,
                ),
            )
        return (
            _("Invoice %(number)s", number=invoice.number),
            _(
                "Hello\n\nPlease find attached invoice %(number)s for CHF %(amount)s, "
                "due on %(due)s.\nPay online (card, TWINT): %(link)s\n\n"
                "Kind regards\n%(company)s",
                number=invoice.number,
                amount=format_chf(invoice.payable),
                due=format_date(invoice.due_date),
                link=pay_url(invoice.id),
                company=company().legal_name,
            ),
        )


def reminder_mail(invoice: Invoice, level: int, fee, open_amount) -> tuple[str, str]:
    """Subject and body of a payment reminder."""
    with force_locale(language_of(invoice)):
        values = {
            "level": level,
            "number": invoice.number,
            "issued": format_date(invoice.issue_date),
            "due": format_date(invoice.due_date),
            "open": format_chf(open_amount),
            "link": pay_url(invoice.id),
            "company": company().legal_name,
        }
        subject = _("Payment reminder %(level)s: invoice %(number)s", **values)
        if fee:
            body = _(
                "Hello\n\nInvoice %(number)s of %(issued)s was due on %(due)s. CHF %(open)s "
                "is still open, plus a reminder fee of CHF %(fee)s.\n"
                "Pay online (card, TWINT): %(link)s\n\n"
                "If you have already paid, please disregard this message.\n\n"
                "Kind regards\n%(company)s",
                fee=format_chf(fee),
                **values,
            )
        else:
            body = _(
                "Hello\n\nInvoice %(number)s of %(issued)s was due on %(due)s. CHF %(open)s "
                "is still open.\nPay online (card, TWINT): %(link)s\n\n"
                "If you have already paid, please disregard this message.\n\n"
                "Kind regards\n%(company)s",
                **values,
            )
        return subject, body


def mail_document(invoice: Invoice) -> None:
    """Queue the issued invoice or credit note for its customer (sent after commit, once)."""
    subject, body = document_mail(invoice)
    queue_mail(
        invoice.bill_to_email,
        subject,
        body,
        _attachment(invoice),
        key=f"invoicing.document:{invoice.id}",
        related=("invoicing_invoice", invoice.id),
        language=language_of(invoice),
    )


def mail_reminder(invoice: Invoice, level: int, fee, open_amount) -> None:
    subject, body = reminder_mail(invoice, level, fee, open_amount)
    queue_mail(
        invoice.bill_to_email,
        subject,
        body,
        _attachment(invoice),
        key=f"invoicing.reminder:{invoice.id}:{level}",
        related=("invoicing_invoice", invoice.id),
        language=language_of(invoice),
    )
