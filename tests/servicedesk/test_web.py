"""Pages and API: the desk's call flow, what each role sees, customers see only their own."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.models import OnCallShift, Ticket, VerificationAttempt
from tests.factories import login
from tests.servicedesk.conftest import zurich


def _resolved_ticket(desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    work.add_time(ticket, desk.technician, "remote", 120)
    work.add_material(ticket, desk.technician, "Headset", Decimal("1"), Decimal("89.90"))
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    return ticket


def test_desk_takes_a_call_inside_hours_and_dispatches(client, desk, db, sent_mail):
    login(client, desk.agent)
    page = client.get("/servicedesk/desk?q=0562223300")
    assert "Muster Treuhand AG" in page.text
    call = client.get(f"/servicedesk/desk/sites/{desk.site.id}")
    assert "inside service hours" in call.text and "covered by the CLA" in call.text
    response = client.post(
        f"/servicedesk/desk/sites/{desk.site.id}",
        data={"contact_id": desk.caller.id, "pin": "4711", "summary": "No dial tone"},
    )
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.state == "verified"
    client.post(f"/servicedesk/tickets/{ticket.id}/intake/dispatch")
    db.session.refresh(ticket)
    assert ticket.state == "dispatched"
    assert sent_mail[-1].to == (desk.technician.email,)


def test_desk_wrong_pin_records_the_attempt_and_opens_no_ticket(client, desk, db):
    login(client, desk.agent)
    for _ in range(3):
        response = client.post(
            f"/servicedesk/desk/sites/{desk.site.id}",
            data={"contact_id": desk.caller.id, "pin": "1234", "summary": "No dial tone"},
            follow_redirects=True,
        )
        assert "Wrong PIN" in response.text
    assert db.session.scalars(select(Ticket)).all() == []
    attempts = db.session.scalars(select(VerificationAttempt)).all()
    assert [(a.outcome, a.contact_id, a.ticket_id) for a in attempts] == [
        ("wrong_pin", desk.caller.id, None)
    ] * 3


def test_desk_right_pin_opens_the_verified_ticket_linked_to_its_attempt(client, desk, db):
    login(client, desk.agent)
    client.post(
        f"/servicedesk/desk/sites/{desk.site.id}",
        data={"contact_id": desk.caller.id, "pin": "4711", "summary": "No dial tone"},
    )
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.state, ticket.contact_id) == ("verified", desk.caller.id)
    attempt = db.session.scalar(select(VerificationAttempt))
    assert (attempt.outcome, attempt.ticket_id) == ("verified", ticket.id)


def test_technician_works_the_ticket_through_the_pages(client, desk, db, clock):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    login(client, desk.technician)
    mine = client.get("/servicedesk/tickets")
    assert ticket.number in mine.text and "6 h 00 min" in mine.text
    url = f"/servicedesk/tickets/{ticket.id}/work"
    client.post(f"{url}/acknowledge")
    client.post(f"{url}/react", data={"note": "Checked the PBX"})
    client.post(f"{url}/time", data={"kind": "remote", "minutes": "95"})
    client.post(
        f"{url}/material", data={"description": "Cable", "quantity": "1", "unit_price": "9.90"}
    )
    client.post(f"{url}/escalate", data={"person_id": desk.chief.id, "note": "SBC"})
    client.post(f"{url}/resolve", data={"fault_origin": "base_system", "severity": "critical"})
    db.session.refresh(ticket)
    assert ticket.state == "resolved"
    assert {c.amount for c in ticket.charges} == {Decimal("0.00")}
    page = client.get(f"/servicedesk/tickets/{ticket.id}")
    assert page.status_code == 200 and "Fault of a Winet base-system service" in page.text


def test_service_desk_sees_no_prices_but_the_customer_does(client, desk, db, factories):
    ticket = _resolved_ticket(desk, db)
    login(client, desk.agent)
    desk_page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "89.90" not in desk_page and "160.00" not in desk_page
    client.post("/logout")
    customer_user = factories.user("customer", customer=desk.customer)
    login(client, customer_user)
    own_page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "89.90" in own_page


def test_customers_see_only_their_own_tickets(client, desk, db, factories):
    ticket = _resolved_ticket(desk, db)
    stranger = factories.user("customer")
    token = factories.token(stranger)
    login(client, stranger)
    assert client.get(f"/servicedesk/tickets/{ticket.id}").status_code == 404
    assert ticket.number not in client.get("/servicedesk/tickets?scope=all").text
    api = client.get(
        "/api/v1/servicedesk/tickets?state=all", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200 and api.json == []
    own = factories.token(factories.user("customer", customer=desk.customer))
    listed = client.get(
        "/api/v1/servicedesk/tickets?state=all", headers={"Authorization": f"Bearer {own}"}
    ).json
    assert [t["id"] for t in listed] == [ticket.id]


def test_customer_opens_a_ticket_in_the_portal_and_confirms_fast_lane(
    client, desk, db, factories, clock
):
    clock(zurich(2026, 11, 24, 22, 0))
    customer_user = factories.user("customer", customer=desk.customer)
    login(client, customer_user)
    page = client.get(f"/servicedesk/portal/new?site_id={desk.site.id}")
    assert "CHF 250.00" in page.text
    client.post("/servicedesk/portal/new", data={"site_id": desk.site.id, "summary": "Down"})
    ticket = db.session.scalar(select(Ticket))
    assert ticket.state == "verified" and ticket.channel == "portal"
    client.post(f"/servicedesk/portal/tickets/{ticket.id}/fast-lane", data={"answer": "confirmed"})
    db.session.refresh(ticket)
    assert ticket.fast_lane and ticket.state == "dispatched"


def test_api_desk_opens_a_verified_ticket_and_refuses_a_wrong_pin_without_a_ticket(
    client, desk, db, factories
):
    headers = {"Authorization": f"Bearer {factories.token(desk.agent)}"}
    body = {"site_id": desk.site.id, "summary": "Down", "contact_id": desk.caller.id, "pin": "0000"}
    refused = client.post("/api/v1/servicedesk/tickets", json=body, headers=headers)
    assert refused.status_code == 403
    assert client.post("/api/v1/servicedesk/tickets", json=body, headers=headers).status_code == 403
    # Failed attempts are recorded but leave no orphan ticket in state "new".
    assert db.session.scalars(select(Ticket)).all() == []
    attempts = db.session.scalars(select(VerificationAttempt)).all()
    assert [(a.outcome, a.ticket_id) for a in attempts] == [("wrong_pin", None)] * 2
    body["pin"] = "4711"
    created = client.post("/api/v1/servicedesk/tickets", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json["state"] == "verified"
    assert created.json["first_reaction_due_at"].startswith("2026-11-24T15:00:00")


def test_roster_and_reports_pages(client, desk, db, factories):
    _resolved_ticket(desk, db)
    login(client, desk.chief)
    roster = client.get("/servicedesk/roster")
    assert desk.technician.name in roster.text
    response = client.post(
        "/servicedesk/roster",
        data={
            "user_id": desk.technician.id,
            "duty": "technician",
            "starts_at": "2026-11-24T19:00",
            "ends_at": "2026-11-25T07:00",
        },
    )
    assert response.status_code == 302
    report = client.get("/servicedesk/reports?month=2026-11&show=total:met")
    assert report.status_code == 200
    assert "T-" in report.text


def test_desk_cannot_open_roster_or_reports(client, desk):
    login(client, desk.agent)
    assert client.get("/servicedesk/roster").status_code == 403
    assert client.get("/servicedesk/reports").status_code == 403


def test_api_technician_logs_work_and_resolves_and_reads_the_event_log(client, desk, db, factories):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    headers = {"Authorization": f"Bearer {factories.token(desk.technician)}"}
    base = f"/api/v1/servicedesk/tickets/{ticket.id}"
    assert (
        client.post(f"{base}/first-reaction", json={"note": "ok"}, headers=headers).status_code
        == 200
    )
    assert (
        client.post(
            f"{base}/time-entries", json={"kind": "on_site", "minutes": 95}, headers=headers
        ).status_code
        == 201
    )
    assert (
        client.post(
            f"{base}/time-entries", json={"kind": "travel", "minutes": 30}, headers=headers
        ).status_code
        == 201
    )
    material = {"description": "Router", "quantity": "1", "unit_price": "120.00"}
    assert client.post(f"{base}/materials", json=material, headers=headers).status_code == 201
    resolved = client.post(
        f"{base}/resolution",
        headers=headers,
        json={"fault_origin": "customer_environment", "severity": "major"},
    )
    assert resolved.status_code == 200 and resolved.json["state"] == "resolved"
    again = client.post(
        f"{base}/resolution",
        headers=headers,
        json={"fault_origin": "customer_environment", "severity": "major"},
    )
    assert again.status_code == 422
    detail = client.get(base, headers=headers).json
    assert [e["kind"] for e in detail["events"]][:3] == ["opened", "verified", "dispatched"]
    db.session.expire_all()
    assert sum(c.amount for c in db.session.get(Ticket, ticket.id).charges) == Decimal("320.00")


def test_a_german_speaking_desk_agent_gets_the_call_page_in_german(client, desk, factories, clock):
    clock(zurich(2026, 11, 24, 21, 0))
    agent = factories.user("service_desk", language="de")
    login(client, agent)
    page = client.get(f"/servicedesk/desk/sites/{desk.site.id}").text
    assert "ausserhalb der Bereitschaftszeit" in page
    assert "Fast-Lane-Ticket" in page and "CHF 250.00" in page


def test_the_chief_records_the_first_reaction_on_an_escalated_ticket_page(client, desk, db):
    ticket = intake.open_ticket(desk.site, "SBC down", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.escalate_third_level(ticket, desk.agent, desk.chief, "severe")
    db.session.commit()
    login(client, desk.chief)
    page = client.get(f"/servicedesk/tickets/{ticket.id}")
    assert "Record first reaction" in page.text
    client.post(f"/servicedesk/tickets/{ticket.id}/work/react", data={"note": "Failover"})
    db.session.refresh(ticket)
    assert (ticket.state, ticket.first_reaction_by_id) == ("escalated", desk.chief.id)
    assert "Record first reaction" not in client.get(f"/servicedesk/tickets/{ticket.id}").text


# --- page input: the validated path, German messages, nothing kept; unknown ids are 404 -


def _refused(response) -> str:
    """A refused form's page: shown again with its message (422), not redirected."""
    assert response.status_code == 422, response.status_code
    return response.text


