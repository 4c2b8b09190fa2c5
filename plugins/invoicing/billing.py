"""The billing of one month as a pure function: tier spans, catalog prices, charges -> lines.

No database, no request, no clock: everything the rules need is passed in, so the
worked examples of the specification can be tested with concrete amounts. What finance
can mend in the data (a tier without a catalog price) is refused with a RuleViolation in
words (gettext: the English text where no app is around).

In the run for period P:
- the subscription of P is billed in advance, for the tier spans known at run time;
- the previous month M is settled: when the spans M really had differ from what was
  billed in advance for M, the advance is credited and the real spans are billed
  (a start, an upgrade or an end in the middle of M), pro rata by days;
- the charges of M (tickets, Fast Lane fees) are billed in arrears.
Every line is split by the VAT rates in force during its service period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import gettext as _

from app.toolkit import (
    NO_DISCOUNT,
    AgreedDiscount,
    BillableCharge,
    RuleViolation,
    TierSpan,
    apportion,
    pro_rata,
    require_cents,
)
from plugins.invoicing.vat import VatRatePeriod, rate_on, split_by_rate

__all__ = [
    "ADVANCE",
    "ADVANCE_CREDIT",
    "CHARGE",
    "SETTLEMENT",
    "SPECIAL_DISCOUNT",
    "VOLUME_DISCOUNT",
    "BillingLine",
    "CatalogPrice",
    "Month",
    "PricedSegment",
    "advance_lines",
    "charge_lines",
    "price_span",
    "settlement_lines",
]

# Line kinds; the ledger keys (contract, month, "advance"/"settlement") follow them.
ADVANCE = "advance"
SETTLEMENT = "settlement"
ADVANCE_CREDIT = "advance_credit"
CHARGE = "charge"
# Units of the discount lines under a subscription line.
VOLUME_DISCOUNT = "volume_discount"
SPECIAL_DISCOUNT = "special_discount"

_PERIOD = re.compile(r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Month:
    """A billing period: one calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _PERIOD.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"a period is written YYYY-MM, got {text!r}")
        return cls(int(match["year"]), int(match["month"]))

    @classmethod
    def coerce(cls, period: Month | str) -> Month:
        """A Month as given, or parsed from "YYYY-MM"."""
        return cls.parse(period) if isinstance(period, str) else period

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, self.days)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class CatalogPrice:
    """One catalog version of a tier: its monthly price from `valid_from` on."""

    valid_from: dt.date
    monthly_price: Decimal
    name: str


@dataclass(frozen=True)
class PricedSegment:
    """Days of one month on one tier at one catalog price, and what they cost."""

    contract_id: int
    customer_id: int
    site_id: int
    tier_code: str
    tier_name: str
    first_day: dt.date
    last_day: dt.date
    days_in_month: int
    monthly_price: Decimal
    amount: Decimal
    discount: AgreedDiscount = NO_DISCOUNT  # agreed off the list price (e.g. a quote)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def full_month(self) -> bool:
        return self.days == self.days_in_month

    def key(self) -> tuple:
        """What makes two segments bill the same: settlement compares these."""
        return (self.tier_code, self.first_day, self.last_day, self.amount, self.discount)

    def as_record(self) -> dict:
        """The JSON form kept in the ledger of what was billed."""
        return {
            "tier_code": self.tier_code,
            "tier_name": self.tier_name,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "days_in_month": self.days_in_month,
            "monthly_price": str(self.monthly_price),
            "amount": str(self.amount),
            "volume_discount_percent": str(self.discount.volume_percent),
            "special_discount_percent": str(self.discount.special_percent),
        }

    @classmethod
    def from_record(
        cls, record: Mapping, contract_id: int, customer_id: int, site_id: int
    ) -> PricedSegment:
        return cls(
            contract_id=contract_id,
            customer_id=customer_id,
            site_id=site_id,
            tier_code=record["tier_code"],
            tier_name=record["tier_name"],
            first_day=dt.date.fromisoformat(record["first_day"]),
            last_day=dt.date.fromisoformat(record["last_day"]),
            days_in_month=int(record["days_in_month"]),
            monthly_price=Decimal(record["monthly_price"]),
            amount=Decimal(record["amount"]),
            discount=AgreedDiscount(
                # Records written before the split knew one discount: all of it volume.
                Decimal(record.get("volume_discount_percent", record.get("discount_percent", "0"))),
                Decimal(record.get("special_discount_percent", "0")),
            ),
        )


