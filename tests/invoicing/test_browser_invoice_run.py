"""Headless Chromium, phone and desktop: finance's main job of the month, through the pages.

Start the run for December, review the drafts, issue a selection, open the issued invoice
and its PDF. Without a broker the run and the issuing job run right in the request
(app.jobs.enqueue_call), so the status page a redirect lands on already shows the end.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from plugins.invoicing.models import Invoice
from tests.browser import fits, go_to, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    from tests.invoicing.conftest import RUN_DAY

    return {"FROZEN_NOW": RUN_DAY, "WTF_CSRF_ENABLED": True}


def test_finance_runs_december_reviews_the_drafts_issues_them_and_opens_the_pdf(
    db, setup, factories, live_server, sized_page, sent_mail
):
    # premium: 600.00 + 8.1 % VAT 48.60 = 648.60; pro: 129.00 + 10.45 = 139.45
    setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Alpha AG")
    setup.site_with_contract("pro", date(2026, 12, 1), legal_name="Beta AG")
    page = sized_page
    log_in(page, live_server, factories.user("finance"))

    go_to(page, "invoicing.run_page")
    page.wait_for_url(re.compile(r"/invoicing/run"))
    assert page.locator("input[name=period]").first.input_value() == "2026-12"
    assert "0 Entwürfe zu prüfen" in page.inner_text("main")
    page.click("button[name=preview]")
    preview = page.locator("table[data-preview]")
    expect(preview).to_be_visible()
    assert "Alpha AG" in preview.inner_text() and "Beta AG" in preview.inner_text()
    assert preview.locator("tfoot .total").inner_text().split()[-1] == "788.05"
    fits(page, "finance-run-1-preview")

    page.click("form.form button.primary")  # "2026-12 abrechnen"
    page.wait_for_url(re.compile(r"/invoicing/runs/\d+$"))
    status = page.locator("dl[data-run]")
    assert status.get_attribute("data-status") == "finished"
    assert page.locator("#invoices-created").inner_text().startswith("2")
    assert page.locator("#customers-failed").inner_text() == "0"
    fits(page, "finance-run-2-finished")

    page.click("a.button[href*='/invoicing/drafts']")
    page.wait_for_url(re.compile(r"/invoicing/drafts"))
    rows = page.locator("form table tbody tr")
    expect(rows).to_have_count(2)
    alpha = rows.filter(has_text="Alpha AG")
    beta = rows.filter(has_text="Beta AG")
    assert alpha.locator("td.num").last.inner_text() == "648.60"
    assert beta.locator("td.num").last.inner_text() == "139.45"
    fits(page, "finance-run-3-drafts")

    alpha.locator("input[type=checkbox]").check()
    page.click("form button.primary")  # issue the selection
    page.wait_for_url(re.compile(r"/invoicing/runs/\d+$"))
    assert page.locator("dl[data-run]").get_attribute("data-status") == "finished"
    assert page.locator("#invoices-issued").inner_text() == "1 / 1"
    assert page.locator("#pdfs-rendered").inner_text() == "1"
    assert "1 Entwurf wird ausgestellt" in page.locator(".flash-success").inner_text()
    fits(page, "finance-run-4-issued")

    # The issued draft left the drafts; the one not ticked waits.
    page.goto(f"{live_server}/invoicing/drafts")
    rows = page.locator("form table tbody tr")
    expect(rows).to_have_count(1)
    assert "Beta AG" in rows.inner_text() and "Alpha AG" not in rows.inner_text()
    fits(page, "finance-run-5-drafts-left")

    page.goto(f"{live_server}/invoicing/?status=issued")
    page.click("table.invoices a:text('2026-000001')")
    page.wait_for_url(re.compile(r"/invoicing/invoices/\d+$"))
    assert "2026-000001" in page.locator("h1").inner_text()
    assert page.locator("#open-amount").inner_text() == "648.60"
    assert "Alpha AG" in page.locator("dl").inner_text()
    fits(page, "finance-run-6-invoice")

    pdf_link = page.locator("a.button", has_text="PDF")
    response = page.request.get(live_server + pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    db.session.expire_all()
    issued = db.session.scalars(select(Invoice).where(Invoice.number.is_not(None))).all()
    assert [(i.number, i.bill_to_name) for i in issued] == [("2026-000001", "Alpha AG")]
    assert any("2026-000001" in (mail.subject or "") for mail in sent_mail)
