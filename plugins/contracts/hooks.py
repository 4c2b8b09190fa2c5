"""What contracts answers through the host's hooks: tiers for other plugins, panels for pages."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import Panel, db, has_permission, hookimpl
from plugins.contracts import dashboard, history, queries
from plugins.contracts.models import Contract
from plugins.contracts.services import current_tier


@hookimpl
def tier_in_force(site_id, at):
    return queries.tier_in_force(site_id, at)


@hookimpl
def tier_spans(first_day, last_day, site_ids):
    return queries.tier_spans(first_day, last_day, site_ids)


@hookimpl
def detail_panels(kind, record_id):
    """The contracts of a site or a customer, on the host's detail pages."""
    if kind not in ("site", "customer") or not has_permission(current_user, "contracts.read"):
        return []
    column = Contract.site_id if kind == "site" else Contract.customer_id
    contracts = db.session.scalars(
        select(Contract)
        .options(selectinload(Contract.periods), selectinload(Contract.site))
        .where(column == record_id)
        .order_by(Contract.start_date.desc(), Contract.id.desc())
    ).all()

    html = render_template(
        "contracts/_panel.html",
        contracts=contracts,
        kind=kind,
        record_id=record_id,
        current_tier=current_tier,
    )
    return [Panel(title=_("Contracts"), html=html, order=20)]


@hookimpl
def audit_wordings():
    return history.wordings()


@hookimpl
def dashboard_panels(user):
    return dashboard.panels(user)
