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


class FailedStep(Vocabulary):
    """What a run or an issuing job was doing for a customer when it failed there: shown
    in the reader's language next to the document concerned and the reason."""

    BILLING = "billing", _l("Billing")
    CREDIT_NOTE = "credit_note", _l("Credit note")
    ISSUING = "issuing", _l("Issuing a draft")
    MAIL = "mail", _l("Sending the e-mail")


class LineKind(Vocabulary):
    """What an invoice line bills; the order here is the order within a site's section."""

    ADVANCE_CREDIT = "advance_credit", _l("Credit of the amount billed before")
    SETTLEMENT = "settlement", _l("Settlement of the days in force")
    ADVANCE = "advance", _l("Subscription in advance")
    CHARGE = "charge", _l("Work and material")
    CREDIT = "credit", _l("Credit")


class PaymentMethod(Vocabulary):
    """How money reached an invoice; the reconciliation's channels follow it."""

    BANK = "bank", _l("bank transfer")  # recorded by hand (manual)
    STRIPE = "stripe", _l("online payment")
    QR_BILL = "qr_bill", _l("QR-bill (bank file)")  # booked from a camt.054 file
    CREDIT_BALANCE = "credit", _l("credit balance")  # the customer's credit applied


# The channels of incoming money: a credit balance applied is money already received.
INCOMING_METHODS = (PaymentMethod.QR_BILL, PaymentMethod.STRIPE, PaymentMethod.BANK)


class BankCreditState(Vocabulary):
    """Where a credit of a bank file stands: booked, or waiting in finance's queue."""

    MATCHED = "matched", _l("matched")
    UNMATCHED = "unmatched", _l("unknown reference")
    AMBIGUOUS = "ambiguous", _l("ambiguous")
    ASSIGNED = "assigned", _l("assigned by hand")
    RETURNED = "returned", _l("returned")
    REVERSED = "reversed", _l("reversed by the bank")


BANK_QUEUE = (BankCreditState.UNMATCHED, BankCreditState.AMBIGUOUS)


class AccountEntryKind(Vocabulary):
    """The bookings on a customer account (debits first, then credits)."""

    INVOICE = "invoice", _l("Invoice")
    REMINDER_FEE = "reminder_fee", _l("Reminder fee")
    REFUND = "refund", _l("Refund")
    PAYMENT_REVERSAL = "payment_reversal", _l("Payment reversed")
    PAYMENT = "payment", _l("Payment")
    CREDIT_NOTE = "credit_note", _l("Credit note")
    CREDIT_APPLIED = "credit_applied", _l("Credit balance applied")


class AgeBucket(Vocabulary):
    """Open items by days past their due date (not yet due counts as 0)."""

    UP_TO_30 = "0-30", _l("0–30 days")
    UP_TO_60 = "31-60", _l("31–60 days")
    UP_TO_90 = "61-90", _l("61–90 days")
    OVER_90 = "90+", _l("over 90 days")


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
