"""The notifier interface and the once-only notification record behind every message."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from app.toolkit import db, now, send_mail
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


RETRY_STALE_AFTER = timedelta(minutes=10)  # a claim whose sender died without a word


def _claim_of(ticket: Ticket, kind: str, level: int) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.kind == kind,
            Notification.level == level,
        )
    )


def already_sent(ticket: Ticket, kind: str, level: int = 1) -> bool:
    """True once the message has left; a claim whose send failed is not "sent"."""
    claim = _claim_of(ticket, kind, level)
    return claim is not None and claim.sent_at is not None


def _take_retry(claim_id: int) -> bool:
    """Take an unsent claim for a retry, atomically: of two sweeps only one wins.

    A claim is retried when its send failed (failed_at set) or when its sender vanished
    (claimed long ago, never sent nor failed). Under PostgreSQL the second UPDATE waits
    for the first commit and then matches no row."""
    stale = now() - RETRY_STALE_AFTER
    taken = db.session.execute(
        update(Notification)
        .where(
            Notification.id == claim_id,
            Notification.sent_at.is_(None),
            or_(Notification.failed_at.is_not(None), Notification.claimed_at <= stale),
        )
        .values(failed_at=None, claimed_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken.rowcount == 1


def notify_once(
    ticket: Ticket, kind: str, level: int, recipient: str, subject: str, body: str, on_claim=None
) -> bool:
    """Send a notification unless (ticket, kind, level) was already sent; True if sent now.

    The claim is a row under a unique key, committed with the claim's effects (`on_claim`,
    e.g. the escalation record and its event) before the message leaves: of two sweeps
    running at once the second insert fails (PostgreSQL makes it wait for the first
    commit), so the effects happen once and the message goes out once. A failed send
    keeps the claim unsent (failed_at set); the next sweep retries only the message, to
    the claim's recipient, never the effects.
    """
    db.session.commit()  # the claim must not drag earlier work into its rollback
    claim = _claim_of(ticket, kind, level)
    if claim is not None:
        if claim.sent_at is not None or not _take_retry(claim.id):
            return False
        claim_id, recipient = claim.id, claim.recipient
    else:
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
        db.session.get(Notification, claim_id).failed_at = now()
        db.session.commit()
        return False
    db.session.get(Notification, claim_id).sent_at = now()
    db.session.commit()
    return True
