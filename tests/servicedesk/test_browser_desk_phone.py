"""Headless Chromium at a phone's and a laptop's size: the desk takes a call inside and
outside service hours, the customer confirms Fast Lane in the portal, and no page scrolls
sideways. Screenshots go to $WINET_ARTIFACTS (tests/browser.py)."""

from __future__ import annotations

import re

import pytest

from tests.browser import fits, log_in, within_width
from tests.servicedesk.conftest import TUESDAY_10, zurich

pytestmark = pytest.mark.browser

TUESDAY_21 = zurich(2026, 11, 24, 21, 0)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "FROZEN_NOW": TUESDAY_10}


@pytest.mark.parametrize("hours", ["inside", "outside"])
def test_the_desk_takes_a_call_at_phone_and_desktop_size(
    hours, desk, db, clock, live_server, sized_page
):
    clock(TUESDAY_10 if hours == "inside" else TUESDAY_21)
    page, name = sized_page, f"desk-{hours}"
    log_in(page, live_server, desk.agent)
    page.goto(f"{live_server}/servicedesk/desk?q=079+123+45+67")
    assert page.locator("mark", has_text="79 123 45 67").first.is_visible()
    assert page.locator(".site-cla").first.inner_text().startswith("winCall pro 5x12h")
    fits(page, f"{name}-1-search")

    page.click("text=Take call for this site")
    page.select_option("#contact_id", str(desk.caller.id))
    page.fill("#pin", "1234")
    page.fill("#summary", "All phones dead")
    page.fill("#description", "Since the power cut at 08:10")
    page.click("#verify-button")
    page.wait_for_selector("#attempts-left")
    assert "Attempts left: 2" in page.locator("#attempts-left").inner_text()
    assert page.input_value("#summary") == "All phones dead"
    assert page.input_value("#description") == "Since the power cut at 08:10"
    assert page.input_value("#contact_id") == str(desk.caller.id)
    assert page.locator("#failed-list [data-outcome=wrong_pin]").count() == 1
    fits(page, f"{name}-2-wrong-pin")

    page.fill("#pin", "4711")
    page.click("#verify-button")
    if hours == "inside":
        page.click("#dispatch")
        page.wait_for_selector("text=Technician dispatched.")
    else:
        page.click("#confirm-fast-lane")
        page.wait_for_selector("text=Fast Lane confirmed: technician dispatched.")
    due = "24.11.2026 16:00" if hours == "inside" else "25.11.2026 03:00"
    assert due in page.locator("#due").inner_text()
    within_width(page, "#due")
    assert page.locator("#due").is_visible()
    assert page.locator("#sla-clock").is_visible()
    assert "Since the power cut at 08:10" in page.locator("#description").inner_text()
    fits(page, f"{name}-3-ticket")

    page.goto(f"{live_server}/servicedesk/tickets?scope=open")
    within_width(page, "#ticket-list td.due")
    assert due in page.locator("#ticket-list td.due").first.inner_text()
    fits(page, f"{name}-4-tickets")
    page.goto(f"{live_server}/servicedesk/desk")
    fits(page, f"{name}-5-desk")


def test_the_customer_confirms_fast_lane_and_reads_a_live_clock(
    desk, db, clock, factories, live_server, sized_page
):
    clock(TUESDAY_21)
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    page = sized_page
    log_in(page, live_server, customer_user)
    page.goto(f"{live_server}/servicedesk/portal/new?site_id={desk.site.id}")
    assert "Anrufer" not in page.content()
    page.fill("#summary", "Keine Verbindung")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#fast-lane-offer")
    assert "Sagen Sie" not in page.content()
    fits(page, "portal-1-offer")
    page.click("#confirm-fast-lane")
    page.wait_for_selector("#sla-clock")
    assert "unterwegs" not in page.content()
    assert "25.11.2026 03:00" in page.locator(".flash-success").inner_text()
    # The static script counts the seconds (the server writes minutes only).
    page.wait_for_function(
        "document.querySelector('#sla-clock .sla-time').textContent.endsWith(' s')"
    )
    assert re.fullmatch(r"\d+ h \d\d min \d\d s", page.locator(".sla-time").inner_text())
    within_width(page, "#due")
    fits(page, "portal-2-confirmed")


def test_the_chiefs_roster_and_reports_fit_a_phone(desk, live_server, sized_page):
    page = sized_page
    log_in(page, live_server, desk.chief)
    for path in ("roster", "reports"):
        page.goto(f"{live_server}/servicedesk/{path}")
        fits(page, f"chief-{path}")
