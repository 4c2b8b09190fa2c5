"""Issuing: a draft is checked for everything its PDF and QR-bill need, then gets its
number, dates and QR reference and is frozen; a credit balance of the customer is applied
to it; its PDF is rendered and stored after.

The checks come first because the number is the irreversible step: numbers are gap-free
per year, so nothing that could still fail (the company data, the customer's address as
the QR-bill requires it) may fail once one is taken. Flush only; jobs.py commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain, islice

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.toolkit import (
    RuleViolation,
    address_problem,
    company_placeholders,
    db,
    in_production,
    now,
    render_pdf_html,
    today,
)
from plugins.invoicing.account import apply_credit_balances
from plugins.invoicing.documents import creditor, debtor_of, invoice_html
from plugins.invoicing.invoice_build import fill_bill_to
from plugins.invoicing.models import BilledCharge, BilledMonth, Invoice
from plugins.invoicing.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES, take_numbers
from plugins.invoicing.payment_part import check_payment_part
from plugins.invoicing.qr_reference import qr_reference_for
from plugins.invoicing.rendering import render_many
from plugins.invoicing.sources import tariff_on
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState
from plugins.invoicing.writing import tell_source

# A well-formed QR reference standing in for the one the number will give, so the
# QR-bill can be checked before the number is taken.
_PROBE_REFERENCE = qr_reference_for("2000-000001")


def draft_ids(period: str | None = None) -> list[int]:
    """The drafts waiting for finance, oldest first; of one period when given."""
    statement = select(Invoice.id).where(Invoice.status == InvoiceState.DRAFT).order_by(Invoice.id)
    if period:
        statement = statement.where(Invoice.period == period)
    return list(db.session.scalars(statement))


def credit_notes_first(invoice_ids: Iterable[int]) -> list[int]:
    """The drafts in the order to issue them: credit notes (a period of less than nothing)
    first, so that the credit they give is applied to the invoices issued with them."""
    ids = list(invoice_ids)
    notes = (
        set(
            db.session.scalars(
                select(Invoice.id).where(
                    Invoice.id.in_(ids), Invoice.kind == InvoiceKind.CREDIT_NOTE
                )
            )
        )
        if ids
        else set()
    )
    return [i for i in ids if i in notes] + [i for i in ids if i not in notes]


def check_issuable(invoice: Invoice) -> None:
    """Refuse, with the reason, what would fail after the number is taken."""
    if invoice.kind == InvoiceKind.INVOICE and not invoice.lines:
        raise RuleViolation(_("An invoice without lines cannot be issued."))
    # An address saved before countries and postal codes were checked (the QR-bill
    # library takes some codes ISO 3166 does not know, e.g. XK, and any Swiss postcode).
    problem = address_problem(invoice.bill_to_country, invoice.bill_to_postal_code)
    if problem:
        raise RuleViolation(
            _(
                "The address of %(customer)s cannot go on the invoice and its QR-bill: %(reason)s",
                customer=invoice.bill_to_name,
                reason=problem,
            )
        )
    placeholders = company_placeholders() if in_production() else []
    if placeholders:
        raise RuleViolation(
            _(
                "No invoice can be issued while the company data holds placeholders: "
                "%(fields)s. An admin enters the real values on the Company page.",
                fields=", ".join(placeholders),
            )
        )
    if invoice.is_credit_note or invoice.payable < Decimal("0.01"):
        return  # no payment part
    try:
        check_payment_part(
            creditor=creditor(),
            debtor=debtor_of(invoice),
            amount=invoice.payable,
            reference=_PROBE_REFERENCE,
        )
    except ValueError as error:
        raise RuleViolation(
            _(
                "The QR-bill of %(customer)s cannot be made: %(reason)s",
                customer=invoice.bill_to_name,
                reason=str(error),
            )
        ) from error


def series_and_due_date(invoice: Invoice, day: date) -> tuple[str, date | None]:
    """The number series a document issued on `day` takes and the day it is due (none
    for a credit note), under the payment terms of that day."""
    if invoice.is_credit_note:
        return CREDIT_NOTE_SERIES, None
    return INVOICE_SERIES, day + timedelta(days=tariff_on("invoicing.payment_terms_days", day))


@dataclass(frozen=True)
class Refusal:
    """A draft its checks refused: it took no number and stays as it was."""

    invoice_id: int
    customer_id: int
    name: str
    error: RuleViolation


@dataclass
class IssuedBatch:
    issued: list[Invoice] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def issue_invoice(invoice_id: int, *, actor: str = "system") -> Invoice:
    """Check the draft, assign the next number of the year and freeze it (flushes).

    The draft row is locked first, so two people issuing the same draft at once give it
    one number, and the second is told it is no longer a draft.
    """
    batch = issue_drafts([invoice_id], actor=actor)
    if batch.refused:
        raise batch.refused[0].error
    return batch.issued[0]


def issue_drafts(invoice_ids: Sequence[int], *, actor: str = "system") -> IssuedBatch:
    """Issue drafts in the current transaction, numbered in the order given (flushes).

    What issuing one draft takes, done for all of them together: the drafts are locked
    and read in one statement (their lines and customers in one more each), each series
    takes its block of numbers in one step, and the credit balances of all their customers
    are read at once. A draft its checks refuse takes no number and keeps its data; it is
    reported in `refused`. The rows are locked in id order, so two batches never wait on
    each other in a circle.
    """
    position = {invoice_id: at for at, invoice_id in enumerate(dict.fromkeys(invoice_ids))}
    drafts = sorted(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.id.in_(position))
            .order_by(Invoice.id)
            .with_for_update(of=Invoice)
            .options(selectinload(Invoice.lines), selectinload(Invoice.customer))
            .execution_options(populate_existing=True)
        ),
        key=lambda invoice: position[invoice.id],
    )
    batch = IssuedBatch()
    for missing in position.keys() - {invoice.id for invoice in drafts}:
        batch.refused.append(
            Refusal(missing, 0, "?", RuleViolation(_("Invoice %(id)s does not exist.", id=missing)))
        )
    day = today()
    terms: dict[bool, tuple[str, date | None]] = {}  # by kind: the same for every draft
    ready: list[tuple[Invoice, str, date | None]] = []
    # No flush before every draft has its number: the table's check constraint ties the
    # number to the status, and a refused draft's new address must never be written.
    with db.session.no_autoflush:
        for invoice in drafts:
            refusal = _refusal(invoice)
            if refusal is not None:
                batch.refused.append(refusal)
                db.session.expire(invoice)  # its address as it was: it stays a draft
                continue
            kind = invoice.is_credit_note
            if kind not in terms:
                terms[kind] = series_and_due_date(invoice, day)
            ready.append((invoice, *terms[kind]))
        numbers = {
            series: iter(take_numbers(series, day.year, count))
            for series, count in Counter(entry[1] for entry in ready).items()
        }
        issued_at = now()
        for invoice, series, due_date in ready:
            sequence, number = next(numbers[series])
            invoice.number = number
            invoice.number_series = series
            invoice.number_year = day.year
            invoice.number_sequence = sequence
            invoice.qr_reference = qr_reference_for(number)
            invoice.issue_date = day
            invoice.issued_at = issued_at
            invoice.issued_by = actor
            invoice.due_date = due_date
            invoice.status = InvoiceState.ISSUED
            batch.issued.append(invoice)
    db.session.flush()
    # The customers' credit balances pay what they can, shown on the documents (account.py).
    apply_credit_balances(batch.issued, actor=actor)
    return batch


def _refusal(invoice: Invoice) -> Refusal | None:
    """Why the locked draft cannot be issued now, if it cannot; its address is taken from
    the customer as it is on the day of issue before it is checked."""
    if invoice.status != InvoiceState.DRAFT:
        error = RuleViolation(_("Invoice %(number)s is already issued.", number=invoice.number))
        return Refusal(invoice.id, invoice.customer_id, invoice.bill_to_name, error)
    fill_bill_to(invoice, invoice.customer)
    try:
        check_issuable(invoice)
    except RuleViolation as error:
        return Refusal(invoice.id, invoice.customer_id, invoice.bill_to_name, error)
    return None


def store_pdfs(rendered: Iterable[tuple[int, bytes]]) -> list[Invoice]:
    """Keep the rendered PDFs (flushes); only the first rendering of an issued document is
    stored. The issued ones among them that have no PDF yet are locked and read in one
    statement and get theirs in one more. Returns those, with their PDFs loaded, in id
    order."""
    pdfs = dict(rendered)
    if not pdfs:
        return []
    waiting = list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.id.in_(pdfs),
                Invoice.pdf.is_(None),
                Invoice.status != InvoiceState.DRAFT,
            )
            .order_by(Invoice.id)
            .with_for_update()
        )
    )
    if not waiting:
        return []
    rendered_at = now()
    # By primary key, one executemany.
    db.session.execute(
        update(Invoice),
        [
            {"id": invoice.id, "pdf": pdfs[invoice.id], "pdf_rendered_at": rendered_at}
            for invoice in waiting
        ],
    )
    # The loaded invoices hold what was just written, so that attaching a PDF to its
    # e-mail does not read the bytes back from the database (as long as the caller holds
    # them: the session keeps unchanged objects only weakly).
    for invoice in waiting:
        set_committed_value(invoice, "pdf", pdfs[invoice.id])
        set_committed_value(invoice, "pdf_rendered_at", rendered_at)
    return waiting


def rendered_pdfs(invoice_ids: Iterable[int], processes: int = 1) -> Iterator[tuple[int, bytes]]:
    """(id, PDF) of each issued document that has none yet (`invoice_ids` is read as the
    renders go)."""
    ids = (
        invoice_id
        for invoice_id in invoice_ids
        if db.session.scalar(
            select(Invoice.id).where(Invoice.id == invoice_id, Invoice.pdf_rendered_at.is_(None))
        )
    )
    pages = ((invoice_id, invoice_html(db.session.get(Invoice, invoice_id))) for invoice_id in ids)
    yield from rendered_pages(pages, processes)


def rendered_pages(
    pages: Iterable[tuple[int, str]], processes: int = 1
) -> Iterator[tuple[int, bytes]]:
    """(id, PDF) of each (id, HTML), rendered here or, with processes > 1 and more than
    one page, by the long-lived pool of rendering processes (rendering.py), which renders
    while the next pages are built (`pages` is read lazily)."""
    pages = iter(pages)
    first = list(islice(pages, 2))  # one document alone is rendered here: no pool started
    if processes > 1 and len(first) > 1:
        yield from render_many(chain(first, pages), processes)
        return
    for invoice_id, html in chain(first, pages):
        yield invoice_id, render_pdf_html(html)


def discard_draft(invoice_id: int) -> None:
    """Delete a draft and release what it billed, so the next run bills it again (flushes).

    Refused when a later run already built on it (it settled a month this draft billed):
    that later draft is discarded first, or the months would be credited without ever
    having been billed.
    """
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.status != InvoiceState.DRAFT:
        raise RuleViolation(_("Only a draft can be discarded."))
    mine = db.session.execute(
        select(BilledMonth.contract_id, BilledMonth.month, BilledMonth.revision).where(
            BilledMonth.invoice_id == invoice_id
        )
    ).all()
    for contract_id, month, revision in mine:
        later = db.session.scalar(
            select(BilledMonth.invoice_id).where(
                BilledMonth.contract_id == contract_id,
                BilledMonth.month == month,
                BilledMonth.revision > revision,
            )
        )
        if later is not None:
            raise RuleViolation(
                _("A later draft settles what this one bills; discard that one first.")
            )
    db.session.execute(delete(BilledMonth).where(BilledMonth.invoice_id == invoice_id))
    released = db.session.execute(
        select(BilledCharge.source, BilledCharge.reference).where(
            BilledCharge.invoice_id == invoice_id
        )
    ).all()
    db.session.execute(delete(BilledCharge).where(BilledCharge.invoice_id == invoice_id))
    by_source: dict[str, list[str]] = {}
    for source, reference in released:
        by_source.setdefault(source, []).append(reference)
    for source, references in by_source.items():
        tell_source(source, tuple(references), None)
    # The audit trail records every column of a deleted row; load the deferred PDF column
    # now, as it cannot be loaded once the row is gone.
    invoice.pdf, list(invoice.lines)  # noqa: B018 - loads them for the audit trail
    db.session.delete(invoice)
    db.session.flush()
