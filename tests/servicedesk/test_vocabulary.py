"""One declaration per vocabulary: the check constraints, the API's types and the words
people read all come from plugins/servicedesk/vocabulary.py, and no code spells a state."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import CheckConstraint

from plugins.servicedesk import intake, models, vocabulary, work
from plugins.servicedesk.dispatch import dispatch
from plugins.servicedesk.vocabulary import TicketEventKind, TicketState, Vocabulary
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "servicedesk"
VOCABULARIES = [
    value
    for value in vars(vocabulary).values()
    if isinstance(value, type) and issubclass(value, Vocabulary) and value is not Vocabulary
]

# (table, column) -> the vocabulary its check constraint is made of
CONSTRAINED = {
    ("servicedesk_ticket", "state"): vocabulary.TicketState,
    ("servicedesk_ticket", "channel"): vocabulary.Channel,
    ("servicedesk_ticket", "fault_origin"): vocabulary.FaultOrigin,
    ("servicedesk_ticket", "severity"): vocabulary.Severity,
    ("servicedesk_ticket", "fast_lane_answer"): vocabulary.FastLaneAnswer,
    ("servicedesk_ticket_event", "kind"): vocabulary.TicketEventKind,
    ("servicedesk_ticket_event", "from_state"): vocabulary.TicketState,
    ("servicedesk_ticket_event", "to_state"): vocabulary.TicketState,
    ("servicedesk_verification_attempt", "outcome"): vocabulary.VerificationOutcome,
    ("servicedesk_verification_attempt", "method"): vocabulary.VerificationMethod,
    ("servicedesk_oncall_shift", "duty"): vocabulary.Duty,
    ("servicedesk_time_entry", "kind"): vocabulary.TimeKind,
    ("servicedesk_escalation", "reason"): vocabulary.EscalationReason,
    ("servicedesk_notification", "kind"): vocabulary.NotificationKind,
    ("servicedesk_charge", "kind"): vocabulary.ChargeKind,
    ("servicedesk_charge", "unit"): vocabulary.ChargeUnit,
    ("servicedesk_charge", "description_code"): vocabulary.ChargeText,
    ("servicedesk_charge", "zero_rated_reason"): vocabulary.ZeroRatedReason,
}


@pytest.mark.parametrize(
    ("table", "column"), sorted(CONSTRAINED), ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_check_constraint_is_made_of_its_vocabulary_under_its_old_name(app, table, column):
    model_table = models.Ticket.metadata.tables[table]
    checks = {
        c.name: str(c.sqltext)
        for c in model_table.constraints
        if isinstance(c, CheckConstraint) and c.name
    }
    name = f"ck_{table}_{column}"
    assert name in checks, sorted(checks)
    assert CONSTRAINED[(table, column)].sql_in(column) in checks[name]
    # The column loads members of the vocabulary, not bare strings.
    assert model_table.c[column].type.vocabulary is CONSTRAINED[(table, column)]


def test_a_code_outside_the_vocabulary_never_reaches_the_database(desk, db):
    ticket = intake.open_ticket(desk.site, "Kein Amt", "phone", desk.agent)
    ticket.state = "on_hold"
    with pytest.raises(Exception, match="on_hold"):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("vocabulary_class", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_code_has_a_german_and_an_english_word(app, vocabulary_class):
    with app.test_request_context(), force_locale("de"):
        for member in vocabulary_class:
            german = member.label
            assert german and german != member.value.replace("_", " "), member
            assert "_" not in german, member
    with app.test_request_context(), force_locale("en"):
        assert all(member.label and "_" not in member.label for member in vocabulary_class)


def test_a_state_change_is_logged_under_the_states_code_and_label(app):
    for state in TicketState:
        assert TicketEventKind(state.value) == state
        with app.test_request_context(), force_locale("de"):
            assert TicketEventKind(state.value).label == state.label


def test_an_unknown_code_is_shown_as_it_is(app):
    with app.test_request_context(), force_locale("de"):
        assert TicketState.label_of("on_hold") == "on_hold"
        assert vocabulary.FaultOrigin.label_of(None) == ""


def test_the_api_lists_the_codes_of_each_vocabulary(client):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    assert schemas["TicketState"]["enum"] == list(TicketState.codes())
    assert schemas["TimeKind"]["enum"] == ["remote", "on_site", "travel"]
    assert schemas["TicketOut"]["properties"]["state"]["$ref"].endswith("/TicketState")
    assert schemas["ResolutionIn"]["properties"]["fault_origin"]["$ref"].endswith("/FaultOrigin")


def test_the_api_refuses_a_code_outside_the_vocabulary(client, desk, db, factories):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    db.session.commit()
    headers = {"Authorization": f"Bearer {factories.token(desk.technician)}"}
    response = client.post(
        f"/api/v1/servicedesk/tickets/{ticket.id}/time-entries",
        json={"kind": "coffee", "minutes": 5},
        headers=headers,
    )
    assert response.status_code == 422


# --- no code spells a state: the members are used --------------------------------------

STATE_CODES = set(TicketState.codes())
QUOTED_STATE = re.compile(r"(?<!_\()['\"](" + "|".join(sorted(STATE_CODES)) + r")['\"]")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _bare_states(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree)
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in skip
        and isinstance(node.value, str)
        and node.value in STATE_CODES
    ]


def test_no_module_spells_a_ticket_state_but_the_vocabulary():
    found = []
    for path in sorted(PLUGIN.glob("*.py")):
        if path.name != "vocabulary.py":
            found += _bare_states(path)
    assert found == []


def test_no_template_spells_a_ticket_state():
    found = []
    for path in sorted((PLUGIN / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found += [f"{path.name}:{number}: {m.group(0)}" for m in QUOTED_STATE.finditer(line)]
    assert found == []


# --- pages read words, never codes ------------------------------------------------------


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
    assert "<td>Telefon; CLA winCall pro 5x12h; innerhalb der Bereitschaftszeit</td>" in log
    assert '<td data-kind="reacted">erste Reaktion erfolgt</td>' in log
    assert '<td data-kind="time_entry">Zeit erfasst</td>' in log
    assert "<td>vor Ort 60 Min.</td>" in log
    assert "<td>Störung eines Winet-Basisdienstes: kostenlos</td>" in page  # charges' reason
    assert f"{ticket.number} Reisepauschale, Einsatz vor Ort 24.11.2026" in page
    for code in ("opened", "time_entry", "base_system", "on_site", ">h<", ">visit<"):
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
    assert "<td>phone; CLA winCall pro 5x12h; inside service hours</td>" in page
    assert f"{ticket.number} travel flat fee, on-site visit 24.11.2026" in page


def test_the_tickets_list_and_the_roster_read_as_words(client, desk, db, factories):
    _new_ticket(desk, db)
    chief = factories.user("chief", language="de")
    login(client, chief)
    listing = client.get("/servicedesk/tickets?scope=all").text
    assert '<td class="state" data-state="new">neu</td>' in listing
    roster = client.get("/servicedesk/roster").text
    assert '<td data-duty="technician">Techniker</td>' in roster
    assert '<td data-duty="chief">Chef</td>' in roster


def test_the_log_stores_facts_and_words_them_for_each_reader(app, desk, db):
    ticket = _worked_ticket(desk, db)
    opened = ticket.events[0]
    assert (opened.kind, opened.note, opened.note_params) == (
        "opened",
        "",
        {"channel": "phone", "tier": "pro", "inside": True},
    )
    with app.test_request_context(), force_locale("en"):
        assert opened.text == "phone; CLA winCall pro 5x12h; inside service hours"
    with app.test_request_context(), force_locale("de"):
        assert opened.text == "Telefon; CLA winCall pro 5x12h; innerhalb der Bereitschaftszeit"


def test_the_customer_reads_the_log_in_customer_words_without_the_desks_steps(
    client, desk, db, factories
):
    ticket = intake.open_ticket(desk.site, "Telefone tot", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "0000", desk.agent)  # a wrong PIN first
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician, note="Router neu gestartet")
    work.add_time(ticket, desk.technician, "on_site", 60, note="Kunde war ungeduldig")
    work.escalate_third_level(ticket, desk.technician, factories.user("chief"), "Hilfe!")
    work.resolve(ticket, desk.technician, "base_system", "critical")
    db.session.commit()
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    login(client, customer_user)
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    log = page[page.index('id="event-log"') : page.index("</table>", page.index('id="event-log"'))]
    kinds = re.findall(r'data-kind="(\w+)">([^<]*)<', log)
    assert kinds == [
        ("opened", "Störung gemeldet"),
        ("verified", "Identität bestätigt"),
        ("dispatched", "Techniker zugeteilt"),
        ("reacted", "Erste Reaktion"),
        ("time_entry", "Arbeitszeit erfasst"),
        ("escalated", "Spezialist beigezogen"),
        ("resolved", "Gelöst"),
    ]
    # the CLA by its name, the customer's own service hours, the note meant for them
    assert "<td>Telefon; CLA winCall pro 5x12h; innerhalb Ihrer Bereitschaftszeit</td>" in log
    assert "<td>Router neu gestartet</td>" in log
    # never the desk's script, its internal notes, a verification method or an actor
    for desk_words in ("(PIN)", "PIN-", "ungeduldig", "Hilfe!", desk.agent.email, ">pro<"):
        assert desk_words not in log
    # the desk still sees every entry, with the facts and who made it
    client.post("/logout")
    login(client, desk.agent)
    desk_log = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert 'data-kind="verification_failed"' in desk_log and "Hilfe!" in desk_log
    assert f"<td>{desk.agent.name}</td>" in desk_log  # the person, not "email (role)"
