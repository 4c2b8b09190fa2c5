"""Words for what the service desk stores as codes and facts: log entries and charge texts.

Nothing here is stored. The log and the charges keep a code and its parameters, and are
worded when shown, in the language in force (Flask-Babel): the reader's on a page, the
customer's where invoicing asks for the charges (`flask_babel.force_locale`). A further
language needs only its catalog.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from app.toolkit import ZURICH
from plugins.servicedesk.vocabulary import (
    Channel,
    ChargeText,
    ChargeUnit,
    FaultOrigin,
    Severity,
    TicketEventKind,
    TimeKind,
    VerificationMethod,
    VerificationOutcome,
    ZeroRatedReason,
)

NOBODY_ON_CALL = "nobody_on_call"  # the reason a dispatch failed (the only one there is)


def day_text(value: date | str | None) -> str:
    """A day as the desk and the invoices write it: 24.11.2026."""
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%d.%m.%Y}"


def charge_description(code: str, params: dict[str, Any] | None) -> str:
    """A charge's description in the current language (see ChargeText)."""
    p = params or {}
    ticket = p.get("ticket", "")
    if code == ChargeText.SERVICE_TIME_FREE:
        return ngettext(
            "%(ticket)s service time %(minutes)s min: %(num)d free service unit, "
            "contract year %(first)s–%(last)s",
            "%(ticket)s service time %(minutes)s min: %(num)d free service units, "
            "contract year %(first)s–%(last)s",
            int(p.get("units", 0)),
            ticket=ticket,
            minutes=p.get("minutes", 0),
            first=day_text(p.get("year_first")),
            last=day_text(p.get("year_last")),
        )
    if code == ChargeText.SERVICE_TIME:
        return _(
            "%(ticket)s service time %(minutes)s min (worked %(worked)s min)",
            ticket=ticket,
            minutes=p.get("minutes", 0),
            worked=p.get("worked", 0),
        )
    if code == ChargeText.TRAVEL:
        return _(
            "%(ticket)s travel flat fee, on-site visit %(day)s",
            ticket=ticket,
            day=day_text(p.get("day")),
        )
    if code == ChargeText.MATERIAL:
        return _("%(ticket)s material: %(item)s", ticket=ticket, item=p.get("item", ""))
    if code == ChargeText.FAST_LANE_FEE:
        return _("%(ticket)s Fast Lane fee (confirmed outside service hours)", ticket=ticket)
    if code == ChargeText.FAST_LANE_CREDIT:
        return _(
            "Credit of the Fast Lane fee of %(ticket)s: CLA upgrade signed on %(day)s",
            ticket=ticket,
            day=day_text(p.get("signed")),
        )
    return str(p.get("text", code))  # ChargeText.TEXT: a description stored as text


def unit_text(code: str) -> str:
    """The unit of a charge as a word ("Std.", "Stk.", "Einsatz" in German)."""
    return ChargeUnit.label_of(code)


def reason_text(code: str | None, params: dict[str, Any] | None = None) -> str | None:
    """Why a charge is free, as the invoice line says it; None for a billed charge. A
    base-system charge with evidence (an outage) names it."""
    if not code:
        return None
    found = (params or {}).get("evidence")
    if code == ZeroRatedReason.BASE_SYSTEM and found:
        return _(
            "Fault of a Winet base-system service, outage %(incident)s of %(service)s "
            "since %(since)s: free of charge",
            incident=found.get("incident", ""),
            service=found.get("service", ""),
            since=instant_text(found.get("since")),
        )
    return ZeroRatedReason.label_of(code)


def instant_text(value: str | None) -> str:
    """An ISO instant as the desk writes it, on the Zurich clock: 24.11.2026 10:00."""
    if not value:
        return ""
    return f"{datetime.fromisoformat(value).astimezone(ZURICH):%d.%m.%Y %H:%M}"


