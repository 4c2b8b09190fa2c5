"""Hand-written camt.054.001.08 files for the import tests: one entry per `entry(...)`,
each with one transaction per `tx(...)` (a batch when there are several)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

QR_IBAN = "CH4431999123000889012"  # the company's QR-IBAN in tests (the SIX sample)


@dataclass
class Tx:
    amount: str
    reference: str | None = None  # a QR reference (27 digits)
    key: str | None = None  # TxDtls/Refs/AcctSvcrRef
    debtor: str = "Muster AG"
    scor: str | None = None


@dataclass
class Entry:
    key: str  # Ntry/AcctSvcrRef
    txs: list[Tx] = field(default_factory=list)
    booked: str = "2026-12-10"
    value: str = "2026-12-10"
    direction: str = "CRDT"
    reversal: bool = False
    status: str = "BOOK"
    currency: str = "CHF"


def tx(amount: str, reference: str | None = None, key: str | None = None, **more) -> Tx:
    return Tx(amount, reference, key, **more)


def entry(key: str, *txs: Tx, **more) -> Entry:
    return Entry(key, list(txs), **more)


def _tx_xml(t: Tx, direction: str, currency: str) -> str:
    reference = ""
    if t.reference:
        reference = f"""<Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp>
            <Ref>{t.reference}</Ref></CdtrRefInf></Strd>"""
    elif t.scor:
        reference = f"""<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
            <Ref>{t.scor}</Ref></CdtrRefInf></Strd>"""
    refs = f"<Refs><AcctSvcrRef>{t.key}</AcctSvcrRef></Refs>" if t.key else ""
    return f"""
          <TxDtls>
            {refs}
            <Amt Ccy="{currency}">{t.amount}</Amt>
            <CdtDbtInd>{direction}</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>{t.debtor}</Nm></Pty></Dbtr></RltdPties>
            <RmtInf>{reference}</RmtInf>
          </TxDtls>"""


def camt054(*entries: Entry, message_id: str = "MSG-1", iban: str = QR_IBAN) -> bytes:
    body = []
    for e in entries:
        total = sum((Decimal(t.amount) for t in e.txs), Decimal(0))
        reversal = "<RvslInd>true</RvslInd>" if e.reversal else ""
        details = "".join(_tx_xml(t, e.direction, e.currency) for t in e.txs)
        body.append(
            f"""
      <Ntry>
        <Amt Ccy="{e.currency}">{total}</Amt>
        <CdtDbtInd>{e.direction}</CdtDbtInd>
        {reversal}
        <Sts><Cd>{e.status}</Cd></Sts>
        <BookgDt><Dt>{e.booked}</Dt></BookgDt>
        <ValDt><Dt>{e.value}</Dt></ValDt>
        <AcctSvcrRef>{e.key}</AcctSvcrRef>
        <NtryDtls>{details}
        </NtryDtls>
      </Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr>
      <MsgId>{message_id}</MsgId>
      <CreDtTm>2026-12-10T18:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Ntfctn>
      <Id>NTF-{message_id}</Id>
      <Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{"".join(body)}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
""".encode()