def test_bad_work_input_is_refused_in_german_and_nothing_is_kept(
    client, desk, db, factories, reacted_ticket
):
    ticket = reacted_ticket
    technician = factories.user("technician", language="de")
    login(client, technician)
    url = f"/servicedesk/tickets/{ticket.id}/work"
    page = _refused(client.post(f"{url}/time", data={"kind": "remote", "minutes": "9x"}))
    assert "Bitte korrigieren Sie die Eingabe: Minuten: Geben Sie eine ganze Zahl ein." in page
    page = _refused(client.post(f"{url}/time", data={"kind": "coffee", "minutes": "30"}))
    assert "Art: Wählen Sie einen der angebotenen Werte." in page
    page = _refused(
        client.post(
            f"{url}/material",
            data={"description": "Cable", "quantity": "1", "unit_price": "-9.90"},
        )
    )
    assert "Stückpreis CHF: Muss mindestens 0 sein." in page
    # A refused resolution shows the page again (422), keeping what was typed.
    refused = client.post(f"{url}/resolve", data={"fault_origin": "weather"})
    assert refused.status_code == 422
    page = refused.text
    assert "Störungsursache: Wählen Sie einen der angebotenen Werte." in page
    assert "Schweregrad: Dieses Feld ist erforderlich." in page
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.time_entries, ticket.materials, ticket.state) == ([], [], "reacted")


