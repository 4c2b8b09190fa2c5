"""The reaction-time report of a customer's month: every figure from a month of tickets
built by hand, the tier fit, the portal page and the PDF."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from plugins.servicedesk import intake, resolution_clock, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.reaction_report import reaction_report
from plugins.servicedesk.vocabulary import ReactionOutcome
from tests.factories import login
from tests.servicedesk.conftest import zurich

M, B = ReactionOutcome.MET, ReactionOutcome.BREACHED


def _call(desk, clock, at, summary):
    clock(at)
    ticket, result = intake.take_call(desk.site, summary, desk.caller, "4711", desk.agent)
    assert result.verified
    return ticket


@pytest.fixture
def month(desk, db, clock, make_site, factories):
    """November 2026 of the pro site (see each ticket's comment)."""
    t = {}
    # T2 Sat 21.11. 10:00, outside pro hours: Fast Lane 10:05 (due 16:05 wall-clock),
    # reacted 17:00 (breached), resolved 18:00 as major (due Tue 24.11. 19:00: met).
    t[2] = _call(desk, clock, zurich(2026, 11, 21, 10), "Saturday fault")
    clock(zurich(2026, 11, 21, 10, 5))
    intake.answer_fast_lane(t[2], True, desk.agent)
    clock(zurich(2026, 11, 21, 17))
    work.record_first_reaction(t[2], desk.technician)
    clock(zurich(2026, 11, 21, 18))
    work.add_time(t[2], desk.technician, "remote", 30)
    work.resolve(t[2], desk.technician, "customer_environment", "major")
    # T3 Mon 23.11. 20:00 outside: Fast Lane, reacted 20:30 (met), resolved 23:00 as a
    # base-system fault (the fee is zero-rated); critical from Tue 07:00 + 8 h: met.
    t[3] = _call(desk, clock, zurich(2026, 11, 23, 20), "Evening fault")
    intake.answer_fast_lane(t[3], True, desk.agent)
    clock(zurich(2026, 11, 23, 20, 30))
    work.record_first_reaction(t[3], desk.technician)
    clock(zurich(2026, 11, 23, 23))
    work.resolve(t[3], desk.technician, "base_system", "critical")
    # T1 Tue 24.11. 10:00 inside: reacted 11:00 (due 16:00), critical resolved 15:00.
    t[1] = _call(desk, clock, zurich(2026, 11, 24, 10), "Tuesday fault")
    dispatch(t[1], desk.agent)
    clock(zurich(2026, 11, 24, 11))
    work.record_first_reaction(t[1], desk.technician)
    clock(zurich(2026, 11, 24, 15))
    work.resolve(t[1], desk.technician, "customer_environment", "critical")
    # T4 Wed 25.11. 19:30 outside: Fast Lane withdrawn, nothing charged.
    t[4] = _call(desk, clock, zurich(2026, 11, 25, 19, 30), "Late fault")
    intake.answer_fast_lane(t[4], False, desk.agent)
    # T5 Thu 26.11. 09:00 inside: reacted 09:30, critical, paused 10:00-12:00, still
    # open: due Thu 19:00 (1 h + 7 h around the pause), breached by the 30th.
    t[5] = _call(desk, clock, zurich(2026, 11, 26, 9), "Thursday fault")
    dispatch(t[5], desk.agent)
    clock(zurich(2026, 11, 26, 9, 30))
    work.record_first_reaction(t[5], desk.technician)
    resolution_clock.set_severity(t[5], "critical", desk.technician)
    clock(zurich(2026, 11, 26, 10))
    resolution_clock.pause(t[5], "waiting_third_party", desk.technician)
    clock(zurich(2026, 11, 26, 12))
    resolution_clock.resume(t[5], desk.technician)
    # Not in the report: October, and another customer's ticket.
    intake.open_ticket(desk.site, "October", "phone", desk.agent, at=zurich(2026, 10, 30, 10))
    other = make_site("pro")
    intake.open_ticket(other, "Not theirs", "phone", desk.agent, at=zurich(2026, 11, 24, 10))
    db.session.commit()
    clock(zurich(2026, 11, 30, 12))
    return t


def test_every_figure_of_the_month(desk, db, month):
    report = reaction_report(desk.customer, 2026, 11, zurich(2026, 11, 30, 12))
    order = [month[n].id for n in (2, 3, 1, 4, 5)]
    assert [r.ticket.id for r in report.rows] == order
    rows = {r.ticket.id: r for r in report.rows}
    r2, r3, r1, r4, r5 = (rows[month[n].id] for n in (2, 3, 1, 4, 5))
    assert (r2.confirmed_at, r2.first_reaction_at, r2.resolved_at) == (
        zurich(2026, 11, 21, 10, 5),
        zurich(2026, 11, 21, 17),
        zurich(2026, 11, 21, 18),
    )
    assert r1.confirmed_at == zurich(2026, 11, 24, 10)  # verified at the call
    assert [r.reaction for r in (r2, r3, r1, r4, r5)] == [B, M, M, None, M]
    assert [r.resolution for r in (r2, r3, r1, r4, r5)] == [M, M, M, None, B]
    assert [r.inside_service_hours for r in (r2, r3, r1, r4, r5)] == [
        False,
        False,
        True,
        False,
        True,
    ]
    assert [r.fast_lane_fee for r in (r2, r3, r1, r4, r5)] == [
        Decimal("250.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]
    assert month[5].resolution_due_at == zurich(2026, 11, 26, 19)
    assert r5.paused == timedelta(hours=2)
    # Totals equal the log.
    assert (report.inside, report.outside) == (2, 3)
    assert (report.count(M), report.count(B)) == (3, 1)
    assert (report.count(M, "resolution"), report.count(B, "resolution")) == (3, 1)
    assert report.fast_lane_fees == Decimal("250.00")
    assert report.paused == timedelta(hours=2)
    # Tier fit: pro+ (Mo-Sa 07-19) covers Saturday 10:00; premium all three calls.
    fit = {o.tier_code: o for o in report.options}
    assert set(fit) == {"pro_plus", "premium"}
    assert [t.id for t in fit["pro_plus"].tickets] == [month[2].id]
    assert (fit["pro_plus"].fees, fit["pro_plus"].extra_per_month) == (
        Decimal("250.00"),
        Decimal("99.00"),  # 228.00 - 129.00
    )
    assert [t.id for t in fit["premium"].tickets] == [month[n].id for n in (2, 3, 4)]
    assert (fit["premium"].fees, fit["premium"].extra_per_month) == (
        Decimal("250.00"),
        Decimal("471.00"),  # 600.00 - 129.00
    )


def test_the_portal_page_and_the_pdf(client, desk, db, month, factories):
    customer_user = factories.user("customer", customer=desk.customer, language="en")
    login(client, customer_user)
    moved = client.get("/servicedesk/reports/reaction?month=2026-11")
    own = f"/servicedesk/reports/reaction/{desk.customer.id}"
    assert moved.status_code == 302 and moved.location.endswith(f"{own}?month=2026-11")
    page = client.get(f"{own}?month=2026-11")
    assert page.status_code == 200
    text = page.text
    assert month[2].number in text and "Not theirs" not in text
    assert (
        "With winCall pro+ 6x12h 1 call would have been inside service hours: "
        "CHF 250.00 Fast Lane fees against CHF 99.00 more per month." in text
    )
    assert "5 tickets: 2 inside, 3 outside service hours" in text
    pdf = client.get(f"{own}/pdf?month=2026-11")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    client.post("/logout")
    login(client, desk.agent)  # the desk has no reports right
    assert client.get(own).status_code == 404
    client.post("/logout")
    login(client, desk.chief)
    chief = client.get(f"{own}?month=2026-11")
    assert chief.status_code == 200 and month[3].number in chief.text
    client.post("/logout")
    stranger = factories.user("customer", language="en")  # another customer's user
    login(client, stranger)
    assert client.get(f"{own}?month=2026-11").status_code == 404
    assert client.get(f"{own}/pdf?month=2026-11").status_code == 404


def test_the_report_goes_with_the_invoice_mail_only_when_switched_on(desk, db, month):
    from app.toolkit import hooks
    from tests.factories import put_tariff

    def attachments(service_month):
        answers = hooks().invoice_mail_attachments(
            customer_id=desk.customer.id, service_month=service_month
        )
        return [a for answer in answers for a in answer]

    assert attachments("2026-11") == []  # [default] off
    put_tariff("servicedesk.reaction_report_with_invoice", date(2026, 1, 1), True)
    db.session.commit()
    (report,) = attachments("2026-11")
    assert report.filename == "reaktionszeiten-2026-11.pdf"  # in the customer's language
    assert report.content.startswith(b"%PDF")
    assert attachments("2026-09") == []  # a month without tickets: nothing


def test_the_invoice_of_december_carries_the_november_report(desk, db, month):
    from types import SimpleNamespace

    from plugins.invoicing.mailing import _plugin_attachments
    from tests.factories import put_tariff

    put_tariff("servicedesk.reaction_report_with_invoice", date(2026, 1, 1), True)
    db.session.commit()
    invoice = SimpleNamespace(is_credit_note=False, period="2026-12", customer_id=desk.customer.id)
    (attached,) = _plugin_attachments(invoice)
    assert attached.filename == "reaktionszeiten-2026-11.pdf"
    credit_note = SimpleNamespace(is_credit_note=True, period="2026-12", customer_id=1)
    assert _plugin_attachments(credit_note) == ()
