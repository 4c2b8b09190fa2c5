"""Resolution targets by severity (SPEC 4.7): the rule, the clock and its pauses, pure.

A tier promises a resolution within a target per severity, kept as data (the tariff
`servicedesk.resolution_targets`, rows of tier, severity and either hours or business
days); a tier without rows is best effort and never breached. The target is counted like
the FirstReaction, in the tier's service hours (premium: round the clock, so wall-clock):

- "hours": that much service time from the report (`add_service_hours`);
- "business days": the end of the service hours of the n-th business day after the day
  of the report (1 business day = `end_of_next_business_day`).

The pause states ("waiting for customer", "waiting for third party") stop the
resolution clock, never the FirstReaction clock: the due time moves by the service time
that lay inside the pauses, and while a pause is open there is no due time at all.
No database, no clock, no Flask here; `resolution_clock.py` reads the ticket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.toolkit import Column, RowsKind, tier_names_by_code
from plugins.servicedesk.business_calendar import (
    ServiceSchedule,
    add_service_hours,
    end_of_next_business_day,
)
from plugins.servicedesk.vocabulary import ResolutionUnit, Severity

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class ResolutionTarget:
    """What a tier promises for one severity: `amount` hours or business days."""

    severity: Severity
    amount: int
    unit: ResolutionUnit

    def text(self) -> str:
        if self.unit == ResolutionUnit.HOURS:
            return _("%(num)d h", num=self.amount)
        return _("%(num)d business days", num=self.amount)


@dataclass(frozen=True)
class Pause:
    """A stretch in a pause state; `end` None: still paused."""

    start: datetime
    end: datetime | None


def service_time_between(schedule: ServiceSchedule, start: datetime, end: datetime) -> timedelta:
    """The service time that runs from `start` to `end` (zero if end <= start)."""
    total = timedelta(0)
    if end <= start:
        return total
    for window_start, window_end in schedule.intervals_after(start):
        if window_start >= end:
            break
        total += min(window_end, end) - max(window_start, start)
    return total


def end_of_business_days(schedule: ServiceSchedule, start: datetime, days: int) -> datetime:
    """The end of the service hours of the `days`-th business day after `start`'s day."""
    if days < 1:
        raise ValueError(f"business days must be at least 1, got {days}")
    instant = start
    for _n in range(days):
        end = end_of_next_business_day(schedule, instant)
        # The end of a day's service can be the next local midnight (24:00); one tick
        # earlier is still the business day just counted.
        instant = end - _TICK
    return end


def unpaused_due(schedule: ServiceSchedule, target: ResolutionTarget, start: datetime) -> datetime:
    """When the target ends without any pause (UTC)."""
    # In UTC: adding to a Zurich datetime would add wall-clock hours across a DST switch.
    start = start.astimezone(UTC)
    if target.unit == ResolutionUnit.BUSINESS_DAYS:
        return end_of_business_days(schedule, start, target.amount)
    duration = timedelta(hours=target.amount)
    if schedule.round_the_clock:
        return start + duration
    return add_service_hours(schedule, start, duration)


def paused_service_time(schedule: ServiceSchedule, pauses: Iterable[Pause]) -> timedelta:
    """The service time inside the (closed) pauses: by this much the clock stood still."""
    return sum(
        (service_time_between(schedule, p.start, p.end) for p in pauses if p.end is not None),
        timedelta(0),
    )


def paused_time(pauses: Iterable[Pause], until: datetime) -> timedelta:
    """The wall-clock time of the pauses up to `until` (an open pause counts to `until`)."""
    return sum(
        (max((p.end or until) - p.start, timedelta(0)) for p in pauses),
        timedelta(0),
    )


def target_window(
    schedule: ServiceSchedule, target: ResolutionTarget, start: datetime
) -> timedelta:
    """The service time the target grants from `start`."""
    return service_time_between(schedule, start, unpaused_due(schedule, target, start))


