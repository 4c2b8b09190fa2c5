"""The business time zone: instants live in UTC, people see Europe/Zurich."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from flask import current_app, has_app_context

ZURICH = ZoneInfo("Europe/Zurich")


def now() -> datetime:
    """The current instant (UTC). Tests pin it with the FROZEN_NOW config value."""
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen.astimezone(UTC)
    return datetime.now(UTC)


@contextmanager
def clock_at(instant: datetime) -> Iterator[datetime]:
    """Pin now() to `instant` for the block, then restore the previous setting: the demo
    plays earlier days through the real services, which all ask now()."""
    config = current_app.config
    before = config.get("FROZEN_NOW")
    config["FROZEN_NOW"] = instant
    try:
        yield instant
    finally:
        config["FROZEN_NOW"] = before


def today() -> date:
    """Today's date in Zurich, which is what "today" means to every user here."""
    return now().astimezone(ZURICH).date()


def local(instant: datetime | None) -> datetime | None:
    return instant.astimezone(ZURICH) if instant is not None else None


def zurich_instant(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Zurich as an aware instant (for seeds, forms and tests)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH)


@cache
def _swiss(language: str) -> Locale:
    return Locale(language, "CH")


def _page_locale() -> Locale:
    """The page's language as it is written in Switzerland: every reader is the
    provider's staff or a Swiss customer, and the documents write dates so too. Plain
    fr and it would write 30/11/2026, en 11/30/26 and 7:43 AM."""
    from flask_babel import get_locale

    return _swiss(get_locale().language)


def date_pattern() -> str:
    """The short date with a four-digit year, "30.11.2026" in every language: CLDR's
    short date has two ("30.11.26"), which reads badly in a list of invoices and tickets."""
    return re.sub(r"y+", "yyyy", _page_locale().date_formats["short"].pattern)


def datetime_pattern() -> str:
    """Short date with four-digit year and short time: "30.11.2026 07:43"."""
    return f"{date_pattern()} {_page_locale().time_formats['short'].pattern}"


def last_months(count: int, until: date | None = None) -> list[date]:
    """The first days of the `count` months up to and including `until`'s, oldest first."""
    day = (until or today()).replace(day=1)
    months = []
    for _ in range(count):
        months.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    return months[::-1]
