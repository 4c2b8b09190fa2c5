"""Demo contracts: every tier is in use, most Aarebank branches on a CLA."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.database import db
from app.models import Customer, Site
from plugins.contracts.models import Contract
from plugins.contracts.services import start_contract

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


def load_demo() -> None:
    if db.session.scalar(select(Contract).limit(1)) is not None:
        return
    for customer_name, site_name, tier, start in DEMO_CONTRACTS:
        site = db.session.scalar(
            select(Site)
            .join(Customer)
            .where(Customer.legal_name == customer_name, Site.name == site_name)
        )
        if site is not None:
            start_contract(site, tier, start, origin="manual")
    db.session.flush()
