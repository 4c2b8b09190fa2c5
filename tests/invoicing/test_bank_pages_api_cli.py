"""The entry points of the bank import and the account: upload page and queue, the API
(multipart), the CLI, the reconciliation page with its CSV, the account in the portal."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.invoicing.account import credit_balance
from plugins.invoicing.bank_import import import_bank_file
from plugins.invoicing.issuing import issue_invoice
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import BankCredit, Invoice, Payment, Refund
from plugins.invoicing.payments import record_payment
from plugins.invoicing.qr_reference import qr_reference_for
from plugins.invoicing.reconciliation import age_bucket, days_past_due
from tests.factories import login
from tests.invoicing.camt_files import camt054, entry, tx

D = Decimal
UNKNOWN = qr_reference_for("2026-000099")


@pytest.fixture
def invoices(app, db, setup):
    """2026-000001 Alpha AG and 2026-000002 Beta AG, 648.60 each, due 2026-12-31."""
    setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Alpha AG")
    setup.site_with_contract("premium", date(2026, 12, 1), legal_name="Beta AG")
    issued = [issue_invoice(i) for i in sorted(run_period("2026-12").invoice_ids)]
    db.session.commit()
    return issued


def _file(invoices) -> bytes:
    return camt054(
        entry(
            "E1",
            tx("648.60", invoices[0].qr_reference, "T1"),
            tx("100.00", UNKNOWN, "T2", debtor="Unbekannt GmbH"),
        )
    )


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_finance_uploads_a_file_and_assigns_the_unmatched_credit(client, db, factories, invoices):
    login(client, factories.user("finance"))
    page = client.get("/invoicing/bank")
    assert page.status_code == 200 and "camt.054" in page.text

    response = client.post(
        "/invoicing/bank/files",
        data={"file": (io.BytesIO(_file(invoices)), "camt054.xml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 zugeordnet, 1 nicht zugeordnet, 0 bereits eingelesen" in response.text
    assert "Unbekannt GmbH" in response.text
    waiting = db.session.scalar(select(BankCredit).where(BankCredit.state == "unmatched"))

    client.post(
        f"/invoicing/bank/credits/{waiting.id}/assign",
        data={"invoice_number": invoices[1].number},
    )
    db.session.expire_all()
    assert db.session.get(BankCredit, waiting.id).state == "assigned"
    assert db.session.get(Invoice, invoices[1].id).open_amount == D("548.60")


def test_a_malformed_upload_is_refused_with_its_line(client, db, factories, invoices):
    login(client, factories.user("finance"))
    data = _file(invoices).replace(b'<Amt Ccy="CHF">100.00</Amt>', b'<Amt Ccy="CHF">1OO.00</Amt>')
    response = client.post(
        "/invoicing/bank/files",
        data={"file": (io.BytesIO(data), "broken.xml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert (
        "nichts wurde gebucht: Zeile" in response.text and "ist keine Dezimalzahl" in response.text
    )
    assert _count(db, Payment) == 0 and _count(db, BankCredit) == 0


def test_the_api_imports_a_multipart_file_once(client, db, factories, invoices):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}

    def post(data: bytes):
        return client.post(
            "/api/v1/invoicing/bank-files",
            data={"file": (io.BytesIO(data), "camt054.xml")},
            content_type="multipart/form-data",
            headers=headers,
        )

    first = post(_file(invoices))
    assert first.status_code == 200
    assert (first.json["matched"], first.json["unmatched"], first.json["already_imported"]) == (
        1,
        1,
        0,
    )
    again = post(_file(invoices))
    assert (again.json["matched"], again.json["already_imported"]) == (0, 2)
    assert _count(db, Payment) == 1

    refused = post(b"<Document/>")
    assert refused.status_code == 422 and refused.json["error"] == "bank_file_refused"
    assert refused.json["details"][0]["line"] == 1
    missing = client.post("/api/v1/invoicing/bank-files", headers=headers, data={})
    assert missing.status_code == 400 and missing.json["error"] == "file_missing"


def test_a_customer_may_not_import_bank_files(client, factories, invoices):
    customer = db_customer = invoices[0].customer
    token = factories.token(factories.user("customer", customer=db_customer))
    response = client.post(
        "/api/v1/invoicing/bank-files",
        data={"file": (io.BytesIO(b"x"), "x.xml")},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403 and customer


def test_the_cli_prints_matched_unmatched_and_already_imported(app, db, invoices, tmp_path):
    path = tmp_path / "camt054.xml"
    path.write_bytes(_file(invoices))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["invoicing", "import-bank", str(path)])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "1 matched, 1 unmatched, 0 already imported."
    again = runner.invoke(args=["invoicing", "import-bank", str(path)])
    assert again.output.strip() == "0 matched, 0 unmatched, 2 already imported."

    path.write_bytes(b"<Document>")
    refused = runner.invoke(args=["invoicing", "import-bank", str(path)])
    assert refused.exit_code == 1 and "refused, nothing booked: line" in refused.output
    assert _count(db, Payment) == 1


def test_age_buckets_count_days_past_due():
    assert [age_bucket(d) for d in (0, 30, 31, 60, 61, 90, 91)] == [
        "0-30",
        "0-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
    ]
    assert days_past_due(date(2026, 12, 31), date(2026, 12, 15)) == 0
    assert days_past_due(date(2026, 12, 31), date(2027, 3, 1)) == 60


def test_the_reconciliation_shows_open_items_by_age_credits_and_the_days_money(
    app, client, db, factories, invoices
):
    first, second = invoices
    record_payment(
        first.id,
        D("700.00"),
        date(2027, 3, 2),
        method="qr_bill",
        external_reference="E/1",
        overpayment=True,
    )
    record_payment(
        second.id, D("48.60"), date(2027, 3, 2), method="stripe", external_reference="cs"
    )
    record_payment(second.id, D("100.00"), date(2027, 3, 2), overpayment=True)
    import_bank_file(camt054(entry("E9", tx("80.00", UNKNOWN, "T9", debtor="Unbekannt GmbH"))))
    db.session.commit()
    app.config["FROZEN_NOW"] = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # 61 days past due
    login(client, factories.user("finance"))

    page = client.get("/invoicing/reconciliation")
    assert page.status_code == 200
    assert 'data-bucket="61-90">500.00' in page.text  # 648.60 - 148.60 of Beta AG
    assert "Alpha AG" in page.text and "51.40" in page.text  # the credit of Alpha AG
    assert 'data-channel="qr_bill"' in page.text and "700.00" in page.text
    assert "Unbekannt GmbH" in page.text  # the unmatched queue

    export = client.get("/invoicing/reconciliation.csv")
    assert export.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Rechnung",
        "Kundennummer",
        "Kunde",
        "Fällig",
        "Tage überfällig",
        "Alter",
        "Offen CHF",
    ]
    assert rows[1][0] == second.number and rows[1][4:] == ["61", "61–90 Tage", "500.00"]


def test_finance_refunds_a_credit_from_the_reconciliation(client, db, factories, invoices):
    record_payment(invoices[0].id, D("700.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    login(client, factories.user("finance"))
    customer_id = invoices[0].customer_id
    client.post(f"/invoicing/customers/{customer_id}/refunds", data={"amount": "51.40"})
    assert _count(db, Refund) == 0  # no reason, no refund
    client.post(
        f"/invoicing/customers/{customer_id}/refunds",
        data={"amount": "51.40", "reason": "paid too much, back to the IBAN"},
    )
    assert credit_balance(customer_id) == D("0.00")


def test_the_customer_sees_balance_and_credit_in_the_portal(client, db, factories, invoices):
    record_payment(invoices[0].id, D("700.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    customer = invoices[0].customer
    login(client, factories.user("customer", customer=customer))

    page = client.get(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert '<dd id="account-credit">51.40</dd>' in page.text
    assert '<dd id="account-balance">-51.40</dd>' in page.text
    token = factories.token(factories.user("customer", customer=customer))
    account = client.get(
        f"/api/v1/invoicing/customers/{customer.id}/account",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert account.json["credit_balance"] == "51.40"
    other = client.get(
        f"/api/v1/invoicing/customers/{invoices[1].customer_id}/account",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert other.status_code == 404


def test_the_invoice_page_shows_what_was_received_beyond_it(client, db, factories, invoices):
    record_payment(invoices[0].id, D("700.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    login(client, factories.user("finance"))
    page = client.get(f"/invoicing/invoices/{invoices[0].id}")
    assert '<dd id="overpaid">51.40</dd>' in page.text
