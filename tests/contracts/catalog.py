"""A catalog price change for tests: a new version of a tier from a given day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.models import Tier, TierVersion


def add_catalog_version(db, code: str, valid_from: date, price: str) -> None:
    tier = db.session.query(Tier).filter_by(code=code).one()
    current = tier.versions[-1]
    db.session.add(
        TierVersion(
            tier=tier,
            valid_from=valid_from,
            name=current.name,
            monthly_price=Decimal(price),
            service_windows=current.service_windows,
            holidays_closed=current.holidays_closed,
            reaction_kind=current.reaction_kind,
            reaction_hours=current.reaction_hours,
            free_service_units=current.free_service_units,
        )
    )
    db.session.commit()
    db.session.expire_all()
