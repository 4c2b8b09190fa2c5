"""The VAT rate table finance maintains: rows of the `core.vat_standard_percent` tariff.

Each rate is in force from its valid-from up to the day before the next row. A rate may
be added for a limited time (a temporary rise, e.g. to 8.8 %): with a valid-to, the rate
in force before comes back the day after, unless a row already starts that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from app.errors import RuleViolation
from app.history import require_changeable
from app.tariffs import set_tariff, versions_of

VAT_KEY = "core.vat_standard_percent"


@dataclass(frozen=True)
class VatRate:
    valid_from: date
    valid_to: date | None  # inclusive; None: until further notice
    rate: Decimal | None  # None: a stored value that breaks the rules (see `problem`)
    problem: str | None = None


def vat_rates() -> list[VatRate]:
    """The table, oldest row first."""
    return [
        VatRate(version.valid_from, version.valid_to, version.value, version.problem)
        for version in versions_of(VAT_KEY)
    ]


def _rate_on(rates: list[VatRate], day: date) -> Decimal | None:
    in_force = [row for row in rates if row.valid_from <= day]
    return in_force[-1].rate if in_force else None


def add_vat_rate(valid_from: date, rate: Decimal, valid_to: date | None = None) -> list[VatRate]:
    """Add a rate from `valid_from` (flushes); with `valid_to`, the rate in force before
    returns on the day after it. Returns the new table.

    Refused (RuleViolation, nothing changed): a start in the past or on a billed day, a
    valid-to before the start, or a row starting inside the limited period (which row
    would win would be unclear).
    """
    require_changeable(valid_from)
    rates = vat_rates()
    if valid_to is not None:
        if valid_to < valid_from:
            raise RuleViolation(
                _("The valid-to date must not be before the valid-from date."), field="valid_to"
            )
        inside = [r for r in rates if valid_from < r.valid_from <= valid_to]
        if inside:
            raise RuleViolation(
                _(
                    "A rate already starts on %(day)s, inside the period: add the limited rate "
                    "without a valid-to, or choose another period.",
                    day=format_date(inside[0].valid_from),
                ),
                field="valid_to",
            )
    set_tariff(VAT_KEY, valid_from, rate)
    if valid_to is not None:
        day_after = valid_to + timedelta(days=1)
        previous = _rate_on(rates, day_after)
        starts_there = any(r.valid_from == day_after for r in rates)
        if previous is not None and not starts_there:
            set_tariff(VAT_KEY, day_after, previous)
    return vat_rates()
