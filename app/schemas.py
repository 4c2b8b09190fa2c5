"""Input and output shapes of the core records, shared by the API, the forms and OpenAPI."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.addresses import country_problem
from app.database import MAX_ID
from app.models.catalog import ReactionKind
from app.models.customers import CANTONS, InvoiceMode
from app.models.customers import Language as LanguageCode
from app.models.users import Role

Text70 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
Street = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=70)]
HouseNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
PostalCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=16, pattern=r"^[0-9A-Za-z -]+$"
    ),
]
Town = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)]


def _iso_country(code: str) -> str:
    problem = country_problem(code)
    if problem:
        raise ValueError(problem)
    return code


Country = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$"),
    AfterValidator(_iso_country),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+ ()/-]*$")
]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
# Rows to skip in a list: as bounded as an id (an offset beyond 64 bits is a 500 in SQL).
Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
# The largest amount of money the API takes (CHF); finite, to the Rappen.
MAX_MONEY = Decimal("99999999.99")
MoneyIn = Annotated[
    Decimal, Field(ge=0, le=MAX_MONEY, max_digits=10, decimal_places=2, allow_inf_nan=False)
]
# The codes of the language vocabulary (OpenAPI lists them).
Language = LanguageCode


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Strict):
    street: Street
    house_number: HouseNumber = ""
    postal_code: PostalCode
    town: Town
    country: Country = "CH"


class CustomerIn(AddressIn):
    legal_name: Text70
    billing_email: EmailStr
    phone: Phone = ""
    language: Language = "de"
    invoice_mode: InvoiceMode = InvoiceMode.PER_SITE
    active: bool = True


class CustomerPatch(Strict):
    legal_name: Text70 | None = None
    street: Street | None = None
    house_number: HouseNumber | None = None
    postal_code: PostalCode | None = None
    town: Town | None = None
    country: Country | None = None
    billing_email: EmailStr | None = None
    phone: Phone | None = None
    language: Language | None = None
    invoice_mode: InvoiceMode | None = None
    active: bool | None = None


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerOut(Out):
    id: int
    number: str
    legal_name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    billing_email: str
    phone: str
    language: str
    invoice_mode: InvoiceMode
    active: bool


Canton = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2)]


class SiteIn(AddressIn):
    name: Text70
    canton: Canton = "AG"
    phone: Phone = ""
    active: bool = True

    @field_validator("canton")
    @classmethod
    def _known_canton(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in CANTONS:
            raise ValueError(_("Unknown canton: %(canton)s.", canton=value))
        return value


class SitePatch(Strict):
    name: Text70 | None = None
    street: Street | None = None
    house_number: HouseNumber | None = None
    postal_code: PostalCode | None = None
    town: Town | None = None
    country: Country | None = None
    canton: Canton | None = None
    phone: Phone | None = None
    active: bool | None = None

    _known_canton = field_validator("canton")(
        lambda cls, value: SiteIn._known_canton(value) if value is not None else None
    )


class SiteOut(Out):
    id: int
    customer_id: int
    name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    canton: str
    phone: str
    active: bool


Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class ContactIn(Strict):
    name: Text70
    email: EmailStr | Literal[""] = ""
    phone: Phone = ""
    authorised_caller: bool = False
    pin: Pin | None = Field(default=None, description="4-8 digits; stored hashed, never returned")
    active: bool = True


class ContactPatch(Strict):
    name: Text70 | None = None
    email: EmailStr | Literal[""] | None = None
    phone: Phone | None = None
    authorised_caller: bool | None = None
    pin: Pin | None = None
    active: bool | None = None


class ContactOut(Out):
    id: int
    customer_id: int
    name: str
    email: str
    phone: str
    authorised_caller: bool
    has_pin: bool
    active: bool


Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class UserIn(Strict):
    email: EmailStr
    name: Text70
    role: Role
    customer_id: RecordId | None = None
    language: Language = "de"
    phone: Phone = ""
    password: Password
    active: bool = True


class UserPatch(Strict):
    email: EmailStr | None = None
    name: Text70 | None = None
    role: Role | None = None
    customer_id: RecordId | None = None
    language: Language | None = None
    phone: Phone | None = None
    password: Password | None = None
    active: bool | None = None


class UserOut(Out):
    id: int
    email: str
    name: str
    role: str
    customer_id: int | None
    language: str
    active: bool
    last_login_at: datetime | None


# --- catalog --------------------------------------------------------------------------

# "HH:MM" on the Zurich clock; a window may end at 24:00 (midnight at its end).
Clock = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"),
]
Weekday = Annotated[int, Field(strict=True, ge=0, le=6, description="0 = Monday ... 6 = Sunday")]


class ServiceWindowIn(Strict):
    """Service hours on some days of the week, e.g. Monday to Friday 07:00-19:00."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: Clock
    end: Clock

    @field_validator("days")
    @classmethod
    def _each_day_once(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError(_("each day once"))
        return sorted(days)

    @model_validator(mode="after")
    def _start_before_end(self) -> ServiceWindowIn:
        if self.start == "24:00" or self.end <= self.start:
            raise ValueError(
                _(
                    "a service window must end after it starts (%(start)s-%(end)s)",
                    start=self.start,
                    end=self.end,
                )
            )
        return self


def weekday_names() -> tuple[str, ...]:
    """Monday ... Sunday in the current language (index = the stored day number)."""
    return (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )


class TierVersionIn(Strict):
    """A new catalog version of a tier, in force from `valid_from` (a future, unbilled day)."""

    valid_from: date
    name: Text70
    monthly_price: Annotated[Decimal, Field(ge=0, le=100000, decimal_places=2)] = Field(
        description="CHF per site and month excl. VAT"
    )
    service_windows: list[ServiceWindowIn] = Field(min_length=1, max_length=14)
    holidays_closed: bool = True
    reaction_kind: ReactionKind
    reaction_hours: Annotated[int, Field(ge=1, le=240)] | None = Field(
        default=None, description="only, and required, for reaction_kind 'hours'"
    )
    free_service_units: Annotated[int, Field(ge=0, le=1000)] = 0

    @model_validator(mode="after")
    def _hours_with_kind_hours(self) -> TierVersionIn:
        if self.reaction_kind == ReactionKind.HOURS and self.reaction_hours is None:
            raise ValueError(_("A FirstReaction within hours needs the number of hours."))
        if self.reaction_kind != ReactionKind.HOURS:
            self.reaction_hours = None
        return self

    @model_validator(mode="after")
    def _windows_do_not_overlap(self) -> TierVersionIn:
        for day in range(7):
            spans = sorted((w.start, w.end) for w in self.service_windows if day in w.days)
            for (_start, end), (start, _end) in zip(spans, spans[1:], strict=False):
                if start < end:
                    raise ValueError(
                        _("Two service windows overlap on %(day)s.", day=weekday_names()[day])
                    )
        return self


class TierVersionOut(Out):
    code: str
    name: str
    valid_from: date
    # Kept for API clients that show it; worded from the windows, no longer stored.
    service_hours_label: str = Field(
        validation_alias="service_hours",
        description="service_windows worded in the language of the request, e.g. 'Mo–Fr 07–19h'",
    )
    service_windows: list[dict[str, Any]]
    holidays_closed: bool
    reaction_kind: str
    reaction_hours: int | None
    free_service_units: int
    monthly_price: Decimal | None = Field(
        default=None, description="CHF per site and month excl. VAT; only for roles that see prices"
    )


# --- tariffs and VAT rates ------------------------------------------------------------


class TariffVersionIn(Strict):
    valid_from: date
    value: Any = Field(
        description='typed by the tariff\'s kind: an amount or percentage as text ("250.00"), '
        "a whole number, true/false, a list of ISO dates, or a list of rows"
    )


class TariffVersionOut(BaseModel):
    valid_from: date
    valid_to: date | None = Field(description="inclusive; null: until further notice")
    value: Any = Field(description="as stored: decimals as text")
    problem: str | None = Field(
        default=None, description="set when a value stored earlier breaks today's rules"
    )


class TariffOut(BaseModel):
    key: str
    label: str
    kind: str = Field(description="money, percent, whole, boolean, dates, bands or levels")
    rule: str = Field(description="the rule every value must meet, in words")
    versions: list[TariffVersionOut]


Rate = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class VatRateIn(Strict):
    valid_from: date
    rate: Rate = Field(description="percent, e.g. 8.1")
    valid_to: date | None = Field(
        default=None,
        description="last day of a limited rate; the rate in force before returns the day after",
    )


class VatRateOut(BaseModel):
    valid_from: date
    valid_to: date | None
    rate: Decimal | None


# --- company ----------------------------------------------------------------------------


class CompanyIn(Strict):
    """The company data on letterhead, QR-bill and links; empty optional fields are allowed
    (they are listed as placeholders, and production issues no invoice while one is)."""

    legal_name: Text70
    street: Street
    house_number: HouseNumber = ""
    postal_code: PostalCode
    town: Town
    country: Country = "CH"
    uid: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = Field(
        default="", description="UID/MWST number, e.g. CHE-123.456.789 MWST"
    )
    qr_iban: Annotated[str, StringConstraints(strip_whitespace=True, max_length=42)] = Field(
        default="", description="QR-IBAN (institution id 30000-31999) for QR references"
    )
    email: EmailStr | Literal[""] = ""
    phone: Phone = ""
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    public_base_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = (
        Field(default="", description="base of the pay and accept links, e.g. https://erp.winet.ch")
    )
    reminder_fees: bool = Field(default=True, description="the terms allow reminder fees")
    default_interest: bool = Field(
        default=False, description="claim default interest (OR 104) on overdue invoices"
    )

    @field_validator("uid")
    @classmethod
    def _valid_uid(cls, value: str) -> str:
        from app.company import normalise_uid

        return normalise_uid(value) if value else ""

    @field_validator("qr_iban")
    @classmethod
    def _valid_qr_iban(cls, value: str) -> str:
        from app.company import normalise_qr_iban

        return normalise_qr_iban(value) if value else ""

    @field_validator("website", "public_base_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        from app.company import normalise_url

        return normalise_url(value) if value else ""


class CompanyOut(BaseModel):
    legal_name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    uid: str
    vat_number: str = Field(description="as printed: CHE-123.456.789 MWST")
    qr_iban: str
    email: str
    phone: str
    website: str
    public_base_url: str
    reminder_fees: bool = Field(description="the terms allow reminder fees")
    default_interest: bool = Field(description="default interest (OR 104) is claimed")
    from_environment: list[str] = Field(description="fields set by WINET_COMPANY_* variables")
    placeholders: list[str] = Field(description="fields still empty, a sample or invalid")


class ErrorOut(BaseModel):
    error: str
    message: str
    details: Any | None = None


class Page(BaseModel):
    """Query parameters of list endpoints."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0
    q: Annotated[str, StringConstraints(max_length=100)] | None = None


def clean_phone_digits(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)
