"""The monitoring sweep: reminders, breach escalation and dispatch re-notification, once each,
for the FirstReaction and for the resolution target (resolution_clock.py).

The rules for one ticket are here (`sweep_ticket`, which only flushes); the job loop in
`plugins.servicedesk.jobs` commits after each ticket, so one ticket's failure or a
concurrent sweep's claim never takes another ticket's notifications with it.

Only tickets whose next check has come are looked at (`due_ticket_ids`, one indexed
range over `next_check_at`, see monitoring.py): a sweep with nothing to do costs one
statement however many tickets are open, and a sweep that sends costs statements per
notification sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.toolkit import User, db
from plugins.servicedesk import monitoring, tickets
from plugins.servicedesk.dispatch import local_text, mail_due_text, on_duty
from plugins.servicedesk.models import Escalation, Ticket
from plugins.servicedesk.notify import already_notified, notify_once
from plugins.servicedesk.vocabulary import (
    OPEN_STATES,
    Duty,
    EscalationReason,
    NotificationKind,
    Severity,
    TicketEventKind,
    TicketState,
)

# What a rule did: sent now, done before (claimed already, or nothing to do), or could
# not be done because nobody is on duty (the sweep tries again next time).
SENT, DONE, NOBODY = "sent", "done", "nobody"


@dataclass
class SweepReport:
    reminders: list[int] = field(default_factory=list)
    escalations: list[int] = field(default_factory=list)
    renotifications: list[int] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    resolution_reminders: list[int] = field(default_factory=list)
    resolution_escalations: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{len(self.reminders)} reminder(s), {len(self.escalations)} escalation(s), "
            f"{len(self.renotifications)} re-notification(s)"
        )
        if self.resolution_reminders or self.resolution_escalations:
            text += (
                f", {len(self.resolution_reminders)} resolution reminder(s), "
                f"{len(self.resolution_escalations)} resolution escalation(s)"
            )
        return text + (f", {len(self.failures)} ticket(s) failed" if self.failures else "")


def _outcome(claimed: bool) -> str:
    return SENT if claimed else DONE


def _remind(ticket: Ticket, at: datetime) -> str:
    technician = ticket.technician or on_duty(Duty.TECHNICIAN, at)
    if technician is None:
        return NOBODY

    def compose() -> tuple[str, str]:
        due = mail_due_text(ticket)
        return (
            f"[{ticket.number}] " + _("Reminder: FirstReaction due %(due)s", due=due),
            _(
                "Ticket %(ticket)s (%(summary)s) at %(site)s needs its FirstReaction by %(due)s.\n",
                ticket=ticket.number,
                summary=ticket.summary,
                site=str(ticket.site),
                due=due,
            ),
        )

    return _outcome(
        notify_once(
            ticket,
            NotificationKind.REMINDER,
            1,
            technician,
            compose,
            on_claim=lambda: tickets.log(
                ticket, TicketEventKind.REMINDER_SENT, at=at, params={"person": technician.email}
            ),
        )
    )


def _escalate_to_chief(
    ticket: Ticket, at: datetime, kind: NotificationKind, escalation: Escalation, event, compose
) -> str:
    """Tell the chief on duty once per ticket and kind; the escalation and its log entry
    are recorded only by the sweep that claims the notice."""
    chief: User | None = on_duty(Duty.CHIEF, at)
    if chief is None:
        return NOBODY

    def record() -> None:
        escalation.person_id = chief.id
        ticket.escalations.append(escalation)
        tickets.log(ticket, event, at=at, params={"person": chief.email})

    return _outcome(notify_once(ticket, kind, 1, chief, compose, on_claim=record))


def _escalate_breach(ticket: Ticket, at: datetime) -> str:
    def compose() -> tuple[str, str]:
        technician = ticket.technician.name if ticket.technician else _("none")
        return (
            f"[{ticket.number}] " + _("FirstReaction breached"),
            _(
                "Ticket %(ticket)s (%(summary)s) at %(site)s: the FirstReaction was due "
                "%(due)s and has not been given. Technician: %(technician)s.\n",
                ticket=ticket.number,
                summary=ticket.summary,
                site=str(ticket.site),
                due=mail_due_text(ticket),
                technician=technician,
            ),
        )

    escalation = Escalation(at=at, level=3, reason=EscalationReason.BREACH, note="FirstReaction")
    return _escalate_to_chief(
        ticket, at, NotificationKind.BREACH, escalation, TicketEventKind.BREACH_ESCALATED, compose
    )


def _renotify(ticket: Ticket, at: datetime) -> str:
    every, most = monitoring.renotify_rule(ticket.dispatched_at)
    level = min(int((at - ticket.dispatched_at) // every), most) if every else 0
    kind = NotificationKind.UNACKNOWLEDGED
    if level < 1 or ticket.technician is None or already_notified(ticket, kind, level):
        return DONE

    def compose() -> tuple[str, str]:
        return (
            f"[{ticket.number}] " + _("Please acknowledge the dispatch (%(level)s)", level=level),
            _(
                "You were dispatched to ticket %(ticket)s (%(summary)s) and have not "
                "acknowledged it yet.\n",
                ticket=ticket.number,
                summary=ticket.summary,
            ),
        )

    return _outcome(
        notify_once(
            ticket,
            kind,
            level,
            ticket.technician,
            compose,
            on_claim=lambda: tickets.log(
                ticket, TicketEventKind.RENOTIFIED, at=at, params={"level": level}
            ),
        )
    )


def _remind_resolution(ticket: Ticket, at: datetime) -> str:
    technician = ticket.technician or on_duty(Duty.TECHNICIAN, at)
    if technician is None:
        return NOBODY

    def compose() -> tuple[str, str]:
        due = local_text(ticket.resolution_due_at)
        return (
            f"[{ticket.number}] " + _("Reminder: resolution due %(due)s", due=due),
            _(
                "Ticket %(ticket)s (%(summary)s) at %(site)s must be resolved by %(due)s "
                "(severity %(severity)s).\n",
                ticket=ticket.number,
                summary=ticket.summary,
                site=str(ticket.site),
                due=due,
                severity=Severity.label_of(ticket.severity),
            ),
        )

    return _outcome(
        notify_once(
            ticket,
            NotificationKind.RESOLUTION_REMINDER,
            1,
            technician,
            compose,
            on_claim=lambda: tickets.log(
                ticket,
                TicketEventKind.RESOLUTION_REMINDER_SENT,
                at=at,
                params={"person": technician.email},
            ),
        )
    )


def _escalate_resolution(ticket: Ticket, at: datetime) -> str:
    def compose() -> tuple[str, str]:
        return (
            f"[{ticket.number}] " + _("Resolution overdue"),
            _(
                "Ticket %(ticket)s (%(summary)s) at %(site)s was due to be resolved by "
                "%(due)s (severity %(severity)s) and is still open.\n",
                ticket=ticket.number,
                summary=ticket.summary,
                site=str(ticket.site),
                due=local_text(ticket.resolution_due_at),
                severity=Severity.label_of(ticket.severity),
            ),
        )

    escalation = Escalation(
        at=at, level=3, reason=EscalationReason.RESOLUTION_BREACH, note="resolution"
    )
    return _escalate_to_chief(
        ticket,
        at,
        NotificationKind.RESOLUTION_BREACH,
        escalation,
        TicketEventKind.RESOLUTION_BREACH_ESCALATED,
        compose,
    )


def _sweep_resolution(ticket: Ticket, at: datetime, report: SweepReport, retry: list) -> None:
    """The resolution target: one reminder, one escalation per ticket (claims are unique,
    so a due time moved by a pause or a new severity never sends a second one)."""
    due, reminder = ticket.resolution_due_at, ticket.resolution_reminder_at
    if due is None or ticket.state not in OPEN_STATES:
        return
    if reminder is not None and reminder <= at < due:
        outcome = _remind_resolution(ticket, at)
        if outcome == SENT:
            report.resolution_reminders.append(ticket.id)
        elif outcome == NOBODY:
            retry.append(reminder)
    if due <= at:
        outcome = _escalate_resolution(ticket, at)
        if outcome == SENT:
            report.resolution_escalations.append(ticket.id)
        elif outcome == NOBODY:
            retry.append(due)


def due_ticket_ids(at: datetime) -> list[int]:
    """The tickets whose next check has come (see monitoring.py), the longest due first."""
    return list(
        db.session.scalars(
            select(Ticket.id)
            .where(Ticket.next_check_at <= at, Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.next_check_at, Ticket.id)
        )
    )


def sweep_ticket(ticket_id: int, at: datetime, report: SweepReport) -> None:
    """Remind, escalate or re-notify for one ticket, each at most once, and set when to
    look at it next (flushes only)."""
    # The row lock serialises the sweep with a change of the same ticket and with a
    # second sweep: whoever comes second reads what the first committed.
    ticket = db.session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None or ticket.next_check_at is None or ticket.next_check_at > at:
        return  # done by a concurrent sweep, or moved by a change meanwhile
    retry: list[datetime] = []
    if ticket.first_reaction_at is None and ticket.state in OPEN_STATES:
        due, reminder = ticket.first_reaction_due_at, ticket.reminder_at
        if reminder is not None and reminder <= at and (due is None or at < due):
            outcome = _remind(ticket, at)
            if outcome == SENT:
                report.reminders.append(ticket.id)
            elif outcome == NOBODY:
                retry.append(reminder)
        if due is not None and due <= at:
            outcome = _escalate_breach(ticket, at)
            if outcome == SENT:
                report.escalations.append(ticket.id)
            elif outcome == NOBODY:
                retry.append(due)
        if (
            ticket.state == TicketState.DISPATCHED
            and ticket.dispatched_at is not None
            and ticket.acknowledged_at is None
            and _renotify(ticket, at) == SENT
        ):
            report.renotifications.append(ticket.id)
    _sweep_resolution(ticket, at, report, retry)
    following = monitoring.earliest(monitoring.instants_of(ticket), after=at)
    ticket.next_check_at = min([*retry, following] if following else retry, default=None)
    db.session.flush()
