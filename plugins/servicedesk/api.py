"""Ticket API and the Alertmanager webhook, declared for the OpenAPI document."""

from __future__ import annotations

import hmac

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import (
    ApiError,
    Contact,
    Site,
    api_blueprint,
    committed,
    db,
    get_visible_or_404,
    has_permission,
    now,
    operation,
    pin_limits,
    scope_to_customer,
    visible_customer_id,
)
from plugins.servicedesk import (
    alerts,
    callers,
    evidence,
    intake,
    outage,
    resolution_clock,
    work,
)
from plugins.servicedesk.models import MasterIncident, Ticket
from plugins.servicedesk.schemas import (
    AlertmanagerPayload,
    AlertOut,
    CallerQuery,
    CallersOut,
    FastLaneAnswerIn,
    FaultOriginIn,
    IncidentIn,
    IncidentOut,
    IncidentSitesIn,
    MaterialIn,
    PauseIn,
    ReactionIn,
    ResolutionIn,
    SeverityIn,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketQuery,
    TimeEntryIn,
)
from plugins.servicedesk.vocabulary import OPEN_STATES, IncidentSource, ListScope

bp = api_blueprint("servicedesk_api", "/servicedesk")


def _caller_of_body() -> str | None:
    """The contact whose PIN the desk checks (None: a customer's own ticket, no PIN)."""
    payload = request.get_json(silent=True)
    contact_id = payload.get("contact_id") if isinstance(payload, dict) else None
    return str(contact_id)[:20] if contact_id is not None else None


def _load_incident(incident_id: int) -> dict:
    """The path's outage, found before the body is read (`load=`)."""
    incident = db.session.get(MasterIncident, incident_id)
    if incident is None:
        raise ApiError(404, "not_found", "no such incident")
    return {"incident": incident}


def _load_ticket(ticket_id: int) -> dict:
    """The path's ticket, found and authorised before the body is read (`load=`)."""
    return {"ticket": get_visible_or_404(Ticket, ticket_id)}


@operation(
    bp,
    "GET",
    "/tickets",
    permission="servicedesk.read",
    summary="List tickets (customers: their own)",
    tags="servicedesk",
    query=TicketQuery,
    response=TicketOut,
    many=True,
)
def list_tickets(query: TicketQuery):
    statement = scope_to_customer(select(Ticket), Ticket.customer_id)
    if query.state != ListScope.ALL:
        statement = statement.where(Ticket.state.in_(OPEN_STATES))
    if query.state == ListScope.MINE:
        statement = statement.where(work.assigned_to(current_user.id))
    statement = statement.order_by(Ticket.id.desc()).limit(query.limit).offset(query.offset)
    return db.session.scalars(statement).all()


@operation(
    bp,
    "GET",
    "/tickets/<int:ticket_id>",
    permission="servicedesk.read",
    summary="Get a ticket with its event log",
    tags="servicedesk",
    response=TicketDetailOut,
)
def get_ticket(ticket_id: int):
    return get_visible_or_404(Ticket, ticket_id)


@operation(
    bp,
    "POST",
    "/tickets",
    permission="servicedesk.read",
    summary="Open a ticket: a customer for its own site, the desk for a verified caller",
    tags="servicedesk",
    body=TicketIn,
    response=TicketOut,
    status=201,
)
@pin_limits(_caller_of_body, exempt_when=lambda: _caller_of_body() is None)
def post_ticket(body: TicketIn):
    site = get_visible_or_404(Site, body.site_id)
    if visible_customer_id() is not None:
        return committed(
            lambda: intake.portal_ticket(site, body.summary, body.description, current_user)
        ), 201
    if not has_permission(current_user, "servicedesk.intake"):
        raise ApiError(403, "forbidden", "your role lacks the right servicedesk.intake")
    contact = None
    if body.contact_id is not None:
        contact = db.session.get(Contact, body.contact_id)
        if contact is None:
            raise ApiError(404, "not_found", "no such contact")
    ticket, result = committed(
        lambda: intake.take_call(
            site,
            body.summary,
            contact,
            body.pin or "",
            current_user,
            body.description,
            callback=body.callback,
        )
    )
    if not result.verified:
        raise ApiError(
            403,
            "caller_not_verified",
            f"caller not verified ({result.outcome.value}); attempt recorded",
        )
    return ticket, 201


