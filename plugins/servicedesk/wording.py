"""Words for what the service desk stores as codes and facts: log entries and charge texts.

Nothing here is stored. The log and the charges keep a code and its parameters, and are
worded when shown, in the language in force (Flask-Babel): the reader's on a page, the
customer's where invoicing asks for the charges (`flask_babel.force_locale`). A further
language needs only its catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.toolkit import ZURICH, actors_in_words
from plugins.contracts.labels import tier_name
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
                tier=tier_name(p.get("tier")),
            )
        return _(
            "%(channel)s; CLA %(tier)s; outside service hours",
            channel=channel,
            tier=tier_name(p.get("tier")),
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
        return _("upgrade to %(tier)s", tier=tier_name(p.get("tier")))
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
    return _one_line(event_detail(event.kind, event.note_params), event.note)


def _one_line(facts: str, note: str) -> str:
    return "; ".join(part for part in (facts, note) if part)


# --- words for the customer and the technician (issue 12) --------------------------------

K = TicketEventKind

# What the customer sees of a ticket's log: the steps that concern them, named in their
# words, and whether the person's note was written for them (the cause told at the first
# reaction, why we wait, why the report was withdrawn). The desk's own steps (failed
# verifications, reminders, escalations to the chief, repeated alerts, acknowledgements)
# and the desk's notes (time entries, escalations) stay internal.
CUSTOMER_LOG: dict[str, tuple[Any, bool]] = {
    K.OPENED: (_l("Fault reported"), False),
    K.VERIFIED: (_l("Identity confirmed"), False),
    K.FAST_LANE_OFFERED: (_l("Fast Lane offered"), False),
    K.FAST_LANE_CONFIRMED: (_l("Fast Lane confirmed"), False),
    K.FAST_LANE_WITHDRAWN: (_l("Fast Lane declined"), False),
    K.WITHDRAWN: (_l("Report withdrawn"), True),
    K.FAST_LANE_CREDITED: (_l("Fast Lane fee credited"), False),
    K.DISPATCHED: (_l("Technician assigned"), False),
    K.REACTED: (_l("First reaction"), True),
    K.IN_PROGRESS: (_l("Work in progress"), False),
    K.ESCALATED: (_l("Specialist involved"), False),
    K.WAITING_CUSTOMER: (_l("Waiting for your answer"), True),
    K.WAITING_THIRD_PARTY: (_l("Waiting for a third party"), True),
    K.TIME_ENTRY: (_l("Working time recorded"), False),
    K.MATERIAL: (_l("Material used"), False),
    K.SEVERITY_SET: (_l("Severity assessed"), False),
    K.OUTAGE_ATTACHED: (_l("Linked to an outage"), False),
    K.FAULT_ORIGIN_CONFIRMED: (_l("Fault origin determined"), False),
    K.FAULT_ORIGIN_OVERRIDDEN: (_l("Fault origin determined"), False),
    K.RESOLVED: (_l("Resolved"), False),
    K.CLOSED: (_l("Closed"), False),
}


def customer_event_detail(kind: str, params: dict[str, Any] | None) -> str:
    """The facts of a log entry as the customer reads them: no desk script ("caller …
    (PIN)"), no names of internal checks, the CLA by its name."""
    p = params or {}
    if kind == K.OPENED:
        if p.get("inside"):
            return _(
                "%(channel)s; CLA %(tier)s; inside your service hours",
                channel=Channel.label_of(p.get("channel")),
                tier=tier_name(p.get("tier")),
            )
        return _(
            "%(channel)s; CLA %(tier)s; outside your service hours",
            channel=Channel.label_of(p.get("channel")),
            tier=tier_name(p.get("tier")),
        )
    if kind == K.VERIFIED:
        return str(p.get("caller", ""))
    if kind == K.DISPATCHED:
        return str(p.get("person", ""))
    if kind == K.OUTAGE_ATTACHED:
        return _(
            "outage of %(service)s since %(since)s",
            service=p.get("service", ""),
            since=instant_text(p.get("since")),
        )
    if kind == K.FAULT_ORIGIN_OVERRIDDEN:
        return FaultOrigin.label_of(p.get("fault_origin"))
    if kind in (K.ESCALATED, K.CHIEF_JOINED, K.WITHDRAWN):
        return ""
    return event_detail(kind, p)


@dataclass(frozen=True)
class LogLine:
    """One line of a ticket's log as a page shows it."""

    at: datetime
    kind: str
    label: str
    actor: str
    text: str


def log_lines(events, for_customer: bool) -> list[LogLine]:
    """The log for the desk (every entry, who made it, the full facts) or for the customer
    (CUSTOMER_LOG: their steps, in their words, without the desk's names)."""
    if not for_customer:
        who = actors_in_words(e.actor for e in events)  # names, not "email (role)"
        return [
            LogLine(e.at, e.kind, TicketEventKind.label_of(e.kind), who[e.actor], e.text)
            for e in events
        ]
    lines = []
    for e in events:
        shown = CUSTOMER_LOG.get(e.kind)
        if shown is None:
            continue
        label, shows_note = shown
        text = _one_line(customer_event_detail(e.kind, e.note_params), e.note if shows_note else "")
        lines.append(LogLine(e.at, e.kind, str(label), "", text))
    return lines


def duration_text(left) -> str:
    """A span of time as people read it: "39 h 42 min", "12 min"."""
    minutes = int(abs(left).total_seconds() // 60)
    if minutes >= 60:
        return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=f"{minutes % 60:02d}")
    return _("%(minutes)s min", minutes=minutes)


def customer_consequence(situation) -> str:
    """What reporting a fault now means, said to the customer (the portal), not to the desk."""
    if not situation.has_cla:
        return _(
            "This site has no CLA in force, so we cannot send a technician. Your account "
            "manager will gladly advise you."
        )
    name, hours = situation.rule.tier_name, situation.rule.service_hours
    if situation.inside_service_hours:
        return _(
            "Now is inside your service hours (%(name)s, %(hours)s): we send the technician "
            "at no charge and the first reaction comes %(reaction)s. Work on a fault in your "
            "own environment is billed after your free service units.",
            name=name,
            hours=hours,
            reaction=situation.reaction_text,
        )
    return _(
        "Now is outside your service hours (%(name)s, %(hours)s). If you need a technician "
        "now, you can ask for Fast Lane for CHF %(fee)s (free of charge if the fault lies in "
        "a Winet base-system service); the first reaction then comes %(reaction)s from your "
        "confirmation. Otherwise nothing is charged and we take care of the fault in your "
        "service hours.",
        name=name,
        hours=hours,
        fee=f"{situation.fast_lane_fee:.2f}",
        reaction=situation.reaction_text,
    )


def customer_fast_lane_offer(fee: str, hours: str) -> str:
    """The Fast Lane question as the portal asks it of the customer."""
    return _(
        "Your report falls outside your service hours (%(hours)s). We can send a technician "
        "now as a Fast Lane ticket for CHF %(fee)s; it is free of charge if the fault lies in "
        "a Winet base-system service. If you do not need it now, nothing is charged and we "
        "take care of the fault in your service hours.",
        fee=fee,
        hours=hours,
    )


def customer_fast_lane_confirmed(due_text: str, left) -> str:
    """After the customer's confirmation: when the technician reacts, not a promise of now."""
    if left is None:  # best effort: no due time to promise
        return _("Fast Lane confirmed. A technician is assigned; the reaction is best effort.")
    return _(
        "Fast Lane confirmed. A technician is assigned; the first reaction is due by "
        "%(due)s (in %(left)s).",
        due=due_text,
        left=duration_text(left),
    )


def clock_stopped_text(service_hours: str, for_customer: bool) -> str:
    """Why the SLA clock stands still."""
    if for_customer:
        return _(
            "The clock stands still: outside your service hours %(hours)s", hours=service_hours
        )
    return _("The clock stands still: outside the service hours %(hours)s", hours=service_hours)


def dispatch_mail(ticket, tier_name: str, due: str, link: str) -> tuple[str, str]:
    """The dispatch e-mail to the technician: who called, where to go, what is due, the link.

    Worded in the language in force (notify_once sets the technician's own).
    """
    site = ticket.site
    subject = f"[{ticket.number}] " + _("Dispatch: %(site)s", site=str(site))
    if ticket.contact is not None:
        caller = _(
            "%(name)s, phone %(phone)s",
            name=ticket.contact.name,
            phone=ticket.contact.phone or "–",
        )
    else:
        caller = Channel.label_of(ticket.channel)
    address = f"{site.street} {site.house_number}".strip() + f", {site.postal_code} {site.town}"
    body = _(
        "You are dispatched to ticket %(ticket)s: %(summary)s\n"
        "Caller: %(caller)s\n"
        "Site: %(site)s\n"
        "Address: %(address)s\n"
        "Site phone: %(site_phone)s\n"
        "CLA: %(tier)s%(fast_lane)s\n"
        "FirstReaction due: %(due)s\n"
        "Ticket: %(link)s\n",
        ticket=ticket.number,
        summary=ticket.summary,
        caller=caller,
        site=str(site),
        address=address,
        site_phone=site.phone or "–",
        tier=tier_name,
        fast_lane=" (Fast Lane)" if ticket.fast_lane else "",
        due=due,
        link=link,
    )
    if ticket.description:
        body += "\n" + ticket.description + "\n"
    return subject, body
