"""Reference data the system needs: the SPEC's tier catalog, tariffs and company letterhead.

Seeding is idempotent and never overwrites what finance has edited: a tier version or
a tariff key that exists is left as it is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.database import db
from app.models import Tariff, Tier, TierVersion
from app.plugins import call_each

WEEKDAYS = [0, 1, 2, 3, 4]
CATALOG_VALID_FROM = date(2018, 1, 1)

# SPEC section 1. Free units are the SPEC's [default] values: data from here on.
TIER_CATALOG = [
    {
        "code": "premium",
        "rank": 5,
        "name": "winCall premium 7x24h",
        "monthly_price": "600.00",
        "service_windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}],
        "holidays_closed": False,
        "reaction_kind": "hours",
        "reaction_hours": 1,
        "free_service_units": 12,
    },
    {
        "code": "pro_plus",
        "rank": 4,
        "name": "winCall pro+ 6x12h",
        "monthly_price": "228.00",
        "service_windows": [{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}],
        "holidays_closed": True,
        "reaction_kind": "hours",
        "reaction_hours": 2,
        "free_service_units": 8,
    },
    {
        "code": "pro",
        "rank": 3,
        "name": "winCall pro 5x12h",
        "monthly_price": "129.00",
        "service_windows": [{"days": WEEKDAYS, "start": "07:00", "end": "19:00"}],
        "holidays_closed": True,
        "reaction_kind": "hours",
        "reaction_hours": 6,
        "free_service_units": 4,
    },
    {
        "code": "basic_plus",
        "rank": 2,
        "name": "winCall basic+ 5x8h",
        "monthly_price": "49.00",
        "service_windows": [
            {"days": WEEKDAYS, "start": "08:00", "end": "12:00"},
            {"days": WEEKDAYS, "start": "14:00", "end": "18:00"},
        ],
        "holidays_closed": True,
        "reaction_kind": "next_business_day",
        "reaction_hours": None,
        "free_service_units": 2,
    },
    {
        "code": "basic",
        "rank": 1,
        "name": "winCall basic 5x6h",
        "monthly_price": "0.00",
        "service_windows": [
            {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
            {"days": WEEKDAYS, "start": "14:00", "end": "17:00"},
        ],
        "holidays_closed": True,
        "reaction_kind": "best_effort",
        "reaction_hours": None,
        "free_service_units": 0,
    },
]


def seed_catalog() -> None:
    for entry in TIER_CATALOG:
        tier = db.session.scalar(select(Tier).where(Tier.code == entry["code"]))
        if tier is None:
            tier = Tier(code=entry["code"], rank=entry["rank"])
            db.session.add(tier)
            db.session.flush()
        if not tier.versions:
            fields = {k: v for k, v in entry.items() if k not in ("code", "rank")}
            fields["monthly_price"] = Decimal(fields["monthly_price"])
            db.session.add(TierVersion(tier=tier, valid_from=CATALOG_VALID_FROM, **fields))
    db.session.flush()


def seed_tariffs() -> None:
    from app.tariffs import parse_value, storable

    existing = set(db.session.scalars(select(Tariff.key).distinct()))
    for key, declaration in current_app.extensions["winet.tariff_keys"].items():
        if key in existing:
            continue
        for valid_from, raw in declaration.versions:
            value = storable(declaration, parse_value(declaration, raw))
            db.session.add(Tariff(key=key, valid_from=date.fromisoformat(valid_from), value=value))
    db.session.flush()


def seed_core() -> None:
    from app.company import seed_company

    seed_catalog()
    seed_tariffs()
    seed_company()


def seed_all() -> None:
    """Reference data of the host and every enabled plugin, in dependency order (flushes;
    the command or fixture that seeds commits)."""
    call_each(current_app.extensions["winet.declarations"], "seed")
    db.session.flush()
