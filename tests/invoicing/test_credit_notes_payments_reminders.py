"""Credit notes (own series, full or partial, with reason), payments by hand, reminders."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import RuleViolation
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.jobs import render_and_mail, run_period, send_reminders
from plugins.invoicing.models import Invoice, Reminder
from plugins.invoicing.payments import record_payment
from plugins.invoicing.reminders import due_reminders

D = Decimal


def test_full_credit_note_references_the_invoice_and_cancels_it(db, invoice):
    assert invoice.payable == D("648.60")
    note = create_credit_note(invoice.id, "Contract signed by mistake")
    db.session.commit()

    assert note.number == "GS-2026-000001"
    assert note.kind == "credit_note" and note.credited_invoice_id == invoice.id
    assert note.reason == "Contract signed by mistake"
    assert (note.total_net, note.total_vat, note.payable) == (
        D("-600.00"),
        D("-48.60"),
        D("-648.60"),
    )
    db.session.refresh(invoice)
    assert invoice.open_amount == D("0.00")
    assert invoice.status == "credited"
    assert invoice.total_net == D("600.00")  # the invoice itself is unchanged


def test_partial_credit_note_credits_part_of_a_line(db, invoice):
    line = invoice.lines[0]
    note = create_credit_note(invoice.id, "Outage on 3 December", {line.id: D("100.00")})
    db.session.commit()
    assert (note.total_net, note.total_vat, note.payable) == (
        D("-100.00"),
        D("-8.10"),
        D("-108.10"),
    )
    db.session.refresh(invoice)
    assert invoice.open_amount == D("540.50")
    with pytest.raises(RuleViolation, match="höchstens CHF 500.00"):
        create_credit_note(invoice.id, "again", {line.id: D("500.01")})


def test_credit_note_needs_a_reason_and_an_issued_invoice(db, setup, invoice):
    with pytest.raises(RuleViolation, match="Grund"):
        create_credit_note(invoice.id, "  ")
    setup.site_with_contract("pro", date(2026, 12, 1))
    (draft_id,) = run_period("2026-12").invoice_ids
    with pytest.raises(RuleViolation, match="ausgestellte Rechnung"):
        create_credit_note(draft_id, "reason")


def test_credit_note_pdf_shows_number_reason_and_no_payment_part(db, invoice):
    import io

    from pypdf import PdfReader

    note = create_credit_note(invoice.id, "Goodwill")
    db.session.commit()
    render_and_mail([note.id])
    db.session.refresh(note)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(note.pdf)).pages)
    assert "Gutschrift GS-2026-000001" in text
    assert invoice.number in text and "Goodwill" in text
    assert "Zahlteil" not in text


def test_partial_bank_payments_reduce_the_open_amount_until_paid(db, invoice):
    record_payment(invoice.id, D("300.00"), date(2026, 12, 10))
    db.session.commit()
    assert (invoice.open_amount, invoice.status) == (D("348.60"), "issued")
    record_payment(invoice.id, D("348.60"), date(2026, 12, 20))
    db.session.commit()
    assert (invoice.open_amount, invoice.status) == (D("0.00"), "paid")
    assert invoice.paid_at is not None


def test_payments_must_be_positive_and_on_issued_invoices(db, setup, invoice):
    with pytest.raises(RuleViolation):
        record_payment(invoice.id, D("0.00"), date(2026, 12, 10))
    setup.site_with_contract("pro", date(2026, 12, 1))
    (draft_id,) = run_period("2026-12").invoice_ids
    with pytest.raises(RuleViolation):
        record_payment(draft_id, D("10.00"), date(2026, 12, 10))


def test_reminder_levels_follow_the_tariff_and_are_mailed_once(app, db, invoice, sent_mail):
    # Due 2026-12-31; levels: 1 after 10 days, 2 after 20 (fee 20.00), 3 after 30.
    app.config["FROZEN_NOW"] = datetime(2027, 1, 9, 8, 0, tzinfo=UTC)
    assert due_reminders() == []

    app.config["FROZEN_NOW"] = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
    (due,) = due_reminders()
    assert (due.level.level, due.days_overdue) == (1, 10)
    sent_mail.clear()
    sent = send_reminders()
    assert [r.level for r in sent] == [1]
    assert send_reminders() == []  # not twice
    (mail,) = sent_mail
    assert mail.to == (invoice.bill_to_email,)
    assert mail.subject == f"1. Mahnung: Rechnung {invoice.number}"
    assert "648.60" in mail.body and "/invoicing/pay/" in mail.body
    assert [a.filename for a in mail.attachments] == [
        f"mahnung-1-{invoice.number}.pdf",
        f"{invoice.number}.pdf",
    ]

    app.config["FROZEN_NOW"] = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    (second,) = send_reminders()
    assert (second.level, second.fee) == (2, D("20.00"))
    assert "668.60" in sent_mail[-1].body  # open amount and the fee
    levels = db.session.scalars(select(Reminder.level).order_by(Reminder.level)).all()
    assert levels == [1, 2]


def test_paid_invoices_get_no_reminder(app, db, invoice):
    record_payment(invoice.id, D("648.60"), date(2026, 12, 20))
    db.session.commit()
    app.config["FROZEN_NOW"] = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert due_reminders() == []


def test_reminder_levels_are_data_finance_can_change(app, db, invoice):
    from tests.factories import put_tariff

    put_tariff(
        "invoicing.reminder_levels",
        date(2026, 1, 1),
        '[{"level": 1, "days_overdue": 2, "fee": "5.00"}]',
    )
    db.session.commit()
    app.config["FROZEN_NOW"] = datetime(2027, 1, 2, 8, 0, tzinfo=UTC)
    (due,) = due_reminders()
    assert (due.level.level, due.level.fee) == (1, D("5.00"))


def test_invoice_mail_on_issue_has_pdf_and_pay_link(app, client, db, setup, sent_mail, factories):
    from tests.factories import login

    setup.site_with_contract("pro", date(2026, 12, 1))
    (invoice_id,) = run_period("2026-12").invoice_ids
    login(client, factories.user("finance"))
    client.post(f"/invoicing/invoices/{invoice_id}/issue")
    (mail,) = sent_mail
    invoice = db.session.get(Invoice, invoice_id)
    assert mail.subject == f"Rechnung {invoice.number}"
    assert "/invoicing/pay/" in mail.body
    assert mail.attachments[0].content.startswith(b"%PDF")


def test_a_run_issuing_directly_mails_each_invoice(db, setup, sent_mail):
    setup.site_with_contract("pro", date(2026, 12, 1), language="en")
    result = run_period("2026-12", issue=True)
    (mail,) = sent_mail
    assert mail.subject == f"Invoice {result.issued_numbers[0]}"
    assert (
        "CHF 139.45" in mail.body and "due on 31.12.2026" in mail.body
    )  # Swiss dates in every language
