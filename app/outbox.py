"""Side effects after commit: queue a message with the change that causes it; deliver it once.

`queue` (and `queue_mail`) only add a row to the current transaction: a rolled-back change
sends nothing, a committed one is delivered after the commit by `app.jobs` (a Celery task
when a broker is configured, right after the commit in this process otherwise) and, for
anything left over, by the periodic delivery task. The functions below that the delivery
step uses take an explicit session and never commit: the job loop does.

Exactly once: a worker claims a few messages with one conditional UPDATE (pending ->
sending); of two workers only one matches each row, so only one sends it. A failed send
puts the message back to pending with a growing delay, until the attempts are used up
(failed, shown on the outbox page with its error, and resent from there by hand). A worker that dies between
claim and send loses its claim after LEASE; the message is then sent by another worker:
the one case in which a message could leave twice, and its fixed Message-ID lets the
receiving side recognise the copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.audit import current_actor
from app.database import db
from app.errors import RuleViolation
from app.mail import Attachment, Mail, check_recipients, new_message_id, transmit
from app.models.outbox import OutboxAttachment, OutboxMessage, OutboxState
from app.plugins import OutboxChannel, load_object
from app.timeutil import now

MAIL = "core.mail"
QUEUED = "winet.outbox.queued"  # session.info key: ids queued in the open transaction
LEASE = timedelta(minutes=10)
# Delay before attempt n+1 after n failed attempts; after the last, the message fails.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


__all__ = ["OutboxChannel", "Outgoing", "queue", "queue_many", "queue_mail", "resend"]


def channels() -> dict[str, str]:
    return current_app.extensions["winet.outbox_channels"]


# --- queuing (in the caller's transaction; flush only) ----------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A message to queue: see `queue` for what each part means."""

    recipients: str | tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    key: str | None = None
    related: tuple[str, object] | None = None
    language: str | None = None


def queue(
    channel: str,
    recipients: str | Iterable[str],
    subject: str,
    body: str,
    *,
    attachments: Iterable[Attachment] = (),
    key: str | None = None,
    related: tuple[str, object] | None = None,
    language: str | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction (flushes, never commits).

    With `key`, a message already queued under that key is returned instead of a second
    one (also when another transaction queued it at the same moment). `related` names
    the record the message is about: (table name, id).
    """
    outgoing = Outgoing(
        recipients if isinstance(recipients, str) else tuple(recipients),
        subject,
        body,
        tuple(attachments),
        key,
        related,
        language,
    )
    return queue_outgoing(channel, outgoing)


def queue_outgoing(channel: str, outgoing: Outgoing) -> OutboxMessage:
    """`queue` for a message already put together (a document's letter, say)."""
    message = _message(channel, outgoing)
    key = outgoing.key
    if key is not None:
        existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if key is None:
            raise
        return db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    db.session.info.setdefault(QUEUED, []).append(message.id)
    return message


def queue_many(channel: str, messages: Iterable[Outgoing]) -> list[OutboxMessage]:
    """`queue` for many messages in one go (flushes): one statement finds the keys already
    queued, one flush adds the rest. Unlike `queue`, a key that another transaction queues
    at the same moment raises IntegrityError, and a bad recipient ValueError, before
    anything is added: the caller rolls back and queues those messages one at a time."""
    built = [_message(channel, outgoing) for outgoing in messages]
    keys = [message.key for message in built if message.key is not None]
    queued = (
        {
            message.key: message
            for message in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.key.in_(keys))
            )
        }
        if keys
        else {}
    )
    added = [message for message in built if message.key is None or message.key not in queued]
    db.session.add_all(added)
    db.session.flush()
    db.session.info.setdefault(QUEUED, []).extend(message.id for message in added)
    return [queued.get(message.key, message) for message in built]


def _message(channel: str, outgoing: Outgoing) -> OutboxMessage:
    """The outbox row of a message (not yet added); refuses an unknown channel or a bad
    recipient (ValueError) before anything is written."""
    if channel not in channels():
        raise ValueError(f"unknown outbox channel {channel!r}")
    to = check_recipients(outgoing.recipients)
    instant = now()
    related = outgoing.related
    return OutboxMessage(
        channel=channel,
        key=outgoing.key,
        recipients=list(to),
        subject=outgoing.subject[:300],
        body=outgoing.body,
        language=outgoing.language,
        message_id=new_message_id(),
        related_table=related[0] if related else None,
        related_id=str(related[1]) if related else None,
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=instant,
        created_at=instant,
        created_by=current_actor()[1][:120],
        attachments=[
            OutboxAttachment(filename=a.filename, mime_type=a.mime_type, content=a.content)
            for a in outgoing.attachments
        ],
    )


