"""Finance adds tier versions to the catalog: from a future, unbilled day, never rewriting one."""

from __future__ import annotations

from sqlalchemy import select

from app.database import db
from app.errors import RecordNotFound
from app.history import require_changeable
from app.models.catalog import Tier, TierVersion
from app.money import CENT
from app.schemas import TierVersionIn


def tier_by_code(code: str) -> Tier:
    tier = db.session.scalar(select(Tier).where(Tier.code == code))
    if tier is None:
        raise RecordNotFound(code)
    return tier


def add_tier_version(tier: Tier, data: TierVersionIn) -> TierVersion:
    """The version of `tier` in force from `data.valid_from` on (flushes).

    Refused (RuleViolation on valid_from): a day that is not in the future or is already
    billed. A version planned for a later day that is not billed is replaced, since it
    has never been in force; the audit trail keeps what it said.
    """
    require_changeable(data.valid_from)
    version = next((v for v in tier.versions if v.valid_from == data.valid_from), None)
    if version is None:
        version = TierVersion(tier=tier, valid_from=data.valid_from)
        db.session.add(version)
    version.name = data.name
    version.monthly_price = data.monthly_price.quantize(CENT)
    version.service_windows = [window.model_dump() for window in data.service_windows]
    version.holidays_closed = data.holidays_closed
    version.reaction_kind = data.reaction_kind.value
    version.reaction_hours = data.reaction_hours
    version.free_service_units = data.free_service_units
    db.session.flush()
    return version
