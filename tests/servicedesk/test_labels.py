"""The desk reads words, not codes: ticket states, fault origins, time kinds and log
entries in German and English; the codes stay in data-* attributes; the catalog is complete."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale

from plugins.servicedesk import intake, labels, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.models import (
    CHANNELS,
    FAULT_ORIGINS,
    SEVERITIES,
    TICKET_STATES,
    TIME_KINDS,
)
from plugins.servicedesk.reports import OUTCOMES
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "servicedesk"
CATALOG = PLUGIN / "translations" / "de" / "LC_MESSAGES" / "messages.po"
HOST_CATALOG = ROOT / "app" / "translations" / "de" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "_l": None,
    "lazy_gettext": None,
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _new_ticket(desk, db):
    ticket = intake.open_ticket(desk.site, "Kein Amt", "phone", desk.agent)
    db.session.commit()
    return ticket


def _worked_ticket(desk, db):
    ticket = intake.open_ticket(desk.site, "Telefone tot", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    work.add_time(ticket, desk.technician, "on_site", 60)
    work.add_material(ticket, desk.technician, "Headset", Decimal("10"), Decimal("8.90"))
    work.resolve(ticket, desk.technician, "base_system", "critical")
    db.session.commit()
    return ticket


def test_the_desk_page_shows_the_ticket_state_in_german(client, desk, db):
    ticket = _new_ticket(desk, db)
    login(client, desk.agent)
    page = client.get("/servicedesk/desk?lang=de").text
    assert ticket.number in page
    assert '<td class="state" data-state="new">neu</td>' in page


def test_the_desk_page_shows_the_ticket_state_in_english(client, desk, db):
    _new_ticket(desk, db)
    login(client, desk.agent)
    page = client.get("/servicedesk/desk?lang=en").text
    assert '<td class="state" data-state="new">new</td>' in page


def test_the_ticket_page_speaks_german(client, desk, db):
    ticket = _worked_ticket(desk, db)
    login(client, desk.technician)
    page = client.get(f"/servicedesk/tickets/{ticket.id}?lang=de").text
    assert 'id="ticket-state" data-state="resolved">gelöst</span>' in page
    assert 'data-tier="pro">winCall pro 5x12h</span>' in page
    assert 'data-channel="phone">(Telefon)</small>' in page
    assert 'data-fault-origin="base_system">Basis-Systemleistung der Winet' in page
    assert 'data-severity="critical">kritisch</span>' in page
    assert '<td data-kind="on_site">vor Ort</td>' in page
    log = page[page.index('id="event-log"') :]
    assert '<td data-kind="opened">Ticket eröffnet</td>' in log
    assert '<td data-kind="reacted">erste Reaktion erfolgt</td>' in log
    assert '<td data-kind="time_entry">Zeit erfasst</td>' in log
    for code in ("opened", "time_entry", "base_system", "on_site"):
        assert f">{code}<" not in page
    # quantities read as numbers, never as Decimal exponents ("1E+1")
    assert '<td class="num">10</td><td colspan="2">Headset</td>' in page and "E+" not in page


def test_the_ticket_page_speaks_english_when_chosen(client, desk, db):
    ticket = _worked_ticket(desk, db)
    login(client, desk.technician)
    page = client.get(f"/servicedesk/tickets/{ticket.id}?lang=en").text
    assert 'id="ticket-state" data-state="resolved">resolved</span>' in page
    assert 'data-severity="critical">critical</span>' in page
    assert '<td data-kind="on_site">on site</td>' in page
    assert '<td data-kind="opened">ticket opened</td>' in page


def test_the_tickets_list_and_the_roster_read_as_words(client, desk, db, factories):
    _new_ticket(desk, db)
    chief = factories.user("chief", language="de")
    login(client, chief)
    listing = client.get("/servicedesk/tickets?scope=all").text
    assert '<td class="state" data-state="new">neu</td>' in listing
    roster = client.get("/servicedesk/roster").text
    assert '<td data-duty="technician">Techniker</td>' in roster
    assert '<td data-duty="chief">Chef</td>' in roster


def _logged_event_kinds() -> set[str]:
    """Every kind a plugin module writes with tickets.log(ticket, kind, ...)."""
    kinds = set()
    for path in PLUGIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "log"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "tickets"
                and len(node.args) > 1
            ):
                kinds |= _strings(node.args[1])
    return kinds


def _strings(expression: ast.expr) -> set[str]:
    """The values a kind argument can take: a literal, or the branches of `a if … else b`."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        return _strings(expression.body) | _strings(expression.orelse)
    return set()


@pytest.mark.parametrize(
    ("codes", "label"),
    [
        (TICKET_STATES, labels.ticket_state_label),
        (FAULT_ORIGINS, labels.fault_origin_label),
        (SEVERITIES, labels.severity_label),
        (TIME_KINDS, labels.time_kind_label),
        (CHANNELS, labels.channel_label),
        (("technician", "chief"), labels.duty_label),
        ((*OUTCOMES, "total"), labels.outcome_label),
        (("breach", "third_level"), labels.escalation_reason_label),
        ((*TICKET_STATES, *sorted(_logged_event_kinds())), labels.event_kind_label),
    ],
)
def test_every_stored_code_has_a_german_word(app, codes, label):
    assert codes
    with app.test_request_context(), force_locale("de"):
        for code in codes:
            german = label(code)
            assert german and german != code.replace("_", " "), code
            assert "_" not in german, code
    with app.test_request_context(), force_locale("en"):
        assert all(label(code) and "_" not in label(code) for code in codes)


def test_the_event_kinds_found_in_the_code_are_the_ones_written():
    assert {"opened", "fast_lane_confirmed", "alert_resolved_again"} <= _logged_event_kinds()


def test_an_unknown_code_is_shown_as_it_is(app):
    with app.test_request_context(), force_locale("de"):
        assert labels.ticket_state_label("on_hold") == "on_hold"
        assert labels.fault_origin_label(None) == ""
