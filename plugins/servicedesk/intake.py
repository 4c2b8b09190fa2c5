"""Call intake: who calls, which CLA is in force now, what it costs; Fast Lane offer and answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from app.toolkit import (
    ZURICH,
    Contact,
    Customer,
    ReactionKind,
    RuleViolation,
    Site,
    TierInForce,
    User,
    db,
    find_customers,
    hooks,
    local,
    now,
    tariff,
)
from plugins.servicedesk import costs, outage, tickets
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.due import ReactionRule, reaction_rule, reminder_time
from plugins.servicedesk.models import MasterIncident, Ticket, VerificationAttempt
from plugins.servicedesk.verification import (
    VerificationResult,
    verify_by_callback,
    verify_caller,
)
from plugins.servicedesk.vocabulary import (
    CallbackResult,
    Channel,
    FastLaneAnswer,
    TicketEventKind,
    TicketState,
    VerificationMethod,
    VerificationOutcome,
)


def find_callers(query: str):
    """select() of customers by name, number, site, town, contact, or any phone number."""
    text = (query or "").strip()
    if not text:
        return find_customers(text)
    like = f"%{text.lower()}%"
    matches = [
        Customer.id.in_(find_customers(text).with_only_columns(Customer.id).order_by(None)),
        Customer.id.in_(select(Contact.customer_id).where(func.lower(Contact.name).like(like))),
    ]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:
        # Callers read numbers without spaces; stored numbers have them: match the digits.
        pattern = "%" + "%".join(digits[-9:]) + "%"
        matches += [
            Customer.phone.like(pattern),
            Customer.id.in_(select(Site.customer_id).where(Site.phone.like(pattern))),
            Customer.id.in_(select(Contact.customer_id).where(Contact.phone.like(pattern))),
        ]
    return select(Customer).where(or_(*matches)).order_by(Customer.legal_name)


@dataclass(frozen=True)
class CallSituation:
    """What the desk tells the caller: the CLA in force now, service hours, cost consequence."""

    site: Site
    at: datetime
    tier: TierInForce | None
    rule: ReactionRule | None
    inside_service_hours: bool
    fast_lane_fee: Decimal
    due_if_now: datetime | None
    free_units: costs.FreeUnits | None
    incident: MasterIncident | None = None  # an open outage of the site (outage.py)

    @property
    def has_cla(self) -> bool:
        return self.tier is not None and self.rule is not None

    @property
    def reaction_text(self) -> str:
        if self.rule is None:
            return ""
        if self.rule.reaction_kind == ReactionKind.HOURS:
            return ngettext("within %(num)d hour", "within %(num)d hours", self.rule.reaction_hours)
        if self.rule.reaction_kind == ReactionKind.NEXT_BUSINESS_DAY:
            return _("by the end of the next business day")
        return _("best effort")

    @property
    def consequence(self) -> str:
        """The cost consequence in plain words, for someone without technical knowledge."""
        if not self.has_cla:
            return _(
                "This site has no CLA in force. No technician can be sent; please refer "
                "the caller to their account manager."
            )
        name, hours = self.rule.tier_name, self.rule.service_hours
        if self.inside_service_hours:
            return _(
                "Now is inside the service hours of %(name)s (%(hours)s). Sending the "
                "technician is covered by the CLA: the call itself costs nothing. The "
                "first reaction comes %(reaction)s. If the fault lies in the customer's own "
                "environment, the work is billed after the free service units.",
                name=name,
                hours=hours,
                reaction=self.reaction_text,
            )
        return _(
            "Now is outside the service hours of %(name)s (%(hours)s). A technician can "
            "only come now as a Fast Lane ticket, which costs CHF %(fee)s (free of charge if "
            "the fault lies in a Winet base-system service). With Fast Lane the first "
            "reaction comes %(reaction)s from the confirmation. If the caller withdraws, "
            "nothing is charged and the caller can call again during service hours.",
            name=name,
            hours=hours,
            fee=f"{self.fast_lane_fee:.2f}",
            reaction=self.reaction_text,
        )


def situation(site: Site, at: datetime | None = None) -> CallSituation:
    at = at or now()
    tier = hooks().tier_in_force(site_id=site.id, at=at)
    rule = reaction_rule(tier.tier_code, at) if tier is not None else None
    inside = bool(rule and rule.inside_service_hours(at))
    fee = tariff("servicedesk.fast_lane_fee", at.astimezone(ZURICH).date())
    due = None
    if rule is not None:
        due = rule.due(at) if inside else rule.due(at, fast_lane_confirmed_at=at)
    units = costs.free_units(site, at) if tier is not None else None
    incident = outage.open_incident_for_site(site.id, at)
    return CallSituation(site, at, tier, rule, inside, fee, due, units, incident)


def _checked_call(
    site: Site, summary: str, at: datetime | None = None
) -> tuple[str, CallSituation]:
    """The call's summary and situation; refused without a summary or without a CLA."""
    summary = (summary or "").strip()
    if not summary:
        raise RuleViolation(_("Say in a few words what does not work."), "summary")
    found = situation(site, at)
    if not found.has_cla:
        raise RuleViolation(found.consequence, "site_id")
    return summary, found


