"""Writing planned invoices in bulk: invoices, lines, ledger rows, billed charges and their
audit entries, a few multi-row statements per batch instead of ORM objects per row.

Flush only: the job loop (jobs.py) commits a batch, or rolls it back when another run got
there first (a unique ledger key fails) and writes its customers one by one instead.
Idempotence rests on the ledger keys, not on the plan: (contract, month, revision) and
(source, reference) are written with the invoice that bills them, or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from app.toolkit import ChargesBilled, copy_rows, db, hooks, now, record_bulk_inserts, reserve_ids
from plugins.invoicing.invoice_build import bill_to_values, line_values, totals_values
from plugins.invoicing.models import BilledCharge, BilledMonth, Invoice, InvoiceLine
from plugins.invoicing.planning import BillTo, InvoicePlan
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState


def document_kind(payable: Decimal) -> InvoiceKind:
    """A period whose lines come to less than nothing (a contract ending early, credits
    larger than the month) is a credit note, never a negative invoice. It credits no
    invoice: its amount becomes the customer's credit balance (account.py), applied to
    the next invoice or refunded."""
    return InvoiceKind.CREDIT_NOTE if payable < 0 else InvoiceKind.INVOICE


def _insert_with_ids(model, rows: list[dict[str, Any]], key: tuple[str, ...], where) -> None:
    """Insert `rows` and set each one's "id".

    On PostgreSQL the ids are taken from the table's sequence first and the rows streamed
    with COPY: nothing to read back. Elsewhere one executemany, then the ids are read back
    by `key`, the columns that identify a row among those `where` selects.
    """
    if not rows:
        return
    table = model.__table__
    reserved = reserve_ids(db.session, table, len(rows))
    if reserved is not None:
        for row, row_id in zip(rows, reserved, strict=True):
            row["id"] = row_id
        copy_rows(db.session, table, rows)
        return
    db.session.execute(insert(table), rows)
    columns = [getattr(model, name) for name in key]
    found = db.session.execute(select(model.id, *columns).where(where)).all()
    ids = {tuple(row[1:]): row[0] for row in found}
    for row in rows:
        row["id"] = ids[tuple(row[name] for name in key)]


def invoice_content(
    plan: InvoicePlan, site_names: dict[int, str]
) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """The line columns and totals of the invoice a plan becomes: what the run writes and
    what the preview shows, computed once here so that the two cannot differ."""
    rows = [
        line_values(line, position, site_names.get(line.site_id) if line.site_id else None)
        for position, line in enumerate(plan.ordered_lines(site_names), start=1)
    ]
    return rows, totals_values((row["vat_rate"], row["amount"]) for row in rows)


def write_invoices(
    plans: list[InvoicePlan],
    *,
    period: str,
    bill_to: dict[int, BillTo],
    site_names: dict[int, str],
    run_id: int,
) -> list[int | None]:
    """Write `plans` as draft invoices with their ledger rows; per plan the invoice id, or
    None where nothing was to be paid (a free tier, a month settled without change).

    A run writes each customer's invoices once (`run_id` and the customer find them)."""
    instant = now()
    invoice_rows: list[dict[str, Any]] = []
    lines_of: list[list[dict[str, Any]]] = []
    for plan in plans:
        if not plan.lines:
            continue
        rows, totals = invoice_content(plan, site_names)
        invoice_rows.append(
            {
                "kind": document_kind(totals["payable"]),
                "status": InvoiceState.DRAFT,
                "customer_id": plan.customer_id,
                "site_id": plan.site_id,
                "run_id": run_id,
                "period": period,
                "consolidated": plan.site_id is None,
                "created_at": instant,
                "updated_at": instant,
                **bill_to_values(bill_to[plan.customer_id]),
                **totals,
            }
        )
        lines_of.append(rows)
    # Within a run a customer's invoices are written once, one per site or consolidated.
    customers = sorted({row["customer_id"] for row in invoice_rows})
    _insert_with_ids(
        Invoice,
        invoice_rows,
        ("customer_id", "site_id"),
        (Invoice.run_id == run_id) & Invoice.customer_id.in_(customers),
    )
    invoice_ids = iter(row["id"] for row in invoice_rows)
    ids: list[int | None] = [next(invoice_ids) if plan.lines else None for plan in plans]
    line_rows = []
    for rows, invoice in zip(lines_of, invoice_rows, strict=True):
        for row in rows:
            row["invoice_id"] = invoice["id"]
            line_rows.append(row)
    _insert_with_ids(
        InvoiceLine,
        line_rows,
        ("invoice_id", "position"),
        InvoiceLine.invoice_id.in_([row["id"] for row in invoice_rows]),
    )
    # The flush listener does not see multi-row inserts: record them as it would have.
    record_bulk_inserts(db.session, Invoice.__tablename__, invoice_rows)
    record_bulk_inserts(db.session, InvoiceLine.__tablename__, line_rows)
    _write_ledger(plans, ids, run_id, instant)
    _announce_charges(plans, ids)
    return ids


def _write_ledger(plans: list[InvoicePlan], ids: list[int | None], run_id, instant) -> None:
    months = [
        {
            "contract_id": billing.contract_id,
            "month": billing.month.label,
            "revision": billing.revision,
            "final": billing.final,
            "customer_id": billing.customer_id,
            "site_id": billing.site_id,
            "invoice_id": invoice_id if billing.lines else None,
            "run_id": run_id,
            "segments": [segment.as_record() for segment in billing.segments],
            "created_at": instant,
        }
        for plan, invoice_id in zip(plans, ids, strict=True)
        for billing in plan.months
    ]
    copy_rows(db.session, BilledMonth.__table__, months)
    charges = [
        {
            "source": charge.source,
            "reference": charge.reference,
            "invoice_id": invoice_id,
            "created_at": instant,
        }
        for plan, invoice_id in zip(plans, ids, strict=True)
        for charge in plan.charges
    ]
    copy_rows(db.session, BilledCharge.__table__, charges)


def _announce_charges(plans: list[InvoicePlan], ids: list[int | None]) -> None:
    """Tell each source which of its charges which invoice now bills (same transaction)."""
    by_source: dict[tuple[str, int], list[str]] = defaultdict(list)
    for plan, invoice_id in zip(plans, ids, strict=True):
        for charge in plan.charges:
            by_source[(charge.source, invoice_id)].append(charge.reference)
    for (source, invoice_id), references in by_source.items():
        tell_source(source, tuple(references), invoice_id)


def tell_source(source: str, references: tuple[str, ...], invoice_id: int | None) -> None:
    """Tell the plugin a charge came from which invoice (or credit note) now bills it, or
    with None that it is free again. In the caller's transaction: what the source
    records stands or falls with the invoice."""
    hooks().charges_billed(
        event=ChargesBilled(source=source, references=references, invoice_id=invoice_id)
    )
