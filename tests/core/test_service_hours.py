"""Service hours are worded from the tier's windows in the reader's language, never stored."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.seed import TIER_CATALOG
from app.service_hours import service_hours, service_hours_text

WINDOWS = {entry["code"]: entry["service_windows"] for entry in TIER_CATALOG}

# The German forms are the SPEC's and the provider's page's (SPEC section 1).
CATALOG_WORDED = {
    "de": {
        "premium": "Mo–So 00–24h",
        "pro_plus": "Mo–Sa 07–19h",
        "pro": "Mo–Fr 07–19h",
        "basic_plus": "Mo–Fr 08–12h, 14–18h",
        "basic": "Mo–Fr 09–12h, 14–17h",
    },
    "fr": {
        "premium": "lun.–dim. 00–24h",
        "pro_plus": "lun.–sam. 07–19h",
        "pro": "lun.–ven. 07–19h",
        "basic_plus": "lun.–ven. 08–12h, 14–18h",
        "basic": "lun.–ven. 09–12h, 14–17h",
    },
    "it": {
        "premium": "lun–dom 00–24h",
        "pro_plus": "lun–sab 07–19h",
        "pro": "lun–ven 07–19h",
        "basic_plus": "lun–ven 08–12h, 14–18h",
        "basic": "lun–ven 09–12h, 14–17h",
    },
    "en": {
        "premium": "Mon–Sun 00–24h",
        "pro_plus": "Mon–Sat 07–19h",
        "pro": "Mon–Fri 07–19h",
        "basic_plus": "Mon–Fri 08–12h, 14–18h",
        "basic": "Mon–Fri 09–12h, 14–17h",
    },
}


@pytest.mark.parametrize("language", sorted(CATALOG_WORDED))
def test_the_catalogs_five_tiers_are_worded_in_each_language(language):
    worded = {code: service_hours_text(windows, language) for code, windows in WINDOWS.items()}
    assert worded == CATALOG_WORDED[language]


def test_days_that_do_not_follow_each_other_are_listed():
    windows = [{"days": [0, 2, 4], "start": "08:00", "end": "12:00"}]
    assert service_hours_text(windows, "de") == "Mo, Mi, Fr 08–12h"
    assert service_hours_text(windows, "en") == "Mon, Wed, Fri 08–12h"


def test_a_run_of_days_is_a_range_and_two_days_are_listed():
    windows = [{"days": [5, 6, 0, 1, 2], "start": "10:00", "end": "16:00"}]
    assert service_hours_text(windows, "de") == "Mo–Mi, Sa, So 10–16h"


def test_a_window_to_midnight_ends_at_24():
    windows = [{"days": [5], "start": "18:00", "end": "24:00"}]
    assert service_hours_text(windows, "fr") == "sam. 18–24h"


def test_minutes_are_shown_with_the_hour():
    windows = [{"days": [0, 1, 2, 3, 4], "start": "07:30", "end": "19:00"}]
    assert service_hours_text(windows, "de") == "Mo–Fr 07:30–19:00"
    assert service_hours_text(windows, "it") == "lun–ven 07:30–19:00"


def test_windows_on_other_days_follow_after_a_semicolon_earliest_day_first():
    windows = [
        {"days": [5], "start": "08:00", "end": "12:00"},
        {"days": [0, 1, 2, 3, 4], "start": "14:00", "end": "18:00"},
        {"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "12:00"},
    ]
    assert service_hours_text(windows, "de") == "Mo–Fr 07–12h, 14–18h; Sa 08–12h"


def test_the_language_in_force_words_them(app):
    with app.app_context():
        with force_locale("fr"):
            assert service_hours(WINDOWS["pro"]) == "lun.–ven. 07–19h"
        with force_locale("de"):
            assert service_hours(WINDOWS["pro"]) == "Mo–Fr 07–19h"
