"""Swiss dunning (SPEC 7): levels as data, fees only where the terms allow them, default
interest (OR 104), a PDF with a QR-bill for the total, holds, pauses, once per level."""

import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.company import seed_company, stored_company
from plugins.invoicing.account import credit_balance, invoice_open_amount
from plugins.invoicing.dunning_holds import put_on_hold, release
from plugins.invoicing.dunning_rules import (
    ReminderLevel,
    default_interest,
    next_level,
    payment_in_progress,
    reminder_amounts,
)
from plugins.invoicing.jobs import issue_invoices, run_period, send_reminders
from plugins.invoicing.models import CheckoutSession, DunningHold, Invoice, Reminder
from plugins.invoicing.payments import record_payment
from plugins.invoicing.reminders import due_reminders, remind
from plugins.invoicing.vocabulary import CheckoutState, ReminderWording
from tests.factories import login

D = Decimal
DUE = date(2026, 12, 31)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def terms(db, *, fees: bool = True, interest: bool = False) -> None:
    seed_company()
    row = stored_company()
    row.reminder_fees, row.default_interest = fees, interest
    db.session.commit()


# --- pure rules, with real numbers ------------------------------------------------------


def test_default_interest_is_five_percent_a_year_on_the_days_after_the_due_date():
    # 648.60 x 5 % x 30/365 = 2.66547... -> 2.67
    assert default_interest(D("648.60"), DUE, date(2027, 1, 30), D("5")) == D("2.67")
    # A whole year: exactly 5 % of 1297.20.
    assert default_interest(D("1297.20"), DUE, date(2027, 12, 31), D("5")) == D("64.86")
    # 10 days on 139.45: 0.19102... -> 0.19
    assert default_interest(D("139.45"), DUE, date(2027, 1, 10), D("5.00")) == D("0.19")
    # Not yet in default on the due date itself, nor before.
    assert default_interest(D("648.60"), DUE, DUE, D("5")) == D("0.00")
    assert default_interest(D("648.60"), DUE, date(2026, 12, 1), D("5")) == D("0.00")


def test_default_interest_follows_the_balance_of_each_day_after_a_partial_payment():
    # 648.60 open for 5 days, then 48.60 for 25 days (600.00 paid on 5 January):
    # 648.60 x 5 % x 5/365 = 0.44424... + 48.60 x 5 % x 25/365 = 0.16643... = 0.61
    paid = [(date(2027, 1, 5), D("600.00"))]
    assert default_interest(D("48.60"), DUE, date(2027, 1, 30), D("5"), paid) == D("0.61")
    # A payment before the due date was never in default; one after `on` is not yet.
    early = [(date(2026, 12, 20), D("600.00")), (date(2027, 2, 1), D("10.00"))]
    assert default_interest(D("48.60"), DUE, date(2027, 1, 30), D("5"), early) == D("0.20")


def test_default_interest_rounds_half_up_once_from_the_exact_value():
    # 73.00 x 5 % x 1/365 = 0.01 exactly; 36.50 x 5 % x 1/365 = 0.005 -> 0.01 (half up)
    assert default_interest(D("73.00"), DUE, date(2027, 1, 1), D("5")) == D("0.01")
    assert default_interest(D("36.50"), DUE, date(2027, 1, 1), D("5")) == D("0.01")
    assert default_interest(D("36.49"), DUE, date(2027, 1, 1), D("5")) == D("0.00")


LEVELS = [
    ReminderLevel(1, 10, D("0.00"), ReminderWording.REMINDER),
    ReminderLevel(2, 20, D("20.00"), ReminderWording.DEMAND),
    ReminderLevel(3, 30, D("30.00"), ReminderWording.COLLECTION),
]


def test_levels_are_reached_in_order_one_per_run():
    assert next_level(LEVELS, 0, 9) is None
    assert next_level(LEVELS, 0, 10).level == 1
    assert next_level(LEVELS, 0, 45).level == 1  # never skipped
    assert next_level(LEVELS, 1, 19) is None
    assert next_level(LEVELS, 2, 30).wording == ReminderWording.COLLECTION
    assert next_level(LEVELS, 3, 400) is None


