"""FirstReaction deadlines as metrics: open tickets near breach and breached, by tier."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case, func, select

from app.toolkit import MetricsRegistry, Tier, db, now
from plugins.servicedesk.models import Ticket
from plugins.servicedesk.vocabulary import OPEN_STATES

# Minutes before the due time from which an open ticket without FirstReaction counts as
# near breach (config SERVICEDESK_NEAR_BREACH_MINUTES).
DEFAULT_NEAR_BREACH_MINUTES = 30
NO_TIER = "none"  # a ticket of a site without a CLA in force


def deadline_counts(at, near_breach: timedelta) -> dict[str, tuple[int, int]]:
    """tier code -> (near breach, breached) among open tickets still awaiting their
    FirstReaction; every catalog tier is present, with zeros when it has none."""
    due = Ticket.first_reaction_due_at
    rows = db.session.execute(
        select(
            Ticket.tier_code,
            func.sum(case(((due > at) & (due <= at + near_breach), 1), else_=0)),
            func.sum(case((due <= at, 1), else_=0)),
        )
        .where(
            Ticket.state.in_(OPEN_STATES),
            Ticket.first_reaction_at.is_(None),
            due.is_not(None),
        )
        .group_by(Ticket.tier_code)
    ).all()
    counts = {code: (0, 0) for code in db.session.scalars(select(Tier.code))}
    for tier, near, breached in rows:
        counts[tier or NO_TIER] = (int(near or 0), int(breached or 0))
    return counts


def ticket_deadline_metrics():
    minutes = int(
        current_app.config.get("SERVICEDESK_NEAR_BREACH_MINUTES", DEFAULT_NEAR_BREACH_MINUTES)
    )
    near = GaugeMetricFamily(
        "winet_servicedesk_tickets_near_breach",
        f"Open tickets without FirstReaction due within the next {minutes} minutes",
        labels=["tier"],
    )
    breached = GaugeMetricFamily(
        "winet_servicedesk_tickets_breached",
        "Open tickets without FirstReaction past their due time",
        labels=["tier"],
    )
    for tier, (near_count, breached_count) in sorted(
        deadline_counts(now(), timedelta(minutes=minutes)).items()
    ):
        near.add_metric([tier], near_count)
        breached.add_metric([tier], breached_count)
    return [near, breached]


def register(metrics: MetricsRegistry) -> None:
    """Called by the host with its MetricsRegistry (PLUGIN.metrics)."""
    metrics.add_collector("servicedesk.tickets", ticket_deadline_metrics)
