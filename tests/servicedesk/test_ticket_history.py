"""A ticket's history (chatter) on the German ticket page: the desk's own German words, tiers
by their catalog name, people by name, and no entry that says nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from app.models import AuditEntry
from app.timeutil import now
from plugins.servicedesk import intake, work
from plugins.servicedesk.dispatch import dispatch
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
# The English words of the SPEC and of the desk's levels that German screens must not show.
ENGLISH = re.compile(r"FirstReaction|\b2nd\b|\b3rd\b|(?<!Call )\bLevel\b|Chief")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _german_translations(package: str) -> list[str]:
    from babel.messages.pofile import read_po

    path = ROOT / package / "translations" / "de" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        catalog = read_po(source)
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found.extend(text for text in strings if text)
    return found


def test_german_catalogs_word_the_first_reaction_and_the_levels_in_german(app):
    mixed = [
        text
        for package in ("app", "plugins/servicedesk")
        for text in _german_translations(package)
        if ENGLISH.search(text)
    ]
    assert mixed == []


def test_the_ticket_history_reads_german(client, desk, db, factories):
    ticket = intake.open_ticket(desk.site, "Telefone tot", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician, "PBX geprüft")
    work.escalate_third_level(ticket, desk.technician, desk.chief, "SBC")
    db.session.commit()
    # A change of internal fields only (the reminder's time): nothing to read.
    ticket.reminder_at = now() + timedelta(hours=1)
    db.session.commit()
    # Who did it, as app.audit stores a logged-in person: "email (role)".
    db.session.add(
        AuditEntry(
            at=now(),
            user_id=None,
            actor=f"{desk.agent.email} (service_desk)",
            action="update",
            table_name="servicedesk_ticket",
            row_id=str(ticket.id),
            changes={"summary": ["Telefone tot", "Alle Telefone tot"]},
        )
    )
    db.session.commit()

    login(client, factories.user("service_desk", name="Sandra Desk", language="de"))
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    chatter = page[page.index('class="chatter"') :]
    history = _text(chatter)
    assert not ENGLISH.search(_text(page)), ENGLISH.findall(_text(page))
    assert (
        "Erste Reaktion erfolgt" in history and "Erste Reaktion von: — → Toni Techniker" in history
    )
    assert "Eskaliert: Chef beigezogen" in history and "Stufe: 3" in history
    assert "Stufe: winCall pro 5x12h" in history and "Stufe: pro " not in history
    assert f"Ticket geändert — {desk.agent.name}," in history
    assert "(service_desk)" not in history and desk.agent.email not in history
    # Every "Ticket changed" entry names what changed.
    entries = re.findall(
        r'<li class="chatter-entry change">(.*?)</li>\s*(?=<li|</ol>)', chatter, re.S
    )
    changed = [entry for entry in entries if "Ticket geändert" in entry]
    assert changed and all("chatter-changes" in entry for entry in changed)


def test_the_resolution_form_preselects_no_severity_and_keeps_the_input(
    client, desk, db, factories
):
    ticket = intake.open_ticket(desk.site, "Telefone tot", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    dispatch(ticket, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    db.session.commit()
    login(client, factories.user("technician", name="Tina Technik", language="de"))
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    for select in re.findall(r'<select name="severity"[^>]*>(.*?)</select>', page, re.S):
        assert select.startswith('<option value="">– bitte wählen –</option>')
        assert "selected" not in select
    refused = client.post(
        f"/servicedesk/tickets/{ticket.id}/work/resolve",
        data={"fault_origin": "customer_environment", "severity": "", "resolution": "Kabel"},
    )
    assert refused.status_code == 422
    assert "Dieses Feld ist erforderlich." in _text(refused.text)
    assert 'value="Kabel"' in refused.text
    assert '<option value="customer_environment" selected>' in refused.text
    db.session.refresh(ticket)
    assert ticket.state != "resolved"
    headers = {"Authorization": f"Bearer {factories.token(desk.technician)}"}
    api = client.post(
        f"/api/v1/servicedesk/tickets/{ticket.id}/resolution",
        json={"fault_origin": "customer_environment", "resolution": "Kabel"},
        headers=headers,
    )
    assert api.status_code in (400, 422)


def test_a_tickets_history_holds_its_own_parts_not_another_tickets(client, desk, db):
    first = intake.open_ticket(desk.site, "Telefone tot", "phone", desk.agent)
    second = intake.open_ticket(desk.site, "Fax tot", "phone", desk.agent)
    for ticket in (first, second):
        intake.verify(ticket, desk.caller, "4711", desk.agent)
        dispatch(ticket, desk.agent)
        work.record_first_reaction(ticket, desk.technician)
    work.add_time(first, desk.technician, "on_site", 90, note="nur beim ersten")
    db.session.commit()
    login(client, desk.agent)
    page = client.get(f"/servicedesk/tickets/{second.id}").text
    history = _text(page[page.index('class="chatter"') :])
    # The 90 minutes as a number of their own (a user's e-mail may hold "903").
    assert "nur beim ersten" not in history and not re.search(r"\b90\b", history)
    page = client.get(f"/servicedesk/tickets/{first.id}").text
    assert "nur beim ersten" in _text(page[page.index('class="chatter"') :])
