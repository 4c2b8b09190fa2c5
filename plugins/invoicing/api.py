"""JSON endpoints: start a run, issue drafts in the background, list and read invoices, pay,
credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from flask import Response, request, url_for
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from app.toolkit import (
    ApiError,
    Customer,
    Offset,
    RecordId,
    RecordNotFound,
    RuleViolation,
    api_blueprint,
    api_error_response,
    committed,
    current_actor,
    db,
    get_visible_or_404,
    given,
    operation,
    today,
)
from plugins.invoicing import dunning_holds, jobs
from plugins.invoicing.access import visible_invoice
from plugins.invoicing.account import summary
from plugins.invoicing.bank_import import assign_credit, import_bank_file, return_credit
from plugins.invoicing.camt import MAX_BYTES, CamtError
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.documents import render_invoice_pdf
from plugins.invoicing.forms import (
    AssignCreditForm,
    CreditNoteForm,
    DunningHoldForm,
    IssuingForm,
    PaymentForm,
    ReasonForm,
    RunForm,
)
from plugins.invoicing.models import BankCredit, DunningHold, Invoice, InvoiceRun
from plugins.invoicing.payments import record_payment
from plugins.invoicing.preview import preview_period
from plugins.invoicing.reads import (
    InvoiceDetailOut,
    InvoiceOut,
    LineFacts,
    invoice_detail,
    invoice_page,
)
from plugins.invoicing.run_records import kept_failures
from plugins.invoicing.stripe_payments import (
    RETRY_AFTER_SECONDS,
    OnlinePaymentUnavailable,
    open_checkout,
)
from plugins.invoicing.vocabulary import (
    BankCreditState,
    FailedStep,
    InvoiceKind,
    InvoiceState,
    RunKind,
    RunState,
)

bp = api_blueprint("invoicing_api", "/invoicing")


class FailureOut(BaseModel):
    """A RunFailure as the API shows it."""

    model_config = ConfigDict(from_attributes=True)
    customer_id: int
    customer_name: str
    step: FailedStep = Field(description="what was being done for the customer")
    subject: str = Field(
        description="the document concerned: a draft ('#12'), an invoice number, a charge"
        " ('source/reference'); empty while billing"
    )
    invoice_id: int | None = Field(description="the draft or invoice concerned, if any")
    detail: str = Field(description="why it failed (a rule's message)")
    reason: str = Field(description="step, subject and detail in one line")


class RunStartedOut(BaseModel):
    run_id: int
    period: str
    status: str = Field(description="queued, running, finished or failed")
    status_url: str = Field(description="GET it to follow the run")


class RunStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: RunKind = Field(description="a run that bills the period, or one that issues drafts")
    period: str
    status: str = Field(description="queued, running, finished or failed")
    issue: bool
    actor: str
    requested_at: datetime | None
    started_at: datetime | None = Field(description="None while the run is queued")
    finished_at: datetime | None
    invoices_planned: int | None = Field(description="known once the run has planned")
    invoices_created: int
    invoices_issued: int
    conflicts: int = Field(description="invoices another run had billed first")
    failures: list[FailureOut]
    error: str | None = Field(description="why a failed run stopped")
    invoice_ids: list[int] = Field(
        description="the invoices this run created so far (an issuing job: the drafts it issues)"
    )


class InvoiceQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}$")] | None = Field(
        default=None, description="YYYY-MM"
    )
    customer_id: RecordId | None = None
    status: InvoiceState | None = None
    kind: InvoiceKind | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str = Field(description="YYYY-MM", examples=["2026-12"])


class PreviewLineOut(LineFacts):
    tier_code: str | None


class PreviewInvoiceOut(BaseModel):
    site_id: int | None = Field(description="None: the customer's consolidated invoice")
    total_net: Decimal
    total_vat: Decimal
    payable: Decimal
    lines: list[PreviewLineOut]


class PreviewCustomerOut(BaseModel):
    customer_id: int
    name: str
    total_net: Decimal
    total_vat: Decimal
    payable: Decimal
    invoices: list[PreviewInvoiceOut]
    credit_notes: list[Decimal] = Field(description="credits of charges already invoiced")


class PreviewOut(BaseModel):
    period: str
    total_net: Decimal
    total_vat: Decimal
    payable: Decimal
    customers: list[PreviewCustomerOut]
    failures: list[FailureOut]


class DunningHoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    reason: str
    held_by: str
    created_at: datetime


class CheckoutOut(BaseModel):
    url: str
    session_id: str
    amount: Decimal


def _actor() -> str:
    return current_actor()[1]


def _invoice(invoice_id: int) -> dict:
    return {"invoice": visible_invoice(invoice_id)}


def _status_url(run_id: int) -> str:
    return url_for("invoicing_api.get_run", run_id=run_id)


def _started(run: InvoiceRun) -> dict:
    """The 202 answer of a queued job: where to follow it."""
    return {
        "run_id": run.id,
        "period": run.period,
        "status": run.status,
        "status_url": _status_url(run.id),
    }


def _busy(busy: jobs.RunInProgress) -> ApiError:
    """A job of the period is already queued or running: nothing new was queued."""
    return ApiError(
        409,
        "run_in_progress",
        f"a job of {busy.run.period} is already {busy.run.status}; nothing new was queued",
        {"run_id": busy.run.id, "status_url": _status_url(busy.run.id)},
    )


@operation(
    bp,
    "POST",
    "/runs",
    permission="invoicing.run",
    summary="Queue the monthly invoicing of a period (idempotent); follow it at status_url",
    tags="invoicing",
    body=RunForm,
    response=RunStartedOut,
    status=202,
)
def start_run(body: RunForm):
    try:
        run = jobs.start_run(body.period, issue=body.issue, actor=_actor())
    except RuleViolation as error:
        db.session.rollback()
        raise ApiError(422, "rule_violation", str(error)) from error
    except jobs.RunInProgress as busy:
        raise _busy(busy) from None
    return _started(run)


@operation(
    bp,
    "POST",
    "/issuing",
    permission="invoicing.run",
    summary="Queue issuing a period's drafts (or the chosen ones) as a background job: "
    "numbers, PDFs with QR-bill, e-mails; follow it at status_url",
    tags="invoicing",
    body=IssuingForm,
    response=RunStartedOut,
    status=202,
)
def start_issuing(body: IssuingForm):
    for invoice_id in body.invoice_ids:
        visible_invoice(invoice_id)  # 404 for an id that is not there
    try:
        run = jobs.start_issuing(body.period, body.invoice_ids or None, actor=_actor())
    except jobs.RunInProgress as busy:
        raise _busy(busy) from None
    return _started(run)


@operation(
    bp,
    "GET",
    "/preview",
    permission="invoicing.run",
    summary="What the run of a period would bill now, per customer; writes nothing",
    tags="invoicing",
    query=PreviewQuery,
    response=PreviewOut,
)
def get_preview(query: PreviewQuery):
    try:
        preview = preview_period(query.period)
    except (RuleViolation, ValueError) as error:
        raise ApiError(422, "rule_violation", str(error)) from error
    totals = preview.totals
    return {
        "period": preview.period.label,
        "total_net": totals["total_net"],
        "total_vat": totals["total_vat"],
        "payable": totals["payable"],
        "customers": [
            {
                "customer_id": customer.customer_id,
                "name": customer.name,
                **{name: customer.total(name) for name in ("total_net", "total_vat", "payable")},
                "invoices": [
                    {"site_id": invoice.site_id, **invoice.totals, "lines": invoice.lines}
                    for invoice in customer.invoices
                ],
                "credit_notes": customer.credit_notes,
            }
            for customer in preview.customers
        ],
        "failures": preview.failures,
    }


@operation(
    bp,
    "GET",
    "/runs/<int:run_id>",
    permission="invoicing.run",
    summary="A run's status, its counts so far and its failures with their reasons",
    tags="invoicing",
    response=RunStatusOut,
)
def get_run(run_id: int):
    run = db.session.get(InvoiceRun, run_id)
    if run is None:
        raise ApiError(404, "not_found", "no such run")
    if run.kind == RunKind.ISSUING:
        invoice_ids = list(run.selection or [])
    else:
        invoice_ids = db.session.scalars(
            select(Invoice.id).where(Invoice.run_id == run.id).order_by(Invoice.id)
        ).all()
    return {
        "id": run.id,
        "kind": run.kind,
        "period": run.period,
        "status": run.status,
        "issue": run.issue,
        "actor": run.actor,
        "requested_at": run.requested_at,
        "started_at": None if run.status == RunState.QUEUED else run.started_at,
        "finished_at": run.finished_at,
        "invoices_planned": run.invoices_planned,
        "invoices_created": run.invoices_created,
        "invoices_issued": run.invoices_issued,
        "conflicts": run.conflicts,
        "failures": kept_failures(run.failures),
        "error": run.error,
        "invoice_ids": invoice_ids,
    }


@operation(
    bp,
    "GET",
    "/invoices",
    permission="invoicing.read",
    summary="List invoices and credit notes (customers: their own, issued)",
    tags="invoicing",
    query=InvoiceQuery,
    response=InvoiceOut,
    many=True,
)
def list_invoices(query: InvoiceQuery):
    filters = given(query, "period", "customer_id", "status", "kind")
    return invoice_page(filters, query.limit, query.offset)


@operation(
    bp,
    "GET",
    "/invoices/<int:invoice_id>",
    permission="invoicing.read",
    summary="One invoice with its lines",
    tags="invoicing",
    response=InvoiceDetailOut,
)
def get_invoice(invoice_id: int):
    return invoice_detail(invoice_id)


@operation(
    bp,
    "GET",
    "/invoices/<int:invoice_id>/pdf",
    permission="invoicing.read",
    summary="The invoice PDF as stored at issue (application/pdf)",
    tags="invoicing",
)
def get_invoice_pdf(invoice_id: int):
    invoice = visible_invoice(invoice_id)
    return Response(invoice.pdf or render_invoice_pdf(invoice), mimetype="application/pdf")


@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/issue",
    permission="invoicing.run",
    summary="Issue a draft: number, dates, PDF",
    tags="invoicing",
    response=InvoiceOut,
)
def issue(invoice_id: int):
    visible_invoice(invoice_id)
    result = jobs.issue_invoices([invoice_id], actor=_actor())
    if not result.issued_numbers:
        raise ApiError(422, "rule_violation", result.failures[0].detail)
    return db.session.get(Invoice, invoice_id)


@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/payments",
    permission="invoicing.payments",
    summary="Record a bank payment (partial payments allowed)",
    tags="invoicing",
    body=PaymentForm,
    response=InvoiceOut,
    status=201,
    load=_invoice,
)
def add_payment(invoice: Invoice, body: PaymentForm):
    invoice_id = invoice.id
    committed(
        lambda: record_payment(
            invoice_id,
            body.amount,
            body.received_on or today(),
            note=body.note,
            actor=_actor(),
            overpayment=body.overpayment,
        )
    )
    return db.session.get(Invoice, invoice_id)


@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/credit-notes",
    permission="invoicing.credit",
    summary="Issue a credit note (full or partial, with a reason)",
    tags="invoicing",
    body=CreditNoteForm,
    response=InvoiceOut,
    status=201,
    load=_invoice,
)
def add_credit_note(invoice: Invoice, body: CreditNoteForm):
    invoice_id = invoice.id
    note = committed(
        lambda: create_credit_note(invoice_id, body.reason, body.amounts, actor=_actor())
    )
    jobs.render_and_mail([note.id])
    return db.session.get(Invoice, note.id)


@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/checkout",
    permission="invoicing.pay",
    summary="Open a Stripe Checkout session (CHF, card/TWINT) for the open amount",
    tags="invoicing",
    response=CheckoutOut,
    status=201,
)
def checkout(invoice_id: int):
    invoice = visible_invoice(invoice_id)
    try:
        session = open_checkout(invoice)
        db.session.commit()
    except RuleViolation as error:
        db.session.rollback()
        raise ApiError(422, "rule_violation", str(error)) from error
    except OnlinePaymentUnavailable:
        response, status = api_error_response(
            503,
            "payment_unavailable",
            "online payment is not available right now; the QR-bill on the invoice PDF "
            "pays the invoice",
            {"pdf": url_for("invoicing_api.get_invoice_pdf", invoice_id=invoice.id)},
        )
        response.status_code = status
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return {"url": session.url, "session_id": session.session_id, "amount": session.amount}


# --- the bank and the customer account ---------------------------------------------------


class BankFileOut(BaseModel):
    message_id: str
    matched: int = Field(description="credits booked on the invoice their QR reference names")
    unmatched: int = Field(description="credits (or reversals) waiting in finance's queue")
    already_imported: int = Field(description="transactions an earlier import booked")
    reversed: int = Field(description="earlier credits the bank took back (counter-booked)")
    skipped: int = Field(description="pending entries and ordinary debits: nothing to book")
    credit_ids: list[int]


@operation(
    bp,
    "POST",
    "/bank-files",
    permission="invoicing.payments",
    summary="Import a camt.054 file (multipart, field 'file'): book credits by QR reference",
    tags="invoicing",
    response=BankFileOut,
    files={"file": "the camt.054 notification (XML) as the bank delivers it"},
)
def import_bank_file_endpoint():
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(
            400, "file_missing", "send the camt.054 file as multipart/form-data field 'file'"
        )
    try:
        result = import_bank_file(
            upload.stream.read(MAX_BYTES + 1), file_name=upload.filename or "", actor=_actor()
        )
        db.session.commit()
    except CamtError as error:
        db.session.rollback()
        raise ApiError(
            422,
            "bank_file_refused",
            f"the file was refused, nothing was booked: {error}",
            [{"field": "file", "line": error.line, "message": error.reason}],
        ) from None
    return {"message_id": result.message_id, **result.counts(), "credit_ids": result.credit_ids}


class BankCreditQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    state: BankCreditState | None = Field(
        default=None,
        description="finance's queue is 'unmatched' and 'ambiguous'; none: every state",
    )
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class BankCreditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    state: BankCreditState
    reversal: bool = Field(description="the bank took an earlier credit back")
    amount: Decimal
    currency: str
    booking_date: date
    value_date: date | None
    reference: str | None
    reference_type: str | None = Field(description="QRR, SCOR or none")
    debtor_name: str | None
    debtor_iban: str | None
    remittance_text: str | None
    message_id: str
    file_name: str
    imported_at: datetime
    invoice_id: int | None = Field(description="the invoice it is booked on")
    payment_id: int | None
    note: str = Field(description="why it waits in the queue, or the reason it was returned")
    resolved_by: str | None
    resolved_at: datetime | None


def _bank_credit(credit_id: int) -> dict:
    credit = db.session.get(BankCredit, credit_id)
    if credit is None:
        raise RecordNotFound("no such bank credit")
    return {"credit": credit}


def _waiting(credit: BankCredit) -> None:
    """A credit finance already decided is a conflict with its state (409), not bad input."""
    if not credit.in_queue:
        raise ApiError(
            409, "conflict", f"the bank credit is {credit.state}, no longer waiting in the queue"
        )


@operation(
    bp,
    "GET",
    "/bank-credits",
    permission="invoicing.payments",
    summary="Credits of imported bank files, oldest booking first (the queue: state=unmatched)",
    tags="invoicing",
    query=BankCreditQuery,
    response=BankCreditOut,
    many=True,
)
def list_bank_credits(query: BankCreditQuery):
    statement = select(BankCredit)
    if query.state:
        statement = statement.where(BankCredit.state == query.state)
    statement = statement.order_by(BankCredit.booking_date, BankCredit.id)
    return db.session.scalars(statement.limit(query.limit).offset(query.offset)).all()


@operation(
    bp,
    "POST",
    "/bank-credits/<int:credit_id>/assign",
    permission="invoicing.payments",
    summary="Book a waiting credit on the invoice with this number (409 when not waiting)",
    tags="invoicing",
    body=AssignCreditForm,
    response=BankCreditOut,
    load=_bank_credit,
    errors=(400, 401, 403, 404, 409, 422),
)
def assign_bank_credit(credit: BankCredit, body: AssignCreditForm):
    _waiting(credit)
    credit_id = credit.id
    return committed(lambda: assign_credit(credit_id, body.invoice_number, actor=_actor()))


@operation(
    bp,
    "POST",
    "/bank-credits/<int:credit_id>/return",
    permission="invoicing.payments",
    summary="Take a waiting credit out of the queue as returned, with the reason; "
    "nothing is booked (409 when not waiting)",
    tags="invoicing",
    body=ReasonForm,
    response=BankCreditOut,
    load=_bank_credit,
    errors=(400, 401, 403, 404, 409, 422),
)
def return_bank_credit(credit: BankCredit, body: ReasonForm):
    _waiting(credit)
    credit_id = credit.id
    return committed(lambda: return_credit(credit_id, body.reason, actor=_actor()))


class AccountOut(BaseModel):
    customer_id: int
    open_amount: Decimal = Field(description="invoices and reminder fees still open, CHF")
    credit_balance: Decimal = Field(description="money received beyond what was asked, CHF")
    balance: Decimal = Field(description="open amount less credit: positive means owed")


@operation(
    bp,
    "GET",
    "/customers/<int:customer_id>/account",
    permission="invoicing.read",
    summary="A customer's account: open amount, credit balance, balance (customers: their own)",
    tags="invoicing",
    response=AccountOut,
)
def get_account(customer_id: int):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
    account = summary(customer.id)
    return {
        "customer_id": customer.id,
        "open_amount": account.open_amount,
        "credit_balance": account.credit_balance,
        "balance": account.balance,
    }


# --- dunning holds --------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/dunning-holds",
    permission="invoicing.payments",
    summary="Customers who get no payment reminders, with the reason",
    tags="invoicing",
    response=DunningHoldOut,
    many=True,
)
def list_dunning_holds():
    return dunning_holds.holds()


@operation(
    bp,
    "POST",
    "/dunning-holds",
    permission="invoicing.payments",
    summary="Stop payment reminders to a customer (409 when already on hold)",
    tags="invoicing",
    body=DunningHoldForm,
    response=DunningHoldOut,
    status=201,
)
def add_dunning_hold(body: DunningHoldForm):
    if dunning_holds.hold_of(body.customer_id) is not None:
        raise ApiError(409, "conflict", "the customer is already on hold")
    return committed(lambda: dunning_holds.put_on_hold(body.customer_id, body.reason, _actor()))


@operation(
    bp,
    "DELETE",
    "/dunning-holds/<int:hold_id>",
    permission="invoicing.payments",
    summary="Release a hold: reminders go on with the next run",
    tags="invoicing",
    response=DunningHoldOut,
)
def release_dunning_hold(hold_id: int):
    hold = db.session.get(DunningHold, hold_id)
    if hold is None:
        raise ApiError(404, "not_found", "no such hold")
    released = DunningHoldOut.model_validate(hold)
    committed(lambda: dunning_holds.release(hold_id))
    return released
