"""Headless Chromium, phone and desktop: the account manager's main job. A branch package
for one customer (three of its sites and two new ones), the e-mail preview, the send, and
the quote in the quotes list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from plugins.contracts.models import Quote
from tests.browser import fits, go_to, log_in
from tests.contracts.conftest import FROZEN

pytestmark = pytest.mark.browser

NEW_SITES = [
    ("Filiale Wettingen", "Landstrasse", "12", "5430", "Wettingen"),
    ("Filiale Lenzburg", "Bahnhofstrasse", "3", "5600", "Lenzburg"),
]


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": FROZEN, "WTF_CSRF_ENABLED": True}


def test_the_account_manager_quotes_a_branch_package_and_sends_it(
    app, db, factories, customer, live_server, sized_page, sent_mail
):
    for name in ("Hauptsitz Aarau", "Filiale Brugg", "Filiale Baden"):
        factories.site(customer, name)
    factories.customer("Andere AG")
    page = sized_page
    log_in(page, live_server, factories.user("account_manager"))

    go_to(page, "contracts.quotes")
    page.wait_for_url(re.compile(r"/contracts/quotes"))
    page.click("a.button[href$='/contracts/quotes/new']")
    page.select_option("#customer_id", label=f"{customer.legal_name} ({customer.number})")
    fits(page, "quote-1-new")
    page.click("form.form button.primary")
    page.wait_for_url(re.compile(r"/contracts/quotes/\d+$"))
    number = page.locator("h1").inner_text().split()[1]
    assert page.locator(".quote-state").get_attribute("data-state") == "draft"

    # Three existing sites on pro, as the site list offers them.
    for _ in range(3):
        page.select_option("#tier_code", "pro")
        page.select_option("#site_id", index=1)
        page.click("form[action$='/lines'] button.primary")
        page.wait_for_selector(".flash-success")
    # Two new sites, typed in.
    for name, street, house_number, postal_code, town in NEW_SITES:
        page.select_option("#tier_code", "pro")
        page.select_option("#site_id", "")
        page.fill("#new_site_name", name)
        page.fill("#new_site_street", street)
        page.fill("#new_site_house_number", house_number)
        page.fill("#new_site_postal_code", postal_code)
        page.fill("#new_site_town", town)
        page.click("form[action$='/lines'] button.primary")
        page.wait_for_selector(".flash-success")
    lines = page.locator("table.quote-lines tbody tr")
    expect(lines).to_have_count(5)
    assert lines.filter(has_text="Filiale Lenzburg").locator("td.num").inner_text() == "129.00"
    # 5 x 129.00 = 645.00, less 5 % volume discount (5-9 sites) = 612.75; VAT 8.1 % 49.63
    assert page.locator("#quote-totals [data-total=volume_discount_percent]").inner_text() == "5"
    assert page.locator("#quote-totals [data-total=net]").inner_text() == "612.75"
    assert page.locator("#quote-totals [data-total=total]").inner_text() == "662.38"
    fits(page, "quote-2-sites")

    page.click("#preview-send")
    page.wait_for_url(re.compile(r"/send$"))
    assert page.locator("#preview-to").inner_text() == customer.billing_email
    assert number in page.locator("#preview-subject").inner_text()
    assert "/q/" in page.locator("#preview-body").inner_text()  # the accept link
    fits(page, "quote-3-mail-preview")
    page.click("#send-now")
    page.wait_for_url(re.compile(r"/contracts/quotes/\d+$"))
    assert page.locator(".quote-state").get_attribute("data-state") == "sent"
    expect(page.locator("#quote-sent")).to_contain_text(customer.billing_email)
    assert "(zugestellt 24.11.2026 10:00)" in page.inner_text("#quote-sent")
    fits(page, "quote-4-sent")

    go_to(page, "contracts.quotes")
    row = page.locator("table.quotes tbody tr", has_text=number)
    expect(row).to_have_count(1)
    assert customer.legal_name in row.inner_text()
    assert row.locator("td").nth(2).inner_text() == "5"
    assert row.locator("td.quote-state").get_attribute("data-state") == "sent"
    fits(page, "quote-5-list")

    db.session.expire_all()
    quote = db.session.scalars(select(Quote)).one()
    assert (quote.number, quote.state, len(quote.lines)) == (number, "sent", 5)
    mail = [m for m in sent_mail if number in m.subject]
    assert len(mail) == 1 and mail[0].to == (customer.billing_email,)
    assert mail[0].attachments[0].filename == f"{number}.pdf"
