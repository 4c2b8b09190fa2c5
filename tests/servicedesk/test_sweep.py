"""The monitoring sweep: reminder at 75 %, escalation at breach, re-notification, once each."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.database import db as database
from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import acknowledge, dispatch
from plugins.servicedesk.jobs import sweep
from plugins.servicedesk.models import Escalation, Notification, Ticket
from plugins.servicedesk.vocabulary import Channel, TicketState
from tests.servicedesk.conftest import zurich
from tests.statements import recorded_statements


def _dispatched(desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    return ticket


def _subjects(sent_mail):
    return [m.subject.split("] ", 1)[1] for m in sent_mail]


def test_reminder_at_75_percent_then_escalation_at_breach_each_once(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)  # due 16:00, reminder at 14:30
    acknowledge(ticket, desk.technician)
    db.session.commit()
    sent_mail.clear()
    clock(zurich(2026, 11, 24, 14, 29))
    assert str(sweep()) == "0 reminder(s), 0 escalation(s), 0 re-notification(s)"
    clock(zurich(2026, 11, 24, 14, 30))
    assert sweep().reminders == [ticket.id]
    assert sweep().reminders == []
    assert [m.to for m in sent_mail] == [(desk.technician.email,)]
    clock(zurich(2026, 11, 24, 16, 0))
    assert sweep().escalations == [ticket.id]
    sweep()
    assert _subjects(sent_mail) == [
        "Reminder: FirstReaction due 24.11.2026 16:00 (Europe/Zurich)",
        "FirstReaction breached",
    ]
    assert sent_mail[-1].to == (desk.chief.email,)
    escalation = db.session.scalar(select(Escalation))
    assert (escalation.reason, escalation.person_id, escalation.at) == (
        "breach",
        desk.chief.id,
        zurich(2026, 11, 24, 16, 0),
    )
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("reminder_sent") == 1 and kinds.count("breach_escalated") == 1


def test_a_given_first_reaction_stops_the_monitoring(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    sent_mail.clear()
    clock(zurich(2026, 11, 24, 17, 0))
    report = sweep()
    assert (report.reminders, report.escalations, sent_mail) == ([], [], [])


def test_an_unacknowledged_dispatch_is_renotified_once_per_interval(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)
    sent_mail.clear()
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
    assert len(sent_mail) == 2


def test_best_effort_tickets_are_never_escalated(desk, db, clock, make_site, sent_mail):
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


def _outbox_message(db, kind):
    from app.models import OutboxMessage

    db.session.rollback()
    claim = db.session.scalar(select(Notification).where(Notification.kind == kind))
    return db.session.get(OutboxMessage, claim.outbox_message_id)


def test_a_failed_send_is_retried_by_the_outbox_not_claimed_again(desk, db, clock, app, sent_mail):
    from app.jobs import deliver_outbox

    ticket = _dispatched(desk, db)
    acknowledge(ticket, desk.technician)
    db.session.commit()
    sent_mail.clear()

    class Broken:
        def send(self, recipient, subject, body):
            raise OSError("SMTP down")

    app.config["SERVICEDESK_NOTIFIER"] = Broken()
    clock(zurich(2026, 11, 24, 14, 31))
    assert sweep().reminders == [ticket.id]  # claimed and queued once ...
    message = _outbox_message(db, "reminder")
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.last_error == "OSError: SMTP down"
    app.config["SERVICEDESK_NOTIFIER"] = None
    assert sweep().reminders == []  # ... never claimed again by a later sweep
    assert sent_mail == []
    clock(zurich(2026, 11, 24, 14, 32))  # the outbox retries it after one minute
    assert deliver_outbox().sent == [message.id]
    assert _subjects(sent_mail) == ["Reminder: FirstReaction due 24.11.2026 16:00 (Europe/Zurich)"]


def test_a_failing_notifier_records_the_escalation_once_and_sends_when_it_recovers(
    desk, db, clock, app, sent_mail
):
    from app.jobs import deliver_outbox

    ticket = _dispatched(desk, db)  # due 16:00
    acknowledge(ticket, desk.technician)
    db.session.commit()
    sent_mail.clear()
    attempts = []

    class Broken:
        def send(self, recipient, subject, body):
            attempts.append(subject)
            raise OSError("SMTP down")

    app.config["SERVICEDESK_NOTIFIER"] = Broken()
    clock(zurich(2026, 11, 24, 16, 1))
    assert sweep().escalations == [ticket.id]
    for minute in (2, 3, 7):
        clock(zurich(2026, 11, 24, 16, minute))
        assert sweep().escalations == []
        deliver_outbox()  # the periodic delivery task: retries at 16:02 and 16:07
    assert len(attempts) == 3  # after the commit at 16:01, then retried with back-off ...
    escalations = db.session.scalars(select(Escalation)).all()
    assert [(e.reason, e.at) for e in escalations] == [("breach", zurich(2026, 11, 24, 16, 1))]
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("breach_escalated") == 1  # ... but recorded once, with the claim
    message = _outbox_message(db, "breach")
    assert (message.state, message.sent_at) == ("pending", None)
    app.config["SERVICEDESK_NOTIFIER"] = None
    clock(zurich(2026, 11, 24, 16, 22))  # the fourth attempt: 15 minutes after the third
    assert deliver_outbox().sent == [message.id]
    assert deliver_outbox().sent == []
    assert sweep().escalations == []
    assert _subjects(sent_mail) == ["FirstReaction breached"]
    assert len(db.session.scalars(select(Escalation)).all()) == 1
    message = _outbox_message(db, "breach")
    assert (message.state, message.sent_at) == ("sent", zurich(2026, 11, 24, 16, 22))


def test_a_first_reaction_on_an_escalated_ticket_stops_the_breach_escalation(
    desk, db, clock, sent_mail
):
    ticket = _dispatched(desk, db)
    clock(zurich(2026, 11, 24, 11, 0))
    work.escalate_third_level(ticket, desk.agent, desk.chief, "SBC down")
    work.record_first_reaction(ticket, desk.chief, "Failover started")
    db.session.commit()
    sent_mail.clear()
    clock(zurich(2026, 11, 24, 17, 0))
    report = sweep()
    assert (report.reminders, report.escalations, report.renotifications) == ([], [], [])
    assert sent_mail == []


@pytest.mark.postgres_only
def test_two_sweeps_at_once_send_each_reminder_and_escalation_exactly_once(
    desk, db, app, clock, sent_mail
):
    reminded = [_dispatched(desk, db) for _ in range(4)]
    for ticket in reminded:
        acknowledge(ticket, desk.technician)
    clock(zurich(2026, 11, 24, 8, 0))  # due 14:00; reminder 12:30
    breached = [_dispatched(desk, db) for _ in range(4)]
    for ticket in breached:
        acknowledge(ticket, desk.technician)
    db.session.commit()
    sent_mail.clear()
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
    assert len(sent_mail) == 8
    assert db.session.scalar(select(database.func.count(Escalation.id))) == 4


# --- the next check on the ticket: kept by every change, used by the sweep ----------------


def test_every_change_sets_when_the_sweep_looks_at_the_ticket_next(desk, db, clock):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    db.session.commit()
    assert ticket.next_check_at is None  # not verified: no due time, nothing to watch
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    db.session.commit()
    assert ticket.next_check_at == zurich(2026, 11, 24, 14, 30)  # the reminder (75 %)
    dispatch(ticket, desk.agent)
    db.session.commit()
    assert ticket.next_check_at == zurich(2026, 11, 24, 10, 15)  # re-notify if not acknowledged
    acknowledge(ticket, desk.technician)
    db.session.commit()
    assert ticket.next_check_at == zurich(2026, 11, 24, 14, 30)
    clock(zurich(2026, 11, 24, 14, 30))
    assert sweep().reminders == [ticket.id]
    db.session.refresh(ticket)
    assert ticket.next_check_at == zurich(2026, 11, 24, 16, 0)  # then the breach
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    assert ticket.next_check_at is None


def test_a_fast_lane_confirmation_watches_from_the_confirmation(desk, db, clock):
    clock(zurich(2026, 11, 24, 20, 0))
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    db.session.commit()
    assert ticket.next_check_at is None  # offered, not confirmed: nothing due yet
    clock(zurich(2026, 11, 24, 20, 10))
    intake.answer_fast_lane(ticket, True, desk.agent)  # due 02:10 wall-clock, reminder 00:40
    acknowledge(ticket, desk.technician)
    db.session.commit()
    assert ticket.next_check_at == zurich(2026, 11, 25, 0, 40)


def test_a_reminder_already_due_when_the_caller_is_verified_late_is_still_sent(
    desk, db, clock, sent_mail
):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    db.session.commit()
    clock(zurich(2026, 11, 24, 15, 0))  # the reminder time (14:30) has passed meanwhile
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    db.session.commit()
    assert ticket.next_check_at == zurich(2026, 11, 24, 14, 30)
    assert sweep().reminders == [ticket.id]


def test_a_withdrawn_or_resolved_ticket_is_not_watched(desk, db, clock):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    intake.withdraw(ticket, desk.agent)
    db.session.commit()
    assert ticket.next_check_at is None


def test_with_nobody_on_duty_the_sweep_tries_again_next_time(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)
    acknowledge(ticket, desk.technician)
    desk.chief.active = False
    db.session.commit()
    clock(zurich(2026, 11, 24, 16, 1))
    assert sweep().escalations == []
    db.session.refresh(ticket)
    assert ticket.next_check_at == zurich(2026, 11, 24, 16, 0)  # still due
    desk.chief.active = True
    db.session.commit()
    clock(zurich(2026, 11, 24, 16, 2))
    assert sweep().escalations == [ticket.id]


# --- the sweep's cost: statements by what is due, not by what is open -------------------


def _open_tickets(desk, db, count: int, reported_at) -> None:
    """`count` dispatched, acknowledged tickets at 10:00 (due 16:00, reminder 14:30)."""
    due, reminder = zurich(2026, 11, 24, 16, 0), zurich(2026, 11, 24, 14, 30)
    db.session.add_all(
        Ticket(
            customer_id=desk.customer.id,
            site_id=desk.site.id,
            channel=Channel.PHONE,
            state=TicketState.DISPATCHED,
            summary="Phones dead",
            reported_at=reported_at,
            contract_id=1,
            tier_code="pro",
            reaction_kind="hours",
            inside_service_hours=True,
            first_reaction_due_at=due - (zurich(2026, 11, 24, 10, 0) - reported_at),
            reminder_at=reminder - (zurich(2026, 11, 24, 10, 0) - reported_at),
            technician_id=desk.technician.id,
            dispatched_at=reported_at,
            acknowledged_at=reported_at,
        )
        for _ in range(count)
    )
    db.session.commit()


def _sweep_counted(db, at):
    with recorded_statements(db.engine) as seen:
        report = sweep(at)
    return report, seen


def test_a_steady_sweep_over_200_open_tickets_takes_a_handful_of_statements(desk, db):
    _open_tickets(desk, db, 200, zurich(2026, 11, 24, 10, 0))
    report, seen = _sweep_counted(db, zurich(2026, 11, 24, 12, 0))
    assert (report.reminders, report.escalations, report.renotifications) == ([], [], [])
    assert len(seen) <= 10, seen


def test_a_sending_sweep_costs_statements_per_notification_not_per_open_ticket(desk, db, sent_mail):
    def sending_sweep(steady: int, due: int) -> int:
        _empty(db)
        _open_tickets(desk, db, steady, zurich(2026, 11, 24, 10, 0))
        _open_tickets(desk, db, due, zurich(2026, 11, 24, 8, 0))  # reminder at 12:30
        report, seen = _sweep_counted(db, zurich(2026, 11, 24, 13, 0))
        assert len(report.reminders) == due
        return len(seen)

    three_of_200 = sending_sweep(200, 3)
    three_of_400 = sending_sweep(400, 3)
    six_of_200 = sending_sweep(200, 6)
    assert three_of_400 == three_of_200  # the open tickets cost nothing
    per_notification = (six_of_200 - three_of_200) / 3
    assert 0 < per_notification <= 30
    assert six_of_200 == three_of_200 + 3 * per_notification  # linear in what is sent


def _empty(db):
    from app.models import OutboxMessage
    from plugins.servicedesk.models import TicketEvent

    for model in (Notification, TicketEvent, Ticket, OutboxMessage):
        db.session.query(model).delete()
    db.session.commit()
