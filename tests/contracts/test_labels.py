"""People read words, not codes: contract states, quote states and tier names in German
and English; the codes stay in data-* attributes; the plugin's catalog is complete."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask_babel import force_locale

from plugins.contracts import labels
from plugins.contracts.quotes import send_quote
from plugins.contracts.services import give_notice, start_contract_in_the_past
from plugins.contracts.vocabulary import (
    Approval,
    ContractOrigin,
    ContractState,
    QuoteState,
    TierChange,
)
from tests.contracts.test_quotes import build_quote
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "contracts"
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


@pytest.fixture
def two_contracts(db, factories, customer, site):
    """Filiale Brugg on pro (active) and Filiale Wettingen on premium (notice given)."""
    start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    other = factories.site(customer, "Filiale Wettingen")
    give_notice(start_contract_in_the_past(other, "premium", date(2025, 1, 1)), date(2026, 11, 24))
    db.session.commit()


def _row(page: str, site_name: str) -> str:
    rows = [
        row for row in re.findall(r"<tr data-contract=.*?</tr>", page, re.S) if site_name in row
    ]
    assert len(rows) == 1, site_name
    return rows[0]


def test_the_contracts_list_speaks_german(client, factories, two_contracts):
    login(client, factories.user("account_manager"))
    page = client.get("/contracts/?lang=de").text
    brugg, wettingen = _row(page, "Filiale Brugg"), _row(page, "Filiale Wettingen")
    assert '<td class="state" data-state="active">aktiv</td>' in brugg
    assert '<td class="tier" data-tier="pro">winCall pro 5x12h</td>' in brugg
    assert '<td class="state" data-state="cancelled">gekündigt</td>' in wettingen
    assert '<td class="tier" data-tier="premium">winCall premium 7x24h</td>' in wettingen
    # the state filter links read as words too
    assert 'data-filter="ended">beendet</a>' in page and 'data-filter="draft">Entwurf</a>' in page


def test_the_contracts_list_speaks_english_when_chosen(client, factories, two_contracts):
    login(client, factories.user("account_manager"))
    page = client.get("/contracts/?lang=en").text
    brugg, wettingen = _row(page, "Filiale Brugg"), _row(page, "Filiale Wettingen")
    assert '<td class="state" data-state="active">active</td>' in brugg
    assert '<td class="tier" data-tier="pro">winCall pro 5x12h</td>' in brugg
    assert '<td class="state" data-state="cancelled">cancelled</td>' in wettingen


def _contract_page(client, db, factories, site, language: str) -> str:
    contract = start_contract_in_the_past(site, "pro_plus", date(2025, 1, 1))
    db.session.commit()
    login(client, factories.user("account_manager"))
    return client.get(f"/contracts/{contract.id}?lang={language}").text


def test_the_contract_page_names_state_tier_origin_and_changes(client, db, factories, site):
    german = _contract_page(client, db, factories, site, "de")
    assert 'data-state="active">aktiv</small>' in german
    assert 'data-tier="pro_plus">winCall pro+ 6x12h</span>' in german
    assert 'data-origin="manual">von Winet erfasst</dd>' in german
    assert 'data-change="start">Beginn</td>' in german


def test_the_contract_page_in_english(client, db, factories, site):
    english = _contract_page(client, db, factories, site, "en")
    assert 'data-tier="pro_plus">winCall pro+ 6x12h</span>' in english
    assert 'data-state="active">active</small>' in english
    assert 'data-origin="manual">entered by Winet</dd>' in english
    assert 'data-change="start">start</td>' in english


def test_a_sent_quote_reads_as_words(client, db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer, tiers=("premium", "pro"))
    send_quote(quote)
    db.session.commit()
    login(client, factories.user("account_manager"))
    listing = client.get("/contracts/quotes?lang=de").text
    assert '<td class="quote-state" data-state="sent">versandt</td>' in listing
    assert '<td class="approval" data-approval="not_needed">nicht nötig</td>' in listing
    page = client.get(f"/contracts/quotes/{quote.id}").text
    assert 'data-state="sent">versandt</small>' in page
    assert 'data-tier="premium">winCall premium 7x24h</td>' in page


def test_percentages_read_as_numbers(client, db, factories, customer):
    quote = build_quote(db, factories, customer, tiers=("pro",), manual="10")
    login(client, quote.account_manager)
    page = client.get(f"/contracts/quotes/{quote.id}?lang=de").text
    assert "Ihre Limite: 10 %" in page and 'value="10"' in page
    assert "E+" not in page


@pytest.mark.parametrize(
    "vocabulary", [ContractState, QuoteState, Approval, ContractOrigin, TierChange]
)
def test_every_stored_code_has_a_german_word(app, vocabulary):
    with app.test_request_context(), force_locale("de"):
        for member in vocabulary:
            assert member.label and member.label != member.value, member
    with app.test_request_context(), force_locale("en"):
        assert all(member.label for member in vocabulary)


def test_the_filters_are_the_vocabularies_words(app):
    with app.test_request_context(), force_locale("de"):
        state = labels.FILTERS["contract_state"]
        assert state("cancelled") == "gekündigt"
        assert labels.FILTERS["quote_state"]("sent") == "versandt"
        assert labels.FILTERS["quote_approval"]("pending") == "wartet auf Freigabe durch Finanzen"
        assert labels.FILTERS["contract_origin"]("shop") == "Bestellung im Web-Shop"
        assert labels.FILTERS["tier_change"]("downgrade") == "Downgrade"
        assert state("something_new") == "something_new"
        assert state(None) == ""


def test_each_vocabulary_is_what_the_database_and_the_api_accept(app, client):
    # One declaration: the check constraints and the OpenAPI enums list the same codes.
    from plugins.contracts.models import Contract, ContractTierPeriod, Quote

    def check(table, name: str) -> str:
        [found] = [c for c in table.constraints if c.name and c.name.endswith(f"_{name}")]
        return str(found.sqltext)

    assert check(Contract.__table__, "state") == ContractState.sql_in("state")
    assert check(Contract.__table__, "origin") == ContractOrigin.sql_in("origin")
    assert check(ContractTierPeriod.__table__, "change") == TierChange.sql_in("change")
    assert check(Quote.__table__, "state") == QuoteState.sql_in("state")
    assert check(Quote.__table__, "approval") == Approval.sql_in("approval")
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for vocabulary in (ContractState, ContractOrigin, TierChange, QuoteState, Approval):
        assert schemas[vocabulary.__name__]["enum"] == list(vocabulary.codes()), vocabulary


def test_tier_names_come_from_the_catalog(app):
    with app.test_request_context():
        assert labels.tier_name("pro_plus") == "winCall pro+ 6x12h"
        assert labels.tier_name("basic") == "winCall basic 5x6h"
        # before the catalog existed, today's name stands in; an unknown code stays a code
        assert labels.tier_name("pro", on=date(1990, 1, 1)) == "winCall pro 5x12h"
        assert labels.tier_name("platinum") == "platinum"
        assert labels.tier_name(None) == ""
