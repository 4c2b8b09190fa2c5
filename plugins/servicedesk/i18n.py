"""gettext for service rules that also run outside requests (jobs, CLI, tests): English there."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(text: str, **variables) -> str:
    if has_request_context():
        return gettext(text, **variables)
    return text % variables if variables else text
