"""Input and output shapes of contracts and quotes, shared by the API and OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.toolkit import HouseNumber, PostalCode, Street, Text70, Town

TierCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
DiscountPercent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- contracts ------------------------------------------------------------------------


class TierPeriodOut(BaseModel):
    tier_code: str
    first_day: date
    last_day: date | None = Field(description="inclusive; null while open")
    change: Literal["start", "upgrade", "downgrade"]
    signed_at: datetime | None


class ContractOut(BaseModel):
    id: int
    customer_id: int
    site_id: int
    site_name: str
    state: Literal["draft", "active", "cancelled", "ended"]
    tier_code: str | None = Field(description="the tier today (or at the start, if later)")
    start_date: date
    end_date: date | None
    notice_received_on: date | None
    signed_at: datetime | None
    origin: str
    volume_discount_percent: Decimal | None = Field(
        description="agreed volume discount, % off the list price; null for roles that do "
        "not see prices"
    )
    special_discount_percent: Decimal | None = Field(
        description="agreed special discount, % off the list price; null for roles that do "
        "not see prices"
    )
    periods: list[TierPeriodOut]


class ContractQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    site_id: int | None = None
    customer_id: int | None = None
    state: Literal["draft", "active", "cancelled", "ended"] | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class ContractIn(Strict):
    site_id: int
    tier_code: TierCode
    start_date: date


class TierChangeIn(Strict):
    tier_code: TierCode
    effective_on: date | None = Field(
        default=None,
        description="upgrades only: the day it takes effect (today at the earliest); "
        "downgrades always take effect on the first day of next month",
    )


class NoticeIn(Strict):
    received_on: date | None = Field(default=None, description="defaults to today")


# --- quotes ---------------------------------------------------------------------------


class NewSiteIn(Strict):
    name: Text70
    street: Street
    house_number: HouseNumber = ""
    postal_code: PostalCode
    town: Town
    canton: str = "AG"


class QuoteLineIn(Strict):
    site_id: int | None = None
    new_site: NewSiteIn | None = None
    tier_code: TierCode

    @model_validator(mode="after")
    def _one_site(self) -> QuoteLineIn:
        if (self.site_id is None) == (self.new_site is None):
            raise ValueError("give either site_id or new_site")
        return self


class QuoteIn(Strict):
    customer_id: int
    start_date: date
    valid_until: date
    manual_discount_percent: DiscountPercent = Decimal("0")
    note: Annotated[str, StringConstraints(max_length=500)] = ""
    lines: list[QuoteLineIn] = Field(default_factory=list, max_length=500)


class ApprovalIn(Strict):
    approve: bool


class QuoteLineOut(BaseModel):
    id: int
    site_id: int | None
    site: str
    tier_code: str
    list_price: Decimal
    contract_id: int | None


class QuoteTotalsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    site_count: int
    subtotal: Decimal
    volume_discount_percent: Decimal
    volume_discount: Decimal
    manual_discount_percent: Decimal
    manual_discount: Decimal
    net: Decimal = Field(description="per month, excl. VAT")
    vat_percent: Decimal
    vat: Decimal
    total: Decimal = Field(description="per month, incl. VAT")


class QuoteOut(BaseModel):
    id: int
    number: str
    customer_id: int
    state: Literal["draft", "sent", "accepted", "declined", "expired"]
    approval: Literal["not_needed", "pending", "approved", "rejected"]
    needs_approval: bool
    start_date: date
    valid_until: date
    manual_discount_percent: Decimal
    sent_at: datetime | None
    accepted_at: datetime | None
    lines: list[QuoteLineOut]
    totals: QuoteTotalsOut


class AcceptanceOut(BaseModel):
    quote: QuoteOut
    created: bool = Field(description="false when the quote had already been accepted")
    contract_ids: list[int]


# --- web shop -------------------------------------------------------------------------


class ShopOfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    monthly_price: Decimal = Field(description="CHF per month excl. VAT")
    service_hours: str
    first_reaction: str


class ShopOrderIn(Strict):
    site_id: int
    tier_code: TierCode
