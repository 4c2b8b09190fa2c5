"""The outbox: messages written in the transaction that causes them, delivered after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.database import IdMixin, db, utcnow
from app.vocabulary import Vocabulary


class OutboxState(Vocabulary):
    PENDING = "pending", _l("waiting")
    SENDING = "sending", _l("being sent")
    SENT = "sent", _l("delivered")
    FAILED = "failed", _l("failed")


class OutboxMessage(IdMixin, db.Model):
    """One message to deliver once: an e-mail, or a notification of a plugin's channel.

    A message is claimed by exactly one delivery worker (a conditional UPDATE from
    pending to sending), so it leaves once however many workers run; a failed delivery
    goes back to pending with a later `next_attempt_at` until the attempts are used up.
    """

    __tablename__ = "core_outbox_message"
    __table_args__ = (
        OutboxState.constraint("state"),
        # What the delivery step selects: due messages, oldest first.
        Index("ix_core_outbox_message_due", "state", "next_attempt_at"),
    )

    channel: Mapped[str] = mapped_column(String(60), default="mail")
    # An idempotency key: queuing the same key twice keeps the first message.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    # RFC 5322 Message-ID, fixed when queued, so a retried mail is recognisably the same.
    message_id: Mapped[str] = mapped_column(String(200))
    # The record the message is about, for its history ("invoicing_invoice", "17").
    related_table: Mapped[str | None] = mapped_column(String(80))
    related_id: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[OutboxState] = mapped_column(OutboxState.column(10), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # While sending: until when the claim holds; a worker that died loses it after this.
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    sent_at: Mapped[datetime | None]
    resent_from_id: Mapped[int | None] = mapped_column(ForeignKey("core_outbox_message.id"))

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", order_by="OutboxAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def recipient_text(self) -> str:
        return ", ".join(self.recipients or ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "recipients": list(self.recipients or ()),
            "subject": self.subject,
            "state": self.state,
        }


class OutboxAttachment(IdMixin, db.Model):
    """A file sent with a message, kept with it so a resend sends exactly the same."""

    __tablename__ = "core_outbox_attachment"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("core_outbox_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
