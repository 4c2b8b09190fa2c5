"""The faster QR symbol (qr_symbol.py) is qrcode's own: same modules, same penalties."""

from __future__ import annotations

import qrcode
import qrcode.constants
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import util

from plugins.invoicing.qr_symbol import QRSymbol, penalty, qr_bill_modules

# A QR-bill payload as the Swiss standard writes it (Latin text, CRLF lines, 997 at most).
QR_BILL = (
    "SPC\r\n0200\r\n1\r\nCH4431999123000889012\r\nS\r\nWinet Network AG\r\nBahnhofstrasse"
    "\r\n1\r\n5000\r\nAarau\r\nCH\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n1234.50\r\nCHF\r\nS\r\n"
    "Müller Treuhand AG\r\nHauptstrasse\r\n12\r\n5400\r\nBaden\r\nCH\r\nQRR\r\n"
    "210000000003139471430009017\r\nRechnung 2026-000123\r\nEPD\r\n"
)
LATIN = st.characters(min_codepoint=0x20, max_codepoint=0x17F, blacklist_categories=("Cs",))


def qrcodes_own(payload: str) -> qrcode.QRCode:
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    symbol.add_data(payload)
    symbol.make(fit=True)
    return symbol


def as_rows(modules) -> list[int]:
    return [sum(1 << col for col, dark in enumerate(line) if dark) for line in modules]


def test_the_qr_bill_symbol_is_qrcodes_module_for_module():
    own = qrcodes_own(QR_BILL)
    assert qr_bill_modules(QR_BILL) == own.modules
    assert len(own.modules) == 4 * own.version + 17


@settings(max_examples=60, deadline=None)
@given(st.text(LATIN, min_size=1, max_size=997))
def test_any_payload_gives_qrcodes_version_mask_and_modules(payload):
    own = qrcodes_own(payload)
    fast = QRSymbol(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    fast.add_data(payload)
    fast.make(fit=True)
    assert fast.version == own.version
    assert fast.modules == own.modules
    # (choosing lays out test symbols: compare the choices after the finished modules)
    assert fast.best_mask_pattern() == own.best_mask_pattern()


@settings(max_examples=80, deadline=None)
@given(
    st.integers(21, 61).flatmap(
        lambda n: st.lists(st.lists(st.booleans(), min_size=n, max_size=n), min_size=n, max_size=n)
    )
)
def test_the_penalty_is_qrcodes_for_any_matrix(modules):
    assert penalty(as_rows(modules), len(modules)) == util.lost_point(modules)


def test_the_penalty_counts_each_rule():
    light = [[False] * 21 for _ in range(21)]
    # all light: every row and column one run of 21 (19 each), 400 blocks, 100 % light
    assert penalty(as_rows(light), 21) == 42 * 19 + 400 * 3 + 100
    finder = [list(map(int, "10111010000" + "1010101010")) for _ in range(21)]
    assert penalty(as_rows(finder), 21) == util.lost_point([[bool(v) for v in r] for r in finder])
