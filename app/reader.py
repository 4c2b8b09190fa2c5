"""The language of a page opened through a customer's signed link (a quote, a pay link).

Nobody is logged in there, so the page speaks the customer's language, the one its
documents and e-mails are written in; a visitor's own choice (`?lang=`, the language
switcher) still wins.
"""

from __future__ import annotations

from flask import request, session
from flask_babel import force_locale

from app.models.customers import LANGUAGES, Language


def link_language(customer_language: str | None) -> str:
    for chosen in (request.args.get("lang"), session.get("language")):
        if chosen in LANGUAGES:
            return chosen
    return customer_language if customer_language in LANGUAGES else Language.DE.value


def link_locale(customer_language: str | None):
    """A context manager: render the page in link_language(customer_language)."""
    return force_locale(link_language(customer_language))
