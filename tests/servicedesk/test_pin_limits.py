"""Guessing a caller's PIN: exactly pin_max_failures wrong PINs are ever checked, also when
they arrive at once; the desk sees the attempts left; requests are rate limited (429)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.models import Contact
from plugins.servicedesk import intake
from plugins.servicedesk.models import VerificationAttempt
from tests.core.isolated import isolated_client
from tests.factories import login
from tests.servicedesk.conftest import TUESDAY_10


def attempts(db) -> list[str]:
    return list(
        db.session.scalars(select(VerificationAttempt.outcome).order_by(VerificationAttempt.id))
    )


@pytest.mark.postgres_only
@pytest.mark.parametrize("app_config", [{"FROZEN_NOW": TUESDAY_10, "RATELIMIT_ENABLED": False}])
def test_sixteen_wrong_pins_at_once_check_exactly_three(app, db, desk, monkeypatch):
    """16 desk requests with wrong PINs at the same moment (the rate limits switched off,
    so that only the lock is tested): the tariff pin_max_failures (3) are checked, the
    other 13 are refused as locked without looking at the PIN."""
    url = f"/servicedesk/desk/sites/{desk.site.id}"
    contact_id = desk.caller.id
    clients = [isolated_client(app) for _ in range(16)]
    for client in clients:
        login(client, desk.agent)
    checked, lock = [], threading.Lock()
    real = Contact.check_pin

    def counted(self, pin):
        with lock:
            checked.append(pin)
        return real(self, pin)

    monkeypatch.setattr(Contact, "check_pin", counted)
    barrier, statuses = threading.Barrier(16), []

    def call(client, n: int) -> None:
        barrier.wait(timeout=30)
        form = {"contact_id": contact_id, "pin": f"{n:04d}", "summary": "Phones dead"}
        statuses.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=call, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [200] * 16  # the call page again, with the refusal flashed
    assert len(checked) == 3
    db.session.expire_all()
    assert sorted(attempts(db)) == ["locked"] * 13 + ["wrong_pin"] * 3


def test_the_call_page_shows_the_pin_attempts_left(client, desk, db):
    login(client, desk.agent)
    url = f"/servicedesk/desk/sites/{desk.site.id}"
    assert "PIN attempts left: 3" in client.get(url).text
    client.post(url, data={"contact_id": desk.caller.id, "pin": "0000", "summary": "Down"})
    page = client.get(url).text
    assert 'data-attempts-left="2"' in page and "PIN attempts left: 2" in page
    for _ in range(2):
        client.post(url, data={"contact_id": desk.caller.id, "pin": "0000", "summary": "Down"})
    page = client.get(url).text
    assert 'data-attempts-left="0"' in page and "locked: too many wrong PINs" in page


def test_the_ticket_page_shows_the_pin_attempts_left(client, desk, db):
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    db.session.commit()
    login(client, desk.agent)
    client.post(
        f"/servicedesk/tickets/{ticket.id}/intake/verify",
        data={"contact_id": desk.caller.id, "pin": "0000"},
    )
    page = client.get(f"/servicedesk/tickets/{ticket.id}").text
    assert "PIN attempts left: 2" in page


@pytest.mark.parametrize(
    "app_config",
    [{"FROZEN_NOW": TUESDAY_10, "PIN_RATE_LIMIT_PER_ACCOUNT": "2 per minute"}],
)
def test_pin_checks_per_contact_are_rate_limited_across_the_desk_forms(client, desk, db):
    login(client, desk.agent)
    url = f"/servicedesk/desk/sites/{desk.site.id}"
    form = {"contact_id": desk.caller.id, "pin": "0000", "summary": "Down"}
    assert client.post(url, data=form).status_code == 200
    ticket = intake.open_ticket(desk.site, "Phones dead", "phone", desk.agent)
    db.session.commit()
    verify = f"/servicedesk/tickets/{ticket.id}/intake/verify"
    assert client.post(verify, data=form).status_code == 302
    refused = client.post(url, data=form)  # the third check of this contact in a minute
    assert refused.status_code == 429
    assert "Too many attempts. Please wait a minute and try again." in refused.text
    ticket_page = f"http://localhost/servicedesk/tickets/{ticket.id}"
    again = client.post(verify, data=form, headers={"Referer": ticket_page})
    assert again.status_code == 429
    # The agent, mid-call, gets the way back to the ticket, not only to the start page.
    assert f'<a href="/servicedesk/tickets/{ticket.id}">Back to the page you came from</a>' in (
        again.text
    )
    # Never a way back to another site.
    elsewhere = client.post(verify, data=form, headers={"Referer": "https://evil.example/x"})
    assert elsewhere.status_code == 429 and "Back to the page you came from" not in elsewhere.text
    assert attempts(db) == ["wrong_pin", "wrong_pin"]
    # Other intake actions are not PIN checks and are not limited.
    withdraw = f"/servicedesk/tickets/{ticket.id}/intake/withdraw"
    assert client.post(withdraw).status_code == 302


@pytest.mark.parametrize(
    "app_config",
    [{"FROZEN_NOW": TUESDAY_10, "PIN_RATE_LIMIT_PER_ADDRESS": "1 per minute"}],
)
def test_the_api_answers_429_json_per_client_address(client, desk, db, factories):
    headers = {"Authorization": f"Bearer {factories.token(desk.agent)}"}
    body = {"site_id": desk.site.id, "summary": "Down", "contact_id": desk.caller.id, "pin": "0"}
    assert client.post("/api/v1/servicedesk/tickets", json=body, headers=headers).status_code == 403
    refused = client.post("/api/v1/servicedesk/tickets", json=body, headers=headers)
    assert refused.status_code == 429 and refused.is_json
    assert refused.get_json()["error"] == "too_many_requests"
    assert "Retry-After" in refused.headers
    assert db.session.scalar(select(func.count(VerificationAttempt.id))) == 1
