"""Stripe Checkout over HTTP against a local server, and the signed webhook booking payments once.

The real `stripe` library talks to pytest-httpserver (STRIPE_API_BASE); webhook events are
signed exactly as Stripe signs them: HMAC-SHA256 over "<timestamp>.<payload>" with the
endpoint secret, sent as "Stripe-Signature: t=<timestamp>,v1=<hex>".
"""

import hashlib
import hmac
import json
import threading
import time
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import CheckoutSession, Invoice, Payment
from plugins.invoicing.paylinks import pay_token
from plugins.invoicing.vocabulary import CheckoutState
from tests.factories import login

D = Decimal
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def app_config(httpserver):
    from tests.invoicing.conftest import RUN_DAY

    return {
        "FROZEN_NOW": RUN_DAY,
        "STRIPE_SECRET_KEY": "sk_test_123",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": httpserver.url_for("").rstrip("/"),
    }


@pytest.fixture
def invoice(db, setup):
    """premium, December: 648.60 CHF."""
    customer, _, _ = setup.site_with_contract("premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    return db.session.get(Invoice, invoice_id)


def stripe_answers_checkout(httpserver, session_id="cs_test_1"):
    httpserver.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "currency": "chf",
            "mode": "payment",
        }
    )


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event(
    invoice,
    session_id="cs_test_1",
    kind="checkout.session.completed",
    status="paid",
    amount=64860,
    event_id="evt_1",
):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": session_id,
                    "object": "checkout.session",
                    "payment_status": status,
                    "amount_total": amount,
                    "currency": "chf",
                    "payment_intent": "pi_test_1",
                    "metadata": {"invoice_id": str(invoice.id), "invoice_number": invoice.number},
                }
            },
        }
    )


def deliver(client, payload, signature=None):
    headers = {"Content-Type": "application/json"}
    if signature is not False:
        headers["Stripe-Signature"] = signature or sign(payload)
    return client.post("/invoicing/stripe/webhook", data=payload, headers=headers)


def open_session(client, factories, invoice, httpserver):
    stripe_answers_checkout(httpserver)
    customer_user = factories.user("customer", customer=invoice.customer)
    login(client, customer_user)
    return client.post(f"/invoicing/invoices/{invoice.id}/pay")


# --- Checkout -------------------------------------------------------------------------


def test_pay_now_opens_a_checkout_session_in_chf_for_the_open_amount(
    client, factories, invoice, httpserver
):
    response = open_session(client, factories, invoice, httpserver)

    assert response.status_code == 303
    assert response.headers["Location"] == "https://checkout.stripe.test/c/pay/cs_test_1"
    ((request, _),) = httpserver.log
    form = parse_qs(request.get_data(as_text=True))
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][currency]"] == ["chf"]
    assert form["line_items[0][price_data][unit_amount]"] == ["64860"]  # Rappen
    assert form["payment_method_types[0]"] == ["card"]
    assert form["payment_method_types[1]"] == ["twint"]
    assert form["metadata[invoice_id]"] == [str(invoice.id)]
    assert form["metadata[invoice_number]"] == [invoice.number]
    assert form["client_reference_id"] == [invoice.number]
    assert request.headers["Idempotency-Key"] == f"invoicing-{invoice.id}-checkout-64860"
    assert request.headers["Authorization"] == "Bearer sk_test_123"


def test_after_a_partial_payment_checkout_asks_for_the_rest(
    db, client, factories, invoice, httpserver
):
    from plugins.invoicing.payments import record_payment

    record_payment(invoice.id, D("600.00"), date(2026, 12, 5))
    db.session.commit()
    open_session(client, factories, invoice, httpserver)
    ((request, _),) = httpserver.log
    form = parse_qs(request.get_data(as_text=True))
    assert form["line_items[0][price_data][unit_amount]"] == ["4860"]


def test_the_signed_pay_link_works_without_login(client, invoice, httpserver):
    stripe_answers_checkout(httpserver)
    page = client.get(f"/invoicing/pay/{pay_token(invoice.id)}")
    assert page.status_code == 200 and "648.60" in page.text
    response = client.post(f"/invoicing/pay/{pay_token(invoice.id)}")
    assert response.status_code == 303
    assert client.get("/invoicing/pay/forged-token").status_code == 404


def test_another_customer_cannot_pay_or_see_the_invoice(client, factories, invoice):
    login(client, factories.user("customer"))
    assert client.post(f"/invoicing/invoices/{invoice.id}/pay").status_code == 404


# --- webhook --------------------------------------------------------------------------


def test_signed_completed_event_marks_the_invoice_paid(db, client, factories, invoice, httpserver):
    open_session(client, factories, invoice, httpserver)
    response = deliver(client, event(invoice))
    assert response.status_code == 200 and response.json == {"status": "paid"}
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, invoice.open_amount, invoice.amount_paid) == (
        "paid",
        D("0.00"),
        D("648.60"),
    )
    (payment,) = invoice.payments
    assert (payment.method, payment.external_reference) == ("stripe", "cs_test_1")


