"""The invoice and credit note PDF: HTML from the stored invoice, rendered by WeasyPrint.

An issued document is rendered once, right after its number is assigned, and the bytes
are stored with it: showing it again never re-renders, so a later template or letterhead
change cannot alter what the customer received.
"""

from __future__ import annotations

from contextlib import nullcontext
from decimal import Decimal

from flask import current_app, has_request_context, render_template

from app.toolkit import company, letterhead, render_pdf_html, today
from plugins.invoicing.account import credit_applied
from plugins.invoicing.document_text import format_date, language_of, texts
from plugins.invoicing.models import Invoice
from plugins.invoicing.paylinks import pay_url
from plugins.invoicing.payment_part import Creditor, PostalAddress, payment_part_svg
from plugins.invoicing.qr_reference import format_qr_reference
from plugins.invoicing.sources import tariff_on

# Outside production a missing QR-IBAN prints the SIX sample, so that drafts and tests
# render; in production issuing refuses while it is missing (company_placeholders).
DEFAULT_CREDITOR_IBAN = "CH44 3199 9123 0008 8901 2"


def creditor() -> Creditor:
    data = company()
    return Creditor(
        name=data.legal_name,
        street=data.street,
        house_number=data.house_number,
        postal_code=data.postal_code,
        town=data.town,
        country=data.country,
        account=data.qr_iban_formatted or DEFAULT_CREDITOR_IBAN,
    )


def debtor_of(invoice: Invoice) -> PostalAddress:
    return PostalAddress(
        name=invoice.bill_to_name,
        street=invoice.bill_to_street,
        house_number=invoice.bill_to_house_number,
        postal_code=invoice.bill_to_postal_code,
        town=invoice.bill_to_town,
        country=invoice.bill_to_country,
    )


def invoice_html(invoice: Invoice) -> str:
    """The document's HTML (a draft renders without number and payment part)."""
    language = language_of(invoice)
    text = texts(language)
    payment_part = None
    # A credit balance applied at issue is deducted: the QR-bill asks for the rest.
    credits = credit_applied(invoice) if invoice.number else []
    amount_due = invoice.payable - sum((p.amount for p in credits), Decimal("0.00"))
    if not invoice.is_credit_note and invoice.number and amount_due >= Decimal("0.01"):
        payment_part = payment_part_svg(
            creditor=creditor(),
            debtor=debtor_of(invoice),
            amount=amount_due,
            reference=invoice.qr_reference,
            additional_information=f"{text['invoice']} {invoice.number}",
            language=language,
        )
    terms_days = None
    if invoice.issue_date and invoice.due_date:
        terms_days = (invoice.due_date - invoice.issue_date).days
    elif not invoice.is_credit_note:
        terms_days = tariff_on("invoicing.payment_terms_days", today())
    context = nullcontext() if has_request_context() else _request_context()
    with context:
        return _render(invoice, language, text, payment_part, terms_days, credits, amount_due)


def _request_context():
    # The host's context processors read current_user, which exists only in a request;
    # a run from the CLI or a job renders inside a bare one.
    base = company().public_base_url or "http://localhost"
    return current_app.test_request_context("/", base_url=base)


def _render(
    invoice: Invoice, language: str, text: dict, payment_part, terms_days, credits, amount_due
) -> str:
    return render_template(
        "invoicing/pdf/invoice.html",
        letterhead=letterhead(),
        invoice=invoice,
        language=language,
        t=text,
        d=lambda day: format_date(day, language),
        payment_part=payment_part,
        credits=credits,
        amount_due=amount_due,
        qr_reference=format_qr_reference(invoice.qr_reference) if invoice.qr_reference else "",
        pay_link=pay_url(invoice.id) if payment_part else None,
        terms=text["terms"].format(days=terms_days, due=format_date(invoice.due_date, language))
        if terms_days is not None and invoice.due_date
        else "",
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return render_pdf_html(invoice_html(invoice))
