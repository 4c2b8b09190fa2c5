"""E-mails to customers: an issued invoice with its PDF and pay link, and reminders."""

from __future__ import annotations

from app.toolkit import Attachment, format_chf, hooks, queue_mail
from plugins.invoicing.document_text import format_date, language_of
from plugins.invoicing.models import Invoice
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
_REMINDER = {
    "de": (
        "{level}. Zahlungserinnerung: Rechnung {number}",
        "Guten Tag\n\nDie Rechnung {number} vom {issued} war am {due} fällig. "
        "Offen sind CHF {open}{fee}.\nOnline bezahlen (Karte, TWINT): {link}\n\n"
        "Haben Sie bereits bezahlt, betrachten Sie diese Nachricht als gegenstandslos.\n\n"
        "Freundliche Grüsse\nWinet Voicetec Solutions AG",
    ),
    "en": (
        "Payment reminder {level}: invoice {number}",
        "Hello\n\nInvoice {number} of {issued} was due on {due}. CHF {open} is still "
        "open{fee}.\nPay online (card, TWINT): {link}\n\n"
        "If you have already paid, please disregard this message.\n\n"
        "Kind regards\nWinet Voicetec Solutions AG",
    ),
}


def _attachment(invoice: Invoice) -> tuple[Attachment, ...]:
    if not invoice.pdf:
        return ()
    return (Attachment(f"{invoice.number}.pdf", invoice.pdf),)


def _month_before(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _plugin_attachments(invoice: Invoice) -> tuple[Attachment, ...]:
    """What other plugins attach to a monthly invoice (hook invoice_mail_attachments),
    for the month whose charges it bills in arrears."""
    if invoice.is_credit_note or not invoice.period:
        return ()
    answers = hooks().invoice_mail_attachments(
        customer_id=invoice.customer_id, service_month=_month_before(invoice.period)
    )
    return tuple(attachment for answer in answers for attachment in answer or ())


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
        _attachment(invoice) + _plugin_attachments(invoice),
        key=f"invoicing.document:{invoice.id}",
        related=("invoicing_invoice", invoice.id),
        language=language,
    )


def mail_reminder(invoice: Invoice, level: int, fee, open_amount) -> None:
    language = language_of(invoice)
    subject, body = _REMINDER[language]
    fee_text = ""
    if fee:
        fee_text = (
            f" (zuzüglich Mahngebühr CHF {format_chf(fee)})"
            if language == "de"
            else f" (plus a reminder fee of CHF {format_chf(fee)})"
        )
    values = {
        "level": level,
        "number": invoice.number,
        "issued": format_date(invoice.issue_date, language),
        "due": format_date(invoice.due_date, language),
        "open": format_chf(open_amount),
        "fee": fee_text,
        "link": pay_url(invoice.id),
    }
    queue_mail(
        invoice.bill_to_email,
        subject.format(**values),
        body.format(**values),
        _attachment(invoice),
        key=f"invoicing.reminder:{invoice.id}:{level}",
        related=("invoicing_invoice", invoice.id),
        language=language,
    )
