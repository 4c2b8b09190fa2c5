"""The billing of one month as a pure function, with the specification's worked examples."""

import datetime as dt
from decimal import Decimal

import pytest

from app.hooks import BillableCharge, TierSpan
from app.money import AgreedDiscount
from plugins.invoicing.billing import (
    ADVANCE,
    ADVANCE_CREDIT,
    CHARGE,
    SETTLEMENT,
    BilledMonth,
    CatalogPrice,
    Month,
    advance_lines,
    bill_contract,
    charge_lines,
    price_span,
    price_spans,
    settlement_lines,
)
from plugins.invoicing.vat import SWISS_STANDARD_VAT_DEFAULTS

D = Decimal
day = dt.date
VAT = SWISS_STANDARD_VAT_DEFAULTS
PRICES = {
    "premium": [CatalogPrice(day(2018, 1, 1), D("600.00"), "winCall premium 7x24h")],
    "pro_plus": [CatalogPrice(day(2018, 1, 1), D("228.00"), "winCall pro+ 6x12h")],
    "pro": [CatalogPrice(day(2018, 1, 1), D("129.00"), "winCall pro 5x12h")],
    "basic_plus": [CatalogPrice(day(2018, 1, 1), D("49.00"), "winCall basic+ 5x8h")],
    "basic": [CatalogPrice(day(2018, 1, 1), D("0.00"), "winCall basic 5x6h")],
}
DECEMBER = Month(2026, 12)


def span(tier, first, last, contract_id=1, site_id=10, customer_id=100):
    return TierSpan(contract_id, customer_id, site_id, tier, first, last)


def amounts(lines):
    return [(line.kind, line.amount) for line in lines]


# --- periods --------------------------------------------------------------------------


def test_period_is_parsed_from_yyyy_mm_and_knows_its_days():
    month = Month.parse("2026-11")
    assert (month.first_day, month.last_day, month.days) == (
        day(2026, 11, 1),
        day(2026, 11, 30),
        30,
    )
    assert Month.parse("2027-01").previous() == Month(2026, 12)
    assert Month.parse("2028-02").days == 29


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "2026/11", ""])
def test_period_refuses_anything_but_yyyy_mm(text):
    with pytest.raises(ValueError):
        Month.parse(text)


# --- pricing --------------------------------------------------------------------------


def test_a_whole_month_costs_exactly_the_monthly_price():
    (segment,) = price_span(span("pro", day(2026, 12, 1), day(2026, 12, 31)), PRICES)
    assert segment.amount == D("129.00")
    assert segment.full_month


def test_pro_started_on_10_november_costs_129_times_21_over_30():
    # SPEC: 129.00 x 21/30 = 90.30
    (segment,) = price_span(span("pro", day(2026, 11, 10), day(2026, 11, 30)), PRICES)
    assert segment.days == 21
    assert segment.amount == D("90.30")


def test_pro_rata_is_rounded_half_up_per_line():
    # 129.00 x 7/31 = 29.129... -> 29.13; 49.00 x 1/30 = 1.6333 -> 1.63; 228 x 15/31 = 110.32
    assert price_span(span("pro", day(2026, 12, 25), day(2026, 12, 31)), PRICES)[0].amount == D(
        "29.13"
    )
    assert price_span(span("basic_plus", day(2026, 11, 30), day(2026, 11, 30)), PRICES)[
        0
    ].amount == D("1.63")
    assert price_span(span("pro_plus", day(2026, 12, 1), day(2026, 12, 15)), PRICES)[0].amount == D(
        "110.32"
    )


def test_a_catalog_price_change_in_the_month_splits_the_span_by_version():
    prices = {"pro": [*PRICES["pro"], CatalogPrice(day(2026, 12, 16), D("139.00"), "winCall pro")]}
    segments = price_span(span("pro", day(2026, 12, 1), day(2026, 12, 31)), prices)
    assert [(s.first_day, s.last_day, s.amount) for s in segments] == [
        (day(2026, 12, 1), day(2026, 12, 15), D("62.42")),  # 129 x 15/31 = 62.419
        (day(2026, 12, 16), day(2026, 12, 31), D("71.74")),  # 139 x 16/31 = 71.741
    ]


