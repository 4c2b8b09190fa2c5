"""gettext for service rules that also run outside requests (jobs, CLI, tests): English there."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext, ngettext


def _(text: str, **variables) -> str:
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text


def n_(singular: str, plural: str, num: int, **variables) -> str:
    """The plural form of _ (German "1 Stunde" / "6 Stunden", not "Stunde(n)")."""
    if has_request_context():
        return ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return (singular if num == 1 else plural) % variables
