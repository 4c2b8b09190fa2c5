"""Bad input loses nothing: a refused form of the desk, the technician, the chief or the
customer comes back (422) with its message and what was typed in it, in that form only."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from plugins.servicedesk.models import MasterIncident, OnCallShift, Ticket
from tests.factories import login

LONG = "Die Telefonanlage startet seit dem Stromausfall immer wieder neu. " * 40  # > 2,000


def _field(page: str, form_action: str) -> str:
    """The HTML of the form that posts to `form_action`."""
    match = re.search(rf'<form[^>]*action="{re.escape(form_action)}".*?</form>', page, re.S)
    assert match, f"no form posting to {form_action}"
    return match.group(0)


def test_a_refused_time_entry_keeps_its_note_in_its_own_form(client, desk, db, reacted_ticket):
    ticket = reacted_ticket
    login(client, desk.technician)
    work_url = f"/servicedesk/tickets/{ticket.id}/work"
    refused = client.post(
        f"{work_url}/time",
        data={"kind": "on_site", "minutes": "-30", "note": "Netzteil getauscht, Anlage läuft"},
    )
    assert refused.status_code == 422
    page = refused.text
    time_form = _field(page, f"{work_url}/time")
    assert 'value="-30"' in time_form and "Netzteil getauscht, Anlage läuft" in time_form
    assert '<option value="on_site" selected>' in time_form
    # The other forms of the page with a note of their own stay empty.
    assert "Netzteil getauscht" not in _field(page, f"{work_url}/escalate")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).time_entries == []


def test_a_refused_material_keeps_description_quantity_and_price(client, desk, reacted_ticket):
    ticket = reacted_ticket
    login(client, desk.technician)
    url = f"/servicedesk/tickets/{ticket.id}/work/material"
    data = {"description": "Netzteil 12 V", "quantity": "abc", "unit_price": "89.90"}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    form = _field(refused.text, url)
    for value in ('value="Netzteil 12 V"', 'value="abc"', 'value="89.90"'):
        assert value in form


def test_a_refused_fault_report_keeps_summary_and_details(client, desk, db, factories):
    customer_user = factories.user("customer", customer=desk.customer, language="de")
    login(client, customer_user)
    refused = client.post(
        "/servicedesk/portal/new",
        data={"site_id": str(desk.site.id), "summary": "Telefone tot", "description": LONG},
    )
    assert refused.status_code == 422
    assert 'value="Telefone tot"' in refused.text
    assert LONG.strip()[:200] in refused.text
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_refused_shift_keeps_person_duty_and_times(client, desk, db):
    login(client, desk.chief)
    shifts = db.session.scalar(select(func.count()).select_from(OnCallShift))
    data = {
        "user_id": str(desk.technician.id),
        "duty": "technician",
        "starts_at": "2026-12-05T18:00",
        "ends_at": "2026-12-05T08:00",  # before the start
    }
    refused = client.post("/servicedesk/roster", data=data)
    assert refused.status_code == 422
    page = refused.text
    assert f'<option value="{desk.technician.id}" selected>' in page
    assert 'value="2026-12-05T18:00"' in page and 'value="2026-12-05T08:00"' in page
    assert db.session.scalar(select(func.count()).select_from(OnCallShift)) == shifts


def test_a_refused_outage_keeps_service_summary_and_sites(client, desk, db):
    login(client, desk.chief)
    data = {"service": "SIP-Trunk Zürich", "summary": LONG, "site_ids": [str(desk.site.id)]}
    refused = client.post("/servicedesk/incidents", data=data)
    assert refused.status_code == 422
    page = refused.text
    assert 'value="SIP-Trunk Zürich"' in page and LONG.strip()[:200] in page
    assert f'<option value="{desk.site.id}" selected>' in page
    assert db.session.scalar(select(func.count()).select_from(MasterIncident)) == 0


def test_a_double_booked_shift_is_refused_on_the_roster_page(client, desk, db):
    login(client, desk.chief)
    data = {
        "user_id": str(desk.technician.id),
        "duty": "technician",
        "starts_at": "2026-12-05T18:00",
        "ends_at": "2026-12-06T08:00",
    }
    assert client.post("/servicedesk/roster", data=data).status_code == 302
    shifts = db.session.scalar(select(func.count()).select_from(OnCallShift))
    again = {**data, "starts_at": "2026-12-06T06:00", "ends_at": "2026-12-06T12:00"}
    refused = client.post("/servicedesk/roster", data=again)
    assert refused.status_code == 422
    assert "already on duty as technician from 05.12.2026 18:00 to 06.12.2026 08:00" in refused.text
    assert 'value="2026-12-06T06:00"' in refused.text
    assert db.session.scalar(select(func.count()).select_from(OnCallShift)) == shifts
