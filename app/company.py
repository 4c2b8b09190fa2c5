"""The company data every document and link uses: `company()`, its checks and placeholders.

The values come from the single `core_company` row the admin edits on the Company page;
a deployment may set any of them with an environment variable `WINET_COMPANY_<FIELD>`
(e.g. `WINET_COMPANY_QR_IBAN`), which wins over the row. `company_placeholders()` names
what is still empty, a known sample or demo value, invalid, or a localhost base URL; in
production (`WINET_ENV` or `ENV` set to production) invoicing issues nothing while any is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from stdnum import iban as iban_numbers
from stdnum.ch import uid as uid_numbers
from stdnum.exceptions import ValidationError as NumberError

from app.addresses import check_address
from app.config import is_production
from app.database import db
from app.models.company import COMPANY_ROW_ID, Company

ENVIRONMENT_PREFIX = "WINET_COMPANY_"

# The QR-bill needs a QR-IBAN for QR references: its institution id (IID, digits 5-9)
# lies in this range (SIX, Swiss Implementation Guidelines QR-bill).
QR_IID_RANGE = range(30000, 32000)

LABELS = {
    "legal_name": _l("Legal name"),
    "street": _l("Street"),
    "house_number": _l("No."),
    "postal_code": _l("Postal code"),
    "town": _l("Town"),
    "country": _l("Country"),
    "uid": _l("UID/MWST number"),
    "qr_iban": _l("QR-IBAN"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "website": _l("Website"),
    "public_base_url": _l("Public base URL of links"),
}
# A Swiss address may have no house number; everything else must be real in production.
OPTIONAL = frozenset({"house_number"})

# The data of the SPEC's letterhead (section 5), seeded once; the admin completes the rest.
SEED_COMPANY = {
    "legal_name": "Winet Voicetec Solutions AG",
    "street": "Täfernstrasse",
    "house_number": "31",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "country": "CH",
}

# DEMO VALUES, clearly fictitious but valid, loaded by `flask demo load` (make run): the
# SIX sample QR-IBAN of the QR-bill guidelines, a UID with a correct check digit that
# belongs to nobody, and .example addresses. Each counts as a placeholder.
DEMO_COMPANY = {
    "uid": "CHE-123.456.788",
    "qr_iban": "CH4431999123000889012",
    "email": "rechnungen@winet.example",
    "phone": "+41 56 000 00 00",
    "website": "https://www.winet.example",
    "public_base_url": "http://127.0.0.1:5000",
}

# Values known from samples and earlier placeholders: never an invoice in production.
SAMPLE_VALUES = {
    "uid": {"CHE-000.000.000", DEMO_COMPANY["uid"]},
    "qr_iban": {DEMO_COMPANY["qr_iban"]},
    "email": {DEMO_COMPANY["email"]},
    "phone": {DEMO_COMPANY["phone"]},
    "website": {DEMO_COMPANY["website"]},
}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "testserver"}


# --- checks of single values (used by the schema and for environment values) ----------


def normalise_uid(value: str) -> str:
    """A UID/MWST number as "CHE-123.456.789"; ValueError unless its check digit is right."""
    text = value.strip().upper()
    for suffix in ("MWST", "TVA", "IVA", "VAT"):
        text = text.removesuffix(suffix).strip()
    try:
        return uid_numbers.format(uid_numbers.validate(text))
    except NumberError:
        raise ValueError(
            _("%(value)s is not a valid UID (CHE-123.456.789, check digit included)", value=value)
        ) from None


def normalise_qr_iban(value: str) -> str:
    """A QR-IBAN in compact form; ValueError for an invalid IBAN or an ordinary one."""
    try:
        compact = iban_numbers.validate(value)
    except NumberError:
        raise ValueError(_("%(value)s is not a valid IBAN", value=value)) from None
    if compact[:2] not in ("CH", "LI") or int(compact[4:9]) not in QR_IID_RANGE:
        raise ValueError(
            _(
                "%(value)s is an ordinary IBAN, not a QR-IBAN: the QR-bill with a QR reference "
                "needs the QR-IBAN of the account (institution id 30000-31999).",
                value=iban_numbers.format(compact),
            )
        )
    return compact


def normalise_url(value: str) -> str:
    """An http(s) address without query or fragment, without a trailing slash."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(_("%(value)s is not a web address (https://...)", value=value))
    return value.strip().rstrip("/")


def format_vat_number(uid: str) -> str:
    return f"{uid} MWST" if uid else ""


# --- the accessor ---------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyData:
    legal_name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    uid: str
    qr_iban: str
    email: str
    phone: str
    website: str
    public_base_url: str
    # Switches of the terms of business (not printed; never placeholders).
    reminder_fees: bool = True
    default_interest: bool = False

    @property
    def vat_number(self) -> str:
        """As printed on documents: "CHE-123.456.789 MWST"."""
        return format_vat_number(self.uid)

    @property
    def qr_iban_formatted(self) -> str:
        return iban_numbers.format(self.qr_iban) if self.qr_iban else ""

    def letterhead(self) -> dict[str, str]:
        """The sender block of PDFs (the keys the document templates use)."""
        return {
            "name": self.legal_name,
            "street": self.street,
            "house_number": self.house_number,
            "postal_code": self.postal_code,
            "town": self.town,
            "country": self.country,
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "vat_number": self.vat_number,
        }

    def link(self, path: str) -> str:
        """An absolute link for e-mails and PDFs: the public base URL + `path`."""
        return f"{self.public_base_url.rstrip('/')}/{path.lstrip('/')}"


SWITCHES = ("reminder_fees", "default_interest")
SWITCH_LABELS = {
    "reminder_fees": _l("Our terms allow reminder fees"),
    "default_interest": _l("Claim default interest on overdue invoices (OR 104)"),
}
# The text fields (letterhead, numbers, links); the switches are handled apart.
FIELDS = tuple(f.name for f in fields(CompanyData) if f.name not in SWITCHES)


def environment_values() -> dict[str, str]:
    """The fields a deployment sets with WINET_COMPANY_<FIELD> (non-empty values only)."""
    found = {}
    for name in FIELDS:
        value = os.environ.get(ENVIRONMENT_PREFIX + name.upper(), "").strip()
        if value:
            found[name] = value
    return found


def _checked_environment() -> tuple[dict[str, str], dict[str, str]]:
    """(normalised environment values, problems by field) - a wrong variable is reported,
    never silently used."""
    from app.schemas import CompanyIn

    values, problems = {}, {}
    for name, raw in environment_values().items():
        try:
            probe = CompanyIn.model_validate({**_PROBE, name: raw})
            values[name] = getattr(probe, name)
        except ValidationError as error:
            message = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
            problems[name] = f"{ENVIRONMENT_PREFIX}{name.upper()}: {message}"
            values[name] = raw
    return values, problems


# Valid filler for the required fields, so that one environment value can be checked alone.
_PROBE = {"legal_name": "x", "street": "x", "postal_code": "1", "town": "x"}


def stored_company() -> Company | None:
    """The row (from the session's identity map after the first read: no query per call)."""
    return db.session.get(Company, COMPANY_ROW_ID)


# Set inside `company_fixed()`: the data read on entry.
_fixed_company: ContextVar[CompanyData | None] = ContextVar("fixed_company", default=None)


@contextmanager
def company_fixed() -> Iterator[CompanyData]:
    """Inside, `company()` is the data read on entry. For a batch of documents (an
    issuing job): every one of them carries the same letterhead and payee, even if an
    administrator edits the company data meanwhile, and the row is not read again after
    each document's commit (seven reads per invoice before)."""
    token = _fixed_company.set(company())
    try:
        yield _fixed_company.get()
    finally:
        _fixed_company.reset(token)


def company() -> CompanyData:
    """The company data in force: environment variables over the row.

    The public base URL falls back to the PUBLIC_BASE_URL setting when neither is set.
    """
    fixed = _fixed_company.get()
    if fixed is not None:
        return fixed
    row = stored_company()
    values = {name: (getattr(row, name) if row is not None else "") or "" for name in FIELDS}
    values.update(_checked_environment()[0])
    if not values["public_base_url"]:
        values["public_base_url"] = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    if row is not None:
        values.update({name: bool(getattr(row, name)) for name in SWITCHES})
    return CompanyData(**values)


def in_production() -> bool:
    return is_production(current_app.config)


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in LOCAL_HOSTS or host.endswith(".localhost")


def placeholder_fields() -> dict[str, str]:
    """Field -> why it is still a placeholder (empty, a sample or demo value, invalid, or
    a local base URL)."""
    data = company()
    problems = _checked_environment()[1]
    found = {}
    for name in FIELDS:
        value = getattr(data, name)
        if name in problems:
            found[name] = problems[name]
        elif not value and name not in OPTIONAL:
            found[name] = _("empty")
        elif value and value in SAMPLE_VALUES.get(name, ()):
            found[name] = _("a sample or demo value")
        elif name == "public_base_url" and _is_local(value):
            found[name] = _("a local address")
    return found


def company_placeholders() -> list[str]:
    """The translated names of the fields still holding a placeholder, e.g. ["QR-IBAN"]."""
    return [str(LABELS[name]) for name in placeholder_fields()]


# --- changing it ----------------------------------------------------------------------


def update_company(data) -> Company:
    """Store the admin's company data (a validated app.schemas.CompanyIn; flushes).

    Fields set by the environment keep their stored value: the environment wins, so
    what the page shows for them is not what it would save.
    """
    row = stored_company()
    if row is None:
        row = Company(id=COMPANY_ROW_ID)
        db.session.add(row)
    from_environment = environment_values()
    for name in FIELDS:
        if name not in from_environment:
            setattr(row, name, getattr(data, name))
    for name in SWITCHES:
        setattr(row, name, bool(getattr(data, name)))
    check_address(row.country, row.postal_code)
    db.session.flush()
    return row


def seed_company() -> None:
    """The SPEC's letterhead as the first row; an existing row is never overwritten."""
    if stored_company() is None:
        db.session.add(Company(id=COMPANY_ROW_ID, **SEED_COMPANY))
        db.session.flush()


def load_demo_company() -> None:
    """Fill the fields still empty with the DEMO values (placeholders all of them)."""
    seed_company()
    row = stored_company()
    for name, value in DEMO_COMPANY.items():
        if not getattr(row, name):
            setattr(row, name, value)
    db.session.flush()
