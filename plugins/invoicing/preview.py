"""The preview (dry run) of a period's run for finance: per customer, the invoices, lines
and totals the run would write now, through the run's own planning and line building
(planning.plan_period, writing.invoice_content). Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.toolkit import PriceLine, RuleViolation
from plugins.invoicing.billing import Month, charge_lines
from plugins.invoicing.planning import (
    PeriodPlan,
    RunFailure,
    check_period,
    load_period,
    plan_customers,
    plan_period,
)
from plugins.invoicing.sources import vat_table
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


def customer_lines(customer_id: int, period: Month | str) -> list[PriceLine]:
    """The net lines the run of `period` will bill one customer when it runs on the
    period's first day, from what is known now (the `planned_lines` hook: contracts
    shows the price consequence of a change with it)."""
    month = check_period(period)
    inputs = load_period(month, [customer_id])
    # As the run on the period's first day will bill it: by then the month before is
    # over and is settled with its real days (today's run would still leave it open).
    inputs.today = max(inputs.today, month.first_day)
    invoices, failures = plan_customers(inputs)
    if failures:
        raise RuleViolation(failures[0].detail)
    plan = PeriodPlan(
        month, invoices, failures, inputs.bill_to, inputs.site_names, inputs.charge_credits
    )

    def price_line(line, kind: str) -> PriceLine:
        return PriceLine(
            kind=kind,
            site_id=line.site_id,
            site_name=plan.site_names.get(line.site_id, "") if line.site_id else "",
            description=line.description,
            service_start=line.service_start,
            service_end=line.service_end,
            amount=line.amount,
            vat_rate=line.vat_rate,
            source=line.source,
        )

    lines = [
        price_line(line, str(line.kind))
        for invoice in plan.invoices
        for line in invoice.ordered_lines(plan.site_names)
    ]
    vat = vat_table()
    for credit in plan.charge_credits:
        # Credited by a credit note on the invoice that billed the charge, not a line.
        lines.extend(price_line(line, "credit_note") for line in charge_lines([credit.charge], vat))
    return lines
