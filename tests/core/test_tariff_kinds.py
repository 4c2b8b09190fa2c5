"""Tariff kinds: each declared tariff is typed and bounded, and stored values keep loading."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.errors import RuleViolation
from app.tariff_kinds import (
    BooleanKind,
    DateListKind,
    MinutesKind,
    MoneyKind,
    PercentKind,
    ReminderLevelsKind,
    VolumeBandsKind,
    WholeNumberKind,
)
from app.tariffs import declared_keys, parse_value

D = Decimal


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def refused(kind, raw) -> str:
    with pytest.raises(ValueError) as error:
        kind.parse(raw)
    return str(error.value)


def test_every_declared_tariff_has_a_typed_kind_and_a_translated_label(app):
    keys = declared_keys()
    assert len(keys) >= 17
    for declaration in keys.values():
        assert declaration.kind.input in {
            "money",
            "percent",
            "whole",
            "boolean",
            "dates",
            "bands",
            "levels",
            "rows",
        }, declaration.key
        assert str(declaration.label) and declaration.kind.describe()
    with force_locale("de"):
        assert str(keys["servicedesk.fast_lane_fee"].label) == "Fast-Lane-Gebühr (CHF)"


def test_the_seeded_and_stored_values_keep_loading(app):
    """Values stored before the kinds existed (decimals as text, JSON lists) still parse."""
    keys = declared_keys()
    stored = {
        "servicedesk.fast_lane_fee": ("250.00", D("250.00")),
        "core.vat_standard_percent": ("8.10", D("8.10")),
        "servicedesk.reminder_at_percent": ("75", D("75")),
        "servicedesk.billing_increment_minutes": (15, 15),
        "servicedesk.free_units_lapse": (True, True),
        "servicedesk.closing_days": (["2026-11-30"], [date(2026, 11, 30)]),
        "contracts.volume_discount": (
            [{"min_sites": 5, "percent": "5.00"}, {"min_sites": 10, "percent": "8.00"}],
            [{"min_sites": 5, "percent": D("5.00")}, {"min_sites": 10, "percent": D("8.00")}],
        ),
        "invoicing.reminder_levels": (
            [{"level": 1, "days_overdue": 10, "fee": "0.00", "text": "reminder"}],
            [{"level": 1, "days_overdue": 10, "fee": D("0.00"), "text": "reminder"}],
        ),
    }
    for key, (raw, typed) in stored.items():
        declaration = keys[key]
        assert parse_value(declaration, raw) == typed, key
        assert declaration.kind.store(typed) == raw or key == "servicedesk.reminder_at_percent"
    # Levels stored before they had a text keep loading, with the first (friendliest) text.
    old = [{"level": 2, "days_overdue": 20, "fee": "20.00"}]
    assert parse_value(keys["invoicing.reminder_levels"], old)[0]["text"] == "reminder"


def test_money_is_never_negative_nor_beyond_its_bound_nor_fractions_of_a_rappen(app):
    fee = MoneyKind(maximum=D("10000.00"))
    assert fee.parse("250") == D("250.00")
    assert fee.parse(0) == D("0.00")
    assert "from 0.00 to 10'000.00" in refused(fee, "-250")
    assert "given: -250" in refused(fee, "-250")
    refused(fee, "10000.01")
    refused(fee, "12.345")
    refused(fee, "zwölf")
    refused(fee, "NaN")
    refused(fee, True)


def test_minutes_are_whole_and_at_least_one(app):
    increment = MinutesKind(maximum=240)
    assert increment.parse("15") == 15
    assert "whole minutes from 1 to 240" in refused(increment, 0)
    refused(increment, -15)
    refused(increment, "7.5")
    refused(increment, 241)
    refused(increment, False)
    refused(increment, "1e999999999")  # refused at once, never built as an int


def test_whole_numbers_and_percentages_have_bounds(app):
    assert WholeNumberKind(minimum=0, maximum=180).parse("30") == 30
    assert "from 1 to 20" in refused(WholeNumberKind(minimum=1, maximum=20), 0)
    percent = PercentKind()
    assert percent.parse("8.1") == D("8.1")
    refused(percent, "100.5")
    refused(percent, "-1")
    refused(percent, "8.125")


def test_booleans_and_date_lists(app):
    assert BooleanKind().parse("ja") is True and BooleanKind().parse(False) is False
    refused(BooleanKind(), "vielleicht")
    dates = DateListKind()
    assert dates.parse("2026-12-24\n2026-12-24\n2026-11-30") == [
        date(2026, 11, 30),
        date(2026, 12, 24),
    ]
    assert dates.store(dates.parse(["2026-12-31"])) == ["2026-12-31"]
    assert "is not a date" in refused(dates, "24.12.2026")


def test_volume_bands_ascend_by_sites_once_each_with_percentages(app):
    bands = VolumeBandsKind()
    ok = [{"min_sites": "5", "percent": "5"}, {"min_sites": "10", "percent": "8.5"}]
    assert bands.parse(ok) == [
        {"min_sites": 5, "percent": D("5")},
        {"min_sites": 10, "percent": D("8.5")},
    ]
    assert bands.parse([]) == []
    descending = [{"min_sites": 10, "percent": "8"}, {"min_sites": 5, "percent": "5"}]
    assert "row 2" in refused(bands, descending) and "higher" in refused(bands, descending)
    refused(bands, [{"min_sites": 5, "percent": "5"}, {"min_sites": 5, "percent": "6"}])
    refused(bands, [{"min_sites": 5, "percent": "101"}])
    refused(bands, [{"min_sites": 0, "percent": "1"}])
    refused(bands, [{"min_sites": 5}])  # a row lacking its percentage
    refused(bands, '{"min_sites": 5}')  # not a list: the malformed table of old


def test_reminder_levels_ascend_in_level_and_days_with_fees_in_chf(app):
    levels = ReminderLevelsKind(
        max_fee=D("1000.00"), texts=(("reminder", "friendly"), ("collection", "last"))
    )
    rows = [
        {"level": 1, "days_overdue": 10, "fee": "0"},
        {"level": 2, "days_overdue": 20, "fee": "20", "text": "collection"},
    ]
    assert levels.parse(rows)[1] == {
        "level": 2,
        "days_overdue": 20,
        "fee": D("20.00"),
        "text": "collection",
    }
    assert "text must be one of reminder, collection" in refused(
        levels, [{"level": 1, "days_overdue": 10, "fee": "0", "text": "threat"}]
    )
    assert "days overdue" in refused(
        levels,
        [
            {"level": 1, "days_overdue": 20, "fee": "0"},
            {"level": 2, "days_overdue": 10, "fee": "0"},
        ],
    )
    assert "level" in refused(
        levels,
        [
            {"level": 2, "days_overdue": 10, "fee": "0"},
            {"level": 1, "days_overdue": 20, "fee": "0"},
        ],
    )
    assert "row 1" in refused(levels, [{"level": 1, "days_overdue": 10, "fee": "-5"}])


def test_parse_value_names_the_tariff_and_the_rule(app):
    declaration = declared_keys()["servicedesk.billing_increment_minutes"]
    with pytest.raises(RuleViolation) as error:
        parse_value(declaration, 0)
    assert str(error.value).startswith("Time is billed in increments of (minutes): must be")
    assert error.value.field == "value"
