"""The pure rules behind the desk and portal pages: SLA clock, search marks, lock end."""

from __future__ import annotations

from datetime import timedelta

from plugins.servicedesk.attempts import lock_end
from plugins.servicedesk.business_calendar import ServiceSchedule
from plugins.servicedesk.search_marks import marked
from plugins.servicedesk.sla_clock import clock_of
from tests.servicedesk.conftest import zurich

# pro: Mo–Fr 07–19h
PRO = ServiceSchedule.from_spec([{"days": [0, 1, 2, 3, 4], "start": "07:00", "end": "19:00"}])


def test_the_clock_runs_inside_service_hours_and_stops_at_the_window_end():
    # Reported Tue 16:00 with 6 service hours: due Wed 10:00; 3 of them left at 16:00.
    clock = clock_of(PRO, zurich(2026, 11, 25, 10, 0), zurich(2026, 11, 24, 16, 0), False)
    assert clock.running and not clock.overdue
    assert clock.left == timedelta(hours=6)
    assert clock.stops_at == zurich(2026, 11, 24, 19, 0)


def test_the_clock_stands_still_outside_service_hours_and_says_when_it_runs_again():
    clock = clock_of(
        PRO, zurich(2026, 11, 25, 10, 0), zurich(2026, 11, 24, 21, 0), False, "Mo–Fr 07–19h"
    )
    assert not clock.running
    assert clock.left == timedelta(hours=3)  # Wed 07:00–10:00
    assert clock.resumes_at == zurich(2026, 11, 25, 7, 0)
    assert clock.service_hours == "Mo–Fr 07–19h"


def test_a_due_time_inside_the_window_lets_the_clock_run_into_the_breach():
    clock = clock_of(PRO, zurich(2026, 11, 25, 10, 0), zurich(2026, 11, 25, 9, 0), False)
    assert clock.running and clock.stops_at is None and clock.left == timedelta(hours=1)


def test_a_fast_lane_clock_counts_wall_clock_time_also_at_night():
    clock = clock_of(PRO, zurich(2026, 11, 25, 3, 0), zurich(2026, 11, 24, 21, 0), True)
    assert clock.running and clock.stops_at is None and clock.left == timedelta(hours=6)


def test_an_overdue_clock_counts_the_breach_in_real_time():
    clock = clock_of(PRO, zurich(2026, 11, 24, 18, 0), zurich(2026, 11, 24, 21, 30), False)
    assert clock.overdue and clock.left == -timedelta(hours=3, minutes=30)


def test_search_marks_letters_and_phone_digits_and_escape_the_rest():
    assert str(marked("Muster Treuhand AG", "treuhand")) == "Muster <mark>Treuhand</mark> AG"
    # The caller reads the mobile number without spaces; the record has them.
    assert str(marked("+41 79 123 45 67", "0791234567")) == "+41 <mark>79 123 45 67</mark>"
    assert str(marked("<b>Muster</b>", "muster")) == "&lt;b&gt;<mark>Muster</mark>&lt;/b&gt;"
    assert str(marked("Baden", "")) == "Baden"


def test_a_lock_ends_when_the_failures_fall_back_under_the_limit():
    window = timedelta(minutes=15)
    newest_first = [zurich(2026, 11, 24, 10, m) for m in (9, 5, 1)]
    assert lock_end(newest_first, 3, window) == zurich(2026, 11, 24, 10, 16)
    assert lock_end(newest_first[:2], 3, window) is None
