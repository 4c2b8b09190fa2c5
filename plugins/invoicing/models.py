"""Invoices, credit notes, their lines, the ledger of what was billed, payments, reminders.

The ledger tables carry the unique constraints that make a run idempotent: what a
contract's month was billed at, revision by revision (`BilledMonth`), and a charge
(source, reference) can each be written once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from app.toolkit import Customer, ExactDecimal, IdMixin, Percent, Site, TimestampMixin, db, utcnow
from plugins.invoicing.vat import vat_summary
from plugins.invoicing.vocabulary import (
    RUN_ACTIVE,
    BankCreditState,
    CheckoutState,
    InvoiceKind,
    InvoiceState,
    LineKind,
    PaymentMethod,
    ReminderWording,
    RunKind,
    RunState,
)

# Columns that may still change once a document is issued: its payment state and the
# PDF, which is rendered right after the number is assigned.
MUTABLE_AFTER_ISSUE = frozenset(
    {
        "status",
        "amount_paid",
        "amount_credited",
        "paid_at",
        "reminder_level",
        "pdf",
        "pdf_rendered_at",
        "updated_at",
    }
)


class InvoiceRun(IdMixin, db.Model):
    """One start of the monthly run (or of issuing a period's drafts), with what it did
    and who failed why.

    A run started from the pages or the API is queued and done by a background job, which
    keeps the counts up to date while it works (`updated_at` is its heartbeat). While it
    is queued or running, `active_period` holds its period: unique, so one period has one
    such run at a time. CLI and scheduler runs are synchronous and never set it.
    """

    __tablename__ = "invoicing_run"
    __table_args__ = (RunState.constraint("status"), RunKind.constraint("kind"))

    period: Mapped[str] = mapped_column(String(7), index=True)
    kind: Mapped[RunKind] = mapped_column(
        RunKind.column(10), default=RunKind.BILLING, server_default=RunKind.BILLING.value
    )
    # Runs recorded before background runs existed all finished (or died): "finished".
    status: Mapped[RunState] = mapped_column(
        RunState.column(10), default=RunState.QUEUED, server_default=RunState.FINISHED.value
    )
    requested_at: Mapped[datetime | None]
    # When the work began (for a run still queued: when it was requested).
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    actor: Mapped[str] = mapped_column(String(120), default="system")
    issue: Mapped[bool] = mapped_column(default=False)
    invoices_planned: Mapped[int | None]
    invoices_created: Mapped[int] = mapped_column(default=0)
    invoices_issued: Mapped[int] = mapped_column(default=0, server_default="0")
    conflicts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Months this run made up for: the scheduler found them never run (server down).
    catch_up: Mapped[bool] = mapped_column(default=False, server_default="0")
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Issuing: the drafts it was asked to issue (ids), fixed when it is queued.
    selection: Mapped[list[int] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    active_period: Mapped[str | None] = mapped_column(String(7), unique=True, index=True)

    @property
    def active(self) -> bool:
        return self.status in RUN_ACTIVE


def open_amount(
    kind: str, status: str, payable: Decimal, paid: Decimal, credited: Decimal
) -> Decimal:
    """What is still to be paid of an invoice: nothing of a credit note or a draft, never
    less than nothing (an overpayment is the customer's credit, not a negative debt)."""
    if kind == InvoiceKind.CREDIT_NOTE or status == InvoiceState.DRAFT:
        return Decimal("0.00")
    return max(payable - paid - credited, Decimal("0.00"))


class Invoice(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "invoicing_invoice"
    __audited__ = True
    __audit_redact__ = frozenset({"pdf"})
    __table_args__ = (
        InvoiceKind.constraint("kind"),
        InvoiceState.constraint("status"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_when_issued"),
        UniqueConstraint("number_series", "number_year", "number_sequence"),
    )

    kind: Mapped[InvoiceKind] = mapped_column(InvoiceKind.column(12), default=InvoiceKind.INVOICE)
    status: Mapped[InvoiceState] = mapped_column(
        InvoiceState.column(12), default=InvoiceState.DRAFT, index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("core_site.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_run.id"))
    period: Mapped[str | None] = mapped_column(String(7), index=True)
    consolidated: Mapped[bool] = mapped_column(default=False)

    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    number_series: Mapped[str | None] = mapped_column(String(4))
    number_year: Mapped[int | None]
    number_sequence: Mapped[int | None]
    qr_reference: Mapped[str | None] = mapped_column(String(27))
    issue_date: Mapped[date | None]
    due_date: Mapped[date | None] = mapped_column(index=True)
    issued_at: Mapped[datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(120))

    language: Mapped[str] = mapped_column(String(2), default="de")
    bill_to_name: Mapped[str] = mapped_column(String(70))
    bill_to_street: Mapped[str] = mapped_column(String(70))
    bill_to_house_number: Mapped[str] = mapped_column(String(16), default="")
    bill_to_postal_code: Mapped[str] = mapped_column(String(16))
    bill_to_town: Mapped[str] = mapped_column(String(35))
    bill_to_country: Mapped[str] = mapped_column(String(2), default="CH")
    bill_to_email: Mapped[str] = mapped_column(String(254))

    total_net: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    total_vat: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    total_gross: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    rounding_difference: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    payable: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    amount_paid: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    amount_credited: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    paid_at: Mapped[datetime | None]
    reminder_level: Mapped[int] = mapped_column(default=0)

    credited_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoicing_invoice.id"), index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)

    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_rendered_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.id", cascade="all, delete-orphan"
    )
    credited_invoice: Mapped[Invoice | None] = relationship(
        remote_side="Invoice.id", foreign_keys=[credited_invoice_id]
    )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceState.DRAFT

    @property
    def open_amount(self) -> Decimal:
        return open_amount(
            self.kind, self.status, self.payable, self.amount_paid, self.amount_credited
        )

    @property
    def title(self) -> str:
        return self.number or f"draft {self.id}"

    def sections(self) -> list[tuple[str, list[InvoiceLine]]]:
        """Lines grouped per site, in order of first appearance."""
        grouped: dict[str, list[InvoiceLine]] = {}
        for line in self.lines:
            grouped.setdefault(line.site_name or "", []).append(line)
        return list(grouped.items())

    def vat_rows(self):

        return vat_summary((line.vat_rate, line.amount) for line in self.lines).rows


class InvoiceLine(IdMixin, db.Model):
    __tablename__ = "invoicing_invoice_line"
    __audited__ = True
    __table_args__ = (LineKind.constraint("kind"),)

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    position: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(LineKind.column(16))
    site_id: Mapped[int | None]  # no FK: a line outlives changes to the site
    site_name: Mapped[str | None] = mapped_column(String(70))
    contract_id: Mapped[int | None] = mapped_column(index=True)
    tier_code: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    service_start: Mapped[date]
    service_end: Mapped[date]
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 3))
    unit: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[Decimal]
    days: Mapped[int | None]
    days_in_month: Mapped[int | None]
    amount: Mapped[Decimal]
    vat_rate: Mapped[Decimal] = mapped_column(Percent())
    source: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(80))
    zero_rated_reason: Mapped[str | None] = mapped_column(String(200))
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice_line.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class BilledMonth(IdMixin, db.Model):
    """Ledger: what one contract's month is billed at, one row per revision.

    Revision 0 bills the month the first time: in advance while it is not over, or its
    real days when it already is (a month a skipped run left out). A later revision
    settles it: it credits what the previous one billed and bills the days really in
    force. A revision written after the month is over is `final`: that month is never
    billed again, by any run. The unique key (contract, month, revision) is what keeps two
    runs, in any order and at the same time, from billing a month twice.
    """

    __tablename__ = "invoicing_billed_month"
    __table_args__ = (
        UniqueConstraint("contract_id", "month", "revision"),
        # What a run reads: how far each contract is settled for good.
        Index("ix_invoicing_billed_month_final", "final", "contract_id", "month"),
    )

    contract_id: Mapped[int]
    month: Mapped[str] = mapped_column(String(7), index=True)
    revision: Mapped[int]
    final: Mapped[bool]
    customer_id: Mapped[int]
    site_id: Mapped[int]
    # NULL when nothing was to be paid (a free tier, an unchanged month): billed, but no
    # invoice was needed.
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoicing_invoice.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None]
    # The priced segments the month is billed at after this revision (PricedSegment).
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BilledCharge(IdMixin, db.Model):
    """Ledger: a charge of another plugin is on an invoice (once per source and reference)."""

    __tablename__ = "invoicing_billed_charge"
    __table_args__ = (UniqueConstraint("source", "reference"),)

    source: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(80))
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoicing_invoice.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NumberSequence(db.Model):
    """The last number given in a series and year; incremented in the issuing transaction."""

    __tablename__ = "invoicing_number_sequence"

    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Payment(IdMixin, db.Model):
    """A booking of money on an invoice. Append-only: a wrong or returned payment is
    taken back by a counter-booking (`reverses_id`, negative amount), never changed."""

    __tablename__ = "invoicing_payment"
    __audited__ = True
    __table_args__ = (
        # A Stripe session (or a bank reference) pays once, however often it is reported.
        UniqueConstraint("method", "external_reference"),
        CheckConstraint("(amount > 0) = (reverses_id IS NULL) AND amount <> 0", name="signed"),
        PaymentMethod.constraint("method"),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    amount: Mapped[Decimal]
    # The booking date (for a bank file: the bank's BookgDt).
    received_on: Mapped[date]
    value_date: Mapped[date | None]
    # A counter-booking names the payment it takes back; each is taken back once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_payment.id"), unique=True)
    method: Mapped[PaymentMethod] = mapped_column(PaymentMethod.column(12))
    external_reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class CheckoutSession(IdMixin, db.Model):
    """A Stripe Checkout session opened for an invoice's open amount.

    `status` follows Stripe's events; while a session is open (the customer is paying)
    or pending (an asynchronous payment not yet confirmed), dunning waits.
    """

    __tablename__ = "invoicing_checkout_session"
    __table_args__ = (CheckoutState.constraint("status"),)

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[Decimal]
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[CheckoutState] = mapped_column(
        CheckoutState.column(10), default=CheckoutState.OPEN, server_default="open"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(IdMixin, db.Model):
    """One payment reminder of an invoice: its level once (unique), the fee it charges
    (an open item of the customer's account), default interest and the PDF that was sent.
    """

    __tablename__ = "invoicing_reminder"
    __audited__ = True
    __audit_redact__ = frozenset({"pdf"})
    __table_args__ = (
        UniqueConstraint("invoice_id", "level"),
        ReminderWording.constraint("wording"),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    level: Mapped[int]
    wording: Mapped[ReminderWording] = mapped_column(
        ReminderWording.column(12), default=ReminderWording.REMINDER, server_default="reminder"
    )
    fee: Mapped[Decimal]
    # Fees of the earlier levels still asked for, default interest up to `sent_on`, and
    # what the QR-bill of this reminder asks: open amount + all fees + interest.
    earlier_fees: Mapped[Decimal] = mapped_column(default=Decimal("0.00"), server_default="0")
    interest: Mapped[Decimal] = mapped_column(default=Decimal("0.00"), server_default="0")
    amount_due: Mapped[Decimal] = mapped_column(default=Decimal("0.00"), server_default="0")
    open_amount: Mapped[Decimal]
    sent_on: Mapped[date]
    sent_to: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    invoice: Mapped[Invoice] = relationship()


class Refund(IdMixin, db.Model):
    """Money paid back out of a customer's credit balance, on finance's decision with a
    reason. Append-only like payments: a counter-booking (negative) takes one back."""

    __tablename__ = "invoicing_refund"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("(amount > 0) = (reverses_id IS NULL) AND amount <> 0", name="signed"),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    amount: Mapped[Decimal]
    paid_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_refund.id"), unique=True)


class BankCredit(IdMixin, db.Model):
    """One transaction of an imported camt.054 file: a credit (booked on an invoice, or
    waiting in finance's queue) or the bank's reversal of an earlier credit.

    The bank's (entry, transaction) keys are unique: importing a file again finds its
    transactions here and books nothing twice.
    """

    __tablename__ = "invoicing_bank_credit"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("entry_key", "transaction_key"),
        BankCreditState.constraint("state"),
    )

    entry_key: Mapped[str] = mapped_column(String(120))
    transaction_key: Mapped[str] = mapped_column(String(120))
    state: Mapped[BankCreditState] = mapped_column(BankCreditState.column(12), index=True)
    reversal: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    booking_date: Mapped[date]
    value_date: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(35), index=True)
    reference_type: Mapped[str | None] = mapped_column(String(5))
    debtor_name: Mapped[str | None] = mapped_column(String(140))
    debtor_iban: Mapped[str | None] = mapped_column(String(34))
    remittance_text: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(200), default="")
    line: Mapped[int | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120), default="system")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_payment.id"))
    # Why it waits in the queue, or finance's reason for returning it.
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None]

    invoice: Mapped[Invoice | None] = relationship()

    @property
    def in_queue(self) -> bool:
        return self.state in (BankCreditState.UNMATCHED, BankCreditState.AMBIGUOUS)


