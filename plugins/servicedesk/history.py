"""How tickets and their work read in their history and on the audit page (app.chatter)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.toolkit import RecordWording, tier_names_by_code, user_names
from plugins.servicedesk.models import Charge, Escalation, MaterialUse, TimeEntry
from plugins.servicedesk.vocabulary import (
    Channel,
    ChargeKind,
    Duty,
    EscalationReason,
    FastLaneAnswer,
    FaultOrigin,
    Severity,
    TicketState,
    TimeKind,
)


def _ticket_parts(ticket_id: int) -> list:
    return [
        ("servicedesk_time_entry", select(TimeEntry.id).where(TimeEntry.ticket_id == ticket_id)),
        ("servicedesk_material", select(MaterialUse.id).where(MaterialUse.ticket_id == ticket_id)),
        ("servicedesk_escalation", select(Escalation.id).where(Escalation.ticket_id == ticket_id)),
        ("servicedesk_charge", select(Charge.id).where(Charge.ticket_id == ticket_id)),
    ]


def wordings() -> list[RecordWording]:
    people = {
        "technician_id": user_names,
        "opened_by_id": user_names,
        "first_reaction_by_id": user_names,
        "fast_lane_answered_by_id": user_names,
    }
    return [
        RecordWording(
            "servicedesk_ticket",
            _l("Ticket"),
            fields={
                "channel": _l("Channel"),
                "state": _l("State"),
                "summary": _l("Summary"),
                "description": _l("Description"),
                "reported_at": _l("Reported"),
                "opened_by_id": _l("Opened by"),
                "tier_code": _l("Tier"),
                "inside_service_hours": _l("Inside service hours"),
                "fast_lane": _l("Fast Lane"),
                "fast_lane_fee": _l("Fast Lane fee CHF"),  # the desk quotes it to callers
                "fast_lane_answer": _l("Fast Lane answer"),
                "first_reaction_due_at": _l("FirstReaction due"),
                "first_reaction_at": _l("FirstReaction"),
                "first_reaction_by_id": _l("FirstReaction by"),
                "first_reaction_note": _l("FirstReaction note"),
                "technician_id": _l("Technician"),
                "dispatched_at": _l("Dispatched"),
                "acknowledged_at": _l("Acknowledged"),
                "fault_origin": _l("Fault origin"),
                "severity": _l("Severity"),
                "resolution": _l("Resolution"),
                "resolution_due_at": _l("Resolution due"),
                "resolved_at": _l("Resolved"),
                "closed_at": _l("Closed"),
            },
            vocabularies={
                "state": TicketState,
                "channel": Channel,
                "fault_origin": FaultOrigin,
                "severity": Severity,
                "fast_lane_answer": FastLaneAnswer,
            },
            lookups={**people, "tier_code": tier_names_by_code},
            transitions={
                ("state", TicketState.VERIFIED.value): _l("Caller verified"),
                ("state", TicketState.DISPATCHED.value): _l("Dispatched to %(technician_id)s"),
                ("state", TicketState.REACTED.value): _l("FirstReaction given"),
                ("state", TicketState.ESCALATED.value): _l("Escalated to 3rd level"),
                ("state", TicketState.RESOLVED.value): _l("Ticket resolved"),
                ("state", TicketState.CLOSED.value): _l("Ticket closed"),
                ("state", TicketState.WITHDRAWN.value): _l("Ticket withdrawn"),
            },
            hidden=frozenset(
                {
                    "customer_id",
                    "site_id",
                    "contact_id",
                    "contract_id",
                    "reaction_kind",
                    "reminder_at",
                    "resolution_reminder_at",
                    "fast_lane_offered_at",
                    "fast_lane_answered_at",
                    "alert_resolved_at",
                    "next_check_at",
                }
            ),
            children=_ticket_parts,
        ),
        RecordWording(
            "servicedesk_time_entry",
            _l("Time entry"),
            fields={
                "technician_id": _l("Technician"),
                "kind": _l("Kind"),
                "work_date": _l("Day"),
                "minutes": _l("Minutes"),
                "note": _l("Note"),
            },
            vocabularies={"kind": TimeKind},
            lookups={"technician_id": user_names},
            transitions={("kind", kind.value): _l("Time recorded") for kind in TimeKind},
            hidden=frozenset({"ticket_id"}),
        ),
        RecordWording(
            "servicedesk_material",
            _l("Material"),
            fields={
                "description": _l("Material"),
                "quantity": _l("Quantity"),
                "unit_price": _l("Unit price CHF"),
                "used_on": _l("Day"),
            },
            hidden=frozenset({"ticket_id", "added_by_id"}),
            prices=frozenset({"unit_price"}),
        ),
        RecordWording(
            "servicedesk_escalation",
            _l("Escalation"),
            fields={
                "level": _l("Level"),
                "reason": _l("Reason"),
                "person_id": _l("Person"),
                "note": _l("Note"),
            },
            vocabularies={"reason": EscalationReason},
            lookups={"person_id": user_names},
            hidden=frozenset({"ticket_id", "recorded_by_id", "at"}),
        ),
        RecordWording(
            "servicedesk_charge",
            _l("Charge"),
            fields={
                "kind": _l("Kind"),
                "billing_date": _l("Billing date"),
                "quantity": _l("Quantity"),
                "unit_price": _l("Unit price CHF"),
                "amount": _l("Amount CHF"),
            },
            vocabularies={"kind": ChargeKind},
            hidden=frozenset(
                {
                    "ticket_id",
                    "customer_id",
                    "site_id",
                    "reference",
                    "service_days",
                    "service_date",
                    "description_code",
                    "description_params",
                    "unit",
                    "zero_rated_reason",
                    "invoice_id",
                }
            ),
            prices=frozenset({"unit_price", "amount"}),
        ),
        RecordWording(
            "servicedesk_oncall_shift",
            _l("On-call shift"),
            fields={
                "user_id": _l("Person"),
                "duty": _l("Duty"),
                "starts_at": _l("From"),
                "ends_at": _l("To"),
                "fallback": _l("Fallback"),
            },
            vocabularies={"duty": Duty},
            lookups={"user_id": user_names},
        ),
    ]