def event_detail(kind: str, params: dict[str, Any] | None) -> str:
    """The facts of a log entry in the current language ("" when it has none)."""
    p = params or {}
    if not p:
        return ""
    if kind == TicketEventKind.OPENED:
        channel = Channel.label_of(p.get("channel"))
        if p.get("inside"):
            return _(
                "%(channel)s; CLA %(tier)s; inside service hours",
                channel=channel,
                tier=p.get("tier", ""),
            )
        return _(
            "%(channel)s; CLA %(tier)s; outside service hours",
            channel=channel,
            tier=p.get("tier", ""),
        )
    if kind == TicketEventKind.VERIFIED:
        method = VerificationMethod.label_of(p.get("method"))
        if p.get("caller"):
            return _("caller %(caller)s (%(method)s)", caller=p["caller"], method=method)
        return method
    if kind == TicketEventKind.VERIFICATION_FAILED:
        return VerificationOutcome.label_of(p.get("outcome"))
    if kind in (TicketEventKind.FAST_LANE_OFFERED, TicketEventKind.FAST_LANE_CONFIRMED):
        return _("CHF %(fee)s", fee=p.get("fee", ""))
    if kind == TicketEventKind.WITHDRAWN and p.get("fast_lane"):
        return _("Fast Lane withdrawn: no charge")
    if kind in (
        TicketEventKind.DISPATCHED,
        TicketEventKind.REMINDER_SENT,
        TicketEventKind.BREACH_ESCALATED,
        TicketEventKind.RESOLUTION_REMINDER_SENT,
        TicketEventKind.RESOLUTION_BREACH_ESCALATED,
    ):
        return _("to %(person)s", person=p.get("person", ""))
    if kind == TicketEventKind.TIME_ENTRY:
        return _(
            "%(kind)s %(minutes)s min",
            kind=TimeKind.label_of(p.get("kind")),
            minutes=p.get("minutes", 0),
        )
    if kind == TicketEventKind.MATERIAL:
        return _("%(quantity)s x %(item)s", quantity=p.get("quantity", ""), item=p.get("item", ""))
    if kind in (TicketEventKind.ESCALATED, TicketEventKind.CHIEF_JOINED):
        return _("%(person)s joins", person=p.get("person", ""))
    if kind == TicketEventKind.RESOLVED:
        return _(
            "%(origin)s, %(severity)s",
            origin=FaultOrigin.label_of(p.get("fault_origin")),
            severity=Severity.label_of(p.get("severity")),
        )
    if kind == TicketEventKind.OUTAGE_ATTACHED:
        return _(
            "outage %(incident)s of %(service)s since %(since)s: proposed %(origin)s",
            incident=p.get("incident", ""),
            service=p.get("service", ""),
            since=instant_text(p.get("since")),
            origin=FaultOrigin.BASE_SYSTEM.label,
        )
    if kind == TicketEventKind.FAULT_ORIGIN_CONFIRMED:
        return FaultOrigin.label_of(p.get("fault_origin"))
    if kind == TicketEventKind.FAULT_ORIGIN_OVERRIDDEN:
        return _(
            "%(origin)s instead of %(proposed)s",
            origin=FaultOrigin.label_of(p.get("fault_origin")),
            proposed=FaultOrigin.label_of(p.get("proposed")),
        )
    if kind == TicketEventKind.SEVERITY_SET:
        return Severity.label_of(p.get("severity"))
    if kind == TicketEventKind.RENOTIFIED:
        return _("level %(level)s", level=p.get("level", ""))
    if kind == TicketEventKind.FAST_LANE_CREDITED:
        return _("upgrade to %(tier)s", tier=p.get("tier", ""))
    if kind == TicketEventKind.ALERT_ADDED:
        return _("also firing: %(alerts)s", alerts=p.get("alerts", ""))
    if kind == TicketEventKind.ALERT_RESOLVED:
        return _("monitoring reports %(alert)s resolved", alert=p.get("alert", ""))
    if kind == TicketEventKind.ALERT_RESOLVED_AGAIN:
        return str(p.get("alert", ""))
    if kind == TicketEventKind.DISPATCH_FAILED and p.get("reason") == NOBODY_ON_CALL:
        return _("nobody is on call and the roster has no fallback technician")
    return ""


def event_text(event) -> str:
    """A log entry's facts and the person's own note, as one line."""
    parts = (event_detail(event.kind, event.note_params), event.note)
    return "; ".join(part for part in parts if part)
