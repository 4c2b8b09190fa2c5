"""Headless Chromium: the desk opens by caller ID and takes a call for a site in an open
outage; the ticket is attached to the outage and nothing is billed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.servicedesk import outage, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.models import Ticket
from tests.browser import log_in, shot
from tests.servicedesk.conftest import TUESDAY_10

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "FROZEN_NOW": TUESDAY_10}


def test_desk_by_caller_id_takes_a_call_in_an_open_outage(desk, db, live_server, browser_page):
    incident = outage.open_incident("sbc-zurich", "SBC down", "declared", [desk.site], desk.chief)
    db.session.commit()
    page = browser_page
    log_in(page, live_server, desk.agent)

    # The telephony opens the desk with the caller's number as the exchange gives it.
    page.goto(f"{live_server}/servicedesk/desk?caller=0791234567")
    card = page.locator("#caller-id")
    assert card.get_attribute("data-number") == "+41791234567"
    assert "Anna Anrufer" in card.inner_text()
    assert card.locator(f"[data-incident='{incident.number}']").is_visible()
    card.locator("text=Take call for this site").first.click()
    page.wait_for_selector("#call-form")
    assert page.locator("#outage").is_visible()
    assert page.locator("#contact_id").input_value() == str(desk.caller.id)
    page.fill("#pin", "4711")
    page.fill("#summary", "No dial tone at all")
    page.click("#verify-button")
    page.wait_for_selector("#evidence")
    assert incident.number in page.locator("#evidence").inner_text()
    shot(page, "desk-caller-id-outage")

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket))
    assert ticket.master_incident_id == incident.id and ticket.fault_origin == "base_system"
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    work.add_time(ticket, desk.technician, "on_site", 90)
    work.resolve(ticket, desk.technician, "base_system", "critical")
    db.session.commit()
    assert ticket.charges and {c.amount for c in ticket.charges} == {Decimal("0.00")}
