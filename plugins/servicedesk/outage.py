"""Outage master incidents: a Winet base-system service fails, many customers call.

An incident opens from one firing Alertmanager group whose labels name the service
(`winet_service`, config SERVICEDESK_ALERT_SERVICE_LABEL) or when a chief declares it.
Its affected sites come from the alerts' site labels or are chosen. While it is open,
every ticket of an affected site attaches to it (also the tickets opened since it opened
when a site is added later) and is classified `base_system` with the incident as its
evidence (evidence.py), so that all its charges, the Fast Lane fee included, are
zero-rated with a reason that names the incident.

Each affected customer gets one notice when the incident opens (or when its first site
joins) and one when it is resolved, through the outbox under a key per incident,
customer and kind: a repeated alert delivery or a second resolution queues nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.toolkit import Customer, RuleViolation, Site, User, db, local, now, queue_mail
from plugins.servicedesk import evidence
from plugins.servicedesk.models import MasterIncident, MasterIncidentSite, Ticket
from plugins.servicedesk.vocabulary import OPEN_STATES, IncidentSource, NoticeKind

DEFAULT_SERVICE_LABEL = "winet_service"


def service_label() -> str:
    return current_app.config.get("SERVICEDESK_ALERT_SERVICE_LABEL") or DEFAULT_SERVICE_LABEL


def open_incident_of(service: str) -> MasterIncident | None:
    return db.session.scalar(select(MasterIncident).where(MasterIncident.open_service == service))


def open_incident_for_site(site_id: int, at: datetime | None = None) -> MasterIncident | None:
    """The open incident that lists the site (the oldest, if several services fail)."""
    statement = (
        select(MasterIncident)
        .join(MasterIncidentSite, MasterIncidentSite.incident_id == MasterIncident.id)
        .where(MasterIncidentSite.site_id == site_id, MasterIncident.resolved_at.is_(None))
        .order_by(MasterIncident.id)
        .limit(1)
    )
    if at is not None:
        statement = statement.where(MasterIncident.opened_at <= at)
    return db.session.scalar(statement)


def open_incident(
    service: str,
    summary: str,
    source: IncidentSource,
    sites: Iterable[Site] = (),
    by: User | None = None,
    alertname: str = "",
    at: datetime | None = None,
) -> MasterIncident:
    """Open the incident of a service (or return the one already open) and add sites."""
    service = (service or "").strip()[:120]
    if not service:
        raise RuleViolation(_("Name the failing base-system service."), "service")
    incident = open_incident_of(service)
    if incident is None:
        at = at or now()
        incident = MasterIncident(
            service=service,
            open_service=service,
            summary=(summary or service).strip()[:200],
            source=IncidentSource(source),
            alertname=alertname[:200],
            opened_at=at,
            declared_by_id=by.id if by else None,
        )
        db.session.add(incident)
        db.session.flush()
    add_sites(incident, sites)
    return incident


def add_sites(incident: MasterIncident, sites: Iterable[Site]) -> list[Site]:
    """Add affected sites: their customers get the opening notice, and their tickets
    opened since the incident opened attach to it."""
    if not incident.is_open:
        raise RuleViolation(_("The outage is resolved; open a new one."))
    known = {s.site_id for s in incident.sites}
    added = []
    for site in sites:
        if site.id in known:
            continue
        known.add(site.id)
        incident.sites.append(MasterIncidentSite(site_id=site.id, site=site, added_at=now()))
        added.append(site)
    db.session.flush()
    if not added:
        return added
    for ticket in db.session.scalars(
        select(Ticket).where(
            Ticket.site_id.in_([s.id for s in added]),
            Ticket.reported_at >= incident.opened_at,
            Ticket.master_incident_id.is_(None),
            Ticket.state.in_(OPEN_STATES),
        )
    ):
        attach(ticket, incident)
    for customer in _customers_of(added):
        _notify(incident, customer, NoticeKind.OPENED)
    db.session.flush()
    return added


def attach(ticket: Ticket, incident: MasterIncident) -> None:
    """The ticket belongs to the outage: classified base_system on this evidence."""
    ticket.master_incident_id = incident.id
    ticket.master_incident = incident
    evidence.propose(ticket, evidence.of_incident(incident), classify=True)
    db.session.flush()


def attach_if_affected(ticket: Ticket) -> MasterIncident | None:
    """At the opening of a ticket: attach it to the open outage of its site, if any."""
    incident = open_incident_for_site(ticket.site_id, ticket.reported_at)
    if incident is not None:
        attach(ticket, incident)
    return incident


def resolve_incident(incident: MasterIncident, by: User | None = None) -> MasterIncident:
    """The service is back: each affected customer gets the resolution notice, once."""
    if incident.resolved_at is None:
        incident.resolved_at = now()
        incident.resolved_by_id = by.id if by else None
        incident.open_service = None
        db.session.flush()
    for customer in _customers_of([s.site for s in incident.sites]):
        _notify(incident, customer, NoticeKind.RESOLVED)
    db.session.flush()
    return incident


def _customers_of(sites: Iterable[Site]) -> list[Customer]:
    ids = sorted({site.customer_id for site in sites})
    return list(db.session.scalars(select(Customer).where(Customer.id.in_(ids)))) if ids else []


def recipients_of(customer: Customer) -> list[str]:
    """The customer's authorised callers with an e-mail, else its billing address."""
    callers = sorted(
        {c.email for c in customer.contacts if c.active and c.authorised_caller and c.email}
    )
    return callers or [customer.billing_email]


def notice_key(incident: MasterIncident, customer: Customer, kind: NoticeKind) -> str:
    return f"servicedesk.outage:{incident.id}:{customer.id}:{kind.value}"


def _notify(incident: MasterIncident, customer: Customer, kind: NoticeKind) -> None:
    sites = sorted(s.site.name for s in incident.sites if s.site.customer_id == customer.id)
    with force_locale(customer.language or "de"):
        if kind == NoticeKind.OPENED:
            subject = _(
                "Outage %(number)s: %(service)s", number=incident.number, service=incident.service
            )
            body = _(
                "Since %(since)s a Winet base-system service has been failing: %(service)s "
                "(%(summary)s). Affected: %(sites)s. We are working on it; calls about "
                "this outage are free of charge. You will hear from us when it is resolved.\n",
                since=f"{local(incident.opened_at):%d.%m.%Y %H:%M}",
                service=incident.service,
                summary=incident.summary,
                sites=", ".join(sites),
            )
        else:
            subject = _(
                "Resolved: outage %(number)s: %(service)s",
                number=incident.number,
                service=incident.service,
            )
            body = _(
                "The outage of %(service)s is resolved since %(until)s. Affected: %(sites)s. "
                "Thank you for your patience.\n",
                service=incident.service,
                until=f"{local(incident.resolved_at):%d.%m.%Y %H:%M}",
                sites=", ".join(sites),
            )
    queue_mail(
        recipients_of(customer),
        subject,
        body,
        key=notice_key(incident, customer, kind),
        related=("servicedesk_master_incident", incident.id),
        language=customer.language,
    )
