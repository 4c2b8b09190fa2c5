"""Call intake: finding the customer, verifying the caller, the CLA and its cost consequence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import RuleViolation
from plugins.servicedesk import intake
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.models import Ticket, VerificationAttempt
from tests.servicedesk.conftest import zurich


def _call(desk, summary="Telephones dead"):
    return intake.open_ticket(desk.site, summary, "phone", desk.agent)


@pytest.mark.parametrize(
    "query",
    ["Muster", "hauptsitz", "Anna Anrufer", "0791234567", "+41 56 222 33 00", "056 222 33 44"],
)
def test_desk_finds_the_customer_by_name_site_contact_or_phone(desk, db, query):
    found = db.session.scalars(intake.find_callers(query)).all()
    assert [c.id for c in found] == [desk.customer.id]


def test_unknown_caller_finds_nobody(desk, db):
    assert db.session.scalars(intake.find_callers("Nobody GmbH")).all() == []


def test_situation_inside_service_hours_says_the_dispatch_is_covered(desk):
    found = intake.situation(desk.site)
    assert found.tier.tier_code == "pro"
    assert found.inside_service_hours
    assert "durch das CLA gedeckt" in found.consequence  # outside a request: German
    with force_locale("en"):
        assert "covered by the CLA" in found.consequence
    assert found.due_if_now == zurich(2026, 11, 24, 16, 0)
    assert found.free_units.left == 4


def test_situation_outside_service_hours_states_the_fast_lane_fee(desk, clock):
    clock(zurich(2026, 11, 24, 21, 0))
    found = intake.situation(desk.site)
    assert not found.inside_service_hours
    assert found.fast_lane_fee == Decimal("250.00")
    assert "CHF 250.00" in found.consequence
    assert "Fast Lane" in found.consequence


def test_site_without_cla_cannot_open_a_ticket(factories, desk, db):
    site = factories.site(desk.customer, name="Lager")
    with force_locale("en"):
        assert "no CLA" in intake.situation(site).consequence
    with pytest.raises(RuleViolation):
        intake.open_ticket(site, "Phones dead", "phone", desk.agent)


def test_the_right_pin_verifies_the_caller_and_records_the_attempt(desk, db):
    ticket = _call(desk)
    result = intake.verify(ticket, desk.caller, "4711", desk.agent)
    assert result.verified
    assert ticket.state == "verified"
    assert ticket.contact_id == desk.caller.id
    attempt = db.session.scalar(select(VerificationAttempt))
    assert (attempt.outcome, attempt.agent_id, attempt.ticket_id) == (
        "verified",
        desk.agent.id,
        ticket.id,
    )


def test_wrong_pins_are_counted_and_lock_the_contact(desk, db):
    ticket = _call(desk)
    results = [intake.verify(ticket, desk.caller, "0000", desk.agent) for _ in range(3)]
    assert [r.outcome for r in results] == ["wrong_pin"] * 3
    assert [r.failures_left for r in results] == [2, 1, 0]
    locked = intake.verify(ticket, desk.caller, "4711", desk.agent)  # right PIN, but locked
    assert (locked.verified, locked.outcome) == (False, "locked")
    assert ticket.state == "new"
    outcomes = db.session.scalars(select(VerificationAttempt.outcome)).all()
    assert outcomes == ["wrong_pin", "wrong_pin", "wrong_pin", "locked"]


def test_lock_ends_after_the_lockout_window(desk, clock):
    ticket = _call(desk)
    for _ in range(3):
        intake.verify(ticket, desk.caller, "0000", desk.agent)
    clock(zurich(2026, 11, 24, 10, 16))
    assert intake.verify(ticket, desk.caller, "4711", desk.agent).verified


def test_a_contact_who_is_no_authorised_caller_is_refused(desk, factories):
    other = factories.contact(desk.customer, "Bea Buchhaltung", authorised_caller=False, pin=None)
    ticket = _call(desk)
    result = intake.verify(ticket, other, "4711", desk.agent)
    assert result.outcome == "not_authorised"


def test_a_contact_of_another_customer_is_refused(desk, factories):
    stranger = factories.contact(factories.customer(), "Fritz Fremd", pin="4711")
    result = intake.verify(_call(desk), stranger, "4711", desk.agent)
    assert result.outcome == "not_authorised"


def test_an_unverified_caller_is_never_dispatched(desk):
    ticket = _call(desk)
    intake.verify(ticket, desk.caller, "9999", desk.agent)
    with pytest.raises(RuleViolation):
        dispatch(ticket, desk.agent)


def test_inside_hours_the_desk_dispatches_under_the_cla(desk, db, sent_mail):
    ticket = _call(desk)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    assert ticket.state == "dispatched"
    assert ticket.technician_id == desk.technician.id
    assert not ticket.fast_lane
    assert ticket.first_reaction_due_at == zurich(2026, 11, 24, 16, 0)
    assert sent_mail == []  # the technician is told once the dispatch is committed
    db.session.commit()
    assert [m.to for m in sent_mail] == [(desk.technician.email,)]


def test_the_ticket_keeps_the_cla_in_force_at_the_report(desk, db):
    ticket = _call(desk)
    assert (ticket.tier_code, ticket.inside_service_hours) == ("pro", True)
    assert db.session.get(Ticket, ticket.id).events[0].kind == "opened"
