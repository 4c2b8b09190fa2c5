"""The kinds of tariff values, each declared once: how it is parsed, checked, stored and entered.

A tariff key (app.plugins.TariffKey) names its kind with its bounds, e.g.
`MoneyKind(maximum=Decimal("10000.00"))`. The kind's `parse` turns a stored value, a
form's input or an API body into the typed value, or raises ValueError with the rule that
was broken; `describe` says the rule in words; `store` gives the JSON form kept in
`core_tariff.value` (decimals as text, so no float ever stands in for money); `input`
tells the tariff form which editor to show. The stored format is the one used before
the kinds existed, so values already in a database keep loading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.money import format_chf

MAX_TABLE_ROWS = 50
MAX_DATES = 400


def _decimal(raw: Any) -> Decimal:
    """A finite Decimal from text, an int or a JSON number (read through its text form,
    as pydantic does); ValueError otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("a number is needed"))
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip().replace("'", "").replace("\u2019", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("%(value)s is not a number", value=repr(raw))) from None
    if not value.is_finite():
        raise ValueError(_("%(value)s is not a number", value=repr(raw)))
    return value


def _whole(raw: Any) -> int:
    """An int from an int or from text of digits; a bool or 1.5 is refused."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(_("a whole number is needed"))
    if isinstance(raw, int):
        return raw
    value = _decimal(raw)
    # "1e999999999" is a whole number too large to build: refuse it before int() tries.
    if value.adjusted() > 12 or value != value.to_integral_value():
        raise ValueError(_("%(value)s is not a whole number", value=repr(raw)))
    return int(value)


def _places(value: Decimal) -> int:
    return max(0, -value.as_tuple().exponent)


def _list(raw: Any) -> list:
    """A list from a stored JSON list, or from its JSON text (how values were entered)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(_("a list is needed")) from None
    if not isinstance(raw, list | tuple):
        raise ValueError(_("a list is needed"))
    if len(raw) > MAX_TABLE_ROWS:
        raise ValueError(_("at most %(count)d rows", count=MAX_TABLE_ROWS))
    return list(raw)


