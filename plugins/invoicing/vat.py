"""Swiss VAT rules: the rate in force on a day, a line split across a rate change, the VAT table.

The rates are data (SPEC section 5): every function takes the effective-dated table as an
argument, a sequence of ``(valid_from, rate_percent)`` pairs, each rate being in force from
its ``valid_from`` up to the day before the next entry's. Only seeding and tests use
SWISS_STANDARD_VAT_DEFAULTS; the invoicing run passes the table finance maintains.

All amounts are Decimal with two decimals and every rounding is half up (via app.money).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from app.toolkit import (
    RuleViolation,
    apportion,
    percent_of,
    require_cents,
    round_to_five_rappen,
)

__all__ = [
    "SWISS_STANDARD_VAT_DEFAULTS",
    "VatRatePeriod",
    "VatRateRow",
    "VatSplitPart",
    "VatSummary",
    "normalize_rate_table",
    "rate_on",
    "split_by_rate",
    "vat_summary",
]

VatRatePeriod = tuple[dt.date, Decimal]
"""One row of a rate table: (valid_from, rate_percent)."""

# Swiss standard rate: 8.0 % from 2011-01-01 to 2017-12-31, 7.7 % from 2018-01-01,
# 8.1 % from 2024-01-01. Seed and test data only: the logic never reads this constant.
SWISS_STANDARD_VAT_DEFAULTS: tuple[VatRatePeriod, ...] = (
    (dt.date(2011, 1, 1), Decimal("8.0")),
    (dt.date(2018, 1, 1), Decimal("7.7")),
    (dt.date(2024, 1, 1), Decimal("8.1")),
)


@dataclass(frozen=True)
class VatSplitPart:
    """The share of a line's net amount that falls under one VAT rate."""

    rate: Decimal
    net: Decimal
    period_start: dt.date
    period_end: dt.date  # inclusive
    days: int


@dataclass(frozen=True)
class VatRateRow:
    """One row of an invoice's VAT table: the net subtotal at a rate and its VAT."""

    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True)
class VatSummary:
    """An invoice's VAT table and totals, with the payable total rounded to 0.05 CHF."""

    rows: tuple[VatRateRow, ...]
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    payable: Decimal
    rounding_difference: Decimal  # payable - total_gross, the "Rundungsdifferenz" line


def _require_day(value: object, name: str) -> dt.date:
    # datetime is a subclass of date, but comparing one with a date raises TypeError deep
    # inside the logic; VAT follows the calendar day of the service (Europe/Zurich), and
    # turning an instant into that day is the caller's business.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}: {value!r}")
    return value


def _require_rate(value: object) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"a VAT rate must be a Decimal, not a float: {value!r}")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"a VAT rate must be a Decimal, got {type(value).__name__}: {value!r}")
    rate = Decimal(value)
    if not rate.is_finite() or not Decimal(0) <= rate < Decimal(100):
        raise ValueError(f"a VAT rate must be a percentage from 0 to below 100, got {rate}")
    return rate


def normalize_rate_table(table: Iterable[VatRatePeriod]) -> tuple[VatRatePeriod, ...]:
    """Check a rate table and return it sorted by valid_from.

    Raises ValueError for an empty table or two rates from the same day (which one would
    apply is undefined), TypeError for floats or datetimes.
    """
    periods = []
    for valid_from, rate in table:
        periods.append((_require_day(valid_from, "valid_from"), _require_rate(rate)))
    if not periods:
        raise ValueError("the VAT rate table is empty")
    periods.sort(key=lambda period: period[0])
    for (previous_from, _rate), (valid_from, _next) in zip(periods, periods[1:], strict=False):
        if previous_from == valid_from:
            raise ValueError(f"the VAT rate table has two rates valid from {valid_from}")
    return tuple(periods)


def rate_on(table: Iterable[VatRatePeriod], day: dt.date) -> Decimal:
    """Return the VAT rate (percent) in force on `day`.

    Raises ValueError for a day before the table's first entry: billing it at the oldest
    known rate would silently be wrong.
    """
    day = _require_day(day, "day")
    applicable = [rate for valid_from, rate in normalize_rate_table(table) if valid_from <= day]
    if not applicable:
        raise _no_rate(day)
    return applicable[-1]


