"""The outbox: side effects leave after commit, once; failures are retried with back-off."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.jobs import deliver_outbox
from app.models import OutboxMessage, OutboxState
from app.outbox import MAX_ATTEMPTS, queue, queue_mail, resend
from tests.factories import login
from tests.statements import recorded_statements

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TEST_CHANNEL = "core.test_channel"


class Recorder:
    """A channel that records what it delivers and fails while told to."""

    calls: list[tuple[int, str]] = []
    failures_left = 0
    pause = 0.0

    @classmethod
    def reset(cls, failures: int = 0, pause: float = 0.0) -> None:
        cls.calls, cls.failures_left, cls.pause = [], failures, pause


def record(message) -> None:
    if Recorder.pause:
        time.sleep(Recorder.pause)
    if Recorder.failures_left > 0:
        Recorder.failures_left -= 1
        raise ConnectionError("the gateway is down")
    Recorder.calls.append((message.id, message.subject))


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": T0}


@pytest.fixture
def channel(app):
    Recorder.reset()
    app.extensions["winet.outbox_channels"][TEST_CHANNEL] = "tests.core.test_outbox:record"
    yield Recorder
    app.extensions["winet.outbox_channels"].pop(TEST_CHANNEL)


def _state(db, message_id: int) -> OutboxMessage:
    db.session.rollback()  # a fresh transaction sees what the delivery sessions committed
    return db.session.get(OutboxMessage, message_id)


def test_a_rolled_back_change_sends_nothing(app, db, sent_mail):
    queue_mail("it@aarebank.example", "Rechnung", "Guten Tag")
    db.session.rollback()
    assert sent_mail == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert deliver_outbox().sent == []


def test_a_committed_message_leaves_once_right_after_the_commit(app, db, sent_mail):
    message = queue_mail("it@aarebank.example", "Rechnung 2026-000001", "Guten Tag")
    assert sent_mail == []  # not before the commit
    db.session.commit()
    assert [mail.subject for mail in sent_mail] == ["Rechnung 2026-000001"]
    assert sent_mail[0].message_id == message.message_id
    stored = _state(db, message.id)
    assert stored.state == OutboxState.SENT and stored.sent_at == T0 and stored.attempts == 1
    assert deliver_outbox().sent == []  # nothing left to send
    assert len(sent_mail) == 1


def test_the_same_key_is_queued_once(app, db, sent_mail):
    first = queue_mail("it@aarebank.example", "Quote", "x", key="quote:1:sent")
    second = queue_mail("it@aarebank.example", "Quote", "x", key="quote:1:sent")
    assert first.id == second.id
    db.session.commit()
    queue_mail("it@aarebank.example", "Quote", "x", key="quote:1:sent")
    db.session.commit()
    assert len(sent_mail) == 1


def test_a_failed_delivery_is_retried_with_back_off_and_sent_once(app, db, channel):
    channel.reset(failures=2)
    message = queue(TEST_CHANNEL, "pikett@winet.example", "Dispatch T-000001", "body")
    db.session.commit()  # first attempt right after the commit: fails
    stored = _state(db, message.id)
    assert (stored.state, stored.attempts) == (OutboxState.PENDING, 1)
    assert stored.next_attempt_at == T0 + timedelta(minutes=1)
    assert stored.last_error == "ConnectionError: the gateway is down"

    assert deliver_outbox().sent == []  # not due yet: nothing is tried
    app.config["FROZEN_NOW"] = T0 + timedelta(minutes=1)
    assert deliver_outbox().retrying == [message.id]  # second attempt fails too
    stored = _state(db, message.id)
    assert stored.attempts == 2
    assert stored.next_attempt_at == T0 + timedelta(minutes=6)  # 1 + 5 minutes

    app.config["FROZEN_NOW"] = T0 + timedelta(minutes=6)
    assert deliver_outbox().sent == [message.id]
    assert deliver_outbox().sent == []
    assert channel.calls == [(message.id, "Dispatch T-000001")]
    assert _state(db, message.id).state == OutboxState.SENT


def test_after_the_last_attempt_the_message_fails_and_waits_for_a_resend(app, db, channel):
    channel.reset(failures=MAX_ATTEMPTS)
    message = queue(TEST_CHANNEL, "chief@winet.example", "Breach T-000002", "body")
    db.session.commit()
    at = T0
    for _ in range(MAX_ATTEMPTS + 2):
        at += timedelta(days=1)
        app.config["FROZEN_NOW"] = at
        deliver_outbox()
    stored = _state(db, message.id)
    assert (stored.state, stored.attempts) == (OutboxState.FAILED, MAX_ATTEMPTS)
    assert channel.calls == []

    resend(message.id)
    db.session.commit()  # resent right after the commit
    assert channel.calls == [(message.id, "Breach T-000002")]
    assert _state(db, message.id).state == OutboxState.SENT


def test_resending_a_sent_message_sends_a_copy(app, db, sent_mail):
    message = queue_mail("it@aarebank.example", "Rechnung 2026-000003", "Guten Tag")
    db.session.commit()
    copy = resend(message.id)
    db.session.commit()
    assert copy.id != message.id and copy.resent_from_id == message.id
    assert [mail.subject for mail in sent_mail] == ["Rechnung 2026-000003"] * 2
    assert sent_mail[0].message_id != sent_mail[1].message_id


def test_a_worker_that_died_loses_its_claim_after_the_lease(app, db, channel):
    from app import outbox

    message = queue(TEST_CHANNEL, "pikett@winet.example", "Dispatch", "body")
    db.session.info.pop(outbox.QUEUED)  # nobody delivers it after this commit
    db.session.commit()
    with db.engine.begin() as connection:  # a worker claims it and vanishes
        from sqlalchemy.orm import Session

        with Session(bind=connection) as session:
            assert outbox.claim(session, [message.id], T0) == [message.id]
            session.flush()
    assert deliver_outbox().sent == []  # the claim still holds
    app.config["FROZEN_NOW"] = T0 + outbox.LEASE + timedelta(seconds=1)
    assert deliver_outbox().sent == [message.id]
    assert channel.calls == [(message.id, "Dispatch")]


@pytest.mark.postgres_only
def test_two_delivery_workers_at_once_send_every_message_exactly_once(app, db, channel):
    from app import outbox

    channel.reset(pause=0.01)
    ids = []
    for n in range(40):
        ids.append(queue(TEST_CHANNEL, "pikett@winet.example", f"m{n}", "body").id)
    db.session.info.pop(outbox.QUEUED)  # the two workers below deliver them
    db.session.commit()
    start = threading.Barrier(2)
    reports = []

    def worker():
        with app.app_context():
            start.wait()
            reports.append(deliver_outbox())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sorted(i for report in reports for i in report.sent)
    assert sent == sorted(ids)
    assert sorted(i for i, _ in channel.calls) == sorted(ids)  # each exactly once
    assert all(report.sent for report in reports)  # both workers took a share


def test_with_a_broker_the_commit_hands_the_ids_to_a_celery_task(app, db, monkeypatch):
    from app.jobs import DELIVER_TASK, celery_of

    handed = []
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://example.invalid/0")
    monkeypatch.setattr(celery_of(app).tasks[DELIVER_TASK], "delay", handed.append)
    message = queue_mail("it@aarebank.example", "Rechnung", "x")
    db.session.commit()
    assert handed == [[message.id]]
    assert _state(db, message.id).state == OutboxState.PENDING


def test_the_outbox_page_shows_messages_to_admins_only(app, db, client, factories, channel):
    channel.reset(failures=1)
    message = queue(TEST_CHANNEL, "pikett@winet.example", "Dispatch T-000009", "Ticket body")
    db.session.commit()
    finance = factories.user("finance")
    login(client, finance)
    assert client.get("/admin/outbox").status_code == 403
    client.post("/logout")
    admin = factories.user("admin")
    login(client, admin)
    page = client.get("/admin/outbox?state=pending").get_data(as_text=True)
    assert "Dispatch T-000009" in page
    detail = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "ConnectionError: the gateway is down" in detail and "Ticket body" in detail


def test_metrics_show_the_backlog_and_the_age_of_the_oldest_waiting_message(
    app, db, client, channel
):
    from tests.core.test_metrics import scrape, value

    channel.reset(failures=1)
    queue(TEST_CHANNEL, "pikett@winet.example", "Dispatch", "body")
    queue_mail("it@aarebank.example", "Rechnung", "x")
    db.session.commit()  # the mail leaves, the notification fails and waits
    app.config["FROZEN_NOW"] = T0 + timedelta(minutes=10)
    samples = scrape(client)
    assert value(samples, "winet_outbox_messages", state="pending") == 1
    assert value(samples, "winet_outbox_messages", state="sent") == 1
    assert value(samples, "winet_outbox_messages", state="failed") == 0
    assert value(samples, "winet_outbox_oldest_pending_age_seconds") == 600


def test_attachments_are_delivered_with_their_content_read_in_one_statement(app, db, sent_mail):
    from app.mail import Attachment

    queue_mail(
        "kunde@example.ch",
        "Rechnung",
        "Guten Tag",
        (Attachment("a.pdf", b"%PDF-a"), Attachment("b.pdf", b"%PDF-b")),
    )
    with recorded_statements(db.engine) as statements:
        db.session.commit()  # delivered right after the commit
    (mail,) = sent_mail
    assert [(a.filename, a.content) for a in mail.attachments] == [
        ("a.pdf", b"%PDF-a"),
        ("b.pdf", b"%PDF-b"),
    ]
    reading_content = [s for s in statements if "core_outbox_attachment.content" in s]
    assert len(reading_content) == 1  # with the attachments, not one more per attachment
