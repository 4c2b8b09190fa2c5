"""Read a camt.054 bank notification (versions 04 to 08) into frozen records, refusing bad files.

Swiss banks report the credits to the QR-IBAN as ISO 20022 camt.054 "Bank To Customer
Debit Credit Notification" files. This module turns one such file into a
`BankNotification` holding one `BankTransaction` per transaction, and does nothing else:
no database, no Flask, no matching to invoices (the importer does that). Any file it cannot
read faithfully is refused whole with `CamtError(line, reason)`; nothing is half-read.

Versions and namespaces
    The root must be `Document` in the namespace
    `urn:iso:std:iso:20022:tech:xsd:camt.054.001.0N`, N = 4..8, with the child
    `BkToCstmrDbtCdtNtfctn`; the version is taken from that namespace and every element is
    looked up in it. Anything else (camt.053, pain.*, camt.054.001.02) is refused as "not a
    camt.054 notification" or "version not supported". The versions differ in three places
    this reader meets, and it accepts both forms in every version:
    - `Ntry/Sts` is the code itself in 04-06 (`<Sts>BOOK</Sts>`) and a choice in 07-08
      (`<Sts><Cd>BOOK</Cd></Sts>`);
    - `RltdPties/Dbtr` holds `Nm` directly in 04-06 and `Pty/Nm` in 07-08;
    - `TxDtls/Amt` is mandatory in 04-06 and optional in 07-08 (hence the fallbacks below).

Elements read, and why
    GrpHdr/MsgId, GrpHdr/CreDtTm
        the message's identity and creation instant (a naive instant is read as Zurich
        time, the banks' clock; `created_at` is given in UTC).
    Ntfctn/Id
        only to key entries that carry no reference of their own (see keys).
    Ntfctn/Acct/Id/IBAN
        the account credited: the importer checks it is the company's QR-IBAN. An account
        named otherwise (`Othr`) gives `account_iban=None`.
    Ntry/Amt (+ @Ccy), Ntry/CdtDbtInd
        the booked amount and direction. Amounts are `Decimal` from the text, never float;
        a negative, non-decimal or over-long amount (ISO: 18 digits, 5 after the point) and
        a missing or malformed currency refuse the file. CRDT and DBIT only.
    Ntry/RvslInd
        true when the entry reverses an earlier one: a DBIT with RvslInd takes back a
        credit (a returned payment), so the importer must not treat it as an ordinary debit.
    Ntry/Sts
        BOOK, PDNG, INFO or FUTR. Only BOOK is money; the others are exposed so the importer
        can skip them. The same entry may come first as PDNG and later as BOOK with the same
        reference, so the importer should record only booked entries under their key.
    Ntry/BookgDt, Ntry/ValDt (each `Dt` or `DtTm`)
        booking and value date. A booked entry without a booking date is refused; the
        value date is optional (`None`). A `DtTm` with an offset is taken as a Zurich date.
    Ntry/AcctSvcrRef, else Ntry/NtryRef
        the entry key (else "<Ntfctn/Id>#<position of the entry>").
    Ntry/NtryDtls/TxDtls (all of them, over every NtryDtls)
        one transaction each. An entry without TxDtls gives one transaction of the entry
        amount with no reference and no debtor.
    TxDtls/Refs/AcctSvcrRef, else EndToEndId, TxId, InstrId
        the transaction key (the bank's reference first; the payer's identifiers after it,
        skipping the placeholder "NOTPROVIDED"). Without any, or when the chosen reference
        is not unique within the entry, the key is "<entry key>#<position>".
    TxDtls/Amt (+ @Ccy), else TxDtls/AmtDtls/TxAmt/Amt; TxDtls/CdtDbtInd
        the transaction's own amount and direction (default: the entry's). A lone
        transaction without an amount takes the entry's. The transactions' amounts, in
        the entry's currency and signed by direction, must add up to the entry amount
        exactly; this is what makes a batch (several TxDtls in one Ntry) safe to book one
        by one. Otherwise the whole file is refused, naming the entry's line and both
        sums, since booking the transactions would book money the bank did not report.
    TxDtls/RmtInf/Strd/CdtrRefInf/Ref and Tp/CdOrPrtry (Prtry "QRR" or Cd "SCOR")
        the structured reference: the first `Strd` that has a `Ref`. A QRR must be 27
        digits with a valid mod-10 recursive check digit and a SCOR a valid ISO 11649
        creditor reference (both by python-stdnum); a wrong one refuses the file, because
        the payer's bank validates them, so a bad one means a damaged file. Another type
        is passed on as `ReferenceType.OTHER`, unchecked.
    TxDtls/RmtInf/Ustrd, TxDtls/RmtInf/Strd/AddtlRmtInf
        free remittance text, joined by newlines (Swiss banks put the QR-bill's
        "additional information" into AddtlRmtInf).
    TxDtls/RltdPties/Dbtr (Nm or Pty/Nm), TxDtls/RltdPties/DbtrAcct/Id/IBAN
        who paid, for finance to recognise unmatched credits.

Keys
    The pair (`entry_key`, `transaction_key`) is unique within a file: a file in which two
    entries share a key is refused, since a second import could not tell them apart.
    Reading the same file twice gives the same pairs, which is how the importer recognises
    it.

Safety
    At most `MAX_BYTES` (20 MB) are read. A document with a DOCTYPE is refused before it
    is parsed (XXE, entity bombs); the parser itself also resolves no entities, loads no
    DTD and uses no network, and a DOCTYPE it finds after all (in an encoding the byte
    search does not cover) refuses the file too.

Not read: balances and summaries (TxsSummry), charges (Chrgs: a batch whose transactions
are reported gross of charges does not add up and is refused), bank transaction codes
(BkTxCd), foreign-currency details (AmtDtls/InstdAmt, CcyXchg: a transaction whose own
amount is in another currency than its entry is refused), return reasons (RtrInf),
pagination (MsgPgntn: each file is read on its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask_babel import gettext
from lxml import etree
from stdnum import iso11649
from stdnum.ch import esr
from stdnum.exceptions import InvalidChecksum, ValidationError

from app.toolkit import N_  # reasons are translated where the refusal is shown

__all__ = [
    "MAX_BYTES",
    "SUPPORTED_VERSIONS",
    "BankNotification",
    "BankTransaction",
    "CamtError",
    "CreditDebit",
    "EntryStatus",
    "ReferenceType",
    "read_notification",
]

_MB = 1024 * 1024
MAX_BYTES = 20 * _MB
SUPPORTED_VERSIONS = ("04", "05", "06", "07", "08")
_NAMESPACE = re.compile(
    r"urn:iso:std:iso:20022:tech:xsd:(?P<message>[a-z]{4}\.\d{3}\.\d{3}\.\d{2})"
)
_ZURICH = ZoneInfo("Europe/Zurich")  # the banks' clock for naive instants and DtTm dates

# xs:decimal as written; the sign is checked separately so that "-5.00" gets its own reason.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_TOTAL_DIGITS = 18  # ActiveOrHistoricCurrencyAndAmount: totalDigits 18, fractionDigits 5
_FRACTION_DIGITS = 5
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)


_DOCTYPE_REFUSED = N_("the file declares a DOCTYPE; bank files have none (refused for safety)")
_MISSING = N_("%(element)s is missing")
_NOT_PROVIDED = "NOTPROVIDED"  # EPC placeholder for an EndToEndId the payer did not give


class CamtError(ValueError):
    """A camt.054 file refused whole: the line (None if the file has none) and the reason.

    `template` is the reason in English with %(name)s placeholders (marked with N_ for the
    catalogs) and `params` their values: `reason` is it filled in (logs, the API's code
    level), `message` the reason in the language of the page that shows it.
    """

    def __init__(self, line: int | None, template: str, **params: object):
        self.line = line
        self.template = template
        self.params = params
        self.reason = template % params if params else template
        super().__init__(f"line {line}: {self.reason}" if line else self.reason)

    @property
    def message(self) -> str:
        """The reason in the current language (the page's, or German outside a request)."""
        return gettext(self.template, **self.params)


class CreditDebit(StrEnum):
    """CdtDbtInd: money in or out of the account."""

    CREDIT = "CRDT"
    DEBIT = "DBIT"


class EntryStatus(StrEnum):
    """Ntry/Sts: only BOOK is money on the account."""

    BOOKED = "BOOK"
    PENDING = "PDNG"
    INFO = "INFO"
    FUTURE = "FUTR"  # 07-08 only (ExternalEntryStatus1Code)


class ReferenceType(StrEnum):
    """The type of the structured creditor reference (CdtrRefInf/Tp)."""

    QRR = "QRR"  # Swiss QR reference, 27 digits
    SCOR = "SCOR"  # ISO 11649 creditor reference, "RF.."
    OTHER = "OTHER"  # any other or no declared type, passed on unchecked


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One transaction of an entry: one payment for the importer to match and book."""

    entry_key: str
    transaction_key: str
    line: int  # of the TxDtls (or of the Ntry when it has none), for messages to finance
    account_iban: str | None
    amount: Decimal
    currency: str
    credit_debit: CreditDebit
    reversal: bool
    status: EntryStatus
    booking_date: date | None
    value_date: date | None
    reference: str | None
    reference_type: ReferenceType | None
    remittance_text: str | None
    debtor_name: str | None
    debtor_iban: str | None
    entry_amount: Decimal  # the whole entry's amount (the batch total)

    @property
    def is_booked(self) -> bool:
        return self.status is EntryStatus.BOOKED

    @property
    def is_credit(self) -> bool:
        return self.credit_debit is CreditDebit.CREDIT


@dataclass(frozen=True, slots=True)
class BankNotification:
    """A camt.054 file: its header and every transaction of every entry, in file order."""

    message_id: str
    created_at: datetime  # aware, UTC
    version: str  # "camt.054.001.08"
    account_ibans: tuple[str, ...]  # the accounts notified (distinct, in file order)
    transactions: tuple[BankTransaction, ...]

    @property
    def credits(self) -> tuple[BankTransaction, ...]:
        """Booked credits that are no reversals: the payments to match to invoices."""
        return tuple(t for t in self.transactions if t.is_booked and t.is_credit and not t.reversal)


def read_notification(source: bytes | BinaryIO, *, max_bytes: int = MAX_BYTES) -> BankNotification:
    """Read a camt.054 file (its bytes or a binary file object); raise CamtError if refused."""
    data = _bytes_of(source, max_bytes)
    root = _parse(data)
    return _Reader(root).notification()


def _bytes_of(source: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes):
            raise TypeError("read_notification() needs a file opened in binary mode")
    else:
        raise TypeError("read_notification() needs the file's bytes or a binary file object")
    if len(data) > max_bytes:
        limit = f"{max_bytes // _MB} MB" if max_bytes % _MB == 0 else f"{max_bytes} bytes"
        raise CamtError(None, N_("the file is larger than %(limit)s"), limit=limit)
    if not data.strip():
        raise CamtError(None, N_("the file is empty"))
    return data


def _parse(data: bytes) -> etree._Element:
    # A DOCTYPE is refused before parsing, so that no entity is ever declared, let alone
    # expanded; the check after parsing covers encodings the byte search does not know.
    doctype_line = _doctype_line(data)
    if doctype_line is not None:
        raise CamtError(doctype_line, _DOCTYPE_REFUSED)
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        # lxml ends the message with ", line N, column M"; the line is reported separately.
        message = re.sub(r",? \(?line \d+, column \d+\)?$", "", error.msg or str(error))
        raise CamtError(
            error.lineno or None, N_("not well-formed XML: %(problem)s"), problem=message
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CamtError(root.sourceline, _DOCTYPE_REFUSED)
    return root


def _doctype_line(data: bytes) -> int | None:
    """The line of a DOCTYPE declaration in an ASCII-compatible or UTF-16 file, if any."""
    for encoding in ("ascii", "utf-16-le", "utf-16-be"):
        at = data.find("<!DOCTYPE".encode(encoding))
        if at >= 0:
            return data.count("\n".encode(encoding), 0, at) + 1
    return None


class _Reader:
    """Walks one parsed document; every element is looked up in the document's namespace."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.namespace, self.version = self._namespace_and_version(root)
        self._paths: dict[tuple[str, ...], str] = {}

    # -- structure ------------------------------------------------------------------

    @staticmethod
    def _namespace_and_version(root: etree._Element) -> tuple[str, str]:
        qname = etree.QName(root)
        match = _NAMESPACE.fullmatch(qname.namespace or "")
        if qname.localname != "Document" or match is None:
            raise CamtError(
                root.sourceline,
                N_("not a camt.054 notification: the root element is %(element)s"),
                element=_shown(qname),
            )
        message = match["message"]
        if not message.startswith("camt.054.001."):
            raise CamtError(
                root.sourceline,
                N_("not a camt.054 notification: the file is a %(message)s message"),
                message=message,
            )
        if message[-2:] not in SUPPORTED_VERSIONS:
            raise CamtError(
                root.sourceline,
                N_("%(message)s is not supported: versions camt.054.001.04 to .08 are read"),
                message=message,
            )
        return qname.namespace, message

    def _path(self, *names: str) -> str:
        # Built once per path: a large file asks for the same few paths thousands of times.
        path = self._paths.get(names)
        if path is None:
            path = self._paths[names] = "/".join(f"{{{self.namespace}}}{name}" for name in names)
        return path

    def find(self, element: etree._Element, *names: str) -> etree._Element | None:
        return element.find(self._path(*names))

    def find_all(self, element: etree._Element, *names: str) -> list[etree._Element]:
        return element.findall(self._path(*names))

    def text(self, element: etree._Element, *names: str) -> str | None:
        found = self.find(element, *names)
        if found is None or found.text is None or not found.text.strip():
            return None
        return found.text.strip()

    def required_text(self, element: etree._Element, *names: str) -> str:
        value = self.text(element, *names)
        if value is None:
            raise CamtError(element.sourceline, _MISSING, element=_shown_path(element, names))
        return value

    # -- the message ----------------------------------------------------------------

    def notification(self) -> BankNotification:
        message = self.find(self.root, "BkToCstmrDbtCdtNtfctn")
        if message is None:
            raise CamtError(
                self.root.sourceline,
                N_("not a camt.054 notification: Document has no BkToCstmrDbtCdtNtfctn"),
            )
        header = self.find(message, "GrpHdr")
        if header is None:
            raise CamtError(message.sourceline, _MISSING, element="GrpHdr")
        message_id = self.required_text(header, "MsgId")
        created_at = _instant(
            self.required_text(header, "CreDtTm"), self.find(header, "CreDtTm").sourceline
        )

        transactions: list[BankTransaction] = []
        accounts: list[str] = []
        entry_lines: dict[str, int] = {}
        for notification in self.find_all(message, "Ntfctn"):
            notification_id = self.required_text(notification, "Id")
            iban = self.text(notification, "Acct", "Id", "IBAN")
            iban = _compact(iban) if iban else None
            if iban and iban not in accounts:
                accounts.append(iban)
            for position, entry in enumerate(self.find_all(notification, "Ntry"), start=1):
                entry_key = (
                    self.text(entry, "AcctSvcrRef")
                    or self.text(entry, "NtryRef")
                    or f"{notification_id}#{position}"
                )
                if entry_key in entry_lines:
                    raise CamtError(
                        entry.sourceline,
                        N_(
                            "entry reference %(reference)s occurs twice (also on line "
                            "%(earlier)s); the entries could not be told apart"
                        ),
                        reference=repr(entry_key),
                        earlier=entry_lines[entry_key],
                    )
                entry_lines[entry_key] = entry.sourceline
                transactions.extend(self._entry(entry, entry_key, iban))
        return BankNotification(
            message_id=message_id,
            created_at=created_at,
            version=self.version,
            account_ibans=tuple(accounts),
            transactions=tuple(transactions),
        )

    # -- one entry ------------------------------------------------------------------

    def _entry(
        self, entry: etree._Element, entry_key: str, iban: str | None
    ) -> list[BankTransaction]:
        amount, currency = self._amount(entry, "Amt", required=True)
        credit_debit = self._credit_debit(entry, self.find(entry, "CdtDbtInd"), required=True)
        reversal = self._reversal(entry)
        status = self._status(entry)
        booking_date = self._date(entry, "BookgDt")
        if booking_date is None and status is EntryStatus.BOOKED:
            raise CamtError(entry.sourceline, N_("the booked entry has no booking date (BookgDt)"))
        value_date = self._date(entry, "ValDt")

        common = {
            "entry_key": entry_key,
            "account_iban": iban,
            "reversal": reversal,
            "status": status,
            "booking_date": booking_date,
            "value_date": value_date,
            "entry_amount": amount,
        }
        details = self.find_all(entry, "NtryDtls", "TxDtls")
        if not details:
            return [
                BankTransaction(
                    transaction_key=f"{entry_key}#1",
                    line=entry.sourceline,
                    amount=amount,
                    currency=currency,
                    credit_debit=credit_debit,
                    reference=None,
                    reference_type=None,
                    remittance_text=None,
                    debtor_name=None,
                    debtor_iban=None,
                    **common,
                )
            ]

        parts = [self._transaction_amount(tx, len(details), amount, currency) for tx in details]
        directions = [
            self._credit_debit(tx, self.find(tx, "CdtDbtInd")) or credit_debit for tx in details
        ]
        _check_batch(entry, details, amount, currency, credit_debit, parts, directions)

        keys = [self._transaction_reference(tx) for tx in details]
        transactions = []
        for position, (tx, (tx_amount, _), direction, reference_key) in enumerate(
            zip(details, parts, directions, keys, strict=True), start=1
        ):
            unique = reference_key is not None and keys.count(reference_key) == 1
            reference, reference_type = self._structured_reference(tx)
            transactions.append(
                BankTransaction(
                    transaction_key=reference_key if unique else f"{entry_key}#{position}",
                    line=tx.sourceline,
                    amount=tx_amount,
                    currency=currency,
                    credit_debit=direction,
                    reference=reference,
                    reference_type=reference_type,
                    remittance_text=self._remittance_text(tx),
                    debtor_name=self.text(tx, "RltdPties", "Dbtr", "Nm")
                    or self.text(tx, "RltdPties", "Dbtr", "Pty", "Nm"),
                    debtor_iban=_compact_or_none(
                        self.text(tx, "RltdPties", "DbtrAcct", "Id", "IBAN")
                    ),
                    **common,
                )
            )
        return transactions

    # -- values ---------------------------------------------------------------------

    def _amount(
        self, parent: etree._Element, *names: str, required: bool = False
    ) -> tuple[Decimal, str] | None:
        element = self.find(parent, *names)
        if element is None:
            if required:
                raise CamtError(parent.sourceline, _MISSING, element=_shown_path(parent, names))
            return None
        written = (element.text or "").strip()
        if not _DECIMAL.fullmatch(written):
            raise CamtError(
                element.sourceline,
                N_("the amount %(amount)s is not a decimal number"),
                amount=repr(written),
            )
        value = Decimal(written)
        if value < 0:
            raise CamtError(
                element.sourceline, N_("the amount %(amount)s is negative"), amount=written
            )
        digits = value.as_tuple()
        fraction = max(0, -digits.exponent)
        if fraction > _FRACTION_DIGITS or len(digits.digits) > _TOTAL_DIGITS:
            raise CamtError(
                element.sourceline,
                N_(
                    "the amount %(amount)s has more digits than camt allows "
                    "(%(total)s, of which %(fraction)s after the point)"
                ),
                amount=written,
                total=_TOTAL_DIGITS,
                fraction=_FRACTION_DIGITS,
            )
        currency = element.get("Ccy")
        if currency is None or not currency.strip():
            raise CamtError(
                element.sourceline,
                N_("the amount %(amount)s has no currency (Ccy)"),
                amount=written,
            )
        if not _CURRENCY.fullmatch(currency):
            raise CamtError(
                element.sourceline,
                N_("the currency %(currency)s is not a 3-letter code"),
                currency=repr(currency),
            )
        return value, currency

    def _transaction_amount(
        self, tx: etree._Element, count: int, entry_amount: Decimal, entry_currency: str
    ) -> tuple[Decimal, str]:
        found = self._amount(tx, "Amt") or self._amount(tx, "AmtDtls", "TxAmt", "Amt")
        if found is not None:
            return found
        if count == 1:
            return entry_amount, entry_currency
        raise CamtError(
            tx.sourceline,
            N_(
                "the transaction has no amount (neither Amt nor AmtDtls/TxAmt/Amt) "
                "and its entry holds several"
            ),
        )

    def _credit_debit(
        self, parent: etree._Element, element: etree._Element | None, required: bool = False
    ) -> CreditDebit | None:
        if element is None or not (element.text or "").strip():
            if required:
                raise CamtError(parent.sourceline, _MISSING, element="CdtDbtInd")
            return None
        written = element.text.strip()
        try:
            return CreditDebit(written)
        except ValueError:
            raise CamtError(
                element.sourceline,
                N_("unknown credit/debit indicator %(value)s (expected CRDT or DBIT)"),
                value=repr(written),
            ) from None

    def _reversal(self, entry: etree._Element) -> bool:
        element = self.find(entry, "RvslInd")
        if element is None:
            return False
        written = (element.text or "").strip()
        if written in ("true", "1"):
            return True
        if written in ("false", "0"):
            return False
        raise CamtError(
            element.sourceline, N_("RvslInd %(value)s is not true or false"), value=repr(written)
        )

    def _status(self, entry: etree._Element) -> EntryStatus:
        element = self.find(entry, "Sts")
        if element is None:
            raise CamtError(entry.sourceline, N_("the entry has no status (Sts)"))
        # 04-06: <Sts>BOOK</Sts>; 07-08: <Sts><Cd>BOOK</Cd></Sts> or <Sts><Prtry>..</Prtry></Sts>
        written = self.text(element, "Cd") or (element.text or "").strip()
        proprietary = self.text(element, "Prtry")
        if not written and proprietary:
            raise CamtError(
                element.sourceline,
                N_(
                    "the entry status is proprietary (%(value)s); "
                    "only BOOK, PDNG, INFO and FUTR are read"
                ),
                value=repr(proprietary),
            )
        try:
            return EntryStatus(written)
        except ValueError:
            raise CamtError(
                element.sourceline,
                N_("unknown entry status %(value)s (expected BOOK, PDNG, INFO or FUTR)"),
                value=repr(written),
            ) from None

    def _date(self, entry: etree._Element, name: str) -> date | None:
        element = self.find(entry, name)
        if element is None:
            return None
        day = self.find(element, "Dt")
        if day is not None:
            written = (day.text or "").strip()
            if _DATE.fullmatch(written):
                try:
                    return date.fromisoformat(written)
                except ValueError:
                    pass
            raise CamtError(
                day.sourceline,
                N_("%(element)s %(value)s is not a date (YYYY-MM-DD)"),
                element=f"{name}/Dt",
                value=repr(written),
            )
        moment = self.find(element, "DtTm")
        if moment is not None:
            instant = _date_time((moment.text or "").strip(), moment.sourceline, f"{name}/DtTm")
            if instant.tzinfo is None:
                return instant.date()
            return instant.astimezone(_ZURICH).date()
        raise CamtError(element.sourceline, N_("%(element)s has neither Dt nor DtTm"), element=name)

    def _transaction_reference(self, tx: etree._Element) -> str | None:
        for name in ("AcctSvcrRef", "EndToEndId", "TxId", "InstrId"):
            value = self.text(tx, "Refs", name)
            if value and value.upper() != _NOT_PROVIDED:
                return value
        return None

    def _structured_reference(self, tx: etree._Element) -> tuple[str | None, ReferenceType | None]:
        for creditor_reference in self.find_all(tx, "RmtInf", "Strd", "CdtrRefInf"):
            reference = self.find(creditor_reference, "Ref")
            if reference is None or not (reference.text or "").strip():
                continue
            written = reference.text.strip()
            code = self.text(creditor_reference, "Tp", "CdOrPrtry", "Cd")
            proprietary = self.text(creditor_reference, "Tp", "CdOrPrtry", "Prtry")
            if proprietary == ReferenceType.QRR:
                return _qr_reference(written, reference.sourceline), ReferenceType.QRR
            if code == ReferenceType.SCOR:
                return _creditor_reference(written, reference.sourceline), ReferenceType.SCOR
            return written, ReferenceType.OTHER
        return None, None

    def _remittance_text(self, tx: etree._Element) -> str | None:
        lines = [
            element.text.strip()
            for element in (
                *self.find_all(tx, "RmtInf", "Ustrd"),
                *self.find_all(tx, "RmtInf", "Strd", "AddtlRmtInf"),
            )
            if element.text and element.text.strip()
        ]
        return "\n".join(lines) or None


# -- plain helpers ----------------------------------------------------------------------


def _check_batch(
    entry: etree._Element,
    details: list[etree._Element],
    amount: Decimal,
    currency: str,
    credit_debit: CreditDebit,
    parts: list[tuple[Decimal, str]],
    directions: list[CreditDebit],
) -> None:
    """Refuse an entry whose transactions are in another currency or do not add up to it."""
    for (_, part_currency), tx in zip(parts, details, strict=True):
        if part_currency != currency:
            raise CamtError(
                tx.sourceline,
                N_("the transaction is in %(part)s but its entry in %(entry)s"),
                part=part_currency,
                entry=currency,
            )
    # A transaction in the entry's direction adds, one in the other direction subtracts.
    total = sum(
        (a if d is credit_debit else -a for (a, _), d in zip(parts, directions, strict=True)),
        Decimal(0),
    )
    if total != amount:
        raise CamtError(
            entry.sourceline,
            N_(
                "the transactions of the entry add up to %(currency)s %(total)s "
                "but the entry amount is %(currency)s %(amount)s"
            ),
            currency=currency,
            total=total,
            amount=amount,
        )


def _qr_reference(written: str, line: int) -> str:
    try:
        digits = esr.validate(written)  # strips spaces and leading zeros
    except InvalidChecksum:
        raise CamtError(
            line, N_("the QR reference %(reference)s has a wrong check digit"), reference=written
        ) from None
    except ValidationError:
        raise CamtError(
            line, N_("the QR reference %(reference)s is not 27 digits"), reference=repr(written)
        ) from None
    return digits.zfill(27)


def _creditor_reference(written: str, line: int) -> str:
    try:
        return iso11649.validate(written)
    except InvalidChecksum:
        raise CamtError(
            line,
            N_("the creditor reference %(reference)s has a wrong check digit"),
            reference=written,
        ) from None
    except ValidationError:
        raise CamtError(
            line,
            N_("the creditor reference %(reference)s is not an ISO 11649 reference (RF..)"),
            reference=repr(written),
        ) from None


def _instant(written: str, line: int) -> datetime:
    instant = _date_time(written, line, "CreDtTm")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=_ZURICH)
    return instant.astimezone(UTC)


def _date_time(written: str, line: int, what: str) -> datetime:
    match = _DATE_TIME.fullmatch(written)
    if match is not None:
        fraction = (match["fraction"] or "")[:6].ljust(6, "0")
        zone = match["zone"] or ""
        try:
            return datetime.fromisoformat(
                f"{match['date']}T{match['time']}.{fraction}{'+00:00' if zone == 'Z' else zone}"
            )
        except ValueError:
            pass
    raise CamtError(
        line,
        N_("%(element)s %(value)s is not a date and time (YYYY-MM-DDThh:mm:ss)"),
        element=what,
        value=repr(written),
    )


def _compact(account: str) -> str:
    return "".join(account.split()).upper()


def _compact_or_none(account: str | None) -> str | None:
    return _compact(account) if account else None


def _shown(qname: etree.QName) -> str:
    return f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname


def _shown_path(parent: etree._Element, names: tuple[str, ...]) -> str:
    return f"{etree.QName(parent).localname}/{'/'.join(names)}"
