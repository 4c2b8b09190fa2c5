"""Headless Chromium logs in through the real login page and sees the role's menu."""

from __future__ import annotations

import pytest
from flask_login import login_user

from app.web import visible_menu
from tests import browser

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def expected_menu(app, user) -> list[str]:
    """The endpoints the host's menu logic shows this user, in menu order."""
    with app.test_request_context():
        login_user(user)
        return [entry.endpoint for entry in visible_menu()]


def log_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login")
    assert page.locator("h1").inner_text() == "Anmelden"
    browser.log_in(page, base_url, user)


def shown_menu(page) -> list[str]:
    links = page.locator("nav.menu a[data-endpoint]")
    return [links.nth(i).get_attribute("data-endpoint") for i in range(links.count())]


def test_finance_logs_in_and_sees_its_menu(app, factories, live_server, browser_page):
    user = factories.user("finance")
    log_in(browser_page, live_server, user)
    menu = shown_menu(browser_page)
    assert menu == expected_menu(app, user)
    assert {"core.customers", "core.catalog", "core.tariffs", "core.audit"} <= set(menu)
    assert "core.users" not in menu
    assert browser_page.locator("nav.menu a[data-endpoint='core.tariffs']").inner_text() == "Tarife"
    # Every menu entry opens.
    for endpoint in menu:
        browser_page.click(f"nav.menu a[data-endpoint='{endpoint}']")
        browser_page.wait_for_load_state()
        assert browser_page.locator("h1").count() >= 1, endpoint
        assert "403" not in browser_page.title() and "500" not in browser_page.title()


def test_service_desk_logs_in_and_sees_no_tariffs(app, factories, live_server, browser_page):
    user = factories.user("service_desk")
    log_in(browser_page, live_server, user)
    menu = shown_menu(browser_page)
    assert menu == expected_menu(app, user)
    assert "core.customers" in menu
    assert not {"core.tariffs", "core.audit", "core.users"} & set(menu)
    browser_page.goto(f"{live_server}/tariffs")
    assert "Sie dürfen diese Seite nicht öffnen." in browser_page.content()


def test_wrong_password_stays_on_the_login_page(factories, live_server, browser_page):
    user = factories.user("finance")
    browser_page.goto(f"{live_server}/login")
    browser_page.fill("input[name=email]", user.email)
    browser_page.fill("input[name=password]", "falsch-falsch")
    browser_page.click("form.form button[type=submit]")
    browser_page.wait_for_load_state()
    assert browser_page.url.endswith("/login")
    assert "E-Mail oder Passwort ist falsch." in browser_page.content()
    assert browser_page.locator("nav.menu").count() == 0
    browser.shot(browser_page, "login-wrong-password")


def test_pages_run_under_the_csp_without_violations_and_switch_language(
    app, factories, live_server, browser_page
):
    """Chromium enforces the Content-Security-Policy: no page may trip it, and the
    language switcher (a POST form now) works in a real browser."""
    violations = []
    browser_page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    user = factories.user("admin")
    log_in(browser_page, live_server, user)
    for endpoint in shown_menu(browser_page):
        browser_page.click(f"nav.menu a[data-endpoint='{endpoint}']")
        browser_page.wait_for_load_state()
    assert violations == []

    browser_page.click("form.languages button[value='en']")
    browser_page.wait_for_load_state()
    assert browser_page.locator("html").get_attribute("lang") == "en"
    assert browser_page.locator("form.languages button.active").inner_text() == "EN"
    browser_page.click("form.languages button[value='de']")
    browser_page.wait_for_load_state()
    assert browser_page.locator("html").get_attribute("lang") == "de"