def open_ticket(
    site: Site,
    summary: str,
    channel: Channel,
    by: User | None,
    contact: Contact | None = None,
    description: str = "",
    at: datetime | None = None,
    found: CallSituation | None = None,
) -> Ticket:
    """A new ticket at the instant of the call, with the CLA in force at that instant.

    `found` is the call's situation when the caller already worked it out (take_call).
    """
    if found is None:
        summary, found = _checked_call(site, summary, at or now())
    at = found.at
    ticket = Ticket(
        customer_id=site.customer_id,
        site_id=site.id,
        site=site,
        contact_id=contact.id if contact else None,
        channel=Channel(channel),
        state=TicketState.NEW,
        summary=summary[:200],
        description=description or "",
        reported_at=at,
        opened_by_id=by.id if by else None,
        contract_id=found.tier.contract_id,
        tier_code=found.tier.tier_code,
        reaction_kind=found.rule.reaction_kind,
        inside_service_hours=found.inside_service_hours,
    )
    db.session.add(ticket)
    db.session.flush()
    tickets.log(
        ticket,
        TicketEventKind.OPENED,
        by,
        at=at,
        to_state=TicketState.NEW,
        params={
            "channel": ticket.channel.value,
            "tier": found.tier.tier_code,
            "inside": found.inside_service_hours,
        },
    )
    db.session.flush()
    # A ticket of a site in an open outage belongs to it (free of charge, with the reason).
    outage.attach_if_affected(ticket)
    return ticket


def rule_of(ticket: Ticket) -> ReactionRule:
    rule = reaction_rule(ticket.tier_code, ticket.reported_at)
    if rule is None:
        raise RuleViolation(
            _("The tier %(tier)s is not in the catalog.", tier=ticket.tier_code), "tier_code"
        )
    return rule


def _set_due(ticket: Ticket, confirmed_at: datetime | None = None) -> None:
    rule = rule_of(ticket)
    ticket.first_reaction_due_at = rule.due(ticket.reported_at, confirmed_at)
    start = confirmed_at or ticket.reported_at
    percent = tariff("servicedesk.reminder_at_percent", start.astimezone(ZURICH).date())
    wall_clock = confirmed_at is not None and rule.reaction_kind == ReactionKind.HOURS
    ticket.reminder_at = reminder_time(
        rule, start, ticket.first_reaction_due_at, percent, wall_clock
    )


def _after_verification(ticket: Ticket, by: User | None, verified_by: dict) -> None:
    tickets.move(ticket, TicketState.VERIFIED, by, params=verified_by)
    if ticket.inside_service_hours:
        _set_due(ticket)
    else:
        ticket.fast_lane_offered_at = now()
        ticket.fast_lane_fee = tariff(
            "servicedesk.fast_lane_fee", ticket.reported_at.astimezone(ZURICH).date()
        )
        tickets.log(
            ticket,
            TicketEventKind.FAST_LANE_OFFERED,
            by,
            params={"fee": f"{ticket.fast_lane_fee:.2f}"},
        )
    db.session.flush()


def verify(ticket: Ticket, contact: Contact | None, pin: str, agent: User) -> VerificationResult:
    """The desk checks the caller; only a verified ticket can ever be dispatched."""
    if ticket.state != TicketState.NEW:
        raise RuleViolation(_("The caller of this ticket is already verified."))
    result = verify_caller(contact, pin, agent, ticket=ticket)
    if result.verified:
        ticket.contact_id = contact.id
        ticket.contact = contact
        _after_verification(ticket, agent, _by_pin(contact))
    else:
        tickets.log(
            ticket,
            TicketEventKind.VERIFICATION_FAILED,
            agent,
            params={"outcome": result.outcome.value},
        )
        db.session.flush()
    return result


