"""Business calendar: service windows, closed days and FirstReaction due times (SPEC section 2).

Pure functions over frozen values: no database, no Flask. Instants may arrive in any time
zone and always leave in UTC; naive datetimes are refused. Service windows are local
wall-clock hours in the schedule's zone (Europe/Zurich), so a window keeps its local hours
across daylight-saving changes, while the time inside a window is real elapsed time.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo

import holidays

# How a tier's FirstReaction is due: the tier catalog's vocabulary, declared by the host.
from app.toolkit import ReactionKind

__all__ = [
    "ZURICH",
    "ClosedDays",
    "ReactionKind",
    "ServiceSchedule",
    "ServiceWindow",
    "add_service_hours",
    "end_of_next_business_day",
    "first_reaction_due",
    "is_in_service_hours",
]

ZURICH = ZoneInfo("Europe/Zurich")
FULL_DAY = timedelta(hours=24)
_CLOCK = re.compile(r"([0-9]{2}):([0-9]{2})")
# A schedule that opens on no day for a whole year is broken data; stop instead of looping.
_MAX_DAYS_WITHOUT_SERVICE = 366

Interval = tuple[datetime, datetime]
"""A service window on a given day as UTC instants: start inclusive, end exclusive."""


@cache
def _public_holidays(country: str, subdiv: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


@dataclass(frozen=True)
class ClosedDays:
    """The closed days of the business calendar.

    The public holidays of the subdivision exactly as the ``holidays`` library gives them,
    plus the company's closing days, minus the days excluded (Aargau sets some holidays per
    district, so the library's set can be too wide for the provider's seat).
    """

    added: frozenset[date] = frozenset()
    excluded: frozenset[date] = frozenset()
    country: str = "CH"
    subdiv: str = "AG"

    def __post_init__(self) -> None:
        object.__setattr__(self, "added", frozenset(self.added))
        object.__setattr__(self, "excluded", frozenset(self.excluded))
        if both := self.added & self.excluded:
            raise ValueError(f"days both added and excluded: {sorted(both)}")

    def __contains__(self, day: date) -> bool:
        if day in self.added:
            return True
        return day not in self.excluded and day in _public_holidays(
            self.country, self.subdiv, day.year
        )


@dataclass(frozen=True, order=True)
class ServiceWindow:
    """Service hours within one day, as local wall-clock offsets from midnight.

    The start is inclusive, the end exclusive; an end of 24 hours means midnight at the end
    of the day.
    """

    start: timedelta
    end: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.start < self.end <= FULL_DAY:
            raise ValueError(
                f"a service window needs 00:00 <= start < end <= 24:00, "
                f"got {self.start} to {self.end}"
            )


@dataclass(frozen=True)
class ServiceSchedule:
    """A tier's service hours: windows per weekday (index 0 = Monday) and its closed days.

    With ``holidays_closed`` false (premium) the closed days do not stop the clock.
    """

    windows: tuple[tuple[ServiceWindow, ...], ...]
    holidays_closed: bool = True
    closed_days: ClosedDays = ClosedDays()
    tz: ZoneInfo = ZURICH
    # Day -> that day's windows as UTC intervals: the monitoring sweep asks about the same few
    # days for every open ticket. It grows by one small entry per distinct day asked about.
    _intervals_by_day: dict[date, tuple[Interval, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if len(self.windows) != 7:
            raise ValueError("windows must list the 7 weekdays, Monday first")
        object.__setattr__(self, "windows", tuple(tuple(sorted(day)) for day in self.windows))
        if not any(self.windows):
            raise ValueError("a schedule needs at least one service window")
        for weekday, day_windows in enumerate(self.windows):
            for earlier, later in zip(day_windows, day_windows[1:], strict=False):
                if later.start < earlier.end:
                    raise ValueError(f"overlapping service windows on {calendar.day_name[weekday]}")

    @classmethod
    def from_spec(
        cls,
        spec: str | Sequence[Mapping[str, object]],
        *,
        holidays_closed: bool = True,
        closed_days: ClosedDays = ClosedDays(),
        tz: ZoneInfo = ZURICH,
    ) -> ServiceSchedule:
        """Parse the catalog's JSON, e.g. ``[{"days": [0, 1, 2, 3, 4], "start": "08:00",
        "end": "12:00"}, ...]`` (days 0 = Monday to 6 = Sunday, end up to "24:00")."""
        entries = json.loads(spec) if isinstance(spec, str) else spec
        if not isinstance(entries, list | tuple) or not entries:
            raise ValueError("service windows must be a non-empty list")
        per_day: list[list[ServiceWindow]] = [[] for _ in range(7)]
        for entry in entries:
            if not isinstance(entry, Mapping) or set(entry) != {"days", "start", "end"}:
                raise ValueError(f"a service window has exactly days, start and end: {entry!r}")
            days = entry["days"]
            if not isinstance(days, list | tuple) or not days:
                raise ValueError(f"days must be a non-empty list: {entry!r}")
            window = ServiceWindow(_parse_clock(entry["start"]), _parse_clock(entry["end"]))
            for day in days:
                # bool is an int subclass, and True must not pass for Tuesday.
                if type(day) is not int or not 0 <= day <= 6:
                    raise ValueError(f"unknown day {day!r}: days are 0 (Monday) to 6 (Sunday)")
                per_day[day].append(window)
        return cls(
            tuple(tuple(day) for day in per_day),
            holidays_closed=holidays_closed,
            closed_days=closed_days,
            tz=tz,
        )

    @cached_property  # asked for every due date the monitoring sweep computes
    def round_the_clock(self) -> bool:
        """Open every hour of every day, holidays included (premium)."""
        full = (ServiceWindow(timedelta(0), FULL_DAY),)
        return not self.holidays_closed and all(day == full for day in self.windows)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The service windows of a local calendar day as UTC intervals; none on a closed day."""
        cached = self._intervals_by_day.get(day)
        if cached is not None:
            return cached
        intervals: tuple[Interval, ...] = ()
        if not (self.holidays_closed and day in self.closed_days):
            midnight = datetime.combine(day, time(), tzinfo=self.tz)
            # Adding to an aware datetime moves its wall clock, and astimezone then applies
            # the offset in force at that wall time: 24:00 becomes the next local midnight,
            # so a 00:00-24:00 window on a DST switch day lasts 23 or 25 real hours.
            converted = (
                ((midnight + w.start).astimezone(UTC), (midnight + w.end).astimezone(UTC))
                for w in self.windows[day.weekday()]
            )
            # A window edge inside the spring-forward gap can collapse a window to nothing.
            intervals = tuple((start, end) for start, end in converted if start < end)
        self._intervals_by_day[day] = intervals
        return intervals

    def intervals_after(self, instant: datetime) -> Iterator[Interval]:
        """The UTC service intervals that end after a UTC instant, in order, without end."""
        day = instant.astimezone(self.tz).date()
        days_without_service = 0
        while True:
            intervals = self.intervals_on(day)
            for start, end in intervals:
                if end > instant:
                    yield start, end
            days_without_service = 0 if intervals else days_without_service + 1
            if days_without_service > _MAX_DAYS_WITHOUT_SERVICE:
                raise ValueError(f"no service hours in the {days_without_service} days up to {day}")
            day += timedelta(days=1)


