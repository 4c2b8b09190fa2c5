"""Reports: FirstReaction compliance per month, tier and customer; free units per year."""

from __future__ import annotations

from plugins.servicedesk import intake, reports, work
from plugins.servicedesk.dispatch import dispatch
from tests.servicedesk.conftest import zurich


def _ticket(desk, site, clock, at, react_at=None):
    clock(at)
    ticket = intake.open_ticket(site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    if react_at:
        clock(react_at)
        work.record_first_reaction(ticket, desk.technician)
    return ticket


def test_compliance_counts_met_breached_best_effort_with_the_tickets_behind(
    desk, db, clock, make_site
):
    basic = make_site("basic", customer=desk.customer)
    met = _ticket(desk, desk.site, clock, zurich(2026, 11, 3, 9), zurich(2026, 11, 3, 10))
    late = _ticket(desk, desk.site, clock, zurich(2026, 11, 4, 9), zurich(2026, 11, 4, 16))
    open_breach = _ticket(desk, desk.site, clock, zurich(2026, 11, 5, 9))
    effort = _ticket(desk, basic, clock, zurich(2026, 11, 6, 9, 30))
    _ticket(desk, desk.site, clock, zurich(2026, 12, 1, 9))  # another month
    db.session.commit()
    clock(zurich(2026, 11, 24, 10))
    total, rows = reports.compliance(2026, 11, by="tier")
    assert {o: [t.id for t in total.tickets[o]] for o in reports.OUTCOMES} == {
        "met": [met.id],
        "breached": [late.id, open_breach.id],
        "best_effort": [effort.id],
        "pending": [],
    }
    assert [r.label for r in rows] == ["basic", "pro"]
    assert rows[1].rate == "33 %"
    _total, by_customer = reports.compliance(2026, 11, by="customer")
    assert [r.label for r in by_customer] == ["Muster Treuhand AG"]


def test_free_units_used_per_contract_year(desk, db, clock):
    ticket = _ticket(desk, desk.site, clock, zurich(2026, 11, 3, 9), zurich(2026, 11, 3, 10))
    work.add_time(ticket, desk.technician, "remote", 20)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    [row] = reports.free_units_used()
    assert (row.units, row.ticket_ids, row.year_start.isoformat()) == (
        2,
        (ticket.id,),
        "2026-01-01",
    )


def test_a_first_reaction_given_on_an_escalated_ticket_counts_as_met(desk, db, clock):
    ticket = _ticket(desk, desk.site, clock, zurich(2026, 11, 10, 9))  # due 15:00
    clock(zurich(2026, 11, 10, 9, 30))
    work.escalate_third_level(ticket, desk.agent, desk.chief, "SBC down")
    clock(zurich(2026, 11, 10, 14, 0))
    work.record_first_reaction(ticket, desk.chief, "Failover started")
    db.session.commit()
    clock(zurich(2026, 11, 24, 10))
    assert reports.first_reaction_outcome(ticket, zurich(2026, 11, 24, 10)) == "met"
    total, _ = reports.compliance(2026, 11)
    assert [t.id for t in total.tickets["met"]] == [ticket.id]
