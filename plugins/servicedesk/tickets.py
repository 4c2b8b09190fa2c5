"""The ticket state machine: allowed transitions, each recorded in the ticket's event log."""

from __future__ import annotations

from datetime import datetime

from app.toolkit import RuleViolation, User, current_actor, db, now
from plugins.servicedesk.models import Ticket, TicketEvent

# state -> states it may move to (SPEC 4 and issue 5.3)
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"verified", "withdrawn"}),
    "verified": frozenset({"dispatched", "withdrawn"}),
    "withdrawn": frozenset(),
    "dispatched": frozenset({"reacted", "escalated"}),
    "reacted": frozenset({"in_progress", "escalated", "resolved"}),
    "in_progress": frozenset({"escalated", "resolved"}),
    "escalated": frozenset({"in_progress", "resolved"}),
    "resolved": frozenset({"closed"}),
    "closed": frozenset(),
}

STATE_LABELS = {
    "new": "new",
    "verified": "verified",
    "withdrawn": "withdrawn",
    "dispatched": "dispatched",
    "reacted": "first reaction given",
    "in_progress": "in progress",
    "escalated": "escalated to 3rd level",
    "resolved": "resolved",
    "closed": "closed",
}


def can_move(ticket: Ticket, to_state: str) -> bool:
    return to_state in TRANSITIONS[ticket.state]


def _actor(user: User | None) -> tuple[int | None, str]:
    if user is not None:
        return user.id, f"{user.email} ({user.role})"
    return current_actor()


def log(
    ticket: Ticket,
    kind: str,
    user: User | None = None,
    note: str = "",
    at: datetime | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
) -> TicketEvent:
    user_id, actor = _actor(user)
    event = TicketEvent(
        kind=kind,
        at=at or now(),
        user_id=user_id,
        actor=actor[:120],
        note=note,
        from_state=from_state,
        to_state=to_state,
    )
    ticket.events.append(event)
    return event


def move(
    ticket: Ticket,
    to_state: str,
    user: User | None = None,
    note: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    """Change the state or refuse with a RuleViolation naming both states."""
    if not can_move(ticket, to_state):
        raise RuleViolation(
            f"a ticket that is {STATE_LABELS[ticket.state]} cannot become {STATE_LABELS[to_state]}",
            "state",
        )
    previous = ticket.state
    ticket.state = to_state
    event = log(ticket, to_state, user, note, at, from_state=previous, to_state=to_state)
    db.session.flush()
    return event
