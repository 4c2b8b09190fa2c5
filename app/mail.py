"""Outgoing e-mail: over SMTP, into .eml files (MAIL_BACKEND=file, the embedded default of
`make run`, where no mail server exists), or into an in-memory outbox (tests)."""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

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

    def as_message(self, sender: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(self.to)
        message["Subject"] = self.subject
        message.set_content(self.body)
        for attachment in self.attachments:
            main, _, sub = attachment.mime_type.partition("/")
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.filename
            )
        return message


def outbox() -> list[Mail]:
    """Messages "sent" with MAIL_BACKEND=memory, oldest first."""
    return current_app.extensions.setdefault("winet.outbox", [])


def send_mail(
    to: str | list[str] | tuple[str, ...],
    subject: str,
    body: str,
    attachments: tuple[Attachment, ...] = (),
) -> Mail:
    """Send one message; raises on an SMTP failure so the caller can retry or report it."""
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients or not all("@" in address for address in recipients):
        raise ValueError(f"invalid recipients: {recipients!r}")
    mail = Mail(recipients, subject, body, tuple(attachments))
    config = current_app.config
    if config["MAIL_BACKEND"] == "memory":
        outbox().append(mail)
        return mail
    if config["MAIL_BACKEND"] == "file":
        folder = Path(config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        message = mail.as_message(config["MAIL_SENDER"])
        (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.as_bytes())
        return mail
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(mail.as_message(config["MAIL_SENDER"]))
    return mail
