"""When the sweep must look at a ticket next, kept on the ticket (`next_check_at`).

The sweep selects only the tickets whose instant has come (an indexed column), so a
sweep with nothing to send reads one index range instead of every open ticket. The
instant is the earliest of what the sweep may have to do for the ticket:

- the reminder at `reminder_at` (only while it comes before the due time),
- the breach escalation at `first_reaction_due_at`,
- the re-notifications of an unacknowledged dispatch, every `dispatch_ack_minutes`
  after the dispatch, up to `dispatch_renotify_max` times,

- the resolution reminder at `resolution_reminder_at` and the resolution breach at
  `resolution_due_at` (resolution_clock.py; both None while paused),

and None once the ticket is no longer open or nothing is left to watch (the
FirstReaction instants end with the FirstReaction, the resolution instants with the
resolution).

Every change of a ticket that moves one of these instants (verification, Fast Lane
confirmation, dispatch, acknowledgement, first reaction, any state change) sets it
again: a flush listener (`reschedule_changed`, installed by models.py) recomputes it for
each ticket whose watched columns changed, so no code path can forget it. A change
schedules every instant still possible, also one already past: the sweep then looks at
the ticket once, finds any notification already claimed (claims are unique) and moves on;
looking once too often costs a statement, missing a reminder would cost the customer.
The sweep itself, after acting at `at`, sets the earliest instant after `at`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import inspect

from app.toolkit import ZURICH, tariff
from plugins.servicedesk.vocabulary import OPEN_STATES, TicketState

# Columns whose change can move the next check.
WATCHED = (
    "state",
    "reminder_at",
    "first_reaction_due_at",
    "first_reaction_at",
    "dispatched_at",
    "acknowledged_at",
    "technician_id",
    "resolution_due_at",
    "resolution_reminder_at",
)


def check_instants(
    *,
    state: str,
    first_reaction_at: datetime | None,
    reminder_at: datetime | None,
    due_at: datetime | None,
    dispatched_at: datetime | None,
    acknowledged_at: datetime | None,
    has_technician: bool,
    renotify_every: timedelta,
    renotify_most: int,
    resolution_reminder_at: datetime | None = None,
    resolution_due_at: datetime | None = None,
) -> tuple[datetime, ...]:
    """Every instant at which the sweep has something to decide for a ticket (pure)."""
    if state not in OPEN_STATES:
        return ()
    instants = []
    if resolution_due_at is not None:
        instants.append(resolution_due_at)
        if resolution_reminder_at is not None and resolution_reminder_at < resolution_due_at:
            instants.append(resolution_reminder_at)
    if first_reaction_at is not None:
        return tuple(sorted(instants))
    if reminder_at is not None and (due_at is None or reminder_at < due_at):
        instants.append(reminder_at)
    if due_at is not None:
        instants.append(due_at)
    if (
        state == TicketState.DISPATCHED
        and dispatched_at is not None
        and acknowledged_at is None
        and has_technician
    ):
        instants += [
            dispatched_at + level * renotify_every for level in range(1, renotify_most + 1)
        ]
    return tuple(sorted(instants))


def earliest(instants: Iterable[datetime], after: datetime | None = None) -> datetime | None:
    """The first instant (strictly after `after`, when given), or None."""
    return min((i for i in instants if after is None or i > after), default=None)


def renotify_rule(dispatched_at: datetime | None) -> tuple[timedelta, int]:
    """(interval, most) of the re-notifications of a dispatch, as the tariffs say on its day."""
    day = dispatched_at.astimezone(ZURICH).date() if dispatched_at is not None else None
    every = tariff("servicedesk.dispatch_ack_minutes", day)
    return timedelta(minutes=every), tariff("servicedesk.dispatch_renotify_max", day)


def instants_of(ticket) -> tuple[datetime, ...]:
    """`check_instants` of a Ticket row (reads the re-notification tariffs when needed)."""
    every, most = timedelta(0), 0
    if ticket.state == TicketState.DISPATCHED and ticket.acknowledged_at is None:
        every, most = renotify_rule(ticket.dispatched_at)
    return check_instants(
        state=ticket.state,
        first_reaction_at=ticket.first_reaction_at,
        reminder_at=ticket.reminder_at,
        due_at=ticket.first_reaction_due_at,
        dispatched_at=ticket.dispatched_at,
        acknowledged_at=ticket.acknowledged_at,
        has_technician=ticket.technician_id is not None,
        renotify_every=every,
        renotify_most=most,
        resolution_reminder_at=ticket.resolution_reminder_at,
        resolution_due_at=ticket.resolution_due_at,
    )


def reschedule_changed(session, tickets: Iterable) -> None:
    """Set next_check_at of each given ticket (new, or with a watched column changed),
    unless this flush sets it explicitly (the sweep). Called before a flush."""
    for ticket in tickets:
        state = inspect(ticket)
        if state.attrs.next_check_at.history.has_changes() and not state.pending:
            continue
        if state.pending or any(state.attrs[key].history.has_changes() for key in WATCHED):
            with session.no_autoflush:
                ticket.next_check_at = earliest(instants_of(ticket))
