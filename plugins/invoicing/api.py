"""JSON endpoints: start a run, list and read invoices, issue, pay, credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Response, url_for
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.toolkit import (
    ApiError,
    RuleViolation,
    api_blueprint,
    api_error_response,
    committed,
    current_actor,
    db,
    operation,
    today,
)
from plugins.invoicing import jobs
from plugins.invoicing.access import visible_invoice, visible_invoices
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.documents import render_invoice_pdf
from plugins.invoicing.forms import CreditNoteForm, PaymentForm, RunForm
from plugins.invoicing.models import Invoice, InvoiceRun
from plugins.invoicing.payments import record_payment
from plugins.invoicing.stripe_payments import (
    RETRY_AFTER_SECONDS,
    OnlinePaymentUnavailable,
    open_checkout,
)
from plugins.invoicing.vocabulary import RunState

bp = api_blueprint("invoicing_api", "/invoicing")


class FailureOut(BaseModel):
    customer_id: int
    customer_name: str
    reason: str


class RunStartedOut(BaseModel):
    run_id: int
    period: str
    status: str = Field(description="queued, running, finished or failed")
    status_url: str = Field(description="GET it to follow the run")


class RunStatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
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
    invoice_ids: list[int] = Field(description="the invoices this run created so far")


class InvoiceQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    period: str | None = None
    customer_id: int | None = None
    status: str | None = None
    kind: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    position: int
    kind: str
    site_id: int | None
    site_name: str | None
    contract_id: int | None
    description: str
    service_start: date
    service_end: date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    zero_rated_reason: str | None


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    status: str
    number: str | None
    customer_id: int
    site_id: int | None
    period: str | None
    issue_date: date | None
    due_date: date | None
    qr_reference: str | None
    total_net: Decimal
    total_vat: Decimal
    total_gross: Decimal
    rounding_difference: Decimal
    payable: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    open_amount: Decimal
    credited_invoice_id: int | None
    reason: str | None


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]


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
        raise ApiError(
            409,
            "run_in_progress",
            f"a run of {body.period} is already {busy.run.status}; no second run was started",
            {"run_id": busy.run.id, "status_url": _status_url(busy.run.id)},
        ) from None
    return {
        "run_id": run.id,
        "period": run.period,
        "status": run.status,
        "status_url": _status_url(run.id),
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
    invoice_ids = db.session.scalars(
        select(Invoice.id).where(Invoice.run_id == run.id).order_by(Invoice.id)
    ).all()
    return {
        "id": run.id,
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
        "failures": [
            {
                "customer_id": f["customer_id"],
                "customer_name": f["customer"],
                "reason": f["reason"],
            }
            for f in run.failures
        ],
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
    statement = visible_invoices()
    if query.period:
        statement = statement.where(Invoice.period == query.period)
    if query.customer_id:
        statement = statement.where(Invoice.customer_id == query.customer_id)
    if query.status:
        statement = statement.where(Invoice.status == query.status)
    if query.kind:
        statement = statement.where(Invoice.kind == query.kind)
    statement = statement.order_by(Invoice.id.desc()).limit(query.limit).offset(query.offset)
    return db.session.scalars(statement).all()


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
    return visible_invoice(invoice_id, with_lines=True)


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
        raise ApiError(422, "rule_violation", result.failures[0].reason)
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
