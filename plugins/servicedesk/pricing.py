"""Pricing a resolved ticket (SPEC 4.7) from plain values: no database, no clock, no Flask.

`price_ticket` turns what was done (time, material, a Fast Lane confirmation), the fault
origin and the tariffs in force into the ticket's charges; `costs.allocate` reads those
values and writes the charges it returns. Each charge carries the days of its service
with a weight (minutes worked per day for the service time), so that invoicing can split
its amount by the VAT rate of each day, and a description code with parameters instead
of text, worded later in the reader's language (wording.charge_description).

The rules:
- `base_system`: every charge is zero-rated with the reason, the Fast Lane fee too; the
  free units are not touched.
- `customer_environment`: the service time (remote and on-site work) of the ticket is
  rounded up once to the billing increment; the contract year's free units cover it
  first (whole units, unit_minutes each), the rest is billed at the hourly rate. Each
  day with on-site work is one visit with the travel flat fee (travel entries are
  recorded, never billed by time). Material at its price; the Fast Lane fee stands.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.toolkit import round_chf
from plugins.servicedesk.vocabulary import (
    WORK_KINDS,
    ChargeKind,
    ChargeText,
    ChargeUnit,
    FaultOrigin,
    TimeKind,
    ZeroRatedReason,
)

ZERO = Decimal("0.00")
ONE = Decimal("1.000")


@dataclass(frozen=True)
class TimeWorked:
    kind: TimeKind
    day: date
    minutes: int


@dataclass(frozen=True)
class MaterialUsed:
    key: str  # identifies the item within the ticket (its reference suffix)
    description: str
    quantity: Decimal
    unit_price: Decimal
    day: date  # the day it was used


@dataclass(frozen=True)
class Tariffs:
    hourly_rate: Decimal
    increment_minutes: int
    travel_flat_fee: Decimal
    unit_minutes: int  # the minutes one free service unit covers


@dataclass(frozen=True)
class UnitsLeft:
    """The free service units a contract year still has."""

    left: int
    year_first: date
    year_last: date


@dataclass(frozen=True)
class FastLane:
    fee: Decimal
    confirmed_on: date


@dataclass(frozen=True)
class PricedCharge:
    kind: ChargeKind
    suffix: str  # the reference is "ticket:<id>:<suffix>"
    service_days: tuple[tuple[date, int], ...]
    quantity: Decimal
    unit: ChargeUnit
    unit_price: Decimal
    amount: Decimal
    description_code: ChargeText
    description_params: dict = field(hash=False)
    zero_rated_reason: ZeroRatedReason | None = None

    @property
    def service_date(self) -> date:
        """The last day of the service."""
        return max(day for day, _weight in self.service_days)


@dataclass(frozen=True)
class TicketPrice:
    charges: tuple[PricedCharge, ...]
    free_units_used: int = 0  # units to book against the contract year


def round_up(minutes: int, increment: int) -> int:
    """Minutes billed for `minutes` worked: up to the next full increment."""
    return math.ceil(minutes / increment) * increment if minutes > 0 else 0


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.001"))


def minutes_per_day(entries: Iterable[TimeWorked]) -> tuple[tuple[date, int], ...]:
    """Service time (remote and on-site) per work day, in day order."""
    days: dict[date, int] = defaultdict(int)
    for entry in entries:
        if entry.kind in WORK_KINDS:
            days[entry.day] += entry.minutes
    return tuple(sorted(days.items()))


def price_ticket(
    *,
    ticket_number: str,
    fault_origin: FaultOrigin,
    time_entries: Iterable[TimeWorked],
    materials: Iterable[MaterialUsed],
    fast_lane: FastLane | None,
    tariffs: Tariffs,
    free_units: UnitsLeft | None,
    evidence: dict | None = None,
) -> TicketPrice:
    """The charges of a resolved ticket (SPEC 4.7); see the module docstring. `evidence`
    (an outage's facts, evidence.py) goes with every zero-rated base-system charge, so
    its reason names it."""
    entries = tuple(time_entries)
    free = fault_origin == FaultOrigin.BASE_SYSTEM
    reason = ZeroRatedReason.BASE_SYSTEM if free else None
    rate = ZERO if free else tariffs.hourly_rate
    travel_fee = ZERO if free else tariffs.travel_flat_fee
    number = {"ticket": ticket_number}
    if free and evidence:
        number["evidence"] = dict(evidence)
    charges: list[PricedCharge] = []

    work_days = minutes_per_day(entries)
    worked = sum(minutes for _day, minutes in work_days)
    billed = round_up(worked, tariffs.increment_minutes)
    paid_minutes, units_used = billed, 0
    if billed and not free and free_units is not None and free_units.left > 0:
        needed = math.ceil(billed / tariffs.unit_minutes)
        units_used = min(needed, free_units.left)
        free_minutes = min(units_used * tariffs.unit_minutes, billed)
        paid_minutes = billed - free_minutes
        charges.append(
            PricedCharge(
                kind=ChargeKind.TIME,
                suffix="time:free",
                service_days=work_days,
                quantity=hours(free_minutes),
                unit=ChargeUnit.HOURS,
                unit_price=ZERO,
                amount=ZERO,
                description_code=ChargeText.SERVICE_TIME_FREE,
                description_params={
                    **number,
                    "minutes": free_minutes,
                    "units": units_used,
                    "year_first": free_units.year_first.isoformat(),
                    "year_last": free_units.year_last.isoformat(),
                },
                zero_rated_reason=ZeroRatedReason.FREE_UNITS,
            )
        )
    if paid_minutes:
        charges.append(
            PricedCharge(
                kind=ChargeKind.TIME,
                suffix="time",
                service_days=work_days,
                quantity=hours(paid_minutes),
                unit=ChargeUnit.HOURS,
                unit_price=rate,
                amount=round_chf(rate * paid_minutes / 60),
                description_code=ChargeText.SERVICE_TIME,
                description_params={**number, "minutes": paid_minutes, "worked": worked},
                zero_rated_reason=reason,
            )
        )
    visits = sorted({entry.day for entry in entries if entry.kind == TimeKind.ON_SITE})
    for visit in visits:
        charges.append(
            PricedCharge(
                kind=ChargeKind.TRAVEL,
                suffix=f"travel:{visit.isoformat()}",
                service_days=((visit, 1),),
                quantity=ONE,
                unit=ChargeUnit.VISIT,
                unit_price=travel_fee,
                amount=travel_fee,
                description_code=ChargeText.TRAVEL,
                description_params={**number, "day": visit.isoformat()},
                zero_rated_reason=reason,
            )
        )
    for item in materials:
        price = ZERO if free else item.unit_price
        charges.append(
            PricedCharge(
                kind=ChargeKind.MATERIAL,
                suffix=f"material:{item.key}",
                service_days=((item.day, 1),),
                quantity=item.quantity,
                unit=ChargeUnit.PIECE,
                unit_price=price,
                amount=round_chf(price * item.quantity),
                description_code=ChargeText.MATERIAL,
                description_params={**number, "item": item.description},
                zero_rated_reason=reason,
            )
        )
    if fast_lane is not None:
        fee = ZERO if free else fast_lane.fee
        charges.append(
            PricedCharge(
                kind=ChargeKind.FAST_LANE,
                suffix="fast_lane",
                service_days=((fast_lane.confirmed_on, 1),),
                quantity=ONE,
                unit=ChargeUnit.PIECE,
                unit_price=fee,
                amount=fee,
                description_code=ChargeText.FAST_LANE_FEE,
                description_params=dict(number),
                zero_rated_reason=reason,
            )
        )
    return TicketPrice(tuple(charges), units_used)


def fast_lane_credit(
    ticket_number: str, fee_amount: Decimal, fee_days: tuple[tuple[date, int], ...], signed_on: date
) -> PricedCharge | None:
    """The credit of a Fast Lane fee against a signed upgrade: the fee negated, at the
    fee's days (its VAT); None for a fee that cost nothing."""
    if fee_amount <= 0:
        return None
    return PricedCharge(
        kind=ChargeKind.FAST_LANE_CREDIT,
        suffix="fast_lane_credit",
        service_days=fee_days,
        quantity=ONE,
        unit=ChargeUnit.PIECE,
        unit_price=-fee_amount,
        amount=-fee_amount,
        description_code=ChargeText.FAST_LANE_CREDIT,
        description_params={"ticket": ticket_number, "signed": signed_on.isoformat()},
    )
