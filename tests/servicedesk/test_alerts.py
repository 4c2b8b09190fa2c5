"""The Alertmanager webhook: shared-secret auth, one ticket per firing group, resolve noted."""

from __future__ import annotations

import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from plugins.servicedesk import alerts, work
from plugins.servicedesk.models import AlertEvent, FiringAlert, Ticket
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


def test_a_firing_alert_group_opens_one_dispatched_ticket(client, desk, db, sent_mail):
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


def _alert(site_id, name, fingerprint, status="firing", starts="2026-11-24T09:00:00Z"):
    return {
        "status": status,
        "labels": {"alertname": name, "winet_site_id": str(site_id)},
        "annotations": {},
        "startsAt": starts,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fingerprint,
    }


def group_payload(site_id, *alerts, group='{}:{job="sbc"}'):
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "groupKey": group,
        "status": status,
        "groupLabels": {"job": "sbc"},
        "commonLabels": {"job": "sbc", "winet_site_id": str(site_id)},
        "commonAnnotations": {"summary": "SBC degraded"},
        "alerts": list(alerts),
    }


def _post(client, body):
    response = client.post("/api/v1/servicedesk/alerts", json=body, headers=AUTH)
    assert response.status_code in (200, 201), response.json
    return response


def test_one_alert_resolving_while_another_of_the_group_fires_keeps_one_ticket(client, desk, db):
    site = desk.site.id
    a = _alert(site, "SipTrunkDown", "fp-a", starts="2026-11-24T09:00:00Z")
    b = _alert(site, "RegistrationsLow", "fp-b", starts="2026-11-24T09:05:00Z")
    first = _post(client, group_payload(site, a, b))
    assert first.status_code == 201
    a_resolved = dict(a, status="resolved")
    # A resolves, B still fires: the earliest start of the group is now B's.
    second = _post(client, group_payload(site, a_resolved, b))
    third = _post(client, group_payload(site, b))  # the group repeats with B only
    assert second.json["created"] is False and third.json["created"] is False
    assert second.json["ticket_id"] == third.json["ticket_id"] == first.json["ticket_id"]
    ticket = db.session.scalar(select(Ticket))
    assert len(db.session.scalars(select(Ticket)).all()) == 1
    rows = {r.fingerprint: r for r in db.session.scalars(select(FiringAlert))}
    assert rows["fp-a"].resolved_at is not None and rows["fp-b"].resolved_at is None
    assert {r.ticket_id for r in rows.values()} == {ticket.id}
    assert ticket.alert_resolved_at is None  # B still fires
    notes = [e.note_params for e in ticket.events if e.kind == "alert_resolved"]
    assert notes == [{"alert": "SipTrunkDown"}]
    with force_locale("en"):
        assert [e.text for e in ticket.events if e.kind == "alert_resolved"] == [
            "monitoring reports SipTrunkDown resolved"
        ]
    _post(client, group_payload(site, dict(b, status="resolved")))
    db.session.refresh(ticket)
    assert ticket.alert_resolved_at is not None


def test_an_alert_joining_a_firing_group_is_linked_to_its_open_ticket(client, desk, db):
    site = desk.site.id
    a = _alert(site, "SipTrunkDown", "fp-a")
    b = _alert(site, "RegistrationsLow", "fp-b", starts="2026-11-24T09:30:00Z")
    first = _post(client, group_payload(site, a))
    joined = _post(client, group_payload(site, a, b))
    assert (joined.json["created"], joined.json["ticket_id"]) == (False, first.json["ticket_id"])
    ticket = db.session.scalar(select(Ticket))
    assert [e.text for e in ticket.events if e.kind == "alert_added"] == [
        "ebenfalls ausgelöst: RegistrationsLow"  # outside a request: German
    ]


def test_a_new_firing_of_an_alert_opens_a_new_ticket_only_once_its_ticket_is_resolved(
    client, desk, db
):
    first = _post(client, payload(desk.site.id))
    later = payload(desk.site.id, starts="2026-11-24T09:40:00Z")
    # Still open: a new firing of the same alert is noted on the open ticket.
    assert _post(client, later).json["ticket_id"] == first.json["ticket_id"]
    ticket = db.session.get(Ticket, first.json["ticket_id"])
    work.record_first_reaction(ticket, desk.technician)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    assert _post(client, later).status_code == 200  # a repeat of a known firing: recorded
    again = payload(desk.site.id, starts="2026-11-24T11:00:00Z")
    response = _post(client, again)
    assert response.status_code == 201
    assert len(db.session.scalars(select(Ticket)).all()) == 2


@pytest.mark.postgres_only
def test_the_same_alert_delivered_twice_at_once_opens_one_ticket(app, desk, db):
    body = payload(desk.site.id)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def deliver():
        # Through the endpoint, which commits and, when the other delivery linked the
        # alert first (IntegrityError), receives the notification again.
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            response = client.post("/api/v1/servicedesk/alerts", json=body, headers=AUTH)
            assert response.status_code in (200, 201), response.json
            outcomes.append(alerts.AlertOutcome(**response.json))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(o.created for o in outcomes) == [False, True]
    assert len({o.ticket_id for o in outcomes}) == 1
    assert len(db.session.scalars(select(Ticket)).all()) == 1


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