@dataclass(frozen=True)
class BillingLine:
    """One invoice line under one VAT rate, before it is stored."""

    kind: str
    customer_id: int
    site_id: int | None
    description: str
    service_start: dt.date
    service_end: dt.date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    contract_id: int | None = None
    tier_code: str | None = None
    days: int | None = None
    days_in_month: int | None = None
    source: str | None = None
    reference: str | None = None
    zero_rated_reason: str | None = None


# --- pricing --------------------------------------------------------------------------


def _versions(prices: Mapping[str, Sequence[CatalogPrice]], tier_code: str) -> list[CatalogPrice]:
    versions = sorted(prices.get(tier_code, ()), key=lambda version: version.valid_from)
    if not versions:
        raise RuleViolation(_("Tier %(tier)s is not in the catalog.", tier=tier_code))
    return versions


def price_span(
    span: TierSpan,
    prices: Mapping[str, Sequence[CatalogPrice]],
    discount: AgreedDiscount | None = None,
) -> list[PricedSegment]:
    """Price the days of a span that lie in one month, split where the catalog price changes.

    Pro rata = monthly price x days / days in that month, rounded to 0.01 half up per
    segment; a whole month costs exactly the monthly price.
    """
    if Month.of(span.first_day) != Month.of(span.last_day):
        raise ValueError(f"a span to price must lie within one month: {span}")
    if span.last_day < span.first_day:
        raise ValueError(f"the span ends before it starts: {span}")
    month = Month.of(span.first_day)
    versions = _versions(prices, span.tier_code)
    if versions[0].valid_from > span.first_day:
        raise RuleViolation(
            _(
                "Tier %(tier)s has no catalog price on %(day)s.",
                tier=span.tier_code,
                day=span.first_day.strftime("%d.%m.%Y"),
            )
        )
    segments = []
    for index, version in enumerate(versions):
        until = (
            versions[index + 1].valid_from - dt.timedelta(days=1)
            if index + 1 < len(versions)
            else dt.date.max
        )
        first, last = max(version.valid_from, span.first_day), min(until, span.last_day)
        if first > last:
            continue
        days = (last - first).days + 1
        segments.append(
            PricedSegment(
                contract_id=span.contract_id,
                customer_id=span.customer_id,
                site_id=span.site_id,
                tier_code=span.tier_code,
                tier_name=version.name,
                first_day=first,
                last_day=last,
                days_in_month=month.days,
                monthly_price=version.monthly_price,
                amount=pro_rata(version.monthly_price, days, month.days),
                discount=span.discount if discount is None else discount,
            )
        )
    return segments


def price_spans(
    spans: Iterable[TierSpan],
    prices: Mapping[str, Sequence[CatalogPrice]],
    discounts: Mapping[int, AgreedDiscount] | None = None,
) -> list[PricedSegment]:
    # The discount agreed for the contract travels with its spans (TierSpan); `discounts`
    # overrides it per contract where a caller knows better (tests, what-if previews).
    discounts = discounts or {}
    return [
        segment
        for span in spans
        for segment in price_span(span, prices, discounts.get(span.contract_id, span.discount))
    ]


def _clip(spans: Iterable[TierSpan], month: Month) -> list[TierSpan]:
    clipped = []
    for span in spans:
        first, last = max(span.first_day, month.first_day), min(span.last_day, month.last_day)
        if first <= last:
            clipped.append(replace(span, first_day=first, last_day=last))
    return clipped


# --- lines ----------------------------------------------------------------------------