def test_the_third_reminder_asks_for_open_amount_all_fees_and_interest():
    amounts = reminder_amounts(
        open_amount=D("648.60"),
        level=LEVELS[2],
        earlier_fees=D("20.00"),
        due_date=DUE,
        on=date(2027, 1, 30),
        fees_allowed=True,
        interest_percent=D("5"),
    )
    assert (amounts.fee, amounts.earlier_fees, amounts.interest) == (
        D("30.00"),
        D("20.00"),
        D("2.67"),
    )
    assert amounts.total == D("701.27")


def test_no_fee_where_the_terms_do_not_allow_fees_and_no_interest_unless_claimed():
    amounts = reminder_amounts(
        open_amount=D("648.60"),
        level=LEVELS[1],
        earlier_fees=D("0.00"),
        due_date=DUE,
        on=date(2027, 1, 20),
        fees_allowed=False,
        interest_percent=None,
    )
    assert (amounts.fee, amounts.interest, amounts.total) == (D("0.00"), D("0.00"), D("648.60"))


def test_a_checkout_pauses_dunning_while_open_for_24_hours_or_pending():
    now = datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    assert payment_in_progress([(CheckoutState.OPEN, now - timedelta(hours=23))], now)
    assert not payment_in_progress([(CheckoutState.OPEN, now - timedelta(hours=25))], now)
    assert payment_in_progress([(CheckoutState.PENDING, now - timedelta(days=5))], now)
    assert not payment_in_progress([(CheckoutState.EXPIRED, now)], now)
    assert not payment_in_progress([], now)


# --- the reminders, on the database -------------------------------------------------------


def test_default_levels_10_20_30_days_with_fees_0_20_30_and_notice_of_collection(
    app, db, invoice, sent_mail
):
    terms(db, fees=True)
    app.config["FROZEN_NOW"] = at(date(2027, 1, 9))
    assert due_reminders() == []

    sent = {}
    for day, level in ((date(2027, 1, 10), 1), (date(2027, 1, 20), 2), (date(2027, 1, 30), 3)):
        app.config["FROZEN_NOW"] = at(day)
        sent_mail.clear()
        (reminder,) = send_reminders()
        assert reminder.level == level
        assert send_reminders() == []  # never twice per level
        sent[level] = reminder
        (mail,) = sent_mail
        assert mail.attachments[0].content.startswith(b"%PDF")

    rows = db.session.scalars(select(Reminder).order_by(Reminder.level)).all()
    assert [(r.level, r.wording, r.fee, r.earlier_fees, r.amount_due) for r in rows] == [
        (1, ReminderWording.REMINDER, D("0.00"), D("0.00"), D("648.60")),
        (2, ReminderWording.DEMAND, D("20.00"), D("0.00"), D("668.60")),
        (3, ReminderWording.COLLECTION, D("30.00"), D("20.00"), D("698.60")),
    ]
    assert all(r.interest == D("0.00") for r in rows)
    app.config["FROZEN_NOW"] = at(date(2027, 6, 1))
    assert due_reminders() == []  # three levels, then finance decides (collection)


def test_default_interest_is_added_when_the_terms_claim_it(app, db, invoice):
    terms(db, fees=True, interest=True)
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (first,) = send_reminders()
    # 648.60 x 5 % x 10/365 = 0.888... -> 0.89
    assert (first.interest, first.amount_due) == (D("0.89"), D("649.49"))


def test_without_fees_in_the_terms_the_reminders_charge_none(app, db, invoice):
    terms(db, fees=False)
    for day in (date(2027, 1, 10), date(2027, 1, 20), date(2027, 1, 30)):
        app.config["FROZEN_NOW"] = at(day)
        send_reminders()
    rows = db.session.scalars(select(Reminder).order_by(Reminder.level)).all()
    assert [(r.fee, r.amount_due) for r in rows] == [(D("0.00"), D("648.60"))] * 3