def _parse_clock(value: object) -> timedelta:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"a time of day is written HH:MM, got {value!r}")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"a time of day lies between 00:00 and 24:00, got {value!r}")
    return timedelta(hours=hours, minutes=minutes)


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"a timezone-aware instant is required, got naive {instant!r}")
    return instant.astimezone(UTC)


def is_in_service_hours(schedule: ServiceSchedule, instant: datetime) -> bool:
    """Whether the instant lies in a service window (start inclusive, end exclusive)."""
    instant = _as_utc(instant)
    day = instant.astimezone(schedule.tz).date()
    return any(start <= instant < end for start, end in schedule.intervals_on(day))


def add_service_hours(schedule: ServiceSchedule, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of service time has run from ``start`` (UTC).

    The clock runs only inside service windows and stands still outside them, so from
    outside service hours counting begins at the next window start, which is also the
    result of a zero duration there. A duration that uses up a window exactly ends at that
    window's end, not at the next window's start.
    """
    if duration < timedelta(0):
        raise ValueError(f"a duration cannot be negative, got {duration}")
    instant = _as_utc(start)
    remaining = duration
    for window_start, window_end in schedule.intervals_after(instant):
        begin = max(window_start, instant)
        if begin + remaining <= window_end:
            return begin + remaining
        remaining -= window_end - begin
    raise AssertionError("intervals_after() yields until the duration is used up")


def end_of_next_business_day(schedule: ServiceSchedule, instant: datetime) -> datetime:
    """The end of the service hours of the first business day strictly after the instant's
    calendar day in the schedule's zone (UTC).

    A business day is Monday to Friday and not a closed day; a day on which the schedule
    has no service window at all does not count either, since it has no end of service.
    """
    day = _as_utc(instant).astimezone(schedule.tz).date()
    for _ in range(_MAX_DAYS_WITHOUT_SERVICE):
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in schedule.closed_days:
            intervals = schedule.intervals_on(day)
            if intervals:
                return intervals[-1][1]
    raise ValueError(f"no business day with service hours within a year before {day}")


def first_reaction_due(
    schedule: ServiceSchedule,
    reaction_kind: ReactionKind | str,
    reaction_hours: int | None,
    reported_at: datetime,
    fast_lane_confirmed_at: datetime | None = None,
) -> datetime | None:
    """When the FirstReaction is due (UTC), or None for best effort (never breached).

    A Fast Lane ticket counts from its confirmation, and its "hours" in wall-clock time
    (SPEC section 4); premium counts wall-clock time anyway. Every other "hours" tier
    counts service hours only.
    """
    kind = ReactionKind(reaction_kind)
    start = _as_utc(reported_at)
    if fast_lane_confirmed_at is not None:
        confirmed = _as_utc(fast_lane_confirmed_at)
        if confirmed < start:
            raise ValueError("a Fast Lane ticket cannot be confirmed before it is reported")
        start = confirmed
    if kind is ReactionKind.BEST_EFFORT:
        return None
    if kind is ReactionKind.NEXT_BUSINESS_DAY:
        return end_of_next_business_day(schedule, start)
    if type(reaction_hours) is not int or reaction_hours <= 0:
        raise ValueError(f"reaction hours must be a positive integer, got {reaction_hours!r}")
    duration = timedelta(hours=reaction_hours)
    if fast_lane_confirmed_at is not None or schedule.round_the_clock:
        return start + duration
    return add_service_hours(schedule, start, duration)
