"""Marks where a desk search matched a text, so the agent sees at a glance why a row is listed.

The search finds names by their letters and phone numbers by their digits (a caller reads
"0791234567", the record says "+41 79 123 45 67"); the marks follow the same two rules.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# intake.find_callers matches phone numbers on their last nine digits, from four digits on.
MIN_DIGITS = 4
LAST_DIGITS = 9


def _pattern(query: str) -> re.Pattern | None:
    text = (query or "").strip()
    if not text:
        return None
    alternatives = [re.escape(text)]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= MIN_DIGITS:
        alternatives.append(r"\D{0,3}".join(digits[-LAST_DIGITS:]))
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


def marked(value: object, query: str) -> Markup:
    """`value` as safe HTML with every match of `query` wrapped in <mark>."""
    text = "" if value is None else str(value)
    pattern = _pattern(query)
    if pattern is None:
        return escape(text)
    parts, position = [], 0
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup("<mark>%s</mark>") % text[match.start() : match.end()])
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