def test_a_partial_payment_leaves_the_rest_to_be_reminded(app, db, invoice):
    record_payment(invoice.id, D("600.00"), date(2027, 1, 5))
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (reminder,) = send_reminders()
    assert (reminder.open_amount, reminder.amount_due) == (D("48.60"), D("48.60"))


def test_interest_counts_what_was_open_on_each_day(app, db, invoice):
    terms(db, fees=False, interest=True)
    record_payment(invoice.id, D("600.00"), date(2027, 1, 5))
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (reminder,) = send_reminders()
    # 648.60 x 5 % x 5/365 = 0.44424... + 48.60 x 5 % x 5/365 = 0.03328... = 0.48
    assert (reminder.interest, reminder.amount_due) == (D("0.48"), D("49.08"))


def test_dunning_stops_the_moment_the_invoice_is_paid(app, db, invoice):
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (due,) = due_reminders()
    # Paid between finding the reminder and sending it: nothing is sent.
    record_payment(invoice.id, D("648.60"), date(2027, 1, 10))
    db.session.commit()
    assert remind(due, date(2027, 1, 10)) is None
    db.session.commit()
    assert db.session.scalars(select(Reminder)).all() == []
    app.config["FROZEN_NOW"] = at(date(2027, 3, 1))
    assert due_reminders() == []


def test_an_online_payment_in_progress_pauses_dunning(app, db, invoice):
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    session = CheckoutSession(
        invoice_id=invoice.id,
        session_id="cs_test_1",
        amount=D("648.60"),
        url="https://checkout.stripe.com/c/pay/cs_test_1",
        created_at=at(date(2027, 1, 10)) - timedelta(hours=2),
    )
    db.session.add(session)
    db.session.commit()
    assert due_reminders() == []
    session.status = CheckoutState.PENDING  # TWINT accepted, not yet confirmed
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2027, 1, 12))
    assert due_reminders() == []
    session.status = CheckoutState.FAILED
    db.session.commit()
    (due,) = due_reminders()
    assert due.level.level == 1


def test_a_customer_on_hold_gets_no_reminders_until_released(app, db, invoice):
    hold = put_on_hold(invoice.customer_id, "Disputes the December invoice", "finance@winet.ch")
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2027, 1, 15))
    assert due_reminders() == []
    assert send_reminders() == []
    release(hold.id)
    db.session.commit()
    (reminder,) = send_reminders()
    assert reminder.level == 1


def test_a_level_is_recorded_once_even_when_a_concurrent_run_read_it_as_due(app, db, invoice):
    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (due,) = due_reminders()
    assert remind(due, date(2027, 1, 10)) is not None
    db.session.commit()
    # A second run that read the invoice before the first committed: the unique key
    # (invoice, level) refuses its row, and nothing else of it is kept.
    db.session.execute(update(Invoice).where(Invoice.id == invoice.id).values(reminder_level=0))
    db.session.commit()
    assert remind(due, date(2027, 1, 10)) is None
    db.session.commit()
    assert db.session.scalar(select(Reminder.level)) == 1
    assert len(db.session.scalars(select(Reminder)).all()) == 1


def test_the_reminder_mail_and_pdf_are_in_the_customers_language(
    app, db, setup, sent_mail, tmp_path
):
    terms(db, fees=True)
    setup.site_with_contract("premium", date(2026, 12, 1), language="en")
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    number = db.session.get(Invoice, invoice_id).number
    for day in (date(2027, 1, 10), date(2027, 1, 20)):
        app.config["FROZEN_NOW"] = at(day)
        sent_mail.clear()
        send_reminders()
    (mail,) = sent_mail
    assert mail.subject == f"Reminder 2: invoice {number}"
    assert "CHF 668.60" in mail.body and "/invoicing/pay/" in mail.body
    assert [a.filename for a in mail.attachments] == [
        f"reminder-2-{number}.pdf",
        f"{number}.pdf",
    ]
    text = _pdf_text(mail.attachments[0].content, tmp_path)
    assert "Reminder 2: Invoice" in text and "Reminder fee" in text and "668.60" in text