def take_call(
    site: Site,
    summary: str,
    contact: Contact | None,
    pin: str,
    agent: User,
    description: str = "",
    callback: CallbackResult | str | None = None,
) -> tuple[Ticket | None, VerificationResult]:
    """A phone call at the desk: check the caller first, open the ticket only once verified.

    The check is the PIN, or (`callback`) the desk's call-back to the contact's
    registered number, reached or not; both are recorded attempts.

    A failed attempt is recorded (customer, contact, agent, outcome) but opens no ticket,
    so wrong PINs leave no orphan tickets in state "new"; the rate limit counts the
    recorded attempts of the contact as before.
    """
    summary, found = _checked_call(site, summary)
    if callback is not None:
        reached = CallbackResult(callback) == CallbackResult.REACHED
        result = verify_by_callback(contact, reached, agent, site.customer_id)
    else:
        result = verify_caller(contact, pin, agent, customer_id=site.customer_id)
    if not result.verified:
        return None, result
    attempt = db.session.scalars(
        select(VerificationAttempt)
        .where(VerificationAttempt.contact_id == contact.id)
        .order_by(VerificationAttempt.id.desc())
        .limit(1)
    ).first()
    ticket = open_ticket(site, summary, Channel.PHONE, agent, contact, description, found=found)
    ticket.contact = contact
    attempt.ticket_id = ticket.id
    verified_by = _by_pin(contact)
    if callback is not None:
        verified_by["method"] = VerificationMethod.CALLBACK.value
    _after_verification(ticket, agent, verified_by)
    return ticket, result


def _by_pin(contact: Contact) -> dict:
    return {"method": VerificationMethod.PIN.value, "caller": contact.name}


def verify_trusted(
    ticket: Ticket, by: User | None, method: VerificationMethod, contact: Contact | None = None
):
    """A caller known otherwise: a logged-in customer user, or the authenticated monitoring."""
    db.session.add(
        VerificationAttempt(
            at=now(),
            customer_id=ticket.customer_id,
            contact_id=contact.id if contact else None,
            ticket_id=ticket.id,
            agent_id=by.id if by else None,
            method=method,
            outcome=VerificationOutcome.VERIFIED,
        )
    )
    _after_verification(ticket, by, {"method": VerificationMethod(method).value})


def answer_fast_lane(ticket: Ticket, confirmed: bool, by: User | None) -> Ticket:
    """The caller confirms (the ticket is dispatched) or withdraws (it costs nothing)."""

    if ticket.state != TicketState.VERIFIED or ticket.fast_lane_offered_at is None:
        raise RuleViolation(_("No Fast Lane offer is waiting for an answer on this ticket."))
    if ticket.fast_lane_answer is not None:
        raise RuleViolation(_("The caller has already answered the Fast Lane offer."))
    at = now()
    ticket.fast_lane_answer = FastLaneAnswer.CONFIRMED if confirmed else FastLaneAnswer.WITHDRAWN
    ticket.fast_lane_answered_at = at
    ticket.fast_lane_answered_by_id = by.id if by else None
    if not confirmed:
        ticket.fast_lane_fee = None
        tickets.log(ticket, TicketEventKind.FAST_LANE_WITHDRAWN, by, at=at)
        tickets.move(ticket, TicketState.WITHDRAWN, by, at=at, params={"fast_lane": True})
        return ticket
    ticket.fast_lane = True
    tickets.log(
        ticket,
        TicketEventKind.FAST_LANE_CONFIRMED,
        by,
        at=at,
        params={"fee": f"{ticket.fast_lane_fee:.2f}"},
    )
    _set_due(ticket, confirmed_at=at)
    db.session.flush()
    dispatch(ticket, by, at)
    return ticket


def withdraw(ticket: Ticket, by: User | None, note: str = "") -> Ticket:
    """The caller withdraws before dispatch (also an unverified call that is given up)."""
    if ticket.fast_lane_offered_at is not None and ticket.fast_lane_answer is None:
        return answer_fast_lane(ticket, False, by)
    tickets.move(ticket, TicketState.WITHDRAWN, by, note=note)
    return ticket


def portal_ticket(site: Site, summary: str, description: str, user: User) -> Ticket:
    """A customer opens a ticket in the portal: the same rules as a call, login verifies."""
    if user.customer_id != site.customer_id:
        raise RuleViolation(_("This site does not belong to your company."), "site_id")

    ticket = open_ticket(site, summary, Channel.PORTAL, user, description=description)
    verify_trusted(ticket, user, VerificationMethod.PORTAL_LOGIN)
    if ticket.inside_service_hours:
        dispatch(ticket, user)
    return ticket


def due_text(ticket: Ticket) -> str:
    due = local(ticket.first_reaction_due_at)
    if ticket.reaction_kind == ReactionKind.BEST_EFFORT and ticket.state not in (
        TicketState.NEW,
        TicketState.WITHDRAWN,
    ):
        return _("best effort")
    return f"{due:%d.%m.%Y %H:%M}" if due else ""
