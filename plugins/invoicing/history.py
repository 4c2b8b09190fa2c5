"""How invoices, payments and reminders read in their history and on the audit page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.toolkit import LANGUAGE_NAMES, RecordWording
from plugins.invoicing.models import Payment, Reminder
from plugins.invoicing.vocabulary import (
    InvoiceKind,
    InvoiceState,
    LineKind,
    PaymentMethod,
    ReminderWording,
)

# Stamps and copies of the customer's address: the history says what happened, not this.
_INVOICE_HIDDEN = frozenset(
    {
        "customer_id",
        "site_id",
        "run_id",
        "number_series",
        "number_year",
        "number_sequence",
        "bill_to_street",
        "bill_to_house_number",
        "bill_to_postal_code",
        "bill_to_town",
        "bill_to_country",
        "pdf",
        "pdf_rendered_at",
        "credited_invoice_id",
    }
)


def wordings() -> list[RecordWording]:
    return [
        RecordWording(
            "invoicing_invoice",
            _l("Invoice"),
            fields={
                "kind": _l("Kind"),
                "status": _l("Status"),
                "period": _l("Period"),
                "consolidated": _l("All sites on one invoice"),
                "number": _l("Number"),
                "qr_reference": _l("QR reference"),
                "issue_date": _l("Invoice date"),
                "due_date": _l("Due"),
                "issued_at": _l("Issued"),
                "issued_by": _l("Issued by"),
                "language": _l("Language"),
                "bill_to_name": _l("Bill to"),
                "bill_to_email": _l("Billing e-mail"),
                "total_net": _l("Net CHF"),
                "total_vat": _l("VAT CHF"),
                "total_gross": _l("Total CHF"),
                "rounding_difference": _l("Rounding CHF"),
                "payable": _l("Payable CHF"),
                "amount_paid": _l("Paid CHF"),
                "amount_credited": _l("Credited CHF"),
                "paid_at": _l("Paid"),
                "reminder_level": _l("Reminder level"),
                "reason": _l("Reason"),
            },
            vocabularies={"kind": InvoiceKind, "status": InvoiceState, "language": LANGUAGE_NAMES},
            transitions={
                ("status", InvoiceState.ISSUED.value): _l("Invoice %(number)s issued"),
                ("status", InvoiceState.PAID.value): _l("Invoice paid in full"),
                ("status", InvoiceState.CREDITED.value): _l("Invoice credited"),
            },
            hidden=_INVOICE_HIDDEN,
            actors=frozenset({"issued_by"}),
            title="number",
            children=lambda invoice_id: [
                ("invoicing_payment", select(Payment.id).where(Payment.invoice_id == invoice_id)),
                (
                    "invoicing_reminder",
                    select(Reminder.id).where(Reminder.invoice_id == invoice_id),
                ),
            ],
        ),
        RecordWording(
            "invoicing_invoice_line",
            _l("Invoice line"),
            fields={"description": _l("Text"), "amount": _l("Amount CHF"), "kind": _l("Kind")},
            vocabularies={"kind": LineKind},
            hidden=frozenset({"invoice_id", "site_id", "contract_id"}),
        ),
        RecordWording(
            "invoicing_payment",
            _l("Payment"),
            fields={
                "amount": _l("Amount CHF"),
                "received_on": _l("Received on"),
                "method": _l("Channel"),
                "external_reference": _l("Reference"),
                "note": _l("Note"),
                "recorded_by": _l("Recorded by"),
            },
            vocabularies={"method": PaymentMethod},
            actors=frozenset({"recorded_by"}),
            transitions={
                ("method", PaymentMethod.BANK.value): _l(
                    "Payment of CHF %(amount)s received on %(received_on)s (bank transfer)"
                ),
                ("method", PaymentMethod.STRIPE.value): _l(
                    "Payment of CHF %(amount)s received on %(received_on)s (online)"
                ),
            },
            hidden=frozenset({"invoice_id"}),
        ),
        RecordWording(
            "invoicing_reminder",
            _l("Reminder"),
            fields={
                "level": _l("Level"),
                "fee": _l("Fee CHF"),
                "open_amount": _l("Open CHF"),
                "sent_on": _l("Sent on"),
                "sent_to": _l("Sent to"),
                "earlier_fees": _l("Fees of earlier reminders"),
                "interest": _l("Interest CHF"),
                "amount_due": _l("Amount due CHF"),
                "wording": _l("Letter"),
            },
            vocabularies={"wording": ReminderWording},
            # The PDF is the letter sent; the history says that it was sent, not its bytes.
            hidden=frozenset({"invoice_id", "pdf"}),
        ),
    ]
