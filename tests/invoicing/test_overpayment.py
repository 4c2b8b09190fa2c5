"""A payment above the open amount is refused with a clear message unless it is marked as
an overpayment; then it is booked whole (the surplus is the customer's credit)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import RuleViolation
from plugins.invoicing.models import Payment
from plugins.invoicing.payments import record_payment
from tests.factories import login

D = Decimal


def _payments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_more_than_the_open_amount_is_refused_without_the_flag(db, invoice):
    record_payment(invoice.id, D("600.00"), date(2026, 12, 10))
    db.session.commit()
    with pytest.raises(RuleViolation, match="48.60") as refused:
        record_payment(invoice.id, D("100.00"), date(2026, 12, 11))
    assert refused.value.field == "amount"
    db.session.rollback()
    assert _payments(db) == 1


def test_an_overpayment_is_booked_whole_when_flagged(db, invoice):
    record_payment(invoice.id, D("700.00"), date(2026, 12, 10), overpayment=True)
    db.session.commit()
    assert invoice.amount_paid == D("700.00") and invoice.status == "paid"
    assert invoice.open_amount == D("0.00")
    assert invoice.amount_paid - invoice.payable == D("51.40")  # the customer's credit


def test_the_api_refuses_an_overpayment_unless_flagged(client, db, factories, invoice):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    path = f"/api/v1/invoicing/invoices/{invoice.id}/payments"
    refused = client.post(path, json={"amount": "700.00"}, headers=headers)
    assert refused.status_code == 422
    assert "648.60" in refused.json["message"] and refused.json["details"][0]["field"] == "amount"
    assert _payments(db) == 0
    booked = client.post(path, json={"amount": "700.00", "overpayment": True}, headers=headers)
    assert booked.status_code == 201 and booked.json["amount_paid"] == "700.00"
    assert booked.json["status"] == "paid"


def test_the_page_refuses_an_overpayment_unless_ticked(client, db, factories, invoice):
    finance = factories.user("finance", language="de")
    login(client, finance)
    path = f"/invoicing/invoices/{invoice.id}/payments"
    client.post(path, data={"amount": "700.00", "received_on": "2026-12-01"})
    page = client.get(f"/invoicing/invoices/{invoice.id}").text
    assert "Überzahlung" in page and "648.60" in page
    assert _payments(db) == 0
    client.post(path, data={"amount": "700.00", "received_on": "2026-12-01", "overpayment": "1"})
    assert _payments(db) == 1
