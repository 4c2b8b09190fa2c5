"""Monitoring alerts (Prometheus Alertmanager webhook): one ticket per firing alert group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit import acting_as
from app.database import db
from app.models import Site
from app.services import RuleViolation
from app.timeutil import now
from plugins.servicedesk import intake, tickets
from plugins.servicedesk.models import AlertEvent, Ticket

DEFAULT_SITE_LABEL = "winet_site_id"


@dataclass(frozen=True)
class AlertOutcome:
    ticket_id: int | None
    created: bool
    status: str
    fingerprint: str


def site_label() -> str:
    return current_app.config.get("SERVICEDESK_ALERT_SITE_LABEL") or DEFAULT_SITE_LABEL


def group_fingerprint(payload: dict) -> str:
    """One firing episode of one alert group: its group key and when its first alert began.

    Alertmanager repeats a group's notification while it fires (same key, same start),
    so each repetition maps to the same ticket; a later new firing starts a new ticket.
    """
    starts = sorted(a.get("startsAt", "") for a in payload.get("alerts", []))
    key = f"{payload.get('groupKey', '')}|{starts[0] if starts else ''}"
    return hashlib.sha256(key.encode()).hexdigest()


def _site_of(payload: dict) -> Site | None:
    label = site_label()
    sources = [payload.get("commonLabels") or {}, payload.get("groupLabels") or {}]
    sources += [a.get("labels") or {} for a in payload.get("alerts", [])]
    for labels in sources:
        value = str(labels.get(label, "")).strip()
        if value.isdigit():
            return db.session.get(Site, int(value))
    return None


def _summary(payload: dict) -> str:
    annotations = payload.get("commonAnnotations") or {}
    labels = payload.get("commonLabels") or {}
    text = annotations.get("summary") or labels.get("alertname") or "Monitoring alert"
    return f"Alert: {text}"[:200]


def receive(payload: dict) -> AlertOutcome:
    """Open, repeat or resolve the ticket of an Alertmanager notification (committed)."""
    fingerprint = group_fingerprint(payload)
    status = payload.get("status", "firing")
    with acting_as("webhook:alertmanager"):
        ticket = db.session.scalar(select(Ticket).where(Ticket.alert_fingerprint == fingerprint))
        created = False
        if ticket is None and status == "firing":
            site = _site_of(payload)
            if site is None:
                raise RuleViolation(f"no site found by the label {site_label()!r}", "labels")
            try:
                ticket = _open(site, payload, fingerprint)
                created = True
            except IntegrityError:  # the same group arrived twice at once
                db.session.rollback()
                ticket = db.session.scalar(
                    select(Ticket).where(Ticket.alert_fingerprint == fingerprint)
                )
        elif ticket is not None and status == "resolved" and ticket.alert_resolved_at is None:
            ticket.alert_resolved_at = now()
            tickets.log(ticket, "alert_resolved", note="monitoring reports the alert resolved")
        elif ticket is not None:
            tickets.log(ticket, "alert_repeated" if status == "firing" else "alert_resolved_again")
        db.session.add(
            AlertEvent(
                received_at=now(),
                fingerprint=fingerprint,
                status=status[:10],
                ticket_id=ticket.id if ticket else None,
                payload=payload,
            )
        )
        db.session.commit()
    return AlertOutcome(ticket.id if ticket else None, created, status, fingerprint)


def _open(site: Site, payload: dict, fingerprint: str) -> Ticket:
    from plugins.servicedesk.dispatch import dispatch

    annotations = payload.get("commonAnnotations") or {}
    ticket = intake.open_ticket(
        site, _summary(payload), "alert", None, description=annotations.get("description", "")
    )
    ticket.alert_fingerprint = fingerprint
    db.session.flush()
    intake.verify_trusted(ticket, None, "alertmanager")
    if ticket.inside_service_hours:
        try:
            dispatch(ticket)
        except RuleViolation as error:
            tickets.log(ticket, "dispatch_failed", note=str(error))
    return ticket
