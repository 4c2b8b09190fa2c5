"""Headless Chromium, phone and desktop: a customer opens an invoice in the portal and
starts paying it.

Stripe is the local test server: it answers the Checkout session request and serves the
page the customer is redirected to.
"""

from datetime import date
from urllib.parse import parse_qs

import pytest

from plugins.invoicing.jobs import issue_invoices, run_period
from tests.browser import fits, log_in, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(httpserver):
    from tests.invoicing.conftest import RUN_DAY

    return {
        "FROZEN_NOW": RUN_DAY,
        "WTF_CSRF_ENABLED": True,
        "STRIPE_SECRET_KEY": "sk_test_browser",
        "STRIPE_WEBHOOK_SECRET": "whsec_browser",
        "STRIPE_API_BASE": httpserver.url_for("").rstrip("/"),
    }


def test_customer_opens_an_invoice_and_is_sent_to_stripe_checkout(
    db, setup, factories, live_server, sized_page, httpserver
):
    customer, _, _ = setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Portal AG")
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    user = factories.user("customer", customer=customer)
    checkout_url = httpserver.url_for("/c/pay/cs_test_browser")
    httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"id": "cs_test_browser", "object": "checkout.session", "url": checkout_url}
    )
    httpserver.expect_request("/c/pay/cs_test_browser").respond_with_data(
        "<html><body><h1>Stripe Checkout (test)</h1></body></html>", content_type="text/html"
    )
    page = sized_page

    log_in(page, live_server, user)

    page.goto(f"{live_server}/invoicing/")
    fits(page, "portal-pay-1-invoices")
    page.click("text=2026-000001")
    page.wait_for_url(f"**/invoicing/invoices/{invoice_id}")
    assert page.locator("#open-amount").inner_text() == "648.60"
    fits(page, "portal-pay-2-invoice")
    with page.expect_response(lambda r: r.url.startswith(checkout_url)):
        page.click("#pay-now")
    page.wait_for_url(checkout_url)
    assert page.locator("h1").inner_text() == "Stripe Checkout (test)"
    shot(page, "portal-pay-3-stripe")

    create = [req for req, _ in httpserver.log if req.path == "/v1/checkout/sessions"]
    form = parse_qs(create[0].get_data(as_text=True))
    assert form["line_items[0][price_data][unit_amount]"] == ["64860"]
    assert form["line_items[0][price_data][currency]"] == ["chf"]
