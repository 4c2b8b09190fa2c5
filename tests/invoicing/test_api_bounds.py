"""The invoice list's filters: an unknown status or kind, a malformed period and numbers
beyond an INTEGER column are answered 400, never a 500."""

from __future__ import annotations

import pytest


@pytest.fixture
def headers(factories):
    return {"Authorization": f"Bearer {factories.token(factories.user('finance'))}"}


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "status=all",
        "kind=ticket_id",
        "period=2026-1",
        "period=" + "9" * 200,
        "offset=" + str(2**63),
        "customer_id=" + str(2**40),
        "customer_id=-5",
    ],
)
def test_a_bad_filter_is_refused(client, headers, query):
    response = client.get(f"/api/v1/invoicing/invoices?{query}", headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_known_filters_still_list(client, headers):
    response = client.get(
        "/api/v1/invoicing/invoices?status=issued&kind=invoice&period=2026-12", headers=headers
    )
    assert response.status_code == 200 and response.json == []
