"""Online payment with Stripe Checkout: open a session for the open amount, book the webhook.

The webhook is the only thing that marks an invoice paid. Stripe may deliver an event
several times, concurrently and out of order; the payment row's unique key (method
"stripe", the Checkout session id) lets exactly one delivery book it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import RuleViolation, acting_as, db, now, today
from plugins.invoicing.account import invoice_open_amount
from plugins.invoicing.models import CheckoutSession, Invoice
from plugins.invoicing.payments import record_payment
from plugins.invoicing.vocabulary import CheckoutState, InvoiceState, PaymentMethod

log = logging.getLogger(__name__)

DEFAULT_PAYMENT_METHODS = ("card", "twint")
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
# Known, but nothing to book: the customer left, or an asynchronous payment failed.
QUIET_EVENTS = ("checkout.session.expired", "checkout.session.async_payment_failed")
SIGNATURE_TOLERANCE_SECONDS = 300
# What the API tells a client in Retry-After when Stripe cannot be reached.
RETRY_AFTER_SECONDS = 300


class OnlinePaymentUnavailable(RuntimeError):
    """Stripe cannot open a payment now (not configured, unreachable, or failing): the
    customer pays with the QR-bill on the invoice PDF instead."""


class StripeNotConfigured(OnlinePaymentUnavailable):
    pass


class WebhookRefused(ValueError):
    """The event is not signed by Stripe, too old, or unknown: answer 400, change nothing."""


def online_payment_offered() -> bool:
    """Whether pages show a pay button at all: only with Stripe configured."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def to_rappen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def stripe_client() -> stripe.StripeClient:
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set")
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
    )


