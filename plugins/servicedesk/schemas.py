"""The service desk's input and output schemas: one validation for the API and the pages.

The API declares its bodies with these models; the pages read their forms into the same
models (`app.toolkit.form_input`), so a value refused in one is refused in the other, with
the same translated message. Codes are the vocabularies' enums, so OpenAPI lists them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from app.toolkit import MAX_ID, MAX_MONEY, Offset, ReactionKind, RecordId
from plugins.servicedesk.vocabulary import (
    AlertStatus,
    CallbackResult,
    Channel,
    Duty,
    FastLaneAnswer,
    FaultOrigin,
    IncidentSource,
    ListScope,
    Severity,
    TicketEventKind,
    TicketState,
    TimeKind,
)

Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# Whatever the caller says is checked (and counted) as a PIN; only its length is bounded.
PinGiven = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]


MAX_QUANTITY = Decimal("9999.999")
# Alertmanager's texts are bounded too: a webhook body is no place for megabytes.
AlertText = Annotated[str, StringConstraints(max_length=2000)]
AlertLabels = Annotated[dict[AlertText, AlertText], Field(max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- input -------------------------------------------------------------------------------


class TicketIn(Strict):
    """A new ticket: the desk's call (with the caller and the PIN) or a customer's own."""

    site_id: RecordId = Field(title=_l("Site"))
    summary: Summary = Field(title=_l("What does not work?"))
    description: Note = Field("", title=_l("Details"))
    contact_id: RecordId | None = Field(
        None, title=_l("Authorised caller"), description="staff: the caller (verified by the PIN)"
    )
    pin: PinGiven | None = Field(None, title=_l("PIN"))
    callback: CallbackResult | None = Field(
        None,
        title=_l("Call-back to the registered number"),
        description="instead of the PIN: the desk called the caller's registered number back",
    )


class VerificationIn(Strict):
    contact_id: RecordId = Field(title=_l("Authorised caller"))
    pin: PinGiven = Field("", title=_l("PIN"))


class FastLaneAnswerIn(Strict):
    """The API's answer to a Fast Lane offer."""

    confirm: bool


class FastLaneChoice(Strict):
    """The pages' answer to a Fast Lane offer."""

    answer: FastLaneAnswer = Field(title=_l("Fast Lane"))


class ReactionIn(Strict):
    note: Note = Field("", title=_l("Possible cause told to the customer"))


class TimeEntryIn(Strict):
    kind: TimeKind = Field(title=_l("Kind"))
    minutes: int = Field(gt=0, le=1440, title=_l("Minutes"))
    note: Note = Field("", title=_l("Note"))


class MaterialIn(Strict):
    description: Summary = Field(title=_l("Material"))
    # Bounded so that quantity x price fits a money column (and nonsense is refused).
    quantity: Decimal = Field(
        gt=0, le=MAX_QUANTITY, max_digits=12, decimal_places=3, title=_l("Quantity")
    )
    unit_price: Decimal = Field(
        ge=0, le=MAX_MONEY, max_digits=10, decimal_places=2, title=_l("Unit price CHF")
    )


class EscalationIn(Strict):
    person_id: RecordId = Field(title=_l("Chief who joins"))
    note: Note = Field("", title=_l("Reason"))


class ResolutionIn(Strict):
    fault_origin: FaultOrigin = Field(title=_l("Fault origin"))
    severity: Severity = Field(title=_l("Severity"))
    resolution: Note = Field("", title=_l("Resolution"))
    origin_reason: Note = Field("", title=_l("Why the fault origin differs from the evidence"))


class FaultOriginIn(Strict):
    """Confirm the fault origin the evidence proposes, or override it with a reason."""

    fault_origin: FaultOrigin = Field(title=_l("Fault origin"))
    reason: Note = Field("", title=_l("Reason"))


class IncidentIn(Strict):
    """A chief declares an outage of a base-system service and names the sites."""

    service: Summary = Field(title=_l("Base-system service"))
    summary: Note = Field("", title=_l("What fails"))
    site_ids: list[RecordId] = Field(default_factory=list, title=_l("Affected sites"))


class IncidentSitesIn(Strict):
    site_ids: list[RecordId] = Field(min_length=1, title=_l("Affected sites"))


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    service: str
    summary: str
    source: IncidentSource
    opened_at: datetime
    resolved_at: datetime | None
    site_ids: list[int]
    ticket_ids: list[int]


class SeverityIn(Strict):
    severity: Severity = Field(title=_l("Severity"))


