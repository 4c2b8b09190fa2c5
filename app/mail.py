"""The mail transport: over SMTP, into .eml files (MAIL_BACKEND=file, the embedded default
of `make run`, where no mail server exists), or into an in-memory list (tests).

Nothing sends mail directly: code queues it in the outbox (`app.outbox.queue_mail`) in the
transaction of the change it reports, and the delivery step calls `transmit` after the
commit.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default=())
    message_id: str | None = None
    date: datetime | None = None

    def as_message(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = self.subject
        if self.date is not None:
            message["Date"] = format_datetime(self.date)
        if self.message_id:
            message["Message-ID"] = self.message_id
        message.set_content(self.body)
        for attachment in self.attachments:
            main, _, sub = attachment.mime_type.partition("/")
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.filename
            )
        return message


def new_message_id() -> str:
    """A Message-ID under the public host name, made once when a mail is queued."""
    host = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "winet.local"
    return make_msgid(domain=host)


def sent_mail() -> list[Mail]:
    """Messages "sent" with MAIL_BACKEND=memory, oldest first."""
    return current_app.extensions.setdefault("winet.sent_mail", [])


def check_recipients(to: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients or not all("@" in address for address in recipients):
        raise ValueError(f"invalid recipients: {recipients!r}")
    return recipients


def transmit(mail: Mail) -> Mail:
    """Hand one message to the configured transport; raises on failure (the outbox
    retries)."""
    check_recipients(mail.to)
    config = current_app.config
    if config["MAIL_BACKEND"] == "memory":
        sent_mail().append(mail)
        return mail
    message = mail.as_message(config["MAIL_SENDER"])
    if config["MAIL_BACKEND"] == "file":
        folder = Path(config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = (mail.message_id or make_msgid()).strip("<>").replace("/", "_")
        (folder / f"{name}.eml").write_bytes(message.as_bytes())
        return mail
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return mail
