"""Dispatch (Aufgebot) to the on-call technician from the roster, and its acknowledgement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.toolkit import RuleViolation, User, db, local, now
from plugins.servicedesk import tickets
from plugins.servicedesk.models import OnCallShift, Ticket
from plugins.servicedesk.notify import notify_once


def on_duty(duty: str, at: datetime) -> User | None:
    """Who has `duty` ("technician" or "chief") at an instant; the fallback otherwise."""
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
    duty: str,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    fallback: bool = False,
) -> OnCallShift:
    wanted_role = {"technician": ("technician", "chief"), "chief": ("chief",)}.get(duty)
    if wanted_role is None:
        raise RuleViolation(f"unknown duty {duty!r}", "duty")
    if user.role not in wanted_role:
        raise RuleViolation(f"{user.name} cannot be on duty as {duty}", "user_id")
    if not fallback and (starts_at is None or ends_at is None or ends_at <= starts_at):
        raise RuleViolation("a shift needs a start before its end", "ends_at")
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


def mail_due_text(ticket: Ticket) -> str:
    """The FirstReaction due time as notifications state it (mails carry the zone)."""
    due = local(ticket.first_reaction_due_at)
    return f"{due:%d.%m.%Y %H:%M} (Europe/Zurich)" if due else "best effort"


def dispatch(ticket: Ticket, by: User | None = None, at: datetime | None = None) -> User:
    """Hand the ticket to the on-call technician and tell them (once)."""

    at = at or now()
    technician = on_duty("technician", at)
    if technician is None:
        raise RuleViolation("nobody is on call and the roster has no fallback technician")
    if ticket.state == "verified" and ticket.inside_service_hours is False and not ticket.fast_lane:
        raise RuleViolation("outside service hours only a confirmed Fast Lane ticket is dispatched")
    tickets.move(ticket, "dispatched", by, note=f"to {technician.name}", at=at)
    ticket.technician_id = technician.id
    ticket.technician = technician
    ticket.dispatched_at = at
    ticket.acknowledged_at = None
    db.session.flush()
    due_text = mail_due_text(ticket)
    fast_lane = " (Fast Lane)" if ticket.fast_lane else ""
    notify_once(
        ticket,
        "dispatch",
        1,
        technician.email,
        f"[{ticket.number}] Dispatch: {ticket.site}",
        f"You are dispatched to ticket {ticket.number}: {ticket.summary}\n"
        f"Site: {ticket.site}\nCLA: {ticket.tier_code}{fast_lane}\n"
        f"FirstReaction due: {due_text}\n",
    )
    return technician


def acknowledge(ticket: Ticket, user: User) -> None:
    if ticket.dispatched_at is None:
        raise RuleViolation("the ticket has not been dispatched")
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now()
        tickets.log(ticket, "acknowledged", user)
        db.session.flush()
