"""The QR-bill's QR symbol: qrcode's own (version, level M, data, mask), made faster.

qrcode chooses the mask as ISO/IEC 18004 asks: it lays the data out under each of the
eight masks and keeps the one with the lowest penalty. Done module by module in Python
that is 8 layouts and 8 penalty counts of some 3,000 modules each, most of the time of
building an invoice's page (17 of the issuing process's 46 ms per invoice; 9 ms this way). Here the
same choice is made on whole rows at once: a row is an integer of bits, a mask flips the
data bits of a row with one XOR, and the penalty rules count with regular expressions
and bit counts. tests/invoicing/test_qr_symbol.py holds the result to qrcode's own, module
for module, and the penalty to qrcode's for any matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import qrcode
import qrcode.constants
from qrcode import util

# N1: a run of 5 or more modules of one colour in a row or column costs its length - 2.
_RUN = re.compile(r"0{5,}|1{5,}")
# N3: a finder-like 1:1:3:1:1 pattern with 4 light modules on one side costs 40, every
# occurrence. Neither pattern can overlap itself (no proper suffix is also a prefix), so
# str.count finds them all; the two may overlap each other, so each is counted apart.
_FINDER_LIKE = ("10111010000", "00001011101")


def penalty(rows: Sequence[int], size: int) -> int:
    """The penalty of a symbol whose rows are integers (bit c = module c dark), as
    qrcode's util.lost_point counts it (rules N1-N4 of ISO/IEC 18004)."""
    lines = [format(row, f"0{size}b") for row in rows]
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    # Rows and columns in one text, apart by a character that is neither colour: no run
    # or pattern reaches across, and each rule is one search instead of one per line.
    text = " ".join(lines)
    points = sum(len(run) - 2 for run in _RUN.findall(text))
    points += 40 * sum(text.count(pattern) for pattern in _FINDER_LIKE)
    # N2: each 2 x 2 block of one colour costs 3.
    blocks = (1 << (size - 1)) - 1  # the bit of each block's left column
    every = (1 << size) - 1
    for upper, lower in zip(rows, rows[1:], strict=False):
        dark = upper & lower
        light = ~(upper | lower) & every
        points += 3 * (
            (dark & dark >> 1 & blocks).bit_count() + (light & light >> 1 & blocks).bit_count()
        )
    # N4: 10 for every full 5 % the share of dark modules is away from half (qrcode's
    # arithmetic, float and all, so that a tie breaks the same way).
    percent = float(sum(row.bit_count() for row in rows)) / (size**2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


# The modules data bits go to, by version (the function patterns depend on nothing else).
_DATA_CELLS: dict[int, tuple[tuple[int, int], ...]] = {}


def _data_cells(blank: Sequence[Sequence[bool | None]]) -> tuple[tuple[int, int], ...]:
    """The free (None) modules of a blank symbol in the order qrcode's map_data fills
    them: up and down two columns at a time from the right, skipping the vertical timing
    pattern."""
    size = len(blank)
    cells = []
    step, row = -1, size - 1
    for col in range(size - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            cells.extend((row, c) for c in (col, col - 1) if blank[row][c] is None)
            row += step
            if not 0 <= row < size:
                row -= step
                step = -step
                break
    return tuple(cells)


@cache
def _mask_rows(mask_pattern: int, size: int) -> tuple[int, ...]:
    """Each row of a mask as an integer: bit c set where the mask flips module c."""
    flips = util.mask_func(mask_pattern)
    return tuple(sum(1 << col for col in range(size) if flips(row, col)) for row in range(size))


def _data_bits(data: bytes | bytearray | list[int], cells: int) -> list[bool]:
    """The bit of each data cell: the data's bits, most significant first, then light."""
    bits = [(byte >> shift) & 1 == 1 for byte in data for shift in range(7, -1, -1)]
    return (bits + [False] * cells)[:cells]


class QRSymbol(qrcode.QRCode):
    """qrcode's QRCode with its data layout and mask choice done per row."""

    def _cells(self) -> tuple[tuple[int, int], ...]:
        # map_data runs on the blank symbol: its data cells are the modules still None.
        if self.version not in _DATA_CELLS:
            _DATA_CELLS[self.version] = _data_cells(self.modules)
        return _DATA_CELLS[self.version]

    def map_data(self, data, mask_pattern):
        cells = self._cells()
        flips = util.mask_func(mask_pattern)
        modules = self.modules
        for (row, col), dark in zip(cells, _data_bits(data, len(cells)), strict=True):
            modules[row][col] = dark != bool(flips(row, col))

    def best_mask_pattern(self):
        # The symbol with qrcode's function patterns and test format bits (all light)...
        self.makeImpl(True, 0)
        size = len(self.modules)
        cells = self._cells()
        data_at, dark_data = [0] * size, [0] * size
        for (row, col), dark in zip(cells, _data_bits(self.data_cache, len(cells)), strict=True):
            data_at[row] |= 1 << col
            if dark:
                dark_data[row] |= 1 << col
        fixed = [
            sum(1 << col for col, dark in enumerate(line) if dark) & ~data_at[row]
            for row, line in enumerate(self.modules)
        ]

        # ... and under each mask: the fixed modules and the data, flipped where it says.
        def rows_under(mask_pattern: int) -> list[int]:
            flips = _mask_rows(mask_pattern, size)
            return [
                fixed[row] | ((dark_data[row] ^ flips[row]) & data_at[row]) for row in range(size)
            ]

        # The first of the lowest, as qrcode keeps it.
        return min(range(8), key=lambda mask: penalty(rows_under(mask), size))


def qr_bill_modules(payload: str) -> list[list[bool]]:
    """The modules of the QR-bill symbol of `payload`, as qrbill has qrcode make it
    (error correction M, the smallest version that holds it, no border)."""
    symbol = QRSymbol(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    symbol.add_data(payload)
    symbol.make(fit=True)
    return symbol.modules
