"""The contracts API finds the path's record before it reads the body: an unknown (or
another customer's) contract or quote is 404 whatever the body, never a 422 that would
tell that the id exists."""

from __future__ import annotations

from datetime import date

import pytest

from plugins.contracts import quotes as quote_rules
from plugins.contracts.services import start_contract_in_the_past

INVALID_BODIES = ({"tier_code": ""}, {"unexpected": 1}, {"received_on": "yesterday"})


@pytest.fixture
def admin_headers(factories):
    return {"Authorization": f"Bearer {factories.token(factories.user('admin'))}"}


def test_an_unknown_contract_is_404_before_the_body_is_read(client, db, site, admin_headers):
    start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    for body in INVALID_BODIES:
        for path in ("/api/v1/contracts/999999/tier-changes", "/api/v1/contracts/999999/notice"):
            response = client.post(path, json=body, headers=admin_headers)
            assert response.status_code == 404, (path, body, response.get_json())


def test_a_known_contract_with_an_invalid_body_is_422(client, db, site, admin_headers):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    db.session.commit()
    response = client.post(
        f"/api/v1/contracts/{contract.id}/tier-changes",
        json={"tier_code": ""},
        headers=admin_headers,
    )
    assert response.status_code == 422


def test_an_unknown_quote_is_404_before_the_approval_body_is_read(
    client, db, factories, customer, admin_headers
):
    quote = quote_rules.create_quote(
        customer,
        factories.user("account_manager"),
        start_date=date(2027, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    db.session.commit()
    for body in ({"approve": "maybe"}, {}):
        response = client.post("/api/v1/quotes/999999/approval", json=body, headers=admin_headers)
        assert response.status_code == 404, response.get_json()
        response = client.post(
            f"/api/v1/quotes/{quote.id}/approval", json=body, headers=admin_headers
        )
        assert response.status_code == 422, response.get_json()
