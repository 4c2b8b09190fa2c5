"""The monitoring sweep: reminders, breach escalation and dispatch re-notification, once each.

The rules for one ticket are here (`sweep_ticket`, which only flushes); the job loop in
`plugins.servicedesk.jobs` commits after each ticket, so one ticket's failure or a
concurrent sweep's claim never takes another ticket's notifications with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.toolkit import ZURICH, db, tariff
from plugins.servicedesk import tickets
from plugins.servicedesk.dispatch import mail_due_text, on_duty
from plugins.servicedesk.models import OPEN_STATES, Escalation, Ticket
from plugins.servicedesk.notify import already_notified, notify_once


@dataclass
class SweepReport:
    reminders: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)
    renotifications: list[int] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{len(self.reminders)} reminder(s), {len(self.escalations)} escalation(s), "
            f"{len(self.renotifications)} re-notification(s)"
        )
        return text + (f", {len(self.failures)} ticket(s) failed" if self.failures else "")


def _remind(ticket: Ticket, at: datetime) -> bool:
    technician = ticket.technician or on_duty("technician", at)
    if technician is None:
        return False
    return notify_once(
        ticket,
        "reminder",
        1,
        technician.email,
        f"[{ticket.number}] Reminder: FirstReaction due {mail_due_text(ticket)}",
        f"Ticket {ticket.number} ({ticket.summary}) at {ticket.site} needs its FirstReaction "
        f"by {mail_due_text(ticket)}.\n",
        on_claim=lambda: tickets.log(ticket, "reminder_sent", note=technician.email, at=at),
    )


def _escalate_breach(ticket: Ticket, at: datetime) -> bool:
    chief = on_duty("chief", at)
    if chief is None:
        return False

    def record() -> None:
        ticket.escalations.append(
            Escalation(at=at, level=3, reason="breach", person_id=chief.id, note="FirstReaction")
        )
        tickets.log(ticket, "breach_escalated", note=f"to {chief.email}", at=at)

    return notify_once(
        ticket,
        "breach",
        1,
        chief.email,
        f"[{ticket.number}] FirstReaction breached",
        f"Ticket {ticket.number} ({ticket.summary}) at {ticket.site}: the FirstReaction was "
        f"due {mail_due_text(ticket)} and has not been given. Technician: "
        f"{ticket.technician.name if ticket.technician else 'none'}.\n",
        on_claim=record,
    )


def _renotify(ticket: Ticket, at: datetime) -> bool:
    day = at.astimezone(ZURICH).date()
    every = tariff("servicedesk.dispatch_ack_minutes", day)
    most = tariff("servicedesk.dispatch_renotify_max", day)
    level = min(int((at - ticket.dispatched_at).total_seconds() // (every * 60)), most)
    if level < 1 or ticket.technician is None or already_notified(ticket, "unacknowledged", level):
        return False
    return notify_once(
        ticket,
        "unacknowledged",
        level,
        ticket.technician.email,
        f"[{ticket.number}] Please acknowledge the dispatch ({level})",
        f"You were dispatched to ticket {ticket.number} ({ticket.summary}) and have not "
        f"acknowledged it yet.\n",
        on_claim=lambda: tickets.log(ticket, "renotified", note=f"level {level}", at=at),
    )


def open_ticket_ids() -> list[int]:
    """The tickets the sweep looks at: open, and still waiting for their FirstReaction."""
    return list(
        db.session.scalars(
            select(Ticket.id)
            .where(Ticket.state.in_(OPEN_STATES), Ticket.first_reaction_at.is_(None))
            .order_by(Ticket.id)
        )
    )


def sweep_ticket(ticket_id: int, at: datetime, report: SweepReport) -> None:
    """Remind, escalate or re-notify for one ticket, each at most once (flushes only)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.first_reaction_at is not None:
        return
    due, reminder = ticket.first_reaction_due_at, ticket.reminder_at
    if reminder is not None and reminder <= at and (due is None or at < due):
        if _remind(ticket, at):
            report.reminders.append(ticket.id)
    if due is not None and due <= at and _escalate_breach(ticket, at):
        report.escalations.append(ticket.id)
    if (
        ticket.state == "dispatched"
        and ticket.dispatched_at is not None
        and ticket.acknowledged_at is None
        and _renotify(ticket, at)
    ):
        report.renotifications.append(ticket.id)