class PauseIn(Strict):
    """Wait for the customer or a third party (the resolution clock stops)."""

    state: TicketState = Field(title=_l("Waiting for"))
    note: Note = Field("", title=_l("Note"))


class ShiftIn(Strict):
    """A shift of the on-call roster; times are Europe/Zurich wall-clock (a form's
    datetime-local) or carry their zone."""

    user_id: RecordId = Field(title=_l("Person"))
    duty: Duty = Field(title=_l("Duty"))
    starts_at: datetime | None = Field(None, title=_l("From (Europe/Zurich)"))
    ends_at: datetime | None = Field(None, title=_l("Until (Europe/Zurich)"))
    fallback: bool = False


class TicketQuery(Strict):
    # A query parameter's schema is inlined (no $ref), so the codes are listed here.
    state: Annotated[
        ListScope, WithJsonSchema({"type": "string", "enum": list(ListScope.codes())})
    ] = Field(ListScope.OPEN, description="open, all, or mine (a technician's)")
    limit: int = Field(50, ge=1, le=200)
    offset: Offset = 0


class CallerQuery(Strict):
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="the caller's number in any format (Swiss unless it has a country code)")


# --- output ------------------------------------------------------------------------------


class CallerSiteOut(BaseModel):
    site_id: int
    name: str
    tier_code: str | None = Field(description="the CLA in force now; None: no CLA")
    contract_id: int | None
    inside_service_hours: bool = Field(description="whether now is inside the tier's hours")
    incident_id: int | None = Field(description="an open outage of the site")


class CallerOut(BaseModel):
    contact_id: int
    name: str
    number: str = Field(description="the registered number in E.164")
    authorised_caller: bool
    customer_id: int
    customer: str
    sites: list[CallerSiteOut]


class CallersOut(BaseModel):
    number: str = Field(description="the caller's number in E.164")
    callers: list[CallerOut]


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    customer_id: int
    site_id: int
    channel: Channel
    state: TicketState
    summary: str
    reported_at: datetime
    tier_code: str | None
    inside_service_hours: bool | None
    fast_lane: bool
    fast_lane_fee: Decimal | None = Field(description="the only price the desk sees")
    fast_lane_answer: FastLaneAnswer | None
    first_reaction_due_at: datetime | None
    first_reaction_at: datetime | None
    reaction_kind: ReactionKind | None
    technician_id: int | None
    fault_origin: FaultOrigin | None
    severity: Severity | None
    resolved_at: datetime | None
    resolution_due_at: datetime | None = Field(
        None, description="the resolution target of the severity; None: best effort or paused"
    )
    master_incident_id: int | None = Field(None, description="the outage the ticket belongs to")
    fault_origin_proposed: FaultOrigin | None = Field(
        None, description="what the evidence (an open outage of the site) proposes"
    )
    fault_origin_evidence: dict | None = Field(None, description="the facts of the evidence")
    fault_origin_reason: str = Field("", description="why the fault origin differs from it")


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: TicketEventKind
    from_state: TicketState | None
    to_state: TicketState | None
    actor: str
    note: str = Field(description="what the person wrote")
    note_params: dict | None = Field(description="the facts of the entry")
    detail: str = Field(description="the facts worded in the language of the request")


class TicketDetailOut(TicketOut):
    events: list[EventOut] = Field(description="the log the SLA figures are derived from")


# --- Alertmanager ------------------------------------------------------------------------


class Alert(BaseModel):
    status: AlertText = AlertStatus.FIRING
    labels: AlertLabels = {}
    annotations: AlertLabels = {}
    startsAt: AlertText = ""  # noqa: N815 - Alertmanager's field names
    endsAt: AlertText = ""  # noqa: N815
    generatorURL: AlertText = ""  # noqa: N815
    fingerprint: AlertText = ""


class AlertmanagerPayload(BaseModel):
    """The Prometheus Alertmanager webhook body (version 4)."""

    version: AlertText = "4"
    groupKey: AlertText  # noqa: N815
    truncatedAlerts: int = Field(0, ge=0, le=MAX_ID)  # noqa: N815
    status: AlertStatus
    receiver: AlertText = ""
    groupLabels: AlertLabels = {}  # noqa: N815
    commonLabels: AlertLabels = {}  # noqa: N815
    commonAnnotations: AlertLabels = {}  # noqa: N815
    externalURL: AlertText = ""  # noqa: N815
    alerts: list[Alert] = Field([], max_length=1000)


class AlertOut(BaseModel):
    ticket_id: int | None
    incident_id: int | None = Field(
        None, description="the outage master incident of a group naming a base-system service"
    )
    created: bool
    status: AlertStatus
    fingerprint: str
