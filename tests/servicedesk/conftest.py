"""Service desk test helpers: a pinned clock, a customer site under a CLA, people on call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from app.models import Contact, Customer, Site, User
from app.timeutil import ZURICH
from plugins.contracts.services import start_contract_in_the_past as start_contract
from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import add_shift, dispatch

# Tuesday 2026-11-24 10:00 Zurich: inside every tier's service hours but basic's lunch break.
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=ZURICH)


def zurich(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": TUESDAY_10, "SERVICEDESK_ALERT_SECRET": "s3cret-alerts"}


@pytest.fixture
def clock(app):
    """Set the pinned clock: clock(zurich(...))."""

    def set_to(instant: datetime) -> datetime:
        app.config["FROZEN_NOW"] = instant
        return instant

    return set_to


@dataclass
class Desk:
    customer: Customer
    site: Site
    caller: Contact
    agent: User
    technician: User
    chief: User


@pytest.fixture
def make_site(factories, db):
    def make(tier: str = "pro", start: date = date(2026, 1, 1), **fields) -> Site:
        customer = fields.pop("customer", None) or factories.customer()
        site = factories.site(customer, **fields)
        start_contract(site, tier, start)
        db.session.commit()
        return site

    return make


@pytest.fixture
def desk(factories, db, make_site) -> Desk:
    """A pro site with an authorised caller (PIN 4711), a desk agent, technician and chief."""
    customer = factories.customer("Muster Treuhand AG", phone="+41 56 222 33 44")
    site = make_site("pro", customer=customer, name="Hauptsitz Baden", phone="+41 56 222 33 00")
    caller = factories.contact(customer, "Anna Anrufer", pin="4711", phone="+41 79 123 45 67")
    # English-speaking staff, so that tests read the source strings; see test_web for German.
    agent = factories.user("service_desk", language="en")
    technician = factories.user("technician", name="Toni Techniker", language="en")
    chief = factories.user("chief", name="Chris Chef", language="en")
    add_shift(technician, "technician", fallback=True)
    add_shift(chief, "chief", fallback=True)
    db.session.commit()
    return Desk(customer, site, caller, agent, technician, chief)


@pytest.fixture
def reacted_ticket(desk, db):
    """A verified ticket of the desk's site, dispatched, its first reaction recorded:
    ready for the technician's work forms."""
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    return ticket
