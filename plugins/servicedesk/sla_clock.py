"""The live SLA clock of a ticket: how much FirstReaction time is left, and whether it runs.

A tier that counts service hours stops its clock outside them; the page says so instead of
showing a countdown that does not move (or one that moves when it should not). A Fast Lane
ticket, a round-the-clock tier and a "next business day" deadline count wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.toolkit import ReactionKind
from plugins.servicedesk.business_calendar import ServiceSchedule, is_in_service_hours
from plugins.servicedesk.due import reaction_rule, service_time_between


@dataclass(frozen=True)
class SlaClock:
    due_at: datetime
    left: timedelta  # FirstReaction time left; negative once overdue
    running: bool
    # Running: when it stops next (the end of the service window), None if it runs on.
    stops_at: datetime | None
    # Standing still: when it runs again (the next service window).
    resumes_at: datetime | None
    service_hours: str  # the tier's service hours, worded in the language in force

    @property
    def overdue(self) -> bool:
        return self.left < timedelta(0)


def clock_of(
    schedule: ServiceSchedule,
    due_at: datetime,
    at: datetime,
    wall_clock: bool,
    service_hours: str = "",
) -> SlaClock:
    """The clock at instant `at` for a FirstReaction due at `due_at`."""
    if wall_clock or at >= due_at:
        # Past the due time the breach grows in real time, whatever the schedule.
        return SlaClock(due_at, due_at - at, True, None, None, service_hours)
    left = service_time_between(schedule, at, due_at)
    if is_in_service_hours(schedule, at):
        window_end = next(end for start, end in schedule.intervals_after(at) if start <= at)
        # A due time inside this window: the clock runs to it and on into the breach.
        stops_at = window_end if window_end < due_at else None
        return SlaClock(due_at, left, True, stops_at, None, service_hours)
    resumes = next(start for start, _end in schedule.intervals_after(at))
    return SlaClock(due_at, left, False, None, resumes, service_hours)


def ticket_clock(ticket, at: datetime) -> SlaClock | None:
    """The clock of an open ticket still waiting for its FirstReaction; None otherwise."""
    if (
        ticket.first_reaction_due_at is None
        or ticket.first_reaction_at is not None
        or not ticket.is_open
    ):
        return None
    rule = reaction_rule(ticket.tier_code, ticket.reported_at)
    if rule is None:
        return None
    wall_clock = (
        ticket.fast_lane
        or rule.schedule.round_the_clock
        or rule.reaction_kind != ReactionKind.HOURS
    )
    return clock_of(rule.schedule, ticket.first_reaction_due_at, at, wall_clock, rule.service_hours)
