"""What the API shows of invoices, and how it reads them: plain rows of exactly the shown
columns, scoped by the same visibility rule as every other read (access.py).

An invoice detail and a 50-row list are the API's most frequent reads; loading them as
ORM objects (40 columns of each invoice, an object per line) was most of their time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, bindparam, select

from app.toolkit import RecordNotFound, db, filtered_page, shown_columns, visible_customer_id
from plugins.invoicing.access import visible_invoices
from plugins.invoicing.models import Invoice, InvoiceLine, open_amount


class LineFacts(BaseModel):
    """What a line shows, billed or previewed."""

    model_config = ConfigDict(from_attributes=True)
    kind: str
    site_id: int | None
    site_name: str | None
    contract_id: int | None
    description: str
    service_start: date
    service_end: date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


class LineOut(LineFacts):
    id: int
    position: int
    zero_rated_reason: str | None


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    status: str
    number: str | None
    customer_id: int
    site_id: int | None
    period: str | None
    issue_date: date | None
    due_date: date | None
    qr_reference: str | None
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    rounding_difference: Decimal
    payable: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    open_amount: Decimal
    credited_invoice_id: int | None
    reason: str | None


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]


_INVOICE_COLUMNS = shown_columns(InvoiceOut, Invoice.__table__)
_LINE_PREFIX = "line_"
_LINE_COLUMNS = shown_columns(LineOut, InvoiceLine.__table__, _LINE_PREFIX)
_LINE_FIELDS = tuple((_LINE_PREFIX + name, name) for name in LineOut.model_fields)


def _shown(row: Any) -> dict[str, Any]:
    """An invoice row as InvoiceOut shows it (the open amount is derived, not stored)."""
    shown = {column.key: row[column.key] for column in _INVOICE_COLUMNS}
    shown["open_amount"] = open_amount(
        row["kind"], row["status"], row["payable"], row["amount_paid"], row["amount_credited"]
    )
    return shown


# The statements are built once per visibility (staff, or one customer) and filter set,
# with the request's values as parameters: building a 40-column select on every request
# cost more than running it, and a built statement keeps its SQLAlchemy cache key.
# visible_invoices() depends on the user only through visible_customer_id() (a customer
# user always has one; staff have none), which is therefore the cache's key.


@lru_cache(maxsize=512)
def _page_statement(customer_id: int | None, filtered_by: tuple[str, ...]) -> Select:
    return filtered_page(
        visible_invoices(select(*_INVOICE_COLUMNS)),
        Invoice.__table__,
        filtered_by,
        Invoice.id.desc(),
    )


@lru_cache(maxsize=512)
def _detail_statement(customer_id: int | None) -> Select:
    return (
        visible_invoices(select(*_INVOICE_COLUMNS, *_LINE_COLUMNS))
        .outerjoin(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(Invoice.id == bindparam("invoice_id"))
        .order_by(InvoiceLine.position)
    )


def invoice_page(filters: dict[str, Any], limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of the invoices the current user may see, newest first; `filters`: column
    name -> the value it must have."""
    statement = _page_statement(visible_customer_id(), tuple(sorted(filters)))
    rows = db.session.connection().execute(statement, {**filters, "limit": limit, "offset": offset})
    return [_shown(row) for row in rows.mappings()]


def invoice_detail(invoice_id: int) -> dict[str, Any]:
    """One invoice the current user may see, with its lines, in one statement; a
    RecordNotFound (404) for an unknown, another company's or (for a customer) a draft."""
    statement = _detail_statement(visible_customer_id())
    rows = db.session.connection().execute(statement, {"invoice_id": invoice_id}).mappings().all()
    if not rows:
        raise RecordNotFound("no such invoice")
    detail = _shown(rows[0])
    detail["lines"] = [
        {field: row[label] for label, field in _LINE_FIELDS}
        for row in rows
        if row[_LINE_PREFIX + "id"] is not None  # the outer join's row of an empty invoice
    ]
    return detail