class DunningHold(IdMixin, db.Model):
    """A customer finance sends no reminders to, and why (a dispute, an agreed plan)."""

    __tablename__ = "invoicing_dunning_hold"
    __audited__ = True

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    held_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship()


# --- immutability ---------------------------------------------------------------------


class ImmutableInvoice(RuntimeError):
    """An issued invoice or credit note cannot change; corrections are credit notes."""


def _committed_status(invoice: Invoice) -> str | None:

    state = inspect(invoice)
    if state.transient or state.pending:
        return None
    history = state.attrs.status.history
    if history.deleted:
        return history.deleted[0]
    return invoice.status


def _guard_issued(session, flush_context, instances) -> None:

    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Invoice):
            status = _committed_status(obj)
            if status in (None, InvoiceState.DRAFT):
                continue
            if obj in session.deleted:
                raise ImmutableInvoice(f"invoice {obj.number} is issued and cannot be deleted")
            state = inspect(obj)
            changed = {
                attr.key
                for attr in state.mapper.column_attrs
                if state.attrs[attr.key].history.has_changes()
            }
            frozen = changed - MUTABLE_AFTER_ISSUE
            if frozen:
                raise ImmutableInvoice(
                    f"invoice {obj.number} is issued; cannot change {', '.join(sorted(frozen))}"
                )
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, InvoiceLine):
            invoice = obj.invoice
            if invoice is None and obj.invoice_id is not None:
                invoice = session.get(Invoice, obj.invoice_id)
            if invoice is not None and _committed_status(invoice) not in (
                None,
                InvoiceState.DRAFT,
            ):
                raise ImmutableInvoice(f"the lines of invoice {invoice.number} cannot change")


class ImmutableBooking(RuntimeError):
    """A payment or refund is booked for good; a counter-booking takes it back."""


def _guard_bookings(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, Payment | Refund):
            continue
        if obj in session.deleted:
            # Deleting a draft removes no payment (drafts have none); anything else would
            # erase money from the account.
            raise ImmutableBooking(f"{obj.__tablename__} {obj.id} cannot be deleted")
        state = inspect(obj)
        if any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs):
            raise ImmutableBooking(
                f"{obj.__tablename__} {obj.id} is booked; a counter-booking takes it back"
            )


def install_guard() -> None:

    if not event.contains(Session, "before_flush", _guard_issued):
        event.listen(Session, "before_flush", _guard_issued)
    if not event.contains(Session, "before_flush", _guard_bookings):
        event.listen(Session, "before_flush", _guard_bookings)


install_guard()
