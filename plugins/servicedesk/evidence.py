"""Fault origin from evidence: what the monitoring knew when the ticket was opened.

A ticket opened for a site while a base-system service is failing for it (a firing
Alertmanager group naming the service opened a master incident, or a chief declared
one; see outage.py) carries that evidence and the fault origin it proposes,
`base_system`. The technician or chief confirms the proposal or overrides it with a
reason; both are recorded on the ticket and in its log. The charges of a base-system
ticket name the evidence in their zero-rating reason (pricing.py, wording.reason_text).
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.toolkit import RuleViolation, User, db, now
from plugins.servicedesk import tickets
from plugins.servicedesk.models import MasterIncident, Ticket
from plugins.servicedesk.vocabulary import FaultOrigin, TicketEventKind


def of_incident(incident: MasterIncident) -> dict:
    """The facts of an open outage, as the ticket and the invoice line name them."""
    return {
        "incident": incident.number,
        "service": incident.service,
        "alert": incident.alertname,
        "since": incident.opened_at.isoformat(),
    }


def propose(ticket: Ticket, facts: dict, classify: bool = False) -> None:
    """Record the evidence and its proposal; `classify` sets the fault origin now (a
    ticket of an outage is base_system unless someone overrides it with a reason)."""
    ticket.fault_origin_proposed = FaultOrigin.BASE_SYSTEM
    ticket.fault_origin_evidence = facts
    if classify and ticket.fault_origin is None:
        ticket.fault_origin = FaultOrigin.BASE_SYSTEM
    tickets.log(ticket, TicketEventKind.OUTAGE_ATTACHED, params=facts)


def has_evidence(ticket: Ticket) -> bool:
    return ticket.fault_origin_proposed is not None


def confirm(ticket: Ticket, by: User) -> Ticket:
    """The technician or chief agrees with the evidence."""
    if not has_evidence(ticket):
        raise RuleViolation(_("No evidence proposes a fault origin for this ticket."))
    ticket.fault_origin = ticket.fault_origin_proposed
    ticket.fault_origin_decided_by_id = by.id
    ticket.fault_origin_decided_at = now()
    ticket.fault_origin_reason = ""
    tickets.log(
        ticket,
        TicketEventKind.FAULT_ORIGIN_CONFIRMED,
        by,
        params={"fault_origin": ticket.fault_origin.value},
    )
    db.session.flush()
    return ticket


def override(ticket: Ticket, origin: FaultOrigin | str, by: User, reason: str) -> Ticket:
    """Another fault origin than the evidence proposes, with the reason why (recorded)."""
    if origin not in FaultOrigin.codes():
        raise RuleViolation(_("Choose the fault origin."), "fault_origin")
    origin = FaultOrigin(origin)
    if not has_evidence(ticket):
        raise RuleViolation(_("No evidence proposes a fault origin for this ticket."))
    if origin == ticket.fault_origin_proposed:
        return confirm(ticket, by)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            _("Say why the fault origin differs from what the evidence shows."), "reason"
        )
    ticket.fault_origin = origin
    ticket.fault_origin_decided_by_id = by.id
    ticket.fault_origin_decided_at = now()
    ticket.fault_origin_reason = reason
    tickets.log(
        ticket,
        TicketEventKind.FAULT_ORIGIN_OVERRIDDEN,
        by,
        note=reason,
        params={"fault_origin": origin.value, "proposed": ticket.fault_origin_proposed.value},
    )
    db.session.flush()
    return ticket


def decide_at_resolution(ticket: Ticket, origin: FaultOrigin, by: User, reason: str) -> None:
    """Resolving decides the fault origin: with evidence, a differing one needs a reason."""
    if not has_evidence(ticket):
        return
    if ticket.fault_origin_decided_at is not None and origin == ticket.fault_origin:
        return  # decided before and unchanged
    if origin == ticket.fault_origin_proposed:
        confirm(ticket, by)
    else:
        override(ticket, origin, by, reason)
