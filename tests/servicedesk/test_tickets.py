"""The ticket state machine, its event log, the on-call roster and 3rd-level escalation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.errors import RuleViolation
from plugins.servicedesk import intake, tickets, work
from plugins.servicedesk.dispatch import acknowledge, add_shift, dispatch, on_duty
from plugins.servicedesk.tickets import TRANSITIONS
from tests.servicedesk.conftest import zurich


def _dispatched(desk):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    return ticket


def test_every_state_is_reachable_and_terminal_states_stay_terminal():
    reachable = {"new"} | {s for targets in TRANSITIONS.values() for s in targets}
    assert reachable == set(TRANSITIONS)
    assert TRANSITIONS["withdrawn"] == TRANSITIONS["closed"] == frozenset()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("new", "dispatched"),
        ("verified", "resolved"),
        ("dispatched", "resolved"),
        ("resolved", "in_progress"),
        ("closed", "in_progress"),
        ("withdrawn", "verified"),
    ],
)
def test_forbidden_transitions_are_refused(desk, start, target):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    ticket.state = start
    with pytest.raises(RuleViolation):
        tickets.move(ticket, target, desk.agent)
    assert ticket.state == start


def test_a_ticket_runs_its_whole_life_and_logs_each_step_with_time_and_person(desk, clock):
    ticket = _dispatched(desk)
    clock(zurich(2026, 11, 24, 10, 20))
    acknowledge(ticket, desk.technician)
    work.record_first_reaction(ticket, desk.technician, "Provider outage ruled out")
    work.start_work(ticket, desk.technician)
    escalation = work.escalate_third_level(ticket, desk.technician, desk.chief, "SBC crash")
    work.resolve(ticket, desk.chief, "base_system", "critical")
    work.close(ticket, desk.chief)
    states = [(e.from_state, e.to_state) for e in ticket.events if e.to_state]
    assert states == [
        (None, "new"),
        ("new", "verified"),
        ("verified", "dispatched"),
        ("dispatched", "reacted"),
        ("reacted", "in_progress"),
        ("in_progress", "escalated"),
        ("escalated", "resolved"),
        ("resolved", "closed"),
    ]
    assert ticket.first_reaction_at == zurich(2026, 11, 24, 10, 20)
    assert ticket.first_reaction_at <= ticket.first_reaction_due_at
    assert (escalation.level, escalation.person_id, escalation.recorded_by_id) == (
        3,
        desk.chief.id,
        desk.technician.id,
    )
    assert escalation.at == zurich(2026, 11, 24, 10, 20)
    assert all(e.actor for e in ticket.events)


def test_only_a_chief_joins_at_third_level(desk):
    ticket = _dispatched(desk)
    work.record_first_reaction(ticket, desk.technician)
    with pytest.raises(RuleViolation):
        work.escalate_third_level(ticket, desk.technician, desk.technician)


def test_time_is_logged_only_while_the_ticket_is_worked(desk):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    with pytest.raises(RuleViolation):
        work.add_time(ticket, desk.technician, "remote", 30)
    ticket = _dispatched(desk)
    with pytest.raises(RuleViolation):
        work.add_time(ticket, desk.technician, "lunch", 30)
    with pytest.raises(RuleViolation):
        work.add_time(ticket, desk.technician, "remote", 0)
    assert work.add_time(ticket, desk.technician, "on_site", 45).minutes == 45


def test_roster_shift_wins_over_the_fallback(desk, factories, db):
    night = factories.user("technician", name="Nina Nacht")
    add_shift(night, "technician", zurich(2026, 11, 24, 19, 0), zurich(2026, 11, 25, 7, 0))
    db.session.commit()
    assert on_duty("technician", zurich(2026, 11, 24, 23, 0)) == night
    assert on_duty("technician", zurich(2026, 11, 25, 7, 0)) == desk.technician  # fallback


def test_inactive_people_are_never_dispatched(desk, factories, db):
    desk.technician.active = False
    db.session.commit()
    assert on_duty("technician", zurich(2026, 11, 24, 10, 0)) is None
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    with pytest.raises(RuleViolation, match="Niemand hat Pikett"):
        dispatch(ticket, desk.agent)


def test_a_shift_needs_the_right_role_and_times(desk):
    with pytest.raises(RuleViolation):
        add_shift(desk.agent, "technician", fallback=True)
    with pytest.raises(RuleViolation):
        add_shift(desk.technician, "chief", fallback=True)
    with pytest.raises(RuleViolation):
        add_shift(desk.technician, "technician", zurich(2026, 11, 25), zurich(2026, 11, 24))


def test_customer_portal_ticket_follows_the_same_rules_as_a_call(desk, factories, clock):
    customer_user = factories.user("customer", customer=desk.customer)
    ticket = intake.portal_ticket(desk.site, "No calls", "", customer_user)
    assert ticket.state == "dispatched"  # inside hours: covered by the CLA
    clock(zurich(2026, 11, 24, 22, 0))
    late = intake.portal_ticket(desk.site, "No calls again", "", customer_user)
    assert (late.state, late.fast_lane_fee) == ("verified", Decimal("250.00"))
    intake.answer_fast_lane(late, True, customer_user)
    assert late.state == "dispatched" and late.fast_lane
    stranger = factories.user("customer")
    with pytest.raises(RuleViolation):
        intake.portal_ticket(desk.site, "Not mine", "", stranger)


def test_a_first_reaction_after_a_third_level_escalation_is_recorded_once(desk, db, clock):
    ticket = _dispatched(desk)  # reported Tue 10:00, due 16:00
    clock(zurich(2026, 11, 24, 10, 30))
    work.escalate_third_level(ticket, desk.agent, desk.chief, "SBC down")
    clock(zurich(2026, 11, 24, 11, 0))
    work.record_first_reaction(ticket, desk.chief, "Failover started")
    db.session.commit()
    assert ticket.state == "escalated"  # the reaction does not leave the 3rd level
    assert (ticket.first_reaction_at, ticket.first_reaction_by_id) == (
        zurich(2026, 11, 24, 11, 0),
        desk.chief.id,
    )
    assert [e.kind for e in ticket.events].count("reacted") == 1
    with pytest.raises(RuleViolation):
        work.record_first_reaction(ticket, desk.technician, "again")
    work.start_work(ticket, desk.technician)
    assert ticket.state == "in_progress"


def test_a_first_reaction_needs_a_dispatched_ticket(desk):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    with pytest.raises(RuleViolation):
        work.record_first_reaction(ticket, desk.technician)
    assert ticket.first_reaction_at is None


def test_a_person_stands_a_duty_once_at_a_time(desk, factories, db):
    night = factories.user("technician", name="Nina Nacht")
    add_shift(night, "technician", zurich(2026, 11, 24, 19, 0), zurich(2026, 11, 25, 7, 0))
    db.session.commit()
    with pytest.raises(RuleViolation) as refused:
        add_shift(night, "technician", zurich(2026, 11, 25, 6, 0), zurich(2026, 11, 25, 12, 0))
    assert str(refused.value) == (
        "Nina Nacht hat den Dienst «Techniker» schon vom 24.11.2026 19:00 bis 25.11.2026 07:00."
    )
    db.session.rollback()
    # Back to back is no overlap; another duty or another person at the same time is.
    add_shift(night, "technician", zurich(2026, 11, 25, 7, 0), zurich(2026, 11, 25, 12, 0))
    add_shift(desk.technician, "technician", zurich(2026, 11, 24, 20), zurich(2026, 11, 25, 2))
    chief = factories.user("chief", name="Chris Chef")
    add_shift(chief, "technician", zurich(2026, 11, 24, 19), zurich(2026, 11, 25, 7))
    add_shift(chief, "chief", zurich(2026, 11, 24, 19), zurich(2026, 11, 25, 7))
    db.session.commit()
