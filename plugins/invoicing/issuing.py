"""Issuing: a draft gets its number, dates and QR reference, then its PDF, and is frozen."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.toolkit import (
    RuleViolation,
    acting_as,
    company_placeholders,
    db,
    in_production,
    now,
    today,
)
from plugins.invoicing.models import Invoice
from plugins.invoicing.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES, next_number
from plugins.invoicing.payments import locked_invoice
from plugins.invoicing.qr_reference import qr_reference_for
from plugins.invoicing.sources import tariff_on

log = logging.getLogger(__name__)


@dataclass
class IssueResult:
    numbers: list[str] = field(default_factory=list)
    invoice_ids: list[int] = field(default_factory=list)
    failures: list = field(default_factory=list)


def _refresh_bill_to(invoice: Invoice) -> None:
    from plugins.invoicing.run import _fill_bill_to

    _fill_bill_to(invoice, invoice.customer)


def draft_ids(period: str | None = None) -> list[int]:
    """The drafts waiting for finance, oldest first; of one period when given."""
    statement = select(Invoice.id).where(Invoice.status == "draft").order_by(Invoice.id)
    if period:
        statement = statement.where(Invoice.period == period)
    return list(db.session.scalars(statement))


def issue_invoice(invoice_id: int, *, actor: str = "system") -> Invoice:
    """Assign the next number of the year and freeze the draft (flushes, does not commit).

    The draft row is locked first, so two people issuing the same draft at once give it
    one number, and the second is told it is no longer a draft.
    """
    invoice = locked_invoice(invoice_id)
    if invoice.status != "draft":
        raise RuleViolation(f"invoice {invoice.number} is already issued")
    if invoice.kind == "invoice" and not invoice.lines:
        raise RuleViolation("an invoice without lines cannot be issued")
    _refuse_placeholders_in_production()
    day = today()
    series = CREDIT_NOTE_SERIES if invoice.is_credit_note else INVOICE_SERIES
    terms = None if invoice.is_credit_note else tariff_on("invoicing.payment_terms_days", day)
    sequence, number = next_number(series, day.year)
    # Every column of the issued state is set before the next flush: the table's check
    # constraint ties the number to the status.
    with db.session.no_autoflush:
        _refresh_bill_to(invoice)
        invoice.number = number
        invoice.number_series = series
        invoice.number_year = day.year
        invoice.number_sequence = sequence
        invoice.qr_reference = qr_reference_for(number)
        invoice.issue_date = day
        invoice.issued_at = now()
        invoice.issued_by = actor
        invoice.due_date = None if terms is None else day + timedelta(days=terms)
        invoice.status = "issued"
    db.session.flush()
    return invoice


def _refuse_placeholders_in_production() -> None:
    """In production no document leaves with sample company data (before a number is taken)."""
    placeholders = company_placeholders() if in_production() else []
    if placeholders:
        raise RuleViolation(
            _(
                "No invoice can be issued while the company data holds placeholders: "
                "%(fields)s. An admin enters the real values on the Company page.",
                fields=", ".join(placeholders),
            )
        )


def store_pdf(invoice_id: int, pdf: bytes) -> None:
    """Keep the rendered PDF; only the first rendering of an issued document is stored."""
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.pdf.is_(None), Invoice.status != "draft")
        .values(pdf=pdf, pdf_rendered_at=now())
    )


def render_and_store(invoice_ids: Iterable[int], processes: int = 1) -> None:
    """Render and store the PDFs of issued documents that have none yet (commits)."""
    from plugins.invoicing.documents import invoice_html, render_invoice_pdf
    from plugins.invoicing.rendering import render_many

    ids = list(invoice_ids)
    if processes > 1 and len(ids) > 1:
        pages = [
            (invoice_id, invoice_html(db.session.get(Invoice, invoice_id))) for invoice_id in ids
        ]
        db.session.rollback()  # do not hold a transaction open while the workers render
        for invoice_id, pdf in render_many(pages, processes):
            store_pdf(invoice_id, pdf)
        db.session.commit()
        return
    for invoice_id in ids:
        invoice = db.session.get(Invoice, invoice_id)
        store_pdf(invoice_id, render_invoice_pdf(invoice))
        db.session.commit()


def issue_invoices(
    invoice_ids: Iterable[int], *, actor: str = "system", processes: int | None = None
) -> IssueResult:
    """Issue drafts one transaction each (a failure skips one, not all), then render PDFs."""
    from flask import current_app

    from plugins.invoicing.run import RunFailure

    result = IssueResult()
    with acting_as(actor):
        for invoice_id in invoice_ids:
            try:
                number = issue_invoice(invoice_id, actor=actor).number
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                invoice = db.session.get(Invoice, invoice_id)
                result.failures.append(
                    RunFailure(
                        invoice.customer_id if invoice else 0,
                        invoice.bill_to_name if invoice else "?",
                        f"issuing draft {invoice_id}: {error}",
                    )
                )
                continue
            result.numbers.append(number)
            result.invoice_ids.append(invoice_id)
        if processes is None:
            processes = int(current_app.config.get("INVOICING_PDF_PROCESSES", 1))
        render_and_store(result.invoice_ids, processes=processes)
        if current_app.config.get("INVOICING_MAIL_ON_ISSUE", True):
            _mail_issued(result)
            db.session.commit()
    return result


def _mail_issued(result: IssueResult) -> None:
    """E-mail each issued invoice with its PDF; a failed mail is reported, the issue stands."""
    from plugins.invoicing.mailing import mail_document
    from plugins.invoicing.run import RunFailure

    for invoice_id in result.invoice_ids:
        invoice = db.session.get(Invoice, invoice_id)
        try:
            mail_document(invoice)
        except Exception as error:
            log.exception("mailing invoice %s failed", invoice.number)
            result.failures.append(
                RunFailure(
                    invoice.customer_id, invoice.bill_to_name, f"mail {invoice.number}: {error}"
                )
            )


def discard_draft(invoice_id: int) -> None:
    """Delete a draft and release what it billed, so the next run bills it again."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.status != "draft":
        raise RuleViolation("only a draft can be discarded")
    from plugins.invoicing.models import BilledCharge, BilledSubscription

    db.session.execute(
        BilledSubscription.__table__.delete().where(BilledSubscription.invoice_id == invoice_id)
    )
    db.session.execute(BilledCharge.__table__.delete().where(BilledCharge.invoice_id == invoice_id))
    # The audit trail records every column of a deleted row; load the deferred PDF column
    # now, as it cannot be loaded once the row is gone.
    _ = invoice.pdf, list(invoice.lines)
    db.session.delete(invoice)
    db.session.flush()
