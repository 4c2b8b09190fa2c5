"""Contracts binding one site to the winCall tiers, with the tier history as dated periods."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import IdMixin, TimestampMixin, db
from app.models import Customer, Site, Tier

CONTRACT_STATES = ("draft", "active", "cancelled", "ended")
# States in which a contract is "in force" (cancelled = notice given, still running).
IN_FORCE_STATES = ("active", "cancelled")


class Contract(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "contracts_contract"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("state in ('draft', 'active', 'cancelled', 'ended')", name="state"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        # One contract in force per site: enforced by the database, not only by code.
        Index(
            "uq_contracts_contract_site_in_force",
            "site_id",
            unique=True,
            sqlite_where=text("state IN ('active', 'cancelled')"),
            postgresql_where=text("state IN ('active', 'cancelled')"),
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    notice_received_on: Mapped[date | None]
    signed_at: Mapped[datetime | None]
    origin: Mapped[str] = mapped_column(String(20), default="manual")  # manual, quote, shop

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site] = relationship()
    periods: Mapped[list[ContractTierPeriod]] = relationship(
        back_populates="contract",
        order_by="ContractTierPeriod.first_day",
        cascade="all, delete-orphan",
    )


class ContractTierPeriod(IdMixin, TimestampMixin, db.Model):
    """The tier of a contract from first_day to last_day (inclusive; open when None)."""

    __tablename__ = "contracts_tier_period"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("contract_id", "first_day"),
        CheckConstraint("last_day IS NULL OR last_day >= first_day", name="ordered"),
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts_contract.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("core_tier.id"))
    first_day: Mapped[date] = mapped_column(index=True)
    last_day: Mapped[date | None]
    change: Mapped[str] = mapped_column(String(12), default="start")  # start, upgrade, downgrade
    signed_at: Mapped[datetime | None]

    contract: Mapped[Contract] = relationship(back_populates="periods")
    tier: Mapped[Tier] = relationship()
