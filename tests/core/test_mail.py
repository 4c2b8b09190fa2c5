"""Outgoing mail backends: the file backend of `make run` writes a readable .eml."""

from email import policy
from email.parser import BytesParser

import pytest

from app.mail import Attachment, send_mail


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_BACKEND": "file", "MAIL_FILE_DIR": str(tmp_path / "mail")}


def test_the_file_backend_writes_each_message_with_its_attachment(app, tmp_path):
    send_mail(
        "kreditoren@aarebank.example",
        "Rechnung 2026-000001",
        "Guten Tag",
        (Attachment("2026-000001.pdf", b"%PDF-1.7 test"),),
    )
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert message["To"] == "kreditoren@aarebank.example"
    assert message["Subject"] == "Rechnung 2026-000001"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "2026-000001.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"


def test_a_message_without_a_valid_recipient_is_refused(app, tmp_path):
    with pytest.raises(ValueError, match="invalid recipients"):
        send_mail("not-an-address", "x", "y")
    assert not (tmp_path / "mail").exists()
