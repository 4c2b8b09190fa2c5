"""QR-bill payment part: SVG content, structured addresses, QR-IBAN rule, A4 placement."""

import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest

from plugins.invoicing import payment_part as payment_part_module
from plugins.invoicing.payment_part import (
    PAYMENT_PART_HEIGHT_MM,
    PAYMENT_PART_WIDTH_MM,
    Creditor,
    PostalAddress,
    check_payment_part,
    payment_part_svg,
)
from plugins.invoicing.qr_reference import qr_reference_for

# The QR-IBAN of the SIX implementation guidelines' examples (institution id 31999).
QR_IBAN = "CH44 3199 9123 0008 8901 2"
# An ordinary IBAN (institution id 00762), not usable with a QR reference.
NORMAL_IBAN = "CH93 0076 2011 6238 5295 7"

WINET = Creditor(
    name="Winet Voicetec Solutions AG",
    street="Täfernstrasse",
    house_number="31",
    postal_code="5405",
    town="Baden-Dättwil",
    country="CH",
    account=QR_IBAN,
)
CUSTOMER = PostalAddress(
    name="Muster Treuhand AG",
    street="Bahnhofstrasse",
    house_number="1",
    postal_code="8001",
    town="Zürich",
    country="CH",
)


def render(**overrides):
    arguments = {
        "creditor": WINET,
        "debtor": CUSTOMER,
        "amount": Decimal("1334.55"),
        "reference": qr_reference_for("2026-000123"),
        "additional_information": "Rechnung 2026-000123",
        "language": "de",
    }
    arguments.update(overrides)
    return payment_part_svg(**arguments)


def test_payment_part_shows_amount_reference_in_blocks_and_creditor():
    svg = render()
    assert "1 334.55" in svg  # the QR-bill amount format: space as thousands separator
    assert "00 00000 00000 20260 00000 01234" in svg
    assert "Winet Voicetec Solutions AG" in svg
    assert "CH44 3199 9123 0008 8901 2" in svg
    assert "Rechnung 2026-000123" in svg
    assert "Muster Treuhand AG" in svg


def test_payment_part_is_labelled_in_the_requested_language():
    assert "Zahlteil" in render(language="de")
    assert "Empfangsschein" in render(language="de")
    english = render(language="en")
    assert "Payment part" in english and "Receipt" in english


def test_payment_part_is_an_inlineable_svg_a4_wide():
    svg = render()
    assert svg.startswith("<svg")  # no XML declaration in the middle of the HTML
    assert f'width="{PAYMENT_PART_WIDTH_MM}mm"' in svg
    assert f'height="{PAYMENT_PART_HEIGHT_MM}mm"' in svg


def test_plain_paper_gets_dashed_separation_lines_and_perforated_paper_none():
    assert "stroke-dasharray" in render()
    assert "stroke-dasharray" not in render(perforated_paper=True)


def test_qr_code_encodes_structured_addresses_only(monkeypatch):
    encoded = []
    original = payment_part_module._WinetQRBill.qr_data

    def spy(bill):
        encoded.append(original(bill))
        return encoded[-1]

    monkeypatch.setattr(payment_part_module._WinetQRBill, "qr_data", spy)
    render()
    fields = encoded[0].split("\r\n")
    # Swiss Payments Code header, QR-IBAN, then the creditor as a type "S" address.
    assert fields[:4] == ["SPC", "0200", "1", "CH4431999123000889012"]
    assert fields[4:11] == ["S", WINET.name, "Täfernstrasse", "31", "5405", "Baden-Dättwil", "CH"]
    assert fields[18:20] == ["1334.55", "CHF"]
    assert fields[20] == "S"  # the debtor, structured as well
    assert fields[27:29] == ["QRR", "000000000000202600000001234"]
    assert "K" not in (fields[4], fields[20])


def test_normal_iban_with_a_qr_reference_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="is not a QR-IBAN"):
        render(creditor=replace(WINET, account=NORMAL_IBAN))


def test_invalid_iban_is_rejected():
    with pytest.raises(ValueError, match="not a valid IBAN"):
        render(creditor=replace(WINET, account="CH44 3199 9123 0008 8901 3"))


