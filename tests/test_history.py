"""A record's history (chatter) and the audit page read as words: who did what when."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from app.models import OutboxMessage
from app.timeutil import ZURICH
from plugins.contracts.quotes import add_line, create_quote
from plugins.contracts.services import start_contract
from tests.core.isolated import isolated_client
from tests.factories import login

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZURICH)


@pytest.fixture
def app_config():
    return {"FROZEN_NOW": NOW}


@pytest.fixture
def web(app):
    return isolated_client(app)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_quote_history_says_who_sent_it_to_whom_and_links_the_mail(web, db, factories):
    customer = factories.customer("Aarebank AG", billing_email="rechnung@aarebank.example")
    site = factories.site(customer, "Filiale Brugg")
    manager = factories.user("account_manager", name="Anna Aussendienst")
    quote = create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 20)
    )
    add_line(quote, "pro", site=site)
    db.session.commit()

    login(web, manager)
    # the e-mail is previewed before it is sent; the preview sends nothing
    preview = web.get(f"/contracts/quotes/{quote.id}/send").get_data(as_text=True)
    assert 'id="preview-to">rechnung@aarebank.example<' in preview
    assert f"Ihre Offerte {quote.number}" in preview and 'id="send-now"' in preview
    assert db.session.query(OutboxMessage).count() == 0
    assert web.post(f"/contracts/quotes/{quote.id}/send").status_code == 302
    page = web.get(f"/contracts/quotes/{quote.id}").get_data(as_text=True)
    # the quote says when and to whom it was sent
    sent = _text(page[page.index('id="quote-sent"') :][:600])
    assert "Versendet am 30.11.2026 10:00 an rechnung@aarebank.example" in sent
    history = _text(page[page.index('class="chatter"') :])
    assert "Verlauf" in history
    assert "Offerte versendet — Anna Aussendienst" in history
    assert "Status: Entwurf → versandt" in history
    assert "E-Mail «" in history and "rechnung@aarebank.example" in history
    assert "Offertposition angelegt" in history
    mail_link = re.search(r'href="(/admin/outbox/\d+/read)"', page).group(1)
    mail = web.get(mail_link)
    assert mail.status_code == 200 and "rechnung@aarebank.example" in mail.get_data(as_text=True)
    # a customer sees neither the history nor the mail
    other = isolated_client(web.application)
    login(other, factories.user("customer", customer))
    assert other.get(mail_link).status_code == 403


def test_a_tier_change_reads_as_words_in_the_contract_history(web, db, factories):
    site = factories.site(factories.customer("Brugg AG"), "Hauptsitz")
    contract = start_contract(site, "pro", date(2026, 12, 1))
    db.session.commit()
    login(web, factories.user("account_manager"))
    page = _text(web.get(f"/contracts/{contract.id}").get_data(as_text=True))
    assert "Stufe winCall pro 5x12h ab 01.12.2026" in page


def test_the_audit_page_speaks_german_and_filters_by_record_user_and_day(web, db, factories):
    finance = factories.user("finance", name="Fabienne Finanz")
    login(web, finance)
    customer = factories.customer("Sichtbar AG")
    web.post(
        f"/customers/{customer.id}/edit",
        data={
            "legal_name": "Sichtbar AG",
            "street": "Weg",
            "postal_code": "5400",
            "town": "Baden",
            "country": "CH",
            "billing_email": "a@example.ch",
            "language": "de",
            "invoice_mode": "per_site",
        },
    )
    page = web.get(f"/audit?table=core_customer&record={customer.id}").get_data(as_text=True)
    text = _text(page)
    assert "Kunde Sichtbar AG angelegt" in text
    assert "Kunde geändert" in text and "Fabienne Finanz" in text
    assert "Aktiv: ja → nein" in text
    assert "None" not in text and "True" not in text and "core_customer" not in text
    assert "Rechnungen: pro Standort" in text and "Sprache: Deutsch" in text
    assert 'data-total="3"' in page  # created, numbered, edited

    mine = web.get(f"/audit?user={finance.id}").get_data(as_text=True)
    assert 'data-total="1"' in mine
    assert 'data-total="0"' in web.get("/audit?until=2026-01-01").get_data(as_text=True)
    assert 'data-filter="update"' in page
    assert 'data-total="2"' in web.get(
        f"/audit?table=core_customer&record={customer.id}&filter=update"
    ).get_data(as_text=True)


def test_timestamps_show_four_digit_years(web, db, factories):
    manager = factories.user("account_manager")
    customer = factories.customer("Jahr AG")
    quote = create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 20)
    )
    db.session.commit()
    login(web, manager)
    page = _text(web.get(f"/contracts/quotes/{quote.id}").get_data(as_text=True))
    assert re.search(r"\d{2}\.\d{2}\.2026 \d{2}:\d{2}", page)
    assert not re.search(r"\d{2}\.\d{2}\.26,", page)


def test_the_history_shows_prices_only_to_who_may_see_prices(app, db, factories):
    from flask_login import login_user

    from app.chatter import RecordWording, worded
    from app.models import AuditEntry

    entry = AuditEntry(
        at=NOW,
        user_id=None,
        actor="system",
        action="insert",
        table_name="servicedesk_material",
        row_id="1",
        changes={"description": [None, "Netzteil"], "unit_price": [None, "89.90"]},
    )
    wording = {
        "servicedesk_material": RecordWording(
            "servicedesk_material", "Material", prices=frozenset({"unit_price"})
        )
    }
    for role, shown in (("service_desk", False), ("finance", True)):
        user = factories.user(role)  # before the request: a GET request writes nothing
        with app.test_request_context():
            login_user(user)
            (item,) = worded([entry], wording)
            assert ("89.90" in [change.new for change in item.changes]) is shown
            assert "Netzteil" in [change.new for change in item.changes]


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "fr",
            [
                "Historique",
                "Client Lac SA : création",
                "Raison sociale: Lac SA",
                "Langue: Allemand",
                "Niveau winCall pro 5x12h dès le 01.12.2026",
            ],
        ),
        (
            "it",
            [
                "Cronologia",
                "Cliente Lac SA: creazione",
                "Ragione sociale: Lac SA",
                "Lingua: Tedesco",
                "Livello winCall pro 5x12h dal 01.12.2026",
            ],
        ),
    ],
)
def test_a_french_or_italian_user_reads_the_history_in_their_language(
    web, db, factories, language, words
):
    # Screens are worded in the user's language: the history's headlines, labels and
    # values come from the same catalogs as the rest of the page, not in English.
    customer = factories.customer("Lac SA", language="de")
    contract = start_contract(factories.site(customer, "Siège"), "pro", date(2026, 12, 1))
    db.session.commit()
    login(web, factories.user("account_manager", language=language))
    page = _text(web.get(f"/customers/{customer.id}").get_data(as_text=True))
    page += _text(web.get(f"/contracts/{contract.id}").get_data(as_text=True))
    for word in words:
        assert word in page
    for english in ("History", " created", "Company name", "German", "Tier winCall"):
        assert english not in page
