"""The Alertmanager webhook: shared-secret auth, one ticket per firing group, resolve noted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.servicedesk.models import AlertEvent, Ticket
from tests.servicedesk.conftest import zurich

AUTH = {"Authorization": "Bearer s3cret-alerts"}


def payload(
    site_id, status="firing", group='{}:{alertname="SipTrunkDown"}', starts="2026-11-24T09:00:00Z"
):
    return {
        "version": "4",
        "groupKey": group,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "winet-servicedesk",
        "groupLabels": {"alertname": "SipTrunkDown"},
        "commonLabels": {"alertname": "SipTrunkDown", "winet_site_id": str(site_id)},
        "commonAnnotations": {"summary": "SIP trunk down", "description": "No registration"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "SipTrunkDown", "winet_site_id": str(site_id)},
                "annotations": {"summary": "SIP trunk down"},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "a1b2c3",
            }
        ],
    }


def test_a_firing_alert_group_opens_one_dispatched_ticket(client, desk, db, outbox):
    first = client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    assert again.status_code == 200
    assert again.json["ticket_id"] == first.json["ticket_id"]
    assert again.json["created"] is False
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.channel, ticket.state, ticket.summary) == (
        "alert",
        "dispatched",
        "Alert: SIP trunk down",
    )
    assert ticket.first_reaction_due_at == zurich(2026, 11, 24, 16, 0)
    assert len(db.session.scalars(select(AlertEvent)).all()) == 2


def test_resolution_of_the_alert_is_noted_on_the_ticket(client, desk, db):
    client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    response = client.post(
        "/api/v1/servicedesk/alerts", json=payload(desk.site.id, "resolved"), headers=AUTH
    )
    assert response.status_code == 200
    ticket = db.session.scalar(select(Ticket))
    assert ticket.alert_resolved_at is not None
    assert "alert_resolved" in [e.kind for e in ticket.events]
    assert ticket.state == "dispatched"  # a technician still confirms the fix


def test_a_new_firing_of_the_same_group_opens_a_new_ticket(client, desk, db):
    client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    later = payload(desk.site.id, starts="2026-11-24T09:40:00Z")
    assert client.post("/api/v1/servicedesk/alerts", json=later, headers=AUTH).status_code == 201
    assert len(db.session.scalars(select(Ticket)).all()) == 2


def test_outside_service_hours_the_alert_ticket_waits_for_a_fast_lane_answer(
    client, desk, db, clock
):
    clock(zurich(2026, 11, 24, 22, 0))
    client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.state, ticket.fast_lane_answer) == ("verified", None)
    assert ticket.fast_lane_offered_at is not None


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-alerts"}]
)
def test_the_webhook_needs_the_shared_secret(client, desk, db, headers):
    response = client.post(
        "/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=headers
    )
    assert response.status_code == 401
    assert db.session.scalars(select(Ticket)).all() == []


def test_an_alert_without_a_known_site_is_refused(client, desk):
    response = client.post("/api/v1/servicedesk/alerts", json=payload(999999), headers=AUTH)
    assert response.status_code == 422


def test_the_webhook_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert "/api/v1/servicedesk/alerts" in paths
    assert "/api/v1/servicedesk/tickets" in paths


def test_an_unauthenticated_caller_gets_401_before_any_validation(client):
    response = client.post("/api/v1/servicedesk/alerts", json={"nonsense": True})
    assert response.status_code == 401


def test_without_a_configured_secret_the_webhook_is_closed(client, app, desk):
    app.config["SERVICEDESK_ALERT_SECRET"] = None
    response = client.post("/api/v1/servicedesk/alerts", json=payload(desk.site.id), headers=AUTH)
    assert response.status_code == 401