@operation(
    bp,
    "GET",
    "/callers",
    permission="servicedesk.intake",
    summary="Caller-ID: the contacts registered under a number, their sites and CLA now",
    tags="servicedesk",
    query=CallerQuery,
    response=CallersOut,
)
def get_callers(query: CallerQuery):
    at = now()
    # committed(): a number that cannot be one answers 422 like any refused rule.
    number, matches = committed(lambda: callers.lookup(query.number, at))
    return {
        "number": number,
        "callers": [
            {
                "contact_id": m.contact.id,
                "name": m.contact.name,
                "number": m.number,
                "authorised_caller": m.authorised,
                "customer_id": m.customer.id,
                "customer": m.customer.legal_name,
                "sites": [
                    {
                        "site_id": s.site.id,
                        "name": s.site.name,
                        "tier_code": s.tier.tier_code if s.tier else None,
                        "contract_id": s.tier.contract_id if s.tier else None,
                        "inside_service_hours": s.inside_service_hours,
                        "incident_id": s.incident.id if s.incident else None,
                    }
                    for s in m.sites
                ],
            }
            for m in matches
        ],
    }


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/fast-lane",
    permission="servicedesk.read",
    summary="Record the caller's answer to the Fast Lane offer",
    tags="servicedesk",
    body=FastLaneAnswerIn,
    response=TicketOut,
    load=_load_ticket,
)
def post_fast_lane(ticket: Ticket, body: FastLaneAnswerIn):
    if not (
        has_permission(current_user, "servicedesk.intake")
        or has_permission(current_user, "servicedesk.portal")
    ):
        raise ApiError(403, "forbidden", "only the desk or the customer answers the offer")
    return committed(lambda: intake.answer_fast_lane(ticket, body.confirm, current_user))


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/first-reaction",
    permission="servicedesk.work",
    summary="Record the FirstReaction",
    tags="servicedesk",
    body=ReactionIn,
    response=TicketOut,
    load=_load_ticket,
)
def post_first_reaction(ticket: Ticket, body: ReactionIn):
    return committed(lambda: work.record_first_reaction(ticket, current_user, body.note))


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/resolution",
    permission="servicedesk.work",
    summary="Resolve with a fault origin and a severity (creates the charges)",
    tags="servicedesk",
    body=ResolutionIn,
    response=TicketOut,
    load=_load_ticket,
)
def post_resolution(ticket: Ticket, body: ResolutionIn):
    return committed(
        lambda: work.resolve(
            ticket,
            current_user,
            body.fault_origin,
            body.severity,
            body.resolution,
            body.origin_reason,
        )
    )


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/fault-origin",
    permission="servicedesk.work",
    summary="Confirm the fault origin the evidence proposes, or override it with a reason",
    tags="servicedesk",
    body=FaultOriginIn,
    load=_load_ticket,
    response=TicketDetailOut,
)
def post_fault_origin(ticket: Ticket, body: FaultOriginIn):
    return committed(
        lambda: evidence.override(ticket, body.fault_origin, current_user, body.reason)
    )


def _incident_out(incident: MasterIncident) -> dict:
    return {
        **{
            key: getattr(incident, key)
            for key in ("id", "number", "service", "summary", "source", "opened_at", "resolved_at")
        },
        "site_ids": [s.site_id for s in incident.sites],
        "ticket_ids": [t.id for t in incident.tickets],
    }


def _sites(site_ids: list[int]) -> list[Site]:
    sites = [db.session.get(Site, site_id) for site_id in site_ids]
    if any(site is None for site in sites):
        raise ApiError(404, "not_found", "no such site")
    return sites


@operation(
    bp,
    "POST",
    "/incidents",
    permission="servicedesk.roster",
    summary="A chief declares an outage master incident of a base-system service",
    tags="servicedesk",
    body=IncidentIn,
    response=IncidentOut,
    status=201,
)
def post_incident(body: IncidentIn):
    sites = _sites(body.site_ids)
    incident = committed(
        lambda: outage.open_incident(
            body.service, body.summary, IncidentSource.DECLARED, sites, by=current_user
        )
    )
    return _incident_out(incident), 201


