"""Finance's refusals are worded in the user's language: credit notes, payments, the run's
period and the bank file; and what cannot be done is not offered."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import RuleViolation
from plugins.invoicing.camt import CamtError, read_notification
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import Invoice, Payment
from plugins.invoicing.payments import record_payment
from tests.factories import login

D = Decimal


def _finance(client, factories, language: str):
    login(client, factories.user("finance", language=language))
    return client


def _notes(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.kind == "credit_note")
    )


def _payments(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


# --- credit notes ----------------------------------------------------------------------


def test_a_partial_credit_note_without_amounts_asks_for_an_amount(client, db, factories, invoice):
    """The whole invoice is open: "nothing is left to credit" was wrong, and English."""
    _finance(client, factories, "fr")
    page = client.post(
        f"/invoicing/invoices/{invoice.id}/credit-note",
        data={"reason": "Geste commercial", "mode": "partial"},
        follow_redirects=True,
    ).text
    assert "Saisissez le montant à créditer sur au moins une ligne." in page
    assert "Il ne reste rien" not in page and "nothing is left" not in page
    assert _notes(db) == 0


def test_a_line_credited_beyond_what_is_left_is_refused_in_the_users_language(
    client, db, factories, invoice
):
    _finance(client, factories, "it")
    line = invoice.lines[0]
    page = client.post(
        f"/invoicing/invoices/{invoice.id}/credit-note",
        data={"reason": "Interruzione", "mode": "partial", f"line_{line.id}": "600.01"},
        follow_redirects=True,
    ).text
    assert "Riga 1: al massimo CHF 600.00 possono ancora essere accreditati." in page
    assert "can still be credited" not in page
    assert _notes(db) == 0


def test_credit_note_rules_speak_german_outside_a_page(db, setup, invoice):
    with pytest.raises(RuleViolation, match="Nur eine ausgestellte Rechnung"):
        create_credit_note(invoice.id + 1000, "Grund")
    create_credit_note(invoice.id, "alles")
    with pytest.raises(RuleViolation, match="nichts mehr gutzuschreiben"):
        create_credit_note(invoice.id, "nochmals")  # full mode, nothing left


# --- payments --------------------------------------------------------------------------


def test_payment_rules_are_translated(db, setup, invoice):
    with pytest.raises(RuleViolation, match="positiver Betrag"):
        record_payment(invoice.id, D("0.00"), date(2026, 12, 1))
    setup.site_with_contract("pro", date(2026, 12, 1))
    (draft_id,) = run_period("2026-12").invoice_ids
    with pytest.raises(RuleViolation, match="nur auf ausgestellte Rechnungen"):
        record_payment(draft_id, D("10.00"), date(2026, 12, 1))


def test_the_page_refuses_a_payment_received_in_the_future(client, db, factories, invoice):
    _finance(client, factories, "de")
    path = f"/invoicing/invoices/{invoice.id}/payments"
    page = client.post(
        path, data={"amount": "100.00", "received_on": "2030-01-01"}, follow_redirects=True
    ).text
    assert "Eine Zahlung kann nicht in der Zukunft eingegangen sein." in page
    assert _payments(db) == 0
    client.post(path, data={"amount": "100.00", "received_on": "2026-12-01"})  # today
    assert _payments(db) == 1


def test_the_api_refuses_a_payment_received_in_the_future(client, db, factories, invoice):
    headers = {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}
    path = f"/api/v1/invoicing/invoices/{invoice.id}/payments"
    refused = client.post(
        path, json={"amount": "100.00", "received_on": "2026-12-02"}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.json["details"][0]["field"] == "received_on"
    assert _payments(db) == 0
    booked = client.post(
        path, json={"amount": "100.00", "received_on": "2026-12-01"}, headers=headers
    )
    assert booked.status_code == 201


# --- the run's period ------------------------------------------------------------------


def test_an_invalid_period_is_explained_and_not_offered_as_a_run(client, db, factories):
    _finance(client, factories, "de")
    page = client.get("/invoicing/run?period=garbage&preview=1").text
    assert "Eine Periode wird JJJJ-MM geschrieben, z. B. 2027-01; «garbage» ist keine." in page
    assert "a period is written" not in page
    assert "Lauf garbage starten" not in page and 'value="garbage">' not in page.split("</form>")[1]
    # A valid period is offered.
    assert "Lauf 2026-12 starten" in client.get("/invoicing/run?period=2026-12").text


def test_starting_a_run_of_an_invalid_period_is_refused_in_the_users_language(
    client, db, factories
):
    _finance(client, factories, "fr")
    page = client.post("/invoicing/run", data={"period": "garbage"}, follow_redirects=True).text
    assert "Une période s&#39;écrit AAAA-MM" in page
    assert "a period is written" not in page


# --- the bank file ---------------------------------------------------------------------


NO_HEADER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04">\n'
    b"<BkToCstmrDbtCdtNtfctn></BkToCstmrDbtCdtNtfctn>\n</Document>\n"
)


@pytest.mark.parametrize(
    ("data", "french", "english"),
    [
        (b"   ", "le fichier est vide", "the file is empty"),
        (b"<Document><oops></Document>", "XML mal formé", "not well-formed XML"),
        (NO_HEADER, "GrpHdr manque", "GrpHdr is missing"),
    ],
)
def test_a_refused_bank_file_is_explained_in_the_users_language(
    client, db, factories, data, french, english
):
    _finance(client, factories, "fr")
    page = client.post(
        "/invoicing/bank/files",
        data={"file": (io.BytesIO(data), "relevé.xml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).text
    assert french in page and english not in page
    # The reader's own reason stays as it was (logs, tests of the parser, the API's details).
    with pytest.raises(CamtError) as refused:
        read_notification(data)
    assert english in refused.value.reason
