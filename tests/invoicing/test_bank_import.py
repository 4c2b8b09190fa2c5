"""camt.054 import: credits matched by QR reference and booked, the rest queued for finance,
reversals counter-booked, nothing booked twice, a malformed file refused whole."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import RuleViolation
from plugins.invoicing.account import credit_balance, open_amount
from plugins.invoicing.bank_import import assign_credit, import_bank_file, queue, return_credit
from plugins.invoicing.camt import CamtError
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BankCredit, Invoice, Payment
from plugins.invoicing.payments import record_payment
from plugins.invoicing.qr_reference import qr_reference_for
from tests.invoicing.camt_files import camt054, entry, tx

D = Decimal
UNKNOWN = qr_reference_for("2026-000099")


@pytest.fixture
def invoices(app, db, setup):
    """Two issued invoices of 648.60 (premium, 600.00 + 8.1 %): 2026-000001 and -000002."""
    first, _, _ = setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Alpha AG")
    second, _, _ = setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Beta AG")
    ids = run_period("2026-12").invoice_ids
    issued = [issue_invoice(invoice_id) for invoice_id in sorted(ids)]
    db.session.commit()
    return issued


def _payments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_an_exact_payment_pays_the_invoice_with_booking_and_value_date(db, invoices):
    invoice = invoices[0]
    data = camt054(
        entry(
            "E1", tx("648.60", invoice.qr_reference, "T1"), booked="2026-12-10", value="2026-12-09"
        )
    )
    result = import_bank_file(data, file_name="camt.xml", actor="finance")
    db.session.commit()

    assert result.counts() == {
        "matched": 1,
        "unmatched": 0,
        "already_imported": 0,
        "reversed": 0,
        "skipped": 0,
    }
    db.session.refresh(invoice)
    assert invoice.status == "paid" and invoice.amount_paid == D("648.60")
    (payment,) = invoice.payments
    assert (payment.method, payment.received_on, payment.value_date) == (
        "qr_bill",
        date(2026, 12, 10),
        date(2026, 12, 9),
    )
    assert payment.external_reference == "E1/T1"
    credit = db.session.scalar(select(BankCredit))
    assert (credit.state, credit.invoice_id, credit.payment_id) == (
        "matched",
        invoice.id,
        payment.id,
    )


def test_a_partial_payment_leaves_the_rest_open(db, invoices):
    invoice = invoices[0]
    import_bank_file(camt054(entry("E1", tx("600.00", invoice.qr_reference, "T1"))))
    db.session.commit()

    db.session.refresh(invoice)
    assert invoice.status == "issued" and invoice.open_amount == D("48.60")
    assert open_amount(invoice.customer_id) == D("48.60")


def test_an_overpayment_becomes_a_credit_balance(db, invoices):
    invoice = invoices[0]
    import_bank_file(camt054(entry("E1", tx("2000.00", invoice.qr_reference, "T1"))))
    db.session.commit()

    db.session.refresh(invoice)
    assert invoice.status == "paid"
    assert credit_balance(invoice.customer_id) == D("1351.40")  # 2000.00 - 648.60


def test_paid_by_stripe_and_again_by_qr_bill_is_a_credit_of_the_whole_amount(db, invoices):
    invoice = invoices[0]
    record_payment(
        invoice.id, D("648.60"), date(2026, 12, 9), method="stripe", external_reference="cs_1"
    )
    db.session.commit()

    result = import_bank_file(camt054(entry("E1", tx("648.60", invoice.qr_reference, "T1"))))
    db.session.commit()

    assert result.matched == 1
    assert credit_balance(invoice.customer_id) == D("648.60")


def test_an_unknown_reference_waits_in_the_queue_and_finance_assigns_it(db, invoices):
    invoice = invoices[1]
    result = import_bank_file(camt054(entry("E1", tx("648.60", UNKNOWN, "T1"))))
    db.session.commit()

    assert (result.matched, result.unmatched) == (0, 1)
    (waiting,) = queue()
    assert waiting.state == "unmatched" and waiting.note == "no invoice has this QR reference"
    assert _payments(db) == 0

    with pytest.raises(RuleViolation, match="2026-999999"):
        assign_credit(waiting.id, "2026-999999", actor="finance")
    assign_credit(waiting.id, invoice.number, actor="finance")
    db.session.commit()

    assert queue() == []
    db.session.refresh(invoice)
    assert invoice.status == "paid"
    assert waiting.state == "assigned" and waiting.resolved_by == "finance"
    with pytest.raises(RuleViolation, match="wartet nicht mehr"):
        assign_credit(waiting.id, invoice.number, actor="finance")


def test_finance_returns_a_credit_with_a_reason(db, invoices):
    import_bank_file(camt054(entry("E1", tx("50.00", None, "T1", scor="RF18539007547034"))))
    db.session.commit()
    (waiting,) = queue()
    assert waiting.note == "no QR reference"

    with pytest.raises(RuleViolation):
        return_credit(waiting.id, "", actor="finance")
    return_credit(waiting.id, "not our customer, sent back", actor="finance")
    db.session.commit()
    assert queue() == [] and waiting.state == "returned" and _payments(db) == 0


def test_a_reversed_entry_takes_the_payment_back_by_a_counter_booking(db, invoices):
    invoice = invoices[0]
    import_bank_file(camt054(entry("E1", tx("648.60", invoice.qr_reference, "T1"))))
    db.session.commit()

    reversal = camt054(
        entry(
            "E2",
            tx("648.60", invoice.qr_reference, "T2"),
            direction="DBIT",
            reversal=True,
            booked="2026-12-16",
        ),
        message_id="MSG-2",
    )
    result = import_bank_file(reversal)
    db.session.commit()

    assert result.reversed == 1
    db.session.refresh(invoice)
    assert invoice.status == "issued" and invoice.open_amount == D("648.60")
    amounts = sorted(p.amount for p in invoice.payments)
    assert amounts == [D("-648.60"), D("648.60")]
    states = db.session.scalars(select(BankCredit.state).order_by(BankCredit.id)).all()
    assert states == ["reversed", "reversed"]
    assert import_bank_file(reversal).already_imported == 1  # and not reversed twice


def test_a_reversal_of_an_unknown_credit_waits_for_finance(db, invoices):
    result = import_bank_file(
        camt054(entry("E9", tx("10.00", UNKNOWN, "T9"), direction="DBIT", reversal=True))
    )
    db.session.commit()
    assert result.unmatched == 1
    (waiting,) = queue()
    assert waiting.reversal
    with pytest.raises(RuleViolation, match="Rückbuchung"):
        assign_credit(waiting.id, invoices[0].number, actor="finance")


def test_a_batch_of_several_credits_in_one_entry_is_booked_one_by_one(db, invoices):
    first, second = invoices
    data = camt054(
        entry(
            "E1",
            tx("648.60", first.qr_reference, "T1"),
            tx("300.00", second.qr_reference, "T2"),
            tx("25.00", UNKNOWN, "T3"),
        )
    )
    result = import_bank_file(data)
    db.session.commit()

    assert (result.matched, result.unmatched) == (2, 1)
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.status == "paid" and second.open_amount == D("348.60")


def test_importing_the_same_file_twice_books_nothing_twice(db, invoices):
    invoice = invoices[0]
    data = camt054(
        entry("E1", tx("648.60", invoice.qr_reference, "T1")),
        entry("E2", tx("25.00", UNKNOWN, "T2")),
    )
    import_bank_file(data)
    db.session.commit()

    again = import_bank_file(data)
    db.session.commit()

    assert again.counts() == {
        "matched": 0,
        "unmatched": 0,
        "already_imported": 2,
        "reversed": 0,
        "skipped": 0,
    }
    assert _payments(db) == 1 and len(queue()) == 1
    db.session.refresh(invoice)
    assert invoice.amount_paid == D("648.60")


def test_the_same_keys_are_unique_in_the_database(db, invoices):
    import_bank_file(camt054(entry("E1", tx("25.00", UNKNOWN, "T1"))))
    db.session.commit()
    from sqlalchemy.exc import IntegrityError

    copy = BankCredit(
        entry_key="E1",
        transaction_key="T1",
        state="unmatched",
        amount=D("1.00"),
        currency="CHF",
        booking_date=date(2026, 12, 10),
        message_id="x",
    )
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_malformed_file_is_refused_whole_with_line_and_reason(db, invoices):
    invoice = invoices[0]
    good = camt054(entry("E1", tx("648.60", invoice.qr_reference, "T1")))
    broken_reference = invoice.qr_reference[:-1] + str((int(invoice.qr_reference[-1]) + 1) % 10)
    data = camt054(
        entry("E1", tx("648.60", invoice.qr_reference, "T1")),
        entry("E2", tx("10.00", broken_reference, "T2")),
    )
    with pytest.raises(CamtError) as refused:
        import_bank_file(data)
    db.session.rollback()

    assert refused.value.line and "check digit" in refused.value.reason
    assert (
        _payments(db) == 0 and db.session.scalar(select(func.count()).select_from(BankCredit)) == 0
    )
    assert import_bank_file(good).matched == 1


def test_a_file_of_another_account_is_refused(db, invoices):
    with pytest.raises(CamtError, match="QR-IBAN"):
        import_bank_file(
            camt054(entry("E1", tx("5.00", UNKNOWN, "T1")), iban="CH9300762011623852957")
        )


def test_pending_entries_are_skipped_until_booked(db, invoices):
    invoice = invoices[0]
    pending = camt054(entry("E1", tx("648.60", invoice.qr_reference, "T1"), status="PDNG"))
    assert import_bank_file(pending).skipped == 1
    assert (
        import_bank_file(camt054(entry("E1", tx("648.60", invoice.qr_reference, "T1")))).matched
        == 1
    )


def test_a_credit_on_a_credit_note_reference_is_ambiguous(db, invoices):
    from plugins.invoicing.credit_notes import create_credit_note

    note = create_credit_note(invoices[0].id, "mistake")
    db.session.commit()
    import_bank_file(camt054(entry("E1", tx("10.00", note.qr_reference, "T1"))))
    (waiting,) = queue()
    assert waiting.state == "ambiguous" and note.number in waiting.note
    assert db.session.get(Invoice, invoices[0].id).amount_paid == D("0.00")


def test_the_issues_example_2000_on_1297_20_leaves_702_80_credit(db, setup):
    """Two premium sites on one consolidated invoice: 2 x 648.60 = 1,297.20, paid 2,000.00."""
    customer = setup.customer(legal_name="Gamma AG", invoice_mode="consolidated")
    for _ in range(2):
        setup.contract(setup.site(customer), "premium", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    invoice = issue_invoice(invoice_id)
    db.session.commit()
    assert invoice.payable == D("1297.20")

    import_bank_file(camt054(entry("E1", tx("2000.00", invoice.qr_reference, "T1"))))
    db.session.commit()

    assert open_amount(customer.id) == D("0.00")
    assert credit_balance(customer.id) == D("702.80")
