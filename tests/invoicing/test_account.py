"""The customer account: overpayment and double payment become a credit balance, applied to
the next invoice as a visible line or refunded with a reason; a negative period is a credit
note; partial payments leave the rest open; bookings are append-only."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import RuleViolation
from plugins.invoicing.account import (
    balance,
    credit_applied,
    credit_balance,
    credit_balances,
    invoice_open_amount,
    open_amount,
    refund_credit,
    reverse_payment,
    statement,
)
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.documents import invoice_html
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import ImmutableBooking, Invoice, Payment, Reminder
from plugins.invoicing.payments import record_payment

D = Decimal
JANUARY_RUN = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)


def _issue(db, invoice_id: int) -> Invoice:
    invoice = issue_invoice(invoice_id)
    db.session.commit()
    return invoice


@pytest.fixture
def customer_invoice(app, db, setup):
    """Premium from 2026-12-01: 600.00 + 8.1 % VAT = 648.60, issued 2026-12-01."""
    customer, _, contract = setup.site_with_contract("premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    return customer, contract, _issue(db, invoice_id)


def test_an_overpayment_is_a_credit_balance_not_lost(db, customer_invoice):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("1000.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()

    assert invoice.status == "paid" and invoice.open_amount == D("0.00")
    assert credit_balance(customer.id) == D("351.40")  # 1000.00 - 648.60
    assert open_amount(customer.id) == D("0.00")
    assert balance(customer.id) == D("-351.40")
    assert credit_balances() == {customer.id: D("351.40")}


def test_a_partial_payment_leaves_the_rest_open(db, customer_invoice):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("600.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()

    assert invoice.status == "issued"
    assert open_amount(customer.id) == D("48.60")
    assert credit_balance(customer.id) == D("0.00")


def test_a_double_payment_by_qr_bill_and_stripe_is_a_credit_of_the_whole_amount(
    db, customer_invoice
):
    customer, _, invoice = customer_invoice
    record_payment(
        invoice.id, D("648.60"), date(2026, 12, 10), method="stripe", external_reference="cs_1"
    )
    record_payment(
        invoice.id,
        D("648.60"),
        date(2026, 12, 11),
        method="qr_bill",
        external_reference="E1/T1",
        overpayment=True,  # the money is on the account
    )
    db.session.commit()

    assert credit_balance(customer.id) == D("648.60")


def test_the_credit_is_applied_to_the_next_invoice_as_a_visible_line(app, db, customer_invoice):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("1000.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()

    app.config["FROZEN_NOW"] = JANUARY_RUN
    (january_id,) = run_period("2027-01").invoice_ids
    january = _issue(db, january_id)

    assert january.payable == D("648.60")  # the invoice itself is unchanged
    (credit,) = credit_applied(january)
    assert (credit.amount, credit.method, credit.note) == (D("351.40"), "credit", invoice.number)
    assert january.open_amount == D("297.20")
    assert credit_balance(customer.id) == D("0.00")
    assert open_amount(customer.id) == D("297.20")
    html = invoice_html(january)
    assert f"Guthaben aus {invoice.number}" in html and "-351.40" in html.replace("−", "-")
    assert "Noch zu bezahlen CHF" in html and "297.20" in html


def test_a_credit_larger_than_the_next_invoice_pays_it_and_the_rest_stays(
    app, db, customer_invoice
):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("2000.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    app.config["FROZEN_NOW"] = JANUARY_RUN
    (january_id,) = run_period("2027-01").invoice_ids
    january = _issue(db, january_id)

    assert january.status == "paid" and january.open_amount == D("0.00")
    assert credit_balance(customer.id) == D("702.80")  # 2000.00 - 2 x 648.60
    assert "durch Ihr Guthaben beglichen" in invoice_html(january)


def test_finance_refunds_the_credit_with_a_reason(db, customer_invoice):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("1000.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()

    with pytest.raises(RuleViolation, match="Grund"):
        refund_credit(customer.id, D("100.00"), " ", actor="finance")
    with pytest.raises(RuleViolation, match="351.40"):
        refund_credit(customer.id, D("351.41"), "paid twice", actor="finance")
    refund = refund_credit(
        customer.id, D("351.40"), "paid twice, back to the IBAN", actor="finance"
    )
    db.session.commit()

    assert refund.reason == "paid twice, back to the IBAN"
    assert credit_balance(customer.id) == D("0.00")


def test_a_period_with_a_negative_total_is_a_credit_note_that_becomes_credit(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer, _, contract = setup.site_with_contract("premium", date(2026, 10, 1))
    app.config["FROZEN_NOW"] = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    (november_id,) = run_period("2026-11").invoice_ids
    november = _issue(db, november_id)
    record_payment(november.id, november.payable, date(2026, 11, 20), overpayment=True)
    setup.end(contract, date(2026, 11, 20))
    db.session.commit()

    app.config["FROZEN_NOW"] = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    (december_id,) = run_period("2026-12").invoice_ids
    note = _issue(db, december_id)

    assert note.kind == "credit_note" and note.number == "GS-2026-000001"
    assert note.payable == D("-216.20")  # 600 advance credited, 400 of 20 days billed
    assert credit_balance(customer.id) == D("216.20")
    assert "Dieser Betrag wird verrechnet" in invoice_html(note)  # no QR-bill, no number asked
    assert (
        db.session.scalars(
            select(Invoice).where(Invoice.payable < 0, Invoice.kind == "invoice")
        ).all()
        == []
    )


def test_a_credit_note_on_a_paid_invoice_is_credit(db, customer_invoice):
    customer, _, invoice = customer_invoice
    record_payment(invoice.id, D("648.60"), date(2026, 12, 10), overpayment=True)
    create_credit_note(invoice.id, "Outage", {invoice.lines[0].id: D("100.00")})
    db.session.commit()

    assert credit_balance(customer.id) == D("108.10")


def test_reminder_fees_are_debits_and_open(db, customer_invoice):
    customer, _, invoice = customer_invoice
    db.session.add(
        Reminder(
            invoice_id=invoice.id,
            level=2,
            fee=D("20.00"),
            open_amount=D("648.60"),
            sent_on=date(2027, 1, 20),
            sent_to="x@example.ch",
        )
    )
    db.session.add(
        Reminder(
            invoice_id=invoice.id,
            level=1,
            fee=D("0.00"),
            open_amount=D("648.60"),
            sent_on=date(2027, 1, 10),
            sent_to="x@example.ch",
        )
    )
    db.session.commit()
    assert open_amount(customer.id) == D("668.60")
    assert invoice_open_amount(invoice) == D("668.60")

    record_payment(invoice.id, D("668.60"), date(2027, 1, 25), overpayment=True)
    db.session.commit()
    assert open_amount(customer.id) == D("0.00")
    assert credit_balance(customer.id) == D("0.00")  # the fee took the difference


def test_a_payment_is_reversed_only_by_a_counter_booking(db, customer_invoice):
    customer, _, invoice = customer_invoice
    payment = record_payment(invoice.id, D("648.60"), date(2026, 12, 10), overpayment=True)
    db.session.commit()

    payment.amount = D("1.00")
    with pytest.raises(ImmutableBooking):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Payment, payment.id))
    with pytest.raises(ImmutableBooking):
        db.session.flush()
    db.session.rollback()

    counter = reverse_payment(payment.id, "returned by the bank")
    db.session.commit()
    assert counter.amount == D("-648.60") and counter.reverses_id == payment.id
    db.session.refresh(invoice)
    assert invoice.status == "issued" and invoice.open_amount == D("648.60")
    with pytest.raises(RuleViolation, match="bereits storniert"):
        reverse_payment(payment.id, "again")


def test_the_statement_adds_up_to_the_balance(app, db, customer_invoice):
    customer, _, invoice = customer_invoice
    payment = record_payment(invoice.id, D("1000.00"), date(2026, 12, 10), overpayment=True)
    reverse_payment(payment.id, "wrong invoice", on=date(2026, 12, 11))
    record_payment(invoice.id, D("1000.00"), date(2026, 12, 12), overpayment=True)
    db.session.commit()
    refund_credit(
        customer.id, D("51.40"), "asked back", paid_on=date(2026, 12, 15), actor="finance"
    )
    db.session.commit()
    app.config["FROZEN_NOW"] = JANUARY_RUN
    (january_id,) = run_period("2027-01").invoice_ids
    _issue(db, january_id)

    entries = statement(customer.id)
    kinds = [entry.kind for entry in entries]
    assert kinds == [
        "invoice",
        "payment",
        "payment_reversal",
        "payment",
        "refund",
        "invoice",
        "credit_applied",
    ]
    assert entries[-1].balance == balance(customer.id) == D("348.60")  # 2 x 648.60 - 1000 + 51.40
    assert open_amount(customer.id) == D("348.60") and credit_balance(customer.id) == D("0.00")


def test_every_booking_is_audited(db, customer_invoice):
    from app.models.audit import AuditEntry

    customer, _, invoice = customer_invoice
    payment = record_payment(invoice.id, D("1000.00"), date(2026, 12, 10), overpayment=True)
    reverse_payment(payment.id, "wrong invoice", on=date(2026, 12, 11))
    record_payment(invoice.id, D("1000.00"), date(2026, 12, 12), overpayment=True)
    refund_credit(customer.id, D("10.00"), "asked back", actor="finance")
    db.session.commit()

    audited = db.session.execute(
        select(AuditEntry.table_name, AuditEntry.action).where(
            AuditEntry.table_name.in_(("invoicing_payment", "invoicing_refund"))
        )
    ).all()
    assert sorted(audited) == [
        ("invoicing_payment", "insert"),
        ("invoicing_payment", "insert"),
        ("invoicing_payment", "insert"),
        ("invoicing_refund", "insert"),
    ]


def test_a_run_issues_the_credit_note_first_so_its_credit_pays_the_other_site(app, db, setup):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer = setup.customer(legal_name="Delta AG")
    setup.contract(setup.site(customer), "premium", date(2026, 10, 1))
    # The second site ends: its credit note is written after the first site's invoice.
    ending = setup.contract(setup.site(customer), "premium", date(2026, 10, 1))
    app.config["FROZEN_NOW"] = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    run_period("2026-11", issue=True)
    setup.end(ending, date(2026, 11, 20))

    app.config["FROZEN_NOW"] = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    result = run_period("2026-12", issue=True)

    documents = [db.session.get(Invoice, i) for i in result.invoice_ids]
    (note,) = [d for d in documents if d.kind == "credit_note"]
    (december,) = [d for d in documents if d.kind == "invoice"]
    assert note.payable == D("-216.20")
    (credit,) = credit_applied(december)
    assert credit.amount == D("216.20") and credit.note == note.number
    assert december.open_amount == D("648.60") - D("216.20")
