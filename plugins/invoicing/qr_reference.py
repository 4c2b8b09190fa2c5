"""Swiss QR reference (QRR) of a document number, and back, to match incoming bank payments.

A QRR has 27 digits: 26 of data and a modulo-10 recursive check digit (computed, validated
and formatted by python-stdnum's ``stdnum.ch.esr``, not by hand). This module fixes which
26 digits a document number maps to, so that a reference read from a bank statement
(camt.054) leads back to the document without a lookup table:

    digits  1-12  prefix: up to 6 letters A-Z, each as two digits A=10 ... Z=35 (the
                  letter values of ISO 7064 / IBAN check digits), right-aligned and
                  padded with "00"; all zeros for a plain invoice number
    digits 13-16  year, 4 digits
    digits 17-26  sequence within the year, 10 digits, zero-padded
    digit  27     check digit

    "2026-000123"    -> 000000000000 2026 0000000123 + check digit
    "GS-2026-000012" -> 000000001628 2026 0000000012 + check digit  (G=16, S=28)

Letters map to 10-35, so no letter encodes as "00" and the padding can never be mistaken
for a letter: the mapping is one-to-one and reversible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.ch import esr
from stdnum.exceptions import ValidationError

__all__ = [
    "QrReferenceParts",
    "format_qr_reference",
    "parse_qr_reference",
    "qr_reference_for",
]

_PREFIX_SLOTS = 6
_PREFIX_DIGITS = 2 * _PREFIX_SLOTS
_YEAR_DIGITS = 4
_SEQUENCE_DIGITS = 10
_REFERENCE_DIGITS = 27

# "2026-000123", optionally preceded by an uppercase prefix of up to 6 letters with or
# without a dash: "GS-2026-000012", "GS2026-000012".
_DOCUMENT_NUMBER = re.compile(
    rf"(?:(?P<prefix>[A-Z]{{1,{_PREFIX_SLOTS}}})-?)?"
    rf"(?P<year>[0-9]{{{_YEAR_DIGITS}}})-(?P<sequence>[0-9]{{1,{_SEQUENCE_DIGITS}}})"
)
_LETTER_OFFSET = ord("A") - 10  # A -> 10, Z -> 35


@dataclass(frozen=True)
class QrReferenceParts:
    """What a QR reference encodes: the document number's prefix ("" if none), year, sequence."""

    prefix: str
    year: int
    sequence: int


def qr_reference_for(document_number: str) -> str:
    """Return the 27-digit QR reference (unformatted, as in the QR code) of a document number.

    Accepts "YYYY-N..." (invoices, e.g. "2026-000123") and the same with a prefix of 1-6
    uppercase letters (e.g. "GS-2026-000012" for a credit note). Raises ValueError otherwise.
    """
    match = _DOCUMENT_NUMBER.fullmatch(document_number)
    if match is None:
        raise ValueError(
            f"cannot derive a QR reference from {document_number!r}: expected a document "
            "number like '2026-000123', optionally with a prefix of 1-6 letters ('GS-2026-000012')"
        )
    sequence = int(match["sequence"])
    if sequence == 0:
        # Numbers are gap-free from 1; a sequence of 0 is a bug, not a document.
        raise ValueError(f"document number {document_number!r} has sequence 0")
    prefix_digits = "".join(
        f"{ord(letter) - _LETTER_OFFSET:02d}" for letter in match["prefix"] or ""
    )
    data = (
        prefix_digits.rjust(_PREFIX_DIGITS, "0")
        + match["year"]
        + str(sequence).zfill(_SEQUENCE_DIGITS)
    )
    return data + esr.calc_check_digit(data)


def parse_qr_reference(reference: str) -> QrReferenceParts:
    """Decode a QR reference made by qr_reference_for; raise ValueError if it is not one.

    Spaces are ignored and omitted leading zeros are restored, so the blocks printed on a
    slip and the bare digits from a bank file are both accepted. A reference that is valid
    but was not issued by this module (another creditor's layout) also raises ValueError.
    """
    try:
        # validate() strips spaces and leading zeros and checks length and check digit.
        digits = esr.validate(reference).zfill(_REFERENCE_DIGITS)
    except ValidationError as error:
        raise ValueError(f"{reference!r} is not a valid QR reference: {error}") from error
    if len(digits) != _REFERENCE_DIGITS:  # pragma: no cover - validate() caps the length
        raise ValueError(f"{reference!r} is not a valid QR reference: wrong length")

    prefix_digits = digits[:_PREFIX_DIGITS]
    year_digits = digits[_PREFIX_DIGITS : _PREFIX_DIGITS + _YEAR_DIGITS]
    sequence_digits = digits[_PREFIX_DIGITS + _YEAR_DIGITS : -1]

    prefix = ""
    for slot in range(0, _PREFIX_DIGITS, 2):
        value = int(prefix_digits[slot : slot + 2])
        if value == 0 and not prefix:
            continue  # left padding
        if not 10 <= value <= 35:
            raise ValueError(f"{reference!r} was not issued by this system: bad prefix digits")
        prefix += chr(value + _LETTER_OFFSET)

    sequence = int(sequence_digits)
    if sequence == 0:
        raise ValueError(f"{reference!r} was not issued by this system: sequence 0")
    return QrReferenceParts(prefix=prefix, year=int(year_digits), sequence=sequence)


def format_qr_reference(reference: str) -> str:
    """Return a QR reference in the printed form, in blocks: '00 00000 00000 ...'."""
    try:
        return esr.format(esr.validate(reference))
    except ValidationError as error:
        raise ValueError(f"{reference!r} is not a valid QR reference: {error}") from error
