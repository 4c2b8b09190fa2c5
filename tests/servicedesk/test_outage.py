"""Outage master incidents: 30 sites, 12 calls during the outage, nothing billed, 30 x 2
notices without duplicates; a chief declares one; the evidence and its override."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.toolkit import ChargeQuery, RuleViolation
from plugins.servicedesk import costs, evidence, intake, outage, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.models import MasterIncident, Ticket
from tests.servicedesk.conftest import zurich

AUTH = {"Authorization": "Bearer s3cret-alerts"}
SERVICE = "sbc-zurich"


def outage_payload(site_ids, status="firing"):
    common = {"alertname": "SbcDown", "winet_service": SERVICE}
    return {
        "version": "4",
        "groupKey": '{}:{winet_service="sbc-zurich"}',
        "status": status,
        "receiver": "winet-servicedesk",
        "groupLabels": {"winet_service": SERVICE},
        "commonLabels": common,
        "commonAnnotations": {"summary": "SBC Zurich down"},
        "alerts": [
            {
                "status": status,
                "labels": {**common, "winet_site_id": str(site_id)},
                "startsAt": "2026-11-24T07:55:00Z",
                "fingerprint": f"sbc-{site_id}",
            }
            for site_id in site_ids
        ],
    }


@pytest.fixture
def thirty(desk, factories, make_site, db):
    """30 pro sites of 30 customers, each with an authorised caller with an e-mail."""
    sites, callers = [], []
    for n in range(30):
        customer = factories.customer(f"Outage Kunde {n} AG")
        callers.append(
            factories.contact(customer, f"Caller {n}", pin="4711", email=f"caller{n}@kunde.ch")
        )
        sites.append(make_site("pro", customer=customer, name=f"Filiale {n}"))
    return sites, callers


def _notices(sent_mail):
    return [m for m in sent_mail if any(to.endswith("@kunde.ch") for to in m.to)]


def test_thirty_sites_twelve_calls_nothing_billed_sixty_notices(
    client, desk, db, clock, sent_mail, thirty, make_site
):
    sites, callers = thirty
    other = make_site("pro", customer=desk.customer, name="Not affected")
    clock(zurich(2026, 11, 24, 9))
    sent_mail.clear()
    fired = client.post(
        "/api/v1/servicedesk/alerts", json=outage_payload([s.id for s in sites]), headers=AUTH
    )
    assert fired.status_code == 201, fired.json
    assert fired.json["ticket_id"] is None
    incident = db.session.get(MasterIncident, fired.json["incident_id"])
    assert len(incident.sites) == 30 and incident.source == "alert"
    again = client.post(
        "/api/v1/servicedesk/alerts", json=outage_payload([s.id for s in sites]), headers=AUTH
    )
    assert (again.status_code, again.json["incident_id"]) == (200, incident.id)
    assert len(_notices(sent_mail)) == 30

    # 12 calls: ten inside the service hours, two in the evening with Fast Lane.
    tickets = []
    for n in range(12):
        clock(zurich(2026, 11, 24, 9, 5 + n) if n < 10 else zurich(2026, 11, 24, 20, n))
        situation = intake.situation(sites[n])
        assert situation.incident.id == incident.id
        ticket, result = intake.take_call(sites[n], "No dial tone", callers[n], "4711", desk.agent)
        assert result.verified
        if ticket.inside_service_hours:
            dispatch(ticket, desk.agent)
        else:
            intake.answer_fast_lane(ticket, True, desk.agent)
        db.session.commit()
        tickets.append(ticket)
    unaffected = intake.open_ticket(other, "Unrelated", "phone", desk.agent)
    db.session.commit()
    assert unaffected.master_incident_id is None and unaffected.fault_origin is None
    assert {t.master_incident_id for t in tickets} == {incident.id}
    assert {t.fault_origin for t in tickets} == {"base_system"}
    assert sum(t.fast_lane for t in tickets) == 2

    for ticket in tickets:
        work.record_first_reaction(ticket, desk.technician)
        work.add_time(ticket, desk.technician, "on_site", 50)
        work.add_material(ticket, desk.technician, "SFP module", Decimal("1"), Decimal("89.00"))
        work.resolve(ticket, desk.technician, "base_system", "critical")
        db.session.commit()

    clock(zurich(2026, 11, 24, 21))
    resolved = client.post(
        "/api/v1/servicedesk/alerts",
        json=outage_payload([s.id for s in sites], status="resolved"),
        headers=AUTH,
    )
    assert resolved.status_code == 200
    client.post(
        "/api/v1/servicedesk/alerts",
        json=outage_payload([s.id for s in sites], status="resolved"),
        headers=AUTH,
    )
    db.session.refresh(incident)
    assert incident.resolved_at == zurich(2026, 11, 24, 21) and incident.open_service is None

    notices = _notices(sent_mail)
    assert len(notices) == 60
    per_customer = Counter(m.to for m in notices)
    assert len(per_customer) == 30 and set(per_customer.values()) == {2}
    subjects = Counter(m.subject.split(":")[0] for m in notices)
    assert subjects == {f"Störung {incident.number}": 30, "Behoben": 30}

    offered = costs.billable(ChargeQuery(None, date(2026, 11, 30)))
    mine = [c for c in offered if c.customer_id in {s.customer_id for s in sites}]
    # Time, travel, material for 12 tickets and two Fast Lane fees: every one at 0.00.
    assert len(mine) == 12 * 3 + 2
    assert {c.amount for c in mine} == {Decimal("0.00")}
    assert all(incident.number in c.zero_rated_reason for c in mine)
    fees = [c for c in mine if c.reference.endswith(":fast_lane")]
    assert len(fees) == 2 and all(SERVICE in c.zero_rated_reason for c in fees)


def test_a_chief_declares_an_outage_and_adds_sites_later(
    client, desk, db, clock, sent_mail, factories, make_site
):
    site = desk.site
    clock(zurich(2026, 11, 24, 9))
    early = intake.open_ticket(site, "Phones dead", "phone", desk.agent)  # before the outage
    db.session.commit()
    clock(zurich(2026, 11, 24, 9, 30))
    headers = {"Authorization": f"Bearer {factories.token(desk.chief)}"}
    declared = client.post(
        "/api/v1/servicedesk/incidents",
        json={"service": "pbx-cluster", "summary": "PBX cluster down", "site_ids": []},
        headers=headers,
    )
    assert declared.status_code == 201, declared.json
    incident_id = declared.json["id"]
    clock(zurich(2026, 11, 24, 9, 40))
    during = intake.open_ticket(site, "No dial tone", "phone", desk.agent)
    db.session.commit()
    assert during.master_incident_id is None  # the site is not yet affected
    added = client.post(
        f"/api/v1/servicedesk/incidents/{incident_id}/sites",
        json={"site_ids": [site.id]},
        headers=headers,
    )
    assert added.status_code == 200
    assert added.json["ticket_ids"] == [during.id]  # opened while open: attached
    db.session.refresh(early)
    assert early.master_incident_id is None  # opened before the outage
    denied = client.post(
        "/api/v1/servicedesk/incidents",
        json={"service": "x"},
        headers={"Authorization": f"Bearer {factories.token(desk.agent)}"},
    )
    assert denied.status_code == 403
    missing = client.post(
        f"/api/v1/servicedesk/incidents/{incident_id}/sites",
        json={"site_ids": [999999]},
        headers=headers,
    )
    assert missing.status_code == 404
    for _twice in range(2):
        done = client.post(
            f"/api/v1/servicedesk/incidents/{incident_id}/resolution", headers=headers
        )
        assert done.status_code == 200 and done.json["resolved_at"]
    notices = [
        m for m in sent_mail if desk.caller.email in m.to or desk.customer.billing_email in m.to
    ]
    assert len(notices) == 2


def test_evidence_is_proposed_and_overridden_only_with_a_reason(desk, db, clock, factories):
    clock(zurich(2026, 11, 24, 9))
    incident = outage.open_incident(SERVICE, "SBC down", "declared", [desk.site], by=desk.chief)
    db.session.commit()
    ticket = intake.open_ticket(desk.site, "No dial tone", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    assert ticket.fault_origin_proposed == "base_system"
    assert ticket.fault_origin_evidence["incident"] == incident.number
    assert "outage M-" in ticket.events[-1].detail or any(
        e.kind == "outage_attached" for e in ticket.events
    )
    work.record_first_reaction(ticket, desk.technician)
    work.add_time(ticket, desk.technician, "remote", 30)
    db.session.commit()
    with pytest.raises(RuleViolation, match="vom Nachweis abweicht"):
        work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.rollback()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "reacted"
    work.resolve(
        ticket,
        desk.technician,
        "customer_environment",
        "minor",
        origin_reason="The customer's own switch was unplugged",
    )
    db.session.commit()
    assert ticket.fault_origin == "customer_environment"
    assert ticket.fault_origin_reason == "The customer's own switch was unplugged"
    assert ticket.fault_origin_decided_by_id == desk.technician.id
    overridden = [e for e in ticket.events if e.kind == "fault_origin_overridden"]
    assert len(overridden) == 1 and overridden[0].note.startswith("The customer's")
    assert all(c.zero_rated_reason in (None, "free_units") for c in ticket.charges)


def test_confirmed_evidence_names_the_outage_on_the_invoice_line(desk, db, clock):
    clock(zurich(2026, 11, 24, 9))
    incident = outage.open_incident(SERVICE, "SBC down", "declared", [desk.site], by=desk.chief)
    ticket = intake.open_ticket(desk.site, "No dial tone", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    evidence.confirm(ticket, desk.chief)
    work.add_time(ticket, desk.technician, "remote", 30)
    work.resolve(ticket, desk.technician, "base_system", "major")
    db.session.commit()
    assert [e.kind for e in ticket.events].count("fault_origin_confirmed") == 1
    (line,) = ticket.charges
    assert line.amount == Decimal("0.00")
    with force_locale("en"):
        assert line.reason_text == (
            f"Fault of a Winet base-system service, outage {incident.number} of {SERVICE} "
            "since 24.11.2026 09:00: free of charge"
        )
    with force_locale("de"):  # the customer's language on the invoice
        assert line.reason_text.startswith(
            f"Fehler eines Winet-Basissystemdienstes, Störung {incident.number}"
        )


def test_a_chief_declares_and_resolves_an_outage_on_the_page(client, desk, db, sent_mail):
    from tests.factories import login

    login(client, desk.chief)
    sent_mail.clear()
    page = client.get("/servicedesk/incidents")
    assert page.status_code == 200 and desk.site.name in page.text
    client.post(
        "/servicedesk/incidents",
        data={"service": "pbx-cluster", "summary": "PBX down", "site_ids": [str(desk.site.id)]},
    )
    incident = db.session.scalar(select(MasterIncident))
    assert [s.site_id for s in incident.sites] == [desk.site.id]
    assert incident.declared_by_id == desk.chief.id and incident.source == "declared"
    assert incident.number in client.get("/servicedesk/incidents").text
    refused = client.post("/servicedesk/incidents", data={"service": ""})
    assert (
        refused.status_code == 422 and db.session.scalar(select(func.count(MasterIncident.id))) == 1
    )
    client.post(f"/servicedesk/incidents/{incident.id}/resolve")
    db.session.refresh(incident)
    assert incident.resolved_at is not None
    assert len([m for m in sent_mail if desk.customer.billing_email in m.to]) == 2
    client.post("/logout")
    login(client, desk.agent)
    assert client.get("/servicedesk/incidents").status_code == 403


def test_the_ticket_page_and_api_show_the_evidence_and_take_the_decision(
    client, desk, db, clock, factories
):
    from tests.factories import login

    clock(zurich(2026, 11, 24, 9))
    incident = outage.open_incident(SERVICE, "SBC down", "declared", [desk.site], by=desk.chief)
    ticket = intake.open_ticket(desk.site, "No dial tone", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    headers = {"Authorization": f"Bearer {factories.token(desk.technician)}"}
    shown = client.get(f"/api/v1/servicedesk/tickets/{ticket.id}", headers=headers).json
    assert (shown["master_incident_id"], shown["fault_origin_proposed"]) == (
        incident.id,
        "base_system",
    )
    assert shown["fault_origin_evidence"]["incident"] == incident.number
    login(client, desk.technician)
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert 'id="evidence"' in page and incident.number in page
    url = f"/servicedesk/tickets/{ticket.id}/work/fault_origin"
    client.post(url, data={"fault_origin": "customer_environment", "reason": ""})
    db.session.refresh(ticket)
    assert ticket.fault_origin == "base_system" and ticket.fault_origin_decided_at is None
    client.post(url, data={"fault_origin": "customer_environment", "reason": "Own switch"})
    db.session.refresh(ticket)
    assert (ticket.fault_origin, ticket.fault_origin_reason) == (
        "customer_environment",
        "Own switch",
    )
    assert ticket.fault_origin_decided_by_id == desk.technician.id
