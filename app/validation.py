"""Validated input from pages: one way for every form, the pydantic schemas the API uses.

`form_input(Schema)` reads the submitted form into the schema (the same models that
validate API bodies) and raises `InvalidInput` (a RuleViolation, so `committed_or_flash`
shows it and keeps nothing) with each field's problem in the user's language.
`problem_text` words a pydantic error item for people; pages and the API both use it.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError

from app.errors import RuleViolation

_TRUE = {"1", "on", "true", "yes", "ja"}


def problem_text(item: dict[str, Any]) -> str:
    """A pydantic error item as a sentence people understand (translated)."""
    kind = item.get("type", "")
    context = item.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_too_short",) and context.get("min_length") == 1:
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(count)s characters.", count=context.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(count)s characters.", count=context.get("min_length"))
    if kind == "string_pattern_mismatch":
        return _("This value has the wrong format.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "finite_number"):
        return _("Enter a number.")
    if kind in ("decimal_max_places",):
        return _("At most %(count)s decimal places.", count=context.get("decimal_places"))
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("This number is too large.")
    if kind in ("greater_than_equal",):
        return _("Must be at least %(limit)s.", limit=context.get("ge"))
    if kind in ("greater_than",):
        return _("Must be more than %(limit)s.", limit=context.get("gt"))
    if kind in ("less_than_equal",):
        return _("Must be at most %(limit)s.", limit=context.get("le"))
    if kind in ("less_than",):
        return _("Must be less than %(limit)s.", limit=context.get("lt"))
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return _("Enter a date (YYYY-MM-DD).")
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return _("Enter a date and time.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of the offered values.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Choose yes or no.")
    if kind == "value_error" and "email" in str(item.get("msg", "")).lower():
        return _("Enter a valid e-mail address.")
    if kind == "extra_forbidden":
        return _("This field is not expected here.")
    if kind == "value_error":
        # Our own validators raise ValueError with a message already meant for people.
        return str(context.get("error") or item.get("msg", "")).removeprefix("Value error, ")
    return str(item.get("msg", ""))


def problems(error: ValidationError) -> list[dict[str, str]]:
    """[{field, message}] for each problem of a validation error."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]),
            "message": problem_text(item),
        }
        for item in error.errors(include_url=False, include_input=False)
    ]


class InvalidInput(RuleViolation):
    """Submitted input that does not pass its schema; `details` names each field."""

    def __init__(self, details: list[dict[str, str]]):
        self.details = details
        text = "; ".join(f"{d.get('label') or d['field']}: {d['message']}" for d in details)
        super().__init__(_("Please correct the input: %(problems)s", problems=text))
        self.field = details[0]["field"] if details else None


def _is_bool(annotation: Any) -> bool:
    return annotation is bool or (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and bool in typing.get_args(annotation)
    )


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin in (list, tuple, set, frozenset)


def form_input(schema: type[BaseModel], **extra: Any) -> BaseModel:
    """The submitted form (`request.form`) as an instance of `schema`, or InvalidInput.

    Empty fields count as not given (their default applies, or "required" is reported);
    a checkbox is True when sent and False when not; list fields take every value sent.
    `extra` adds values that do not come from the form (e.g. a path parameter).
    """
    data: dict[str, Any] = {}
    for name, field in schema.model_fields.items():
        if _is_bool(field.annotation):
            data[name] = request.form.get(name, "").strip().lower() in _TRUE
        elif _is_list(field.annotation):
            values = [v for v in request.form.getlist(name) if v.strip()]
            if values:
                data[name] = values
        else:
            value = request.form.get(name)
            if value is not None and value.strip() != "":
                data[name] = value
    data.update(extra)
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        details = problems(error)
        for detail in details:
            field = schema.model_fields.get(detail["field"].split(".")[0])
            if field is not None and field.title:
                detail["label"] = str(field.title)
        raise InvalidInput(details) from error
