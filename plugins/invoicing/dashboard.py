"""What finance and customers see of invoicing on their start page (hook dashboard_panels).

Finance: the open and overdue amounts, this month's run, the monthly recurring revenue by
tier over twelve months and the payments by channel. A customer: their open invoices.
Each panel costs one or two grouped queries, however many invoices there are.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.toolkit import (
    Panel,
    bar_chart,
    db,
    has_permission,
    last_months,
    line_chart,
    tier_names_by_code,
    today,
    visible_customer_id,
)
from plugins.invoicing.account import statement, summary
from plugins.invoicing.billing import Month
from plugins.invoicing.models import Invoice, InvoiceLine, InvoiceRun, Payment
from plugins.invoicing.vocabulary import (
    INCOMING_METHODS,
    InvoiceKind,
    InvoiceState,
    LineKind,
    PaymentMethod,
)

MONTHS = 12
# The lines that are the subscription itself (not work, material or credits of tickets).
RECURRING = (LineKind.ADVANCE, LineKind.SETTLEMENT, LineKind.ADVANCE_CREDIT)
ISSUED = (InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.CREDITED)


def _open_amount():
    return Invoice.payable - Invoice.amount_paid - Invoice.amount_credited


def open_and_overdue(customer_id: int | None = None) -> dict:
    """Open invoices: count and amount, of which overdue (due before today)."""
    open_ = (Invoice.kind == InvoiceKind.INVOICE) & (Invoice.status == InvoiceState.ISSUED)
    overdue = Invoice.due_date < today()
    statement = select(
        func.count(Invoice.id),
        func.coalesce(func.sum(_open_amount()), 0),
        func.count(Invoice.id).filter(overdue),
        func.coalesce(func.sum(_open_amount()).filter(overdue), 0),
    ).where(open_)
    if customer_id is not None:
        statement = statement.where(Invoice.customer_id == customer_id)
    count, amount, overdue_count, overdue_amount = db.session.execute(statement).one()
    return {
        "count": count,
        "amount": Decimal(amount).quantize(Decimal("0.01")),
        "overdue_count": overdue_count,
        "overdue_amount": Decimal(overdue_amount).quantize(Decimal("0.01")),
    }


def _month_label(first: object) -> str:
    return format_date(first, "MMM yyyy")


def recurring_revenue_by_tier(months: int = MONTHS):
    """Net subscription revenue per service month and tier, from issued invoices."""
    firsts = last_months(months)
    rows = db.session.execute(
        select(InvoiceLine.service_start, InvoiceLine.tier_code, func.sum(InvoiceLine.amount))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            Invoice.status.in_(ISSUED),
            InvoiceLine.kind.in_(RECURRING),
            InvoiceLine.tier_code.is_not(None),
            InvoiceLine.service_start >= firsts[0],
        )
        .group_by(InvoiceLine.service_start, InvoiceLine.tier_code)
    ).all()
    totals: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for start, tier, amount in rows:
        totals[tier][start.replace(day=1)] += Decimal(amount)
    # People know the tiers by the catalog's name ("winCall pro 5x12h"), not by the code.
    names = tier_names_by_code()
    series = [
        (names.get(tier, tier), [totals[tier].get(first, Decimal("0.00")) for first in firsts])
        for tier in sorted(totals)
    ]
    return line_chart(
        _("Monthly recurring revenue by tier (CHF, excl. VAT)"),
        [_month_label(first) for first in firsts],
        series,
        money=True,
    )


def payments_by_channel(months: int = MONTHS):
    """Money received per month, one bar per channel (bank transfer, online, QR-bill);
    a credit balance applied is no new money and is left out."""
    firsts = last_months(months)
    rows = db.session.execute(
        select(Payment.received_on, Payment.method, func.sum(Payment.amount))
        .where(Payment.received_on >= firsts[0])
        .group_by(Payment.received_on, Payment.method)
    ).all()
    totals: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for day, method, amount in rows:
        totals[method][day.replace(day=1)] += Decimal(amount)
    series = [
        (method.label, [totals[method].get(first, Decimal("0.00")) for first in firsts])
        for method in PaymentMethod
        if method in INCOMING_METHODS
    ]
    return bar_chart(
        _("Payments received by channel (CHF)"),
        [_month_label(first) for first in firsts],
        series,
        money=True,
        stacked=True,
    )


def this_months_run() -> dict:
    period = Month.of(today()).label
    run = db.session.scalar(
        select(InvoiceRun).where(InvoiceRun.period == period).order_by(InvoiceRun.id.desc())
    )
    drafts = db.session.scalar(
        select(func.count(Invoice.id)).where(Invoice.status == InvoiceState.DRAFT)
    )
    return {"period": period, "run": run, "drafts": drafts}


def account_panel(customer_id: int) -> str:
    """The customer's account (open amount, credit balance, the latest bookings): one
    template for finance's customer page and the customer's own start page."""
    return render_template(
        "invoicing/_account_panel.html",
        account=summary(customer_id),
        entries=statement(customer_id)[-30:],
        customer_id=customer_id,
    )


def panels(user) -> list[Panel]:
    own = visible_customer_id()
    if own is not None:
        if not has_permission(user, "invoicing.read"):
            return []
        invoices = db.session.scalars(
            select(Invoice)
            .where(
                Invoice.customer_id == own,
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status == InvoiceState.ISSUED,
            )
            .order_by(Invoice.due_date, Invoice.id)
            .limit(20)
        ).all()
        html = render_template(
            "invoicing/dashboard_customer.html",
            invoices=invoices,
            figures=open_and_overdue(own),
            today=today(),
        )
        return [
            Panel(_("Open invoices"), html, order=10, key="invoicing.customer"),
            Panel(_("Account"), account_panel(own), order=11, key="invoicing.account"),
        ]
    if not (has_permission(user, "invoicing.run") or has_permission(user, "invoicing.payments")):
        return []
    figures = render_template(
        "invoicing/dashboard_finance.html",
        figures=open_and_overdue(),
        month=this_months_run(),
        can_run=has_permission(user, "invoicing.run"),
    )
    charts = render_template(
        "invoicing/dashboard_charts.html",
        revenue=recurring_revenue_by_tier(),
        payments=payments_by_channel(),
    )
    return [
        Panel(_("Receivables and this month's run"), figures, order=10, key="invoicing.finance"),
        Panel(_("Revenue and payments"), charts, order=11, key="invoicing.charts"),
    ]
