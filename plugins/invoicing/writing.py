"""Writing planned invoices in bulk: invoices, lines, ledger rows, billed charges and their
audit entries, a few multi-row statements per batch instead of ORM objects per row.

Flush only: the job loop (jobs.py) commits a batch, or rolls it back when another run got
there first (a unique ledger key fails) and writes its customers one by one instead.
Idempotence rests on the ledger keys, not on the plan: (contract, month, revision) and
(source, reference) are written with the invoice that bills them, or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import insert

from app.toolkit import ChargesBilled, db, hooks, now, record_bulk_inserts
from plugins.invoicing.invoice_build import bill_to_values, line_values, totals_values
from plugins.invoicing.models import BilledCharge, BilledMonth, Invoice, InvoiceLine
from plugins.invoicing.planning import BillTo, InvoicePlan
from plugins.invoicing.vocabulary import InvoiceKind, InvoiceState


def _insert_returning_ids(model, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


def write_invoices(
    plans: list[InvoicePlan],
    *,
    period: str,
    bill_to: dict[int, BillTo],
    site_names: dict[int, str],
    run_id: int | None,
) -> list[int | None]:
    """Write `plans` as draft invoices with their ledger rows; per plan the invoice id, or
    None where nothing was to be paid (a free tier, a month settled without change)."""
    instant = now()
    invoice_rows: list[dict[str, Any]] = []
    lines_of: list[list[dict[str, Any]]] = []
    for plan in plans:
        lines = plan.ordered_lines(site_names)
        if not lines:
            continue
        rows = [
            line_values(line, position, site_names.get(line.site_id) if line.site_id else None)
            for position, line in enumerate(lines, start=1)
        ]
        invoice_rows.append(
            {
                "kind": InvoiceKind.INVOICE,
                "status": InvoiceState.DRAFT,
                "customer_id": plan.customer_id,
                "site_id": plan.site_id,
                "run_id": run_id,
                "period": period,
                "consolidated": plan.site_id is None,
                "created_at": instant,
                "updated_at": instant,
                **bill_to_values(bill_to[plan.customer_id]),
                **totals_values((row["vat_rate"], row["amount"]) for row in rows),
            }
        )
        lines_of.append(rows)
    invoice_ids = iter(_insert_returning_ids(Invoice, invoice_rows))
    ids: list[int | None] = []
    for plan in plans:
        ids.append(next(invoice_ids) if plan.lines else None)
    for row, invoice_id in zip(invoice_rows, [i for i in ids if i is not None], strict=True):
        row["id"] = invoice_id
    line_rows = []
    for rows, invoice_id in zip(lines_of, [i for i in ids if i is not None], strict=True):
        for row in rows:
            row["invoice_id"] = invoice_id
            line_rows.append(row)
    for row, line_id in zip(line_rows, _insert_returning_ids(InvoiceLine, line_rows), strict=True):
        row["id"] = line_id
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
    if months:
        db.session.execute(insert(BilledMonth), months)
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
    if charges:
        db.session.execute(insert(BilledCharge), charges)


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