def queue_mail(
    to: str | Iterable[str],
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
    **options,
) -> OutboxMessage:
    """An e-mail, sent after the current transaction commits (see `queue`)."""
    return queue(MAIL, to, subject, body, attachments=attachments, **options)


def messages_about(table: str, record_id: object) -> list[OutboxMessage]:
    """The messages queued about one record, newest first (for its history)."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.related_table == table,
                OutboxMessage.related_id == str(record_id),
            )
            .order_by(OutboxMessage.id.desc())
        )
    )


def resend(message_id: int) -> OutboxMessage:
    """Finance or an admin asks again: a failed message is retried now; a sent one is
    copied into a new message (the customer lost the mail), which says where it came from.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise RuleViolation(_("No such message."))
    if message.state == OutboxState.FAILED:
        message.state = OutboxState.PENDING
        message.attempts = 0
        message.next_attempt_at = now()
        message.last_error = None
        db.session.flush()
        db.session.info.setdefault(QUEUED, []).append(message.id)
        return message
    if message.state != OutboxState.SENT:
        raise RuleViolation(_("This message is still on its way."))
    copy = queue(
        message.channel,
        message.recipients,
        message.subject,
        message.body,
        attachments=[Attachment(a.filename, a.content, a.mime_type) for a in message.attachments],
        related=(message.related_table, message.related_id) if message.related_table else None,
        language=message.language,
    )
    copy.resent_from_id = message.id
    db.session.flush()
    return copy


# --- delivery (the job loop in app.jobs commits between these steps) -------------------


def due_ids(session: Session, at: datetime, limit: int = 200) -> list[int]:
    """Messages to deliver now: pending and due, or claimed by a worker that vanished."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(_claimable(at))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def _claimable(at: datetime):
    return or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= at),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < at),
    )


def claim(session: Session, message_ids: list[int], at: datetime) -> list[int]:
    """Take messages for delivery in one statement: the ids of those this worker now holds
    (not the ones another worker has, or that are done)."""
    if not message_ids:
        return []
    return list(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), _claimable(at))
            .values(
                state=OutboxState.SENDING,
                claimed_until=at + LEASE,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )


def load(session: Session, message_ids: list[int]) -> list[OutboxMessage]:
    """The messages to deliver with their attachments, their content included (deferred on
    the model, so that lists and histories do not read it): two statements, not one more
    per message or attachment. In id order."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .options(selectinload(OutboxMessage.attachments).undefer(OutboxAttachment.content))
            .where(OutboxMessage.id.in_(message_ids))
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def deliver(message: OutboxMessage) -> None:
    """Send one claimed message through its channel; raises when it could not leave."""
    function: Callable[[OutboxMessage], None] = load_object(channels()[message.channel])
    function(message)


def mark_sent(session: Session, message_id: int, at: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.SENDING)
        .values(state=OutboxState.SENT, sent_at=at, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None: give up (failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return RETRY_DELAYS[max(attempts, 1) - 1]


def mark_failed(session: Session, message: OutboxMessage, error: str, at: datetime) -> None:
    delay = retry_delay(message.attempts)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.state == OutboxState.SENDING)
        .values(
            state=OutboxState.FAILED if delay is None else OutboxState.PENDING,
            next_attempt_at=at if delay is None else at + delay,
            claimed_until=None,
            last_error=error[:2000],
        )
        .execution_options(synchronize_session=False)
    )


def deliver_mail(message: OutboxMessage) -> None:
    """The e-mail channel: the message as it was queued, with its Message-ID and date."""
    transmit(
        Mail(
            to=tuple(message.recipients),
            subject=message.subject,
            body=message.body,
            attachments=tuple(
                Attachment(a.filename, a.content, a.mime_type) for a in message.attachments
            ),
            message_id=message.message_id,
            date=message.created_at,
        )
    )


# --- metrics (the alert rules watch them: deploy/prometheus/alerts.yml) ------------------


def outbox_metrics():
    """Messages by state and the age of the oldest one still waiting."""
    from prometheus_client.core import GaugeMetricFamily
    from sqlalchemy import func

    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    messages = GaugeMetricFamily(
        "winet_outbox_messages", "Outbox messages by state", labels=["state"]
    )
    for state in OutboxState:
        messages.add_metric([state.value], counts.get(state, 0))
    oldest = db.session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING))
        )
    )
    age = GaugeMetricFamily(
        "winet_outbox_oldest_pending_age_seconds",
        "Age of the oldest message not yet delivered (0 when none waits)",
        value=(now() - oldest).total_seconds() if oldest is not None else 0,
    )
    return [messages, age]


def register_metrics(registry) -> None:
    registry.add_collector("outbox", outbox_metrics)
