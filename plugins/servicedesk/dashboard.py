"""What the desk, the chief and customers see of the service desk on their start page.

Desk and chief: the tickets closest to missing their FirstReaction (with a live
countdown), how many missed it today, who is on call now. A customer: their open tickets
with the due time, and how the FirstReaction went per month over the last year.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.toolkit import (
    ZURICH,
    Panel,
    Site,
    bar_chart,
    db,
    has_permission,
    last_months,
    local,
    now,
    visible_customer_id,
)
from plugins.servicedesk.dispatch import on_duty
from plugins.servicedesk.intake import due_text
from plugins.servicedesk.models import Ticket
from plugins.servicedesk.reports import first_reaction_outcome
from plugins.servicedesk.vocabulary import OPEN_STATES, Duty, ReactionOutcome, TicketState

NEAR = timedelta(hours=4)  # "near breach": due within this, or already overdue
MONTHS = 12


def _waiting():
    """Open tickets still waiting for their FirstReaction, with a due time."""
    return (
        Ticket.state.in_(OPEN_STATES)
        & Ticket.first_reaction_at.is_(None)
        & Ticket.first_reaction_due_at.is_not(None)
    )


def near_breach(at: datetime, customer_id: int | None = None, limit: int = 15) -> list[Ticket]:
    statement = (
        select(Ticket)
        .options(selectinload(Ticket.site).selectinload(Site.customer))
        .where(_waiting(), Ticket.first_reaction_due_at <= at + NEAR)
        .order_by(Ticket.first_reaction_due_at, Ticket.id)
        .limit(limit)
    )
    if customer_id is not None:
        statement = statement.where(Ticket.customer_id == customer_id)
    return list(db.session.scalars(statement))


def breached_today(at: datetime) -> int:
    """Tickets due today (Zurich) whose FirstReaction came late or not at all."""
    day = local(at).date()
    start = datetime.combine(day, time(), tzinfo=ZURICH)
    end = start + timedelta(days=1)
    late = Ticket.first_reaction_at > Ticket.first_reaction_due_at
    missing = Ticket.first_reaction_at.is_(None) & (Ticket.first_reaction_due_at < at)
    return db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.first_reaction_due_at >= start,
            Ticket.first_reaction_due_at < end,
            late | missing,
        )
    )


def reaction_per_month(customer_id: int | None, at: datetime):
    """FirstReaction met and breached per month of reporting, over the last year."""
    firsts = last_months(MONTHS, local(at).date())
    since = datetime.combine(firsts[0], time(), tzinfo=ZURICH)
    statement = (
        select(Ticket).options(selectinload(Ticket.events)).where(Ticket.reported_at >= since)
    )
    if customer_id is not None:
        statement = statement.where(Ticket.customer_id == customer_id)
    counts: dict[ReactionOutcome, dict] = defaultdict(lambda: defaultdict(int))
    for ticket in db.session.scalars(statement):
        outcome = first_reaction_outcome(ticket, at)
        if outcome in (ReactionOutcome.MET, ReactionOutcome.BREACHED):
            counts[outcome][local(ticket.reported_at).date().replace(day=1)] += 1
    return bar_chart(
        _("FirstReaction met and breached per month (tickets)"),
        [format_date(first, "MMM yyyy") for first in firsts],
        [
            (outcome.label, [counts[outcome].get(first, 0) for first in firsts])
            for outcome in (ReactionOutcome.MET, ReactionOutcome.BREACHED)
        ],
    )


def _render(template: str, at: datetime, **values) -> str:
    # Rendered on the host's start page: the servicedesk pages' helpers are passed here.
    return render_template(
        template, due_text=due_text, now_utc=at, TicketState=TicketState, **values
    )


def panels(user) -> list[Panel]:
    at = now()
    own = visible_customer_id()
    if own is not None:
        if not has_permission(user, "servicedesk.read"):
            return []
        tickets = db.session.scalars(
            select(Ticket)
            .options(selectinload(Ticket.site).selectinload(Site.customer))
            .where(Ticket.customer_id == own, Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.first_reaction_due_at, Ticket.id)
            .limit(20)
        ).all()
        html = _render(
            "servicedesk/dashboard_customer.html",
            at,
            tickets=tickets,
            chart=reaction_per_month(own, at),
        )
        return [Panel(_("Your tickets"), html, order=20, key="servicedesk.customer")]
    if not has_permission(user, "servicedesk.intake"):
        return []
    html = _render(
        "servicedesk/dashboard_desk.html",
        at,
        tickets=near_breach(at),
        breached=breached_today(at),
        technician=on_duty(Duty.TECHNICIAN, at),
        chief=on_duty(Duty.CHIEF, at),
    )
    found = [Panel(_("Service desk now"), html, order=5, key="servicedesk.desk")]
    if has_permission(user, "servicedesk.reports"):
        chart = _render("servicedesk/dashboard_chart.html", at, chart=reaction_per_month(None, at))
        found.append(Panel(_("FirstReaction per month"), chart, order=30, key="servicedesk.sla"))
    return found
