"""Input and output shapes of contracts and quotes, shared by the API, the pages' forms
and OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.toolkit import (
    HouseNumber,
    Offset,
    PostalCode,
    RecordId,
    SiteIn,
    Street,
    Text70,
    Town,
    postal_code_problem,
)
from plugins.contracts.vocabulary import (
    DECISIONS,
    Approval,
    ContractOrigin,
    ContractState,
    QuoteState,
    TierChange,
)


def _decimal_comma(value):
    # People in Switzerland write 2.5 and 2,5 alike.
    return value.strip().replace(",", ".") if isinstance(value, str) else value


TierCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
DiscountPercent = Annotated[
    Decimal, BeforeValidator(_decimal_comma), Field(ge=0, le=100, decimal_places=2)
]
Note = Annotated[str, StringConstraints(max_length=500)]
Canton = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=2)]


def _known_canton(cls, value: str | None) -> str | None:
    """A Swiss canton's code (the host's list of sites' cantons), said in the user's words."""
    if value is None:
        return None
    try:
        return SiteIn._known_canton(value)
    except ValueError:
        raise ValueError(_("%(canton)s is not a Swiss canton.", canton=value)) from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- contracts ------------------------------------------------------------------------


class TierPeriodOut(BaseModel):
    tier_code: str
    first_day: date
    last_day: date | None = Field(description="inclusive; null while open")
    change: TierChange
    signed_at: datetime | None


class ContractOut(BaseModel):
    id: int
    customer_id: int
    site_id: int
    site_name: str
    state: ContractState
    tier_code: str | None = Field(description="the tier today (or at the start, if later)")
    start_date: date
    end_date: date | None
    notice_received_on: date | None
    signed_at: datetime | None
    origin: ContractOrigin
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
    site_id: RecordId | None = None
    customer_id: RecordId | None = None
    state: ContractState | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: Offset = 0


class ContractIn(Strict):
    site_id: RecordId = Field(title=_l("Site"))
    tier_code: TierCode = Field(title=_l("Tier"))
    start_date: date = Field(title=_l("Start"))


class TierChangeIn(Strict):
    tier_code: TierCode = Field(title=_l("New tier"))
    effective_on: date | None = Field(
        default=None,
        title=_l("Effective on"),
        description="upgrades only: the day it takes effect (today at the earliest); "
        "downgrades always take effect on the first day of next month",
    )


class NoticeIn(Strict):
    received_on: date | None = Field(
        default=None, title=_l("Notice received on"), description="defaults to today"
    )


# --- quotes ---------------------------------------------------------------------------


class NewSiteIn(Strict):
    name: Text70
    street: Street
    house_number: HouseNumber = ""
    postal_code: PostalCode
    town: Town
    canton: Canton = "AG"

    _known_canton = field_validator("canton")(_known_canton)

    @field_validator("postal_code")
    @classmethod
    def _swiss_postal_code(cls, value: str) -> str:
        # A new site of a quote is in Switzerland (it has a canton).
        problem = postal_code_problem("CH", value)
        if problem:
            raise ValueError(problem)
        return value


class QuoteLineIn(Strict):
    site_id: RecordId | None = None
    new_site: NewSiteIn | None = None
    tier_code: TierCode

    @model_validator(mode="after")
    def _one_site(self) -> QuoteLineIn:
        if (self.site_id is None) == (self.new_site is None):
            raise ValueError(_("Give either an existing site or a new one."))
        return self


class QuoteLineForm(Strict):
    """A quote line as the page's form sends it: an existing site, else a new site
    (NewSiteForm)."""

    tier_code: TierCode = Field(title=_l("Tier"))
    site_id: RecordId | None = Field(default=None, title=_l("Existing site"))


class NewSiteForm(Strict):
    """The new site of a quote line as the page's form sends it: fields side by side."""

    new_site_name: Text70 = Field(title=_l("Site name"))
    new_site_street: Street = Field(title=_l("Street"))
    new_site_house_number: HouseNumber = Field(default="", title=_l("No."))
    new_site_postal_code: PostalCode = Field(title=_l("Postal code"))
    new_site_town: Town = Field(title=_l("Town"))
    new_site_canton: Canton = Field(default="AG", title=_l("Canton"))

    _known_canton = field_validator("new_site_canton")(_known_canton)
    _swiss_postal_code = field_validator("new_site_postal_code")(
        lambda cls, value: NewSiteIn._swiss_postal_code(value)
    )

    def new_site(self) -> NewSiteIn:
        """The same new site as the API takes it."""
        return NewSiteIn(
            name=self.new_site_name,
            street=self.new_site_street,
            house_number=self.new_site_house_number,
            postal_code=self.new_site_postal_code,
            town=self.new_site_town,
            canton=self.new_site_canton,
        )


class QuoteTermsIn(Strict):
    """The terms of a quote that the account manager edits while it is a draft."""

    start_date: date = Field(title=_l("Contracts start on"))
    valid_until: date = Field(title=_l("Valid until"))
    manual_discount_percent: DiscountPercent = Field(
        default=Decimal("0"), title=_l("Manual discount")
    )
    note: Note = Field(default="", title=_l("Note"))


class QuoteIn(QuoteTermsIn):
    customer_id: RecordId = Field(title=_l("Customer"))
    lines: list[QuoteLineIn] = Field(default_factory=list, max_length=500, title=_l("Sites"))


class TotalsPreviewIn(BaseModel):
    """The manual discount the account manager is typing (the page's live totals); its
    bounds are the service's rule (check_manual_discount), said as it says them."""

    model_config = ConfigDict(extra="ignore")
    manual_discount_percent: Annotated[Decimal, BeforeValidator(_decimal_comma)] = Decimal("0")


class ApprovalIn(Strict):
    approve: bool


class DecisionIn(Strict):
    """Finance's decision as the approvals page sends it (one button each)."""

    decision: Approval

    @field_validator("decision")
    @classmethod
    def _a_decision(cls, value: Approval) -> Approval:
        if value not in DECISIONS:
            raise ValueError(_("Approve or reject."))
        return value


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
    state: QuoteState
    approval: Approval
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
    site_id: RecordId = Field(title=_l("Site"))
    tier_code: TierCode = Field(title=_l("Tier"))
