"""A tier's service hours worded from its service windows, in the reader's language.

The windows (`TierVersion.service_windows`) are the one statement of the service hours;
this is how people read them: "Mo–Fr 07–19h" in German, "lun.–ven. 07–19h" in French,
"lun–ven 07–19h" in Italian, "Mon–Fri 07–19h" in English. Day names are Babel's
abbreviated stand-alone forms (nothing to translate by hand); a time on the full hour is
its hour, any other time hours and minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from flask_babel import get_locale

DAY_RANGE = "–"  # an en dash: Mo–Fr, 07–19h
# Days that follow each other are a range from this many on (Mo–Mi), fewer are listed (Sa, So).
RANGE_FROM = 3


def _day_names(locale: Locale | str) -> list[str]:
    names = get_day_names("abbreviated", context="stand-alone", locale=locale)
    return [names[day] for day in range(7)]  # Babel's days are Monday = 0, as stored


def _days_text(days: Iterable[int], names: Sequence[str]) -> str:
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= RANGE_FROM:
            parts.append(f"{names[run[0]]}{DAY_RANGE}{names[run[-1]]}")
        else:
            parts.extend(names[day] for day in run)
    return ", ".join(parts)


def _window_text(start: str, end: str) -> str:
    if start.endswith(":00") and end.endswith(":00"):
        return f"{start[:2]}{DAY_RANGE}{end[:2]}h"
    return f"{start}{DAY_RANGE}{end}"


def service_hours_text(windows: Sequence[Mapping[str, Any]], locale: Locale | str) -> str:
    """The service hours of `windows` worded in `locale`.

    Windows on the same days share one day list ("Mo–Fr 08–12h, 14–18h"); windows on
    other days follow after a semicolon ("Mo–Fr 07–19h; Sa 08–12h"), earliest day first.
    """
    names = _day_names(locale)
    by_days: dict[tuple[int, ...], list[tuple[str, str]]] = {}
    for window in windows:
        days = tuple(sorted(set(window["days"])))
        by_days.setdefault(days, []).append((window["start"], window["end"]))
    groups = sorted(by_days.items(), key=lambda group: (group[0], min(group[1])))
    return "; ".join(
        f"{_days_text(days, names)} "
        + ", ".join(_window_text(start, end) for start, end in sorted(spans))
        for days, spans in groups
    )


def service_hours(windows: Sequence[Mapping[str, Any]]) -> str:
    """The service hours of `windows` in the language in force (the page's or document's)."""
    return service_hours_text(windows, get_locale() or "de")
