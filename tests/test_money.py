"""CHF money rules: half-up rounding to 0.01 and 0.05, pro rata by days, parsing, no floats."""

from decimal import Decimal

import pytest

from app.money import (
    CashRounding,
    apportion,
    format_chf,
    parse_money,
    percent_of,
    pro_rata,
    require_cents,
    round_chf,
    round_to_five_rappen,
)

D = Decimal


# --- round_chf -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("0.025", "0.03"),  # half even would give 0.02
        ("1.004", "1.00"),
        ("29.129", "29.13"),
        ("-0.025", "-0.03"),  # symmetric: a credit mirrors the charge
        ("12", "12.00"),
    ],
)
def test_round_chf_rounds_to_rappen_half_up(amount, expected):
    assert str(round_chf(D(amount))) == expected


def test_round_chf_never_returns_negative_zero():
    assert str(round_chf(D("-0.001"))) == "0.00"


# --- round_to_five_rappen ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "payable", "difference"),
    [
        ("10.00", "10.00", "0.00"),
        ("10.01", "10.00", "-0.01"),
        ("10.02", "10.00", "-0.02"),
        ("10.03", "10.05", "0.02"),
        ("10.04", "10.05", "0.01"),
        ("10.07", "10.05", "-0.02"),
        ("10.08", "10.10", "0.02"),
        ("-10.03", "-10.05", "-0.02"),  # credit note total mirrors the invoice total
    ],
)
def test_round_to_five_rappen_returns_payable_and_visible_rounding_difference(
    total, payable, difference
):
    result = round_to_five_rappen(D(total))
    assert result == CashRounding(D(payable), D(difference))
    assert str(result.payable) == payable
    assert str(result.rounding_difference) == difference
    assert result.payable == D(total) + result.rounding_difference


def test_round_to_five_rappen_unpacks_as_payable_and_difference():
    payable, difference = round_to_five_rappen(D("10.02"))
    assert (payable, difference) == (D("10.00"), D("-0.02"))


def test_round_to_five_rappen_rejects_amounts_not_yet_rounded_to_rappen():
    with pytest.raises(ValueError, match="Rappen"):
        round_to_five_rappen(D("10.025"))


# --- pro_rata ------------------------------------------------------------------------------


def test_pro_rata_pro_plus_10_of_30_days_is_76_00():
    assert pro_rata(D("228.00"), 10, 30) == D("76.00")


def test_pro_rata_pro_7_of_31_days_is_29_13():
    # 129.00 x 7 / 31 = 29.129032... -> 29.13
    assert str(pro_rata(D("129.00"), 7, 31)) == "29.13"


def test_pro_rata_basic_plus_one_day_of_leap_february_2028_is_1_69():
    # 49.00 x 1 / 29 = 1.689655... -> 1.69
    assert str(pro_rata(D("49.00"), 1, 29)) == "1.69"


def test_pro_rata_premium_one_day_of_february_2027_is_21_43():
    # 600.00 x 1 / 28 = 21.428571... -> 21.43
    assert str(pro_rata(D("600.00"), 1, 28)) == "21.43"


def test_pro_rata_full_month_is_the_monthly_price_and_no_days_is_zero():
    assert pro_rata(D("129.00"), 31, 31) == D("129.00")
    assert str(pro_rata(D("129.00"), 0, 31)) == "0.00"


def test_pro_rata_rounds_an_exact_half_rappen_up():
    # 0.05 x 15 / 30 = 0.025 exactly: half up gives 0.03 (half even would give 0.02).
    assert pro_rata(D("0.05"), 15, 30) == D("0.03")
    assert pro_rata(D("-0.05"), 15, 30) == D("-0.03")


@pytest.mark.parametrize(("days", "days_in_month"), [(1, 365), (1, 27), (31, 30), (-1, 30)])
def test_pro_rata_rejects_days_outside_a_calendar_month(days, days_in_month):
    with pytest.raises(ValueError):
        pro_rata(D("129.00"), days, days_in_month)


def test_pro_rata_rejects_non_integer_days():
    with pytest.raises(TypeError):
        pro_rata(D("129.00"), D("7"), 31)


# --- apportion and percent_of --------------------------------------------------------------


def test_apportion_is_amount_times_part_over_whole_rounded_half_up():
    assert apportion(D("600.00"), 17, 31) == D("329.03")  # 329.0322...
    assert apportion(D("100.01"), 1, 2) == D("50.01")  # 50.005


def test_percent_of_rounds_an_exact_half_rappen_up():
    # 8.1 % of 5.00 = 0.405: half up 0.41 (half even would give 0.40).
    assert percent_of(D("5.00"), D("8.1")) == D("0.41")
    assert percent_of(D("-5.00"), D("8.1")) == D("-0.41")


# --- require_cents -------------------------------------------------------------------------


def test_require_cents_accepts_whole_rappen_and_rejects_fractions():
    assert str(require_cents(D("12.5"))) == "12.50"
    with pytest.raises(ValueError, match="Rappen"):
        require_cents(D("12.505"))


# --- floats are refused everywhere ---------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: round_chf(0.1),
        lambda: round_to_five_rappen(10.02),
        lambda: pro_rata(228.0, 10, 30),
        lambda: apportion(600.0, 17, 31),
        lambda: percent_of(D("5.00"), 8.1),
        lambda: require_cents(1.5),
        lambda: format_chf(1234.5),
    ],
    ids=["round_chf", "five_rappen", "pro_rata", "apportion", "percent_of", "cents", "format"],
)
def test_float_money_raises_type_error(call):
    with pytest.raises(TypeError, match="float"):
        call()


def test_non_numeric_money_raises_type_error():
    with pytest.raises(TypeError):
        round_chf("12.00")
    with pytest.raises(TypeError):
        round_chf(True)


def test_nan_and_infinity_are_not_amounts():
    with pytest.raises(ValueError):
        round_chf(D("NaN"))
    with pytest.raises(ValueError):
        round_chf(D("Infinity"))


# --- parse_money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("1\u2019234.50", "1234.50"),  # typographic apostrophe from Excel or bank exports
        ("1234,50", "1234.50"),
        ("1'234'567,05", "1234567.05"),
        ("1234", "1234.00"),
        ("12.5", "12.50"),
        ("  49.00 ", "49.00"),
        ("-250.00", "-250.00"),
        ("-0.00", "0.00"),
        ("0", "0.00"),
    ],
)
def test_parse_money_accepts_swiss_notations(text, expected):
    assert str(parse_money(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "12.345",  # three decimals: more than Rappen
        "1.234",  # thousands dot or decimal point? refused rather than guessed
        "1,234",
        "1'23.00",  # misplaced thousands separator
        "1234'567",
        "12.",
        ".50",
        "1 234.50",
        "CHF 12.00",
        "--1",
        "+1",
        "1e3",
        "NaN",
        "Infinity",
        "\u0661\u0662",  # Arabic-Indic digits
        "1,234.50",
    ],
)
def test_parse_money_rejects_garbage_with_value_error(text):
    with pytest.raises(ValueError):
        parse_money(text)


def test_parse_money_requires_text():
    with pytest.raises(TypeError):
        parse_money(12.5)


# --- format_chf ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1234.5", "1'234.50"), ("0", "0.00"), ("-1234567.891", "-1'234'567.89"), ("999", "999.00")],
)
def test_format_chf_groups_thousands_with_apostrophe(amount, expected):
    assert format_chf(D(amount)) == expected


def test_format_chf_output_parses_back():
    assert parse_money(format_chf(D("1234567.05"))) == D("1234567.05")
