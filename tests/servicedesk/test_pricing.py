"""Pricing a ticket (SPEC 4.7) as a pure function: real numbers, no database, no clock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from plugins.servicedesk.pricing import (
    FastLane,
    MaterialUsed,
    Tariffs,
    TimeWorked,
    UnitsLeft,
    fast_lane_credit,
    minutes_per_day,
    price_ticket,
    round_up,
)
from plugins.servicedesk.vocabulary import (
    ChargeKind,
    ChargeText,
    ChargeUnit,
    FaultOrigin,
    TimeKind,
    ZeroRatedReason,
)

# SPEC defaults: CHF 160.00/h in 15-minute increments, travel flat CHF 80.00 per visit,
# one free service unit = 15 minutes.
TARIFFS = Tariffs(
    hourly_rate=D("160.00"), increment_minutes=15, travel_flat_fee=D("80.00"), unit_minutes=15
)
TUESDAY = date(2026, 11, 24)
YEAR = UnitsLeft(left=4, year_first=date(2026, 1, 1), year_last=date(2026, 12, 31))
REMOTE, ON_SITE, TRAVEL = TimeKind.REMOTE, TimeKind.ON_SITE, TimeKind.TRAVEL
CUSTOMER, BASE = FaultOrigin.CUSTOMER_ENVIRONMENT, FaultOrigin.BASE_SYSTEM
SUPPLY = MaterialUsed("7", "Power supply 12 V", D("2"), D("24.50"), TUESDAY)


def price(time=(), materials=(), fast_lane=None, origin=CUSTOMER, units=YEAR, tariffs=TARIFFS):
    return price_ticket(
        ticket_number="T-000002",
        fault_origin=origin,
        time_entries=time,
        materials=materials,
        fast_lane=fast_lane,
        tariffs=tariffs,
        free_units=units,
    )


def lines(priced):
    return {c.suffix: (c.quantity, c.unit_price, c.amount, c.zero_rated_reason) for c in priced}


def test_free_units_first_then_160_per_hour_travel_per_visit_and_material_at_price():
    # 65 remote + 30 on site = 95 min -> 105 min billed = 7 units; 4 free (60 min),
    # 45 min = 0.75 h x 160.00 = 120.00; one visit 80.00; 2 x 24.50 = 49.00.
    priced = price(
        time=[
            TimeWorked(REMOTE, TUESDAY, 65),
            TimeWorked(ON_SITE, TUESDAY, 30),
            TimeWorked(TRAVEL, TUESDAY, 35),
        ],
        materials=[SUPPLY],
    )
    assert lines(priced.charges) == {
        "time:free": (D("1.000"), D("0.00"), D("0.00"), ZeroRatedReason.FREE_UNITS),
        "time": (D("0.750"), D("160.00"), D("120.00"), None),
        "travel:2026-11-24": (D("1.000"), D("80.00"), D("80.00"), None),
        "material:7": (D("2"), D("24.50"), D("49.00"), None),
    }
    assert priced.free_units_used == 4
    assert sum(c.amount for c in priced.charges) == D("249.00")


def test_the_service_time_is_rounded_once_per_ticket_not_per_entry():
    # 3 x 10 min = 30 min billed (2 increments), not 3 x 15 = 45.
    priced = price(time=[TimeWorked(REMOTE, TUESDAY, 10)] * 3, units=None)
    (time,) = priced.charges
    assert (time.quantity, time.amount) == (D("0.500"), D("80.00"))
    assert time.description_params == {"ticket": "T-000002", "minutes": 30, "worked": 30}


def test_time_rounds_up_to_the_billing_increment():
    assert [round_up(m, 15) for m in (1, 15, 16, 95, 0)] == [15, 15, 30, 105, 0]


def test_a_unit_is_spent_whole_even_for_the_last_minutes():
    # 50 min -> 60 min billed = 4 units needed; 3 left: 45 min free, 15 min paid 40.00.
    left = UnitsLeft(3, YEAR.year_first, YEAR.year_last)
    priced = price(time=[TimeWorked(REMOTE, TUESDAY, 50)], units=left)
    assert lines(priced.charges) == {
        "time:free": (D("0.750"), D("0.00"), D("0.00"), ZeroRatedReason.FREE_UNITS),
        "time": (D("0.250"), D("160.00"), D("40.00"), None),
    }
    assert priced.free_units_used == 3


def test_work_covered_by_the_units_has_no_paid_line_and_spends_only_what_it_needs():
    priced = price(time=[TimeWorked(REMOTE, TUESDAY, 20)])  # 30 min = 2 of 4 units
    assert [c.suffix for c in priced.charges] == ["time:free"]
    assert priced.free_units_used == 2
    assert priced.charges[0].description_params == {
        "ticket": "T-000002",
        "minutes": 30,
        "units": 2,
        "year_first": "2026-01-01",
        "year_last": "2026-12-31",
    }


def test_base_system_zero_rates_everything_with_the_reason_and_spends_no_units():
    priced = price(
        time=[TimeWorked(REMOTE, TUESDAY, 65), TimeWorked(ON_SITE, TUESDAY, 30)],
        materials=[SUPPLY],
        fast_lane=FastLane(D("250.00"), TUESDAY),
        origin=BASE,
    )
    assert lines(priced.charges) == {
        "time": (D("1.750"), D("0.00"), D("0.00"), ZeroRatedReason.BASE_SYSTEM),
        "travel:2026-11-24": (D("1.000"), D("0.00"), D("0.00"), ZeroRatedReason.BASE_SYSTEM),
        "material:7": (D("2"), D("0.00"), D("0.00"), ZeroRatedReason.BASE_SYSTEM),
        "fast_lane": (D("1.000"), D("0.00"), D("0.00"), ZeroRatedReason.BASE_SYSTEM),
    }
    assert priced.free_units_used == 0


def test_the_fast_lane_fee_stands_for_a_fault_in_the_customers_environment():
    priced = price(fast_lane=FastLane(D("250.00"), date(2026, 11, 23)))
    (fee,) = priced.charges
    assert (fee.kind, fee.amount, fee.unit, fee.service_days) == (
        ChargeKind.FAST_LANE,
        D("250.00"),
        ChargeUnit.PIECE,
        ((date(2026, 11, 23), 1),),
    )
    assert fee.description_code == ChargeText.FAST_LANE_FEE


def test_each_day_with_on_site_work_is_one_visit_and_travel_alone_is_none():
    wednesday = date(2026, 11, 25)
    priced = price(
        time=[
            TimeWorked(ON_SITE, TUESDAY, 30),
            TimeWorked(ON_SITE, wednesday, 30),
            TimeWorked(ON_SITE, wednesday, 15),  # the same day: the same visit
            TimeWorked(TRAVEL, date(2026, 11, 26), 40),  # no on-site work that day
        ],
        units=None,
    )
    travel = [c for c in priced.charges if c.kind == ChargeKind.TRAVEL]
    assert [(c.suffix, c.amount, c.service_days) for c in travel] == [
        ("travel:2026-11-24", D("80.00"), ((TUESDAY, 1),)),
        ("travel:2026-11-25", D("80.00"), ((wednesday, 1),)),
    ]
    # 75 min of work (travel is not service time) -> 75 min = 1.25 h = 200.00
    (time,) = (c for c in priced.charges if c.kind == ChargeKind.TIME)
    assert time.amount == D("200.00")


def test_the_service_time_carries_the_minutes_of_each_work_day_for_the_vat():
    # 60 min on 31.12.2023 (7.7 %) and 30 min on 01.01.2024 (8.1 %): one line of 90 min,
    # which invoicing splits 2/3 and 1/3 by those weights.
    priced = price(
        time=[
            TimeWorked(REMOTE, date(2024, 1, 1), 30),
            TimeWorked(REMOTE, date(2023, 12, 31), 45),
            TimeWorked(ON_SITE, date(2023, 12, 31), 15),
            TimeWorked(TRAVEL, date(2023, 12, 31), 20),
        ],
        units=None,
    )
    time = next(c for c in priced.charges if c.kind == ChargeKind.TIME)
    assert time.service_days == ((date(2023, 12, 31), 60), (date(2024, 1, 1), 30))
    assert (time.quantity, time.amount, time.service_date) == (
        D("1.500"),
        D("240.00"),
        date(2024, 1, 1),
    )


def test_minutes_per_day_counts_remote_and_on_site_work_only():
    assert minutes_per_day(
        [
            TimeWorked(TRAVEL, TUESDAY, 35),
            TimeWorked(REMOTE, TUESDAY, 10),
            TimeWorked(ON_SITE, TUESDAY, 5),
        ]
    ) == ((TUESDAY, 15),)


def test_amounts_round_half_up_to_the_rappen():
    # 20 min at 100.00/h = 33.333... -> 33.33; material 3 x 0.125 = 0.375 -> 0.38
    tariffs = Tariffs(D("100.00"), 5, D("80.00"), 15)
    item = MaterialUsed("1", "Screw", D("3"), D("0.125"), TUESDAY)
    priced = price(
        time=[TimeWorked(REMOTE, TUESDAY, 20)], materials=[item], units=None, tariffs=tariffs
    )
    assert [c.amount for c in priced.charges] == [D("33.33"), D("0.38")]


def test_a_ticket_without_work_material_or_fee_costs_nothing():
    assert price().charges == ()


def test_the_credit_negates_the_fee_at_its_days_and_a_free_fee_is_not_credited():
    credit = fast_lane_credit("T-000009", D("250.00"), ((TUESDAY, 1),), date(2026, 12, 3))
    assert (credit.kind, credit.suffix, credit.amount, credit.service_days) == (
        ChargeKind.FAST_LANE_CREDIT,
        "fast_lane_credit",
        D("-250.00"),
        ((TUESDAY, 1),),
    )
    assert credit.description_params == {"ticket": "T-000009", "signed": "2026-12-03"}
    assert fast_lane_credit("T-000009", D("0.00"), ((TUESDAY, 1),), date(2026, 12, 3)) is None


@pytest.mark.parametrize("origin", list(FaultOrigin))
def test_descriptions_are_codes_with_parameters_never_text(origin):
    priced = price(
        time=[TimeWorked(ON_SITE, TUESDAY, 90)],
        materials=[SUPPLY],
        fast_lane=FastLane(D("250.00"), TUESDAY),
        origin=origin,
    )
    for charge in priced.charges:
        assert charge.description_code in ChargeText
        assert charge.description_params["ticket"] == "T-000002"
        assert all(" " not in str(v) or k == "item" for k, v in charge.description_params.items())