def checkout_urls(invoice: Invoice) -> tuple[str, str]:
    """Where Stripe sends the customer back: the invoice page (success, cancel)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    page = f"{base}/invoicing/invoices/{invoice.id}"
    return f"{page}?paid=1", page


def open_checkout(
    invoice: Invoice, success_url: str | None = None, cancel_url: str | None = None
) -> CheckoutSession:
    """A Checkout session in CHF for the invoice's open amount (flushes its record).

    The one call to another system made before a commit: the customer needs the URL
    now, and Stripe's idempotency key makes a repeated click open the same session.

    The return URLs default to the invoice's page (`checkout_urls`).

    The idempotency key names the invoice and the amount: a double click, or a retry
    after a network error, gets the same session instead of a second one.
    """
    if success_url is None or cancel_url is None:
        default_success, default_cancel = checkout_urls(invoice)
        success_url = success_url or default_success
        cancel_url = cancel_url or default_cancel
    if invoice.is_credit_note or invoice.status == InvoiceState.DRAFT:
        raise RuleViolation(_("Only an issued invoice can be paid online."))
    # What the last reminder asks, its fees included (the account's open amount).
    amount = invoice_open_amount(invoice)
    if amount <= 0:
        raise RuleViolation(_("This invoice has nothing left to pay."))
    rappen = to_rappen(amount)
    methods = list(
        current_app.config.get("INVOICING_STRIPE_PAYMENT_METHODS") or DEFAULT_PAYMENT_METHODS
    )
    metadata = {"invoice_id": str(invoice.id), "invoice_number": invoice.number}
    params = {
        "mode": "payment",  # TWINT needs payment mode and CHF
        "payment_method_types": methods,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "chf",
                    "unit_amount": rappen,
                    "product_data": {"name": f"Winet {invoice.number}"},
                },
            }
        ],
        "client_reference_id": invoice.number,
        "customer_email": invoice.bill_to_email,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    key = f"invoicing-{invoice.id}-checkout-{rappen}"
    client = stripe_client()
    try:
        session = client.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": key}
        )
    except stripe.StripeError as error:
        # Unreachable after the library's retries, or an error answer (an outage, a
        # revoked key): the customer is told to use the QR-bill, finance reads the log.
        log.warning("Stripe Checkout for invoice %s failed: %r", invoice.id, error)
        raise OnlinePaymentUnavailable(str(error)) from error
    record = db.session.scalar(
        select(CheckoutSession).where(CheckoutSession.session_id == session.id)
    )
    if record is None:
        record = CheckoutSession(
            invoice_id=invoice.id,
            session_id=session.id,
            amount=amount,
            url=session.url,
            created_at=now(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:  # the same session recorded by a concurrent click
            record = db.session.scalar(
                select(CheckoutSession).where(CheckoutSession.session_id == session.id)
            )
    return record


@dataclass(frozen=True)
class WebhookOutcome:
    status: str  # "paid", "duplicate", "ignored"
    invoice_id: int | None = None


def verify_event(payload: bytes, signature_header: str | None) -> stripe.Event:
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise StripeNotConfigured("STRIPE_WEBHOOK_SECRET is not set")
    if not signature_header:
        raise WebhookRefused("missing Stripe-Signature header")
    try:
        return stripe.Webhook.construct_event(
            payload, signature_header, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise WebhookRefused(f"signature refused: {error}") from error
    except ValueError as error:
        raise WebhookRefused(f"invalid payload: {error}") from error


def _settle_quietly(event) -> None:
    """An expired session or a failed asynchronous payment: no payment is on its way any
    more, so dunning goes on (an unknown session is nothing to record)."""
    session_id = (event.data.object.to_dict() or {}).get("id")
    record = db.session.scalar(
        select(CheckoutSession).where(CheckoutSession.session_id == session_id)
    )
    if record is not None and record.status != CheckoutState.PAID:
        expired = event.type == "checkout.session.expired"
        record.status = CheckoutState.EXPIRED if expired else CheckoutState.FAILED
        db.session.flush()


def handle_webhook(payload: bytes, signature_header: str | None) -> WebhookOutcome:
    """Verify and apply one delivery (flushes; the webhook endpoint commits); raises
    WebhookRefused for what must answer 400."""
    event = verify_event(payload, signature_header)
    if event.type in QUIET_EVENTS:
        _settle_quietly(event)
        return WebhookOutcome("ignored")
    if event.type not in PAID_EVENTS:
        raise WebhookRefused(f"unknown event type {event.type!r}")
    session = event.data.object.to_dict()
    record = db.session.scalar(
        select(CheckoutSession).where(CheckoutSession.session_id == session.get("id"))
    )
    metadata = session.get("metadata") or {}
    if record is None or str(record.invoice_id) != str(metadata.get("invoice_id")):
        raise WebhookRefused("the event names no Checkout session opened here")
    if (session.get("currency") or "").lower() != "chf":
        raise WebhookRefused("the session is not in CHF")
    if session.get("payment_status") != "paid":
        # An asynchronous payment not yet confirmed: dunning waits for its outcome (an
        # event that arrives after the payment's own changes nothing).
        if record.status != CheckoutState.PAID:
            record.status = CheckoutState.PENDING
        return WebhookOutcome("ignored", record.invoice_id)
    record.status = CheckoutState.PAID
    amount = Decimal(int(session.get("amount_total") or 0)) / 100
    if amount <= 0:
        raise WebhookRefused("the session has no amount")
    try:
        # A replayed event meets the unique (method, external reference) of its payment;
        # the savepoint undoes only that attempt.
        with acting_as("stripe:webhook"), db.session.begin_nested():
            record_payment(
                record.invoice_id,
                amount.quantize(Decimal("0.01")),
                today(),
                method=PaymentMethod.STRIPE,
                external_reference=record.session_id,
                note=f"Stripe Checkout {session.get('payment_intent') or ''}".strip(),
                actor="stripe:webhook",
                overpayment=True,  # the money is received: booked whatever is open
            )
    except IntegrityError:
        return WebhookOutcome("duplicate", record.invoice_id)
    return WebhookOutcome("paid", record.invoice_id)
