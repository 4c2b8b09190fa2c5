"""The input shapes of invoicing's pages and API, validated by pydantic (one way for both)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.toolkit import MAX_ID, MAX_MONEY, today
from plugins.invoicing.billing import Month


def period_format_refused(given: object) -> str:
    """Why `given` is no period, in the reader's language (forms and services alike)."""
    return _("A period is written YYYY-MM, e.g. 2027-01; “%(given)s” is not one.", given=given)


def period_label(value: str) -> str:
    """A period as "YYYY-MM"; ValueError with the translated reason if it is none."""
    try:
        return Month.parse(value).label
    except ValueError:
        raise ValueError(period_format_refused(value)) from None


# Bounded so that nonsense (1e307, NaN) is refused with a message, not stored or a 500.
Amount = Annotated[
    Decimal,
    Field(gt=0, le=MAX_MONEY, max_digits=10, decimal_places=2, allow_inf_nan=False),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunForm(Strict):
    period: str = Field(title=_l("Period"), description="YYYY-MM", examples=["2026-12"])
    issue: bool = Field(default=False, description="Issue directly instead of drafts")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return period_label(value)


class PaymentForm(Strict):
    amount: Amount = Field(title=_l("Amount"), description="CHF, as a string: '120.50'")
    received_on: date | None = Field(default=None, title=_l("Received on"))
    note: str = Field(default="", max_length=200, title=_l("Note"))
    overpayment: bool = Field(
        default=False,
        title=_l("Overpayment"),
        description="book an amount above the open amount (the surplus becomes a credit)",
    )

    @field_validator("received_on")
    @classmethod
    def _not_in_the_future(cls, value: date | None) -> date | None:
        # The page and the API both read a payment finance enters through this schema, so
        # both refuse a received date after today (Zurich); a bank file's booking date and
        # Stripe's payments are booked as the bank and Stripe report them.
        if value is not None and value > today():
            raise ValueError(_("A payment cannot be received in the future."))
        return value


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
        return period_label(value)


class IssueSelectionForm(Strict):
    """The drafts finance ticked on the drafts page (none: every draft it shows, of the
    period or, unfiltered, of all)."""

    invoice_id: list[RecordId] = Field(
        default_factory=list, max_length=10_000, title=_l("Invoices")
    )
    period: str | None = Field(default=None, title=_l("Period"))

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        return None if value is None else period_label(value)


class AssignCreditForm(Strict):
    invoice_number: str = Field(
        min_length=1, max_length=20, title=_l("Invoice number"), examples=["2026-000123"]
    )


class ReasonForm(Strict):
    reason: str = Field(min_length=1, max_length=2000, title=_l("Reason"))


class RefundForm(Strict):
    amount: Amount = Field(title=_l("Amount"), description="CHF, as a string: '120.50'")
    reason: str = Field(min_length=1, max_length=2000, title=_l("Reason"))
    paid_on: date | None = Field(default=None, title=_l("Paid on"))


class DunningHoldForm(Strict):
    customer_id: Annotated[int, Field(ge=1, le=MAX_ID)] = Field(title=_l("Customer"))
    reason: str = Field(min_length=1, max_length=500, title=_l("Reason"))
