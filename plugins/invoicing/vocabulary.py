"""The invoicing plugin's vocabularies, each declared once with its labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.toolkit import Vocabulary


class InvoiceKind(Vocabulary):
    INVOICE = "invoice", _l("Invoice")
    CREDIT_NOTE = "credit_note", _l("Credit note")


class InvoiceState(Vocabulary):
    DRAFT = "draft", _l("Draft")
    ISSUED = "issued", _l("Issued")
    PAID = "paid", _l("Paid")
    CREDITED = "credited", _l("Credited")


class RunState(Vocabulary):
    QUEUED = "queued", _l("queued")
    RUNNING = "running", _l("running")
    FINISHED = "finished", _l("finished")
    FAILED = "failed", _l("failed")


RUN_ACTIVE = (RunState.QUEUED, RunState.RUNNING)


class RunKind(Vocabulary):
    BILLING = "billing", _l("invoice run")
    ISSUING = "issuing", _l("issuing")


class LineKind(Vocabulary):
    """What an invoice line bills; the order here is the order within a site's section."""

    ADVANCE_CREDIT = "advance_credit", _l("Credit of the amount billed before")
    SETTLEMENT = "settlement", _l("Settlement of the days in force")
    ADVANCE = "advance", _l("Subscription in advance")
    CHARGE = "charge", _l("Work and material")
    CREDIT = "credit", _l("Credit")


class PaymentMethod(Vocabulary):
    BANK = "bank", _l("bank transfer")
    STRIPE = "stripe", _l("online payment")


class ReminderWording(Vocabulary):
    """What a reminder letter says; each level of the tariff names one (SPEC 7, dunning)."""

    REMINDER = "reminder", _l("friendly reminder")
    DEMAND = "demand", _l("second reminder")
    COLLECTION = "collection", _l("last reminder with notice of collection")


class CheckoutState(Vocabulary):
    """Where a Stripe Checkout session stands; open and pending ones pause dunning."""

    OPEN = "open", _l("open")
    PENDING = "pending", _l("payment pending")
    PAID = "paid", _l("paid")
    EXPIRED = "expired", _l("expired")
    FAILED = "failed", _l("failed")


CHECKOUT_UNSETTLED = (CheckoutState.OPEN, CheckoutState.PENDING)
