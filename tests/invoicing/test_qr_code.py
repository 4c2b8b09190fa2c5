"""The QR-bill's QR code: one picture of the symbol, qrbill's payload, 46 mm, decodable in the PDF."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from qrbill import QRBill
from qrbill.bill import mm

from plugins.invoicing import payment_part as payment_part_module
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.models import Invoice
from plugins.invoicing.payment_part import (
    PAYMENT_PART_HEIGHT_MM,
    PAYMENT_PART_WIDTH_MM,
    QR_CODE_SIZE_MM,
)
from plugins.invoicing.qr_symbol import qr_bill_symbol
from tests.invoicing.test_payment_part import render

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
DPI = 300
A4_HEIGHT_MM = 297
# qrbill's Swiss cross: a 19-unit box scaled to 7 mm, drawn around the centre (10, 10).
CROSS_UNITS = 19
# Where qrbill puts the code's top-left corner in the slip's SVG: 5 mm into the payment
# part (the receipt is 62 mm wide) and 61 user units (17.2 mm) below the top.
QR_LEFT_MM = 62 + 5
QR_TOP_MM = 61 / mm(1)


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def transform_of(element: ET.Element) -> tuple[float, float, float]:
    match = re.fullmatch(
        r"translate\(([-\d.]+),([-\d.]+)\) scale\(([-\d.]+)\)", element.get("transform")
    )
    assert match, element.get("transform")
    x, y, scale = (float(v) for v in match.groups())
    return x, y, scale


def user_units_per_mm(root: ET.Element) -> float:
    assert root.get("width") == f"{PAYMENT_PART_WIDTH_MM}mm"
    return float(root.get("viewBox").split()[2]) / PAYMENT_PART_WIDTH_MM


def qr_paths(root: ET.Element) -> list[ET.Element]:
    """Paths drawn on a module grid: the QR code (qrbill's "M0,0H1V1H0z..." or the outline)."""
    return [
        p for p in root.iter(f"{SVG}path") if re.fullmatch(r"(M\d+,\d+[-\dhvHV,]*z)+", p.get("d"))
    ]


@pytest.fixture
def bills(monkeypatch) -> list[QRBill]:
    """Every QRBill the payment part builds while the test runs."""
    seen = []
    original = payment_part_module._WinetQRBill.qr_data

    def spy(bill):
        seen.append(bill)
        return original(bill)

    monkeypatch.setattr(payment_part_module._WinetQRBill, "qr_data", spy)
    return seen


@pytest.fixture
def qrbill_as_is(monkeypatch):
    """Switches payment_part_svg back to qrbill's own drawing of the QR code."""

    class QrbillAsIs(payment_part_module._WinetQRBill):
        qr_image = QRBill.qr_image
        draw_swiss_cross = QRBill.draw_swiss_cross

    def switch():
        monkeypatch.setattr(payment_part_module, "_WinetQRBill", QrbillAsIs)

    return switch


def image_of(root: ET.Element) -> ET.Element:
    (image,) = root.iter(f"{SVG}image")
    return image


def test_qr_code_is_one_picture_of_the_symbol_46_mm_where_qrbill_put_it(bills, qrbill_as_is):
    root = parsed(render())
    per_mm = user_units_per_mm(root)
    symbol = qr_bill_symbol(bills[-1].qr_data()).modules  # the symbol of qrbill's payload
    image = image_of(root)
    assert qr_paths(root) == []  # no path drawn on a module grid: the picture instead
    qrbill_as_is()
    qrbill_root = parsed(render())
    (qrbill_path,) = qr_paths(qrbill_root)
    assert qrbill_path.get("d").count("z") > 1500  # qrbill's: a square per dark module

    # A PNG, one pixel a module, 1 bit, exactly the symbol; drawn without smoothing.
    href = image.get(f"{XLINK}href")
    assert href.startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    assert picture.mode == "1" and picture.size == (len(symbol), len(symbol))
    dark = [
        [picture.getpixel((col, row)) == 0 for col in range(picture.width)]
        for row in range(picture.height)
    ]
    assert dark == symbol
    assert image.get("image-rendering") == "optimizeSpeed"  # not auto: no interpolation
    # 46 x 46 mm at qrbill's top-left corner.
    qrbill_x, qrbill_y, _ = transform_of(qrbill_path)
    x, y = float(image.get("x")), float(image.get("y"))
    assert (x, y) == pytest.approx((qrbill_x, qrbill_y))
    assert (x / per_mm, y / per_mm) == pytest.approx((QR_LEFT_MM, QR_TOP_MM))
    assert float(image.get("width")) / per_mm == pytest.approx(QR_CODE_SIZE_MM, abs=1e-4)
    assert float(image.get("height")) / per_mm == pytest.approx(QR_CODE_SIZE_MM, abs=1e-4)

    # qrbill's Swiss cross, unchanged, 7 mm, centred on the 46 mm code, drawn after it.
    cross = root.find(f".//{SVG}g[@id='swiss-cross']")
    qrbill_cross = qrbill_root.find(f".//{SVG}g[@id='swiss-cross']")
    assert [ET.tostring(e) for e in cross] == [ET.tostring(e) for e in qrbill_cross]
    cross_x, cross_y, cross_scale = transform_of(cross)
    assert CROSS_UNITS * cross_scale / per_mm == pytest.approx(7, abs=1e-4)
    centre = (x + QR_CODE_SIZE_MM * per_mm / 2, y + QR_CODE_SIZE_MM * per_mm / 2)
    assert cross_x + 10 * cross_scale == pytest.approx(centre[0])
    assert cross_y + 10 * cross_scale == pytest.approx(centre[1])
    drawn = list(root.iter())
    assert drawn.index(image) < drawn.index(cross)


def test_the_pdf_draws_the_symbol_without_smoothing(app, db, setup):
    """WeasyPrint writes the picture as an image with /Interpolate false: viewers and
    printers scale it to exact squares instead of blurring its edges."""
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer = setup.customer(language="de", legal_name="Muster Treuhand AG")
    setup.contract(setup.site(customer, name="Hauptsitz Baden"), "pro", date(2026, 11, 10))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    reader = PdfReader(io.BytesIO(db.session.get(Invoice, invoice_id).pdf))
    images = [
        xobject
        for page in reader.pages
        for xobject in _xobjects(page)
        if xobject.get("/Subtype") == "/Image"
    ]
    (qr,) = [i for i in images if i["/Width"] == i["/Height"] and i["/Width"] < 200]
    assert qr["/Interpolate"] is False or str(qr["/Interpolate"]).lower() == "false"


def _xobjects(page) -> list:
    """Every XObject a page draws, also inside form XObjects (WeasyPrint nests the SVG)."""
    found, pending = [], [page.get("/Resources")]
    while pending:
        resources = pending.pop()
        if resources is None:
            continue
        resources = resources.get_object()
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            found.append(xobject)
            if xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))
    return found


