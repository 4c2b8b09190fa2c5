"""Forms choose nothing for the user (no tier preselected: the first would be the dearest),
a refused line keeps what was typed; a free tier reads "kostenlos", a discount of 0 is not
shown."""

from __future__ import annotations

import re
from datetime import date

from plugins.contracts.models import QuoteLine
from plugins.contracts.quotes import create_quote
from tests.contracts.test_quotes import build_quote
from tests.factories import login

TIER_SELECT = re.compile(r'<select name="tier_code" id="tier_code"[^>]*>(.*?)</select>', re.S)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _draft_quote_of_a_logged_in_manager(client, db, factories, customer):
    manager = factories.user("account_manager")
    quote = create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 20)
    )
    db.session.commit()
    login(client, manager)
    return quote


def test_the_quote_builder_preselects_no_tier_and_names_the_free_one(
    client, db, factories, customer
):
    quote = _draft_quote_of_a_logged_in_manager(client, db, factories, customer)
    page = client.get(f"/contracts/quotes/{quote.id}").text
    options = TIER_SELECT.search(page).group(1)
    assert options.startswith('<option value="">– bitte wählen –</option>')
    assert "selected" not in options
    assert "winCall basic 5x6h (kostenlos)" in options and "CHF 0.00" not in options
    assert "winCall premium 7x24h (CHF 600.00)" in options


def test_a_line_without_a_tier_is_refused_in_german_and_keeps_the_input(
    client, db, factories, customer
):
    quote = _draft_quote_of_a_logged_in_manager(client, db, factories, customer)
    response = client.post(
        f"/contracts/quotes/{quote.id}/lines",
        data={"tier_code": "", "new_site_name": "Filiale Neu", "new_site_town": "Baden"},
    )
    assert response.status_code == 422
    assert "Stufe: Dieses Feld ist erforderlich." in _text(response.text)
    assert 'value="Filiale Neu"' in response.text and 'value="Baden"' in response.text
    assert db.session.query(QuoteLine).count() == 0


def test_a_discount_of_zero_is_not_shown_and_a_free_tier_reads_free(
    client, db, factories, customer
):
    quote = build_quote(db, factories, customer, tiers=("basic",), manual="0")
    login(client, quote.account_manager)
    page = client.get(f"/contracts/quotes/{quote.id}").text
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page[page.index('id="quote-totals"') :], re.S)
    manual = next(row for row in rows if "Sonderrabatt" in row)
    assert manual.startswith("<tr hidden>")
    line = next(row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "basic" in row)
    assert "kostenlos" in line and "0.00" not in line


def test_the_quote_pdf_says_free_for_the_basic_tier(db, factories, customer, monkeypatch):
    import app.pdf
    from plugins.contracts import quotes as quote_rules

    # The PDF's HTML, as the PDF renderer receives it.
    monkeypatch.setattr(app.pdf, "render_pdf_html", lambda html: html)
    quote = build_quote(db, factories, customer, tiers=("basic", "pro"), manual="0")
    text = _text(quote_rules.quote_pdf(quote))
    assert "kostenlos" in text and "129.00" in text
    assert "Sonderrabatt" not in text
