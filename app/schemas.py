"""Input and output shapes of the core records, shared by the API, the forms and OpenAPI."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from app.database import MAX_ID
from app.models.customers import CANTONS

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
Country = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2}$")]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+ ()/-]*$")
]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Language = Literal["de", "en"]
Role = Literal[
    "admin", "finance", "account_manager", "service_desk", "technician", "chief", "customer"
]


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
    invoice_mode: Literal["per_site", "consolidated"] = "per_site"
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
    invoice_mode: Literal["per_site", "consolidated"] | None = None
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
    invoice_mode: str
    active: bool


class SiteIn(AddressIn):
    name: Text70
    canton: str = "AG"
    phone: Phone = ""
    active: bool = True

    @field_validator("canton")
    @classmethod
    def _known_canton(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in CANTONS:
            raise ValueError(f"unknown canton {value!r}")
        return value


class SitePatch(Strict):
    name: Text70 | None = None
    street: Street | None = None
    house_number: HouseNumber | None = None
    postal_code: PostalCode | None = None
    town: Town | None = None
    country: Country | None = None
    canton: str | None = None
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


class TierVersionOut(Out):
    code: str
    name: str
    valid_from: date
    service_hours_label: str
    service_windows: list[dict[str, Any]]
    holidays_closed: bool
    reaction_kind: str
    reaction_hours: int | None
    free_service_units: int
    monthly_price: Decimal | None = Field(
        default=None, description="CHF per site and month excl. VAT; only for roles that see prices"
    )


class ErrorOut(BaseModel):
    error: str
    message: str
    details: Any | None = None


class Page(BaseModel):
    """Query parameters of list endpoints."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=MAX_ID)
    q: Annotated[str, StringConstraints(max_length=100)] | None = None


def clean_phone_digits(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)