def test_a_tier_without_a_catalog_price_on_the_day_is_refused():
    with pytest.raises(ValueError, match="no catalog price"):
        price_span(span("pro", day(2017, 12, 1), day(2017, 12, 31)), PRICES)
    with pytest.raises(ValueError, match="not in the catalog"):
        price_span(span("gold", day(2026, 12, 1), day(2026, 12, 31)), PRICES)


# --- advance, settlement, charges -----------------------------------------------------


def test_advance_bills_the_period_at_the_rate_of_the_service_days():
    (line,) = advance_lines(
        price_spans([span("pro", day(2026, 12, 1), day(2026, 12, 31))], PRICES), VAT
    )
    assert (line.kind, line.amount, line.vat_rate, line.unit, line.quantity) == (
        ADVANCE,
        D("129.00"),
        D("8.1"),
        "month",
        D(1),
    )


def test_free_tier_gives_no_line():
    assert (
        advance_lines(
            price_spans([span("basic", day(2026, 12, 1), day(2026, 12, 31))], PRICES), VAT
        )
        == []
    )


def test_settlement_of_a_start_on_10_november_in_the_december_run_is_90_30():
    actual = price_spans([span("pro", day(2026, 11, 10), day(2026, 11, 30))], PRICES)
    lines = settlement_lines(actual, billed_in_advance=[], vat_table=VAT)
    assert amounts(lines) == [(SETTLEMENT, D("90.30"))]
    assert (lines[0].days, lines[0].days_in_month) == (21, 30)


