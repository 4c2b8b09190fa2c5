"""The audit trail: every change to an audited record says who, when, what, old and new."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit import REDACTED, acting_as
from app.models import AuditEntry, Contact, Customer, User
from tests.core.isolated import isolated_client
from tests.factories import login

CUSTOMER_FORM = {
    "legal_name": "Prüf AG",
    "street": "Täfernstrasse",
    "house_number": "31",
    "postal_code": "5405",
    "town": "Baden-Dättwil",
    "country": "CH",
    "billing_email": "rechnungen@pruef.example",
    "phone": "",
    "language": "de",
    "invoice_mode": "per_site",
    "active": "y",
}


def entries(db, table: str, row_id: int | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.table_name == table)
    if row_id is not None:
        statement = statement.where(AuditEntry.row_id == str(row_id))
    db.session.expire_all()
    return db.session.scalars(statement.order_by(AuditEntry.id)).all()


@pytest.fixture
def web(app):
    return isolated_client(app)


def test_creating_and_editing_a_customer_on_the_web_is_audited(web, db, factories):
    manager = factories.user("account_manager")
    login(web, manager)
    response = web.post("/customers/new", data=CUSTOMER_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    customer = db.session.scalar(select(Customer).where(Customer.legal_name == "Prüf AG"))

    (created,) = [e for e in entries(db, "core_customer", customer.id) if e.action == "insert"]
    assert created.user_id == manager.id
    assert manager.email in created.actor and "account_manager" in created.actor
    assert created.changes["legal_name"] == [None, "Prüf AG"]
    assert created.changes["town"] == [None, "Baden-Dättwil"]
    assert created.at is not None and created.at.tzinfo is not None
    numbered = [e for e in entries(db, "core_customer", customer.id) if "number" in e.changes]
    assert numbered and numbered[-1].changes["number"][1] == customer.number
    before = len(entries(db, "core_customer", customer.id))

    response = web.post(
        f"/customers/{customer.id}/edit",
        data={**CUSTOMER_FORM, "town": "Baden", "invoice_mode": "consolidated"},
    )
    assert response.status_code == 302
    (edited,) = entries(db, "core_customer", customer.id)[before:]
    assert edited.action == "update"
    assert edited.user_id == manager.id
    assert edited.changes == {
        "town": ["Baden-Dättwil", "Baden"],
        "invoice_mode": ["per_site", "consolidated"],
    }


def test_saving_an_unchanged_form_writes_no_entry(web, db, factories):
    login(web, factories.user("account_manager"))
    web.post("/customers/new", data=CUSTOMER_FORM)
    customer = db.session.scalar(select(Customer).where(Customer.legal_name == "Prüf AG"))
    before = len(entries(db, "core_customer", customer.id))
    assert before >= 1
    web.post(f"/customers/{customer.id}/edit", data=CUSTOMER_FORM)
    assert len(entries(db, "core_customer", customer.id)) == before


def test_pin_changes_are_recorded_without_the_pin(web, db, factories):
    customer = factories.customer()
    contact = factories.contact(customer, pin="4711")
    (created,) = entries(db, "core_contact", contact.id)
    assert created.changes["pin_hash"] == [None, REDACTED]
    login(web, factories.user("account_manager"))
    response = web.post(
        f"/contacts/{contact.id}/edit",
        data={
            "name": contact.name,
            "phone": contact.phone,
            "authorised_caller": "y",
            "pin": "905133",
            "active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    updated = entries(db, "core_contact", contact.id)[-1]
    assert updated.action == "update"
    assert updated.changes == {"pin_hash": [REDACTED, REDACTED]}
    everything = str([e.changes for e in entries(db, "core_contact")])
    assert "905133" not in everything and "4711" not in everything
    assert "scrypt" not in everything and "pbkdf2" not in everything


def test_password_changes_are_recorded_without_the_password(web, db, factories):
    user = factories.user("technician")
    (created,) = entries(db, "core_user", user.id)
    assert created.changes["password_hash"] == [None, REDACTED]
    login(web, factories.user("admin"))
    response = web.post(
        f"/users/{user.id}/edit",
        data={
            "email": user.email,
            "name": user.name,
            "role": "chief",
            "customer_id": "",
            "language": "de",
            "phone": "",
            "password": "ein-neues-passwort",
            "active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    updated = entries(db, "core_user", user.id)[-1]
    assert updated.changes["password_hash"] == [REDACTED, REDACTED]
    assert updated.changes["role"] == ["technician", "chief"]
    assert "ein-neues-passwort" not in str(updated.changes)


def test_a_rolled_back_change_leaves_no_entry(db, factories):
    customer = factories.customer("Vorher AG")
    before = len(entries(db, "core_customer"))
    with acting_as("test"):
        customer.legal_name = "Nachher AG"
        db.session.flush()  # the entry is written in the same transaction...
        assert len(db.session.scalars(select(AuditEntry)).all()) > 0
        db.session.rollback()  # ...so it disappears with the change
    assert len(entries(db, "core_customer")) == before
    assert db.session.get(Customer, customer.id).legal_name == "Vorher AG"


def test_a_refused_web_change_leaves_no_entry(web, db, factories):
    customer = factories.customer()
    contact = factories.contact(customer, authorised_caller=False, pin=None, name="Ohne PIN")
    count = len(entries(db, "core_contact", contact.id))
    login(web, factories.user("account_manager"))
    response = web.post(
        f"/contacts/{contact.id}/edit",
        data={"name": "Neuer Name", "phone": "", "authorised_caller": "y", "active": "y"},
    )
    assert response.status_code == 200  # the form is shown again with the error
    assert len(entries(db, "core_contact", contact.id)) == count
    assert db.session.get(Contact, contact.id).name == "Ohne PIN"


def test_changes_outside_a_request_name_their_source(db, factories):
    with acting_as("cli:demo"):
        customer = factories.customer("Kommandozeile AG")
    trail = entries(db, "core_customer", customer.id)
    assert trail and all(e.actor == "cli:demo" and e.user_id is None for e in trail)


def test_api_changes_are_attributed_to_the_tokens_user(app, db, factories):
    user = factories.user("finance")
    token = factories.token(user)
    customer = factories.customer("API AG")
    client = isolated_client(app)
    response = client.patch(
        f"/api/v1/customers/{customer.id}",
        json={"phone": "+41 56 111 11 11"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    entry = entries(db, "core_customer", customer.id)[-1]
    assert entry.user_id == user.id and entry.changes == {"phone": ["", "+41 56 111 11 11"]}
    # The token's last-use stamp is bookkeeping, not a change anyone answers for.
    assert not [e for e in entries(db, "core_api_token") if "last_used_at" in e.changes]
    assert "anonymous" not in {e.actor for e in db.session.scalars(select(AuditEntry))}


def test_the_audit_page_shows_entries_to_finance_only(web, db, factories):
    factories.customer("Sichtbar AG")
    login(web, factories.user("finance"))
    page = web.get("/audit?table=core_customer").get_data(as_text=True)
    assert "Sichtbar AG" in page
    other = isolated_client(web.application)
    login(other, factories.user("service_desk"))
    assert other.get("/audit").status_code == 403


def test_deleting_is_audited_with_the_old_values(db, factories):
    user = factories.user("technician")
    user_id = user.id
    with acting_as("test"):
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    deleted = entries(db, "core_user", user_id)[-1]
    assert deleted.action == "delete"
    assert deleted.changes["role"] == ["technician", None]
    assert deleted.changes["password_hash"] == [REDACTED, None]
