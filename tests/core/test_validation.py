"""One validated path for page input: the API's pydantic schemas, worded for people."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pytest
from flask_babel import force_locale
from pydantic import BaseModel, Field

from app.validation import InvalidInput, form_input


class Entry(BaseModel):
    description: Annotated[str, Field(min_length=1, max_length=20, title="Beschreibung")]
    minutes: Annotated[int, Field(gt=0, le=1440)]
    price: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)] = Decimal("0.00")
    billable: bool = True
    days: list[str] = []


def _post(app, data):
    return app.test_request_context("/", method="POST", data=data)


def test_a_valid_form_becomes_the_schema_with_checkboxes_and_lists(app):
    with _post(app, {"description": "Router", "minutes": "30", "days": ["mo", "tu"]}):
        entry = form_input(Entry)
    assert entry == Entry(description="Router", minutes=30, billable=False, days=["mo", "tu"])
    with _post(app, {"description": "x", "minutes": "5", "billable": "on", "price": "12.50"}):
        assert form_input(Entry).billable is True and form_input(Entry).price == Decimal("12.50")


def test_empty_and_invalid_fields_are_refused_with_german_reasons(app):
    data = {"description": "", "minutes": "0", "price": "-1"}
    with _post(app, data), force_locale("de"), pytest.raises(InvalidInput) as refused:
        form_input(Entry)
    fields = {detail["field"]: detail["message"] for detail in refused.value.details}
    assert fields == {
        "description": "Dieses Feld ist erforderlich.",
        "minutes": "Muss grösser als 0 sein.",
        "price": "Muss mindestens 0 sein.",
    }
    assert str(refused.value).startswith("Bitte korrigieren Sie die Eingabe: Beschreibung:")


def test_numbers_that_are_not_numbers_or_too_long_text_are_named(app):
    data = {"description": "x" * 21, "minutes": "1e9999"}
    with _post(app, data), force_locale("en"), pytest.raises(InvalidInput) as refused:
        form_input(Entry)
    assert {d["field"]: d["message"] for d in refused.value.details} == {
        "description": "At most 20 characters.",
        "minutes": "Enter a whole number.",
    }
