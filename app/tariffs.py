"""Reading and writing the effective-dated tariff values that finance edits."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.database import db
from app.models import Tariff
from app.plugins import TariffKey


class TariffError(LookupError):
    pass


def declared_keys() -> dict[str, TariffKey]:
    """All tariff keys of the host and the enabled plugins."""
    return current_app.extensions["winet.tariff_keys"]


def parse_value(key: TariffKey, raw: Any) -> Any:
    """The typed value of a stored or entered tariff; ValueError with a reason if invalid."""
    if key.kind == "decimal":
        if isinstance(raw, float):
            raise ValueError(f"{key.key}: a decimal must be given as text, not a float")
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation as error:
            raise ValueError(f"{key.key}: {raw!r} is not a decimal number") from error
        if not value.is_finite():
            raise ValueError(f"{key.key}: {raw!r} is not a decimal number")
        return value
    if key.kind == "integer":
        try:
            return int(str(raw).strip())
        except ValueError as error:
            raise ValueError(f"{key.key}: {raw!r} is not a whole number") from error
    if key.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "ja"):
            return True
        if text in ("false", "0", "no", "nein"):
            return False
        raise ValueError(f"{key.key}: {raw!r} is not yes/no")
    if key.kind == "json":
        if isinstance(raw, str):
            try:
                return json.loads(raw, parse_float=Decimal)
            except json.JSONDecodeError as error:
                raise ValueError(f"{key.key}: invalid JSON: {error.msg}") from error
        return raw
    raise ValueError(f"{key.key}: unknown tariff kind {key.kind!r}")


def storable(key: TariffKey, value: Any) -> Any:
    """The JSON form of a typed value (decimals as text)."""
    if key.kind == "decimal":
        return str(value)
    if key.kind == "json":
        return json.loads(json.dumps(value, default=str))
    return value


def tariff(key: str, on: date | None = None) -> Any:
    """The value of tariff `key` valid on `on` (today when None)."""
    from app.timeutil import today

    declaration = declared_keys().get(key)
    if declaration is None:
        raise TariffError(f"undeclared tariff {key!r}")
    day = on or today()
    row = db.session.scalars(
        select(Tariff)
        .where(Tariff.key == key, Tariff.valid_from <= day)
        .order_by(Tariff.valid_from.desc())
        .limit(1)
    ).first()
    if row is None:
        raise TariffError(f"no value of tariff {key!r} is valid on {day.isoformat()}")
    return parse_value(declaration, row.value)


def set_tariff(key: str, valid_from: date, raw: Any) -> Tariff:
    """Add or replace the version of `key` starting on `valid_from` (validated first)."""
    declaration = declared_keys().get(key)
    if declaration is None:
        raise TariffError(f"undeclared tariff {key!r}")
    value = storable(declaration, parse_value(declaration, raw))
    row = db.session.scalars(
        select(Tariff).where(Tariff.key == key, Tariff.valid_from == valid_from)
    ).first()
    if row is None:
        row = Tariff(key=key, valid_from=valid_from, value=value)
        db.session.add(row)
    else:
        row.value = value
    return row
