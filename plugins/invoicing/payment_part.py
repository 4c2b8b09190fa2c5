"""Swiss QR-bill payment part (receipt + payment part) of an invoice, as SVG, via `qrbill`.

The SVG is 210 mm x 106 mm: qrbill draws the standard 105 mm high slip plus 1 mm above it
so that the scissors symbol on the top separation line is not clipped. Place it flush with
the bottom and the left edge of the A4 sheet (not 105 mm from the top of a box); the
separation line then lies 105 mm above the bottom edge as the standard requires. The XML
declaration is stripped so the string can be inlined in the invoice's HTML for WeasyPrint.

Only structured addresses (type "S") are produced: QR-bill version 2.3 no longer accepts
combined address lines, so the dataclasses below have no free-form address lines at all.

The QR code carries qrbill's payload at qrbill's error correction level M; its symbol is
made by zxing-cpp (qr_symbol.py) and drawn as one picture, one pixel a module, scaled
without smoothing, instead of qrbill's one square per module (about 1,800 subpaths).
Scaled so, every module is an exact square, as sharp as vector at any resolution;
WeasyPrint renders the page about 10 % faster than with the symbol's outlines as one path
(about 300 subpaths; 140 -> 124 ms), and making the picture takes 0.1 ms instead of the
outlines' 2 to 4. It is 46 x 46 mm as the style guide asks (qrbill draws 45.8 mm), with
its top-left corner where qrbill puts it and qrbill's Swiss cross centred.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from qrbill import QRBill
from qrbill.bill import mm
from stdnum import iban
from stdnum.ch import esr
from stdnum.exceptions import ValidationError

from app.toolkit import require_cents
from plugins.invoicing.qr_symbol import Symbol, qr_bill_symbol

__all__ = [
    "PAYMENT_PART_HEIGHT_MM",
    "PAYMENT_PART_WIDTH_MM",
    "QR_CODE_SIZE_MM",
    "Creditor",
    "PostalAddress",
    "payment_part_svg",
]

PAYMENT_PART_WIDTH_MM = 210
PAYMENT_PART_HEIGHT_MM = 106  # 105 mm slip + 1 mm for the scissors above the top line
# The style guide's size of the Swiss QR code without its quiet zone, whatever its version
# (qrbill itself draws 45.8 mm "to keep a bit of margin").
QR_CODE_SIZE_MM = 46

# Amount limits of the QR-bill standard (field "Amt": 0.01 to 999'999'999.99).
_MAX_AMOUNT = Decimal("999999999.99")

# QR-IBANs are recognised by the institution id (IBAN positions 5-9) in this range.
_QR_IID_RANGE = range(30000, 32000)


@dataclass(frozen=True, kw_only=True)
class PostalAddress:
    """A structured postal address as the QR-bill encodes it (the debtor's, for one)."""

    name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str = "CH"  # ISO 3166-1 alpha-2

    def as_qrbill_kwargs(self) -> dict[str, str]:
        return {
            "name": self.name,
            "street": self.street,
            "house_num": self.house_number,
            "pcode": self.postal_code,
            "city": self.town,
            "country": self.country,
        }


@dataclass(frozen=True, kw_only=True)
class Creditor(PostalAddress):
    """The payee: its structured address and the QR-IBAN payments with a QR reference go to."""

    account: str  # a QR-IBAN


@dataclass(frozen=True)
class _QRSymbolImage:
    """The QR symbol as qrbill's `draw_bill` reads it: `width` in modules, and `save()` an
    SVG with one path, which qrbill copies into the bill and `draw_swiss_cross` then
    swaps for the symbol's picture."""

    symbol: Symbol

    @property
    def width(self) -> int:
        return self.symbol.size

    @property
    def stand_in(self) -> str:
        """The path qrbill copies: the symbol's square, so that it can be found again."""
        return f"M0,0h{self.width}v{self.width}h-{self.width}z"

    def save(self, stream: BinaryIO) -> None:
        stream.write(
            f'<svg xmlns="http://www.w3.org/2000/svg"><path d="{self.stand_in}"/></svg>'.encode()
        )


class _WinetQRBill(QRBill):
    # The SPEC asks for Liberation Sans/Arial; both are among the four fonts the QR-bill
    # style guide permits, Liberation Sans is the one Linux servers ship (metric-compatible
    # with Arial). The generic fallback keeps a missing font from turning into a serif.
    font_family = "Liberation Sans,Arial,Helvetica,sans-serif"

    _qr_image: _QRSymbolImage | None = None

    def qr_image(self) -> _QRSymbolImage:
        # qrbill's payload at qrbill's level M, made by zxing-cpp instead of qrcode
        # (qr_symbol.py: a ninth of the time), and drawn as a picture (see the module).
        self._qr_image = _QRSymbolImage(qr_bill_symbol(self.qr_data()))
        return self._qr_image

    def draw_swiss_cross(self, dwg, grp, origin, size) -> None:
        # qrbill calls this right after adding the QR code to `grp`, with the code's top-left
        # corner as `origin` and its own 45.8 mm as `size`. Put the symbol's picture in the
        # stand-in path's place, at the style guide's 46 mm from that corner, then centre
        # qrbill's cross in it.
        image = self._qr_image
        drawn = [
            at
            for at, element in enumerate(grp.elements)
            if image and getattr(element, "commands", None) == [image.stand_in]
        ]
        if len(drawn) != 1:
            raise RuntimeError("qrbill no longer draws the QR code from qr_image() as one path")
        side = mm(QR_CODE_SIZE_MM)
        png = base64.b64encode(image.symbol.png()).decode("ascii")
        grp.elements[drawn[0]] = dwg.image(
            href=f"data:image/png;base64,{png}",
            insert=origin,
            size=(side, side),
            # Not "auto": no smoothing (WeasyPrint writes the image with Interpolate false).
            image_rendering="optimizeSpeed",
        )
        super().draw_swiss_cross(dwg, grp, origin, side)


def _require_qr_iban(account: str) -> str:
    try:
        compact = iban.validate(account)
    except ValidationError as error:
        raise ValueError(f"creditor account {account!r} is not a valid IBAN: {error}") from error
    if compact[:2] not in ("CH", "LI") or int(compact[4:9]) not in _QR_IID_RANGE:
        # qrbill would say "A QRR reference number is only allowed for a QR-IBAN"; name the
        # cause directly, because this is the usual mistake (the bank account's normal IBAN).
        raise ValueError(
            f"creditor account {iban.format(compact)} is not a QR-IBAN (a CH/LI IBAN whose "
            "institution id, digits 5-9, lies in 30000-31999); a payment part with a QR "
            "reference needs the QR-IBAN the bank issued for it"
        )
    return compact


def _require_qr_reference(reference: str) -> str:
    try:
        return esr.validate(reference).zfill(27)
    except ValidationError as error:
        raise ValueError(f"{reference!r} is not a valid QR reference: {error}") from error


def check_payment_part(
    *,
    creditor: Creditor,
    debtor: PostalAddress,
    amount: Decimal,
    reference: str,
    additional_information: str = "",
    language: str = "de",
) -> None:
    """Raise ValueError, as `payment_part_svg` would, for data the QR-bill standard
    rejects; without drawing anything (the QR code is most of a payment part's cost,
    and issuing checks every invoice before it takes a number)."""
    _bill(
        creditor=creditor,
        debtor=debtor,
        amount=amount,
        reference=reference,
        additional_information=additional_information,
        language=language,
        perforated_paper=False,
    ).qr_data()


def _bill(
    *,
    creditor: Creditor,
    debtor: PostalAddress,
    amount: Decimal,
    reference: str,
    additional_information: str,
    language: str,
    perforated_paper: bool,
) -> _WinetQRBill:
    """The bill with every value checked (qrbill checks on construction)."""
    amount = require_cents(amount)
    if not Decimal("0.01") <= amount <= _MAX_AMOUNT:
        raise ValueError(
            f"a QR-bill amount must be between 0.01 and 999'999'999.99 CHF, got {amount}"
        )
    account = _require_qr_iban(creditor.account)
    reference = _require_qr_reference(reference)

    try:
        return _WinetQRBill(
            account=account,
            creditor=creditor.as_qrbill_kwargs(),
            debtor=debtor.as_qrbill_kwargs(),
            amount=str(amount),
            currency="CHF",
            reference_number=reference,
            additional_information=additional_information,
            language=language,
            # Both lines carry the scissors symbol; qrbill draws them together or not at all.
            top_line=not perforated_paper,
            payment_line=not perforated_paper,
            # qrbill's default sizes (values at 8 pt, headings 6.4-7.2 pt, title 9.6 pt) stay
            # within the style guide's 6-10 pt and fit its fixed 3.5 mm line spacing; a larger
            # factor makes "Währung"/"Betrag" and long address lines collide.
            font_factor=1,
        )
    except ValueError as error:
        raise ValueError(f"the QR-bill payment part cannot be created: {error}") from error


def payment_part_svg(
    *,
    creditor: Creditor,
    debtor: PostalAddress,
    amount: Decimal,
    reference: str,
    additional_information: str = "",
    language: str = "de",
    perforated_paper: bool = False,
) -> str:
    """Render the QR-bill receipt and payment part for an amount in CHF as an SVG string.

    `amount` is the payable total (already rounded to 0.05 CHF on an invoice) and must be
    positive: nothing is to be paid on a zero or negative total, and such a document gets
    no payment part. `reference` is a QR reference (27 digits, spaces allowed).
    `language` is "de", "en", "fr" or "it". With `perforated_paper` the dashed separation
    lines and scissors are left out, as the style guide requires for pre-perforated paper;
    by default they are drawn because a PDF is printed on plain paper and cut by hand.

    Raises ValueError with a readable message for data the QR-bill standard rejects.
    """
    bill = _bill(
        creditor=creditor,
        debtor=debtor,
        amount=amount,
        reference=reference,
        additional_information=additional_information,
        language=language,
        perforated_paper=perforated_paper,
    )
    buffer = io.StringIO()
    bill.as_svg(buffer)  # full_page=False: the slip only, A4 wide
    svg = buffer.getvalue()
    # An XML declaration in the middle of an HTML document is at best ignored; drop it so
    # the markup can be inlined as is.
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :].lstrip()
    return svg