def _rows(raw: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = _list(raw)
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or set(row) != set(fields):
            raise ValueError(
                _("row %(row)d needs exactly: %(fields)s", row=number, fields=", ".join(fields))
            )
    return rows


def _form_rows(form: MultiDict, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a table editor (one input list per column); blank rows are left out."""
    columns = [form.getlist(name) for name in fields]
    rows = []
    for values in zip(*columns, strict=False):
        cells = [value.strip() for value in values]
        if any(cells):
            rows.append(dict(zip(fields, cells, strict=True)))
    return rows


class TariffKind:
    """A kind of tariff value; subclasses are small frozen dataclasses holding the bounds."""

    input = "text"  # which editor the tariff form shows (a macro in core/_tariff_inputs.html)

    def parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def store(self, value: Any) -> Any:
        """The JSON form of a parsed value."""
        return value

    def from_form(self, form: MultiDict) -> Any:
        """The raw value as the tariff form submits it (parsed afterwards)."""
        return form.get("value", "")

    def form_value(self, value: Any) -> Any:
        """What the editor shows for a parsed value."""
        return "" if value is None else str(value)

    def display(self, value: Any) -> str:
        """A parsed value as people read it on the tariff pages."""
        return str(value)

    def _range_error(self, raw: Any) -> ValueError:
        return ValueError(_("must be %(rule)s (given: %(value)s)", rule=self.describe(), value=raw))


@dataclass(frozen=True)
class MoneyKind(TariffKind):
    """An amount in CHF to the Rappen, from 0 up to `maximum`."""

    maximum: Decimal = Decimal("100000.00")
    input = "money"

    def parse(self, raw: Any) -> Decimal:
        value = _decimal(raw)
        if not Decimal("0") <= value <= self.maximum or _places(value) > 2:
            raise self._range_error(raw)
        return value.quantize(Decimal("0.01")) + 0

    def describe(self) -> str:
        return _("an amount in CHF from 0.00 to %(max)s", max=format_chf(self.maximum))

    def store(self, value: Decimal) -> str:
        return str(value)

    def form_value(self, value: Any) -> str:
        return "" if value is None else f"{value:.2f}"

    def display(self, value: Decimal) -> str:
        return f"CHF {format_chf(value)}"


@dataclass(frozen=True)
class PercentKind(TariffKind):
    """A percentage with at most two decimals, within [minimum, maximum] (default 0-100)."""

    minimum: Decimal = Decimal("0")
    maximum: Decimal = Decimal("100")
    input = "percent"

    def parse(self, raw: Any) -> Decimal:
        value = _decimal(raw)
        if not self.minimum <= value <= self.maximum or _places(value) > 2:
            raise self._range_error(raw)
        return value + 0

    def describe(self) -> str:
        return _(
            "a percentage from %(min)s to %(max)s with at most two decimals",
            min=self.minimum,
            max=self.maximum,
        )

    def store(self, value: Decimal) -> str:
        return str(value)

    def display(self, value: Decimal) -> str:
        return f"{format(value.normalize(), 'f')} %"


@dataclass(frozen=True)
class WholeNumberKind(TariffKind):
    """A whole number within [minimum, maximum]."""

    minimum: int = 0
    maximum: int = 1000
    input = "whole"

    def parse(self, raw: Any) -> int:
        value = _whole(raw)
        if not self.minimum <= value <= self.maximum:
            raise self._range_error(raw)
        return value

    def describe(self) -> str:
        return _("a whole number from %(min)d to %(max)d", min=self.minimum, max=self.maximum)


@dataclass(frozen=True)
class MinutesKind(WholeNumberKind):
    """A duration in whole minutes, at least one (a zero increment would divide by zero)."""

    minimum: int = 1
    maximum: int = 1440
    input = "whole"

    def describe(self) -> str:
        return _("whole minutes from %(min)d to %(max)d", min=self.minimum, max=self.maximum)

    def display(self, value: int) -> str:
        return f"{value} min"


@dataclass(frozen=True)
class BooleanKind(TariffKind):
    """Yes or no."""

    input = "boolean"

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "ja", "y", "on"):
            return True
        if text in ("false", "0", "no", "nein", "n", "off", ""):
            return False
        raise self._range_error(raw)

    def describe(self) -> str:
        return _("yes or no")

    def from_form(self, form: MultiDict) -> bool:
        return form.get("value") in ("y", "on", "true", "1")

    def form_value(self, value: Any) -> bool:
        return bool(value)

    def display(self, value: bool) -> str:
        return _("yes") if value else _("no")


@dataclass(frozen=True)
class DateListKind(TariffKind):
    """Calendar days, each once, kept in order (e.g. company closing days)."""

    input = "dates"

    def parse(self, raw: Any) -> list[date]:
        if isinstance(raw, str) and not raw.strip().startswith("["):
            raw = [line for line in raw.replace(",", "\n").splitlines() if line.strip()]
        items = raw if isinstance(raw, list | tuple) else _list(raw)
        if len(items) > MAX_DATES:
            raise ValueError(_("at most %(count)d dates", count=MAX_DATES))
        days = set()
        for item in items:
            if isinstance(item, date):
                days.add(item)
                continue
            try:
                days.add(date.fromisoformat(str(item).strip()))
            except ValueError:
                raise ValueError(
                    _("%(value)s is not a date (YYYY-MM-DD)", value=repr(item))
                ) from None
        return sorted(days)

    def describe(self) -> str:
        return _("dates (YYYY-MM-DD), one per line")

    def store(self, value: list[date]) -> list[str]:
        return [day.isoformat() for day in value]

    def form_value(self, value: Any) -> str:
        return "\n".join(day.isoformat() for day in value or ())

    def display(self, value: list[date]) -> str:
        return ", ".join(day.isoformat() for day in value) or "—"


@dataclass(frozen=True)
class VolumeBandsKind(TariffKind):
    """Volume discount bands: from `min_sites` sites on, `percent` off the list price."""

    fields = ("min_sites", "percent")
    max_sites: int = 10000
    input = "bands"

    def parse(self, raw: Any) -> list[dict[str, Any]]:
        bands = []
        previous = None
        for number, row in enumerate(_rows(raw, self.fields), start=1):
            try:
                sites = _whole(row["min_sites"])
                percent = _decimal(row["percent"])
            except ValueError as error:
                raise ValueError(_("row %(row)d: %(problem)s", row=number, problem=error)) from None
            if not 1 <= sites <= self.max_sites:
                raise ValueError(
                    _(
                        "row %(row)d: the minimum number of sites must be from 1 to %(max)d",
                        row=number,
                        max=self.max_sites,
                    )
                )
            if not Decimal("0") <= percent <= Decimal("100") or _places(percent) > 2:
                raise ValueError(
                    _(
                        "row %(row)d: the discount must be a percentage from 0 to 100 with at "
                        "most two decimals",
                        row=number,
                    )
                )
            if previous is not None and sites <= previous:
                raise ValueError(
                    _(
                        "row %(row)d: the minimum number of sites must be higher than in the row "
                        "above (%(previous)d)",
                        row=number,
                        previous=previous,
                    )
                )
            previous = sites
            bands.append({"min_sites": sites, "percent": percent + 0})
        return bands

    def describe(self) -> str:
        return _(
            "rows of a minimum number of sites (ascending, each once) and a discount in percent "
            "from 0 to 100"
        )

    def store(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"min_sites": b["min_sites"], "percent": str(b["percent"])} for b in value]

    def from_form(self, form: MultiDict) -> list[dict[str, str]]:
        return _form_rows(form, self.fields)

    def form_value(self, value: Any) -> list[dict[str, str]]:
        return [{k: str(v) for k, v in row.items()} for row in value or ()]

    def display(self, value: list[dict[str, Any]]) -> str:
        return (
            "; ".join(
                _(
                    "from %(sites)d sites: %(percent)s %%",
                    sites=b["min_sites"],
                    percent=b["percent"],
                )
                for b in value
            )
            or "—"
        )


@dataclass(frozen=True)
class ReminderLevelsKind(TariffKind):
    """Payment reminder levels: level, days after the due date, fee in CHF and the text
    the letter carries (one of `texts`: code -> label, declared by the plugin)."""

    fields = ("level", "days_overdue", "fee", "text")
    max_fee: Decimal = Decimal("1000.00")
    max_days: int = 365
    # The texts a level may name, e.g. (("reminder", "friendly reminder"), ...); the
    # first is what a level stored without a text (before texts existed) gets.
    texts: tuple[tuple[str, Any], ...] = (("reminder", "reminder"),)
    input = "levels"

    def _rows(self, raw: Any) -> list[dict[str, Any]]:
        rows = _list(raw)
        required = set(self.fields) - {"text"}
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or not required <= set(row) <= set(self.fields):
                raise ValueError(
                    _(
                        "row %(row)d needs exactly: %(fields)s",
                        row=number,
                        fields=", ".join(self.fields),
                    )
                )
        return rows

    def parse(self, raw: Any) -> list[dict[str, Any]]:
        fee_kind = MoneyKind(maximum=self.max_fee)
        codes = [code for code, _label in self.texts]
        levels = []
        previous: dict[str, Any] | None = None
        for number, row in enumerate(self._rows(raw), start=1):
            try:
                level, days = _whole(row["level"]), _whole(row["days_overdue"])
                fee = fee_kind.parse(row["fee"])
            except ValueError as error:
                raise ValueError(_("row %(row)d: %(problem)s", row=number, problem=error)) from None
            text = str(row.get("text") or codes[0]).strip()
            if text not in codes:
                raise ValueError(
                    _(
                        "row %(row)d: the text must be one of %(texts)s",
                        row=number,
                        texts=", ".join(codes),
                    )
                )
            if not 1 <= level <= 9:
                raise ValueError(_("row %(row)d: the level must be from 1 to 9", row=number))
            if not 0 <= days <= self.max_days:
                raise ValueError(
                    _(
                        "row %(row)d: the days overdue must be from 0 to %(max)d",
                        row=number,
                        max=self.max_days,
                    )
                )
            if previous is not None and level <= previous["level"]:
                raise ValueError(
                    _("row %(row)d: the level must be higher than in the row above", row=number)
                )
            if previous is not None and days <= previous["days_overdue"]:
                raise ValueError(
                    _(
                        "row %(row)d: the days overdue must be more than in the row above",
                        row=number,
                    )
                )
            previous = {"level": level, "days_overdue": days, "fee": fee, "text": text}
            levels.append(previous)
        return levels

    def describe(self) -> str:
        return _(
            "rows of a level, days overdue, a fee in CHF from 0.00 to %(max)s and a text; "
            "levels and days ascending",
            max=format_chf(self.max_fee),
        )

    def store(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**level, "fee": str(level["fee"])} for level in value]

    def from_form(self, form: MultiDict) -> list[dict[str, str]]:
        return _form_rows(form, self.fields)

    def form_value(self, value: Any) -> list[dict[str, str]]:
        return [
            {
                "level": str(r["level"]),
                "days_overdue": str(r["days_overdue"]),
                "fee": f"{r['fee']:.2f}",
                "text": str(r.get("text", "")),
            }
            for r in value or ()
        ]

    def text_label(self, code: str) -> str:
        return str(dict(self.texts).get(code, code))

    def display(self, value: list[dict[str, Any]]) -> str:
        return (
            "; ".join(
                _(
                    "level %(level)d after %(days)d days, CHF %(fee)s, %(text)s",
                    level=r["level"],
                    days=r["days_overdue"],
                    fee=format_chf(r["fee"]),
                    text=self.text_label(r.get("text", "")),
                )
                for r in value
            )
            or "—"
        )


@dataclass(frozen=True)
class Column:
    """A column of the generic row editor: a choice (`choices`) or a whole number."""

    name: str
    label: Any
    choices: tuple[tuple[str, Any], ...] = ()
    min: int = 0
    max: int = 0


class RowsKind(TariffKind):
    """A table of rows whose columns the kind declares (`columns()`); the form shows one
    select or number input per cell, never raw JSON (core/_tariff_inputs.html, "rows")."""

    input = "rows"

    def columns(self) -> tuple[Column, ...]:
        raise NotImplementedError

    def from_form(self, form: MultiDict) -> list[dict[str, str]]:
        return _form_rows(form, tuple(column.name for column in self.columns()))

    def form_value(self, value: Any) -> list[dict[str, str]]:
        names = [column.name for column in self.columns()]
        return [{name: str(row.get(name, "")) for name in names} for row in value or ()]
