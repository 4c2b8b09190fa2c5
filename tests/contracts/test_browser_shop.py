"""Headless Chromium: a customer user orders a CLA in the web shop and sees it active, on a
phone and on a laptop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from plugins.contracts.models import Contract
from tests.browser import fits, go_to, log_in, shot
from tests.contracts.conftest import FROZEN

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": FROZEN, "WTF_CSRF_ENABLED": True}


def test_a_customer_orders_a_cla_in_the_web_shop_and_sees_the_active_contract(
    app, db, factories, customer, live_server, sized_page
):
    factories.site(customer, "Filiale Aarau")
    brugg = factories.site(customer, "Filiale Brugg Nord")
    factories.site(factories.customer("Andere AG"), "Fremder Standort")
    user = factories.user("customer", customer)
    page = sized_page

    log_in(page, live_server, user)

    go_to(page, "contracts.shop")
    page.wait_for_url(re.compile(r"/contracts/shop"))
    options = page.locator("select#site_id option").all_inner_texts()
    assert not any("Fremder Standort" in option for option in options)
    page.select_option("select#site_id", str(brugg.id))
    offer = page.locator("label[data-tier='pro']")
    assert "CHF 129.00" in offer.inner_text()
    assert "innert 6 Stunden" in offer.inner_text()
    # nothing is preselected, least of all the most expensive tier
    assert page.locator("input[name=tier_code]:checked").count() == 0
    offer.locator("input[type=radio]").check()
    fits(page, "shop-1-offers")
    page.click("#review-order")

    # the summary before the order: site, tier, price and start; nothing ordered yet
    page.wait_for_selector("#confirm-order")
    assert "Filiale Brugg Nord" in page.locator("#summary-site").inner_text()
    assert page.locator("#summary-tier").get_attribute("data-tier") == "pro"
    assert "CHF 129.00" in page.locator("#summary-price").inner_text()
    db.session.expire_all()
    assert db.session.scalars(select(Contract)).all() == []
    fits(page, "shop-2-review")
    page.click("#confirm-order")

    page.wait_for_url(re.compile(r"/contracts/\d+$"))
    assert "Vielen Dank für Ihre Bestellung" in page.locator(".flash").inner_text()
    assert page.locator("h1 .tier").get_attribute("data-tier") == "pro"
    assert page.locator("h1 .tier").inner_text() == "winCall pro 5x12h"
    assert page.locator("h1 .state").get_attribute("data-state") == "active"
    assert page.locator("h1 .state").inner_text() == "aktiv"
    fits(page, "shop-3-contract")

    go_to(page, "contracts.index")
    row = page.locator("table.contracts tbody tr", has_text="Filiale Brugg Nord")
    assert row.locator("td.tier").get_attribute("data-tier") == "pro"
    assert row.locator("td.tier").inner_text() == "winCall pro 5x12h"
    assert row.locator("td.state").get_attribute("data-state") == "active"
    assert row.locator("td.state").inner_text() == "aktiv"
    fits(page, "shop-4-contracts")

    db.session.expire_all()
    contract = db.session.scalars(select(Contract)).one()
    assert (contract.site_id, contract.origin, contract.state) == (brugg.id, "shop", "active")


def test_the_quote_builder_updates_the_totals_while_the_discount_is_typed(
    app, db, factories, customer, live_server, browser_page
):
    from datetime import date

    from plugins.contracts.quotes import add_line, create_quote

    manager = factories.user("account_manager", language="en")
    quote = create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    for n in range(5):
        add_line(quote, "pro", site=factories.site(customer, f"Filiale {n}"))
    db.session.commit()
    page = browser_page

    log_in(page, live_server, manager)
    page.goto(f"{live_server}/contracts/quotes/{quote.id}")

    net = page.locator("#quote-totals [data-total=net]")
    # 5 x 129.00 = 645.00, 5 % volume discount = 32.25
    assert net.inner_text() == "612.75"
    assert page.locator("#approval-hint").is_hidden()
    page.fill("#manual_discount_percent", "12")
    # 12 % of 645.00 = 77.40 -> net 535.35; VAT 8.1 % = 43.36; total 578.71
    # Waits in Playwright, not by evaluating a string in the page (the CSP forbids eval).
    expect(net).to_have_text("535.35")
    assert page.locator("#quote-totals [data-total=total]").inner_text() == "578.71"
    assert page.locator("#approval-hint").is_visible()
    shot(page, "quote-live-totals")
