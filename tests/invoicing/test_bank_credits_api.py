"""Finance's bank queue over the API: list the credits by state (bounded), book a waiting
credit on an invoice by its number, return one with the reason; the multipart upload is
described in the OpenAPI document."""

import io

import pytest
from sqlalchemy import func, select

from plugins.invoicing.models import BankCredit, Invoice, Payment
from tests.invoicing.test_bank_pages_api_cli import _file, invoices  # noqa: F401 - fixture


@pytest.fixture
def finance(client, factories):
    return {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}


@pytest.fixture
def queued(client, db, finance, invoices):  # noqa: F811 - the fixture imported above
    """The file of test_bank_pages_api_cli: one credit matched, 100.00 of an unknown
    reference waiting."""
    response = client.post(
        "/api/v1/invoicing/bank-files",
        data={"file": (io.BytesIO(_file(invoices)), "camt054.xml")},
        content_type="multipart/form-data",
        headers=finance,
    )
    assert response.status_code == 200
    return db.session.scalar(select(BankCredit).where(BankCredit.state == "unmatched"))


def _payments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_the_queue_lists_the_unmatched_credits(client, db, finance, queued):
    waiting = client.get("/api/v1/invoicing/bank-credits?state=unmatched", headers=finance)
    assert waiting.status_code == 200
    (credit,) = waiting.json
    assert (credit["id"], credit["amount"], credit["debtor_name"]) == (
        queued.id,
        "100.00",
        "Unbekannt GmbH",
    )
    every = client.get("/api/v1/invoicing/bank-credits", headers=finance).json
    assert sorted(c["state"] for c in every) == ["matched", "unmatched"]
    page = client.get("/api/v1/invoicing/bank-credits?limit=1&offset=1", headers=finance).json
    assert [c["id"] for c in page] == [every[1]["id"]]
    assert (
        client.get("/api/v1/invoicing/bank-credits?limit=501", headers=finance).status_code == 400
    )
    assert client.get("/api/v1/invoicing/bank-credits?state=x", headers=finance).status_code == 400


def test_finance_books_a_waiting_credit_on_an_invoice(client, db, finance, queued, invoices):  # noqa: F811
    url = f"/api/v1/invoicing/bank-credits/{queued.id}/assign"
    unknown = client.post(url, json={"invoice_number": "2026-999999"}, headers=finance)
    assert unknown.status_code == 422 and _payments(db) == 1

    booked = client.post(url, json={"invoice_number": invoices[1].number}, headers=finance)
    assert booked.status_code == 200
    assert (booked.json["state"], booked.json["invoice_id"]) == ("assigned", invoices[1].id)
    db.session.expire_all()
    assert str(db.session.get(Invoice, invoices[1].id).open_amount) == "548.60"

    again = client.post(url, json={"invoice_number": invoices[1].number}, headers=finance)
    assert again.status_code == 409 and _payments(db) == 2


def test_finance_returns_a_waiting_credit_with_the_reason(client, db, finance, queued):
    url = f"/api/v1/invoicing/bank-credits/{queued.id}/return"
    assert client.post(url, json={"reason": ""}, headers=finance).status_code == 422
    returned = client.post(url, json={"reason": "Wrong account, paid back"}, headers=finance)
    assert returned.status_code == 200
    assert (returned.json["state"], returned.json["note"]) == (
        "returned",
        "Wrong account, paid back",
    )
    assert _payments(db) == 1
    assert client.post(url, json={"reason": "again"}, headers=finance).status_code == 409


def test_an_unknown_credit_is_404_before_the_body_is_read(client, finance, queued):
    response = client.post("/api/v1/invoicing/bank-credits/999999/assign", json={}, headers=finance)
    assert response.status_code == 404


def test_the_bank_queue_is_finance_s(client, factories, queued, invoices):  # noqa: F811
    token = factories.token(factories.user("customer", customer=invoices[0].customer))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/invoicing/bank-credits", headers=headers).status_code == 403
    url = f"/api/v1/invoicing/bank-credits/{queued.id}/return"
    assert client.post(url, json={"reason": "x"}, headers=headers).status_code == 403


def test_the_openapi_document_describes_the_upload_and_the_queue(client):
    document = client.get("/api/openapi.json").json
    upload = document["paths"]["/api/v1/invoicing/bank-files"]["post"]["requestBody"]
    schema = upload["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"]["format"] == "binary"
    assign = document["paths"]["/api/v1/invoicing/bank-credits/{credit_id}/assign"]["post"]
    assert "409" in assign["responses"]
