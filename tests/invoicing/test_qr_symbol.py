"""The QR-bill's symbol (qr_symbol.py), read back with zxing-cpp's decoder: the payload's
UTF-8 bytes in QR's default character set (no ECI), error correction M, version <= 25."""

from __future__ import annotations

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from plugins.invoicing.qr_symbol import MAX_VERSION, qr_bill_symbol

# A QR-bill payload as the Swiss standard writes it (Latin text, CRLF lines, 997 at most).
QR_BILL = (
    "SPC\r\n0200\r\n1\r\nCH4431999123000889012\r\nS\r\nWinet Network AG\r\nBahnhofstrasse"
    "\r\n1\r\n5000\r\nAarau\r\nCH\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n1234.50\r\nCHF\r\nS\r\n"
    "Müller Treuhand AG\r\nHauptstrasse\r\n12\r\n5400\r\nBaden\r\nCH\r\nQRR\r\n"
    "210000000003139471430009017\r\nRechnung 2026-000123\r\nEPD\r\n"
)
LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x17F, blacklist_categories=("Cs",))


def read_back(modules: list[list[bool]]) -> zxingcpp.Barcode:
    """The symbol drawn as a scanner sees it (4 px a module, a 4-module quiet zone), read."""
    size, scale, quiet = len(modules), 4, 4
    image = Image.new("L", ((size + 2 * quiet) * scale,) * 2, 255)
    for row, line in enumerate(modules):
        for col, dark in enumerate(line):
            if dark:
                x, y = (col + quiet) * scale, (row + quiet) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    read = zxingcpp.read_barcode(
        image, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.HexECI
    )
    assert read is not None and read.valid
    return read


def version_of(modules) -> int:
    return (len(modules) - 17) // 4


def assert_qr_bill_symbol(modules, payload: str) -> None:
    read = read_back(modules)
    assert read.bytes == payload.encode("utf-8")  # the UTF-8 bytes, as the standard asks
    # HexECI text: the symbology identifier, then the data; "]Q2" would mean an ECI
    # designator (zxing-cpp's default for bytes, ECI 899), which qrbill does not write.
    assert read.text.startswith("5D 51 31 ")  # ]Q1
    assert read.extra["ECLevel"] == "M"
    assert read.extra["Version"] == str(version_of(modules))
    assert 1 <= version_of(modules) <= MAX_VERSION


def test_the_qr_bill_payload_reads_back_byte_for_byte():
    modules = qr_bill_symbol(QR_BILL).modules
    assert_qr_bill_symbol(modules, QR_BILL)
    assert all(len(line) == len(modules) for line in modules)


@settings(max_examples=60, deadline=None)
@given(st.text(LATIN, min_size=1, max_size=498))  # <= 996 bytes: within version 25
def test_any_latin_payload_reads_back_byte_for_byte(payload):
    assert_qr_bill_symbol(qr_bill_symbol(payload).modules, payload)


def test_the_longest_payload_fits_the_largest_version():
    # 997 bytes, the standard's limit: what version 25 at level M holds in byte mode.
    payload = ("Bahnhofstrasse 12, 8001 Zurich " * 40)[:997]
    modules = qr_bill_symbol(payload).modules
    assert version_of(modules) == MAX_VERSION
    assert_qr_bill_symbol(modules, payload)


def test_a_payload_beyond_the_largest_version_is_refused():
    with pytest.raises(ValueError, match="too long"):
        qr_bill_symbol("ä" * 499)  # 998 bytes
