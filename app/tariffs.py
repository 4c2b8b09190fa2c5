"""Reading and writing the effective-dated tariff values that finance edits.

Each key's kind (app.tariff_kinds) checks a value before it is stored, and a new value
starts tomorrow at the earliest and after the last billed day (app.history): a version
once in force is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.database import db
from app.errors import RuleViolation
from app.history import require_changeable
from app.models import Tariff
from app.plugins import TariffKey


class TariffError(LookupError):
    pass


def declared_keys() -> dict[str, TariffKey]:
    """All tariff keys of the host and the enabled plugins."""
    return current_app.extensions["winet.tariff_keys"]


def declaration_of(key: str) -> TariffKey:
    declaration = declared_keys().get(key)
    if declaration is None:
        raise TariffError(f"undeclared tariff {key!r}")
    return declaration


def parse_value(declaration: TariffKey, raw: Any) -> Any:
    """The typed value of a stored or entered tariff.

    Invalid: RuleViolation (a ValueError) on the field "value", naming the tariff and the
    rule it breaks, e.g. "Fast Lane ticket fee (CHF): must be an amount in CHF from 0.00
    to 10'000.00 (given: -250)".
    """
    try:
        return declaration.kind.parse(raw)
    except ValueError as error:
        raise RuleViolation(
            _("%(label)s: %(problem)s", label=declaration.label, problem=error), field="value"
        ) from None


def storable(declaration: TariffKey, value: Any) -> Any:
    """The JSON form of a typed value (decimals as text)."""
    return declaration.kind.store(value)


def tariff(key: str, on: date | None = None) -> Any:
    """The value of tariff `key` valid on `on` (today when None)."""
    from app.timeutil import today

    declaration = declaration_of(key)
    day = on or today()
    row = db.session.scalars(
        select(Tariff)
        .where(Tariff.key == key, Tariff.valid_from <= day)
        .order_by(Tariff.valid_from.desc())
        .limit(1)
    ).first()
    if row is None:
        raise TariffError(
            _(
                "No value of the tariff %(key)s is valid on %(day)s.",
                key=key,
                day=day.strftime("%d.%m.%Y"),
            )
        )
    return parse_value(declaration, row.value)


def set_tariff(key: str, valid_from: date, raw: Any) -> Tariff:
    """Add the version of `key` starting on `valid_from`, checked first (flushes).

    Refused (RuleViolation, nothing changed): an invalid value, or a start that is not in
    the future or lies on a billed day. A version planned for a future day that is not
    billed may be replaced: it has never been in force.
    """
    declaration = declaration_of(key)
    value = storable(declaration, parse_value(declaration, raw))
    require_changeable(valid_from)
    row = db.session.scalars(
        select(Tariff).where(Tariff.key == key, Tariff.valid_from == valid_from)
    ).first()
    if row is None:
        row = Tariff(key=key, valid_from=valid_from, value=value)
        db.session.add(row)
    else:
        row.value = value
    db.session.flush()
    return row


@dataclass(frozen=True)
class TariffVersion:
    """One version of a tariff as pages and the API show it: from, until (inclusive,
    None = open), the typed value (None when the stored value breaks the rules)."""

    valid_from: date
    valid_to: date | None
    value: Any
    stored: Any
    problem: str | None = None


def versions_of(key: str) -> list[TariffVersion]:
    """Every version of `key`, oldest first, each until the day before the next one."""
    declaration = declaration_of(key)
    rows = db.session.scalars(
        select(Tariff).where(Tariff.key == key).order_by(Tariff.valid_from)
    ).all()
    versions = []
    for index, row in enumerate(rows):
        until = rows[index + 1].valid_from - timedelta(days=1) if index + 1 < len(rows) else None
        try:
            value, problem = parse_value(declaration, row.value), None
        except RuleViolation as error:
            # Stored before the kinds checked values: shown with the rule it breaks, so
            # finance can replace it from the next possible day.
            value, problem = None, str(error)
        versions.append(TariffVersion(row.valid_from, until, value, row.value, problem))
    return versions
