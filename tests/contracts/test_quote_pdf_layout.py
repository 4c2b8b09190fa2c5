"""The quote PDF of a long quote: per tier its service, FirstReaction, free units and
annual value; rows that never split; totals, the annual value and the accept link with its
QR code kept together (never a page holding only the key figure or the link)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from plugins.contracts import quotes as quote_rules
from tests.invoicing.test_pdf_layout import find, keep, text_lines

TIERS = ("premium", "pro_plus", "pro", "basic_plus")


def long_quote(db, factories, sites: int):
    customer = factories.customer("Filialen Muster AG", language="de")
    manager = factories.user("account_manager", name="Andrea Aussendienst")
    quote = quote_rules.create_quote(
        customer, manager, start_date=date(2026, 12, 15), valid_until=date(2026, 12, 31)
    )
    for number in range(1, sites + 1):
        site = factories.site(customer, f"Filiale {number:02d}")
        quote_rules.add_line(quote, TIERS[number % len(TIERS)], site=site)
    quote_rules.send_quote(quote)
    db.session.commit()
    return quote


def test_a_long_quote_keeps_rows_and_its_closing_block_together(db, factories):
    quote = long_quote(db, factories, 40)
    content = quote_rules.quote_pdf(quote)
    keep("quote-40-sites.pdf", content)
    lines = text_lines(content)
    assert max(line.page for line in lines) >= 1  # long enough to need a page break

    # Per tier: FirstReaction, free service units and the value per month and year.
    tiers = find(lines, 0, lambda text: text.startswith("Was jede Stufe umfasst"))
    end = find(lines, tiers, lambda text: text.startswith("Listenpreise exkl. MWST"))
    table = "\n".join(line.text for line in lines[tiers:end])
    assert "innert 1 Stunde" in table and "innert 2 Stunden" in table  # premium, pro+
    assert "12 Einheiten zu" in table and "4 Einheiten zu" in table  # premium, pro
    assert "6'000.00" in table and "72'000.00" in table  # premium: 10 sites x 600.00
    assert len({line.page for line in lines[tiers : end + 1]}) == 1

    # Every site's row is one line, so on one page.
    for number in range(1, 41):
        row = find(lines, 0, lambda text, n=number: text.startswith(f"Filiale {n:02d} "))
        assert "winCall" in lines[row].text, lines[row].text

    # The totals, the annual value and the accept link with its QR code stay together.
    start = find(lines, 0, lambda text: text.startswith("Zwischentotal pro Monat"))
    stop = find(lines, start, lambda text: text.startswith("Oder scannen Sie den QR-Code"))
    block = lines[start : stop + 1]
    assert len({line.page for line in block}) == 1
    assert any(line.text.startswith("Total pro Monat inkl. MWST") for line in block)
    assert any(line.text.startswith("Wert pro Jahr inkl. MWST") for line in block)


def test_the_qr_code_of_a_quote_opens_its_accept_link(db, factories, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not found (scripts/system-packages.sh test installs poppler-utils)")
    quote = long_quote(db, factories, 3)
    (tmp_path / "quote.pdf").write_bytes(quote_rules.quote_pdf(quote))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", str(tmp_path / "quote.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    codes = []
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as image:
            codes += [found.text for found in zxingcpp.read_barcodes(image.convert("L"))]
    (code,) = codes
    assert code.startswith("http://testserver/contracts/q/")
    assert quote_rules.quote_for_token(code.rsplit("/", 1)[-1]) == quote
