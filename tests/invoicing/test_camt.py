"""camt.054 reader: every field of the hand-written bank files, and every refusal with its line."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from plugins.invoicing.camt import (
    MAX_BYTES,
    BankNotification,
    BankTransaction,
    CamtError,
    CreditDebit,
    EntryStatus,
    ReferenceType,
    read_notification,
)
from plugins.invoicing.qr_reference import qr_reference_for

FILES = Path(__file__).parent / "camt"
QR_IBAN = "CH4431999123000889012"  # CH44 3199 9123 0008 8901 2
BANK_IBAN = "CH8700235235012345678"  # the company's ordinary account, for SCOR payments

CREDIT, DEBIT = CreditDebit.CREDIT, CreditDebit.DEBIT
BOOKED, PENDING = EntryStatus.BOOKED, EntryStatus.PENDING
QRR, SCOR = ReferenceType.QRR, ReferenceType.SCOR


def read(name: str) -> BankNotification:
    return read_notification((FILES / name).read_bytes())


def variant(name: str, *replacements: tuple[str, str]) -> bytes:
    """A test file with text replaced (each old text must occur exactly once)."""
    text = (FILES / name).read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def refusal(data, **options) -> CamtError:
    with pytest.raises(CamtError) as caught:
        read_notification(data, **options)
    return caught.value


def transaction(**fields) -> BankTransaction:
    """A booked CHF credit to the QR-IBAN; tests give every other field."""
    defaults = {
        "account_iban": QR_IBAN,
        "currency": "CHF",
        "credit_debit": CREDIT,
        "reversal": False,
        "status": BOOKED,
    }
    return BankTransaction(**(defaults | fields))


# -- the references in the files are those the invoices carry --------------------------


@pytest.mark.parametrize(
    ("number", "reference"),
    [
        ("2026-000123", "000000000000202600000001234"),
        ("2026-000124", "000000000000202600000001242"),
        ("2026-000125", "000000000000202600000001258"),
        ("2026-000126", "000000000000202600000001263"),
        ("2026-000127", "000000000000202600000001279"),
        ("2026-000128", "000000000000202600000001287"),
        ("2026-000129", "000000000000202600000001295"),
        ("2026-000130", "000000000000202600000001305"),
        ("2026-004711", "000000000000202600000047111"),
    ],
)
def test_the_files_carry_the_qr_references_of_the_invoices(number, reference):
    assert qr_reference_for(number) == reference


# -- one file per version ---------------------------------------------------------------


def test_v04_exact_payment_of_invoice_2026_000123():
    notification = read("v04_exact_payment.xml")
    assert notification == BankNotification(
        message_id="CAMT054-20261207-0001",
        # Naive instants are Zurich time: 06:15:02 CET is 05:15:02 UTC.
        created_at=datetime(2026, 12, 7, 5, 15, 2, tzinfo=UTC),
        version="camt.054.001.04",
        account_ibans=(QR_IBAN,),
        transactions=(
            transaction(
                entry_key="261204CH0A1B2C3D",
                transaction_key="261204CH0A1B2C3D-1",
                line=40,
                amount=Decimal("1250.40"),
                booking_date=date(2026, 12, 4),
                value_date=date(2026, 12, 4),
                reference="000000000000202600000001234",
                reference_type=QRR,
                remittance_text="Rechnung 2026-000123, Standort Baden",
                debtor_name="Muster Treuhand AG",
                debtor_iban="CH9300762011623852957",
                entry_amount=Decimal("1250.40"),
            ),
        ),
    )
    assert notification.credits == notification.transactions


def test_v05_partial_payment_keyed_by_the_payers_end_to_end_id():
    notification = read("v05_partial_payment.xml")
    assert notification == BankNotification(
        message_id="CAMT054-20261208-0001",
        created_at=datetime(2026, 12, 8, 5, 10, 44, tzinfo=UTC),
        version="camt.054.001.05",
        account_ibans=(QR_IBAN,),
        transactions=(
            transaction(
                entry_key="261207CH0F00D001",
                transaction_key="E2E-BAECKEREI-1207",
                line=39,
                amount=Decimal("500.00"),
                booking_date=date(2026, 12, 7),
                value_date=date(2026, 12, 7),
                reference="000000000000202600000001242",
                reference_type=QRR,
                remittance_text=None,
                debtor_name="Baeckerei Huber GmbH",
                debtor_iban="CH6209000000152345678",
                entry_amount=Decimal("500.00"),
            ),
        ),
    )


def test_v06_overpayment_with_dates_as_instants_and_free_text():
    notification = read("v06_overpayment.xml")
    assert notification == BankNotification(
        message_id="CAMT054-20261209-0001",
        created_at=datetime(2026, 12, 9, 5, 0, tzinfo=UTC),
        version="camt.054.001.06",
        account_ibans=(QR_IBAN,),
        transactions=(
            transaction(
                entry_key="261209CH0BEEF003",
                transaction_key="261209CH0BEEF003-1",
                line=41,
                amount=Decimal("450.00"),
                # 2026-12-08T23:30Z is 00:30 on 9 December in Zurich.
                booking_date=date(2026, 12, 9),
                value_date=date(2026, 12, 9),
                reference="000000000000202600000001258",
                reference_type=QRR,
                remittance_text="Aufgerundet, Rest bitte gutschreiben\nRechnung 2026-000125",
                debtor_name="Garage Meier AG",
                debtor_iban=None,  # the debtor's account is named by Othr, not by an IBAN
                entry_amount=Decimal("450.00"),
            ),
        ),
    )


def test_v07_same_invoice_paid_twice_gives_two_credits_with_one_reference():
    notification = read("v07_paid_twice.xml")
    first, second = notification.transactions
    assert notification.version == "camt.054.001.07"
    assert notification.message_id == "CAMT054-20261211-0001"
    assert notification.created_at == datetime(2026, 12, 11, 17, 2, 31, 250000, tzinfo=UTC)
    assert first == transaction(
        entry_key="261210CH0CAFE004",
        transaction_key="261210CH0CAFE004-1",
        line=44,
        amount=Decimal("216.00"),  # no TxDtls/Amt: the lone transaction takes the entry's
        booking_date=date(2026, 12, 10),
        value_date=date(2026, 12, 10),
        reference="000000000000202600000001263",
        reference_type=QRR,
        remittance_text=None,
        debtor_name="Schreinerei Frei",  # Dbtr/Pty/Nm in 07
        debtor_iban="CH1700700110000346789",
        entry_amount=Decimal("216.00"),
    )
    assert second == transaction(
        entry_key="QRR-0005",  # no AcctSvcrRef on the entry: its NtryRef
        transaction_key="FREI-DAUERAUFTRAG-12",
        line=98,
        amount=Decimal("216.00"),
        booking_date=date(2026, 12, 11),
        value_date=date(2026, 12, 11),
        reference="000000000000202600000001263",
        reference_type=QRR,
        remittance_text=None,
        debtor_name="Schreinerei Frei",
        debtor_iban="CH1700700110000346789",
        entry_amount=Decimal("216.00"),
    )


def test_v08_batch_entry_yields_one_credit_per_transaction_with_its_own_amount():
    notification = read("v08_batch.xml")
    assert notification.version == "camt.054.001.08"
    assert notification.message_id == "CAMT054-20261214-0001"
    assert notification.created_at == datetime(2026, 12, 14, 5, 5, 11, 783000, tzinfo=UTC)
    assert notification.account_ibans == (QR_IBAN,)
    batch = {
        "entry_key": "261211CH0BA7C006",
        "booking_date": date(2026, 12, 11),
        "value_date": date(2026, 12, 14),
        "reference_type": QRR,
        "remittance_text": None,
        "entry_amount": Decimal("1838.30"),
    }
    assert notification.transactions == (
        transaction(
            transaction_key="261211CH0BA7C006-1",
            line=51,
            amount=Decimal("1036.80"),
            reference="000000000000202600000001279",
            debtor_name="Hotel Lägern AG",
            debtor_iban="CH5604835012345678009",
            **batch,
        ),
        transaction(
            transaction_key="TX-20261211-77813",  # EndToEndId NOTPROVIDED is skipped
            line=83,
            amount=Decimal("585.00"),  # from AmtDtls/TxAmt/Amt
            reference="000000000000202600000001287",
            debtor_name="Praxis Dr. med. Keller",
            debtor_iban="CH1180808001234567891",
            **batch,
        ),
        transaction(
            transaction_key="261211CH0BA7C006#3",  # no references: entry key and position
            line=118,
            amount=Decimal("216.50"),
            reference="000000000000202600000001295",
            debtor_name="Coiffure Bella",
            debtor_iban=None,
            **batch,
        ),
    )
    assert sum(t.amount for t in notification.transactions) == Decimal("1838.30")


# -- scenarios (v08) --------------------------------------------------------------------


def test_unknown_reference_is_read_like_any_other_credit():
    notification = read("v08_unknown_reference.xml")
    assert notification.transactions == (
        transaction(
            entry_key="261215CH0AAA0007",
            transaction_key="261215CH0AAA0007-1",
            line=40,
            amount=Decimal("99.00"),
            booking_date=date(2026, 12, 15),
            value_date=date(2026, 12, 15),
            reference="000000000000202600000047111",
            reference_type=QRR,
            remittance_text=None,
            debtor_name="Hans Muster",
            debtor_iban="CH9300762011623852957",
            entry_amount=Decimal("99.00"),
        ),
    )
    assert notification.created_at == datetime(2026, 12, 15, 5, 0, tzinfo=UTC)


def test_reversed_credit_is_a_debit_with_the_reversal_indicator_and_no_payment():
    notification = read("v08_reversal.xml")
    assert notification.transactions == (
        transaction(
            entry_key="261216CH0EEE0008",
            transaction_key="261216CH0EEE0008-1",
            line=42,
            amount=Decimal("1250.40"),
            credit_debit=DEBIT,
            reversal=True,
            booking_date=date(2026, 12, 16),
            value_date=date(2026, 12, 16),
            reference="000000000000202600000001234",
            reference_type=QRR,
            remittance_text="Rueckbuchung: Konto saldiert",
            debtor_name="Muster Treuhand AG",
            debtor_iban="CH9300762011623852957",
            entry_amount=Decimal("1250.40"),
        ),
    )
    assert notification.credits == ()


def test_debit_without_details_or_references_is_exposed_with_position_keys():
    notification = read("v08_debit.xml")
    assert notification.created_at == datetime(2026, 12, 31, 21, 10, tzinfo=UTC)
    assert notification.transactions == (
        transaction(
            entry_key="NTF-20261231-0001#1",
            transaction_key="NTF-20261231-0001#1#1",
            line=17,
            amount=Decimal("35.00"),
            credit_debit=DEBIT,
            booking_date=date(2026, 12, 31),
            value_date=date(2026, 12, 31),
            reference=None,
            reference_type=None,
            remittance_text=None,
            debtor_name=None,
            debtor_iban=None,
            entry_amount=Decimal("35.00"),
        ),
    )
    assert notification.credits == ()


def test_scor_reference_is_compacted_and_a_free_text_payment_has_no_reference():
    notification = read("v08_scor_and_unstructured.xml")
    assert notification.account_ibans == (BANK_IBAN,)
    assert notification.transactions == (
        transaction(
            entry_key="261217UB0S0C0001",
            transaction_key="261217UB0S0C0001-1",
            line=41,
            account_iban=BANK_IBAN,
            amount=Decimal("120.00"),
            booking_date=date(2026, 12, 17),
            value_date=date(2026, 12, 17),
            reference="RF18539007547034",  # written "RF18 5390 0754 7034"
            reference_type=SCOR,
            remittance_text=None,
            debtor_name="Weinhandlung Rebe AG",
            debtor_iban="CH5604835012345678009",
            entry_amount=Decimal("120.00"),
        ),
        transaction(
            entry_key="261217UB0U0S0001",
            transaction_key="261217UB0U0S0001-1",
            line=98,
            account_iban=BANK_IBAN,
            amount=Decimal("64.80"),
            booking_date=date(2026, 12, 17),
            value_date=date(2026, 12, 17),
            reference=None,
            reference_type=None,
            remittance_text="Rechnung 2026-000131 Dezember",
            debtor_name="Pia Graf",
            debtor_iban=None,
            entry_amount=Decimal("64.80"),
        ),
    )
    assert notification.credits == notification.transactions


def test_pending_entry_is_exposed_without_booking_date_and_is_no_payment():
    notification = read("v08_pending.xml")
    assert notification.transactions == (
        transaction(
            entry_key="261215CH0D0E0F10",
            transaction_key="261215CH0D0E0F10-1",
            line=38,
            amount=Decimal("780.00"),
            status=PENDING,
            booking_date=None,
            value_date=date(2026, 12, 18),
            reference="000000000000202600000001305",
            reference_type=QRR,
            remittance_text=None,
            debtor_name="Elektro Brunner GmbH",
            debtor_iban="CH9300762011623852957",
            entry_amount=Decimal("780.00"),
        ),
    )
    assert not notification.transactions[0].is_booked
    assert notification.credits == ()


VALID_FILES = sorted(p.name for p in FILES.glob("v0*.xml"))


def test_reading_a_file_twice_gives_the_same_keys_and_keys_are_unique_across_files():
    assert len(VALID_FILES) == 10
    keys = []
    for name in VALID_FILES:
        first, again = read(name), read(name)
        assert first == again
        keys += [(t.entry_key, t.transaction_key) for t in first.transactions]
    assert len(keys) == len(set(keys)) == 14


def test_a_binary_file_object_is_read_like_bytes():
    with (FILES / "v08_batch.xml").open("rb") as file:
        assert read_notification(file) == read("v08_batch.xml")


def test_a_prefixed_namespace_is_read_like_the_default_one():
    text = (FILES / "v04_exact_payment.xml").read_text(encoding="utf-8")
    prefixed = re.sub(r"<(/?)(?=[A-Za-z])", r"<\1c:", text).replace("xmlns=", "xmlns:c=")
    assert "<c:Ntry>" in prefixed
    assert read_notification(prefixed.encode()) == read("v04_exact_payment.xml")


def test_batch_with_a_debit_transaction_adds_up_with_signs():
    data = variant(
        "v08_batch.xml",
        ('<Amt Ccy="CHF">1838.30</Amt>', '<Amt Ccy="CHF">1405.30</Amt>'),
        (
            '<Amt Ccy="CHF">216.50</Amt>\n            <CdtDbtInd>CRDT</CdtDbtInd>',
            '<Amt Ccy="CHF">216.50</Amt>\n            <CdtDbtInd>DBIT</CdtDbtInd>',
        ),
    )
    transactions = read_notification(data).transactions
    assert [(t.amount, t.credit_debit) for t in transactions] == [
        (Decimal("1036.80"), CREDIT),
        (Decimal("585.00"), CREDIT),
        (Decimal("216.50"), DEBIT),
    ]
    assert {t.entry_amount for t in transactions} == {Decimal("1405.30")}


def test_a_payer_reference_repeated_within_an_entry_falls_back_to_positions():
    data = variant(
        "v08_batch.xml",
        (
            "<AcctSvcrRef>261211CH0BA7C006-1</AcctSvcrRef>\n"
            "              <EndToEndId>LAEGERN-RE-2026-000127</EndToEndId>",
            "<EndToEndId>TX-20261211-77813</EndToEndId>",
        ),
        (
            "<EndToEndId>NOTPROVIDED</EndToEndId>\n              <TxId>TX-20261211-77813</TxId>",
            "<EndToEndId>TX-20261211-77813</EndToEndId>",
        ),
    )
    keys = [t.transaction_key for t in read_notification(data).transactions]
    assert keys == ["261211CH0BA7C006#1", "261211CH0BA7C006#2", "261211CH0BA7C006#3"]


def test_qr_reference_written_in_blocks_is_given_as_27_digits():
    data = variant(
        "v08_unknown_reference.xml",
        (
            "<Ref>000000000000202600000047111</Ref>",
            "<Ref>00 00000 00000 20260 00000 47111</Ref>",
        ),
    )
    assert read_notification(data).transactions[0].reference == "000000000000202600000047111"


def test_reference_of_another_type_is_passed_on_unchecked():
    data = variant(
        "v08_unknown_reference.xml",
        ("<Prtry>QRR</Prtry>", "<Prtry>ISR Reference</Prtry>"),
        ("<Ref>000000000000202600000047111</Ref>", "<Ref>21 00000 00003 13947 14300 09017</Ref>"),
    )
    found = read_notification(data).transactions[0]
    assert (found.reference, found.reference_type) == (
        "21 00000 00003 13947 14300 09017",
        ReferenceType.OTHER,
    )


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        (
            "bad_not_well_formed.xml",
            6,
            "not well-formed XML: Opening and ending tag mismatch: MsgId line 6 and MsgI",
        ),
        (
            "bad_root_camt053.xml",
            3,
            "not a camt.054 notification: the file is a camt.053.001.08 message",
        ),
        (
            "bad_root_pain001.xml",
            3,
            "not a camt.054 notification: the file is a pain.001.001.09 message",
        ),
        (
            "bad_version_02.xml",
            3,
            "camt.054.001.02 is not supported: versions camt.054.001.04 to .08 are read",
        ),
        ("bad_amount_not_decimal.xml", 18, 'the amount "1\'250.40" is not a decimal number'),
        ("bad_amount_negative.xml", 44, "the amount -780.00 is negative"),
        ("bad_missing_currency.xml", 18, "the amount 780.00 has no currency (Ccy)"),
        ("bad_missing_booking_date.xml", 16, "the booked entry has no booking date (BookgDt)"),
        ("bad_unparsable_date.xml", 24, "BookgDt/Dt '15.12.2026' is not a date (YYYY-MM-DD)"),
        (
            "bad_credit_debit_indicator.xml",
            19,
            "unknown credit/debit indicator 'CRED' (expected CRDT or DBIT)",
        ),
        (
            "bad_qrr_check_digit.xml",
            66,
            "the QR reference 000000000000202600000001306 has a wrong check digit",
        ),
        (
            "bad_batch_sum.xml",
            19,
            "the transactions of the entry add up to CHF 1837.85 but the entry amount is CHF 1838.30",
        ),
        (
            "bad_doctype_entity.xml",
            3,
            "the file declares a DOCTYPE; bank files have none (refused for safety)",
        ),
    ],
)
def test_malformed_file_is_refused_with_line_and_reason(name, line, reason):
    error = refusal((FILES / name).read_bytes())
    assert (error.line, error.reason) == (line, reason)
    assert str(error) == f"line {line}: {reason}"


def test_every_bad_file_is_covered_by_a_refusal_test():
    covered = {
        "bad_not_well_formed.xml",
        "bad_root_camt053.xml",
        "bad_root_pain001.xml",
        "bad_version_02.xml",
        "bad_amount_not_decimal.xml",
        "bad_amount_negative.xml",
        "bad_missing_currency.xml",
        "bad_missing_booking_date.xml",
        "bad_unparsable_date.xml",
        "bad_credit_debit_indicator.xml",
        "bad_qrr_check_digit.xml",
        "bad_batch_sum.xml",
        "bad_doctype_entity.xml",
    }
    assert {p.name for p in FILES.glob("bad_*.xml")} == covered


BASE = "v08_unknown_reference.xml"  # one booked CHF 99.00 credit; the lines below are its


@pytest.mark.parametrize(
    ("replacements", "line", "reason"),
    [
        (
            [("<Cd>BOOK</Cd>", "<Cd>DONE</Cd>")],
            20,
            "unknown entry status 'DONE' (expected BOOK, PDNG, INFO or FUTR)",
        ),
        (
            [("<Cd>BOOK</Cd>", "<Prtry>GEBUCHT</Prtry>")],
            20,
            "the entry status is proprietary ('GEBUCHT'); only BOOK, PDNG, INFO and FUTR are read",
        ),
        (
            [
                (
                    "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>",
                    "<CdtDbtInd>CRDT</CdtDbtInd>\n        <RvslInd>ja</RvslInd><Sts>",
                )
            ],
            20,
            "RvslInd 'ja' is not true or false",
        ),
        (
            [
                (
                    '<Amt Ccy="CHF">99.00</Amt>\n        <CdtDbtInd>',
                    '<Amt Ccy="CHF">NaN</Amt>\n        <CdtDbtInd>',
                )
            ],
            18,
            "the amount 'NaN' is not a decimal number",
        ),
        (
            [
                (
                    '<Amt Ccy="CHF">99.00</Amt>\n        <CdtDbtInd>',
                    '<Amt Ccy="CHF">99.000001</Amt>\n        <CdtDbtInd>',
                )
            ],
            18,
            "the amount 99.000001 has more digits than camt allows (18, of which 5 after the point)",
        ),
        (
            [
                (
                    '<Amt Ccy="CHF">99.00</Amt>\n        <CdtDbtInd>',
                    '<Amt Ccy="chf">99.00</Amt>\n        <CdtDbtInd>',
                )
            ],
            18,
            "the currency 'chf' is not a 3-letter code",
        ),
        (
            [
                (
                    '<Amt Ccy="CHF">99.00</Amt>\n            <CdtDbtInd>',
                    '<Amt Ccy="EUR">99.00</Amt>\n            <CdtDbtInd>',
                )
            ],
            40,
            "the transaction is in EUR but its entry in CHF",
        ),
        (
            [
                (
                    '<Amt Ccy="CHF">99.00</Amt>\n            <CdtDbtInd>',
                    '<Amt Ccy="CHF">90.00</Amt>\n            <CdtDbtInd>',
                )
            ],
            16,
            "the transactions of the entry add up to CHF 90.00 but the entry amount is CHF 99.00",
        ),
        (
            [("<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", "<Sts>")],
            16,
            "CdtDbtInd is missing",
        ),
        (
            [("<Sts>\n          <Cd>BOOK</Cd>\n        </Sts>", "\n\n")],
            16,
            "the entry has no status (Sts)",
        ),
        (
            [
                (
                    "<Dt>2026-12-15</Dt>\n        </BookgDt>",
                    "<Dt>2026-02-30</Dt>\n        </BookgDt>",
                )
            ],
            24,
            "BookgDt/Dt '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            [
                (
                    "<Dt>2026-12-15</Dt>\n        </ValDt>",
                    "<DtTm>2026-12-15 10:00</DtTm>\n        </ValDt>",
                )
            ],
            27,
            "ValDt/DtTm '2026-12-15 10:00' is not a date and time (YYYY-MM-DDThh:mm:ss)",
        ),
        (
            [("<Dt>2026-12-15</Dt>\n        </ValDt>", "\n        </ValDt>")],
            26,
            "ValDt has neither Dt nor DtTm",
        ),
        (
            [
                (
                    "<CreDtTm>2026-12-15T06:00:00+01:00</CreDtTm>",
                    "<CreDtTm>15.12.2026 06:00</CreDtTm>",
                )
            ],
            7,
            "CreDtTm '15.12.2026 06:00' is not a date and time (YYYY-MM-DDThh:mm:ss)",
        ),
        (
            [("<MsgId>CAMT054-20261215-0001</MsgId>", "<MsgId> </MsgId>")],
            5,
            "GrpHdr/MsgId is missing",
        ),
        (
            [("<Ref>000000000000202600000047111</Ref>", "<Ref>2026-004711</Ref>")],
            66,
            "the QR reference '2026-004711' is not 27 digits",
        ),
        (
            [
                ("<Prtry>QRR</Prtry>", "<Cd>SCOR</Cd>"),
                ("<Ref>000000000000202600000047111</Ref>", "<Ref>RF19 5390 0754 7034</Ref>"),
            ],
            66,
            "the creditor reference RF19 5390 0754 7034 has a wrong check digit",
        ),
        (
            [
                ("<BkToCstmrDbtCdtNtfctn>", "<BkToCstmrStmt>"),
                ("</BkToCstmrDbtCdtNtfctn>", "</BkToCstmrStmt>"),
            ],
            3,
            "not a camt.054 notification: Document has no BkToCstmrDbtCdtNtfctn",
        ),
        (
            [(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"', "")],
            3,
            "not a camt.054 notification: the root element is Document",
        ),
        (
            [("xsd:camt.054.001.08", "xsd:camt.054.001.09")],
            3,
            "camt.054.001.09 is not supported: versions camt.054.001.04 to .08 are read",
        ),
    ],
    ids=[
        "unknown status",
        "proprietary status",
        "reversal indicator not boolean",
        "amount NaN",
        "amount with 6 decimals",
        "currency lowercase",
        "transaction in another currency",
        "lone transaction differs from entry",
        "credit/debit indicator missing",
        "status missing",
        "impossible date",
        "instant without T",
        "date element empty",
        "creation instant Swiss style",
        "message id blank",
        "QR reference not 27 digits",
        "SCOR wrong check digit",
        "statement container",
        "no namespace",
        "version 09",
    ],
)
def test_refusals_of_single_faults(replacements, line, reason):
    error = refusal(variant(BASE, *replacements))
    assert (error.line, error.reason) == (line, reason)


def test_a_batch_transaction_without_any_amount_is_refused():
    data = variant("v08_batch.xml", ('<Amt Ccy="CHF">216.50</Amt>\n', ""))
    error = refusal(data)
    assert (error.line, error.reason) == (
        118,
        "the transaction has no amount (neither Amt nor AmtDtls/TxAmt/Amt) "
        "and its entry holds several",
    )


def test_two_entries_with_the_same_key_are_refused():
    text = (FILES / BASE).read_text(encoding="utf-8")
    start, end = text.index("      <Ntry>"), text.index("      </Ntry>\n") + len("      </Ntry>\n")
    doubled = text[:end] + text[start:end] + text[end:]
    error = refusal(doubled.encode())
    assert (error.line, error.reason) == (
        73,
        "entry reference '261215CH0AAA0007' occurs twice (also on line 16); "
        "the entries could not be told apart",
    )


def test_entity_expansion_bomb_is_refused_without_expanding():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&d;&d;&d;&d;</Document>
"""
    error = refusal(bomb)
    assert (error.line, error.reason) == (
        2,
        "the file declares a DOCTYPE; bank files have none (refused for safety)",
    )


