"""Headless Chromium, phone and desktop: the technician's main job. The desk dispatched a
ticket to the on-call technician, who opens it from the ticket list, acknowledges, records
the first reaction, logs the time and resolves it, in German as a Swiss technician reads it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plugins.servicedesk import intake
from plugins.servicedesk.dispatch import dispatch
from tests.browser import fits, go_to, log_in
from tests.servicedesk.conftest import TUESDAY_10, zurich

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "FROZEN_NOW": TUESDAY_10}


def _work(page, action: str):
    return page.locator(f"form[action$='/work/{action}']")


def test_the_technician_works_an_assigned_ticket_to_resolved(
    desk, db, clock, live_server, sized_page
):
    desk.technician.language = "de"
    ticket, result = intake.take_call(
        desk.site, "Telefone tot", desk.caller, "4711", desk.agent, "Seit 09:40 kein Amt"
    )
    assert result.verified
    assert dispatch(ticket, desk.agent) == desk.technician
    db.session.commit()
    page = sized_page
    log_in(page, live_server, desk.technician)

    go_to(page, "servicedesk.tickets")
    page.click(f"#ticket-list a:text('{ticket.number}')")
    page.wait_for_url(re.compile(rf"/servicedesk/tickets/{ticket.id}$"))
    assert page.locator("#ticket-state").get_attribute("data-state") == "dispatched"
    assert "24.11.2026 16:00" in page.locator("#due").inner_text()  # pro: 6 h from 10:00
    assert "Seit 09:40 kein Amt" in page.locator("#description").inner_text()
    headings = page.locator("main h2").all_inner_texts()
    assert len(headings) == len(set(headings)), headings  # the log and the history differ
    fits(page, "technician-1-ticket")

    _work(page, "acknowledge").locator("button").click()
    page.wait_for_selector(".flash-success")
    clock(zurich(2026, 11, 24, 10, 40))
    _work(page, "react").locator("input[name=note]").fill("Router hat die Konfiguration verloren")
    _work(page, "react").locator("button").click()
    page.wait_for_selector(".flash-success")
    assert page.locator("#ticket-state").get_attribute("data-state") == "reacted"
    assert "Router hat die Konfiguration verloren" in page.inner_text("#first-reaction-note")
    assert page.locator("dd .badge.ok").count() == 1  # met: 10:40 before 16:00
    fits(page, "technician-2-reacted")

    _work(page, "start").locator("button").click()
    page.wait_for_selector(".flash-success, #ticket-state[data-state='in_progress']")
    expect(page.locator("#ticket-state")).to_have_attribute("data-state", "in_progress")
    _work(page, "time").locator("select[name=kind]").select_option("remote")
    _work(page, "time").locator("input[name=minutes]").fill("75")
    _work(page, "time").locator("input[name=note]").fill("Konfiguration zurückgespielt")
    _work(page, "time").locator("button").click()
    page.wait_for_selector(".flash-success")
    entries = page.locator("table.stack td[data-kind='remote']")
    expect(entries).to_have_count(1)
    assert "75 min" in entries.locator("xpath=..").inner_text()
    fits(page, "technician-3-time")

    clock(zurich(2026, 11, 24, 11, 30))
    resolve = _work(page, "resolve")
    resolve.locator("select[name=fault_origin]").select_option("customer_environment")
    resolve.locator("select[name=severity]").select_option("minor")
    resolve.locator("input[name=resolution]").fill("Konfiguration wiederhergestellt")
    resolve.locator("button").click()
    page.wait_for_selector(".flash-success")
    assert page.locator("#ticket-state").get_attribute("data-state") == "resolved"
    assert page.inner_text("#resolution") == "Konfiguration wiederhergestellt"
    origin = page.locator("[data-fault-origin]")
    assert origin.get_attribute("data-fault-origin") == "customer_environment"
    assert "24.11.2026 11:30" in page.inner_text("main")
    # the work section is gone: nothing left to record on a resolved ticket
    assert _work(page, "time").count() == 0
    fits(page, "technician-4-resolved")

    db.session.expire_all()
    db.session.refresh(ticket)
    assert ticket.state == "resolved" and ticket.technician_id == desk.technician.id
    assert [e.minutes for e in ticket.time_entries] == [75]
    assert ticket.charges  # what flows to the next invoice run