def test_the_same_event_delivered_many_times_books_one_payment(
    db, client, factories, invoice, httpserver
):
    open_session(client, factories, invoice, httpserver)
    payload = event(invoice)
    statuses = [deliver(client, payload).json["status"] for _ in range(10)]
    assert statuses == ["paid"] + ["duplicate"] * 9
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_events_in_any_order_book_the_payment_once(db, client, factories, invoice, httpserver):
    open_session(client, factories, invoice, httpserver)
    # TWINT may complete asynchronously: "completed" (unpaid) can arrive after "succeeded".
    succeeded = event(invoice, kind="checkout.session.async_payment_succeeded", event_id="evt_2")
    completed_unpaid = event(invoice, status="unpaid", event_id="evt_1")
    completed_paid = event(invoice, event_id="evt_3")
    assert deliver(client, succeeded).json["status"] == "paid"
    assert deliver(client, completed_unpaid).json["status"] == "ignored"
    assert deliver(client, completed_paid).json["status"] == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(CheckoutSession.status)) == CheckoutState.PAID


def test_the_session_state_follows_stripe_so_that_dunning_waits_for_a_pending_payment(
    db, client, factories, invoice, httpserver
):
    open_session(client, factories, invoice, httpserver)
    assert db.session.scalar(select(CheckoutSession.status)) == CheckoutState.OPEN
    deliver(client, event(invoice, status="unpaid", event_id="evt_1"))  # TWINT accepted
    db.session.expire_all()
    assert db.session.scalar(select(CheckoutSession.status)) == CheckoutState.PENDING
    failed = event(invoice, kind="checkout.session.async_payment_failed", status="unpaid")
    deliver(client, failed)
    db.session.expire_all()
    assert db.session.scalar(select(CheckoutSession.status)) == CheckoutState.FAILED


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong_secret", "stale", "tampered", "unknown_type", "unknown_session", "not_chf"],
)
def test_unsigned_stale_or_unknown_events_are_refused_and_change_nothing(
    db, client, factories, invoice, httpserver, how
):
    open_session(client, factories, invoice, httpserver)
    payload = event(invoice)
    signature = None
    if how == "unsigned":
        signature = False
    elif how == "wrong_secret":
        signature = sign(payload, secret="whsec_other")
    elif how == "stale":
        signature = sign(payload, timestamp=int(time.time()) - 3600)
    elif how == "tampered":
        signature = sign(payload)
        payload = payload.replace("64860", "1")
    elif how == "unknown_type":
        payload = event(invoice, kind="invoice.paid")
    elif how == "unknown_session":
        payload = event(invoice, session_id="cs_never_opened")
    elif how == "not_chf":
        payload = payload.replace('"chf"', '"eur"')

    response = deliver(client, payload, signature)

    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "issued"


def test_expired_session_is_acknowledged_and_books_nothing(
    db, client, factories, invoice, httpserver
):
    open_session(client, factories, invoice, httpserver)
    response = deliver(client, event(invoice, kind="checkout.session.expired", status="unpaid"))
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert db.session.scalar(select(CheckoutSession.status)) == CheckoutState.EXPIRED


@pytest.mark.postgres_only
def test_the_same_event_replayed_concurrently_books_one_payment(
    app, db, client, factories, invoice, httpserver
):
    open_session(client, factories, invoice, httpserver)
    assert db.session.scalar(select(func.count()).select_from(CheckoutSession)) == 1
    payload = event(invoice)
    signature = sign(payload)
    barrier = threading.Barrier(8)
    statuses, errors = [], []

    def replay():
        try:
            barrier.wait(timeout=30)
            response = deliver(app.test_client(), payload, signature)
            statuses.append((response.status_code, response.json.get("status")))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(statuses) == [(200, "duplicate")] * 7 + [(200, "paid")]
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.amount_paid, invoice.status) == (D("648.60"), "paid")


def test_the_webhook_is_exempt_from_csrf_but_still_needs_the_signature(
    app, db, client, factories, invoice, httpserver
):
    open_session(client, factories, invoice, httpserver)
    app.config["WTF_CSRF_ENABLED"] = True
    anonymous = app.test_client()
    assert deliver(anonymous, event(invoice)).status_code == 200
    assert deliver(anonymous, event(invoice), signature=False).status_code == 400


def test_checkout_asks_for_what_the_reminder_asks_its_fee_included(
    db, client, factories, invoice, httpserver
):
    from plugins.invoicing.models import Reminder
    from plugins.invoicing.vocabulary import ReminderWording

    # A second reminder asked for 648.60 + a 20.00 fee; its e-mail links to online payment.
    db.session.add(
        Reminder(
            invoice_id=invoice.id,
            level=2,
            wording=ReminderWording.DEMAND,
            fee=D("20.00"),
            amount_due=D("668.60"),
            open_amount=D("648.60"),
            sent_on=date(2027, 1, 20),
            sent_to=invoice.bill_to_email,
        )
    )
    db.session.commit()
    assert "668.60" in client.get(f"/invoicing/pay/{pay_token(invoice.id)}").text
    open_session(client, factories, invoice, httpserver)
    ((request, _),) = httpserver.log
    form = parse_qs(request.get_data(as_text=True))
    assert form["line_items[0][price_data][unit_amount]"] == ["66860"]
