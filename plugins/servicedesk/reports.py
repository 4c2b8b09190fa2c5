"""Reports: FirstReaction compliance per month, tier and customer; free units per contract year."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import ZURICH, Customer, ReactionKind, Site, db, now
from plugins.servicedesk.models import Ticket, UnitUsage
from plugins.servicedesk.resolution import Pause, paused_time
from plugins.servicedesk.resolution_clock import target_of
from plugins.servicedesk.vocabulary import (
    ReactionOutcome,
    TicketEventKind,
    TicketState,
)

OUTCOMES = tuple(ReactionOutcome)
TOTAL = "total"  # the label of the report's total row


def reaction_given_at(ticket: Ticket) -> datetime | None:
    """The FirstReaction instant: recorded on the ticket whatever its state (an escalated
    ticket can still get its first reaction); the event log for older records."""
    if ticket.first_reaction_at is not None:
        return ticket.first_reaction_at
    return next((e.at for e in ticket.events if e.kind == TicketEventKind.REACTED), None)


def first_reaction_outcome(ticket: Ticket, at: datetime) -> ReactionOutcome | None:
    """How the FirstReaction went; None for a ticket that never got a due time."""
    if ticket.state in (TicketState.NEW, TicketState.WITHDRAWN):
        return None
    if ticket.reaction_kind == ReactionKind.BEST_EFFORT:
        return ReactionOutcome.BEST_EFFORT
    due = ticket.first_reaction_due_at
    if due is None:
        return None
    reacted = reaction_given_at(ticket)
    if reacted is not None:
        return ReactionOutcome.MET if reacted <= due else ReactionOutcome.BREACHED
    return ReactionOutcome.BREACHED if at >= due else ReactionOutcome.PENDING


def pause_time(ticket: Ticket, at: datetime) -> timedelta:
    """The total time the ticket waited in pause states (an open pause counts to `at`)."""
    return paused_time(
        [Pause(p.started_at, p.ended_at) for p in ticket.pauses], ticket.resolved_at or at
    )


def resolution_outcome(ticket: Ticket, at: datetime) -> ReactionOutcome | None:
    """How the resolution target went: met or breached against the due time (moved by the
    pauses), pending, or best effort (no target for the tier and severity)."""
    if ticket.state in (TicketState.NEW, TicketState.WITHDRAWN):
        return None
    if ticket.severity is None:
        return None
    if target_of(ticket) is None:
        return ReactionOutcome.BEST_EFFORT
    due = ticket.resolution_due_at
    if due is None:  # paused: the clock stands still
        return ReactionOutcome.PENDING
    if ticket.resolved_at is not None:
        return ReactionOutcome.MET if ticket.resolved_at <= due else ReactionOutcome.BREACHED
    return ReactionOutcome.BREACHED if at >= due else ReactionOutcome.PENDING


@dataclass
class ComplianceRow:
    label: str
    tickets: dict[str, list[Ticket]] = field(default_factory=lambda: {o: [] for o in OUTCOMES})

    def count(self, outcome: ReactionOutcome) -> int:
        return len(self.tickets[outcome])

    @property
    def rate(self) -> str:
        met = self.count(ReactionOutcome.MET)
        judged = met + self.count(ReactionOutcome.BREACHED)
        return f"{100 * met / judged:.0f} %" if judged else "–"


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(), tzinfo=ZURICH),
        datetime.combine(following, time(), tzinfo=ZURICH),
    )


def compliance(
    year: int, month: int, by: str = "tier", customer_id: int | None = None
) -> tuple[ComplianceRow, list[ComplianceRow]]:
    """The month's total and its rows by "tier" or "customer", each with its tickets."""
    start, end = month_bounds(year, month)
    statement = (
        select(Ticket)
        .options(
            selectinload(Ticket.customer), selectinload(Ticket.site), selectinload(Ticket.events)
        )
        .where(Ticket.reported_at >= start, Ticket.reported_at < end)
        .order_by(Ticket.reported_at)
    )
    if customer_id is not None:
        statement = statement.where(Ticket.customer_id == customer_id)
    at = now()
    total = ComplianceRow(TOTAL)
    rows: dict[str, ComplianceRow] = {}
    for ticket in db.session.scalars(statement):
        outcome = first_reaction_outcome(ticket, at)
        if outcome is None:
            continue
        label = ticket.tier_code if by == "tier" else ticket.customer.legal_name
        rows.setdefault(label, ComplianceRow(label)).tickets[outcome].append(ticket)
        total.tickets[outcome].append(ticket)
    return total, sorted(rows.values(), key=lambda r: r.label)


@dataclass(frozen=True)
class UnitsRow:
    customer: Customer
    site: Site
    contract_id: int
    year_start: date
    units: int
    ticket_ids: tuple[int, ...]


def free_units_used(customer_id: int | None = None) -> list[UnitsRow]:
    statement = select(UnitUsage).order_by(
        UnitUsage.customer_id, UnitUsage.site_id, UnitUsage.contract_year_start
    )
    if customer_id is not None:
        statement = statement.where(UnitUsage.customer_id == customer_id)
    grouped: dict[tuple[int, int, date], list[UnitUsage]] = defaultdict(list)
    for usage in db.session.scalars(statement):
        grouped[(usage.site_id, usage.contract_id, usage.contract_year_start)].append(usage)
    rows = []
    for (site_id, contract_id, year_start), usages in grouped.items():
        site = db.session.get(Site, site_id)
        rows.append(
            UnitsRow(
                site.customer,
                site,
                contract_id,
                year_start,
                sum(u.units for u in usages),
                tuple(u.ticket_id for u in usages),
            )
        )
    return rows
