"""Caller-ID: numbers in any form to E.164, the lookup API, the desk page pre-filled by the
caller's number, and verification by call-back to the registered number."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.servicedesk import intake
from plugins.servicedesk.callers import e164, lookup
from plugins.servicedesk.models import Ticket, VerificationAttempt
from tests.factories import login
from tests.servicedesk.conftest import zurich


@pytest.mark.parametrize(
    "written",
    ["079 123 45 67", "+41 79 123 45 67", "0041791234567", "+41791234567", "079-123 45 67"],
)
def test_any_written_form_is_e164(written):
    assert e164(written) == "+41791234567"


def test_foreign_and_impossible_numbers():
    assert e164("+49 30 1234567") == "+49301234567"
    assert e164("12") is None
    assert e164("not a number") is None


def _api(client, factories, user, number):
    headers = {"Authorization": f"Bearer {factories.token(user)}"}
    return client.get(f"/api/v1/servicedesk/callers?number={number}", headers=headers)


def test_the_lookup_returns_contact_customer_sites_cla_and_hours(
    client, desk, db, factories, clock, make_site
):
    second = make_site("premium", customer=desk.customer, name="Lager Wettingen")
    factories.contact(desk.customer, "Other Person", phone="+41 79 999 99 99")
    answer = _api(client, factories, desk.agent, "0791234567")
    assert answer.status_code == 200, answer.json
    assert answer.json["number"] == "+41791234567"
    (caller,) = answer.json["callers"]
    assert (caller["contact_id"], caller["name"], caller["number"]) == (
        desk.caller.id,
        "Anna Anrufer",
        "+41791234567",
    )
    assert caller["authorised_caller"] is True
    assert (caller["customer_id"], caller["customer"]) == (desk.customer.id, "Muster Treuhand AG")
    sites = {s["site_id"]: s for s in caller["sites"]}
    assert sites[desk.site.id]["tier_code"] == "pro"
    assert sites[desk.site.id]["inside_service_hours"] is True  # Tuesday 10:00
    assert sites[second.id]["tier_code"] == "premium"
    clock(zurich(2026, 11, 28, 10))  # Saturday: pro is closed, premium is not
    sites = {
        s["site_id"]: s
        for s in _api(client, factories, desk.agent, "+41 79 123 45 67").json["callers"][0]["sites"]
    }
    assert sites[desk.site.id]["inside_service_hours"] is False
    assert sites[second.id]["inside_service_hours"] is True


def test_lookup_refuses_what_is_no_number_and_strangers(client, desk, db, factories):
    assert _api(client, factories, desk.agent, "12").status_code == 422
    assert _api(client, factories, desk.agent, "+41 44 000 00 01").json["callers"] == []
    customer_user = factories.user("customer", customer=desk.customer)
    assert _api(client, factories, customer_user, "0791234567").status_code == 403


def test_a_number_stored_in_another_form_still_matches(desk, db, factories):
    stored = factories.contact(desk.customer, "Beat Beispiel", phone="0041 56 222 33 11")
    number, matches = lookup("+41562223311")
    assert number == "+41562223311"
    assert [m.contact.id for m in matches] == [stored.id]


def test_the_desk_opens_prefilled_by_the_caller_number(client, desk, db):
    login(client, desk.agent)
    page = client.get("/servicedesk/desk?caller=%2B41791234567").text
    assert 'id="caller-id"' in page and 'data-number="+41791234567"' in page
    assert "Anna Anrufer" in page
    link = f"/servicedesk/desk/sites/{desk.site.id}?contact_id={desk.caller.id}"
    assert link in page
    call = client.get(link).text
    assert f'value="{desk.caller.id}" data-attempts-left="3" selected' in call
    bad = client.get("/servicedesk/desk?caller=12").text
    assert "This is not a phone number" in bad


def test_verification_by_call_back_is_recorded_as_an_attempt(client, desk, db):
    login(client, desk.agent)
    url = f"/servicedesk/desk/sites/{desk.site.id}"
    form = {"contact_id": desk.caller.id, "summary": "Phones dead", "pin": ""}
    missed = client.post(url, data={**form, "callback": "not_reached"})
    assert "The registered number was not reached" in missed.text
    assert db.session.scalar(select(Ticket)) is None
    reached = client.post(url, data={**form, "callback": "reached"})
    assert reached.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert ticket.state == "verified" and ticket.contact_id == desk.caller.id
    attempts = db.session.scalars(select(VerificationAttempt).order_by(VerificationAttempt.id))
    assert [(a.method, a.outcome, a.ticket_id) for a in attempts] == [
        ("callback", "not_reached", None),
        ("callback", "verified", ticket.id),
    ]
    verified = [e for e in ticket.events if e.kind == "verified"]
    assert verified[0].note_params["method"] == "callback"


def test_no_call_back_to_a_contact_without_a_registered_number(desk, db, factories):
    nameless = factories.contact(desk.customer, "Ohne Nummer", phone="")
    ticket, result = intake.take_call(
        desk.site, "Phones dead", nameless, "", desk.agent, callback="reached"
    )
    assert ticket is None and result.outcome == "not_authorised"
