"""Outgoing e-mail over SMTP, or into an in-memory outbox (tests, MAIL_BACKEND=memory)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

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
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(mail.as_message(config["MAIL_SENDER"]))
    return mail
