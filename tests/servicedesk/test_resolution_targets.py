"""Resolution targets by severity: the clock by hand across a weekend, a holiday and both
daylight-saving switches; pauses; the sweep's reminder and escalation once each."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.seed import TIER_CATALOG
from plugins.servicedesk import intake, resolution_clock, work
from plugins.servicedesk.business_calendar import ServiceSchedule
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.jobs import sweep
from plugins.servicedesk.models import Escalation, Notification
from plugins.servicedesk.reports import pause_time, resolution_outcome
from plugins.servicedesk.resolution import (
    DEFAULT_TARGETS,
    Pause,
    ResolutionTargetsKind,
    resolution_due,
    resolution_reminder,
    target_for,
)
from plugins.servicedesk.vocabulary import ReactionOutcome, Severity, TicketState
from tests.servicedesk.conftest import zurich


def schedule(code: str) -> ServiceSchedule:
    tier = next(t for t in TIER_CATALOG if t["code"] == code)
    return ServiceSchedule.from_spec(
        tier["service_windows"], holidays_closed=tier["holidays_closed"]
    )


def due(code, severity, reported, pauses=()):
    target = target_for(DEFAULT_TARGETS, code, severity)
    return resolution_due(schedule(code), target, reported, pauses)


# Hand-computed: (tier, severity, reported in Zurich, due in Zurich)
CASES = [
    # Weekend: pro Fri 15:00 + 8 h: Fri 15-19 (4 h), Mon 07:00 + 4 h.
    ("pro", "critical", zurich(2026, 11, 27, 15), zurich(2026, 11, 30, 11)),
    # Holiday: Thu 24.12. 16:00 + 8 h: Thu 16-19 (3 h), Fri 25.12. Christmas, weekend,
    # Mon 28.12. 07:00 + 5 h.
    ("pro", "critical", zurich(2026, 12, 24, 16), zurich(2026, 12, 28, 12)),
    # 2 business days from Wed 23.12.: Thu 24.12., (Christmas, weekend), Mon 28.12. 19:00.
    ("pro", "major", zurich(2026, 12, 23, 10), zurich(2026, 12, 28, 19)),
    # 5 business days from Tue 24.11.: Wed, Thu, Fri, Mon, Tue 1.12. 19:00.
    ("pro_plus", "minor", zurich(2026, 11, 24, 10), zurich(2026, 12, 1, 19)),
    # Spring switch (29.03.2026 02:00 -> 03:00): premium wall-clock 00:30 CET + 4 h real
    # = 05:30 CEST.
    ("premium", "critical", zurich(2026, 3, 29, 0, 30), zurich(2026, 3, 29, 5, 30)),
    # pro+ Sat 28.03. 17:00 + 8 h in service hours: Sat 17-19 (2 h), Sunday closed,
    # Mon 30.03. 07:00 CEST + 6 h (the windows keep their local hours).
    ("pro_plus", "critical", zurich(2026, 3, 28, 17), zurich(2026, 3, 30, 13)),
    # Autumn switch (25.10.2026 03:00 -> 02:00): premium 00:00 CEST + 8 h real = 07:00 CET.
    ("premium", "major", zurich(2026, 10, 25, 0), zurich(2026, 10, 25, 7)),
    # premium 3 business days from Fri 23.10.: Mon, Tue, Wed 28.10. 24:00 (CET).
    ("premium", "minor", zurich(2026, 10, 23, 10), zurich(2026, 10, 29, 0)),
]


@pytest.mark.parametrize(("code", "severity", "reported", "expected"), CASES)
def test_resolution_due_by_hand(code, severity, reported, expected):
    assert due(code, severity, reported) == expected.astimezone(UTC)


def test_spring_switch_premium_is_four_real_hours():
    reported = zurich(2026, 3, 29, 0, 30)
    assert due("premium", "critical", reported) - reported == timedelta(hours=4)
    # ... although the wall clock moved five hours.
    assert due("premium", "critical", reported).astimezone(reported.tzinfo).hour == 5


def test_basic_tiers_are_best_effort():
    for code in ("basic", "basic_plus"):
        assert target_for(DEFAULT_TARGETS, code, "critical") is None
        assert due(code, "critical", zurich(2026, 11, 24, 10)) is None


def test_a_pause_moves_the_due_time_by_its_service_time():
    reported = zurich(2026, 11, 24, 10)  # Tue; pro critical due 18:00 unpaused
    assert due("pro", "critical", reported) == zurich(2026, 11, 24, 18)
    # 2.5 h paused: 18:00 + 2.5 h = Tue 19:00 (1 h) and Wed 07:00 + 1.5 h.
    lunch = [Pause(zurich(2026, 11, 24, 11), zurich(2026, 11, 24, 13, 30))]
    assert due("pro", "critical", reported, lunch) == zurich(2026, 11, 25, 8, 30)
    # Overnight pause Tue 17:00 - Wed 09:00: 7 h ran before it, 1 h after: Wed 10:00.
    night = [Pause(zurich(2026, 11, 24, 17), zurich(2026, 11, 25, 9))]
    assert due("pro", "critical", reported, night) == zurich(2026, 11, 25, 10)
    # Still paused: no due time at all.
    assert due("pro", "critical", reported, [Pause(zurich(2026, 11, 24, 11), None)]) is None
    # A pause after the due time moves nothing (the breach stands).
    late = [Pause(zurich(2026, 11, 24, 18, 30), zurich(2026, 11, 25, 9))]
    assert due("pro", "critical", reported, late) == zurich(2026, 11, 24, 18)


def test_a_pause_moves_a_business_day_target():
    # pro major from Tue 10:00: Thu 26.11. 19:00; a pause all of Wednesday's service
    # hours (12 h) moves it by Friday's 12 h.
    reported = zurich(2026, 11, 24, 10)
    assert due("pro", "major", reported) == zurich(2026, 11, 26, 19)
    wednesday = [Pause(zurich(2026, 11, 25, 7), zurich(2026, 11, 25, 19))]
    assert due("pro", "major", reported, wednesday) == zurich(2026, 11, 27, 19)


def test_reminder_at_75_percent_on_the_paused_clock():
    reported = zurich(2026, 11, 24, 10)
    target = target_for(DEFAULT_TARGETS, "pro", "critical")
    pro = schedule("pro")
    assert resolution_reminder(pro, target, reported, [], Decimal("75")) == zurich(2026, 11, 24, 16)
    pauses = [Pause(zurich(2026, 11, 24, 11), zurich(2026, 11, 24, 12))]
    assert resolution_reminder(pro, target, reported, pauses, Decimal("75")) == zurich(
        2026, 11, 24, 17
    )


def test_targets_are_checked_data():
    kind = ResolutionTargetsKind()
    assert kind.parse(DEFAULT_TARGETS) == DEFAULT_TARGETS
    with pytest.raises(ValueError, match="row 1"):
        kind.parse([{"tier": "pro", "severity": "urgent", "amount": 8, "unit": "h"}])
    with pytest.raises(ValueError, match="row 2"):
        kind.parse(
            '[{"tier": "pro", "severity": "minor", "amount": 8, "unit": "h"},'
            ' {"tier": "pro", "severity": "minor", "amount": 2, "unit": "business_days"}]'
        )


# --- on the ticket ------------------------------------------------------------------


def _dispatched(desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    return ticket


def test_severity_pause_and_resume_move_the_due_time(desk, db, clock):
    ticket = _dispatched(desk, db)  # Tue 24.11. 10:00, pro
    work.record_first_reaction(ticket, desk.technician)
    resolution_clock.set_severity(ticket, Severity.CRITICAL, desk.technician)
    db.session.commit()
    assert ticket.resolution_due_at == zurich(2026, 11, 24, 18)
    assert ticket.resolution_reminder_at == zurich(2026, 11, 24, 16)
    clock(zurich(2026, 11, 24, 11))
    resolution_clock.pause(ticket, TicketState.WAITING_CUSTOMER, desk.technician, "log file")
    db.session.commit()
    assert ticket.state == TicketState.WAITING_CUSTOMER
    assert ticket.resolution_due_at is None and ticket.next_check_at is None
    clock(zurich(2026, 11, 24, 12))
    resolution_clock.pause(ticket, TicketState.WAITING_THIRD_PARTY, desk.technician)
    clock(zurich(2026, 11, 24, 13, 30))
    work.start_work(ticket, desk.technician)
    db.session.commit()
    assert [(p.state, p.started_at, p.ended_at) for p in ticket.pauses] == [
        ("waiting_customer", zurich(2026, 11, 24, 11), zurich(2026, 11, 24, 12)),
        ("waiting_third_party", zurich(2026, 11, 24, 12), zurich(2026, 11, 24, 13, 30)),
    ]
    assert ticket.resolution_due_at == zurich(2026, 11, 25, 8, 30)
    assert pause_time(ticket, zurich(2026, 11, 24, 14)) == timedelta(hours=2, minutes=30)
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("waiting_customer") == 1 and kinds.count("waiting_third_party") == 1
    clock(zurich(2026, 11, 25, 8))
    work.resolve(ticket, desk.technician, "customer_environment", "critical")
    db.session.commit()
    assert resolution_outcome(ticket, zurich(2026, 11, 25, 9)) == ReactionOutcome.MET


def test_resolving_while_paused_ends_the_pause(desk, db, clock):
    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    resolution_clock.set_severity(ticket, "critical", desk.technician)
    clock(zurich(2026, 11, 24, 11))
    resolution_clock.pause(ticket, "waiting_customer", desk.technician)
    clock(zurich(2026, 11, 24, 19))
    work.resolve(ticket, desk.technician, "customer_environment", "critical")
    db.session.commit()
    assert ticket.pauses[0].ended_at == zurich(2026, 11, 24, 19)
    # 8 h pause (11-19): 1 h ran before it, 7 h from Wed 07:00.
    assert ticket.resolution_due_at == zurich(2026, 11, 25, 14)
    assert resolution_outcome(ticket, zurich(2026, 11, 24, 19)) == ReactionOutcome.MET


def test_sweep_reminds_and_escalates_the_resolution_once(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    resolution_clock.set_severity(ticket, "critical", desk.technician)
    db.session.commit()
    sent_mail.clear()
    clock(zurich(2026, 11, 24, 15, 59))
    assert sweep().resolution_reminders == []
    clock(zurich(2026, 11, 24, 16))
    assert sweep().resolution_reminders == [ticket.id]
    assert sweep().resolution_reminders == []
    # A new severity moves the due time; the reminder was this ticket's event: not again.
    resolution_clock.set_severity(ticket, "major", desk.technician)
    resolution_clock.set_severity(ticket, "critical", desk.technician)
    db.session.commit()
    assert sweep().resolution_reminders == []
    clock(zurich(2026, 11, 24, 18))
    report = sweep()
    assert report.resolution_escalations == [ticket.id]
    assert "1 resolution escalation(s)" in str(report)
    assert sweep().resolution_escalations == []
    clock(zurich(2026, 11, 25, 9))
    assert sweep().resolution_escalations == []
    subjects = [m.subject.split("] ", 1)[1] for m in sent_mail]
    assert subjects == [
        "Reminder: resolution due 24.11.2026 18:00 (Europe/Zurich)",
        "Resolution overdue",
    ]
    assert [m.to for m in sent_mail] == [(desk.technician.email,), (desk.chief.email,)]
    escalation = db.session.scalar(select(Escalation))
    assert (escalation.reason, escalation.at) == ("resolution_breach", zurich(2026, 11, 24, 18))
    kinds = {n.kind for n in db.session.scalars(select(Notification))}
    assert {"resolution_reminder", "resolution_breach"} <= kinds
    assert ticket.next_check_at is None


def test_sweep_is_silent_while_paused(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    resolution_clock.set_severity(ticket, "critical", desk.technician)
    clock(zurich(2026, 11, 24, 11))
    resolution_clock.pause(ticket, "waiting_customer", desk.technician)
    db.session.commit()
    sent_mail.clear()
    clock(zurich(2026, 11, 24, 23))
    report = sweep()
    assert (report.resolution_reminders, report.resolution_escalations) == ([], [])
    assert sent_mail == []


def test_a_pause_never_stops_the_first_reaction_clock(desk, db, clock, sent_mail):
    ticket = _dispatched(desk, db)  # FirstReaction due 16:00
    work.escalate_third_level(ticket, desk.agent, desk.chief)
    resolution_clock.pause(ticket, "waiting_third_party", desk.chief)
    db.session.commit()
    assert ticket.first_reaction_at is None
    clock(zurich(2026, 11, 24, 16))
    assert sweep().escalations == [ticket.id]


def test_best_effort_tier_has_no_resolution_due(desk, db, make_site, factories):
    site = make_site("basic", customer=desk.customer, name="Lager")
    ticket = intake.open_ticket(site, "Phone dead", "phone", desk.agent)
    resolution_clock.set_severity(ticket, "critical", desk.agent)
    db.session.commit()
    assert ticket.resolution_due_at is None
    assert resolution_outcome(ticket, zurich(2026, 12, 24, 10)) is None  # still new


def test_pages_and_api_set_severity_pause_and_resume(client, desk, db, clock, factories):
    from tests.factories import login

    ticket = _dispatched(desk, db)
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    login(client, desk.technician)
    url = f"/servicedesk/tickets/{ticket.id}/work"
    client.post(f"{url}/severity", data={"severity": "critical"})
    clock(zurich(2026, 11, 24, 11))
    client.post(f"{url}/pause", data={"state": "waiting_customer", "note": "log file"})
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "clock stopped (waiting)" in page
    db.session.refresh(ticket)
    assert ticket.state == "waiting_customer"
    headers = {"Authorization": f"Bearer {factories.token(desk.technician)}"}
    api = f"/api/v1/servicedesk/tickets/{ticket.id}"
    refused = client.post(f"{api}/pause", json={"state": "resolved"}, headers=headers)
    assert refused.status_code == 422 and ticket.state == "waiting_customer"
    clock(zurich(2026, 11, 24, 13, 30))
    resumed = client.post(f"{api}/resume", json={}, headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json["resolution_due_at"].startswith("2026-11-25T07:30")  # 08:30 Zurich
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "2 h 30 min" in page
    bad = client.post(f"{api}/severity", json={"severity": "urgent"}, headers=headers)
    assert bad.status_code == 422
