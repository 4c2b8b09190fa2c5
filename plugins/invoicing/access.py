"""Who sees which invoices, written once: customers their own and never drafts."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from app.toolkit import RecordNotFound, db, scope_to_customer, visible_customer_id
from plugins.invoicing.models import Invoice
from plugins.invoicing.vocabulary import InvoiceState


def visible_invoices(statement: Select | None = None) -> Select:
    """`statement` (default: all invoices) narrowed to what the current user may see."""
    statement = scope_to_customer(
        select(Invoice) if statement is None else statement, Invoice.customer_id
    )
    if _is_customer():
        statement = statement.where(Invoice.status != InvoiceState.DRAFT)
    return statement


def visible_invoice(invoice_id: int, *, with_lines: bool = False) -> Invoice:
    """The invoice if the current user may see it; RecordNotFound (a 404) otherwise, also
    for another company's invoice or a customer asking for a draft. `with_lines`: its
    lines come in the same statement (a detail shows them all)."""
    options = [joinedload(Invoice.lines)] if with_lines else []
    invoice = db.session.get(Invoice, invoice_id, options=options)
    if invoice is None:
        raise RecordNotFound("no such invoice")
    own = visible_customer_id()
    if own is not None and invoice.customer_id != own:
        raise RecordNotFound("no such invoice")
    if invoice.status == InvoiceState.DRAFT and _is_customer():
        raise RecordNotFound("no such invoice")
    return invoice


def _is_customer() -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.is_customer)