def test_the_german_reminder_pdf_carries_a_qr_bill_for_the_total(app, db, invoice, tmp_path):
    terms(db, fees=True, interest=True)
    for day in (date(2027, 1, 10), date(2027, 1, 20), date(2027, 1, 30)):
        app.config["FROZEN_NOW"] = at(day)
        send_reminders()
    third = db.session.scalar(select(Reminder).where(Reminder.level == 3))
    # 648.60 + 30.00 + 20.00 + interest 648.60 x 5 % x 30/365 = 2.67
    assert third.amount_due == D("701.27")
    text = _pdf_text(third.pdf, tmp_path)
    assert "3. Mahnung" in text and "Betreibung" in text
    assert "Mahngebühr" in text and "Verzugszins" in text
    assert "701.27" in text  # the total and the QR-bill's amount
    assert "Zahlteil" in text and "Empfangsschein" in text


def _pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "reminder.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


# --- the page -------------------------------------------------------------------------


def test_finance_puts_a_customer_on_hold_with_a_reason_and_it_is_audited(
    app, db, client, factories, invoice
):
    from app.models.audit import AuditEntry
    from tests.factories import login

    login(client, factories.user("finance"))
    refused = client.post(
        "/invoicing/dunning/holds",
        data={"customer_id": invoice.customer_id, "reason": ""},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert db.session.scalars(select(DunningHold)).all() == []

    client.post(
        "/invoicing/dunning/holds",
        data={"customer_id": invoice.customer_id, "reason": "Payment plan agreed"},
    )
    (hold,) = db.session.scalars(select(DunningHold)).all()
    assert hold.reason == "Payment plan agreed"
    page = client.get("/invoicing/dunning").get_data(as_text=True)
    assert "Payment plan agreed" in page
    audited = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "invoicing_dunning_hold")
    ).all()
    assert audited

    client.post(f"/invoicing/dunning/holds/{hold.id}/release")
    db.session.expire_all()
    assert db.session.scalars(select(DunningHold)).all() == []


@pytest.mark.postgres_only
def test_two_reminder_runs_at_once_send_each_level_once(app, db, invoice, monkeypatch):
    import threading

    from app.models.outbox import OutboxMessage
    from plugins.invoicing import jobs

    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    db.session.commit()
    real = jobs.due_reminders
    barrier = threading.Barrier(2)

    def found_then_wait(day):
        due = real(day)
        barrier.wait(timeout=30)  # both runs found level 1 due before either sends it
        return due

    monkeypatch.setattr(jobs, "due_reminders", found_then_wait)
    sent, errors = [], []

    def run():
        with app.app_context():
            from app.database import db as thread_db

            try:
                sent.extend(r.id for r in send_reminders())
            except Exception as error:
                errors.append(error)
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == [] and len(sent) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1
    mails = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.key == f"invoicing.reminder:{invoice.id}:1")
    )
    assert mails == 1


def test_the_reminders_qr_code_asks_for_the_total_under_the_invoices_reference(
    app, db, invoice, tmp_path
):
    from tests.invoicing.test_qr_code import rasterised_last_page

    zxingcpp = pytest.importorskip("zxingcpp")
    terms(db, fees=True)
    for day in (date(2027, 1, 10), date(2027, 1, 20)):
        app.config["FROZEN_NOW"] = at(day)
        send_reminders()
    second = db.session.scalar(select(Reminder).where(Reminder.level == 2))
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    page = rasterised_last_page(second.pdf, tmp_path, shutil.which("pdftoppm"))
    (code,) = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    fields = code.text.splitlines()
    assert fields[0] == "SPC"
    assert "668.60" in fields and "CHF" in fields  # 648.60 open + 20.00 fee
    assert invoice.qr_reference in fields and "QRR" in fields


