"""The QR-bill's QR symbol, made by zxing-cpp's encoder (C++), and its picture.

qrbill has qrcode make the symbol, in Python: laying the data out under each of the eight
masks and counting each one's penalty, module by module, took 17 of the issuing process's
46 ms per invoice (9 ms after a row-wise rewrite of our own). zxing-cpp, a maintained
barcode library, makes the same kind of symbol (ISO/IEC 18004, error correction M, the
smallest version that holds the data, the mask of lowest penalty) in about 1 ms.

The Swiss standard wants the payload's UTF-8 bytes in byte mode, with no ECI designator
(that is what qrbill/qrcode write). zxing-cpp is given those bytes, and `eci=0` (zint's
"none"): without it, bytes go under ECI 899 ("binary"), and text in ISO-8859-1, which
would write "ä" as one byte, not two. tests/invoicing/test_qr_symbol.py reads symbols back
with zxing-cpp's decoder: the bytes, no ECI designator, level M, version at most 25.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image

# The Swiss QR Code's largest version (117 x 117 modules) in the Swiss Implementation
# Guidelines: at level M it holds 997 bytes, the standard's limit on the payload.
MAX_VERSION = 25


@dataclass(frozen=True)
class Symbol:
    """A QR symbol without its quiet zone: `size` modules a side, `pixels` one byte a
    module, row by row, 0 where dark and 255 where light."""

    size: int
    pixels: bytes

    @property
    def version(self) -> int:
        return (self.size - 17) // 4

    @property
    def modules(self) -> list[list[bool]]:
        """Row by row, True where dark."""
        size, pixels = self.size, self.pixels
        return [[pixels[row + col] == 0 for col in range(size)] for row in range(0, size**2, size)]

    def png(self) -> bytes:
        """The symbol as a 1-bit PNG, one pixel a module: drawn at any size without
        smoothing (SVG image-rendering other than auto, a PDF image with Interpolate
        false), it is the symbol's exact squares."""
        picture = Image.frombytes("L", (self.size, self.size), self.pixels).convert("1")
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()


def qr_bill_symbol(payload: str) -> Symbol:
    """The QR-bill symbol of `payload`: error correction M, the smallest version that
    holds it; ValueError beyond version 25."""
    made = zxingcpp.create_barcode(
        payload.encode("utf-8"), zxingcpp.BarcodeFormat.QRCode, ec_level="M", eci=0
    )
    image = memoryview(made.to_image(scale=1, add_quiet_zones=False))  # a luminance image
    size, width = image.shape
    symbol = Symbol(size, image.tobytes())
    if size != width or (size - 17) % 4 or symbol.version > MAX_VERSION:
        raise ValueError(f"the QR-bill payload needs a {size} x {width} symbol: too long")
    return symbol
