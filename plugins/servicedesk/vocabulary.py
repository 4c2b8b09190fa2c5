"""The service desk's vocabularies, each declared once: codes, labels, constraints, API types.

The codes are what the database, the API and the event log hold; the labels are what
people read (`member.label`, or `Vocabulary.label_of(code)` for a code that may be
unknown). The check constraints of the models and the pydantic types of the API derive
from these classes, so a new code is added here and nowhere else.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.toolkit import Vocabulary


class TicketState(Vocabulary):
    NEW = "new", _l("new")
    VERIFIED = "verified", _l("verified")
    WITHDRAWN = "withdrawn", _l("withdrawn")
    DISPATCHED = "dispatched", _l("dispatched")
    REACTED = "reacted", _l("first reaction given")
    IN_PROGRESS = "in_progress", _l("in progress")
    ESCALATED = "escalated", _l("escalated to 3rd level")  # a chief joined (3rd level)
    # The pause states: the resolution clock stands still (never the FirstReaction's).
    WAITING_CUSTOMER = "waiting_customer", _l("waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _l("waiting for third party")
    RESOLVED = "resolved", _l("resolved")
    CLOSED = "closed", _l("closed")


# The states in which a ticket still needs someone; the sweep watches only these.
OPEN_STATES = (
    TicketState.NEW,
    TicketState.VERIFIED,
    TicketState.DISPATCHED,
    TicketState.REACTED,
    TicketState.IN_PROGRESS,
    TicketState.ESCALATED,
    TicketState.WAITING_CUSTOMER,
    TicketState.WAITING_THIRD_PARTY,
)

# The states that stop the resolution clock.
PAUSE_STATES = (TicketState.WAITING_CUSTOMER, TicketState.WAITING_THIRD_PARTY)


class Channel(Vocabulary):
    PHONE = "phone", _l("phone")
    PORTAL = "portal", _l("customer portal")
    ALERT = "alert", _l("monitoring alert")


class FaultOrigin(Vocabulary):
    BASE_SYSTEM = "base_system", _l("Winet base system (free of charge)")
    CUSTOMER_ENVIRONMENT = "customer_environment", _l("customer's system environment (billed)")


class Severity(Vocabulary):
    CRITICAL = "critical", _l("critical")
    MAJOR = "major", _l("major")
    MINOR = "minor", _l("minor")


class ResolutionUnit(Vocabulary):
    """How a resolution target is counted (the tariff servicedesk.resolution_targets)."""

    HOURS = "h", _l("hours in service hours")
    BUSINESS_DAYS = "business_days", _l("business days")


class TimeKind(Vocabulary):
    REMOTE = "remote", _l("remote support")
    ON_SITE = "on_site", _l("on site")
    TRAVEL = "travel", _l("travel")


# Time that counts as service time (travel is covered by the flat fee per visit).
WORK_KINDS = (TimeKind.REMOTE, TimeKind.ON_SITE)


class Duty(Vocabulary):
    TECHNICIAN = "technician", _l("technician")
    CHIEF = "chief", _l("chief")


class VerificationOutcome(Vocabulary):
    VERIFIED = "verified", _l("caller verified")
    WRONG_PIN = "wrong_pin", _l("wrong PIN")
    LOCKED = "locked", _l("locked: too many wrong PINs")
    NOT_AUTHORISED = "not_authorised", _l("not an authorised caller")
    NOT_REACHED = "not_reached", _l("call-back: registered number not reached")


class VerificationMethod(Vocabulary):
    PIN = "pin", _l("PIN")
    PORTAL_LOGIN = "portal_login", _l("customer portal login")
    ALERTMANAGER = "alertmanager", _l("authenticated monitoring")
    CALLBACK = "callback", _l("call-back to the registered number")


class CallbackResult(Vocabulary):
    """What the desk's call-back to the caller's registered number gave."""

    REACHED = "reached", _l("reached the caller at the registered number")
    NOT_REACHED = "not_reached", _l("registered number not reached")


class EscalationReason(Vocabulary):
    BREACH = "breach", _l("first reaction overdue")
    THIRD_LEVEL = "third_level", _l("3rd level: chief joins")
    RESOLUTION_BREACH = "resolution_breach", _l("resolution overdue")


class NotificationKind(Vocabulary):
    DISPATCH = "dispatch", _l("dispatch")
    REMINDER = "reminder", _l("reminder")
    BREACH = "breach", _l("first reaction overdue")
    UNACKNOWLEDGED = "unacknowledged", _l("dispatch not acknowledged")
    RESOLUTION_REMINDER = "resolution_reminder", _l("resolution reminder")
    RESOLUTION_BREACH = "resolution_breach", _l("resolution overdue")


class FastLaneAnswer(Vocabulary):
    CONFIRMED = "confirmed", _l("confirmed")
    WITHDRAWN = "withdrawn", _l("withdrawn")


class ReactionOutcome(Vocabulary):
    """How a ticket's FirstReaction went (the SLA report)."""

    MET = "met", _l("met")
    BREACHED = "breached", _l("breached")
    BEST_EFFORT = "best_effort", _l("best effort")
    PENDING = "pending", _l("pending")