def test_a_form_naming_a_record_that_does_not_exist_is_a_404(
    client, desk, db, factories, reacted_ticket
):
    ticket = reacted_ticket
    attempts = len(db.session.scalars(select(VerificationAttempt)).all())
    login(client, desk.chief)
    url = f"/servicedesk/tickets/{ticket.id}/work/escalate"
    assert client.post(url, data={"person_id": "999999", "note": "x"}).status_code == 404
    roster = {"user_id": "999999", "duty": "technician", "fallback": "1"}
    assert client.post("/servicedesk/roster", data=roster).status_code == 404
    client.post("/logout")
    login(client, desk.agent)
    call = {"contact_id": "999999", "pin": "4711", "summary": "No dial tone"}
    assert client.post(f"/servicedesk/desk/sites/{desk.site.id}", data=call).status_code == 404
    waiting = intake.open_ticket(desk.site, "Kein Amt", "phone", desk.agent)
    db.session.commit()
    verify = f"/servicedesk/tickets/{waiting.id}/intake/verify"
    assert client.post(verify, data={"contact_id": "999999", "pin": "4711"}).status_code == 404
    # Nothing was recorded for the unknown records: no attempt, no escalation, no shift.
    db.session.expire_all()
    assert len(db.session.scalars(select(VerificationAttempt)).all()) == attempts
    assert db.session.get(Ticket, ticket.id).escalations == []
    assert db.session.scalars(select(OnCallShift).where(OnCallShift.user_id == 999999)).all() == []


def test_an_unknown_contact_in_the_api_is_a_404(client, desk, db, factories):
    headers = {"Authorization": f"Bearer {factories.token(desk.agent)}"}
    body = {"site_id": desk.site.id, "summary": "Down", "contact_id": 999999, "pin": "4711"}
    response = client.post("/api/v1/servicedesk/tickets", json=body, headers=headers)
    assert response.status_code == 404
    assert db.session.scalars(select(VerificationAttempt)).all() == []


def test_a_roster_shift_from_the_form_is_zurich_wall_clock_time(client, desk, db):
    login(client, desk.chief)
    client.post(
        "/servicedesk/roster",
        data={
            "user_id": desk.technician.id,
            "duty": "technician",
            "starts_at": "2026-11-24T19:00",
            "ends_at": "2026-11-25T07:00",
        },
    )
    shift = db.session.scalar(select(OnCallShift).where(OnCallShift.fallback.is_(False)))
    assert (shift.starts_at, shift.ends_at) == (zurich(2026, 11, 24, 19), zurich(2026, 11, 25, 7))
    bad = {"user_id": desk.technician.id, "duty": "janitor", "starts_at": "tomorrow"}
    page = _refused(client.post("/servicedesk/roster", data=bad))  # an English chief
    assert "Duty: Choose one of the offered values." in page
    assert "From (Europe/Zurich): Enter a date and time." in page
    assert len(db.session.scalars(select(OnCallShift)).all()) == 3  # two fallbacks and one
