"""Working a ticket: first reaction, time and material, 3rd level, resolution, closing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.toolkit import RuleViolation, User, db, now, today
from plugins.servicedesk import costs, evidence, resolution_clock, tickets
from plugins.servicedesk.models import Escalation, MaterialUse, Ticket, TimeEntry
from plugins.servicedesk.vocabulary import (
    PAUSE_STATES,
    EscalationReason,
    FaultOrigin,
    Severity,
    TicketEventKind,
    TicketState,
    TimeKind,
)

S = TicketState
WORKING_STATES = (S.DISPATCHED, S.REACTED, S.IN_PROGRESS, S.ESCALATED, *PAUSE_STATES)
REACTION_STATES = (S.DISPATCHED, S.IN_PROGRESS, S.ESCALATED, *PAUSE_STATES)


def assigned_to(user_id: int):
    """Tickets a technician or chief works (a query condition): dispatched to them, or
    joined at 3rd level."""
    joined = select(Escalation.ticket_id).where(Escalation.person_id == user_id)
    return or_(Ticket.technician_id == user_id, Ticket.id.in_(joined))


def can_record_first_reaction(ticket: Ticket) -> bool:
    return ticket.first_reaction_at is None and ticket.state in REACTION_STATES


def record_first_reaction(ticket: Ticket, user: User, note: str = "") -> Ticket:
    """Record the FirstReaction: one instant per ticket, independent of the state.

    A dispatched ticket moves to REACTED; on a ticket already escalated to 3rd level (a
    chief joined before anyone answered the customer) or being worked, the reaction is
    recorded without a state change. Either way the event log gets one "reacted" entry.
    """
    if not can_record_first_reaction(ticket):
        if ticket.first_reaction_at is not None:
            raise RuleViolation(_("The first reaction is already recorded."))
        raise RuleViolation(_("A first reaction needs a dispatched ticket."))
    at = now()
    if ticket.state == S.DISPATCHED:
        tickets.move(ticket, S.REACTED, user, note=note, at=at)
    else:
        tickets.log(ticket, TicketEventKind.REACTED, user, note=note, at=at)
    ticket.first_reaction_at = at
    ticket.first_reaction_by_id = user.id
    ticket.first_reaction_note = note
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = at  # reacting is the strongest acknowledgement
    db.session.flush()
    return ticket


def start_work(ticket: Ticket, user: User) -> Ticket:
    if ticket.state in PAUSE_STATES:
        return resolution_clock.resume(ticket, user)
    tickets.move(ticket, S.IN_PROGRESS, user)
    return ticket


def add_time(
    ticket: Ticket, user: User, kind: TimeKind, minutes: int, work_date: date | None = None, note=""
) -> TimeEntry:
    if ticket.state not in WORKING_STATES:
        raise RuleViolation(_("Time can only be logged on a ticket that is being worked."))
    if kind not in TimeKind.codes():
        raise RuleViolation(_("Choose remote, on-site or travel."), "kind")
    kind = TimeKind(kind)
    if not isinstance(minutes, int) or minutes <= 0 or minutes > 24 * 60:
        raise RuleViolation(_("Minutes must be between 1 and 1440."), "minutes")
    entry = TimeEntry(
        technician_id=user.id, kind=kind, minutes=minutes, work_date=work_date or today(), note=note
    )
    ticket.time_entries.append(entry)
    tickets.log(
        ticket, TicketEventKind.TIME_ENTRY, user, params={"kind": kind.value, "minutes": minutes}
    )
    db.session.flush()
    return entry


def add_material(
    ticket: Ticket,
    user: User,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    used_on: date | None = None,
) -> MaterialUse:
    if ticket.state not in WORKING_STATES:
        raise RuleViolation(_("Material can only be added to a ticket that is being worked."))
    if not isinstance(quantity, Decimal) or not isinstance(unit_price, Decimal):
        raise TypeError("quantity and price are Decimal")
    if quantity <= 0:
        raise RuleViolation(_("The quantity must be positive."), "quantity")
    if unit_price < 0:
        raise RuleViolation(_("The price cannot be negative."), "unit_price")
    item = MaterialUse(
        added_by_id=user.id,
        description=description.strip()[:200],
        quantity=quantity,
        unit_price=unit_price,
        used_on=used_on or today(),
    )
    ticket.materials.append(item)
    tickets.log(
        ticket,
        TicketEventKind.MATERIAL,
        user,
        params={"quantity": format(quantity.normalize(), "f"), "item": item.description},
    )
    db.session.flush()
    return item


def escalate_third_level(ticket: Ticket, by: User, person: User, note: str = "") -> Escalation:
    """A chief technician or chief developer joins the ticket (3rd level)."""
    if person.role != "chief":
        raise RuleViolation(_("Only a chief can join at 3rd level."), "person_id")
    at = now()
    joins = {"person": person.name}
    if ticket.state != S.ESCALATED:
        tickets.move(ticket, S.ESCALATED, by, note=note, at=at, params=joins)
    else:
        tickets.log(ticket, TicketEventKind.CHIEF_JOINED, by, note=note, at=at, params=joins)
    escalation = Escalation(
        at=at,
        level=3,
        reason=EscalationReason.THIRD_LEVEL,
        person_id=person.id,
        recorded_by_id=by.id,
        note=note,
    )
    ticket.escalations.append(escalation)
    db.session.flush()
    return escalation


def resolve(
    ticket: Ticket,
    by: User,
    fault_origin: FaultOrigin,
    severity: Severity,
    resolution: str = "",
    origin_reason: str = "",
) -> Ticket:
    """Resolution needs a fault origin and a severity; the charges follow from them. On a
    ticket with evidence (evidence.py) a fault origin other than the proposed one needs
    `origin_reason`; either decision is recorded."""
    if fault_origin not in FaultOrigin.codes():
        raise RuleViolation(_("Choose the fault origin."), "fault_origin")
    if severity not in Severity.codes():
        raise RuleViolation(_("Choose the severity."), "severity")
    fault_origin, severity = FaultOrigin(fault_origin), Severity(severity)
    evidence.decide_at_resolution(ticket, fault_origin, by, origin_reason)
    at = now()
    paused = ticket.state in PAUSE_STATES
    tickets.move(
        ticket,
        S.RESOLVED,
        by,
        at=at,
        params={"fault_origin": fault_origin.value, "severity": severity.value},
    )
    ticket.fault_origin = fault_origin
    ticket.severity = severity
    ticket.resolution = resolution
    ticket.resolved_at = at
    # The due time the resolution is measured against: the final severity and pauses.
    if paused:
        resolution_clock.end_pause(ticket, by, at)
    else:
        resolution_clock.reschedule(ticket)
    db.session.flush()
    costs.allocate(ticket, at)
    return ticket


def close(ticket: Ticket, by: User) -> Ticket:
    tickets.move(ticket, S.CLOSED, by)
    ticket.closed_at = now()
    db.session.flush()
    return ticket