class ChargeKind(Vocabulary):
    TIME = "time", _l("service time")
    TRAVEL = "travel", _l("travel flat fee")
    MATERIAL = "material", _l("material")
    FAST_LANE = "fast_lane", _l("Fast Lane fee")
    FAST_LANE_CREDIT = "fast_lane_credit", _l("Fast Lane credit")


class ChargeUnit(Vocabulary):
    """The unit of a charge's quantity, as the invoice prints it (in the customer's language)."""

    HOURS = "h", _l("h")
    VISIT = "visit", _l("visit")
    PIECE = "pc", _l("pcs")


class ChargeText(Vocabulary):
    """What a charge's description says; worded with its parameters where it is shown
    (see wording.charge_description). TEXT is a description stored as text before the
    codes existed (params {"text": ...}), shown as it is."""

    SERVICE_TIME = "service_time", _l("service time")
    SERVICE_TIME_FREE = "service_time_free", _l("service time on free units")
    TRAVEL = "travel", _l("travel flat fee")
    MATERIAL = "material", _l("material")
    FAST_LANE_FEE = "fast_lane_fee", _l("Fast Lane fee")
    FAST_LANE_CREDIT = "fast_lane_credit", _l("Fast Lane credit")
    TEXT = "text", _l("text")


class ZeroRatedReason(Vocabulary):
    """Why a charge is at 0.00; the label is what the invoice line says."""

    BASE_SYSTEM = "base_system", _l("Fault of a Winet base-system service: free of charge")
    FREE_UNITS = "free_units", _l("Free service units of the contract year")


class IncidentSource(Vocabulary):
    """How an outage master incident came to be."""

    ALERT = "alert", _l("monitoring alert")
    DECLARED = "declared", _l("declared by a chief")


class NoticeKind(Vocabulary):
    """The two notices each affected customer gets about an outage."""

    OPENED = "opened", _l("outage notice")
    RESOLVED = "resolved", _l("outage resolved notice")


class ListScope(Vocabulary):
    """Which tickets a list shows."""

    MINE = "mine", _l("My open tickets")
    OPEN = "open", _l("Open")
    ALL = "all", _l("All")


class AlertStatus(Vocabulary):
    """Alertmanager's status of an alert or a notification."""

    FIRING = "firing", _l("firing")
    RESOLVED = "resolved", _l("resolved")


# Ticket log entries: a state change is logged under the new state's code (and label),
# the other events under their own.
_EVENTS = (
    ("OPENED", "opened", _l("ticket opened")),
    ("VERIFICATION_FAILED", "verification_failed", _l("caller verification failed")),
    ("FAST_LANE_OFFERED", "fast_lane_offered", _l("Fast Lane offered")),
    ("FAST_LANE_CONFIRMED", "fast_lane_confirmed", _l("Fast Lane confirmed")),
    ("FAST_LANE_WITHDRAWN", "fast_lane_withdrawn", _l("Fast Lane withdrawn")),
    ("FAST_LANE_CREDITED", "fast_lane_credited", _l("Fast Lane fee credited")),
    ("ACKNOWLEDGED", "acknowledged", _l("dispatch acknowledged")),
    ("DISPATCH_FAILED", "dispatch_failed", _l("dispatch failed")),
    ("REMINDER_SENT", "reminder_sent", _l("reminder sent")),
    ("BREACH_ESCALATED", "breach_escalated", _l("overdue, escalated to the chief")),
    ("RENOTIFIED", "renotified", _l("notified again")),
    ("TIME_ENTRY", "time_entry", _l("time logged")),
    ("MATERIAL", "material", _l("material added")),
    ("CHIEF_JOINED", "chief_joined", _l("chief joined")),
    ("ALERT_ADDED", "alert_added", _l("further alert added")),
    ("ALERT_REPEATED", "alert_repeated", _l("alert repeated")),
    ("ALERT_RESOLVED", "alert_resolved", _l("alert resolved")),
    ("ALERT_RESOLVED_AGAIN", "alert_resolved_again", _l("alert resolved again")),
    ("SEVERITY_SET", "severity_set", _l("severity set")),
    ("OUTAGE_ATTACHED", "outage_attached", _l("attached to an outage master incident")),
    ("FAULT_ORIGIN_CONFIRMED", "fault_origin_confirmed", _l("fault origin confirmed")),
    ("FAULT_ORIGIN_OVERRIDDEN", "fault_origin_overridden", _l("fault origin overridden")),
    ("RESOLUTION_REMINDER_SENT", "resolution_reminder_sent", _l("resolution reminder sent")),
    (
        "RESOLUTION_BREACH_ESCALATED",
        "resolution_breach_escalated",
        _l("resolution overdue, escalated to the chief"),
    ),
)
TicketEventKind = Vocabulary(
    "TicketEventKind",
    [(state.name, (state.value, state._label)) for state in TicketState]
    + [(name, (code, label)) for name, code, label in _EVENTS],
    module=__name__,
)
