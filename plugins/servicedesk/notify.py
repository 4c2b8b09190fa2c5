"""The notifier interface and the once-only notification record behind every message."""

from __future__ import annotations

from typing import Protocol

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.database import db
from app.mail import send_mail
from app.timeutil import now
from plugins.servicedesk.models import Notification, Ticket


class Notifier(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


class EmailNotifier:
    """The default: one e-mail per notification (the `outbox` fixture captures them)."""

    def send(self, recipient: str, subject: str, body: str) -> None:
        send_mail(recipient, subject, body)


def notifier() -> Notifier:
    """The app's notifier: config SERVICEDESK_NOTIFIER (an instance) or e-mail."""
    return current_app.config.get("SERVICEDESK_NOTIFIER") or EmailNotifier()


def already_sent(ticket: Ticket, kind: str, level: int = 1) -> bool:
    return (
        db.session.scalar(
            select(Notification.id).where(
                Notification.ticket_id == ticket.id,
                Notification.kind == kind,
                Notification.level == level,
            )
        )
        is not None
    )


def notify_once(
    ticket: Ticket, kind: str, level: int, recipient: str, subject: str, body: str, on_claim=None
) -> bool:
    """Send a notification unless (ticket, kind, level) was already claimed; True if sent.

    The claim is a row under a unique key, committed before the message leaves: of two
    sweeps running at once the second insert fails (PostgreSQL makes it wait for the
    first commit), so the message goes out once. `on_claim` runs in the claiming
    transaction (e.g. to record the escalation). A failed send drops the claim, so the
    next sweep tries again.
    """
    db.session.commit()  # the claim must not drag earlier work into its rollback
    if already_sent(ticket, kind, level):
        return False
    claim = Notification(
        ticket_id=ticket.id, kind=kind, level=level, recipient=recipient, claimed_at=now()
    )
    try:
        db.session.add(claim)
        db.session.flush()
        if on_claim is not None:
            on_claim()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    claim_id = claim.id
    try:
        notifier().send(recipient, subject, body)
    except Exception:
        current_app.logger.exception("notification %s/%s/%s failed", ticket.id, kind, level)
        db.session.rollback()
        db.session.execute(delete(Notification).where(Notification.id == claim_id))
        db.session.commit()
        return False
    db.session.get(Notification, claim_id).sent_at = now()
    db.session.commit()
    return True
