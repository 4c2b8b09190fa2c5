"""Dispatch (Aufgebot) to the on-call technician from the roster, and its acknowledgement."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.toolkit import RuleViolation, User, company, db, local, now
from plugins.servicedesk import tickets, wording
from plugins.servicedesk.due import reaction_rule
from plugins.servicedesk.models import OnCallShift, Ticket
from plugins.servicedesk.notify import notify_once
from plugins.servicedesk.vocabulary import (
    Duty,
    NotificationKind,
    TicketEventKind,
    TicketState,
)

# The roles that may stand each duty: a chief can also stand in as the technician.
DUTY_ROLES = {Duty.TECHNICIAN: ("technician", "chief"), Duty.CHIEF: ("chief",)}


def on_duty(duty: Duty, at: datetime) -> User | None:
    """Who has `duty` at an instant; the fallback otherwise."""
    shift = db.session.scalar(
        select(OnCallShift)
        .join(User, User.id == OnCallShift.user_id)
        .where(
            OnCallShift.duty == duty,
            OnCallShift.fallback.is_(False),
            OnCallShift.starts_at <= at,
            OnCallShift.ends_at > at,
            User.active.is_(True),
        )
        .order_by(OnCallShift.starts_at.desc(), OnCallShift.id)
        .limit(1)
    )
    if shift is None:
        shift = db.session.scalar(
            select(OnCallShift)
            .join(User, User.id == OnCallShift.user_id)
            .where(OnCallShift.duty == duty, OnCallShift.fallback.is_(True), User.active.is_(True))
            .order_by(OnCallShift.id)
            .limit(1)
        )
    return shift.user if shift is not None else None


def add_shift(
    user: User,
    duty: Duty,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    fallback: bool = False,
) -> OnCallShift:
    try:
        duty = Duty(duty)
    except ValueError:
        raise RuleViolation(_("Choose the duty: technician or chief."), "duty") from None
    if user.role not in DUTY_ROLES[duty]:
        raise RuleViolation(
            _("%(name)s cannot be on duty as %(duty)s.", name=user.name, duty=duty.label),
            "user_id",
        )
    if not fallback and (starts_at is None or ends_at is None or ends_at <= starts_at):
        raise RuleViolation(_("A shift needs a start before its end."), "ends_at")
    if not fallback:
        _refuse_double_booking(user, duty, starts_at, ends_at)
    shift = OnCallShift(
        user=user,
        duty=duty,
        starts_at=None if fallback else starts_at,
        ends_at=None if fallback else ends_at,
        fallback=fallback,
    )
    db.session.add(shift)
    db.session.flush()
    return shift


def _refuse_double_booking(user: User, duty: Duty, starts_at: datetime, ends_at: datetime) -> None:
    """A person stands a duty once at a time: a shift overlapping another of theirs in the
    same duty is a typing error (the roster would list them twice and the dispatch pick
    either). The person's row lock makes two such entries at the same moment wait for
    each other, so the second sees the first."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    clash = db.session.scalar(
        select(OnCallShift)
        .where(
            OnCallShift.user_id == user.id,
            OnCallShift.duty == duty,
            OnCallShift.fallback.is_(False),
            OnCallShift.starts_at < ends_at,
            OnCallShift.ends_at > starts_at,
        )
        .order_by(OnCallShift.starts_at)
        .limit(1)
    )
    if clash is not None:
        raise RuleViolation(
            _(
                "%(name)s is already on duty as %(duty)s from %(start)s to %(end)s.",
                name=user.name,
                duty=duty.label,
                start=wall_clock(clash.starts_at),
                end=wall_clock(clash.ends_at),
            ),
            "starts_at",
        )


def wall_clock(instant: datetime) -> str:
    """An instant as Zurich's clocks show it: 24.11.2026 19:00."""
    return f"{local(instant):%d.%m.%Y %H:%M}"


def local_text(instant: datetime | None) -> str:
    """An instant as notifications state it (mails carry the zone)."""
    return f"{wall_clock(instant)} (Europe/Zurich)" if instant else _("best effort")


def mail_due_text(ticket: Ticket) -> str:
    """The FirstReaction due time as notifications state it."""
    return local_text(ticket.first_reaction_due_at)


def tier_name(ticket: Ticket) -> str:
    """The CLA of the ticket by its catalog name ("Pro"), its code when the tier is gone."""
    rule = reaction_rule(ticket.tier_code, ticket.reported_at) if ticket.tier_code else None
    return rule.tier_name if rule is not None else (ticket.tier_code or "")


def ticket_link(ticket: Ticket) -> str:
    """The ticket's page as an absolute link for e-mails (also from jobs, without a request)."""
    if has_request_context():
        path = url_for("servicedesk.ticket", ticket_id=ticket.id)
    else:
        with current_app.test_request_context():
            path = url_for("servicedesk.ticket", ticket_id=ticket.id)
    return company().link(path)


def dispatch(ticket: Ticket, by: User | None = None, at: datetime | None = None) -> User:
    """Hand the ticket to the on-call technician and tell them (once)."""

    at = at or now()
    technician = on_duty(Duty.TECHNICIAN, at)
    if technician is None:
        raise RuleViolation(_("Nobody is on call and the roster has no fallback technician."))
    if (
        ticket.state == TicketState.VERIFIED
        and ticket.inside_service_hours is False
        and not ticket.fast_lane
    ):
        raise RuleViolation(
            _("Outside the service hours only a confirmed Fast Lane ticket is dispatched.")
        )
    tickets.move(ticket, TicketState.DISPATCHED, by, at=at, params={"person": technician.name})
    ticket.technician_id = technician.id
    ticket.technician = technician
    ticket.dispatched_at = at
    ticket.acknowledged_at = None
    db.session.flush()

    def compose() -> tuple[str, str]:
        return wording.dispatch_mail(
            ticket, tier_name(ticket), mail_due_text(ticket), ticket_link(ticket)
        )

    notify_once(ticket, NotificationKind.DISPATCH, 1, technician, compose)
    return technician


def acknowledge(ticket: Ticket, user: User) -> None:
    if ticket.dispatched_at is None:
        raise RuleViolation(_("The ticket has not been dispatched."))
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now()
        tickets.log(ticket, TicketEventKind.ACKNOWLEDGED, user)
        db.session.flush()
