"""What invoicing answers through the host's hooks: the invoices panel of a customer."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.toolkit import Panel, db, has_permission, hookimpl
from plugins.invoicing.models import Invoice


@hookimpl
def detail_panels(kind, record_id):
    if kind != "customer" or not has_permission(current_user, "invoicing.read"):
        return []
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.customer_id == record_id, Invoice.status != "draft")
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(10)
    ).all()
    html = render_template("invoicing/_panel.html", invoices=invoices)
    return [Panel(title=_("Invoices"), html=html, order=40)]