def test_the_customer_sees_its_reminders_on_the_invoice_and_no_one_elses(
    app, db, client, factories, setup, invoice
):
    from tests.factories import login

    app.config["FROZEN_NOW"] = at(date(2027, 1, 10))
    (reminder,) = send_reminders()
    login(client, factories.user("customer", customer=invoice.customer))
    page = client.get(f"/invoicing/invoices/{invoice.id}").get_data(as_text=True)
    assert 'data-reminder="1"' in page
    pdf = client.get(f"/invoicing/reminders/{reminder.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    client.post("/logout")
    stranger = setup.customer()
    login(client, factories.user("customer", customer=stranger))
    assert client.get(f"/invoicing/reminders/{reminder.id}/pdf").status_code == 404


def test_holds_through_the_api(app, db, client, factories, invoice):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    body = {"customer_id": invoice.customer_id, "reason": "Disputed"}
    created = client.post("/api/v1/invoicing/dunning-holds", json=body, headers=headers)
    assert created.status_code == 201 and created.json["reason"] == "Disputed"
    again = client.post("/api/v1/invoicing/dunning-holds", json=body, headers=headers)
    assert again.status_code == 409
    empty = client.post(
        "/api/v1/invoicing/dunning-holds",
        json={"customer_id": invoice.customer_id, "reason": ""},
        headers=headers,
    )
    assert empty.status_code == 422
    missing = client.post(
        "/api/v1/invoicing/dunning-holds",
        json={"customer_id": 999999, "reason": "x"},
        headers=headers,
    )
    assert missing.status_code == 404
    listed = client.get("/api/v1/invoicing/dunning-holds", headers=headers).json
    assert [h["customer_id"] for h in listed] == [invoice.customer_id]
    hold_id = created.json["id"]
    assert (
        client.delete(f"/api/v1/invoicing/dunning-holds/{hold_id}", headers=headers).status_code
        == 200
    )
    assert (
        client.delete(f"/api/v1/invoicing/dunning-holds/{hold_id}", headers=headers).status_code
        == 404
    )
    assert client.get("/api/v1/invoicing/dunning-holds", headers=headers).json == []


def test_no_reminder_while_the_credit_balance_covers_the_open_amount(app, db, setup):
    from plugins.invoicing.account import credit_balance, refund_credit

    customer = setup.customer()
    for _ in range(2):
        setup.contract(setup.site(customer), "premium", date(2026, 12, 1))
    first, second = run_period("2026-12").invoice_ids  # 648.60 each, one per site
    issue_invoices([first, second], processes=1)
    # 1,348.60 on the first: 700.00 too much, a credit balance that covers the second.
    record_payment(first, D("1348.60"), date(2026, 12, 20), overpayment=True)
    db.session.commit()
    assert credit_balance(customer.id) == D("700.00")
    app.config["FROZEN_NOW"] = at(date(2027, 1, 15))
    assert due_reminders() == []
    assert send_reminders() == []

    # 100.00 refunded: 600.00 of credit no longer covers 648.60, the reminder goes out.
    refund_credit(customer.id, D("100.00"), "Asked for part back", actor="finance")
    db.session.commit()
    (due,) = due_reminders()
    assert due.invoice.id == second


def test_paying_what_the_reminder_asks_settles_invoice_and_fee_without_overpayment(
    app, db, invoice, client, factories
):
    terms(db, fees=True)
    for day in (date(2027, 1, 10), date(2027, 1, 20)):
        app.config["FROZEN_NOW"] = at(day)
        send_reminders()
    db.session.commit()
    # the invoice's page shows the fee and what is open with it, as the reminder asks
    login(client, factories.user("finance"))
    page = client.get(f"/invoicing/invoices/{invoice.id}").text
    assert '<dd id="reminder-fees">20.00</dd>' in page
    assert '<dd id="open-amount">668.60</dd>' in page
    assert 'name="amount" value="668.60"' in page
    # 668.60 paid by bank, no overpayment flag: the invoice and its fee are settled
    record_payment(invoice.id, D("668.60"), date(2027, 1, 22))
    db.session.commit()
    assert invoice.status == "paid"
    assert (invoice_open_amount(invoice), credit_balance(invoice.customer_id)) == (0, 0)
    page = client.get(f"/invoicing/invoices/{invoice.id}").text
    assert 'id="overpaid"' not in page  # the fee is no credit balance
    assert '<dd id="open-amount">0.00</dd>' in page
