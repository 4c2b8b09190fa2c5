"""FirstReaction due times and reminder times of a ticket, from the CLA in force at the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.toolkit import ZURICH, Tier, TierVersion, db, service_hours, tariff
from plugins.servicedesk.business_calendar import (
    ClosedDays,
    ServiceSchedule,
    add_service_hours,
    first_reaction_due,
    is_in_service_hours,
)


def tier_version(tier_code: str, day: date) -> TierVersion | None:
    tier = db.session.scalar(select(Tier).where(Tier.code == tier_code))
    return tier.version_on(day) if tier is not None else None


def _dates(raw) -> frozenset[date]:
    return frozenset(date.fromisoformat(str(item)) for item in raw or ())


def closed_days_on(day: date) -> ClosedDays:
    """Aargau holidays from the library, adjusted by the company's data valid on `day`."""
    return ClosedDays(
        added=_dates(tariff("servicedesk.closing_days", day)),
        excluded=_dates(tariff("servicedesk.holidays_excluded", day)),
    )


def schedule_of(version: TierVersion, day: date) -> ServiceSchedule:
    return ServiceSchedule.from_spec(
        version.service_windows,
        holidays_closed=version.holidays_closed,
        closed_days=closed_days_on(day),
    )


@dataclass(frozen=True)
class ReactionRule:
    """What a tier version promises: its schedule and its FirstReaction rule."""

    tier_code: str
    tier_name: str
    service_windows: Sequence[Mapping[str, Any]]
    schedule: ServiceSchedule
    reaction_kind: str
    reaction_hours: int | None

    @property
    def service_hours(self) -> str:
        """The service hours in the language in force, worded when read (not when built)."""
        return service_hours(self.service_windows)

    def inside_service_hours(self, at: datetime) -> bool:
        return is_in_service_hours(self.schedule, at)

    def due(self, reported_at: datetime, fast_lane_confirmed_at: datetime | None = None):
        return first_reaction_due(
            self.schedule,
            self.reaction_kind,
            self.reaction_hours,
            reported_at,
            fast_lane_confirmed_at,
        )


def reaction_rule(tier_code: str, at: datetime) -> ReactionRule | None:
    day = at.astimezone(ZURICH).date()
    version = tier_version(tier_code, day)
    if version is None:
        return None
    return ReactionRule(
        tier_code,
        version.name,
        version.service_windows,
        schedule_of(version, day),
        version.reaction_kind,
        version.reaction_hours,
    )


def service_time_between(schedule: ServiceSchedule, start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    for window_start, window_end in schedule.intervals_after(start):
        if window_start >= end:
            break
        total += min(window_end, end) - max(window_start, start)
    return total


def reminder_time(
    rule: ReactionRule,
    start: datetime,
    due: datetime | None,
    percent: Decimal,
    wall_clock: bool,
) -> datetime | None:
    """When `percent` of the FirstReaction window has passed, counted like the window."""
    if due is None:
        return None
    share = float(percent) / 100  # a time share, not money
    if wall_clock or rule.schedule.round_the_clock:
        return start + (due - start) * share
    window = service_time_between(rule.schedule, start, due)
    return add_service_hours(rule.schedule, start, window * share)
