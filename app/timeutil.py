"""The business time zone: instants live in UTC, people see Europe/Zurich."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

ZURICH = ZoneInfo("Europe/Zurich")


def now() -> datetime:
    """The current instant (UTC). Tests pin it with the FROZEN_NOW config value."""
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen.astimezone(UTC)
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Zurich, which is what "today" means to every user here."""
    return now().astimezone(ZURICH).date()


def local(instant: datetime | None) -> datetime | None:
    return instant.astimezone(ZURICH) if instant is not None else None


def zurich_instant(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Zurich as an aware instant (for seeds, forms and tests)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH)
