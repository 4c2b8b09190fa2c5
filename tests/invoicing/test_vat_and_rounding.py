"""VAT by service date, split across rate changes, per-rate VAT table and 0.05 CHF rounding."""

import datetime as dt
from decimal import Decimal

import pytest

from app.errors import RuleViolation
from plugins.invoicing.vat import (
    SWISS_STANDARD_VAT_DEFAULTS,
    VatRateRow,
    VatSplitPart,
    normalize_rate_table,
    rate_on,
    split_by_rate,
    vat_summary,
)

D = Decimal
day = dt.date
TABLE = SWISS_STANDARD_VAT_DEFAULTS


# --- rate_on -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service_day", "rate"),
    [
        (day(2017, 12, 31), "8.0"),
        (day(2018, 1, 1), "7.7"),
        (day(2023, 12, 31), "7.7"),
        (day(2024, 1, 1), "8.1"),
        (day(2026, 11, 24), "8.1"),
    ],
)
def test_rate_on_uses_the_rate_in_force_on_the_service_day(service_day, rate):
    assert rate_on(TABLE, service_day) == D(rate)


def test_rate_on_reads_the_table_passed_in_not_a_built_in_one():
    # A future change is a new row of data, not a code change.
    table = [*TABLE, (day(2027, 1, 1), D("8.5"))]
    assert rate_on(table, day(2026, 12, 31)) == D("8.1")
    assert rate_on(table, day(2027, 1, 1)) == D("8.5")


def test_rate_on_accepts_an_unsorted_table():
    assert rate_on(list(reversed(TABLE)), day(2020, 6, 1)) == D("7.7")


def test_rate_on_refuses_a_day_before_the_first_rate():
    with pytest.raises(RuleViolation, match="No VAT rate is defined for 31.12.2010"):
        rate_on(TABLE, day(2010, 12, 31))


def test_rate_table_with_two_rates_from_the_same_day_is_rejected():
    with pytest.raises(ValueError, match="two rates"):
        normalize_rate_table([(day(2024, 1, 1), D("8.1")), (day(2024, 1, 1), D("7.7"))])


def test_empty_rate_table_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        rate_on([], day(2024, 1, 1))


def test_float_rate_raises_type_error():
    with pytest.raises(TypeError, match="float"):
        rate_on([(day(2024, 1, 1), 8.1)], day(2024, 1, 1))


def test_service_day_must_be_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        rate_on(TABLE, dt.datetime(2024, 1, 1, 12, 0))


# --- split_by_rate -------------------------------------------------------------------------


def test_line_spanning_the_2024_rate_change_is_split_pro_rata_by_days():
    # Premium 600.00 for 2023-12-15..2024-01-14 = 31 days:
    #   2023-12-15..2023-12-31 = 17 days at 7.7 %: 600.00 x 17/31 = 329.032258... -> 329.03
    #   2024-01-01..2024-01-14 = 14 days at 8.1 %: 600.00 - 329.03 = 270.97
    #   (cross-check: 600.00 x 14/31 = 270.967741... -> 270.97, the same)
    parts = split_by_rate(D("600.00"), day(2023, 12, 15), day(2024, 1, 14), TABLE)
    assert parts == [
        VatSplitPart(D("7.7"), D("329.03"), day(2023, 12, 15), day(2023, 12, 31), 17),
        VatSplitPart(D("8.1"), D("270.97"), day(2024, 1, 1), day(2024, 1, 14), 14),
    ]
    assert sum(part.net for part in parts) == D("600.00")


def test_line_under_a_single_rate_is_not_split():
    parts = split_by_rate(D("228.00"), day(2026, 11, 1), day(2026, 11, 30), TABLE)
    assert parts == [VatSplitPart(D("8.1"), D("228.00"), day(2026, 11, 1), day(2026, 11, 30), 30)]


def test_rounding_remainder_goes_to_the_last_part_so_parts_sum_to_the_line():
    # 100.01 over 2023-12-31 (7.7 %) and 2024-01-01 (8.1 %), one day each:
    #   first part: 100.01 x 1/2 = 50.005 -> 50.01 (half up)
    #   last part:  100.01 - 50.01 = 50.00 (rounding it on its own would also give 50.01,
    #   and the parts would add up to 100.02)
    parts = split_by_rate(D("100.01"), day(2023, 12, 31), day(2024, 1, 1), TABLE)
    assert [(part.rate, part.net) for part in parts] == [
        (D("7.7"), D("50.01")),
        (D("8.1"), D("50.00")),
    ]


def test_line_spanning_three_rates_is_split_in_three():
    # 2017-12-31 (8.0 %, 1 day), 2018-01-01..2023-12-31 (7.7 %, 6 x 365 + 1 leap day = 2191),
    # 2024-01-01 (8.1 %, 1 day): 2193 days in all.
    #   2193.00 x 1/2193 = 1.00; 2193.00 x 2191/2193 = 2191.00; rest 2193.00 - 2192.00 = 1.00
    parts = split_by_rate(D("2193.00"), day(2017, 12, 31), day(2024, 1, 1), TABLE)
    assert [(part.rate, part.net, part.days) for part in parts] == [
        (D("8.0"), D("1.00"), 1),
        (D("7.7"), D("2191.00"), 2191),
        (D("8.1"), D("1.00"), 1),
    ]


def test_consecutive_table_rows_with_the_same_rate_do_not_split_a_line():
    table = [*TABLE, (day(2023, 12, 20), D("7.7"))]
    parts = split_by_rate(D("600.00"), day(2023, 12, 15), day(2024, 1, 14), table)
    assert [(part.rate, part.net, part.days) for part in parts] == [
        (D("7.7"), D("329.03"), 17),
        (D("8.1"), D("270.97"), 14),
    ]


