"""The monitoring sweep: reminder at 75 %, escalation at breach, re-notification, once each."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.database import db as database
from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import acknowledge, dispatch
from plugins.servicedesk.models import Escalation, Notification
from plugins.servicedesk.sweep import sweep
from tests.servicedesk.conftest import zurich


def _dispatched(desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    return ticket


def _subjects(outbox):
    return [m.subject.split("] ", 1)[1] for m in outbox]


def test_reminder_at_75_percent_then_escalation_at_breach_each_once(desk, db, clock, outbox):
    ticket = _dispatched(desk, db)  # due 16:00, reminder at 14:30
    acknowledge(ticket, desk.technician)
    db.session.commit()
    outbox.clear()
    clock(zurich(2026, 11, 24, 14, 29))
    assert str(sweep()) == "0 reminder(s), 0 escalation(s), 0 re-notification(s)"
    clock(zurich(2026, 11, 24, 14, 30))
    assert sweep().reminders == [ticket.id]
    assert sweep().reminders == []
    assert [m.to for m in outbox] == [(desk.technician.email,)]
    clock(zurich(2026, 11, 24, 16, 0))
    assert sweep().escalations == [ticket.id]
    sweep()
    assert _subjects(outbox) == [
        "Reminder: FirstReaction due 24.11.2026 16:00 (Europe/Zurich)",
        "FirstReaction breached",
    ]
    assert outbox[-1].to == (desk.chief.email,)
    escalation = db.session.scalar(select(Escalation))
    assert (escalation.reason, escalation.person_id, escalation.at) == (
        "breach",
        desk.chief.id,
        zurich(2026, 11, 24, 16, 0),
    )
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("reminder_sent") == 1 and kinds.count("breach_escalated") == 1


def test_a_given_first_reaction_stops_the_monitoring(desk, db, clock, outbox):
    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    outbox.clear()
    clock(zurich(2026, 11, 24, 17, 0))
    report = sweep()
    assert (report.reminders, report.escalations, outbox) == ([], [], [])


def test_an_unacknowledged_dispatch_is_renotified_once_per_interval(desk, db, clock, outbox):
    ticket = _dispatched(desk, db)
    outbox.clear()
    clock(zurich(2026, 11, 24, 10, 14))
    assert sweep().renotifications == []
    clock(zurich(2026, 11, 24, 10, 15))
    assert sweep().renotifications == [ticket.id]
    assert sweep().renotifications == []
    clock(zurich(2026, 11, 24, 10, 31))
    assert sweep().renotifications == [ticket.id]
    levels = db.session.scalars(
        select(Notification.level).where(Notification.kind == "unacknowledged")
    ).all()
    assert sorted(levels) == [1, 2]
    acknowledge(ticket, desk.technician)
    db.session.commit()
    clock(zurich(2026, 11, 24, 10, 50))
    assert sweep().renotifications == []
    assert len(outbox) == 2


def test_best_effort_tickets_are_never_escalated(desk, db, clock, make_site, outbox):
    site = make_site("basic", customer=desk.customer)
    ticket = intake.open_ticket(site, "Slow", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    acknowledge(ticket, desk.technician)
    db.session.commit()
    clock(zurich(2026, 12, 24, 10, 0))
    report = sweep()
    assert (report.reminders, report.escalations) == ([], [])


def test_the_sweep_command_runs_from_the_cli(desk, db, app, clock):
    _dispatched(desk, db)
    clock(zurich(2026, 11, 24, 16, 1))
    result = app.test_cli_runner().invoke(args=["servicedesk", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 escalation(s)" in result.output


def test_a_failed_send_is_retried_by_the_next_sweep(desk, db, clock, app, outbox):
    ticket = _dispatched(desk, db)
    acknowledge(ticket, desk.technician)
    db.session.commit()

    class Broken:
        def send(self, recipient, subject, body):
            raise OSError("SMTP down")

    app.config["SERVICEDESK_NOTIFIER"] = Broken()
    clock(zurich(2026, 11, 24, 14, 31))
    assert sweep().reminders == []
    app.config["SERVICEDESK_NOTIFIER"] = None
    assert sweep().reminders == [ticket.id]


def test_a_failing_notifier_records_the_escalation_once_and_sends_when_it_recovers(
    desk, db, clock, app, outbox
):
    ticket = _dispatched(desk, db)  # due 16:00
    acknowledge(ticket, desk.technician)
    db.session.commit()
    outbox.clear()
    attempts = []

    class Broken:
        def send(self, recipient, subject, body):
            attempts.append(subject)
            raise OSError("SMTP down")

    app.config["SERVICEDESK_NOTIFIER"] = Broken()
    for minute in (1, 2, 3):
        clock(zurich(2026, 11, 24, 16, minute))
        assert sweep().escalations == []
    assert len(attempts) == 3  # retried by every sweep ...
    escalations = db.session.scalars(select(Escalation)).all()
    assert [(e.reason, e.at) for e in escalations] == [("breach", zurich(2026, 11, 24, 16, 1))]
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("breach_escalated") == 1  # ... but recorded once, with the claim
    claim = db.session.scalar(select(Notification).where(Notification.kind == "breach"))
    assert (claim.sent_at, claim.failed_at is not None) == (None, True)
    app.config["SERVICEDESK_NOTIFIER"] = None
    clock(zurich(2026, 11, 24, 16, 4))
    assert sweep().escalations == [ticket.id]
    assert sweep().escalations == []
    assert _subjects(outbox) == ["FirstReaction breached"]
    assert len(db.session.scalars(select(Escalation)).all()) == 1
    db.session.refresh(claim)
    assert claim.sent_at == zurich(2026, 11, 24, 16, 4) and claim.failed_at is None


def test_a_first_reaction_on_an_escalated_ticket_stops_the_breach_escalation(
    desk, db, clock, outbox
):
    ticket = _dispatched(desk, db)
    clock(zurich(2026, 11, 24, 11, 0))
    work.escalate_third_level(ticket, desk.agent, desk.chief, "SBC down")
    work.record_first_reaction(ticket, desk.chief, "Failover started")
    db.session.commit()
    outbox.clear()
    clock(zurich(2026, 11, 24, 17, 0))
    report = sweep()
    assert (report.reminders, report.escalations, report.renotifications) == ([], [], [])
    assert outbox == []


@pytest.mark.postgres_only
def test_two_sweeps_at_once_send_each_reminder_and_escalation_exactly_once(
    desk, db, app, clock, outbox
):
    reminded = [_dispatched(desk, db) for _ in range(4)]
    for ticket in reminded:
        acknowledge(ticket, desk.technician)
    clock(zurich(2026, 11, 24, 8, 0))  # due 14:00; reminder 12:30
    breached = [_dispatched(desk, db) for _ in range(4)]
    for ticket in breached:
        acknowledge(ticket, desk.technician)
    db.session.commit()
    outbox.clear()
    at = zurich(2026, 11, 24, 15, 0)  # first four past 75 %, last four breached
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                try:
                    barrier.wait(timeout=30)
                    reports.append(sweep(at))
                finally:
                    database.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    sent_reminders = sorted(i for r in reports for i in r.reminders)
    sent_escalations = sorted(i for r in reports for i in r.escalations)
    assert sent_reminders == sorted(t.id for t in reminded)
    assert sent_escalations == sorted(t.id for t in breached)
    assert len(outbox) == 8
    assert db.session.scalar(select(database.func.count(Escalation.id))) == 4
