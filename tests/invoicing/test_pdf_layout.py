"""Page breaks of the customer PDFs, checked on their text layout (pdfplumber).

A row of a table never splits over two pages, a site's header stays with its first row,
the closing block (discounts, VAT table, totals, terms) stays on one page, no page holds
only the payment terms, and the QR-bill payment part sits at the bottom of a page: of the
last one when it fits there, else of a page of its own.

Set PDF_ARTIFACTS=<dir> to keep the rendered PDFs (look at them: pdftoppm -png).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest

from app.toolkit import AgreedDiscount, format_chf
from plugins.invoicing.documents import discount_split
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice

MM = 72 / 25.4  # PDF points per millimetre
PAGE_HEIGHT = 297 * MM
START = date(2026, 11, 10)
SLIP_TOP = PAGE_HEIGHT - 105 * MM  # the payment part's upper edge on A4


@dataclass(frozen=True)
class Line:
    page: int
    top: float
    text: str


def text_lines(content: bytes) -> list[Line]:
    """Every text line of the document, in reading order, with its page and height."""
    found = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for number, page in enumerate(pdf.pages):
            for line in page.extract_text_lines():
                found.append(Line(number, line["top"], line["text"]))
    return found


def keep(name: str, content: bytes) -> None:
    folder = os.environ.get("PDF_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(content)


def find(lines: list[Line], start: int, predicate) -> int:
    for index in range(start, len(lines)):
        if predicate(lines[index].text):
            return index
    raise AssertionError(f"not found after line {start}")


def assert_rows_do_not_split(invoice: Invoice, lines: list[Line]) -> None:
    """Each line's row (description, then its kind below) and each site header with its
    first row lie on one page. The rows are walked in document order."""
    at = 0
    for site_name, section in invoice.sections():
        header = None
        if site_name:
            header = find(lines, at, lambda text, s=site_name: text.endswith(f": {s}"))
            at = header + 1
        for position, line in enumerate(section):
            first = find(lines, at, lambda text, d=line.description: text.startswith(d))
            last = first  # a discount row is one line; any other row shows its kind below
            if line.unit not in ("volume_discount", "special_discount"):
                last = find(lines, first + 1, lambda text, k=line.kind.label: k in text)
            assert lines[first].page == lines[last].page, (
                f"the row {line.description!r} of {site_name} is split over two pages"
            )
            if position == 0 and header is not None:
                assert lines[header].page == lines[first].page, (
                    f"the header of {site_name} is parted from its first row"
                )
            at = last + 1


def assert_closing_block_on_one_page(lines: list[Line], first: str, last: str, *others) -> None:
    start = find(lines, 0, lambda text: first in text)
    end = find(lines, start, lambda text: last in text)
    pages = {line.page for line in lines[start : end + 1]}
    for other in others:
        pages.add(lines[find(lines, 0, lambda text, o=other: o in text)].page)
    assert len(pages) == 1, f"the block from {first!r} to {last!r} crosses a page"


def assert_no_page_holds_only(lines: list[Line], words: str) -> None:
    for page in {line.page for line in lines if words in line.text}:
        on_page = [line.text for line in lines if line.page == page]
        assert any("Total netto" in text for text in on_page), (
            f"page {page + 1} holds the payment terms without the totals: {on_page}"
        )


def slip_pages(lines: list[Line]) -> list[int]:
    return sorted({line.page for line in lines if line.text.startswith("Empfangsschein")})


@pytest.fixture(autouse=True)
def _billing_since_november(app):
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"


def consolidated_invoice(db, setup, sites: int) -> Invoice:
    customer = setup.customer(legal_name="Filialen Muster AG", invoice_mode="consolidated")
    for number in range(1, sites + 1):
        site = setup.site(customer, name=f"Filiale {number:02d} Bahnhofplatz")
        contract = setup.contract(site, ("pro", "basic_plus", "pro_plus")[number % 3], START)
        if sites > 1:  # as a quote for that many sites agreed them
            contract.discount = AgreedDiscount(Decimal("5"), Decimal("2.5"))
    db.session.commit()
    result = run_period("2026-12")
    assert not result.failures, result.failures
    (invoice_id,) = result.invoice_ids
    issue_invoices([invoice_id], processes=1)
    return db.session.get(Invoice, invoice_id)


@pytest.mark.parametrize("sites", [1, 12, 40])
def test_invoice_rows_totals_and_payment_part_keep_together(db, setup, sites):
    invoice = consolidated_invoice(db, setup, sites)
    keep(f"invoice-{sites}-sites.pdf", invoice.pdf)
    lines = text_lines(invoice.pdf)
    pages = max(line.page for line in lines) + 1

    assert_rows_do_not_split(invoice, lines)
    assert_closing_block_on_one_page(lines, "MWST-Satz", "Zahlbetrag CHF", "Zahlbar innert")
    assert_no_page_holds_only(lines, "Zahlbar innert")
    # The payment part is on the last page, below everything else on it.
    (slip_page,) = slip_pages(lines)
    assert slip_page == pages - 1
    slip_top = min(
        line.top for line in lines if line.page == slip_page and "Empfangsschein" in line.text
    )
    assert slip_top >= SLIP_TOP - 2
    assert all(
        line.top < slip_top for line in lines if line.page == slip_page and line.top < SLIP_TOP - 2
    )
    if sites == 1:
        assert pages == 1, "a short invoice and its payment part fit on one A4 page"
    else:  # the discounts split into volume and special, summed over the lines
        text = "\n".join(line.text for line in lines)
        split = discount_split(invoice)
        assert split.volume < 0 and split.special < 0
        assert "Rabatte auf dieser Rechnung" in text
        assert f"Mengenrabatt {format_chf(split.volume)}" in text
        assert f"Sonderrabatt {format_chf(split.special)}" in text
