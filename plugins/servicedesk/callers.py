"""Caller-ID lookup for the phone desk: who is calling, for which sites, under which CLA.

Winet's telephony hands the desk the caller's number in whatever form the exchange
gives it ("0791234567", "+41 79 123 45 67", "0041791234567"). `phonenumbers` (Google's
libphonenumber) reads it as a Swiss number unless it carries a country code and gives
E.164; the stored numbers of the contacts are free text, so the candidates found by
their digits are normalised the same way and compared exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from flask_babel import gettext as _
from sqlalchemy import select

from app.toolkit import Contact, Customer, RuleViolation, Site, TierInForce, db, hooks, now
from plugins.servicedesk import outage
from plugins.servicedesk.due import reaction_rule
from plugins.servicedesk.models import MasterIncident

DEFAULT_REGION = "CH"


def e164(number: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (+41791234567), or None when it is no possible number."""
    try:
        parsed = phonenumbers.parse((number or "").strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise(number: str) -> str:
    """E.164 of a caller's number; refused (422) when it cannot be a phone number."""
    found = e164(number)
    if found is None:
        raise RuleViolation(_("This is not a phone number: %(number)s", number=number), "number")
    return found


@dataclass(frozen=True)
class SiteNow:
    """A site of the caller's customer as the desk needs it at the moment of the call."""

    site: Site
    tier: TierInForce | None
    inside_service_hours: bool
    incident: MasterIncident | None


@dataclass(frozen=True)
class CallerMatch:
    contact: Contact
    number: str  # the contact's registered number in E.164
    customer: Customer
    sites: tuple[SiteNow, ...]

    @property
    def authorised(self) -> bool:
        return self.contact.active and self.contact.authorised_caller


def _site_now(site: Site, at: datetime) -> SiteNow:
    tier = hooks().tier_in_force(site_id=site.id, at=at)
    rule = reaction_rule(tier.tier_code, at) if tier is not None else None
    inside = bool(rule and rule.inside_service_hours(at))
    return SiteNow(site, tier, inside, outage.open_incident_for_site(site.id, at))


def lookup(number: str, at: datetime | None = None) -> tuple[str, list[CallerMatch]]:
    """The caller's number in E.164 and the active contacts registered under it."""
    at = at or now()
    wanted = normalise(number)
    national = str(phonenumbers.parse(wanted).national_number)
    # Stored numbers are written with spaces: match the digits of the national number in
    # order, then compare the E.164 forms exactly.
    pattern = "%" + "%".join(national) + "%"
    candidates = db.session.scalars(
        select(Contact)
        .where(Contact.phone.like(pattern), Contact.active.is_(True))
        .order_by(Contact.customer_id, Contact.name)
    ).all()
    matches = []
    for contact in candidates:
        if e164(contact.phone) != wanted:
            continue
        customer = contact.customer
        sites = tuple(_site_now(site, at) for site in customer.sites if site.active)
        matches.append(CallerMatch(contact, wanted, customer, sites))
    return wanted, matches
