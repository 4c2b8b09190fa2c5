"""Web forms; their data is validated by the same pydantic schemas as the API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import BaseModel, ValidationError
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from app.errors import RuleViolation
from app.models.customers import CANTONS, InvoiceMode, Language
from app.models.users import Role
from app.validation import problem_text


def choices(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects; tuples are deprecated."""
    return [SelectChoice(value, label) for value, label in pairs]


LANGUAGE_CHOICES = choices(Language.choices())


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


class NameFirst:
    """Shows the field named `first` before the address fields the form inherits (which
    WTForms would list first, as they were declared first): people fill in a customer
    by its company name, a site by its name."""

    first = ""

    def __iter__(self):
        fields = list(super().__iter__())
        lead = [field for field in fields if field.short_name == self.first]
        return iter(lead + [field for field in fields if field.short_name != self.first])


class CustomerForm(NameFirst, AddressFields, FlaskForm):
    first = "legal_name"
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=70)])
    billing_email = EmailField(_l("Billing e-mail"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="de")
    invoice_mode = SelectField(
        _l("Invoices"),
        choices=choices(InvoiceMode.choices()),
        default=InvoiceMode.PER_SITE.value,
    )
    active = BooleanField(_l("Active"), default=True)


class SiteForm(NameFirst, AddressFields, FlaskForm):
    first = "name"
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
    # No role preselected: the first one is Administrator, and an admin who overlooked the
    # field made every new colleague an administrator. Now the field must be chosen.
    role = SelectField(
        _l("Role"), choices=choices([("", "—"), *Role.choices()]), validators=[DataRequired()]
    )
    customer_id = SelectField(_l("Customer (for customer users)"), coerce=str, choices=[])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="de")
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])
    active = BooleanField(_l("Active"), default=True)


class TariffForm(FlaskForm):
    """The new value itself is entered with the editor of the tariff's kind
    (core/_tariff_inputs.html) and read by the kind (TariffKind.from_form)."""

    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])


WEEKDAY_CHOICES = choices(
    [
        (0, _l("Mon")),
        (1, _l("Tue")),
        (2, _l("Wed")),
        (3, _l("Thu")),
        (4, _l("Fri")),
        (5, _l("Sat")),
        (6, _l("Sun")),
    ]
)
CLOCK = Regexp(
    r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)?$",
    message=_l("Enter the time as HH:MM, e.g. 07:00 (24:00 for midnight at the end)."),
)


class ServiceWindowForm(Form):
    """One row of service hours: some days of the week, from - until (Zurich time)."""

    days = SelectMultipleField(
        _l("Days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    start = StringField(_l("From (HH:MM)"), validators=[CLOCK], render_kw={"placeholder": "07:00"})
    end = StringField(_l("Until (HH:MM)"), validators=[CLOCK], render_kw={"placeholder": "19:00"})

    def is_blank(self) -> bool:
        return not self.days.data and not self.start.data and not self.end.data


class TierVersionForm(FlaskForm):
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=70)])
    monthly_price = DecimalField(
        _l("Monthly price per site (CHF, excl. VAT)"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
        widget=NumberInput(step="0.01", min=0, max=100000),
    )
    windows = FieldList(FormField(ServiceWindowForm), min_entries=1, max_entries=14)
    holidays_closed = BooleanField(_l("Closed on public holidays"), default=True)
    reaction_kind = SelectField(_l("FirstReaction"), choices=[])
    reaction_hours = IntegerField(
        _l("FirstReaction within (hours)"),
        validators=[Optional(), NumberRange(min=1, max=240)],
        widget=NumberInput(step=1, min=1, max=240),
    )
    free_service_units = IntegerField(
        _l("Free service units per contract year"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
        widget=NumberInput(step=1, min=0, max=1000),
    )


class VatRateForm(FlaskForm):
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    rate = DecimalField(
        _l("Rate (%)"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        widget=NumberInput(step="0.01", min=0, max=100),
    )
    valid_to = DateField(_l("Valid to (optional, for a limited rate)"), validators=[Optional()])


class CompanyForm(AddressFields, FlaskForm):
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=70)])
    uid = StringField(
        _l("UID/MWST number"),
        validators=[Length(max=40)],
        render_kw={"placeholder": "CHE-123.456.789 MWST"},
    )
    qr_iban = StringField(
        _l("QR-IBAN"), validators=[Length(max=42)], render_kw={"placeholder": "CH.. 3..."}
    )
    email = EmailField(_l("E-mail"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=32)])
    website = StringField(_l("Website"), validators=[Length(max=200)])
    public_base_url = StringField(
        _l("Public base URL of links"),
        validators=[Length(max=200)],
        render_kw={"placeholder": "https://erp.example.ch"},
    )
    reminder_fees = BooleanField(_l("Our terms allow reminder fees"))
    default_interest = BooleanField(_l("Claim default interest on overdue invoices (OR 104)"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=70)])