def test_an_external_dtd_is_refused_without_fetching_it():
    data = variant(
        BASE,
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/camt.dtd">',
        ),
    )
    error = refusal(data)
    assert (error.line, error.reason) == (
        2,
        "the file declares a DOCTYPE; bank files have none (refused for safety)",
    )


def test_an_undeclared_entity_is_not_well_formed():
    data = variant(BASE, ("<Nm>Hans Muster</Nm>", "<Nm>Hans &muster;</Nm>"))
    error = refusal(data)
    assert (error.line, error.reason) == (
        49,
        "not well-formed XML: Entity 'muster' not defined",
    )


def test_size_limit_is_20_mb_and_is_checked_before_parsing():
    assert MAX_BYTES == 20 * 1024 * 1024
    error = refusal(b" " * (MAX_BYTES + 1))
    assert (error.line, error.reason) == (None, "the file is larger than 20 MB")
    assert str(error) == "the file is larger than 20 MB"
    data = (FILES / BASE).read_bytes()
    error = refusal(io.BytesIO(data), max_bytes=len(data) - 1)
    assert (error.line, error.reason) == (None, f"the file is larger than {len(data) - 1} bytes")
    assert read_notification(io.BytesIO(data), max_bytes=len(data)).message_id == (
        "CAMT054-20261215-0001"
    )


