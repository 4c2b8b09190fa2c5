"""Benchmark: FirstReaction due-date computations per second over the five tier schedules.

The monitoring sweep computes a due date for every open ticket, so this must stay cheap.
Run from anywhere: python benchmarks/due_dates.py [--n N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from plugins.servicedesk.business_calendar import (  # noqa: E402
    ServiceSchedule,
    first_reaction_due,
)

WEEKDAYS = [0, 1, 2, 3, 4]
# SPEC section 1: (schedule, reaction kind, reaction hours) per tier.
TIERS = [
    (
        ServiceSchedule.from_spec(
            [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}],
            holidays_closed=False,
        ),
        "hours",
        1,
    ),
    (
        ServiceSchedule.from_spec([{"days": [0, 1, 2, 3, 4, 5], "start": "07:00", "end": "19:00"}]),
        "hours",
        2,
    ),
    (ServiceSchedule.from_spec([{"days": WEEKDAYS, "start": "07:00", "end": "19:00"}]), "hours", 6),
    (
        ServiceSchedule.from_spec(
            [
                {"days": WEEKDAYS, "start": "08:00", "end": "12:00"},
                {"days": WEEKDAYS, "start": "14:00", "end": "18:00"},
            ]
        ),
        "next_business_day",
        None,
    ),
    (
        ServiceSchedule.from_spec(
            [
                {"days": WEEKDAYS, "start": "09:00", "end": "12:00"},
                {"days": WEEKDAYS, "start": "14:00", "end": "17:00"},
            ]
        ),
        "best_effort",
        None,
    ),
]
PERIOD_START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD_SECONDS = int(timedelta(days=2 * 365).total_seconds())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of due dates (100000)")
    args = parser.parse_args()

    rng = random.Random(2026)  # the same reports on every run, so figures compare
    reports = [
        (
            rng.choice(TIERS),
            PERIOD_START + timedelta(seconds=rng.randrange(PERIOD_SECONDS)),
        )
        for _ in range(args.n)
    ]

    began = time.perf_counter()
    for (schedule, kind, hours), reported_at in reports:
        first_reaction_due(schedule, kind, hours, reported_at)
    elapsed = time.perf_counter() - began

    print(
        f"{args.n} due dates over 2026-2027 in {elapsed:.3f} s: {args.n / elapsed:,.0f} per second"
    )


if __name__ == "__main__":
    main()