def _segment_lines(
    kind: str, segment: PricedSegment, vat_table: Sequence[VatRatePeriod], sign: int = 1
) -> list[BillingLine]:
    amount = segment.amount * sign
    lines = []
    for part in split_by_rate(amount, segment.first_day, segment.last_day, vat_table):
        full = part.days == segment.days_in_month
        lines.append(
            BillingLine(
                kind=kind,
                customer_id=segment.customer_id,
                site_id=segment.site_id,
                description=segment.tier_name,
                service_start=part.period_start,
                service_end=part.period_end,
                quantity=Decimal(sign) if full else Decimal(part.days * sign),
                unit="month" if full else "days",
                unit_price=segment.monthly_price,
                amount=part.net,
                vat_rate=part.rate,
                contract_id=segment.contract_id,
                tier_code=segment.tier_code,
                days=part.days,
                days_in_month=segment.days_in_month,
            )
        )
        if segment.discount:
            # The agreed discounts as their own lines under the list price, at its VAT
            # rate, computed as the quote computed them (AgreedDiscount.apply).
            discounted = segment.discount.apply(part.net)
            for unit, percent, amount in (
                (VOLUME_DISCOUNT, segment.discount.volume_percent, discounted.volume),
                (SPECIAL_DISCOUNT, segment.discount.special_percent, discounted.special),
            ):
                # A discount of nothing (0 %, or any % of a free tier) is no line.
                if not percent or not amount:
                    continue
                lines.append(
                    BillingLine(
                        kind=kind,
                        customer_id=segment.customer_id,
                        site_id=segment.site_id,
                        description=segment.tier_name,
                        service_start=part.period_start,
                        service_end=part.period_end,
                        quantity=percent,
                        unit=unit,
                        unit_price=part.net,
                        amount=-amount,
                        vat_rate=part.rate,
                        contract_id=segment.contract_id,
                        tier_code=segment.tier_code,
                    )
                )
    return lines


def advance_lines(
    segments: Iterable[PricedSegment], vat_table: Sequence[VatRatePeriod]
) -> list[BillingLine]:
    """The subscription of the period, billed in advance (free tiers give no line)."""
    return [
        line
        for segment in segments
        if segment.amount != 0
        for line in _segment_lines(ADVANCE, segment, vat_table)
    ]


def settlement_lines(
    actual: Sequence[PricedSegment],
    billed_in_advance: Sequence[PricedSegment],
    vat_table: Sequence[VatRatePeriod],
) -> list[BillingLine]:
    """Settle one contract's month: nothing if the advance was right, else credit and rebill.

    Crediting the advance line by line and billing the real days keeps every line
    readable on its own ("pro 1-15 Nov", "premium 16-30 Nov") instead of one opaque
    difference, and the sum is the same.
    """
    if sorted(s.key() for s in actual) == sorted(s.key() for s in billed_in_advance):
        return []
    lines = [
        line
        for segment in billed_in_advance
        if segment.amount != 0
        for line in _segment_lines(ADVANCE_CREDIT, segment, vat_table, sign=-1)
    ]
    lines += [
        line
        for segment in actual
        if segment.amount != 0
        for line in _segment_lines(SETTLEMENT, segment, vat_table)
    ]
    return lines


def charge_lines(
    charges: Iterable[BillableCharge], vat_table: Sequence[VatRatePeriod]
) -> list[BillingLine]:
    """Charges billed in arrears, at the VAT rate of each day of their service.

    A charge spanning days under two rates (work on 31.12.2023 and 01.01.2024) is split
    like a subscription line: each rate gets the share of the amount that its days carry
    (their weights, e.g. minutes worked), rounded half up to the Rappen; the last rate
    takes the remainder, so the parts add up to the charge. Quantities are split alike.
    """
    return [line for charge in charges for line in _lines_of_charge(charge, vat_table)]


