"""The reminder letter as PDF: the overdue invoice, what is asked for (open amount, fees,
default interest) and a fresh QR-bill for that total, in the customer's language."""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.toolkit import company, letterhead, render_pdf_html
from plugins.invoicing.document_language import format_date, language_of
from plugins.invoicing.documents import creditor, debtor_of
from plugins.invoicing.dunning_rules import ReminderAmounts
from plugins.invoicing.models import Reminder
from plugins.invoicing.paylinks import pay_url
from plugins.invoicing.payment_part import payment_part_svg
from plugins.invoicing.qr_reference import format_qr_reference


def reminder_html(reminder: Reminder, amounts: ReminderAmounts) -> str:
    invoice = reminder.invoice
    language = language_of(invoice)
    outside = nullcontext() if has_request_context() else _request_context()
    with outside, force_locale(language):
        # The same QR reference as the invoice: the bank's credit is matched to it.
        payment_part = payment_part_svg(
            creditor=creditor(),
            debtor=debtor_of(invoice),
            amount=amounts.total,
            reference=invoice.qr_reference,
            additional_information=_(
                "Reminder %(level)d, invoice %(number)s",
                level=reminder.level,
                number=invoice.number,
            ),
            language=language,
        )
        return render_template(
            "invoicing/pdf/reminder.html",
            letterhead=letterhead(),
            reminder=reminder,
            invoice=invoice,
            amounts=amounts,
            language=language,
            d=format_date,
            payment_part=payment_part,
            qr_reference=format_qr_reference(invoice.qr_reference),
            pay_link=pay_url(invoice.id),
        )


def _request_context():
    # Context processors read current_user, which exists only in a request.
    base = company().public_base_url or "http://localhost"
    return current_app.test_request_context("/", base_url=base)


def render_reminder_pdf(reminder: Reminder, amounts: ReminderAmounts) -> bytes:
    return render_pdf_html(reminder_html(reminder, amounts))
