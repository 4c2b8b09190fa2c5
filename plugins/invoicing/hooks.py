"""What invoicing answers through the host's hooks: the invoices and account panels of a
customer (finance's customer page, the customer's portal), and how far service days are
billed."""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.toolkit import Panel, db, has_permission, hookimpl
from plugins.invoicing import dashboard, history
from plugins.invoicing.models import Invoice, InvoiceLine
from plugins.invoicing.preview import customer_lines
from plugins.invoicing.vocabulary import InvoiceState


@hookimpl
def detail_panels(kind, record_id):
    if kind != "customer" or not has_permission(current_user, "invoicing.read"):
        return []
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.customer_id == record_id, Invoice.status != InvoiceState.DRAFT)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(10)
    ).all()
    html = render_template("invoicing/_panel.html", invoices=invoices)
    return [
        Panel(title=_("Invoices"), html=html, order=40),
        Panel(title=_("Account"), html=dashboard.account_panel(record_id), order=41),
    ]


@hookimpl
def planned_lines(customer_id, period):
    return customer_lines(customer_id, period)


@hookimpl
def billed_through() -> date | None:
    """The last service day on any invoice line. Drafts count, since they can still be
    issued; a discarded draft is deleted with its lines, so it no longer counts."""
    return db.session.scalar(
        select(func.max(InvoiceLine.service_end)).join(
            Invoice, Invoice.id == InvoiceLine.invoice_id
        )
    )


@hookimpl
def audit_wordings():
    return history.wordings()


@hookimpl
def dashboard_panels(user):
    return dashboard.panels(user)
