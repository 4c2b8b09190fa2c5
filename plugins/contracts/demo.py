"""Demo contracts and quotes: every tier in use, most Aarebank branches on a CLA."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.toolkit import Customer, Site, User, db, today
from plugins.contracts.models import Contract, Quote
from plugins.contracts.quotes import NewSite, add_line, create_quote, request_approval
from plugins.contracts.services import first_day_of_next_month, start_contract_in_the_past

# (customer, site, tier, start)
DEMO_CONTRACTS = [
    ("Aarebank Genossenschaft", "Hauptsitz Baden", "premium", date(2024, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Wettingen", "pro_plus", date(2024, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Brugg", "pro", date(2024, 3, 1)),
    ("Aarebank Genossenschaft", "Filiale Aarau", "pro", date(2024, 3, 1)),
    ("Aarebank Genossenschaft", "Filiale Lenzburg", "pro", date(2025, 6, 16)),
    ("Aarebank Genossenschaft", "Filiale Wohlen", "basic_plus", date(2025, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Zofingen", "basic_plus", date(2025, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Rheinfelden", "basic_plus", date(2025, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Bremgarten", "basic", date(2025, 1, 1)),
    ("Aarebank Genossenschaft", "Filiale Mellingen", "basic", date(2025, 1, 1)),
    ("Müller Treuhand GmbH", "Büro Dietikon", "pro", date(2025, 9, 1)),
    ("Müller Treuhand GmbH", "Büro Baden", "basic_plus", date(2025, 9, 1)),
    ("Alpine Precision Ltd", "Plant Birr", "premium", date(2025, 4, 1)),
    ("Alpine Precision Ltd", "Warehouse Lupfig", "basic", date(2025, 4, 1)),
    ("Alpine Precision Ltd", "Office Zurich", "pro_plus", date(2026, 2, 10)),
    ("Praxis Dr. med. Keller", "Praxis Nussbaumen", "basic_plus", date(2026, 5, 1)),
]

# Branch package for Aarebank: upgrades of five branches plus two new ones (7 sites, 5 %),
# with a manual discount above the default limit, so it waits in finance's queue.
DEMO_PACKAGE = [
    ("Filiale Wohlen", "pro"),
    ("Filiale Zofingen", "pro"),
    ("Filiale Rheinfelden", "pro"),
    ("Filiale Bremgarten", "basic_plus"),
    ("Filiale Mellingen", "basic_plus"),
    (NewSite("Filiale Baden Nord", "Mellingerstrasse", "20", "5400", "Baden"), "pro"),
    (NewSite("Filiale Muri", "Marktstrasse", "3", "5630", "Muri"), "pro"),
]


def _site(customer_name: str, site_name: str) -> Site | None:
    return db.session.scalar(
        select(Site)
        .join(Customer)
        .where(Customer.legal_name == customer_name, Site.name == site_name)
    )


def _load_contracts() -> None:
    for customer_name, site_name, tier, start in DEMO_CONTRACTS:
        site = _site(customer_name, site_name)
        if site is not None:
            # Demo history: these contracts started before today.
            start_contract_in_the_past(site, tier, start)


def _load_quote() -> None:
    bank = db.session.scalar(
        select(Customer).where(Customer.legal_name == "Aarebank Genossenschaft")
    )
    if bank is None:
        return
    manager = db.session.scalar(select(User).where(User.role == "account_manager"))
    quote = create_quote(
        bank,
        manager,
        start_date=first_day_of_next_month(today()),
        valid_until=today() + timedelta(days=30),
        manual_discount_percent=Decimal("12.00"),
        note="Branch package 2027: upgrade of five branches and two new branches.",
    )
    for where, tier in DEMO_PACKAGE:
        if isinstance(where, NewSite):
            add_line(quote, tier, new_site=where)
        else:
            site = _site(bank.legal_name, where)
            if site is not None:
                add_line(quote, tier, site=site)
    request_approval(quote)


def load_demo() -> None:
    if db.session.scalar(select(Contract).limit(1)) is None:
        _load_contracts()
    if db.session.scalar(select(Quote).limit(1)) is None:
        _load_quote()
    db.session.flush()
