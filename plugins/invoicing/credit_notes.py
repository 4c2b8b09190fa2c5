"""Credit notes: the only way to correct an issued invoice, in full or in part, with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.toolkit import RuleViolation, db, format_chf, now, require_cents
from plugins.invoicing.invoice_build import fill_bill_to, set_totals
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.models import BilledCharge, Invoice, InvoiceLine
from plugins.invoicing.payments import settle_status
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState, LineKind
from plugins.invoicing.writing import tell_source


def credited_so_far(invoice: Invoice) -> dict[int, Decimal]:
    """Per line of the invoice, what earlier credit notes took back (a positive amount)."""
    rows = db.session.execute(
        select(InvoiceLine.credited_line_id, func.sum(InvoiceLine.amount))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.credited_invoice_id == invoice.id, Invoice.status != InvoiceState.DRAFT)
        .group_by(InvoiceLine.credited_line_id)
    ).all()
    return {line_id: -Decimal(total) for line_id, total in rows if line_id is not None}


def create_credit_note(
    invoice_id: int,
    reason: str,
    amounts: Mapping[int, Decimal] | None = None,
    *,
    actor: str = "system",
) -> Invoice:
    """Issue a credit note for an invoice (flushes; the caller commits and renders its PDF).

    Without `amounts` everything not yet credited is credited; otherwise `amounts` maps
    line ids to the (positive) amount to take back from each.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("A credit note needs a reason."), "reason")
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
    if invoice is None or invoice.is_credit_note or invoice.status == InvoiceState.DRAFT:
        raise RuleViolation(_("Only an issued invoice can be credited."))
    already = credited_so_far(invoice)
    by_id = {line.id: line for line in invoice.lines}
    wanted = dict(amounts) if amounts is not None else None
    if wanted is not None:
        unknown = set(wanted) - set(by_id)
        if unknown:
            raise RuleViolation(
                _("These lines are not on invoice %(number)s.", number=invoice.number), "amounts"
            )
    credit_lines = []
    for line in invoice.lines:
        remaining = line.amount - already.get(line.id, Decimal("0.00"))
        if wanted is None:
            amount = remaining
        elif line.id in wanted:
            amount = require_cents(wanted[line.id], "amount")
            if amount < 0 or amount > remaining:
                raise RuleViolation(
                    _(
                        "Line %(position)s: at most CHF %(amount)s can still be credited.",
                        position=line.position,
                        amount=format_chf(remaining),
                    ),
                    "amounts",
                )
        else:
            continue
        if amount <= 0:
            continue
        full = amount == line.amount
        credit_lines.append(
            InvoiceLine(
                position=len(credit_lines) + 1,
                kind=LineKind.CREDIT,
                site_id=line.site_id,
                site_name=line.site_name,
                contract_id=line.contract_id,
                tier_code=line.tier_code,
                description=line.description,
                service_start=line.service_start,
                service_end=line.service_end,
                quantity=-line.quantity if full else Decimal("-1"),
                unit=line.unit if full else "lump",
                unit_price=line.unit_price if full else amount,
                days=line.days if full else None,
                days_in_month=line.days_in_month if full else None,
                amount=-amount,
                vat_rate=line.vat_rate,
                source=line.source,
                reference=line.reference,
                credited_line_id=line.id,
            )
        )
    if not credit_lines:
        if wanted is not None and not any(wanted.values()):
            # A partial credit note with no amount entered: the invoice may well be open.
            raise RuleViolation(_("Enter the amount to credit on at least one line."), "amounts")
        raise RuleViolation(_("Nothing is left to credit on this invoice."))
    note = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceState.DRAFT,
        customer_id=invoice.customer_id,
        site_id=invoice.site_id,
        period=invoice.period,
        consolidated=invoice.consolidated,
        credited_invoice_id=invoice.id,
        reason=reason[:2000],
    )
    fill_bill_to(note, invoice.customer)
    note.lines = credit_lines
    set_totals(note, credit_lines)
    db.session.add(note)
    db.session.flush()
    issue_invoice(note.id, actor=actor)
    db.session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id)
        .values(amount_credited=Invoice.amount_credited - note.payable)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invoice)
    settle_status(invoice)
    db.session.flush()
    return note


# --- credits of charges already invoiced ------------------------------------------------


def credit_invoiced_charge(charge, invoice_id: int, *, actor: str = "system") -> Invoice | None:
    """Issue the credit note for a credit charge (a BillableCharge with a negative amount)
    whose credited charge (`charge.credits_reference`) is on the issued invoice
    `invoice_id`: the credited amount of that line, at its VAT rate (flushes; the caller
    commits and renders the PDF).

    The credit's own (source, reference) is recorded as billed with the credit note, in
    the same transaction, so it is credited once. Returns None when it is already billed
    (a concurrent run was first); raises RuleViolation when the line is not on the invoice
    or not that much of it is left to credit (e.g. finance credited it by hand already).
    """
    # Lock the invoice as create_credit_note does, then look: a concurrent run that
    # credited it first has committed its ledger row by the time we get the lock.
    db.session.scalar(select(Invoice.id).where(Invoice.id == invoice_id).with_for_update())
    done = db.session.scalar(
        select(BilledCharge.id).where(
            BilledCharge.source == charge.source, BilledCharge.reference == charge.reference
        )
    )
    if done is not None:
        return None
    line = db.session.scalar(
        select(InvoiceLine)
        .where(
            InvoiceLine.invoice_id == invoice_id,
            InvoiceLine.source == charge.source,
            InvoiceLine.reference == charge.credits_reference,
        )
        .order_by(InvoiceLine.position)
    )
    if line is None:
        credited = f"{charge.source}/{charge.credits_reference}"
        raise RuleViolation(
            _(
                "%(charge)s is not a line of invoice %(invoice)s.",
                charge=credited,
                invoice=invoice_id,
            )
        )
    note = create_credit_note(
        invoice_id,
        charge.description,
        {line.id: require_cents(-charge.amount, "amount")},
        actor=actor,
    )
    db.session.execute(
        BilledCharge.__table__.insert(),
        [
            {
                "source": charge.source,
                "reference": charge.reference,
                "invoice_id": note.id,
                "created_at": now(),
            }
        ],
    )
    tell_source(charge.source, (charge.reference,), note.id)
    db.session.flush()
    return note
