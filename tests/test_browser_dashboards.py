"""Headless Chromium: each role's dashboard and a list, on a desktop and on a phone.

Screenshots of every page land in WINET_ARTIFACTS (tests/browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import fits, log_in, log_out, shot, size_name
from tests.test_dashboards import NOW, make_business

pytestmark = pytest.mark.browser


@pytest.fixture
def business(db, factories):
    return make_business(db, factories)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW, "WTF_CSRF_ENABLED": True}


def _charts_drawn(page) -> int:
    images = page.locator("figure.chart img")
    for index in range(images.count()):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    return images.count()


ROLES = {
    "finance": ("invoicing.finance", 2),
    "service_desk": ("servicedesk.desk", 0),
    "chief": ("servicedesk.desk", 1),
    "account_manager": ("contracts.quotes", 0),
    "customer": ("servicedesk.customer", 1),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_dashboard(
    app,
    db,
    factories,
    business,
    live_server,
    sized_page,
    role,
):
    user = factories.user(role, business if role == "customer" else None)
    page = sized_page
    log_in(page, live_server, user)
    page.goto(f"{live_server}/")
    panel, charts = ROLES[role]
    expect(page.locator(f"section.panel[data-panel='{panel}']")).to_be_visible()
    assert _charts_drawn(page) == charts
    if role in ("service_desk", "chief"):
        # the countdown runs in the page: the overdue ticket counts up, the other down
        first = page.locator(".near-breach .countdown").first
        expect(first).to_have_class(re.compile("overdue"))
        before = first.inner_text()
        expect(first).not_to_have_text(before, timeout=3000)
        assert "überfällig seit" in first.inner_text()
    fits(page, f"dashboard-{role}")


def test_the_invoice_list_sorts_filters_and_searches(
    app,
    db,
    factories,
    business,
    live_server,
    sized_page,
):
    page = sized_page
    log_in(page, live_server, factories.user("finance"))
    page.goto(f"{live_server}/invoicing/")
    assert page.locator(".count").get_attribute("data-total") == "3"
    page.click("th a.sort[data-sort='number']")
    expect(page.locator("th:has(a[data-sort='number'])")).to_have_attribute(
        "aria-sort", "ascending"
    )
    numbers = page.locator("table.invoices tbody tr td:first-child a").all_inner_texts()
    assert numbers == sorted(numbers)
    page.click("th a.sort[data-sort='number']")
    expect(page.locator("th:has(a[data-sort='number'])")).to_have_attribute(
        "aria-sort", "descending"
    )

    page.click(".filters a[data-filter='overdue']")
    active = page.locator(".filters a.chip.active")
    expect(active).to_have_attribute("data-filter", "overdue")
    assert page.locator(".count").get_attribute("data-total") == "1"
    page.fill("input[name=q]", "2026-000002")
    page.press("input[name=q]", "Enter")
    # the search keeps the filter: invoice 2 is not overdue
    expect(page.locator(".count")).to_have_attribute("data-total", "0")
    page.click(".filters a[data-filter='']")
    expect(page.locator(".count")).to_have_attribute("data-total", "1")
    assert "Filiale Brugg" in page.locator("table.invoices td.site").first.inner_text()
    fits(page, "list-invoices")


def test_the_tickets_list_and_the_audit_page_fit_the_screen(
    app, db, factories, business, live_server, sized_page
):
    page = sized_page
    log_in(page, live_server, factories.user("chief"))
    page.goto(f"{live_server}/servicedesk/tickets?scope=open")
    expect(page.locator(".filters a.chip.active")).to_have_attribute("data-filter", "open")
    rows = page.locator("#ticket-list tbody tr").all_inner_texts()
    assert "Leitung tot" in rows[0]  # the most urgent first
    fits(page, "list-tickets")

    log_out(page)
    log_in(page, live_server, factories.user("finance"))
    page.goto(f"{live_server}/audit")
    page.select_option("select[name=table]", "invoicing_invoice")
    page.click("form.search button[type=submit]")
    text = page.locator("table.audit").inner_text()
    assert "Rechnung" in text and "None" not in text and "True" not in text
    fits(page, "list-audit")


def test_on_a_phone_the_menu_folds_behind_one_button(
    app, db, factories, business, live_server, sized_page
):
    page = sized_page
    log_in(page, live_server, factories.user("finance"))
    page.goto(f"{live_server}/invoicing/")
    menu, button = page.locator("nav.menu"), page.locator("label.menu-button")
    if size_name(page) == "desktop":
        expect(menu).to_be_visible()
        expect(button).to_be_hidden()
        return
    # folded: the page's own content starts near the top, the button names the page
    expect(menu).to_be_hidden()
    expect(button).to_contain_text("Menü · Rechnungen")
    assert page.locator("main h1").bounding_box()["y"] < 200
    shot(page, "menu-folded")
    button.click()
    expect(menu).to_be_visible()
    expect(menu.locator("a[aria-current=page]")).to_have_text("Rechnungen")
    fits(page, "menu-open")
    menu.locator("a[data-endpoint='core.customers']").click()
    expect(button).to_contain_text("Menü · Kunden")  # the next page starts folded again
    expect(page.locator("nav.menu")).to_be_hidden()