def test_credit_line_splits_into_the_exact_mirror_of_the_charge():
    charge = split_by_rate(D("100.01"), day(2023, 12, 31), day(2024, 1, 1), TABLE)
    credit = split_by_rate(D("-100.01"), day(2023, 12, 31), day(2024, 1, 1), TABLE)
    assert [part.net for part in credit] == [-part.net for part in charge]


def test_split_rejects_a_line_amount_with_fractions_of_a_rappen():
    with pytest.raises(ValueError, match="Rappen"):
        split_by_rate(D("600.005"), day(2024, 1, 1), day(2024, 1, 31), TABLE)


def test_split_rejects_a_period_ending_before_it_starts():
    with pytest.raises(ValueError, match="before it starts"):
        split_by_rate(D("600.00"), day(2024, 1, 31), day(2024, 1, 1), TABLE)


def test_split_rejects_float_amount():
    with pytest.raises(TypeError, match="float"):
        split_by_rate(600.0, day(2024, 1, 1), day(2024, 1, 31), TABLE)


# --- vat_summary ---------------------------------------------------------------------------


def test_vat_8_1_percent_on_1234_55_is_100_00():
    # 1234.55 x 8.1 / 100 = 99.99855 -> 100.00
    summary = vat_summary([(D("8.1"), D("1234.55"))])
    assert summary.rows == (VatRateRow(D("8.1"), D("1234.55"), D("100.00")),)
    assert (summary.total_net, summary.total_vat, summary.total_gross) == (
        D("1234.55"),
        D("100.00"),
        D("1334.55"),
    )
    assert (summary.payable, summary.rounding_difference) == (D("1334.55"), D("0.00"))


@pytest.mark.parametrize(
    ("rate", "vat"),
    [
        ("8.1", "0.41"),  # 5.00 x 8.1 % = 0.405: half up 0.41, half even would give 0.40
        ("7.7", "0.39"),  # 5.00 x 7.7 % = 0.385: half up 0.39, half even would give 0.38
    ],
)
def test_vat_rounds_an_exact_half_rappen_up(rate, vat):
    assert vat_summary([(D(rate), D("5.00"))]).total_vat == D(vat)


def test_vat_is_computed_once_per_rate_on_the_net_subtotal_not_per_line():
    # Per line: 0.405 -> 0.41 twice = 0.82. On the subtotal: 10.00 x 8.1 % = 0.81.
    summary = vat_summary([(D("8.1"), D("5.00")), (D("8.1"), D("5.00"))])
    assert summary.rows == (VatRateRow(D("8.1"), D("10.00"), D("0.81")),)


def test_vat_table_has_a_row_per_rate_sorted_by_rate_and_totals():
    # The two parts of the split premium line above, listed in reverse order:
    #   7.7 % of 329.03 = 25.335... -> 25.34;  8.1 % of 270.97 = 21.948... -> 21.95
    #   net 600.00 + VAT 47.29 = 647.29 -> payable 647.30, rounding difference +0.01
    summary = vat_summary([(D("8.1"), D("270.97")), (D("7.7"), D("329.03"))])
    assert summary.rows == (
        VatRateRow(D("7.7"), D("329.03"), D("25.34")),
        VatRateRow(D("8.1"), D("270.97"), D("21.95")),
    )
    assert summary.total_net == D("600.00")
    assert summary.total_vat == D("47.29")
    assert summary.total_gross == D("647.29")
    assert summary.payable == D("647.30")
    assert summary.rounding_difference == D("0.01")


def test_payable_total_is_rounded_to_five_rappen_with_a_visible_rounding_line():
    # pro+ 228.00: VAT 8.1 % = 18.468 -> 18.47; gross 246.47 -> payable 246.45, -0.02
    summary = vat_summary([(D("8.1"), D("228.00"))])
    assert summary.total_gross == D("246.47")
    assert summary.payable == D("246.45")
    assert str(summary.rounding_difference) == "-0.02"
    assert summary.rows[0].gross == D("246.47")


def test_credit_note_totals_mirror_the_invoice_totals():
    summary = vat_summary([(D("8.1"), D("-228.00"))])
    assert (summary.total_vat, summary.total_gross) == (D("-18.47"), D("-246.47"))
    assert (summary.payable, summary.rounding_difference) == (D("-246.45"), D("0.02"))


def test_rates_written_with_different_precision_share_one_row():
    summary = vat_summary([(D("8.1"), D("100.00")), (D("8.10"), D("100.00"))])
    assert len(summary.rows) == 1
    assert summary.rows[0].net == D("200.00")


def test_zero_rated_line_adds_nothing_to_net_or_vat():
    # A base-system fault: the work is shown at 0.00, under the rate of its service date.
    assert vat_summary([(D("8.1"), D("0.00"))]).rows == (
        VatRateRow(D("8.1"), D("0.00"), D("0.00")),
    )
    summary = vat_summary([(D("8.1"), D("0.00")), (D("8.1"), D("129.00"))])
    assert summary.rows == (VatRateRow(D("8.1"), D("129.00"), D("10.45")),)  # 10.449


def test_empty_invoice_has_no_vat_rows_and_zero_totals():
    summary = vat_summary([])
    assert summary.rows == ()
    assert (summary.total_net, summary.total_vat, summary.payable) == (D(0), D(0), D(0))
    assert str(summary.payable) == "0.00"


def test_vat_summary_rejects_float_amounts_and_unrounded_nets():
    with pytest.raises(TypeError, match="float"):
        vat_summary([(D("8.1"), 100.0)])
    with pytest.raises(TypeError, match="float"):
        vat_summary([(8.1, D("100.00"))])
    with pytest.raises(ValueError, match="Rappen"):
        vat_summary([(D("8.1"), D("100.001"))])
