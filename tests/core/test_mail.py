"""Outgoing mail: the file backend of `make run` writes a readable .eml with its headers."""

from email import policy
from email.parser import BytesParser

import pytest

from app.mail import Attachment
from app.outbox import queue_mail


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_BACKEND": "file", "MAIL_FILE_DIR": str(tmp_path / "mail")}


def test_the_file_backend_writes_each_message_with_its_attachment_and_headers(app, db, tmp_path):
    message = queue_mail(
        "kreditoren@aarebank.example",
        "Rechnung 2026-000001",
        "Guten Tag",
        (Attachment("2026-000001.pdf", b"%PDF-1.7 test"),),
    )
    db.session.commit()
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    mail = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert mail["To"] == "kreditoren@aarebank.example"
    assert mail["Subject"] == "Rechnung 2026-000001"
    assert mail["Message-ID"] == message.message_id
    assert mail["Message-ID"].endswith("@testserver>")
    assert mail["Date"] is not None and mail["Date"].datetime.tzinfo is not None
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename() == "2026-000001.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"


def test_a_message_without_a_valid_recipient_is_refused_when_queued(app, db, tmp_path):
    with pytest.raises(ValueError, match="invalid recipients"):
        queue_mail("not-an-address", "x", "y")
    db.session.commit()
    assert not (tmp_path / "mail").exists()
