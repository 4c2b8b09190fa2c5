"""The input shapes of invoicing's pages and API, validated by pydantic (one way for both)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.toolkit import MAX_ID
from plugins.invoicing.billing import Month

# Bounded so that nonsense (1e307, NaN) is refused with a message, not stored or a 500.
Amount = Annotated[
    Decimal,
    Field(gt=0, le=Decimal("99999999.99"), max_digits=10, decimal_places=2, allow_inf_nan=False),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunForm(Strict):
    period: str = Field(title=_l("Period"), description="YYYY-MM", examples=["2026-12"])
    issue: bool = Field(default=False, description="Issue directly instead of drafts")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return Month.parse(value).label


class PaymentForm(Strict):
    amount: Amount = Field(title=_l("Amount"), description="CHF, as a string: '120.50'")
    received_on: date | None = Field(default=None, title=_l("Received on"))
    note: str = Field(default="", max_length=200, title=_l("Note"))


class CreditNoteForm(Strict):
    reason: str = Field(min_length=1, max_length=2000)
    amounts: dict[Annotated[int, Field(ge=1, le=MAX_ID)], Amount] | None = Field(
        default=None, description="line id -> CHF to credit; omit to credit everything"
    )


class DunningHoldForm(Strict):
    customer_id: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(title=_l("Customer"))
    reason: str = Field(min_length=1, max_length=500, title=_l("Reason"))