def test_an_empty_file_is_refused():
    error = refusal(b"  \n")
    assert (error.line, error.reason) == (None, "the file is empty")


def test_text_instead_of_bytes_is_a_programming_error():
    with pytest.raises(TypeError, match="bytes"):
        read_notification((FILES / BASE).read_text(encoding="utf-8"))  # type: ignore[arg-type]
    with (FILES / BASE).open(encoding="utf-8") as text_file, pytest.raises(TypeError):
        read_notification(text_file)  # type: ignore[arg-type]


def encoded(name: str, encoding: str) -> bytes:
    text = (FILES / name).read_text(encoding="utf-8")
    return text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"').encode(encoding)


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16", "utf-32"])
def test_files_in_other_encodings_are_read_alike(encoding):
    assert read_notification(encoded("v08_batch.xml", encoding)) == read("v08_batch.xml")


@pytest.mark.parametrize(
    ("encoding", "line"),
    [
        ("utf-16", 3),  # found in the bytes before parsing: the DOCTYPE's own line
        ("utf-32", 6),  # found after parsing (entities unresolved): the root's line
    ],
)
def test_doctype_is_refused_in_any_encoding(encoding, line):
    error = refusal(encoded("bad_doctype_entity.xml", encoding))
    assert (error.line, error.reason) == (
        line,
        "the file declares a DOCTYPE; bank files have none (refused for safety)",
    )
