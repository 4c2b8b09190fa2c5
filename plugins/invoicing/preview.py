"""The preview (dry run) of a period's run for finance: per customer, the invoices, lines
and totals the run would write now, through the run's own planning and line building
(planning.plan_period, writing.invoice_content). Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plugins.invoicing.billing import Month
from plugins.invoicing.planning import RunFailure, check_period, plan_period
from plugins.invoicing.writing import invoice_content

ZERO = Decimal("0.00")
TOTALS = ("total_net", "total_vat", "total_gross", "rounding_difference", "payable")


@dataclass(frozen=True)
class InvoicePreview:
    site_id: int | None  # None: the customer's consolidated invoice
    site_name: str
    lines: list[dict[str, Any]]  # the columns the run writes (invoice_build.line_values)
    totals: dict[str, Decimal]  # total_net, total_vat, total_gross, rounding, payable


@dataclass
class CustomerPreview:
    customer_id: int
    number: str | None
    name: str
    invoices: list[InvoicePreview] = field(default_factory=list)
    # Credits of charges already on an issued invoice: credit notes, not lines.
    credit_notes: list[Decimal] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((invoice.totals[name] for invoice in self.invoices), ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        return {name: self.total(name) for name in TOTALS}


@dataclass(frozen=True)
class PeriodPreview:
    period: Month
    customers: list[CustomerPreview]
    failures: list[RunFailure]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            name: sum((customer.total(name) for customer in self.customers), ZERO)
            for name in TOTALS
        }

    @property
    def invoice_count(self) -> int:
        return sum(len(customer.invoices) for customer in self.customers)


def preview_period(period: Month | str) -> PeriodPreview:
    """What the run of `period` would bill now, per customer (ordered by name)."""
    plan = plan_period(check_period(period))
    customers: dict[int, CustomerPreview] = {}

    def of(customer_id: int) -> CustomerPreview:
        if customer_id not in customers:
            bill_to = plan.customers.get(customer_id)
            customers[customer_id] = CustomerPreview(
                customer_id,
                bill_to.number if bill_to else None,
                bill_to.legal_name if bill_to else str(customer_id),
            )
        return customers[customer_id]

    for invoice in plan.invoices:
        if not invoice.lines:
            continue  # a free tier or an unchanged month: nothing is written
        lines, totals = invoice_content(invoice, plan.site_names)
        site_name = plan.site_names.get(invoice.site_id, "") if invoice.site_id else ""
        of(invoice.customer_id).invoices.append(
            InvoicePreview(invoice.site_id, site_name, lines, totals)
        )
    for credit in plan.charge_credits:
        of(credit.charge.customer_id).credit_notes.append(credit.charge.amount)
    ordered = sorted(customers.values(), key=lambda c: (c.name.lower(), c.customer_id))
    return PeriodPreview(plan.period, ordered, plan.failures)
