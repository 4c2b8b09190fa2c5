"""History is never rewritten: the first day a new catalog version, VAT rate or tariff may start.

A change starts tomorrow at the earliest (today has begun: calls were priced, work was
logged), and after the last day of service already on an invoice, which the invoicing
plugin reports through the `billed_through` hook (the host imports no plugin). Writing a
version for a day that has passed or is billed would change what was charged for it.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _

from app.errors import RuleViolation
from app.hooks import hooks
from app.timeutil import today


def billed_through() -> date | None:
    """The last service day on an invoice (None when nothing is billed or invoicing is off)."""
    return hooks().billed_through()


def earliest_change_day() -> date:
    """The first day a new version may start."""
    earliest = today() + timedelta(days=1)
    billed = billed_through()
    if billed is not None and billed >= earliest:
        earliest = billed + timedelta(days=1)
    return earliest


def require_changeable(valid_from: date, field: str = "valid_from") -> None:
    """Refuse (RuleViolation on `field`) a version that would start on a past or billed day."""
    earliest = today() + timedelta(days=1)
    if valid_from < earliest:
        raise RuleViolation(
            _(
                "%(day)s is not in the future: a change starts on %(earliest)s at the earliest, "
                "history is never rewritten.",
                day=format_date(valid_from),
                earliest=format_date(earliest_change_day()),
            ),
            field=field,
        )
    billed = billed_through()
    if billed is not None and valid_from <= billed:
        raise RuleViolation(
            _(
                "Service up to %(billed)s is already invoiced: a change starts on %(earliest)s "
                "at the earliest, history is never rewritten.",
                billed=format_date(billed),
                earliest=format_date(billed + timedelta(days=1)),
            ),
            field=field,
        )
