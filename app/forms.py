"""Web forms; their data is validated by the same pydantic schemas as the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import BaseModel, ValidationError
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.errors import RuleViolation
from app.models.customers import CANTONS
from app.models.users import ROLES
from app.validation import problem_text


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects; tuples are deprecated."""
    return [SelectChoice(value, label) for value, label in pairs]


LANGUAGE_CHOICES = choices([("de", "Deutsch"), ("en", "English")])


def validate_into(form: FlaskForm, schema: type[BaseModel], **extra: Any) -> BaseModel | None:
    """The form's data as a schema instance, or None with the errors put on the fields."""
    data = {
        name: field.data
        for name, field in form._fields.items()
        if name in schema.model_fields and field.data not in (None,)
    }
    data.update(extra)
    for name, value in list(data.items()):
        if isinstance(value, str) and value == "" and _optional_empty(schema, name):
            del data[name]
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            field_name = str(item["loc"][0]) if item["loc"] else None
            target = form._fields.get(field_name) if field_name else None
            message = problem_text(item)
            if target is not None:
                target.errors = [*list(target.errors or []), message]
            else:
                form.form_errors.append(message)
        return None


def _optional_empty(schema: type[BaseModel], name: str) -> bool:
    field = schema.model_fields.get(name)
    return field is not None and not field.is_required() and field.default in (None,)


def apply_rule_violation(form: FlaskForm, error: RuleViolation) -> None:
    target = form._fields.get(error.field) if error.field else None
    if target is not None:
        target.errors = [*list(target.errors or []), str(error)]
    else:
        form.form_errors.append(str(error))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class AddressFields:
    street = StringField(_l("Street"), validators=[DataRequired(), Length(max=70)])
    house_number = StringField(_l("No."), validators=[Length(max=16)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=16)])
    town = StringField(_l("Town"), validators=[DataRequired(), Length(max=35)])
    country = StringField(_l("Country"), default="CH", validators=[DataRequired(), Length(max=2)])


class CustomerForm(AddressFields, FlaskForm):
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=70)])
    billing_email = EmailField(_l("Billing e-mail"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="de")
    invoice_mode = SelectField(
        _l("Invoices"),
        choices=choices(
            [
                ("per_site", _l("One invoice per site")),
                ("consolidated", _l("One consolidated invoice")),
            ]
        ),
        default="per_site",
    )
    active = BooleanField(_l("Active"), default=True)


class SiteForm(AddressFields, FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=70)])
    canton = SelectField(_l("Canton"), choices=choices((c, c) for c in CANTONS), default="AG")
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    active = BooleanField(_l("Active"), default=True)


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=70)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    authorised_caller = BooleanField(_l("Authorised caller"))
    pin = PasswordField(_l("New PIN (4-8 digits)"), validators=[Optional(), Length(min=4, max=8)])
    active = BooleanField(_l("Active"), default=True)


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=70)])
    role = SelectField(_l("Role"), choices=choices((r, r) for r in ROLES))
    customer_id = SelectField(_l("Customer (for customer users)"), coerce=str, choices=[])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="de")
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])
    active = BooleanField(_l("Active"), default=True)


class TariffForm(FlaskForm):
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    value = TextAreaField(_l("Value"), validators=[DataRequired(), Length(max=4000)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=70)])
