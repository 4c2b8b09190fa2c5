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


RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


class CreditNoteForm(Strict):
    reason: str = Field(min_length=1, max_length=2000, title=_l("Reason"))
    amounts: dict[RecordId, Amount] | None = Field(
        default=None,
        title=_l("Amount to credit"),
        description="line id -> CHF to credit; omit to credit everything",
    )


class IssuingForm(Strict):
    """An issuing job over the API: a period's drafts, or the chosen ones of it."""

    period: str = Field(title=_l("Period"), description="YYYY-MM", examples=["2026-12"])
    invoice_ids: list[RecordId] = Field(
        default_factory=list, max_length=10_000, description="omit to issue every draft"
    )

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return Month.parse(value).label


class IssueSelectionForm(Strict):
    """The drafts finance ticked on the drafts page (none: every draft of the period)."""

    invoice_id: list[RecordId] = Field(default_factory=list, max_length=10_000)
    period: str | None = Field(default=None, title=_l("Period"))

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return None if value is None else Month.parse(value).label