def _lines_of_charge(charge: BillableCharge, vat_table: Sequence[VatRatePeriod]):
    amount = require_cents(charge.amount, f"charge {charge.source}/{charge.reference}")
    by_rate: dict[Decimal, list[tuple[dt.date, int]]] = {}
    for day, weight in sorted(charge.day_weights()):
        if weight < 0:
            raise RuleViolation(
                _(
                    "Charge %(reference)s: a day's weight cannot be negative.",
                    reference=charge.reference,
                )
            )
        by_rate.setdefault(rate_on(vat_table, day), []).append((day, weight))
    total = sum(weight for days in by_rate.values() for _, weight in days)
    if total <= 0:
        raise RuleViolation(
            _("Charge %(reference)s: its service days carry no weight.", reference=charge.reference)
        )
    lines = []
    amount_left, quantity_left = amount, charge.quantity
    groups = sorted(by_rate.items(), key=lambda item: item[1][0][0])
    for position, (rate, days) in enumerate(groups):
        weight = sum(w for _, w in days)
        if position < len(groups) - 1:
            part = apportion(amount, weight, total)
            quantity = (charge.quantity * weight / total).quantize(Decimal("0.001"))
        else:
            part, quantity = amount_left, quantity_left
        amount_left -= part
        quantity_left -= quantity
        lines.append(
            BillingLine(
                kind=CHARGE,
                customer_id=charge.customer_id,
                site_id=charge.site_id,
                description=charge.description,
                service_start=days[0][0],
                service_end=days[-1][0],
                quantity=quantity,
                unit=charge.unit,
                unit_price=charge.unit_price,
                amount=part,
                vat_rate=rate,
                source=charge.source,
                reference=charge.reference,
                zero_rated_reason=charge.zero_rated_reason,
            )
        )
    return lines


# --- what a run bills of one contract -------------------------------------------------


@dataclass(frozen=True)
class BilledMonth:
    """What the ledger says of one contract's month: its latest revision."""

    month: Month
    revision: int
    final: bool
    segments: tuple[PricedSegment, ...]


@dataclass(frozen=True)
class MonthBilling:
    """What a run bills of one contract's month: the next revision and its lines."""

    contract_id: int
    customer_id: int
    site_id: int
    month: Month
    revision: int
    final: bool
    segments: tuple[PricedSegment, ...]
    lines: tuple[BillingLine, ...]


def months_touched(spans: Iterable[TierSpan]) -> set[Month]:
    found = set()
    for span in spans:
        month = Month.of(span.first_day)
        while month.first_day <= span.last_day:
            found.add(month)
            month = month.next()
    return found


def bill_contract(
    contract_id: int,
    customer_id: int,
    site_id: int,
    *,
    period: Month,
    first: Month,
    today: dt.date,
    spans: Sequence[TierSpan],
    billed: Mapping[Month, BilledMonth],
    prices: Mapping[str, Sequence[CatalogPrice]],
    vat_table: Sequence[VatRatePeriod],
    settled_through: Month | None = None,
) -> list[MonthBilling]:
    """Everything the run for `period` bills of one contract, month by month.

    `spans` are the contract's tier spans from `first` (the first month this system
    bills) to the end of `period`; `settled_through` the last month of the contract
    settled for good (every month up to it is final); `billed` the ledger's latest
    revision of each later month. For each month from `first` to `period`:
    - never billed: bill its days now (in advance if the month is not over, its real
      days if it is: a month a skipped or late run left out is billed, not lost);
    - billed but not final, and over: settle it (credit what was billed, bill the real
      days; nothing when they agree) and mark it final;
    - final, or billed and not over yet: nothing.
    So a day is billed once whatever the order of the runs, and a run for an earlier
    month after a later one bills only what is really missing.
    """
    floor = first if settled_through is None else max(first, settled_through.next())
    months = {m for m in months_touched(spans) | set(billed) if floor <= m <= period}
    planned = []
    for month in sorted(months):
        latest = billed.get(month)
        if latest is not None and latest.final:
            continue
        over = month.last_day < today
        actual = tuple(price_spans(_clip(spans, month), prices))
        if latest is None:
            if not actual:
                continue  # no day of this month in force
            lines = (
                settlement_lines(actual, (), vat_table)
                if over
                else advance_lines(actual, vat_table)
            )
            revision = 0
        elif over:
            lines = settlement_lines(actual, latest.segments, vat_table)
            revision = latest.revision + 1
        else:
            continue  # billed in advance; settled once the month is over
        planned.append(
            MonthBilling(
                contract_id,
                customer_id,
                site_id,
                month,
                revision,
                over,
                actual,
                tuple(lines),
            )
        )
    return planned
