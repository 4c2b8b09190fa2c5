"""Demo service desk: the on-call roster (the demo technician and chief as fallbacks) and
Aarebank's tickets, one resolved last week with charges, one open now (idempotent)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.toolkit import ZURICH, Contact, Customer, Site, User, clock_at, db, now, today
from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import acknowledge, add_shift, dispatch
from plugins.servicedesk.models import OnCallShift, Ticket
from plugins.servicedesk.vocabulary import Duty

BANK = "Aarebank Genossenschaft"
# The bank's IT contact and PIN of the host's demo data (app/demo.py): he makes the calls.
CALLER, CALLER_PIN = "Urs Informatik", "4711"


def load_demo() -> None:
    for duty, role in ((Duty.TECHNICIAN, "technician"), (Duty.CHIEF, "chief")):
        exists = db.session.scalar(
            select(OnCallShift.id).where(OnCallShift.duty == duty, OnCallShift.fallback.is_(True))
        )
        person = db.session.scalar(
            select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
        )
        if exists is None and person is not None:
            add_shift(person, duty, fallback=True)
    db.session.flush()
    if db.session.scalar(select(Ticket.id).limit(1)) is None:
        _load_tickets()
    db.session.flush()


def _person(role: str) -> User | None:
    return db.session.scalar(
        select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)
    )


def _load_tickets() -> None:
    caller = db.session.scalar(
        select(Contact).join(Customer).where(Customer.legal_name == BANK, Contact.name == CALLER)
    )
    sites = {
        site.name: site
        for site in db.session.scalars(
            select(Site).join(Customer).where(Customer.legal_name == BANK)
        )
    }
    agent, technician = _person("service_desk"), _person("technician")
    if caller is None or agent is None or technician is None:
        return
    _resolved_ticket(sites.get("Filiale Wettingen"), caller, agent, technician)
    _open_ticket(sites.get("Hauptsitz Baden"), caller, agent)


def _resolved_ticket(site: Site | None, caller: Contact, agent: User, technician: User) -> None:
    """Last week's Tuesday morning (inside every tier's service hours): a PBX lost its
    configuration, a technician went on site; the customer's fault, so it is charged."""
    if site is None:
        return
    day = today() - timedelta(days=7)
    day -= timedelta(days=(day.weekday() - 1) % 7)
    start = datetime.combine(day, time(9, 30), tzinfo=ZURICH)
    with clock_at(start):
        ticket = intake.open_ticket(site, "Telefonanlage ohne Verbindung", "phone", agent)
        intake.verify(ticket, caller, CALLER_PIN, agent)
        dispatch(ticket, agent)
    with clock_at(start + timedelta(minutes=20)):
        acknowledge(ticket, technician)
        work.record_first_reaction(ticket, technician, "Konfiguration der Anlage verloren")
        work.start_work(ticket, technician)
    with clock_at(start + timedelta(hours=3)):
        work.add_time(ticket, technician, "remote", 45)
        work.add_time(ticket, technician, "travel", 30)
        work.add_time(ticket, technician, "on_site", 90)
        work.add_material(ticket, technician, "Netzteil 12 V", Decimal("1"), Decimal("24.50"))
        work.resolve(
            ticket,
            technician,
            "customer_environment",
            "major",
            "Konfiguration neu eingespielt, defektes Netzteil ersetzt.",
        )


def _open_ticket(site: Site | None, caller: Contact, agent: User) -> None:
    """A call a quarter of an hour ago at the head office (7x24h): verified and dispatched,
    its first reaction due within the hour."""
    if site is None:
        return
    with clock_at(now() - timedelta(minutes=15)):
        ticket = intake.open_ticket(site, "Keine ausgehenden Anrufe", "phone", agent)
        intake.verify(ticket, caller, CALLER_PIN, agent)
        dispatch(ticket, agent)