def test_invalid_qr_reference_is_rejected():
    with pytest.raises(ValueError, match="not a valid QR reference"):
        render(reference="000000000000202600000001235")


def test_reference_may_be_passed_in_its_printed_blocks():
    assert render(reference="00 00000 00000 20260 00000 01234") == render()


def test_incomplete_debtor_address_is_rejected_with_qrbills_reason():
    with pytest.raises(ValueError, match="cannot be created.*City is mandatory"):
        render(debtor=replace(CUSTOMER, town=""))


def test_additional_information_over_140_characters_is_rejected():
    with pytest.raises(ValueError, match="140 characters"):
        render(additional_information="x" * 141)


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="Language"):
        render(language="rm")


@pytest.mark.parametrize("amount", [Decimal("0.00"), Decimal("-10.00"), Decimal("1000000000.00")])
def test_amount_outside_the_qr_bill_range_is_rejected(amount):
    with pytest.raises(ValueError, match="between 0.01 and"):
        render(amount=amount)


def test_amount_with_fractions_of_a_rappen_is_rejected():
    with pytest.raises(ValueError, match="Rappen"):
        render(amount=Decimal("10.005"))


def test_float_amount_raises_type_error():
    with pytest.raises(TypeError, match="float"):
        render(amount=1334.55)


def test_payment_part_sits_at_the_bottom_of_an_a4_page_in_weasyprint():
    weasyprint = pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    html = f"""<html><head><style>
        @page {{ size: A4; margin: 20mm; }}
        .qr-bill {{ position: absolute; left: -20mm; bottom: -20mm; }}
        .qr-bill svg {{ display: block; width: 210mm; height: 106mm; }}
        </style></head>
        <body><p>Rechnung 2026-000123</p><div class="qr-bill">{render()}</div></body></html>"""
    page = pypdf.PdfReader(io.BytesIO(weasyprint.HTML(string=html).write_pdf())).pages[0]

    positions = {}

    def record(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            positions.setdefault(text.strip(), (x * 25.4 / 72, y * 25.4 / 72))

    page.extract_text(visitor_text=record)
    # qrbill puts the "Empfangsschein" baseline 5 mm from the left edge and 11 mm below the
    # top of its 106 mm box, i.e. 95 mm above the bottom edge of the sheet.
    x, y = positions["Empfangsschein"]
    assert x == pytest.approx(5, abs=0.5)
    assert y == pytest.approx(95, abs=0.5)
    assert any(re.fullmatch(r"1 334\.55", text) for text in positions)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"creditor": replace(WINET, account=NORMAL_IBAN)}, "is not a QR-IBAN"),
        ({"reference": "000000000000202600000001235"}, "not a valid QR reference"),
        ({"debtor": replace(CUSTOMER, town="")}, "City is mandatory"),
        ({"additional_information": "x" * 141}, "140 characters"),
        ({"language": "rm"}, "Language"),
        ({"amount": Decimal("0.00")}, "between 0.01 and"),
    ],
)
def test_the_check_before_issuing_refuses_what_the_payment_part_would(change, reason):
    arguments = {
        "creditor": WINET,
        "debtor": CUSTOMER,
        "amount": Decimal("1334.55"),
        "reference": qr_reference_for("2026-000123"),
        **change,
    }
    with pytest.raises(ValueError, match=reason):
        check_payment_part(**arguments)


def test_the_check_before_issuing_draws_no_qr_code(monkeypatch):
    """Issuing checks every draft's QR-bill before taking its number: the QR code, most of
    a payment part's cost, is drawn once, for the PDF, not for the check as well."""
    drawn = []
    original = payment_part_module._WinetQRBill.qr_image
    monkeypatch.setattr(
        payment_part_module._WinetQRBill,
        "qr_image",
        lambda self: drawn.append(1) or original(self),
    )
    check_payment_part(
        creditor=WINET,
        debtor=CUSTOMER,
        amount=Decimal("1334.55"),
        reference=qr_reference_for("2026-000123"),
    )
    assert drawn == []
    render()
    assert drawn == [1]
