"""The desk's pages name fields by their labels, use one plain word for the first reaction
in every language, give the event log and the history each its own heading, and link a
ticket only for those who may open it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import login
from tests.servicedesk.test_web import _resolved_ticket

ROOT = Path(__file__).resolve().parents[2]


def _catalog(package: str, language: str):
    base = ROOT / "app" if package == "app" else ROOT / "plugins" / package
    with open(base / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return {m.id: m.string for m in read_po(po, locale=language) if m.id}


@pytest.mark.parametrize(
    ("language", "term"), [("fr", "première réaction"), ("it", "prima reazione")]
)
def test_the_first_reaction_is_a_plain_term_not_the_english_code(language, term):
    """German writes "Erste Reaktion"; French and Italian wrote "FirstReaction"."""
    leftovers, using = [], 0
    for package in ("app", "servicedesk", "contracts", "invoicing"):
        for msgid, text in _catalog(package, language).items():
            if "FirstReaction" not in str(msgid):
                continue
            texts = text if isinstance(text, tuple) else (text,)
            leftovers += [t for t in texts if "FirstReaction" in t]
            using += any(term in t.lower() for t in texts)
    assert leftovers == []
    assert using > 10


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_event_log_and_the_history_have_different_headings(language):
    log = _catalog("servicedesk", language)["Log"]
    history = _catalog("app", language)["History"]
    assert log and history and log != history


def test_the_ticket_page_shows_two_different_panel_headings_in_french(app, client, desk, db):
    ticket = _resolved_ticket(desk, db)
    desk.chief.language = "fr"
    db.session.commit()
    login(client, desk.chief)
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "Journal des événements" in page and "Historique" in page


def test_finance_reads_the_reports_without_links_it_cannot_open(app, desk, db, factories):
    from tests.core.isolated import isolated_client

    ticket = _resolved_ticket(desk, db)
    client = isolated_client(app)
    number = f"T-{ticket.id:06d}"
    link = f'href="/servicedesk/tickets/{ticket.id}"'
    login(client, factories.user("finance", language="de"))
    for url in ("/servicedesk/reports", "/servicedesk/reports?month=2026-11&show=total:met"):
        page = client.get(url).text
        assert number in page and link not in page, url
    assert client.get(f"/servicedesk/tickets/{ticket.id}").status_code == 403

    client = isolated_client(app)
    login(client, desk.chief)  # the chief may open tickets: the numbers are links
    page = client.get("/servicedesk/reports?month=2026-11&show=total:met").text
    assert link in page


def test_a_too_long_description_is_named_by_its_label(client, desk, db, factories, clock):
    from tests.servicedesk.conftest import zurich

    clock(zurich(2026, 11, 24, 10, 0))
    login(client, factories.user("customer", customer=desk.customer, language="fr"))
    page = client.post(
        "/servicedesk/portal/new",
        data={"site_id": desk.site.id, "summary": "En panne", "description": "x" * 2001},
        follow_redirects=True,
    ).text
    assert "Détails: Au plus 2000 caractères." in page
    assert not re.search(r"description\s?:", page)


def test_the_desk_call_names_the_site_and_details_by_their_labels(app):
    from plugins.servicedesk.schemas import TicketIn

    with app.test_request_context("/?lang=de"):
        titles = {name: str(field.title) for name, field in TicketIn.model_fields.items()}
    assert titles["description"] == "Details" and titles["site_id"] == "Standort"
