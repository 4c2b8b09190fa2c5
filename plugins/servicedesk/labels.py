"""Words for the codes that the service desk stores, as people read them (German or English).

One mapping per code family. The codes stay in the database, the API, the event log and
machine-readable attributes (data-*, class names); pages show these labels. An unknown
code is shown as it is, so a new code never breaks a page. Tier names come from the
`tier_name` filter of the contracts plugin, which the service desk depends on.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TICKET_STATE_LABELS = {
    "new": _l("new"),
    "verified": _l("verified"),
    "withdrawn": _l("withdrawn"),
    "dispatched": _l("dispatched"),
    "reacted": _l("first reaction given"),
    "in_progress": _l("in progress"),
    "escalated": _l("escalated to 3rd level"),
    "resolved": _l("resolved"),
    "closed": _l("closed"),
}

FAULT_ORIGIN_LABELS = {
    "base_system": _l("Winet base system (free of charge)"),
    "customer_environment": _l("customer's system environment (billed)"),
}

SEVERITY_LABELS = {
    "critical": _l("critical"),
    "major": _l("major"),
    "minor": _l("minor"),
}

TIME_KIND_LABELS = {
    "remote": _l("remote support"),
    "on_site": _l("on site"),
    "travel": _l("travel"),
}

CHANNEL_LABELS = {
    "phone": _l("phone"),
    "portal": _l("customer portal"),
    "alert": _l("monitoring alert"),
}

DUTY_LABELS = {
    "technician": _l("technician"),
    "chief": _l("chief"),
}

OUTCOME_LABELS = {
    "met": _l("met"),
    "breached": _l("breached"),
    "best_effort": _l("best effort"),
    "pending": _l("pending"),
    "total": _l("Total"),
}

ESCALATION_REASON_LABELS = {
    "breach": _l("first reaction overdue"),
    "third_level": _l("3rd level: chief joins"),
}

EVENT_KIND_LABELS = {
    **TICKET_STATE_LABELS,
    "opened": _l("ticket opened"),
    "verification_failed": _l("caller verification failed"),
    "fast_lane_offered": _l("Fast Lane offered"),
    "fast_lane_confirmed": _l("Fast Lane confirmed"),
    "fast_lane_withdrawn": _l("Fast Lane withdrawn"),
    "fast_lane_credited": _l("Fast Lane fee credited"),
    "acknowledged": _l("dispatch acknowledged"),
    "dispatch_failed": _l("dispatch failed"),
    "reminder_sent": _l("reminder sent"),
    "breach_escalated": _l("overdue, escalated to the chief"),
    "renotified": _l("notified again"),
    "time_entry": _l("time logged"),
    "material": _l("material added"),
    "chief_joined": _l("chief joined"),
    "alert_added": _l("further alert added"),
    "alert_repeated": _l("alert repeated"),
    "alert_resolved": _l("alert resolved"),
    "alert_resolved_again": _l("alert resolved again"),
}


def _label(labels: dict, code: str | None) -> str:
    if code is None:
        return ""
    return str(labels.get(code, code))


def ticket_state_label(code: str | None) -> str:
    return _label(TICKET_STATE_LABELS, code)


def fault_origin_label(code: str | None) -> str:
    return _label(FAULT_ORIGIN_LABELS, code)


def severity_label(code: str | None) -> str:
    return _label(SEVERITY_LABELS, code)


def time_kind_label(code: str | None) -> str:
    return _label(TIME_KIND_LABELS, code)


def channel_label(code: str | None) -> str:
    return _label(CHANNEL_LABELS, code)


def duty_label(code: str | None) -> str:
    return _label(DUTY_LABELS, code)


def outcome_label(code: str | None) -> str:
    return _label(OUTCOME_LABELS, code)


def escalation_reason_label(code: str | None) -> str:
    return _label(ESCALATION_REASON_LABELS, code)


def event_kind_label(code: str | None) -> str:
    return _label(EVENT_KIND_LABELS, code)


FILTERS = {
    "ticket_state": ticket_state_label,
    "fault_origin": fault_origin_label,
    "severity": severity_label,
    "time_kind": time_kind_label,
    "ticket_channel": channel_label,
    "duty": duty_label,
    "sla_outcome": outcome_label,
    "escalation_reason": escalation_reason_label,
    "ticket_event": event_kind_label,
}
