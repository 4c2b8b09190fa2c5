"""JSON endpoints: start a run, list and read invoices, issue, pay, credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Response, url_for
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from app.toolkit import (
    ApiError,
    RuleViolation,
    api_blueprint,
    api_error_response,
    committed,
    current_actor,
    db,
    get_visible_or_404,
    operation,
    scope_to_customer,
    today,
)
from plugins.invoicing.billing import Month
from plugins.invoicing.models import Invoice, InvoiceRun

bp = api_blueprint("invoicing_api", "/invoicing")


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(description="YYYY-MM", examples=["2026-12"])
    issue: bool = Field(default=False, description="Issue directly instead of drafts")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return Month.parse(value).label


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


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(gt=0, decimal_places=2, description="CHF, as a string: '120.50'")
    received_on: date | None = None
    note: str = Field(default="", max_length=200)


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    amounts: dict[int, Decimal] | None = Field(
        default=None, description="line id -> CHF to credit; omit to credit everything"
    )


class CheckoutOut(BaseModel):
    url: str
    session_id: str
    amount: Decimal


def _actor() -> str:
    return current_actor()[1]


def _visible(invoice_id: int) -> Invoice:
    invoice = get_visible_or_404(Invoice, invoice_id)
    if invoice.status == "draft" and current_user.role == "customer":
        raise ApiError(404, "not_found", "no such invoice")
    return invoice


def _status_url(run_id: int) -> str:
    return url_for("invoicing_api.get_run", run_id=run_id)


@operation(
    bp,
    "POST",
    "/runs",
    permission="invoicing.run",
    summary="Queue the monthly invoicing of a period (idempotent); follow it at status_url",
    tags="invoicing",
    body=RunIn,
    response=RunStartedOut,
    status=202,
)
def start_run(body: RunIn):
    from plugins.invoicing.run import RunInProgress
    from plugins.invoicing.run import start_run as queue_run

    try:
        run = queue_run(body.period, issue=body.issue, actor=_actor())
    except RunInProgress as busy:
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
        "started_at": None if run.status == "queued" else run.started_at,
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
    statement = scope_to_customer(select(Invoice), Invoice.customer_id)
    if current_user.role == "customer":
        statement = statement.where(Invoice.status != "draft")
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
    return _visible(invoice_id)


@operation(
    bp,
    "GET",
    "/invoices/<int:invoice_id>/pdf",
    permission="invoicing.read",
    summary="The invoice PDF as stored at issue (application/pdf)",
    tags="invoicing",
)
def get_invoice_pdf(invoice_id: int):
    from plugins.invoicing.documents import render_invoice_pdf

    invoice = _visible(invoice_id)
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
    from plugins.invoicing.issuing import issue_invoices

    get_visible_or_404(Invoice, invoice_id)
    result = issue_invoices([invoice_id], actor=_actor())
    if not result.numbers:
        raise ApiError(422, "rule_violation", result.failures[0].reason)
    return db.session.get(Invoice, invoice_id)


@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/payments",
    permission="invoicing.payments",
    summary="Record a bank payment (partial payments allowed)",
    tags="invoicing",
    body=PaymentIn,
    response=InvoiceOut,
    status=201,
)
def add_payment(invoice_id: int, body: PaymentIn):
    from plugins.invoicing.payments import record_payment

    get_visible_or_404(Invoice, invoice_id)
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
    body=CreditNoteIn,
    response=InvoiceOut,
    status=201,
)
def add_credit_note(invoice_id: int, body: CreditNoteIn):
    from plugins.invoicing.credit_notes import create_credit_note
    from plugins.invoicing.issuing import render_and_store

    get_visible_or_404(Invoice, invoice_id)
    note = committed(
        lambda: create_credit_note(invoice_id, body.reason, body.amounts, actor=_actor())
    )
    render_and_store([note.id])
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
    from plugins.invoicing.stripe_payments import (
        RETRY_AFTER_SECONDS,
        OnlinePaymentUnavailable,
        open_checkout,
    )

    invoice = _visible(invoice_id)
    try:
        session = open_checkout(invoice)
    except RuleViolation as error:
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
