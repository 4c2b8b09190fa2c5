"""The e-mails a customer would get, shown to finance before anything is sent: an invoice
before it is issued, a reminder before the dunning run. Read only: nothing is written,
numbered or queued; the words come from the same functions the sending uses (mailing.py).
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.toolkit import RuleViolation, today
from plugins.invoicing.invoice_build import bill_to_values
from plugins.invoicing.issuing import series_and_due_date
from plugins.invoicing.mailing import (
    MailPreview,
    document_attachments,
    document_mail,
    reminder_filename,
    reminder_mail,
)
from plugins.invoicing.models import Invoice
from plugins.invoicing.numbering import upcoming_number
from plugins.invoicing.reminders import amounts_of, reminder_levels
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState


def _names(*groups) -> str:
    return ", ".join(name for group in groups for name in group)


def issue_mail_preview(invoice: Invoice) -> MailPreview:
    """The e-mail issuing this draft today would send: to the customer's billing address
    and in the language of today (issuing freezes them), with the next free number of the
    series (another issuer may still take it first) and the due date of today's terms."""
    if invoice.status != InvoiceState.DRAFT:
        raise RuleViolation(_("Invoice %(number)s is already issued.", number=invoice.number))
    day = today()
    addressee = bill_to_values(invoice.customer)
    series, due_date = series_and_due_date(invoice, day)
    number = upcoming_number(series, day.year)
    subject, body = document_mail(
        invoice, number=number, due_date=due_date, language=addressee["language"]
    )
    others = [attachment.filename for attachment in document_attachments(invoice)]
    return MailPreview(addressee["bill_to_email"], subject, body, _names([f"{number}.pdf"], others))


def reminder_mail_preview(invoice: Invoice) -> MailPreview:
    """The reminder `invoice` would get at its next level, with the fees and interest of
    today: what the dunning run sends once the level is due."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceState.ISSUED:
        raise RuleViolation(_("Only an issued invoice gets reminders."))
    if invoice.open_amount <= 0:
        raise RuleViolation(_("Nothing is open on invoice %(number)s.", number=invoice.number))
    day = today()
    level = next(
        (item for item in reminder_levels(day) if item.level > invoice.reminder_level), None
    )
    if level is None:
        raise RuleViolation(
            _("Invoice %(number)s has had its last reminder.", number=invoice.number)
        )
    subject, body = reminder_mail(invoice, level.level, amounts_of(invoice, level, day))
    invoice_pdf = [f"{invoice.number}.pdf"] if invoice.pdf else []
    return MailPreview(
        invoice.bill_to_email,
        subject,
        body,
        _names([reminder_filename(invoice, level.level)], invoice_pdf),
    )