def resolution_due(
    schedule: ServiceSchedule,
    target: ResolutionTarget | None,
    start: datetime,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """The resolution due time on the clock that stands still in the pauses; None for
    best effort and while a pause is open. A pause after the due time moves nothing."""
    if target is None or any(p.end is None for p in pauses):
        return None
    if not pauses:
        return unpaused_due(schedule, target, start)
    return run_clock(schedule, start, target_window(schedule, target, start), pauses)


def run_clock(
    schedule: ServiceSchedule, start: datetime, run: timedelta, pauses: Sequence[Pause]
) -> datetime:
    """The instant at which `run` service time has passed on the clock from `start` that
    stands still in the (closed) pauses."""
    position, remaining = start, run
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is None or pause.end <= position:
            continue
        before = service_time_between(schedule, position, pause.start)
        if before >= remaining:
            break
        remaining -= before
        position = max(position, pause.end)
    return add_service_hours(schedule, position, remaining)


def resolution_reminder(
    schedule: ServiceSchedule,
    target: ResolutionTarget | None,
    start: datetime,
    pauses: Sequence[Pause],
    percent,
) -> datetime | None:
    """When `percent` of the resolution window has run on the (paused) clock."""
    if resolution_due(schedule, target, start, pauses) is None:
        return None
    window = target_window(schedule, target, start)
    share = float(percent) / 100  # a time share, not money
    return run_clock(schedule, start, window * share, pauses)


def target_for(rows: Iterable[dict], tier_code: str, severity: Severity | str | None):
    """The target of a tier and severity from the tariff's rows; None: best effort."""
    if severity is None:
        return None
    for row in rows:
        if row["tier"] == tier_code and row["severity"] == severity:
            return ResolutionTarget(Severity(severity), row["amount"], ResolutionUnit(row["unit"]))
    return None


FIELDS = ("tier", "severity", "amount", "unit")


def tier_choices() -> tuple[tuple[str, str], ...]:
    """(code, catalog name) of every tier: finance picks "winCall premium 7x24h", a row
    stores "premium". The name is today's; a tier not yet in force shows its first planned
    name, so a new tier can get its targets before it starts (the history's own names)."""
    return tuple(tier_names_by_code().items())


class ResolutionTargetsKind(RowsKind):
    """Rows of tier code, severity, amount and unit (h or business days), edited as a
    table; a tier without rows is best effort."""

    max_amount = 1000

    def columns(self) -> tuple[Column, ...]:
        return (
            Column("tier", _l("Tier"), tier_choices()),
            Column("severity", _l("Severity"), tuple(Severity.choices())),
            Column("amount", _l("Target"), min=1, max=self.max_amount),
            Column("unit", _l("Unit"), tuple(ResolutionUnit.choices())),
        )

    def parse(self, raw: Any) -> list[dict[str, Any]]:
        rows = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(rows, list):
            raise ValueError(_("must be a list of rows: %(rule)s", rule=self.describe()))
        parsed, seen = [], set()
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or set(row) != set(FIELDS):
                raise ValueError(
                    _("row %(row)d: needs exactly tier, severity, amount and unit", row=number)
                )
            tier, severity, amount, unit = (row[f] for f in FIELDS)
            if isinstance(amount, str) and amount.strip().isdigit():
                amount = int(amount)  # as the form sends it
            if not isinstance(tier, str) or not tier.strip():
                raise ValueError(_("row %(row)d: the tier code is missing", row=number))
            if severity not in Severity.codes():
                raise ValueError(_("row %(row)d: unknown severity", row=number))
            if unit not in ResolutionUnit.codes():
                raise ValueError(_("row %(row)d: the unit is h or business_days", row=number))
            if type(amount) is not int or not 1 <= amount <= self.max_amount:
                raise ValueError(
                    _("row %(row)d: the amount must be from 1 to %(max)d", row=number, max=1000)
                )
            if (tier, severity) in seen:
                raise ValueError(_("row %(row)d: this tier and severity twice", row=number))
            seen.add((tier, severity))
            parsed.append(
                {"tier": tier.strip(), "severity": severity, "amount": amount, "unit": unit}
            )
        return parsed

    def describe(self) -> str:
        return _(
            "rows of tier, severity (critical, major, minor), a target from 1 to 1000 and "
            "its unit (hours or business days); a tier without rows is best effort"
        )

    def store(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return value

    def display(self, value: list[dict[str, Any]]) -> str:
        names = dict(tier_choices())  # the tier by name, as the editor offers it
        return "; ".join(
            f"{names.get(row['tier'], row['tier'])} {Severity.label_of(row['severity'])}: "
            + ResolutionTarget(row["severity"], row["amount"], ResolutionUnit(row["unit"])).text()
            for row in value
        ) or _("best effort")


def _target(tier: str, severity: str, amount: int, unit: str) -> dict[str, Any]:
    return {"tier": tier, "severity": severity, "amount": amount, "unit": unit}


# [default] of SPEC 4.7 / issue 13: premium 4 h / 8 h / 3 business days; pro_plus and pro
# 8 h / 2 / 5 business days; basic_plus and basic best effort (no rows).
DEFAULT_TARGETS = [
    _target("premium", "critical", 4, "h"),
    _target("premium", "major", 8, "h"),
    _target("premium", "minor", 3, "business_days"),
    *(
        row
        for tier in ("pro_plus", "pro")
        for row in (
            _target(tier, "critical", 8, "h"),
            _target(tier, "major", 2, "business_days"),
            _target(tier, "minor", 5, "business_days"),
        )
    ),
]
