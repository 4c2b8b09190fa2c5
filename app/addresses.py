"""Postal addresses: the country is an ISO 3166 code, a Swiss or Liechtenstein postal code
is four digits in its country's range. The QR-bill refuses anything else, so an address
is checked when it is saved, not when the first invoice is issued.
"""

from __future__ import annotations

import re

import pycountry
from flask_babel import gettext as _

from app.errors import RuleViolation

# Swiss postal codes run from 1000 to 9999; Liechtenstein's eleven lie in 9485-9499.
POSTAL_RANGES = {"CH": (1000, 9999), "LI": (9485, 9499)}
_FOUR_DIGITS = re.compile(r"^[0-9]{4}$")


def is_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 code of a country (e.g. CH, LI, DE)."""
    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def country_problem(code: str) -> str | None:
    if is_country(code):
        return None
    if not (code or "").strip():
        return _("The country is missing.")
    return _("%(code)s is not an ISO 3166 country code (e.g. CH, LI, DE).", code=code)


def postal_code_problem(country: str, postal_code: str) -> str | None:
    """Why `postal_code` cannot be one of `country`'s (None: it can, or we do not know)."""
    bounds = POSTAL_RANGES.get(country.upper())
    if bounds is None:
        return None
    low, high = bounds
    if not (postal_code or "").strip():
        return _("The postal code is missing.")
    if not _FOUR_DIGITS.match(postal_code) or not low <= int(postal_code) <= high:
        return _(
            "%(code)s is not a postal code of %(country)s (four digits, %(low)s-%(high)s).",
            code=postal_code,
            country=country.upper(),
            low=low,
            high=high,
        )
    return None


def address_problem(country: str, postal_code: str) -> str | None:
    """Why the QR-bill and the letter cannot carry this address (None: they can)."""
    return country_problem(country) or postal_code_problem(country, postal_code)


def check_address(country: str, postal_code: str) -> None:
    """Refuse an address the QR-bill would refuse: an unknown country, or a postal code
    that cannot be Swiss or Liechtenstein's."""
    country = country or "CH"  # not given: the column's default
    problem = country_problem(country)
    if problem:
        raise RuleViolation(problem, "country")
    problem = postal_code_problem(country, postal_code)
    if problem:
        raise RuleViolation(problem, "postal_code")
