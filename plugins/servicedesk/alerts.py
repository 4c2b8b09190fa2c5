"""Monitoring alerts (Prometheus Alertmanager webhook): tickets de-duplicated per alert.

Every firing alert (its fingerprint and start) is remembered under a unique key and
linked to the ticket of its group. A delivery opens a ticket only when none of its
firing alerts already belongs to an open ticket; alerts that join later (a group grows)
are linked to that ticket, and a resolved alert is noted on its own ticket. So when A
and B fire and A resolves while B still fires, B's next notifications stay on the one
ticket.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.toolkit import RuleViolation, Site, acting_as, db, now
from plugins.servicedesk import intake, outage, tickets
from plugins.servicedesk.dispatch import dispatch, on_duty
from plugins.servicedesk.models import AlertEvent, FiringAlert, Ticket
from plugins.servicedesk.vocabulary import (
    AlertStatus,
    Channel,
    Duty,
    IncidentSource,
    TicketEventKind,
    VerificationMethod,
)
from plugins.servicedesk.wording import NOBODY_ON_CALL

DEFAULT_SITE_LABEL = "winet_site_id"


@dataclass(frozen=True)
class AlertOutcome:
    ticket_id: int | None
    created: bool
    status: str
    fingerprint: str
    incident_id: int | None = None


def site_label() -> str:
    return current_app.config.get("SERVICEDESK_ALERT_SITE_LABEL") or DEFAULT_SITE_LABEL


def group_fingerprint(payload: dict) -> str:
    """A digest of the group key and its earliest start, for the record of a delivery
    (AlertEvent, the webhook's answer); de-duplication is per alert (FiringAlert)."""
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


def alert_fingerprint(alert: dict) -> str:
    """Alertmanager's fingerprint of an alert; a digest of its labels if a sender has none."""
    given = str(alert.get("fingerprint") or "").strip()
    if given:
        return given[:200]
    labels = json.dumps(alert.get("labels") or {}, sort_keys=True)
    return "labels:" + hashlib.sha256(labels.encode()).hexdigest()


def _alerts_by_status(payload: dict) -> tuple[dict, dict]:
    """(fingerprint, startsAt) -> alert, for the firing and for the resolved alerts."""
    default = payload.get("status", AlertStatus.FIRING)
    firing, resolved = {}, {}
    for alert in payload.get("alerts") or []:
        key = (alert_fingerprint(alert), str(alert.get("startsAt") or "")[:40])
        is_resolved = (alert.get("status") or default) == AlertStatus.RESOLVED
        (resolved if is_resolved else firing)[key] = alert
    return firing, resolved


def _name(alert: dict) -> str:
    return str((alert.get("labels") or {}).get("alertname") or "")[:200]


def receive(payload: dict) -> AlertOutcome:
    """Open, repeat or resolve the ticket of an Alertmanager notification (flushes).

    Raises IntegrityError when a concurrent delivery linked one of its alerts first; the
    endpoint then rolls back and receives the notification again, which finds that link.
    """
    fingerprint = group_fingerprint(payload)
    status = payload.get("status", AlertStatus.FIRING)
    service = _service_of(payload)
    if service:
        with acting_as("webhook:alertmanager"):
            incident, created = _apply_outage(payload, service)
            db.session.add(
                AlertEvent(
                    received_at=now(),
                    fingerprint=fingerprint,
                    status=status[:10],
                    ticket_id=None,
                    payload=payload,
                )
            )
            db.session.flush()
        return AlertOutcome(
            None, created, status, fingerprint, incident.id if incident is not None else None
        )
    with acting_as("webhook:alertmanager"):
        ticket, created = _apply(payload)
        db.session.add(
            AlertEvent(
                received_at=now(),
                fingerprint=fingerprint,
                status=status[:10],
                ticket_id=ticket.id if ticket else None,
                payload=payload,
            )
        )
        db.session.flush()
    return AlertOutcome(ticket.id if ticket else None, created, status, fingerprint)


def _service_of(payload: dict) -> str:
    """The Winet base-system service a group names (its label), or "" for a site alert."""
    label = outage.service_label()
    sources = [payload.get("commonLabels") or {}, payload.get("groupLabels") or {}]
    sources += [a.get("labels") or {} for a in payload.get("alerts", [])]
    return next((str(s[label]).strip() for s in sources if str(s.get(label, "")).strip()), "")


def _sites_of_all(payload: dict) -> list[Site]:
    """Every site the group's alerts name (an outage affects many)."""
    label = site_label()
    ids = set()
    sources = [payload.get("commonLabels") or {}, payload.get("groupLabels") or {}]
    sources += [a.get("labels") or {} for a in payload.get("alerts", [])]
    for labels in sources:
        for value in str(labels.get(label, "")).split(","):
            if value.strip().isdigit():
                ids.add(int(value.strip()))
    if not ids:
        return []
    return list(db.session.scalars(select(Site).where(Site.id.in_(sorted(ids))).order_by(Site.id)))


def _apply_outage(payload: dict, service: str):
    """A group naming a base-system service: its master incident opens (or grows) while
    it fires and is resolved when the group is resolved."""
    firing, _resolved = _alerts_by_status(payload)
    if payload.get("status") == AlertStatus.RESOLVED and not firing:
        incident = outage.open_incident_of(service)
        if incident is not None:
            outage.resolve_incident(incident)
        return incident, False
    existing = outage.open_incident_of(service)
    labels = payload.get("commonLabels") or {}
    incident = outage.open_incident(
        service,
        _summary(payload),
        IncidentSource.ALERT,
        _sites_of_all(payload),
        alertname=str(labels.get("alertname") or ""),
    )
    return incident, existing is None


def _apply(payload: dict) -> tuple[Ticket | None, bool]:
    firing, resolved = _alerts_by_status(payload)
    fingerprints = {fp for fp, _start in firing} | {fp for fp, _start in resolved}
    known = db.session.scalars(
        select(FiringAlert)
        .where(FiringAlert.fingerprint.in_(fingerprints))
        .order_by(FiringAlert.id)
    ).all()
    by_key = {(row.fingerprint, row.starts_at): row for row in known}
    firing_fps = {fp for fp, _start in firing}
    holder = next(
        (r.ticket for r in known if r.fingerprint in firing_fps and r.ticket.is_open), None
    )
    new = {key: alert for key, alert in firing.items() if key not in by_key}
    ticket, created = holder, False
    if new and ticket is None:
        site = _site_of(payload)
        if site is None:
            raise RuleViolation(
                _("No site found by the label %(label)s.", label=site_label()), "labels"
            )
        ticket, created = _open(site, payload, new), True
    elif new:
        _link(ticket, new)
        names = ", ".join(sorted({_name(a) or fp for (fp, _start), a in new.items()}))
        tickets.log(ticket, TicketEventKind.ALERT_ADDED, params={"alerts": names})
    elif firing and ticket is not None:
        tickets.log(ticket, TicketEventKind.ALERT_REPEATED)
    elif firing:  # known alerts whose ticket is already resolved: recorded only
        ticket = by_key[next(iter(firing))].ticket
    for key, alert in resolved.items():
        row = by_key.get(key) or next(
            (r for r in reversed(known) if r.fingerprint == key[0] and r.resolved_at is None),
            None,
        )
        if row is None:
            continue
        ticket = ticket or row.ticket
        if row.resolved_at is not None:
            tickets.log(
                row.ticket,
                TicketEventKind.ALERT_RESOLVED_AGAIN,
                params={"alert": _name(alert) or row.fingerprint},
            )
            continue
        row.resolved_at = now()
        tickets.log(
            row.ticket,
            TicketEventKind.ALERT_RESOLVED,
            params={"alert": _name(alert) or row.fingerprint},
        )
        db.session.flush()
        still_firing = db.session.scalar(
            select(FiringAlert.id).where(
                FiringAlert.ticket_id == row.ticket_id, FiringAlert.resolved_at.is_(None)
            )
        )
        if still_firing is None and row.ticket.alert_resolved_at is None:
            row.ticket.alert_resolved_at = now()
    db.session.flush()
    return ticket, created


def _link(ticket: Ticket, alerts: dict) -> None:
    """Remember firing alerts as the ticket's; the unique key refuses a second owner."""
    for (fp, starts), alert in alerts.items():
        db.session.add(
            FiringAlert(
                fingerprint=fp,
                starts_at=starts,
                ticket_id=ticket.id,
                alertname=_name(alert),
                first_seen_at=now(),
            )
        )
    db.session.flush()


def _open(site: Site, payload: dict, alerts: dict) -> Ticket:

    annotations = payload.get("commonAnnotations") or {}
    ticket = intake.open_ticket(
        site,
        _summary(payload),
        Channel.ALERT,
        None,
        description=annotations.get("description", ""),
    )
    _link(ticket, alerts)
    intake.verify_trusted(ticket, None, VerificationMethod.ALERTMANAGER)
    if ticket.inside_service_hours:
        if on_duty(Duty.TECHNICIAN, now()) is None:
            # Recorded, not refused: the ticket stays open for the desk to dispatch.
            tickets.log(ticket, TicketEventKind.DISPATCH_FAILED, params={"reason": NOBODY_ON_CALL})
        else:
            dispatch(ticket)
    return ticket
