"""The winCall tier catalog and the tariff table, both versioned by a valid-from date.

A price or rule change is a new version row; history is never rewritten, so every
past day can be priced with the version that was valid on it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import IdMixin, TimestampMixin, db
from app.service_hours import service_hours
from app.vocabulary import Vocabulary


class ReactionKind(Vocabulary):
    """How a tier's FirstReaction is due (SPEC section 2)."""

    HOURS = "hours", _l("within hours")
    NEXT_BUSINESS_DAY = "next_business_day", _l("next business day")
    BEST_EFFORT = "best_effort", _l("best effort")


REACTION_KINDS = ReactionKind.codes()


class Tier(IdMixin, db.Model):
    __tablename__ = "core_tier"
    __audited__ = True

    code: Mapped[str] = mapped_column(String(20), unique=True)
    # Higher rank = more service; "upgrade" and "downgrade" are defined by it.
    rank: Mapped[int] = mapped_column(unique=True)

    versions: Mapped[list[TierVersion]] = relationship(
        back_populates="tier", order_by="TierVersion.valid_from"
    )

    def version_on(self, day: date) -> TierVersion | None:
        valid = [v for v in self.versions if v.valid_from <= day]
        # By date, not list order: a version just added sits at the end of the list.
        return max(valid, key=lambda v: v.valid_from) if valid else None

    def planned_versions(self, day: date) -> list[TierVersion]:
        """Versions that start after `day`, soonest first."""
        return sorted((v for v in self.versions if v.valid_from > day), key=lambda v: v.valid_from)

    def __str__(self) -> str:
        return self.code


class TierVersion(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "core_tier_version"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("tier_id", "valid_from"),
        ReactionKind.constraint("reaction_kind"),
        CheckConstraint(
            "(reaction_kind = 'hours') = (reaction_hours IS NOT NULL)", name="reaction_hours"
        ),
        CheckConstraint("monthly_price >= 0", name="price_not_negative"),
        CheckConstraint("free_service_units >= 0", name="units_not_negative"),
    )

    tier_id: Mapped[int] = mapped_column(ForeignKey("core_tier.id"), index=True)
    valid_from: Mapped[date]
    name: Mapped[str] = mapped_column(String(70))
    monthly_price: Mapped[Decimal]
    # [{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}], Monday = 0, Europe/Zurich.
    service_windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    holidays_closed: Mapped[bool] = mapped_column(default=True)
    reaction_kind: Mapped[str] = mapped_column(String(20))
    reaction_hours: Mapped[int | None]
    free_service_units: Mapped[int] = mapped_column(default=0)

    tier: Mapped[Tier] = relationship(back_populates="versions")

    @property
    def code(self) -> str:
        return self.tier.code

    @property
    def service_hours(self) -> str:
        """The service hours worded from the windows in the language in force."""
        return service_hours(self.service_windows)


class Tariff(IdMixin, TimestampMixin, db.Model):
    """One effective-dated value of a tariff key declared by the host or a plugin."""

    __tablename__ = "core_tariff"
    __audited__ = True
    __table_args__ = (UniqueConstraint("key", "valid_from"),)

    key: Mapped[str] = mapped_column(String(80), index=True)
    valid_from: Mapped[date]
    # Stored as JSON text exactly as entered: decimals as strings, never floats.
    value: Mapped[Any] = mapped_column(JSON)


def tier_versions_on(day: date) -> dict[str, TierVersion]:
    """The catalog as it was on `day`: tier code -> version valid that day."""
    tiers = db.session.scalars(select(Tier).order_by(Tier.rank)).all()
    catalog = {}
    for tier in tiers:
        version = tier.version_on(day)
        if version is not None:
            catalog[tier.code] = version
    return catalog