@operation(
    bp,
    "POST",
    "/incidents/<int:incident_id>/sites",
    permission="servicedesk.roster",
    summary="Add affected sites to an open outage",
    tags="servicedesk",
    body=IncidentSitesIn,
    load=_load_incident,
    response=IncidentOut,
)
def post_incident_sites(incident: MasterIncident, body: IncidentSitesIn):
    sites = _sites(body.site_ids)
    committed(lambda: outage.add_sites(incident, sites))
    return _incident_out(incident)


@operation(
    bp,
    "POST",
    "/incidents/<int:incident_id>/resolution",
    permission="servicedesk.roster",
    summary="The service is back: resolve the outage (each customer is told once)",
    tags="servicedesk",
    response=IncidentOut,
)
def post_incident_resolution(incident_id: int):
    incident = _load_incident(incident_id)["incident"]
    committed(lambda: outage.resolve_incident(incident, current_user))
    return _incident_out(incident)


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/severity",
    permission="servicedesk.work",
    summary="Set the severity: the resolution target of the tier follows",
    tags="servicedesk",
    body=SeverityIn,
    load=_load_ticket,
    response=TicketOut,
)
def post_severity(ticket: Ticket, body: SeverityIn):
    return committed(lambda: resolution_clock.set_severity(ticket, body.severity, current_user))


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/pause",
    permission="servicedesk.work",
    summary="Wait for the customer or a third party (stops the resolution clock only)",
    tags="servicedesk",
    body=PauseIn,
    load=_load_ticket,
    response=TicketOut,
)
def post_pause(ticket: Ticket, body: PauseIn):
    return committed(lambda: resolution_clock.pause(ticket, body.state, current_user, body.note))


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/resume",
    permission="servicedesk.work",
    summary="End the pause: work goes on, the resolution clock runs again",
    tags="servicedesk",
    body=ReactionIn,
    load=_load_ticket,
    response=TicketOut,
)
def post_resume(ticket: Ticket, body: ReactionIn):
    return committed(lambda: resolution_clock.resume(ticket, current_user, body.note))


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/time-entries",
    permission="servicedesk.work",
    summary="Log time: remote, on-site or travel (a day with on-site work is one visit)",
    tags="servicedesk",
    body=TimeEntryIn,
    response=TicketOut,
    status=201,
    load=_load_ticket,
)
def post_time_entry(ticket: Ticket, body: TimeEntryIn):
    committed(lambda: work.add_time(ticket, current_user, body.kind, body.minutes, note=body.note))
    return ticket, 201


@operation(
    bp,
    "POST",
    "/tickets/<int:ticket_id>/materials",
    permission="servicedesk.work",
    summary="Add material used, at its price",
    tags="servicedesk",
    body=MaterialIn,
    response=TicketOut,
    status=201,
    load=_load_ticket,
)
def post_material(ticket: Ticket, body: MaterialIn):
    committed(
        lambda: work.add_material(
            ticket, current_user, body.description, body.quantity, body.unit_price
        )
    )
    return ticket, 201


@bp.before_request
def _authenticate_alerts() -> None:
    # Before the body is parsed: an unauthenticated caller learns nothing, not even 422.
    if request.endpoint == "servicedesk_api.post_alerts" and not _secret_ok():
        raise ApiError(401, "unauthorized", "send the shared secret as a bearer token")


def _secret_ok() -> bool:
    secret = current_app.config.get("SERVICEDESK_ALERT_SECRET")
    if not secret:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), secret.encode())


@operation(
    bp,
    "POST",
    "/alerts",
    permission=None,
    public_reason="Alertmanager webhook, authenticated by the shared secret "
    "SERVICEDESK_ALERT_SECRET as a bearer token",
    summary="Alertmanager webhook: one ticket per firing alert group",
    tags="servicedesk",
    body=AlertmanagerPayload,
    response=AlertOut,
)
def post_alerts(body: AlertmanagerPayload):
    payload = body.model_dump(mode="json")
    try:
        outcome = committed(lambda: alerts.receive(payload))
    except IntegrityError:  # a concurrent delivery linked one of its alerts: look again
        db.session.rollback()
        outcome = committed(lambda: alerts.receive(payload))
    return outcome.__dict__, (201 if outcome.created else 200)
