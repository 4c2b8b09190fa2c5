"""Notifications to technicians and chiefs: claimed once per event, delivered by the outbox.

A notification is claimed under a unique key (ticket, kind, level) in the caller's
transaction, together with its effects (`on_claim`, e.g. the escalation record) and the
outbox message: of two sweeps at once, the second insert of the claim fails (PostgreSQL
makes it wait for the first commit), so the effects happen once and the message is queued
once. Delivery, retries and failures are the outbox's business; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import User, db, deliver_mail, now, queue
from plugins.servicedesk.models import Notification, Ticket
from plugins.servicedesk.vocabulary import NotificationKind

CHANNEL = "servicedesk.notification"


class Notifier(Protocol):
    """Another way than e-mail to reach people on duty (a pager gateway, SMS)."""

    def send(self, recipient: str, subject: str, body: str) -> None: ...


def deliver(message) -> None:
    """The outbox channel: config SERVICEDESK_NOTIFIER (a Notifier), else e-mail."""
    configured: Notifier | None = current_app.config.get("SERVICEDESK_NOTIFIER")
    if configured is None:
        deliver_mail(message)
        return
    for recipient in message.recipients:
        configured.send(recipient, message.subject, message.body)


def already_notified(ticket: Ticket, kind: NotificationKind, level: int = 1) -> bool:
    """True once the notification of this event is claimed (queued in the outbox)."""
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
    ticket: Ticket,
    kind: NotificationKind,
    level: int,
    person: User,
    compose: Callable[[], tuple[str, str]],
    on_claim=None,
) -> bool:
    """Queue a notification unless (ticket, kind, level) was already claimed; True if now.

    `compose` gives (subject, body); it is called once claimed, in the person's language.
    Flushes, never commits: the message leaves after the caller's commit, and not at all
    if the caller rolls back.
    """
    if already_notified(ticket, kind, level):
        return False
    claim = Notification(
        ticket_id=ticket.id, kind=kind, level=level, recipient=person.email, claimed_at=now()
    )
    try:
        # A savepoint: a concurrent sweep's claim undoes only ours, not the caller's work.
        with db.session.begin_nested():
            db.session.add(claim)
    except IntegrityError:
        return False
    if on_claim is not None:
        on_claim()
    with force_locale(person.language or "de"):
        subject, body = compose()
    message = queue(
        CHANNEL,
        person.email,
        subject,
        body,
        key=f"{CHANNEL}:{ticket.id}:{kind.value}:{level}",
        related=("servicedesk_ticket", ticket.id),
        language=person.language,
    )
    claim.outbox_message_id = message.id
    db.session.flush()
    return True
