"""What every invoice and credit note is made of: the customer's address as billed, the
lines and the totals. Shared by the run (bulk) and by credit notes and issuing (ORM)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from plugins.invoicing.billing import BillingLine
from plugins.invoicing.models import Invoice, InvoiceLine
from plugins.invoicing.vat import vat_summary

BILL_TO_FIELDS = {
    "language": "language",
    "bill_to_name": "legal_name",
    "bill_to_street": "street",
    "bill_to_house_number": "house_number",
    "bill_to_postal_code": "postal_code",
    "bill_to_town": "town",
    "bill_to_country": "country",
    "bill_to_email": "billing_email",
}


class Addressee(Protocol):
    legal_name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    billing_email: str
    language: str


def bill_to_values(customer: Addressee) -> dict[str, Any]:
    """The customer's address and language as an invoice keeps them (frozen at issue)."""
    values = {column: getattr(customer, source) for column, source in BILL_TO_FIELDS.items()}
    values["bill_to_house_number"] = values["bill_to_house_number"] or ""
    return values


def fill_bill_to(invoice: Invoice, customer: Addressee) -> None:
    for column, value in bill_to_values(customer).items():
        setattr(invoice, column, value)


def totals_values(lines: Iterable[tuple[Decimal, Decimal]]) -> dict[str, Decimal]:
    """Net, VAT, gross, rounding and payable of (VAT rate, net amount) pairs."""
    summary = vat_summary(lines)
    return {
        "total_net": summary.total_net,
        "total_vat": summary.total_vat,
        "total_gross": summary.total_gross,
        "rounding_difference": summary.rounding_difference,
        "payable": summary.payable,
    }


def set_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    for column, value in totals_values((line.vat_rate, line.amount) for line in lines).items():
        setattr(invoice, column, value)


def line_values(line: BillingLine, position: int, site_name: str | None) -> dict[str, Any]:
    """An invoice line's columns from a planned line."""
    return {
        "position": position,
        "kind": line.kind,
        "site_id": line.site_id,
        "site_name": site_name,
        "contract_id": line.contract_id,
        "tier_code": line.tier_code,
        "description": line.description[:200],
        "service_start": line.service_start,
        "service_end": line.service_end,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "days": line.days,
        "days_in_month": line.days_in_month,
        "amount": line.amount,
        "vat_rate": line.vat_rate,
        "source": line.source,
        "reference": line.reference,
        "zero_rated_reason": line.zero_rated_reason,
    }
