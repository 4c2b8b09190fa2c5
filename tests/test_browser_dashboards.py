"""Headless Chromium: each role's dashboard and a list, on a desktop and on a phone.

Screenshots of every page land in WINET_ARTIFACTS (default: <tmp>/winet-screenshots),
the artifacts of the run."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.test_dashboards import NOW, make_business

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
ARTIFACTS = Path(
    os.environ.get("WINET_ARTIFACTS") or Path(tempfile.gettempdir()) / "winet-screenshots"
)


@pytest.fixture
def business(db, factories):
    return make_business(db, factories)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW, "WTF_CSRF_ENABLED": True}


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


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


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_dashboard(
    app,
    db,
    factories,
    business,
    live_server,
    browser_page,
    role,
    viewport,
):
    user = factories.user(role, business if role == "customer" else None)
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    _log_in(page, live_server, user)
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
    _no_sideways_scrolling(page)
    _shot(page, f"dashboard-{role}-{viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_invoice_list_sorts_filters_and_searches(
    app,
    db,
    factories,
    business,
    live_server,
    browser_page,
    viewport,
):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    _log_in(page, live_server, factories.user("finance"))
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
    _no_sideways_scrolling(page)
    _shot(page, f"list-invoices-{viewport}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_tickets_list_and_the_audit_page_fit_the_screen(
    app, db, factories, business, live_server, browser_page, viewport
):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[viewport], strict=True)))
    _log_in(page, live_server, factories.user("chief"))
    page.goto(f"{live_server}/servicedesk/tickets?scope=open")
    expect(page.locator(".filters a.chip.active")).to_have_attribute("data-filter", "open")
    rows = page.locator("#ticket-list tbody tr").all_inner_texts()
    assert "Leitung tot" in rows[0]  # the most urgent first
    _no_sideways_scrolling(page)
    _shot(page, f"list-tickets-{viewport}")

    page.context.clear_cookies()
    _log_in(page, live_server, factories.user("finance"))
    page.goto(f"{live_server}/audit")
    page.select_option("select[name=table]", "invoicing_invoice")
    page.click("form.search button[type=submit]")
    text = page.locator("table.audit").inner_text()
    assert "Rechnung" in text and "None" not in text and "True" not in text
    _no_sideways_scrolling(page)
    _shot(page, f"list-audit-{viewport}")
