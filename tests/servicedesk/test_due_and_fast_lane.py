"""FirstReaction due times of tickets (SPEC 2) and the Fast Lane offer outside hours (SPEC 4.2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.errors import RuleViolation
from plugins.servicedesk import intake
from tests.factories import put_tariff
from tests.servicedesk.conftest import zurich


def _verified(desk, site=None):
    ticket = intake.open_ticket(site or desk.site, "No dial tone", "phone", desk.agent)
    assert intake.verify(ticket, desk.caller, "4711", desk.agent).verified
    return ticket


def test_spec_pro_reported_tuesday_10_is_due_tuesday_16(desk, clock):
    clock(zurich(2026, 11, 24, 10, 0))
    assert _verified(desk).first_reaction_due_at == zurich(2026, 11, 24, 16, 0)


def test_spec_pro_reported_friday_18_30_is_due_monday_12_30(desk, clock):
    clock(zurich(2026, 11, 27, 18, 30))
    ticket = _verified(desk)
    assert ticket.inside_service_hours
    assert ticket.first_reaction_due_at == zurich(2026, 11, 30, 12, 30)


def test_spec_basic_plus_friday_20_00_fast_lane_is_due_monday_18_00(desk, make_site, clock):
    site = make_site("basic_plus", customer=desk.customer)
    clock(zurich(2026, 11, 27, 20, 0))
    ticket = _verified(desk, site)
    assert not ticket.inside_service_hours
    intake.answer_fast_lane(ticket, True, desk.agent)
    # "next business day" keeps its normal rule, counted from the confirmation.
    assert ticket.first_reaction_due_at == zurich(2026, 11, 30, 18, 0)


def test_fast_lane_counts_the_cla_hours_in_wall_clock_time_from_the_confirmation(desk, clock):
    clock(zurich(2026, 11, 24, 21, 0))
    ticket = _verified(desk)
    assert ticket.state == "verified"
    assert ticket.fast_lane_fee == Decimal("250.00")
    assert ticket.first_reaction_due_at is None  # nothing is due before the answer
    clock(zurich(2026, 11, 24, 21, 4))
    intake.answer_fast_lane(ticket, True, desk.agent)
    assert ticket.fast_lane
    assert ticket.fast_lane_answered_at == zurich(2026, 11, 24, 21, 4)
    assert ticket.fast_lane_answered_by_id == desk.agent.id
    assert ticket.first_reaction_due_at == zurich(2026, 11, 25, 3, 4)
    assert ticket.state == "dispatched"
    # the reminder at 75 % of the 6 wall-clock hours
    assert ticket.reminder_at == zurich(2026, 11, 25, 1, 34)


def test_withdrawn_fast_lane_costs_nothing_and_is_recorded(desk, clock):
    clock(zurich(2026, 11, 28, 9, 0))  # Saturday: pro is closed
    ticket = _verified(desk)
    intake.answer_fast_lane(ticket, False, desk.agent)
    assert ticket.state == "withdrawn"
    assert ticket.fast_lane_answer == "withdrawn"
    assert ticket.fast_lane_fee is None
    assert ticket.fast_lane_answered_by_id == desk.agent.id
    assert [e.kind for e in ticket.events][-2:] == ["fast_lane_withdrawn", "withdrawn"]
    assert ticket.charges == []


def test_the_offer_is_answered_once(desk, clock):
    clock(zurich(2026, 11, 24, 21, 0))
    ticket = _verified(desk)
    intake.answer_fast_lane(ticket, True, desk.agent)
    with pytest.raises(RuleViolation):
        intake.answer_fast_lane(ticket, False, desk.agent)


def test_inside_hours_there_is_no_fast_lane_offer(desk):
    ticket = _verified(desk)
    with pytest.raises(RuleViolation):
        intake.answer_fast_lane(ticket, True, desk.agent)


def test_premium_is_always_inside_service_hours_even_on_holidays(desk, make_site, clock):
    site = make_site("premium", customer=desk.customer)
    clock(zurich(2026, 12, 25, 3, 0))  # Christmas night
    ticket = _verified(desk, site)
    assert ticket.inside_service_hours
    assert ticket.first_reaction_due_at == zurich(2026, 12, 25, 4, 0)


def test_best_effort_has_no_due_time(desk, make_site, clock):
    site = make_site("basic", customer=desk.customer)
    clock(zurich(2026, 11, 24, 9, 30))
    ticket = _verified(desk, site)
    assert ticket.inside_service_hours
    assert ticket.first_reaction_due_at is None
    # Outside a request texts are in the host's language, German.
    assert intake.due_text(ticket) == "nach bestem Bemühen"
    with force_locale("en"):
        assert intake.due_text(ticket) == "best effort"


def test_company_closing_days_stop_the_clock(desk, clock, db):
    put_tariff("servicedesk.closing_days", date(2026, 1, 1), '["2026-11-30"]')
    db.session.commit()
    clock(zurich(2026, 11, 27, 18, 30))
    # Monday is closed: 30 min Friday, 5 h 30 on Tuesday
    assert _verified(desk).first_reaction_due_at == zurich(2026, 12, 1, 12, 30)


def test_excluded_holidays_are_working_days(desk, clock, db):
    put_tariff("servicedesk.holidays_excluded", date(2026, 1, 1), '["2026-12-25"]')
    db.session.commit()
    clock(zurich(2026, 12, 24, 18, 0))
    # 1 h on Thursday 24th, 5 h on Friday 25th (a working day here)
    assert _verified(desk).first_reaction_due_at == zurich(2026, 12, 25, 12, 0)


def test_reminder_at_75_percent_counts_service_hours(desk, clock):
    clock(zurich(2026, 11, 27, 18, 30))
    ticket = _verified(desk)
    # 6 service hours, 75 % = 4 h 30: 30 min on Friday, 4 h on Monday from 07:00
    assert ticket.reminder_at == zurich(2026, 11, 30, 11, 0)


def test_due_time_does_not_shift_across_the_daylight_saving_change(desk, clock):
    clock(zurich(2026, 10, 23, 18, 0))  # Friday before the switch on Sunday 25 October
    assert _verified(desk).first_reaction_due_at == zurich(2026, 10, 26, 12, 0)
