"""Headless Chromium, phone and desktop: the admin's main job. A new technician gets an
account through the users page and can log in with it at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import User
from tests.browser import fits, go_to, log_in, log_out

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Pikett-Dienst-2026"


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_the_admin_creates_a_technician_who_then_logs_in(
    app, db, factories, live_server, sized_page
):
    customer = factories.customer("Muster Treuhand AG")
    page = sized_page
    log_in(page, live_server, factories.user("admin"))

    go_to(page, "core.users")
    page.wait_for_url(re.compile(r"/users$"))
    fits(page, "admin-1-users")
    page.click("a.button[href$='/users/new']")
    # no role is preselected (the first would be Administrator)
    assert page.locator("#role").input_value() == ""
    # a form with nothing filled in is refused field by field, nothing is created
    page.click("form.form button[type=submit]")
    expect(page.locator(".field.has-error").first).to_be_visible()
    errors = page.locator(".field.has-error label").all_inner_texts()
    assert errors[:3] == ["E-Mail", "Name", "Rolle"]
    fits(page, "admin-2-refused")

    page.fill("#email", "nina.neu@winet.ch")
    page.fill("#name", "Nina Neu")
    page.select_option("#role", "technician")
    page.select_option("#language", "de")
    page.fill("#phone", "+41 79 555 66 77")
    page.fill("#password", NEW_PASSWORD)
    assert page.locator("#customer_id option", has_text=customer.legal_name).count() == 1
    fits(page, "admin-3-new-user")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/users$"))
    assert "Benutzer erstellt" in page.locator(".flash-success").inner_text()
    row = page.locator("table tbody tr", has_text="nina.neu@winet.ch")
    expect(row).to_have_count(1)
    assert "Nina Neu" in row.inner_text() and "Techniker" in row.inner_text()
    fits(page, "admin-4-created")

    log_out(page)
    db.session.expire_all()
    created = db.session.scalar(select(User).where(User.email == "nina.neu@winet.ch"))
    assert (created.role, created.customer_id, created.active) == ("technician", None, True)
    log_in(page, live_server, created, password=NEW_PASSWORD)
    assert page.locator("nav.menu a[data-endpoint='servicedesk.tickets']").count() == 1
    assert page.locator("nav.menu a[data-endpoint='core.users']").count() == 0
