"""QR reference (QRR) of an invoice number: 27 digits, stdnum check digit, reversible."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.ch import esr

from plugins.invoicing.qr_reference import (
    QrReferenceParts,
    format_qr_reference,
    parse_qr_reference,
    qr_reference_for,
)


def test_qr_reference_of_invoice_2026_000123_has_27_digits_and_validates_with_stdnum():
    reference = qr_reference_for("2026-000123")
    assert len(reference) == 27
    assert reference.isdigit()
    assert esr.is_valid(reference)
    # 12 prefix digits (none), year, 10-digit sequence, check digit from stdnum.
    assert reference[:-1] == "000000000000" + "2026" + "0000000123"
    assert reference[-1] == esr.calc_check_digit(reference[:-1]) == "4"


def test_qr_reference_is_printed_in_blocks_of_five_after_two_digits():
    reference = qr_reference_for("2026-000123")
    assert format_qr_reference(reference) == "00 00000 00000 20260 00000 01234"


def test_qr_reference_parses_back_to_year_and_sequence():
    assert parse_qr_reference(qr_reference_for("2026-000123")) == QrReferenceParts("", 2026, 123)


@pytest.mark.parametrize(
    "as_received",
    [
        "000000000000202600000001234",  # camt.054: the bare 27 digits
        "00 00000 00000 20260 00000 01234",  # typed from the printed slip
        "202600000001234",  # leading zeros omitted
    ],
)
def test_parsing_accepts_the_forms_a_reference_arrives_in(as_received):
    assert parse_qr_reference(as_received) == QrReferenceParts("", 2026, 123)


def test_credit_note_prefix_maps_each_letter_to_two_digits_a_10_to_z_35():
    # G = 16, S = 28, right-aligned in the 12 prefix digits.
    reference = qr_reference_for("GS-2026-000012")
    assert reference[:12] == "000000001628"
    assert esr.is_valid(reference)
    assert parse_qr_reference(reference) == QrReferenceParts("GS", 2026, 12)


def test_prefix_dash_is_optional_and_does_not_change_the_reference():
    assert qr_reference_for("GS2026-000012") == qr_reference_for("GS-2026-000012")


def test_invoice_and_credit_note_with_the_same_number_get_different_references():
    assert qr_reference_for("2026-000012") != qr_reference_for("GS-2026-000012")


def test_sequence_zero_padding_does_not_change_the_reference():
    assert qr_reference_for("2026-123") == qr_reference_for("2026-000123")


@pytest.mark.parametrize(
    "document_number",
    [
        "",
        "2026/000123",
        "26-000123",
        "2026-",
        "2026000123",
        "gs-2026-000012",  # prefixes are uppercase
        "ABCDEFG-2026-1",  # seven letters do not fit the twelve prefix digits
        "2026-12345678901",  # eleven sequence digits
        "2026-000000",  # numbering starts at 1
        " 2026-000123",
    ],
)
def test_document_numbers_outside_the_documented_format_are_rejected(document_number):
    with pytest.raises(ValueError):
        qr_reference_for(document_number)


def test_reference_with_a_wrong_check_digit_is_rejected():
    with pytest.raises(ValueError, match="not a valid QR reference"):
        parse_qr_reference("000000000000202600000001235")


def test_reference_longer_than_27_digits_is_rejected():
    with pytest.raises(ValueError, match="not a valid QR reference"):
        parse_qr_reference("1" + qr_reference_for("2026-000123"))


def _with_check_digit(data: str) -> str:
    return data + esr.calc_check_digit(data)


@pytest.mark.parametrize(
    "data",
    [
        "05" + "0" * 10 + "2026" + "0000000001",  # 05 is no letter
        "16" + "00" + "0" * 8 + "2026" + "0000000001",  # padding after a letter
        "99" + "0" * 10 + "2026" + "0000000001",
        "0" * 12 + "2026" + "0000000000",  # sequence 0
    ],
)
def test_valid_reference_not_issued_by_this_layout_is_rejected(data):
    reference = _with_check_digit(data)
    assert esr.is_valid(reference)
    with pytest.raises(ValueError, match="not issued by this system"):
        parse_qr_reference(reference)


@given(
    prefix=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=6),
    year=st.integers(min_value=2000, max_value=9999),
    sequence=st.integers(min_value=1, max_value=9_999_999_999),
)
def test_every_document_number_round_trips_through_its_reference(prefix, year, sequence):
    number = f"{prefix}{'-' if prefix else ''}{year}-{sequence:06d}"
    reference = qr_reference_for(number)
    assert len(reference) == 27 and esr.is_valid(reference)
    assert parse_qr_reference(reference) == QrReferenceParts(prefix, year, sequence)
