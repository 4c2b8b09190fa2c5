"""Business calendar and FirstReaction due times (SPEC sections 1, 2 and 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.servicedesk.business_calendar import (
    ZURICH,
    ClosedDays,
    ServiceSchedule,
    ServiceWindow,
    add_service_hours,
    end_of_next_business_day,
    first_reaction_due,
    is_in_service_hours,
)

WEEKDAYS = [0, 1, 2, 3, 4]
PREMIUM = ServiceSchedule.from_spec(
    [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}], holidays_closed=False
)
PRO_PLUS = ServiceSchedule.from_spec(
    [{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}]
)
PRO = ServiceSchedule.from_spec([{"days": WEEKDAYS, "start": "07:00", "end": "19:00"}])
BASIC_PLUS = ServiceSchedule.from_spec(
    [
        {"days": WEEKDAYS, "start": "08:00", "end": "12:00"},
        {"days": WEEKDAYS, "start": "14:00", "end": "18:00"},
    ]
)
BASIC = ServiceSchedule.from_spec(
    [
        {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
        {"days": WEEKDAYS, "start": "14:00", "end": "17:00"},
    ]
)
TIERS = [PREMIUM, PRO_PLUS, PRO, BASIC_PLUS, BASIC]


def zurich(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0):
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH, fold=fold)


# --- the schedule's data ---------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 1, 2),  # Berchtoldstag
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 8, 1),  # National Day
        date(2026, 12, 25),  # Christmas
        date(2026, 12, 26),  # St. Stephen's Day
    ],
)
def test_aargau_public_holidays_2026_are_closed_days(day):
    assert day in ClosedDays()


@pytest.mark.parametrize("day", [date(2026, 4, 2), date(2026, 11, 24), date(2026, 12, 24)])
def test_ordinary_days_are_not_closed_days(day):
    assert day not in ClosedDays()


def test_company_closing_days_are_added_and_excluded_holidays_removed():
    closed = ClosedDays(added={date(2026, 12, 24)}, excluded={date(2026, 6, 4)})
    assert date(2026, 12, 24) in closed
    assert date(2026, 6, 4) not in closed  # Corpus Christi, set per district in Aargau
    assert date(2026, 6, 4) in ClosedDays()


def test_a_day_cannot_be_both_added_and_excluded():
    with pytest.raises(ValueError, match="both added and excluded"):
        ClosedDays(added={date(2026, 6, 4)}, excluded={date(2026, 6, 4)})


def test_spec_is_parsed_from_json_text_into_sorted_windows_per_weekday():
    schedule = ServiceSchedule.from_spec(
        '[{"days": [0], "start": "14:00", "end": "18:00"},'
        ' {"days": [0], "start": "08:00", "end": "12:00"}]'
    )
    assert schedule.windows[0] == (
        ServiceWindow(timedelta(hours=8), timedelta(hours=12)),
        ServiceWindow(timedelta(hours=14), timedelta(hours=18)),
    )
    assert schedule.windows[1:] == ((),) * 6


def test_touching_windows_on_one_day_are_allowed_and_the_clock_runs_through():
    schedule = ServiceSchedule.from_spec(
        [
            {"days": [0], "start": "08:00", "end": "12:00"},
            {"days": [0], "start": "12:00", "end": "24:00"},
        ]
    )
    assert is_in_service_hours(schedule, zurich(2026, 11, 23, 12))
    assert add_service_hours(schedule, zurich(2026, 11, 23, 11), timedelta(hours=2)) == zurich(
        2026, 11, 23, 13
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "non-empty list"),
        ("{}", "non-empty list"),
        ([{"days": [0], "start": "12:00", "end": "12:00"}], "start < end"),
        ([{"days": [0], "start": "18:00", "end": "08:00"}], "start < end"),
        (
            [
                {"days": [0, 1], "start": "08:00", "end": "12:00"},
                {"days": [1], "start": "11:00", "end": "13:00"},
            ],
            "overlapping service windows on Tuesday",
        ),
        ([{"days": [7], "start": "08:00", "end": "12:00"}], "unknown day 7"),
        ([{"days": [True], "start": "08:00", "end": "12:00"}], "unknown day True"),
        ([{"days": [], "start": "08:00", "end": "12:00"}], "days must be a non-empty list"),
        ([{"days": [0], "start": "8:00", "end": "12:00"}], "HH:MM"),
        ([{"days": [0], "start": "08:00", "end": "24:30"}], "between 00:00 and 24:00"),
        ([{"days": [0], "start": "08:60", "end": "12:00"}], "between 00:00 and 24:00"),
        ([{"days": [0], "start": "08:00"}], "exactly days, start and end"),
        (
            [{"days": [0], "start": "08:00", "end": "12:00", "tz": "UTC"}],
            "exactly days, start and end",
        ),
    ],
)
def test_invalid_spec_is_rejected_with_a_clear_error(spec, message):
    with pytest.raises(ValueError, match=message):
        ServiceSchedule.from_spec(spec)


def test_only_premium_counts_round_the_clock():
    assert PREMIUM.round_the_clock
    assert not any(tier.round_the_clock for tier in TIERS[1:])


# --- service hours and their edges -----------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "instant", "inside"),
    [
        (PRO, zurich(2026, 11, 24, 7), True),
        (PRO, zurich(2026, 11, 24, 18, 59), True),
        (PRO, zurich(2026, 11, 24, 19), False),
        (PRO, zurich(2026, 11, 24, 6, 59), False),
        (PRO, zurich(2026, 11, 28, 10), False),  # Saturday
        (PRO_PLUS, zurich(2026, 11, 28, 10), True),
        (PRO_PLUS, zurich(2026, 11, 29, 10), False),  # Sunday
        (BASIC_PLUS, zurich(2026, 11, 24, 12) - timedelta(microseconds=1), True),
        (BASIC_PLUS, zurich(2026, 11, 24, 12), False),
        (BASIC_PLUS, zurich(2026, 11, 24, 13, 59), False),
        (BASIC_PLUS, zurich(2026, 11, 24, 14), True),
        (BASIC_PLUS, zurich(2026, 11, 24, 18), False),
        (PRO, zurich(2026, 4, 3, 10), False),  # Good Friday
        (PREMIUM, zurich(2026, 4, 3, 10), True),
        (PREMIUM, zurich(2026, 11, 29, 0), True),
    ],
)
def test_window_start_is_inside_and_window_end_is_outside(schedule, instant, inside):
    assert is_in_service_hours(schedule, instant) is inside


def test_service_hours_are_judged_in_zurich_whatever_the_instants_zone():
    new_york = datetime(2026, 11, 24, 12, 30, tzinfo=ZoneInfo("America/New_York"))  # 18:30 Zurich
    assert is_in_service_hours(PRO, new_york)
    assert not is_in_service_hours(PRO, new_york + timedelta(minutes=30))


def test_adding_service_hours_returns_utc():
    due = add_service_hours(PRO, zurich(2026, 11, 24, 10), timedelta(hours=6))
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 24, 15, tzinfo=UTC)


def test_a_duration_that_uses_up_a_window_ends_at_the_window_end():
    assert add_service_hours(BASIC_PLUS, zurich(2026, 11, 24, 11), timedelta(hours=1)) == zurich(
        2026, 11, 24, 12
    )


def test_counting_from_a_window_end_continues_at_the_next_window():
    assert add_service_hours(BASIC_PLUS, zurich(2026, 11, 24, 12), timedelta(hours=1)) == zurich(
        2026, 11, 24, 15
    )


def test_the_clock_stands_still_between_the_windows_of_a_day():
    assert add_service_hours(BASIC_PLUS, zurich(2026, 11, 24, 11), timedelta(hours=2)) == zurich(
        2026, 11, 24, 15
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (zurich(2026, 11, 24, 12, 30), zurich(2026, 11, 24, 14)),
        (zurich(2026, 11, 24, 12), zurich(2026, 11, 24, 14)),
        (zurich(2026, 11, 28, 9), zurich(2026, 11, 30, 8)),  # Saturday
        (zurich(2026, 11, 24, 9), zurich(2026, 11, 24, 9)),  # inside: the instant itself
    ],
)
def test_zero_duration_outside_service_hours_gives_the_next_window_start(start, expected):
    assert add_service_hours(BASIC_PLUS, start, timedelta(0)) == expected


def test_negative_durations_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        add_service_hours(PRO, zurich(2026, 11, 24, 10), timedelta(seconds=-1))


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: is_in_service_hours(PRO, naive),
        lambda naive: add_service_hours(PRO, naive, timedelta(hours=1)),
        lambda naive: end_of_next_business_day(PRO, naive),
        lambda naive: first_reaction_due(PRO, "hours", 6, naive),
        lambda naive: first_reaction_due(PRO, "hours", 6, zurich(2026, 11, 24, 9), naive),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 11, 24, 10))


# --- SPEC worked examples --------------------------------------------------------------


def test_spec_example_pro_reported_tuesday_morning_is_due_the_same_afternoon():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 11, 24, 10)) == zurich(2026, 11, 24, 16)


def test_spec_example_pro_reported_friday_evening_continues_monday_morning():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 11, 27, 18, 30)) == zurich(
        2026, 11, 30, 12, 30
    )


def test_spec_example_basic_plus_reported_friday_night_is_due_end_of_monday():
    due = first_reaction_due(BASIC_PLUS, "next_business_day", None, zurich(2026, 11, 27, 20))
    assert due == zurich(2026, 11, 30, 18)


# --- FirstReaction per tier ------------------------------------------------------------


def test_premium_counts_one_elapsed_hour_over_the_spring_forward_night():
    due = first_reaction_due(PREMIUM, "hours", 1, zurich(2026, 3, 29, 1, 30))
    assert due == zurich(2026, 3, 29, 3, 30)  # 01:30 CET + 1 h = 03:30 CEST
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_premium_counts_one_elapsed_hour_over_the_fall_back_night():
    due = first_reaction_due(PREMIUM, "hours", 1, zurich(2027, 10, 31, 2, 30, fold=0))
    assert due == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    # 02:30 CEST + 1 h = 02:30 CET. An ambiguous fold=1 time never compares equal across
    # zones (PEP 495), so compare the local wall time and its offset.
    local = due.astimezone(ZURICH)
    assert (local.replace(tzinfo=None), local.utcoffset()) == (
        datetime(2027, 10, 31, 2, 30),
        timedelta(hours=1),
    )


def test_premium_counts_holidays():
    assert first_reaction_due(PREMIUM, "hours", 1, zurich(2026, 12, 25, 10)) == zurich(
        2026, 12, 25, 11
    )


def test_premium_ignores_company_closing_days():
    closing = ClosedDays(added={date(2026, 12, 24)})
    premium = ServiceSchedule(PREMIUM.windows, holidays_closed=False, closed_days=closing)
    assert is_in_service_hours(premium, zurich(2026, 12, 24, 10))
    assert first_reaction_due(premium, "hours", 1, zurich(2026, 12, 24, 10)) == zurich(
        2026, 12, 24, 11
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (zurich(2026, 3, 29, 0), zurich(2026, 3, 30, 1)),  # Sunday has 23 hours
        (zurich(2026, 10, 25, 0), zurich(2026, 10, 25, 23)),  # Sunday has 25 hours
    ],
)
def test_a_full_day_window_on_a_dst_switch_day_is_real_elapsed_time(start, expected):
    assert add_service_hours(PREMIUM, start, timedelta(hours=24)) == expected


@pytest.mark.parametrize("switch_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_window_keeps_its_local_hours_on_a_dst_switch_day(switch_day):
    every_day = ServiceSchedule.from_spec(
        [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "07:00", "end": "19:00"}]
    )
    y, m, d = switch_day.year, switch_day.month, switch_day.day
    assert not is_in_service_hours(every_day, zurich(y, m, d, 6, 59))
    assert is_in_service_hours(every_day, zurich(y, m, d, 7))
    assert not is_in_service_hours(every_day, zurich(y, m, d, 19))
    assert add_service_hours(every_day, zurich(y, m, d, 6), timedelta(hours=12)) == zurich(
        y, m, d, 19
    )


def test_pro_plus_counts_saturday():
    assert first_reaction_due(PRO_PLUS, "hours", 2, zurich(2026, 11, 28, 10)) == zurich(
        2026, 11, 28, 12
    )


def test_pro_plus_stands_still_on_sunday():
    assert first_reaction_due(PRO_PLUS, "hours", 2, zurich(2026, 11, 28, 18)) == zurich(
        2026, 11, 30, 8
    )


def test_pro_reported_exactly_at_closing_time_starts_next_morning():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 11, 24, 19)) == zurich(2026, 11, 25, 13)


def test_pro_deadline_keeps_its_local_hour_across_the_spring_weekend():
    # Friday 1 h, Monday 5 h from 07:00; the lost hour is on Sunday, outside service hours.
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 3, 27, 18)) == zurich(2026, 3, 30, 12)


def test_pro_deadline_keeps_its_local_hour_across_the_autumn_weekend():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 10, 23, 18)) == zurich(2026, 10, 26, 12)


def test_pro_reported_before_good_friday_continues_after_easter_monday():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 4, 2, 17)) == zurich(2026, 4, 7, 11)


def test_pro_skips_ascension_and_whit_monday():
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 5, 13, 17)) == zurich(2026, 5, 15, 11)
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 5, 22, 17)) == zurich(2026, 5, 26, 11)


def test_pro_skips_all_saints_monday_after_the_autumn_switch_2027():
    # All Saints' Day is an Aargau holiday in the library (unless excluded by data).
    assert first_reaction_due(PRO, "hours", 6, zurich(2027, 10, 29, 18)) == zurich(2027, 11, 2, 12)


def test_pro_skips_a_company_closing_day():
    closing = ClosedDays(added={date(2026, 12, 24)})
    pro = ServiceSchedule(PRO.windows, closed_days=closing)
    # Wednesday 2 h; 24 closed, 25 Christmas, 26-27 weekend; Monday 4 h.
    assert first_reaction_due(pro, "hours", 6, zurich(2026, 12, 23, 17)) == zurich(2026, 12, 28, 11)
    assert first_reaction_due(PRO, "hours", 6, zurich(2026, 12, 23, 17)) == zurich(2026, 12, 24, 11)


def test_an_excluded_holiday_is_a_working_day():
    pro = ServiceSchedule(PRO.windows, closed_days=ClosedDays(excluded={date(2026, 6, 4)}))
    reported = zurich(2026, 6, 3, 17)  # the day before Corpus Christi
    assert first_reaction_due(pro, "hours", 6, reported) == zurich(2026, 6, 4, 11)
    assert first_reaction_due(PRO, "hours", 6, reported) == zurich(2026, 6, 5, 11)


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        (zurich(2026, 11, 23, 7), zurich(2026, 11, 24, 18)),  # before opening: still the next day
        (zurich(2026, 11, 24, 0, 30), zurich(2026, 11, 25, 18)),
        (zurich(2026, 12, 24, 10), zurich(2026, 12, 28, 18)),  # Christmas, weekend
        (zurich(2026, 12, 31, 10), zurich(2027, 1, 4, 18)),  # New Year, Berchtoldstag
        (zurich(2026, 7, 31, 10), zurich(2026, 8, 3, 18)),  # 1 August is a Saturday in 2026
        (zurich(2026, 3, 27, 10), zurich(2026, 3, 30, 18)),  # over the DST switch
    ],
)
def test_next_business_day_is_due_at_the_end_of_its_service_hours(reported, expected):
    assert first_reaction_due(BASIC_PLUS, "next_business_day", None, reported) == expected


def test_next_business_day_follows_the_zurich_calendar_day_not_the_utc_one():
    reported = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Zurich
    assert end_of_next_business_day(BASIC_PLUS, reported) == zurich(2026, 11, 25, 18)


def test_best_effort_has_no_due_time():
    assert first_reaction_due(BASIC, "best_effort", None, zurich(2026, 11, 24, 10)) is None
    confirmed = zurich(2026, 11, 28, 10, 5)
    assert (
        first_reaction_due(BASIC, "best_effort", None, zurich(2026, 11, 28, 10), confirmed) is None
    )


def test_unknown_reaction_kind_and_missing_hours_are_rejected():
    with pytest.raises(ValueError, match="not a valid ReactionKind"):
        first_reaction_due(PRO, "soon", 6, zurich(2026, 11, 24, 10))
    with pytest.raises(ValueError, match="positive integer"):
        first_reaction_due(PRO, "hours", None, zurich(2026, 11, 24, 10))


# --- Fast Lane -------------------------------------------------------------------------


def test_fast_lane_counts_wall_clock_hours_from_the_confirmation():
    reported, confirmed = zurich(2026, 11, 28, 10), zurich(2026, 11, 28, 10, 5)  # Saturday
    assert first_reaction_due(PRO, "hours", 6, reported, confirmed) == zurich(2026, 11, 28, 16, 5)


def test_fast_lane_wall_clock_hours_are_elapsed_time_over_the_dst_switch():
    reported, confirmed = zurich(2026, 3, 28, 23), zurich(2026, 3, 28, 23, 10)
    assert first_reaction_due(PRO, "hours", 6, reported, confirmed) == zurich(2026, 3, 29, 6, 10)


def test_fast_lane_next_business_day_follows_the_day_of_the_confirmation():
    reported, confirmed = zurich(2026, 11, 29, 23, 55), zurich(2026, 11, 30, 0, 5)
    assert first_reaction_due(BASIC_PLUS, "next_business_day", None, reported) == zurich(
        2026, 11, 30, 18
    )
    assert first_reaction_due(BASIC_PLUS, "next_business_day", None, reported, confirmed) == zurich(
        2026, 12, 1, 18
    )


def test_fast_lane_cannot_be_confirmed_before_the_report():
    with pytest.raises(ValueError, match="confirmed before"):
        first_reaction_due(PRO, "hours", 6, zurich(2026, 11, 28, 10), zurich(2026, 11, 28, 9))


# --- properties ------------------------------------------------------------------------

# Two years, both DST switches of each, all the holidays; whole seconds keep shrinking readable.
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda instant: instant.replace(microsecond=0))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30)).map(
    lambda duration: duration - timedelta(microseconds=duration.microseconds)
)
schedules = st.sampled_from(
    [*TIERS, ServiceSchedule(PRO.windows, closed_days=ClosedDays(added={date(2026, 12, 24)}))]
)
MICROSECOND = timedelta(microseconds=1)


@given(schedules, instants, instants, durations)
def test_adding_service_hours_is_monotonic_in_the_start(schedule, first, second, duration):
    earlier, later = sorted([first, second])
    assert add_service_hours(schedule, earlier, duration) <= add_service_hours(
        schedule, later, duration
    )


@given(schedules, instants, durations, durations)
def test_adding_service_hours_is_monotonic_in_the_duration(schedule, start, first, second):
    shorter, longer = sorted([first, second])
    assert add_service_hours(schedule, start, shorter) <= add_service_hours(schedule, start, longer)


@given(schedules, instants, durations.filter(bool))
def test_a_positive_duration_ends_after_the_start_with_the_clock_running_up_to_it(
    schedule, start, duration
):
    # The clock runs right up to the result: the microsecond before it is service time, so
    # the result lies inside service hours or exactly at a window end, never in a gap.
    due = add_service_hours(schedule, start, duration)
    assert due > start
    assert is_in_service_hours(schedule, due - MICROSECOND)


@given(schedules, instants)
def test_a_zero_duration_gives_the_start_if_in_service_hours_else_the_next_window_start(
    schedule, start
):
    due = add_service_hours(schedule, start, timedelta(0))
    assert is_in_service_hours(schedule, due)
    assert (due == start) is is_in_service_hours(schedule, start)
    if due != start:
        assert not is_in_service_hours(schedule, due - MICROSECOND)


@given(schedules, instants, durations, durations.filter(bool))
def test_adding_service_hours_in_two_steps_equals_adding_their_sum(schedule, start, first, second):
    in_two_steps = add_service_hours(schedule, add_service_hours(schedule, start, first), second)
    assert in_two_steps == add_service_hours(schedule, start, first + second)


@given(
    schedules,
    instants.map(lambda instant: instant.replace(second=0)),
    st.integers(min_value=1, max_value=12 * 60),
)
def test_the_result_agrees_with_counting_service_minutes_one_by_one(schedule, start, minutes):
    # Windows begin and end on whole minutes, so stepping by minutes from a whole minute
    # counts service time exactly.
    instant, left = start, minutes
    while left:
        left -= is_in_service_hours(schedule, instant)
        instant += timedelta(minutes=1)
    assert add_service_hours(schedule, start, timedelta(minutes=minutes)) == instant


@given(instants, durations)
def test_premium_service_hours_are_wall_clock_time(start, duration):
    assert add_service_hours(PREMIUM, start, duration) == start + duration
