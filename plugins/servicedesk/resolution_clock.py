"""The resolution clock of a ticket: severity, pauses and the due time they give.

The rules are the pure functions of resolution.py; this module reads the ticket (its
tier's schedule at the report, the targets valid on the report day, its pauses) and
keeps `resolution_due_at` and `resolution_reminder_at` on it, which the sweep watches
(monitoring.py). Each pause is a row (TicketPause) and a state change in the log.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.toolkit import ZURICH, RuleViolation, User, db, now, tariff
from plugins.servicedesk import resolution, tickets
from plugins.servicedesk.due import reaction_rule
from plugins.servicedesk.models import Ticket, TicketPause
from plugins.servicedesk.vocabulary import (
    OPEN_STATES,
    PAUSE_STATES,
    Severity,
    TicketEventKind,
    TicketState,
)


def target_of(ticket: Ticket) -> resolution.ResolutionTarget | None:
    """The target of the ticket's tier and severity, as the data said on the report day."""
    if ticket.severity is None or ticket.tier_code is None:
        return None
    day = ticket.reported_at.astimezone(ZURICH).date()
    rows = tariff("servicedesk.resolution_targets", day)
    return resolution.target_for(rows, ticket.tier_code, ticket.severity)


def pauses_of(ticket: Ticket) -> list[resolution.Pause]:
    return [resolution.Pause(p.started_at, p.ended_at) for p in ticket.pauses]


def reschedule(ticket: Ticket) -> None:
    """Set the resolution due and reminder times from severity, tier and pauses."""
    target = target_of(ticket)
    rule = reaction_rule(ticket.tier_code, ticket.reported_at) if target else None
    if target is None or rule is None:
        ticket.resolution_due_at = ticket.resolution_reminder_at = None
        return
    pauses = pauses_of(ticket)
    start = ticket.reported_at
    percent = tariff("servicedesk.reminder_at_percent", start.astimezone(ZURICH).date())
    ticket.resolution_due_at = resolution.resolution_due(rule.schedule, target, start, pauses)
    ticket.resolution_reminder_at = resolution.resolution_reminder(
        rule.schedule, target, start, pauses, percent
    )


def set_severity(ticket: Ticket, severity: Severity | str, by: User | None) -> Ticket:
    """Set (or change) the severity of an open ticket; its resolution target follows."""
    if severity not in Severity.codes():
        raise RuleViolation(_("Choose the severity."), "severity")
    if ticket.state not in OPEN_STATES:
        raise RuleViolation(_("The severity of a closed ticket cannot change."), "severity")
    severity = Severity(severity)
    if ticket.severity == severity:
        return ticket
    ticket.severity = severity
    tickets.log(ticket, TicketEventKind.SEVERITY_SET, by, params={"severity": severity.value})
    reschedule(ticket)
    db.session.flush()
    return ticket


def _end_open_pause(ticket: Ticket, at: datetime, by: User | None) -> None:
    for pause in ticket.pauses:
        if pause.ended_at is None:
            pause.ended_at = at
            pause.ended_by_id = by.id if by else None


def pause(ticket: Ticket, state: TicketState | str, by: User | None, note: str = "") -> Ticket:
    """Wait for the customer or a third party: the resolution clock stops (an event)."""
    state = TicketState(state)
    if state not in PAUSE_STATES:
        raise RuleViolation(_("Choose what the ticket waits for."), "state")
    at = now()
    tickets.move(ticket, state, by, note=note, at=at)
    _end_open_pause(ticket, at, by)  # from one pause state to the other: a new pause
    ticket.pauses.append(
        TicketPause(state=state, started_at=at, started_by_id=by.id if by else None, note=note)
    )
    reschedule(ticket)
    db.session.flush()
    return ticket


def end_pause(ticket: Ticket, by: User | None, at: datetime | None = None) -> None:
    """Close the open pause (work goes on or the ticket is resolved) and restart the clock."""
    _end_open_pause(ticket, at or now(), by)
    reschedule(ticket)
    db.session.flush()


def resume(ticket: Ticket, by: User | None, note: str = "") -> Ticket:
    """Work goes on after a pause: the resolution clock runs again."""
    if ticket.state not in PAUSE_STATES:
        raise RuleViolation(_("The ticket is not waiting."), "state")
    at = now()
    tickets.move(ticket, TicketState.IN_PROGRESS, by, note=note, at=at)
    end_pause(ticket, by, at)
    return ticket
