"""The ticket state machine: allowed transitions, each recorded in the ticket's event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.toolkit import RuleViolation, User, current_actor, db, now
from plugins.servicedesk.models import Ticket, TicketEvent
from plugins.servicedesk.vocabulary import PAUSE_STATES, TicketEventKind, TicketState

S = TicketState
# state -> states it may move to (SPEC 4 and issue 5.3)
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.NEW: frozenset({S.VERIFIED, S.WITHDRAWN}),
    S.VERIFIED: frozenset({S.DISPATCHED, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
    S.DISPATCHED: frozenset({S.REACTED, S.ESCALATED}),
    S.REACTED: frozenset({S.IN_PROGRESS, S.ESCALATED, S.RESOLVED, *PAUSE_STATES}),
    S.IN_PROGRESS: frozenset({S.ESCALATED, S.RESOLVED, *PAUSE_STATES}),
    S.ESCALATED: frozenset({S.IN_PROGRESS, S.RESOLVED, *PAUSE_STATES}),
    # A pause ends by work going on (or by the resolution, e.g. the customer's answer
    # solved it); from one pause state to the other is a new pause.
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED, S.WAITING_THIRD_PARTY}),
    S.WAITING_THIRD_PARTY: frozenset({S.IN_PROGRESS, S.RESOLVED, S.WAITING_CUSTOMER}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}


def can_move(ticket: Ticket, to_state: TicketState) -> bool:
    return to_state in TRANSITIONS[ticket.state]


def _actor(user: User | None) -> tuple[int | None, str]:
    if user is not None:
        return user.id, f"{user.email} ({user.role})"
    return current_actor()


def log(
    ticket: Ticket,
    kind: TicketEventKind,
    user: User | None = None,
    note: str = "",
    at: datetime | None = None,
    from_state: TicketState | None = None,
    to_state: TicketState | None = None,
    params: dict[str, Any] | None = None,
) -> TicketEvent:
    """Add an entry to the log: its kind, the facts as parameters (worded when shown,
    see wording.event_detail) and the person's own note, if any."""
    user_id, actor = _actor(user)
    event = TicketEvent(
        kind=TicketEventKind(kind),
        at=at or now(),
        user_id=user_id,
        actor=actor[:120],
        note=note,
        note_params=params or None,
        from_state=from_state,
        to_state=to_state,
    )
    ticket.events.append(event)
    return event


def move(
    ticket: Ticket,
    to_state: TicketState,
    user: User | None = None,
    note: str = "",
    at: datetime | None = None,
    params: dict[str, Any] | None = None,
) -> TicketEvent:
    """Change the state or refuse with a RuleViolation naming both states."""
    to_state = TicketState(to_state)
    if not can_move(ticket, to_state):
        raise RuleViolation(
            _(
                "A ticket that is %(state)s cannot become %(target)s.",
                state=TicketState.label_of(ticket.state),
                target=to_state.label,
            ),
            "state",
        )
    previous = ticket.state
    ticket.state = to_state
    event = log(
        ticket,
        TicketEventKind(to_state.value),
        user,
        note,
        at,
        from_state=previous,
        to_state=to_state,
        params=params,
    )
    db.session.flush()
    return event
