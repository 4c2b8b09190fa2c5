"""Ticket API input is bounded: offsets, material quantities and prices (finite, at most
CHF 99'999'999.99), Alertmanager texts; beyond, 400/422 and nothing stored."""

from __future__ import annotations

import pytest

from plugins.servicedesk import intake
from plugins.servicedesk.models import Ticket


def _headers(factories, user) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.token(user)}"}


def test_a_huge_offset_is_refused(client, desk, factories):
    response = client.get(
        f"/api/v1/servicedesk/tickets?offset={2**63}", headers=_headers(factories, desk.agent)
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "material",
    [
        {"quantity": "1", "unit_price": "1e307"},
        {"quantity": "1", "unit_price": "100000000.00"},
        {"quantity": "NaN", "unit_price": "10.00"},
        {"quantity": "Infinity", "unit_price": "10.00"},
        {"quantity": "10000", "unit_price": "10.00"},
        {"quantity": "1", "unit_price": "-Infinity"},
    ],
)
def test_nonsense_material_is_refused(client, db, desk, factories, material):
    customer_user = factories.user("customer", customer=desk.customer)
    ticket = intake.portal_ticket(desk.site, "No calls", "", customer_user)
    db.session.commit()
    response = client.post(
        f"/api/v1/servicedesk/tickets/{ticket.id}/materials",
        json={"description": "Kabel", **material},
        headers=_headers(factories, desk.technician),
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).materials == []


def test_an_alert_with_megabytes_of_text_is_refused(client, desk):
    body = {"groupKey": "x" * 5000, "status": "firing", "alerts": []}
    response = client.post(
        "/api/v1/servicedesk/alerts", json=body, headers={"Authorization": "Bearer s3cret-alerts"}
    )
    assert response.status_code == 422
