"""Contracts binding one site to the winCall tiers, with the tier history as dated periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.toolkit import (
    AgreedDiscount,
    Customer,
    IdMixin,
    Percent,
    Site,
    Tier,
    TimestampMixin,
    User,
    db,
)
from plugins.contracts.vocabulary import (
    IN_FORCE,
    Approval,
    ContractOrigin,
    ContractState,
    QuoteState,
    TierChange,
)

_IN_FORCE_SQL = ContractState.sql_in("state", IN_FORCE)


class Contract(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "contracts_contract"
    __audited__ = True
    __table_args__ = (
        ContractState.constraint("state"),
        ContractOrigin.constraint("origin"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        # A notice date without an end date (or the reverse) would be a half-given notice.
        CheckConstraint(
            "(notice_received_on IS NULL) = (end_date IS NULL) "
            f"OR state = '{ContractState.ENDED.value}'",
            name="notice_has_end",
        ),
        # One contract in force per site: enforced by the database, not only by code.
        Index(
            "uq_contracts_contract_site_in_force",
            "site_id",
            unique=True,
            sqlite_where=text(_IN_FORCE_SQL),
            postgresql_where=text(_IN_FORCE_SQL),
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    state: Mapped[ContractState] = mapped_column(
        ContractState.column(12), default=ContractState.DRAFT
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    notice_received_on: Mapped[date | None]
    signed_at: Mapped[datetime | None]
    origin: Mapped[ContractOrigin] = mapped_column(
        ContractOrigin.column(20), default=ContractOrigin.MANUAL
    )
    # Discount agreed in an accepted quote, in percent of the list price: the volume
    # discount for its number of sites and the account manager's special discount.
    volume_discount_percent: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    special_discount_percent: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site] = relationship()
    periods: Mapped[list[ContractTierPeriod]] = relationship(
        back_populates="contract",
        order_by="ContractTierPeriod.first_day",
        cascade="all, delete-orphan",
    )

    @property
    def in_force(self) -> bool:
        return self.state in IN_FORCE

    @property
    def ended(self) -> bool:
        return self.state == ContractState.ENDED

    @property
    def discount(self) -> AgreedDiscount:
        return AgreedDiscount(
            self.volume_discount_percent or Decimal("0"),
            self.special_discount_percent or Decimal("0"),
        )

    @discount.setter
    def discount(self, value: AgreedDiscount) -> None:
        self.volume_discount_percent = value.volume_percent
        self.special_discount_percent = value.special_percent


class ContractTierPeriod(IdMixin, TimestampMixin, db.Model):
    """The tier of a contract from first_day to last_day (inclusive; open when None)."""

    __tablename__ = "contracts_tier_period"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("contract_id", "first_day"),
        CheckConstraint("last_day IS NULL OR last_day >= first_day", name="ordered"),
        TierChange.constraint("change"),
    )

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts_contract.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("core_tier.id"))
    first_day: Mapped[date] = mapped_column(index=True)
    last_day: Mapped[date | None]
    change: Mapped[TierChange] = mapped_column(TierChange.column(12), default=TierChange.START)
    signed_at: Mapped[datetime | None]

    contract: Mapped[Contract] = relationship(back_populates="periods")
    tier: Mapped[Tier] = relationship()

    @property
    def tier_code(self) -> str:
        return self.tier.code


class Quote(IdMixin, TimestampMixin, db.Model):
    """An offer of CLAs for several sites of one customer (branch package, portfolio)."""

    __tablename__ = "contracts_quote"
    __audited__ = True
    __table_args__ = (
        QuoteState.constraint("state"),
        Approval.constraint("approval"),
        # Only the sign: on SQLite the value is stored scaled (ExactDecimal), so an upper
        # bound in SQL would differ per database; the service checks 0..100 %.
        CheckConstraint("manual_discount_percent >= 0", name="manual_discount_not_negative"),
    )

    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    state: Mapped[QuoteState] = mapped_column(
        QuoteState.column(12), default=QuoteState.DRAFT, index=True
    )
    start_date: Mapped[date]
    valid_until: Mapped[date]
    manual_discount_percent: Mapped[Decimal] = mapped_column(Percent(), default=Decimal("0"))
    approval: Mapped[Approval] = mapped_column(
        Approval.column(12), default=Approval.NOT_NEEDED, index=True
    )
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    approved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(120))
    declined_at: Mapped[datetime | None]
    declined_by: Mapped[str | None] = mapped_column(String(120))

    customer: Mapped[Customer] = relationship()
    account_manager: Mapped[User | None] = relationship(foreign_keys=[account_manager_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", order_by="QuoteLine.id", cascade="all, delete-orphan"
    )


class QuoteLine(IdMixin, db.Model):
    """One site of a quote with its tier: an existing site, or a new one described here."""

    __tablename__ = "contracts_quote_line"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(
            "(site_id IS NOT NULL) OR (new_site_name IS NOT NULL)", name="site_or_new_site"
        ),
    )

    quote_id: Mapped[int] = mapped_column(ForeignKey("contracts_quote.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("core_site.id"))
    tier_id: Mapped[int] = mapped_column(ForeignKey("core_tier.id"))
    new_site_name: Mapped[str | None] = mapped_column(String(70))
    new_site_street: Mapped[str | None] = mapped_column(String(70))
    new_site_house_number: Mapped[str | None] = mapped_column(String(16))
    new_site_postal_code: Mapped[str | None] = mapped_column(String(16))
    new_site_town: Mapped[str | None] = mapped_column(String(35))
    new_site_canton: Mapped[str | None] = mapped_column(String(2))
    # Frozen when the quote is sent; until then the catalog on the start date applies.
    list_price: Mapped[Decimal | None]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts_contract.id"))

    quote: Mapped[Quote] = relationship(back_populates="lines")
    site: Mapped[Site | None] = relationship()
    tier: Mapped[Tier] = relationship()

    @property
    def site_label(self) -> str:
        if self.site is not None:
            return self.site.name
        return f"{self.new_site_name} ({self.new_site_postal_code} {self.new_site_town})"


class EndedContractIsReadOnly(RuntimeError):
    """A change to an ended contract or its tier history reached the database layer."""


def _was_ended(contract: Contract | None) -> bool:
    if contract is None:
        return False
    history = inspect(contract).attrs.state.history
    committed = history.deleted[0] if history.deleted else contract.state
    return inspect(contract).persistent and committed == ContractState.ENDED


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_ended_contracts(session, flush_context, instances) -> None:
    # The services refuse such changes with a message; this guard catches any code path
    # that bypasses them, so an ended contract's billed history stays as it was.
    for obj in (*session.dirty, *session.deleted, *session.new):
        if isinstance(obj, Contract) and session.is_modified(obj) and _was_ended(obj):
            raise EndedContractIsReadOnly(f"contract {obj.id} has ended and is read-only")
        if isinstance(obj, ContractTierPeriod) and _was_ended(obj.contract):
            raise EndedContractIsReadOnly(
                f"contract {obj.contract_id} has ended; its tier history is read-only"
            )