def test_upgrade_pro_to_premium_on_16_november_credits_the_advance_and_bills_both_halves():
    billed = price_spans([span("pro", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    actual = price_spans(
        [
            span("pro", day(2026, 11, 1), day(2026, 11, 15)),
            span("premium", day(2026, 11, 16), day(2026, 11, 30)),
        ],
        PRICES,
    )
    lines = settlement_lines(actual, billed, VAT)
    # 129 x 15/30 = 64.50 and 600 x 15/30 = 300.00, less the 129.00 billed in advance.
    assert amounts(lines) == [
        (ADVANCE_CREDIT, D("-129.00")),
        (SETTLEMENT, D("64.50")),
        (SETTLEMENT, D("300.00")),
    ]
    assert sum(line.amount for line in lines) == D("235.50")


def test_a_month_billed_right_in_advance_needs_no_settlement():
    billed = price_spans([span("pro", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    assert settlement_lines(billed, billed, VAT) == []


def test_an_end_on_20_november_credits_the_advance_and_bills_20_days():
    billed = price_spans([span("premium", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    actual = price_spans([span("premium", day(2026, 11, 1), day(2026, 11, 20))], PRICES)
    assert amounts(settlement_lines(actual, billed, VAT)) == [
        (ADVANCE_CREDIT, D("-600.00")),
        (SETTLEMENT, D("400.00")),
    ]


def test_charges_are_billed_at_the_vat_rate_of_their_service_day():
    def charge(reference, service_date, amount):
        return BillableCharge(
            "servicedesk",
            reference,
            100,
            10,
            service_date,
            "Technician",
            D("1"),
            "h",
            amount,
            amount,
        )

    lines = charge_lines(
        [charge("T-1", day(2023, 12, 31), D("160.00")), charge("T-2", day(2024, 1, 1), D("80.00"))],
        VAT,
    )
    assert [(line.kind, line.vat_rate, line.amount) for line in lines] == [
        (CHARGE, D("7.7"), D("160.00")),
        (CHARGE, D("8.1"), D("80.00")),
    ]


def test_a_zero_rated_charge_keeps_its_reason():
    free = BillableCharge(
        "servicedesk",
        "T-9",
        100,
        10,
        day(2026, 11, 3),
        "Fast Lane",
        D("1"),
        "x",
        D("250.00"),
        D("0.00"),
        zero_rated_reason="Fault of a Winet base-system service",
    )
    (line,) = charge_lines([free], VAT)
    assert line.amount == D("0.00")
    assert line.zero_rated_reason == "Fault of a Winet base-system service"


DECEMBER_RUN_DAY = day(2026, 12, 1)


def bill(
    spans, billed=None, period=DECEMBER, first=Month(2026, 11), today=DECEMBER_RUN_DAY, vat=VAT
):
    return bill_contract(
        1,
        100,
        10,
        period=period,
        first=first,
        today=today,
        spans=spans,
        billed=billed or {},
        prices=PRICES,
        vat_table=vat,
    )


def billed_month(month, segments, revision=0, final=False):
    return BilledMonth(month, revision, final, tuple(segments))


def lines_of(months):
    return [(m.month.label, m.revision, m.final, *amounts(m.lines)) for m in months]


def test_the_december_run_settles_november_and_bills_december_in_advance():
    spans = [
        span("pro", day(2026, 11, 1), day(2026, 11, 15)),
        span("premium", day(2026, 11, 16), day(2026, 12, 31)),
    ]
    november = price_spans([span("pro", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    planned = bill(spans, {Month(2026, 11): billed_month(Month(2026, 11), november)})
    assert [(m.month.label, m.revision, m.final) for m in planned] == [
        ("2026-11", 1, True),  # over: settled for good
        ("2026-12", 0, False),  # billed in advance; settled when it is over
    ]
    assert amounts(planned[0].lines + planned[1].lines) == [
        (ADVANCE_CREDIT, D("-129.00")),
        (SETTLEMENT, D("64.50")),
        (SETTLEMENT, D("300.00")),
        (ADVANCE, D("600.00")),
    ]


def test_what_the_ledger_holds_is_not_billed_again():
    spans = [span("pro", day(2026, 11, 10), day(2026, 12, 31))]
    settled = price_spans([span("pro", day(2026, 11, 10), day(2026, 11, 30))], PRICES)
    december = price_spans([span("pro", day(2026, 12, 1), day(2026, 12, 31))], PRICES)
    ledger = {
        Month(2026, 11): billed_month(Month(2026, 11), settled, final=True),
        Month(2026, 12): billed_month(Month(2026, 12), december),
    }
    assert bill(spans, ledger) == []
    (only_november,) = bill(spans, {Month(2026, 12): ledger[Month(2026, 12)]})
    assert only_november.month == Month(2026, 11)
    assert amounts(only_november.lines) == [(SETTLEMENT, D("90.30"))]


def test_an_unchanged_month_is_closed_without_a_line():
    spans = [span("pro", day(2026, 11, 1), day(2026, 11, 30))]
    november = price_spans(spans, PRICES)
    (closed,) = bill(spans, {Month(2026, 11): billed_month(Month(2026, 11), november)})
    assert (closed.revision, closed.final, closed.lines) == (1, True, ())


def test_the_advance_of_a_contract_ended_early_in_the_month_is_credited():
    november = price_spans([span("pro", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    spans = [span("pro", day(2026, 11, 1), day(2026, 11, 10))]
    (planned,) = bill(spans, {Month(2026, 11): billed_month(Month(2026, 11), november)})
    assert amounts(planned.lines) == [(ADVANCE_CREDIT, D("-129.00")), (SETTLEMENT, D("43.00"))]


def test_every_month_a_skipped_run_left_out_is_billed_with_its_real_days():
    # Billed up to January in advance (with a mid-January upgrade known only later); the
    # run of 1 February never happened; the March run settles January and bills February.
    spans = [
        span("pro", day(2027, 1, 1), day(2027, 1, 19)),
        span("premium", day(2027, 1, 20), day(2027, 3, 31)),
    ]
    january = price_spans([span("pro", day(2027, 1, 1), day(2027, 1, 31))], PRICES)
    planned = bill(
        spans,
        {Month(2027, 1): billed_month(Month(2027, 1), january)},
        period=Month(2027, 3),
        first=Month(2026, 12),
        today=day(2027, 3, 1),
    )
    assert lines_of(planned) == [
        # January: 12 days moved from pro to premium (600 x 12/31 = 232.26).
        (
            "2027-01",
            1,
            True,
            (ADVANCE_CREDIT, D("-129.00")),
            (SETTLEMENT, D("79.06")),
            (SETTLEMENT, D("232.26")),
        ),
        ("2027-02", 0, True, (SETTLEMENT, D("600.00"))),  # never billed: in full, final
        ("2027-03", 0, False, (ADVANCE, D("600.00"))),
    ]


def test_a_run_for_an_earlier_month_after_a_later_one_bills_only_what_is_missing():
    spans = [span("pro", day(2027, 1, 1), day(2027, 3, 31))]
    months = {
        m: billed_month(m, price_spans([span("pro", m.first_day, m.last_day)], PRICES), 0, final)
        for m, final in ((Month(2027, 1), True), (Month(2027, 2), True), (Month(2027, 3), False))
    }
    # After the March run (which settled February), the February run finds nothing.
    assert bill(spans, months, period=Month(2027, 2), today=day(2027, 3, 1)) == []


def test_a_month_not_over_is_billed_in_advance_and_left_open_even_before_the_period():
    # The January run made on 20 December: December is not over, so it is not settled yet.
    spans = [span("pro", day(2026, 12, 1), day(2027, 1, 31))]
    december = price_spans([span("pro", day(2026, 12, 1), day(2026, 12, 31))], PRICES)
    planned = bill(
        spans,
        {Month(2026, 12): billed_month(Month(2026, 12), december)},
        period=Month(2027, 1),
        today=day(2026, 12, 20),
    )
    assert lines_of(planned) == [("2027-01", 0, False, (ADVANCE, D("129.00")))]


def test_the_january_run_bills_december_settlement_and_january_at_their_own_rates():
    # A rate change on 1 January (as in 2024) applies to January's advance only.
    table = [*VAT, (day(2027, 1, 1), D("8.5"))]
    spans = [span("pro", day(2026, 12, 5), day(2027, 1, 31))]
    planned = bill(
        spans, period=Month(2027, 1), first=Month(2026, 12), today=day(2027, 1, 1), vat=table
    )
    assert [(line.kind, line.vat_rate) for m in planned for line in m.lines] == [
        (SETTLEMENT, D("8.1")),
        (ADVANCE, D("8.5")),
    ]


def test_a_charge_spanning_a_rate_change_is_split_by_the_minutes_of_each_day():
    # 60 min on 31.12.2023 (7.7 %) and 30 min on 01.01.2024 (8.1 %): 1.5 h at 160.00 =
    # 240.00, two thirds (160.00) on the old rate and one third (80.00) on the new.
    work = BillableCharge(
        "servicedesk",
        "ticket:7:time",
        100,
        10,
        day(2024, 1, 1),
        "T-000007 Servicezeit 90 Min.",
        D("1.500"),
        "h",
        D("160.00"),
        D("240.00"),
        service_days=((day(2023, 12, 31), 60), (day(2024, 1, 1), 30)),
    )
    lines = charge_lines([work], VAT)
    assert [(line.vat_rate, line.service_start, line.quantity, line.amount) for line in lines] == [
        (D("7.7"), day(2023, 12, 31), D("1.000"), D("160.00")),
        (D("8.1"), day(2024, 1, 1), D("0.500"), D("80.00")),
    ]


def test_the_split_of_a_charge_keeps_its_amount_to_the_rappen():
    # 100.01 over three equal days on two rates: 66.67 + 33.34 (the last takes the rest).
    odd = BillableCharge(
        "servicedesk",
        "ticket:8:time",
        100,
        10,
        day(2024, 1, 2),
        "T-000008",
        D("1.000"),
        "h",
        D("100.01"),
        D("100.01"),
        service_days=((day(2023, 12, 30), 1), (day(2023, 12, 31), 1), (day(2024, 1, 2), 1)),
    )
    lines = charge_lines([odd], VAT)
    assert [line.amount for line in lines] == [D("66.67"), D("33.34")]
    assert sum(line.amount for line in lines) == D("100.01")


def test_an_agreed_discount_is_a_line_per_kind_under_the_list_price():
    agreed = AgreedDiscount(D("5.00"), D("3.50"))
    discounted = TierSpan(1, 100, 10, "pro", day(2026, 12, 1), day(2026, 12, 31), agreed)
    segments = price_spans([discounted], PRICES)
    lines = advance_lines(segments, VAT)
    # 5 % of 129.00 = 6.45; 3.5 % of 129.00 = 4.515 -> 4.52
    assert [(line.unit, line.quantity, line.amount) for line in lines] == [
        ("month", D("1"), D("129.00")),
        ("volume_discount", D("5.00"), D("-6.45")),
        ("special_discount", D("3.50"), D("-4.52")),
    ]


def test_a_discount_agreed_after_the_advance_is_settled():
    billed = price_spans([span("pro", day(2026, 11, 1), day(2026, 11, 30))], PRICES)
    actual = price_spans(
        [span("pro", day(2026, 11, 1), day(2026, 11, 30))],
        PRICES,
        discounts={1: AgreedDiscount(D("5.00"))},
    )
    lines = settlement_lines(actual, billed, VAT)
    assert sum(line.amount for line in lines) == D("-6.45")  # 5 % of 129.00
