"""The pages read every form through the host's validated path (form_input and the API's
schemas): bad input is flashed in German and nothing is kept; a record that does not
exist is a 404, on the pages and in the API."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import RecordNotFound
from plugins.contracts.models import Contract, Quote, QuoteLine
from plugins.contracts.quotes import accept_quote, remove_line, request_approval
from plugins.contracts.services import start_contract_in_the_past
from tests.contracts.test_quotes import build_quote
from tests.factories import login

CORRECT = "Bitte korrigieren Sie die Eingabe:"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def manager(client, factories):
    user = factories.user("account_manager")
    login(client, user)
    return user


# --- bad input: a German message, nothing kept ----------------------------------------


def test_a_quote_without_a_customer_is_flashed_not_a_404(client, db, manager):
    page = client.post(
        "/contracts/quotes/new",
        data={"start_date": "2026-12-01", "valid_until": "2026-12-15"},
        follow_redirects=True,
    )
    assert page.status_code == 422
    assert f"{CORRECT} Kunde: Dieses Feld ist erforderlich." in page.text
    assert count(db, Quote) == 0


def test_a_note_longer_than_allowed_is_refused_not_cut(client, db, customer, manager):
    page = client.post(
        "/contracts/quotes/new",
        data={
            "customer_id": customer.id,
            "start_date": "2026-12-01",
            "valid_until": "2026-12-15",
            "note": "x" * 501,
        },
        follow_redirects=True,
    )
    assert "Notiz: Höchstens 500 Zeichen." in page.text
    assert count(db, Quote) == 0
    # The form again with what was entered, the note to shorten included.
    assert page.status_code == 422
    assert "x" * 501 + "</textarea>" in page.text
    assert 'value="2026-12-15"' in page.text
    assert f'<option value="{customer.id}" selected>' in page.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("manual_discount_percent", "zehn", "Sonderrabatt: Geben Sie eine Zahl ein."),
        ("manual_discount_percent", "100.5", "Sonderrabatt: Darf höchstens 100 sein."),
        ("valid_until", "15.12.2026", "Gültig bis: Geben Sie ein Datum ein (JJJJ-MM-TT)."),
    ],
)
def test_quote_terms_are_checked_and_a_refusal_keeps_the_old_terms(
    client, db, factories, customer, manager, field, value, message
):
    quote = build_quote(db, factories, customer, tiers=("pro",), manual="3.00")
    terms = {
        "start_date": "2027-01-01",
        "valid_until": "2026-12-20",
        "manual_discount_percent": "4",
    }
    page = client.post(
        f"/contracts/quotes/{quote.id}/update", data=terms | {field: value}, follow_redirects=True
    )
    assert message in page.text
    db.session.expire_all()
    kept = db.session.get(Quote, quote.id)
    assert (kept.start_date, kept.valid_until, kept.manual_discount_percent) == (
        date(2026, 12, 1),
        date(2026, 12, 15),
        3,
    )


def test_a_new_site_on_a_quote_needs_its_address_and_a_real_canton(
    client, db, factories, customer, manager
):
    quote = build_quote(db, factories, customer, tiers=("pro",))
    url = f"/contracts/quotes/{quote.id}/lines"
    missing = client.post(
        url,
        data={"tier_code": "pro", "site_id": "", "new_site_name": "Filiale Neu"},
        follow_redirects=True,
    )
    assert "Strasse: Dieses Feld ist erforderlich." in missing.text
    assert "PLZ: Dieses Feld ist erforderlich." in missing.text
    canton = client.post(
        url,
        data={
            "tier_code": "pro",
            "new_site_name": "Filiale Neu",
            "new_site_street": "Weg",
            "new_site_postal_code": "5400",
            "new_site_town": "Baden",
            "new_site_canton": "XX",
        },
        follow_redirects=True,
    )
    assert "Kanton: XX ist kein Schweizer Kanton." in canton.text
    assert count(db, QuoteLine) == 1


def test_a_tier_change_without_a_tier_is_flashed(client, db, site, manager):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    page = client.post(
        f"/contracts/{contract.id}/tier",
        data={"tier_code": "", "effective_on": "2026-12-01"},
        follow_redirects=True,
    )
    assert f"{CORRECT} Neue Stufe: Dieses Feld ist erforderlich." in page.text
    assert len(db.session.get(Contract, contract.id).periods) == 1


def test_an_approval_without_a_decision_decides_nothing(client, db, factories, customer):
    quote = build_quote(db, factories, customer, manual="15.00")
    request_approval(quote)
    db.session.commit()
    login(client, factories.user("finance"))
    page = client.post(f"/contracts/quotes/{quote.id}/approval", follow_redirects=True)
    assert "Dieses Feld ist erforderlich." in page.text
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).approval == "pending"


def test_a_shop_order_with_a_site_that_is_no_number_is_flashed(client, db, factories, customer):
    login(client, factories.user("customer", customer))
    page = client.post(
        "/contracts/shop", data={"site_id": "Filiale", "tier_code": "pro"}, follow_redirects=True
    )
    assert page.status_code == 200 and "Standort: Geben Sie eine ganze Zahl ein." in page.text
    assert count(db, Contract) == 0


# --- a record that does not exist is a 404, never a 422 -------------------------------


def test_a_site_that_does_not_exist_is_not_found_on_the_quote_page(
    client, db, factories, customer, manager
):
    quote = build_quote(db, factories, customer, tiers=("pro",))
    response = client.post(
        f"/contracts/quotes/{quote.id}/lines", data={"tier_code": "pro", "site_id": "999999"}
    )
    assert response.status_code == 404
    assert count(db, QuoteLine) == 1


def test_a_line_that_is_not_on_the_quote_is_not_found(client, db, factories, customer, manager):
    quote = build_quote(db, factories, customer, tiers=("pro",))
    other = build_quote(db, factories, factories.customer("Andere AG"), tiers=("pro",))
    response = client.post(
        f"/contracts/quotes/{quote.id}/lines/{other.lines[0].id}/remove", follow_redirects=True
    )
    assert response.status_code == 404
    assert count(db, QuoteLine) == 2
    with pytest.raises(RecordNotFound):
        remove_line(quote, 999999)


def test_a_quote_that_does_not_exist_is_not_found_by_the_service(db):
    with pytest.raises(RecordNotFound):
        accept_quote(999999, "nobody")


def test_the_api_answers_404_for_a_site_that_does_not_exist(client, db, factories, customer):
    token = factories.token(factories.user("account_manager"))
    response = client.post(
        "/api/v1/quotes",
        json={
            "customer_id": customer.id,
            "start_date": "2026-12-01",
            "valid_until": "2026-12-15",
            "lines": [{"site_id": 999999, "tier_code": "pro"}],
        },
        headers=bearer(token),
    )
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert count(db, Quote) == 0


def test_the_api_keeps_a_draft_from_the_customer_on_every_quote_endpoint(
    client, db, factories, customer
):
    quote = build_quote(db, factories, customer, tiers=("pro",))
    token = factories.token(factories.user("customer", customer))
    response = client.post(f"/api/v1/quotes/{quote.id}/accept", headers=bearer(token))
    assert response.status_code == 404
    assert count(db, Contract) == 0


def test_refused_quote_terms_come_back_as_typed(client, db, factories, customer, manager):
    quote = build_quote(db, factories, customer)
    action = f"/contracts/quotes/{quote.id}/update"
    refused = client.post(
        action,
        data={
            "start_date": "2027-01-01",
            "valid_until": "2026-12-20",
            "manual_discount_percent": "abc",
            "note": "Rabatt mit Herrn Muster besprochen",
        },
    )
    assert refused.status_code == 422
    page = refused.text
    assert 'value="abc"' in page and "Rabatt mit Herrn Muster besprochen</textarea>" in page
    assert 'value="2027-01-01"' in page
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).start_date == date(2026, 12, 1)  # nothing kept
