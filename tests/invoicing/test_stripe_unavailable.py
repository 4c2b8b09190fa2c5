"""When Stripe cannot take a payment (unreachable, failing, not configured) customers get a
clear message and the QR-bill on the invoice PDF instead of an error page; the API 503."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import CheckoutSession, Invoice
from plugins.invoicing.paylinks import pay_token
from tests.core.isolated import isolated_client
from tests.factories import login
from tests.invoicing.conftest import RUN_DAY

UNAVAILABLE = (
    "Die Online-Zahlung ist im Moment nicht verfügbar. "
    "Bitte bezahlen Sie mit der QR-Rechnung im Rechnungs-PDF."
)


def closed_port() -> int:
    """A local port nobody listens on: connecting is refused at once (Stripe unreachable)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


UNREACHABLE = {
    "FROZEN_NOW": RUN_DAY,
    "STRIPE_SECRET_KEY": "sk_test_unreachable",
    "STRIPE_API_BASE": f"http://127.0.0.1:{closed_port()}",
}
NOT_CONFIGURED = {"FROZEN_NOW": RUN_DAY, "STRIPE_SECRET_KEY": None}


@pytest.fixture
def invoice(db, setup):
    """premium, December: 648.60 CHF."""
    customer, _, _ = setup.site_with_contract("premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    return db.session.get(Invoice, invoice_id)


@pytest.mark.parametrize("app_config", [UNREACHABLE])
def test_pay_now_with_stripe_unreachable_points_to_the_qr_bill(client, db, factories, invoice):
    login(client, factories.user("customer", customer=invoice.customer))
    response = client.post(f"/invoicing/invoices/{invoice.id}/pay")
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 200
    assert UNAVAILABLE in page.text
    assert f"/invoicing/invoices/{invoice.id}/pdf" in page.text
    assert db.session.query(CheckoutSession).count() == 0


@pytest.mark.parametrize("app_config", [UNREACHABLE])
def test_the_public_pay_link_with_stripe_unreachable_offers_the_pdf(client, invoice):
    token = pay_token(invoice.id)
    response = client.post(f"/invoicing/pay/{token}")
    assert response.status_code == 200
    assert UNAVAILABLE in response.text
    assert f"/invoicing/pay/{token}/pdf" in response.text
    pdf = client.get(f"/invoicing/pay/{token}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("app_config", [UNREACHABLE])
def test_the_api_answers_503_with_retry_after(client, factories, invoice):
    token = factories.token(factories.user("customer", customer=invoice.customer))
    response = client.post(
        f"/api/v1/invoicing/invoices/{invoice.id}/checkout",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["error"] == "payment_unavailable"
    assert body["details"]["pdf"] == f"/api/v1/invoicing/invoices/{invoice.id}/pdf"


@pytest.mark.parametrize("app_config", [{**UNREACHABLE, "STRIPE_API_BASE": None}])
def test_a_stripe_error_answer_is_unavailable_too(client, factories, invoice, httpserver, app):
    app.config["STRIPE_API_BASE"] = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"error": {"type": "api_error", "message": "Stripe is down"}}, status=500
    )
    login(client, factories.user("customer", customer=invoice.customer))
    response = client.post(f"/invoicing/invoices/{invoice.id}/pay", follow_redirects=True)
    assert response.status_code == 200 and UNAVAILABLE in response.text


@pytest.mark.parametrize("app_config", [NOT_CONFIGURED])
def test_without_stripe_there_is_no_pay_button_but_the_qr_bill(app, client, factories, invoice):
    login(client, factories.user("customer", customer=invoice.customer))
    page = client.get(f"/invoicing/invoices/{invoice.id}").text
    assert 'id="pay-now"' not in page
    assert "Bitte bezahlen Sie mit der QR-Rechnung im Rechnungs-PDF." in page
    # Finance reads it about the customer, not as a request to pay.
    finance = isolated_client(app)
    login(finance, factories.user("finance"))
    staff = finance.get(f"/invoicing/invoices/{invoice.id}").text
    assert "Der Kunde bezahlt mit der QR-Rechnung im Rechnungs-PDF." in staff
    assert "Bitte bezahlen Sie" not in staff
    public = client.get(f"/invoicing/pay/{pay_token(invoice.id)}").text
    assert 'id="pay-now"' not in public and 'id="invoice-pdf"' in public
    # A stale form posting anyway gets the message, never "STRIPE_SECRET_KEY is not set".
    response = client.post(f"/invoicing/invoices/{invoice.id}/pay", follow_redirects=True)
    assert UNAVAILABLE in response.text and "STRIPE_SECRET_KEY" not in response.text
    api = client.post(
        f"/api/v1/invoicing/invoices/{invoice.id}/checkout",
        headers={"Authorization": f"Bearer {factories.token(factories.user('finance'))}"},
    )
    assert api.status_code == 503 and "Retry-After" in api.headers


def test_the_pay_link_pdf_needs_a_valid_token(client, invoice):
    assert client.get("/invoicing/pay/forged-token/pdf").status_code == 404
