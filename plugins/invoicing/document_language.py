"""The language of a customer document (invoice, credit note, reminder, their e-mails).

A document is written in its customer's language, not in the language of whoever clicks
"issue": it is rendered under `flask_babel.force_locale(language_of(invoice))`, so its
words come from the same catalogs as the pages.
"""

from __future__ import annotations

from datetime import date

from app.toolkit import LANGUAGES

HOUSE_LANGUAGE = "de"  # for a language this installation does not offer


def language_of(invoice) -> str:
    """The language a document is written in: the customer's, German when unsupported."""
    return invoice.language if invoice.language in LANGUAGES else HOUSE_LANGUAGE


def format_date(day: date | None) -> str:
    """A day as Swiss documents write it in each of the four languages: 31.12.2026."""
    return "" if day is None else f"{day:%d.%m.%Y}"