def _no_rate(day: dt.date) -> RuleViolation:
    """A day the VAT table does not reach: finance adds the rate on the VAT rates page."""
    return RuleViolation(_("No VAT rate is defined for %(day)s.", day=day.strftime("%d.%m.%Y")))


def split_by_rate(
    net_amount: Decimal,
    service_start: dt.date,
    service_end_inclusive: dt.date,
    table: Iterable[VatRatePeriod],
) -> list[VatSplitPart]:
    """Split a line's net amount by the VAT rates in force during its service period.

    VAT follows the date of the service, so a line whose period spans a rate change is
    split pro rata temporis: each rate gets amount x its days / all days, rounded to 0.01
    half up. The parts always add up to `net_amount` exactly. A period under a single rate
    gives one part holding the whole amount. Consecutive table entries with the same rate
    are treated as one period, so they never split a line for nothing.
    """
    net = require_cents(net_amount, "net_amount")
    start = _require_day(service_start, "service_start")
    end = _require_day(service_end_inclusive, "service_end_inclusive")
    if end < start:
        raise ValueError(f"the service period ends ({end}) before it starts ({start})")
    periods = normalize_rate_table(table)
    if start < periods[0][0]:
        raise _no_rate(start)

    # (rate, first day, last day) of each stretch of the service period under one rate.
    segments: list[tuple[Decimal, dt.date, dt.date]] = []
    for index, (valid_from, rate) in enumerate(periods):
        if index + 1 < len(periods):
            valid_until = periods[index + 1][0] - dt.timedelta(days=1)
        else:
            valid_until = dt.date.max
        segment_start, segment_end = max(valid_from, start), min(valid_until, end)
        if segment_start > segment_end:
            continue
        if segments and segments[-1][0] == rate:
            segments[-1] = (rate, segments[-1][1], segment_end)
        else:
            segments.append((rate, segment_start, segment_end))

    total_days = (end - start).days + 1
    parts: list[VatSplitPart] = []
    allocated = Decimal("0.00")
    for position, (rate, segment_start, segment_end) in enumerate(segments):
        days = (segment_end - segment_start).days + 1
        if position < len(segments) - 1:
            part_net = apportion(net, days, total_days)
            allocated += part_net
        else:
            # Rounding each share on its own can leave the shares one Rappen above or
            # below the line (100.01 over two equal halves: 50.005 -> 50.01 twice). The
            # line amount is what was priced and must not change, so the last share takes
            # the remainder. "Last" rather than "largest" keeps the rule trivially
            # reproducible; and because half up is symmetric around zero, a credit note's
            # negative line splits into the exact mirror of the invoice's parts.
            part_net = net - allocated
        parts.append(VatSplitPart(rate, part_net, segment_start, segment_end, days))
    return parts


def vat_summary(lines: Iterable[tuple[Decimal, Decimal]]) -> VatSummary:
    """Build an invoice's VAT table from its (rate, net) pairs.

    Net amounts are summed per rate and the VAT is computed once per rate on that subtotal,
    rounded to 0.01 half up (SPEC section 5), never per line: per-line rounding would let
    the VAT drift by a Rappen per line. Rows are sorted by rate. The gross total is rounded
    to 0.05 CHF for payment and the difference is returned for the rounding line.
    """
    net_by_rate: dict[Decimal, Decimal] = {}
    for rate, net in lines:
        rate = _require_rate(rate)
        net = require_cents(net, "net")
        # Decimal("8.1") and Decimal("8.10") are equal and hash alike: they share a row.
        net_by_rate[rate] = net_by_rate.get(rate, Decimal("0.00")) + net

    rows = tuple(
        VatRateRow(rate=rate, net=net, vat=percent_of(net, rate))
        for rate, net in sorted(net_by_rate.items())
    )
    total_net = sum((row.net for row in rows), Decimal("0.00"))
    total_vat = sum((row.vat for row in rows), Decimal("0.00"))
    total_gross = total_net + total_vat
    payable, rounding_difference = round_to_five_rappen(total_gross)
    return VatSummary(
        rows=rows,
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_gross,
        payable=payable,
        rounding_difference=rounding_difference,
    )
