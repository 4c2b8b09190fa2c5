"""Headless Chromium: the desk takes a call outside service hours to a confirmed Fast Lane ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.servicedesk.models import Ticket
from tests.browser import go_to, log_in, shot
from tests.servicedesk.conftest import zurich

pytestmark = pytest.mark.browser

TUESDAY_21 = zurich(2026, 11, 24, 21, 0)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "FROZEN_NOW": TUESDAY_21}


def test_desk_takes_a_call_outside_hours_to_a_confirmed_fast_lane_ticket(
    desk, db, live_server, browser_page, sent_mail
):
    page = browser_page
    log_in(page, live_server, desk.agent)

    go_to(page, "servicedesk.desk")
    page.fill("#caller-search", "079 123 45 67")  # the caller's mobile number
    page.keyboard.press("Enter")
    page.click("text=Take call for this site")
    page.wait_for_url(lambda url: "/desk/sites/" in url)
    page.locator("#outside-hours").wait_for(state="visible", timeout=10_000)
    assert "CHF 250.00" in page.locator("#consequence").inner_text()

    page.select_option("#contact_id", str(desk.caller.id))
    page.fill("#pin", "4711")
    page.fill("#summary", "All phones dead since 20:30")
    page.click("#verify-button")
    page.wait_for_selector("#confirm-fast-lane")
    assert "Caller verified." in page.content()

    page.click("#confirm-fast-lane")
    page.wait_for_selector("text=Fast Lane confirmed: technician dispatched.")
    assert "CHF 250.00" in page.locator("#fast-lane-status").inner_text()
    assert "25.11.2026 03:00" in page.locator("#due").inner_text()
    shot(page, "desk-fast-lane-ticket")

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.state, ticket.fast_lane, ticket.fast_lane_answered_by_id) == (
        "dispatched",
        True,
        desk.agent.id,
    )
    assert ticket.fast_lane_answered_at == TUESDAY_21
    assert sent_mail[-1].to == (desk.technician.email,)
