"""Issue 12 (6-8) on the pages: what the desk, the customer and the technician read."""

from __future__ import annotations

from sqlalchemy import select

from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import add_shift, dispatch
from plugins.servicedesk.models import Ticket
from tests.factories import login
from tests.servicedesk.conftest import zurich

TUESDAY_21 = zurich(2026, 11, 24, 21, 0)


def _call(client, desk, pin, **fields):
    data = {"contact_id": desk.caller.id, "pin": pin, "summary": "No dial tone", **fields}
    return client.post(f"/servicedesk/desk/sites/{desk.site.id}", data=data)


# --- 6: the desk ------------------------------------------------------------------------


def test_the_search_marks_the_match_and_shows_each_sites_cla(client, desk):
    login(client, desk.agent)
    page = client.get("/servicedesk/desk?q=0791234567").text  # the caller's mobile
    assert "Anna Anrufer (+41 <mark>79 123 45 67</mark>)" in page
    assert "winCall pro 5x12h" in page and "Mon–Fri 07–19h" in page  # the English screen
    assert "inside service hours" in page
    assert "<mark>Hauptsitz</mark>" in client.get("/servicedesk/desk?q=hauptsitz").text


def test_a_wrong_pin_keeps_the_caller_and_every_input_and_shows_the_attempts_left(
    client, desk, factories, db
):
    other = factories.contact(desk.customer, "Beat Berechtigt", pin="1111")
    login(client, desk.agent)
    page = _call(client, desk, "9999", description="Since the power cut at 08:10").text
    assert 'id="attempts-left">Wrong PIN. Attempts left: 2.' in page
    assert f'<option value="{desk.caller.id}" data-attempts-left="2" selected>' in page
    assert f'<option value="{other.id}" data-attempts-left="3" >' in page
    assert 'value="No dial tone"' in page
    assert ">Since the power cut at 08:10</textarea>" in page
    assert db.session.scalars(select(Ticket)).all() == []


def test_failed_checks_and_locks_are_shown_to_the_desk(client, desk):
    login(client, desk.agent)
    for _ in range(3):
        _call(client, desk, "9999")
    page = _call(client, desk, "4711").text  # locked: even the right PIN is refused
    assert "No attempt left: the contact is locked." in page
    # 10:00 + 15 min lockout after the first of the three wrong PINs (pinned clock).
    lock = page.split('id="locks"')[1].split("</ul>")[0]
    assert "Anna Anrufer" in lock and "locked until" in lock and "10:15" in lock
    assert "(4 wrong PINs)" in lock
    desk_page = client.get("/servicedesk/desk").text
    assert 'id="locks"' in desk_page and "Anna Anrufer" in desk_page
    assert desk_page.count('data-outcome="wrong_pin"') == 3
    assert desk_page.count('data-outcome="locked"') == 1
    assert "Muster Treuhand AG" in desk_page and desk.agent.name in desk_page


# --- 7: the customer --------------------------------------------------------------------


def test_the_portal_speaks_to_the_customer_not_the_desk(client, desk, factories, db, clock):
    clock(TUESDAY_21)
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    login(client, customer_user)
    new = client.get(f"/servicedesk/portal/new?site_id={desk.site.id}").text
    assert "Anrufer" not in new
    assert "ausserhalb Ihrer Bereitschaftszeit (winCall pro 5x12h, Mo–Fr 07–19h)" in new
    client.post("/servicedesk/portal/new", data={"site_id": desk.site.id, "summary": "Down"})
    ticket = db.session.scalar(select(Ticket))
    offer = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "Sagen Sie dem Anrufer" not in offer and "Anrufer bestätigt" not in offer
    assert "Ja, jetzt einen Techniker schicken: CHF 250.00" in offer
    assert "wartet auf Ihre Antwort" in offer and "Anrufer" not in offer
    assert f'Gemeldet von</dt><dd id="caller">{customer_user.name}' in offer


def test_after_fast_lane_the_portal_states_the_due_time_and_a_clock(
    client, desk, factories, db, clock
):
    clock(TUESDAY_21)
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    login(client, customer_user)
    client.post("/servicedesk/portal/new", data={"site_id": desk.site.id, "summary": "Down"})
    ticket = db.session.scalar(select(Ticket))
    answer = client.post(
        f"/servicedesk/portal/tickets/{ticket.id}/fast-lane", data={"answer": "confirmed"}
    )
    page = client.get(answer.headers["Location"]).text
    assert "unterwegs" not in page
    assert "die erste Reaktion erfolgt spätestens am 25.11.2026 03:00 (in 6 h 00 min)" in page
    assert 'id="sla-clock"' in page and 'data-running="1"' in page
    assert "sla-clock.js" in page and "<script>" not in page  # the CSP allows no inline script


def test_the_clock_says_why_it_stands_still_outside_the_service_hours(
    client, desk, factories, db, clock
):
    # Reported Tuesday 18:00 under pro (6 service hours): 1 h today, 5 h from Wed 07:00.
    clock(zurich(2026, 11, 24, 18, 0))
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    login(client, customer_user)
    clock(zurich(2026, 11, 24, 18, 30))
    running = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert 'data-running="1"' in running and "die Uhr läuft" in running
    assert 'data-runs-for="1800"' in running  # it stops at 19:00
    clock(TUESDAY_21)
    stopped = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert 'data-running="0"' in stopped and 'data-left="18000"' in stopped
    assert "Die Uhr steht still: ausserhalb Ihrer Bereitschaftszeit Mo–Fr 07–19h" in stopped


# --- 8: the technician ------------------------------------------------------------------


def test_the_dispatch_mail_tells_the_technician_everything_in_his_language(
    client, desk, factories, db, sent_mail
):
    german = factories.user("technician", name="Dario Deutsch", language="de")
    add_shift(german, "technician", zurich(2026, 11, 24, 0, 0), zurich(2026, 11, 25, 0, 0))
    db.session.commit()
    login(client, desk.agent)
    _call(client, desk, "4711", description="Reception and sales")
    ticket = db.session.scalar(select(Ticket))
    client.post(f"/servicedesk/tickets/{ticket.id}/intake/dispatch")
    mail = sent_mail[-1]
    assert mail.to == (german.email,)
    assert mail.subject == f"[{ticket.number}] Aufgebot: Muster Treuhand AG, Hauptsitz Baden"
    for line in (
        "Anrufer: Anna Anrufer, Telefon +41 79 123 45 67",
        f"Adresse: {desk.site.street} {desk.site.house_number}, "
        f"{desk.site.postal_code} {desk.site.town}",
        "Telefon Standort: +41 56 222 33 00",
        "CLA: winCall pro 5x12h",
        "Erste Reaktion fällig: 24.11.2026 16:00 (Europe/Zurich)",
        f"Ticket: http://testserver/servicedesk/tickets/{ticket.id}",
        "Reception and sales",
    ):
        assert line in mail.body, line


def test_the_ticket_page_shows_caller_address_cla_due_and_the_resolution(client, desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician, "SBC without power")
    work.resolve(ticket, desk.technician, "base_system", "minor", "Replaced the SBC power supply")
    db.session.commit()
    login(client, desk.technician)
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert 'id="caller-phone">+41 79 123 45 67</a>' in page
    assert f"{desk.site.street} {desk.site.house_number}, {desk.site.postal_code}" in page
    assert "(Mon–Fri 07–19h)" in page and "24.11.2026 16:00" in page
    assert 'id="first-reaction-note">SBC without power</span>' in page
    assert 'id="resolution">Replaced the SBC power supply</dd>' in page