# --- The issued invoice's PDF, rasterised at print resolution and decoded -----------------


@pytest.fixture(scope="module")
def pdftoppm() -> str:
    """poppler's pdftoppm; missing, it skips locally and fails under CI."""
    found = shutil.which("pdftoppm")
    if not found:
        message = "pdftoppm not found (scripts/system-packages.sh test installs poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def rasterised_last_page(pdf: bytes, tmp_path, pdftoppm: str):
    (tmp_path / "invoice.pdf").write_bytes(pdf)
    last = len(PdfReader(tmp_path / "invoice.pdf").pages)
    subprocess.run(
        [pdftoppm, "-png", "-r", str(DPI), "-f", str(last), "-l", str(last), "-singlefile"]
        + [str(tmp_path / "invoice.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as image:
        return image.convert("L")


def px(mm: float) -> int:
    return round(mm * DPI / 25.4)


def separation_line_mm(page: Image.Image, top: float, bottom: float) -> float:
    """x of the dashed line between receipt and payment part, found on the raster."""
    region = (px(55), px(top), px(66), px(bottom))  # between the receipt's text and the code
    # The mean grey of each column: the dashed line's columns are by far the darkest.
    strip = page.crop(region).resize((region[2] - region[0], 1), Image.Resampling.BOX)
    means = [strip.getpixel((x, 0)) for x in range(strip.width)]
    line = [x for x, mean in enumerate(means) if mean < (min(means) + 255) / 2]
    return (region[0] + sum(line) / len(line) + 0.5) * 25.4 / DPI


def test_invoice_pdf_qr_code_decodes_to_qrbills_payload_at_46_mm_with_quiet_zone(
    app, db, setup, bills, tmp_path, pdftoppm
):
    zxingcpp = pytest.importorskip("zxingcpp")
    app.config["INVOICING_FIRST_PERIOD"] = "2026-11"
    customer = setup.customer(language="de", legal_name="Muster Treuhand AG")
    setup.contract(setup.site(customer, name="Hauptsitz Baden"), "pro", date(2026, 11, 10))
    (invoice_id,) = run_period("2026-12").invoice_ids
    issue_invoices([invoice_id], processes=1)
    page = rasterised_last_page(db.session.get(Invoice, invoice_id).pdf, tmp_path, pdftoppm)
    # Issuing also builds a QR-bill with a stand-in reference before it takes the number.
    reference = db.session.get(Invoice, invoice_id).qr_reference
    (bill,) = {id(b): b for b in bills if b.reference_number == reference}.values()
    payload = bill.qr_data()
    symbol = qr_bill_symbol(payload).modules

    (code,) = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    assert code.bytes == payload.encode("utf-8")  # byte for byte, UTF-8 as the standard asks
    assert code.extra["ECLevel"] == "M"
    assert int(code.extra["Version"]) == (len(symbol) - 17) // 4

    # 46 mm each way on the raster (0.085 mm a pixel), the slip's top-left corner where
    # qrbill puts it: 5 mm right of the separation line, 17.2 mm below the slip's top, and
    # the slip sits on the page's bottom edge.
    corners = [getattr(code.position, c) for c in ("top_left", "top_right", "bottom_left")]
    left, top = (min(c.x for c in corners) * 25.4 / DPI, min(c.y for c in corners) * 25.4 / DPI)
    right, bottom = (max(c.x for c in corners) * 25.4 / DPI, max(c.y for c in corners) * 25.4 / DPI)
    assert right - left == pytest.approx(QR_CODE_SIZE_MM, abs=0.15)
    assert bottom - top == pytest.approx(QR_CODE_SIZE_MM, abs=0.15)
    slip_top = A4_HEIGHT_MM - PAYMENT_PART_HEIGHT_MM
    assert top == pytest.approx(slip_top + QR_TOP_MM, abs=0.15)
    line = separation_line_mm(page, top + 30, A4_HEIGHT_MM - 5)
    assert left - line == pytest.approx(QR_LEFT_MM - 62, abs=0.15)

    # Every module's centre shows the symbol's module, except under the Swiss cross.
    module = QR_CODE_SIZE_MM / len(symbol)
    half_cross = 7.8 / 2  # the 7 mm cross, with its white edge it is 7.6 mm
    for row, cells in enumerate(symbol):
        for column, dark in enumerate(cells):
            x, y = (column + 0.5) * module, (row + 0.5) * module
            if max(abs(x - QR_CODE_SIZE_MM / 2), abs(y - QR_CODE_SIZE_MM / 2)) < half_cross:
                continue
            grey = page.getpixel((px(left + x), px(top + y)))
            assert (grey < 128) == dark, (row, column, grey)

    # The 5 mm quiet zone around the code is blank, but on the left: there the dashed
    # separation line runs 5 mm away, with qrbill's scissors on it (reaching 1.3 mm right
    # of the line), so the band checked starts 1.5 mm right of the line. 3.5 mm is still
    # more than the 4 modules (3 mm) a QR code itself needs.
    near, far = 0.1, 4.9  # mm from the code's edge; anti-aliasing of the edge pixels
    clear_of_scissors = line + 1.5
    blank = {
        "above": (clear_of_scissors, top - far, right + far, top - near),
        "below": (clear_of_scissors, bottom + near, right + far, bottom + far),
        "right": (right + near, top - far, right + far, bottom + far),
        "left": (clear_of_scissors, top - far, left - near, bottom + far),
    }
    for side, (x0, y0, x1, y1) in blank.items():
        darkest, _ = page.crop((px(x0), px(y0), px(x1), px(y1))).getextrema()
        assert darkest > 250, (side, darkest)
