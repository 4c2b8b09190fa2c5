"""Invoicing pages: the run for finance, drafts, invoices, credit notes, payments, the portal."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from app.toolkit import (
    Customer,
    Filter,
    Listing,
    RecordNotFound,
    RuleViolation,
    Sort,
    actors_in_words,
    committed_or_flash,
    company,
    csrf,
    current_actor,
    db,
    form_input,
    form_page_status,
    get_visible_or_404,
    link_locale,
    public,
    requires,
    state_filters,
    today,
    visible_customer_id,
)
from plugins.invoicing import dunning_holds, jobs
from plugins.invoicing.access import visible_invoice, visible_invoices
from plugins.invoicing.account import invoice_open_amount, invoice_position
from plugins.invoicing.billing import Month
from plugins.invoicing.credit_notes import create_credit_note, credited_so_far
from plugins.invoicing.documents import render_invoice_pdf
from plugins.invoicing.forms import (
    CreditNoteForm,
    DunningHoldForm,
    IssueSelectionForm,
    PaymentForm,
    RunForm,
)
from plugins.invoicing.issuing import discard_draft, draft_ids
from plugins.invoicing.mail_previews import issue_mail_preview, reminder_mail_preview
from plugins.invoicing.models import Invoice, InvoiceRun, Payment, Reminder
from plugins.invoicing.paylinks import invoice_id_of
from plugins.invoicing.payments import record_payment
from plugins.invoicing.planning import check_period
from plugins.invoicing.preview import preview_period
from plugins.invoicing.reminders import due_reminders
from plugins.invoicing.run_records import kept_failures
from plugins.invoicing.stripe_payments import (
    OnlinePaymentUnavailable,
    StripeNotConfigured,
    WebhookRefused,
    handle_webhook,
    online_payment_offered,
    open_checkout,
)
from plugins.invoicing.vocabulary import (
    InvoiceKind,
    InvoiceState,
    PaymentMethod,
    RunKind,
    RunState,
)

bp = Blueprint("invoicing", __name__, url_prefix="/invoicing", template_folder="templates")
PAGE_SIZE = 50


def _actor() -> str:
    return current_actor()[1]


def _filtered_invoices(args) -> tuple:
    """The invoices the period, customer and kind fields narrow to (the state is a filter
    chip of the list, see INVOICE_LIST)."""
    statement = visible_invoices(
        select(Invoice).options(selectinload(Invoice.customer), selectinload(Invoice.site))
    )
    filters = {
        "period": (args.get("period") or "").strip()[:7],
        "customer": (args.get("customer") or "").strip()[:100],
        "kind": (args.get("kind") or "").strip(),
    }
    if filters["period"]:
        statement = statement.where(Invoice.period == filters["period"])
    if filters["customer"]:
        like = f"%{filters['customer'].lower()}%"
        statement = statement.where(
            Invoice.customer_id.in_(
                select(Customer.id).where(
                    func.lower(Customer.legal_name).like(like)
                    | func.lower(Customer.number).like(like)
                )
            )
        )
    if filters["kind"] in InvoiceKind.codes():
        statement = statement.where(Invoice.kind == filters["kind"])
    return statement, filters


def _overdue():
    return (
        (Invoice.kind == InvoiceKind.INVOICE)
        & (Invoice.status == InvoiceState.ISSUED)
        & (Invoice.due_date < today())
    )


INVOICE_LIST = Listing(
    endpoint="invoicing.index",
    filters=(
        Filter("", _l("all issued"), Invoice.status != InvoiceState.DRAFT),
        *(Filter(state.value, state, Invoice.status == state) for state in InvoiceState),
    ),
    default_filter="",
    filter_arg="status",
    sorts=(
        Sort("number", Invoice.number),
        Sort("customer", Invoice.bill_to_name),
        Sort("period", Invoice.period),
        Sort("date", Invoice.issue_date),
        Sort("due", Invoice.due_date),
        Sort("total", Invoice.payable),
    ),
    default_sort="-date",
    search=(Invoice.number, Invoice.bill_to_name, Invoice.qr_reference),
    tiebreak=Invoice.id,
)


def _invoice_list() -> Listing:
    """INVOICE_LIST with the "overdue" chip, whose condition depends on today."""
    return replace(
        INVOICE_LIST,
        filters=(*INVOICE_LIST.filters, Filter("overdue", _l("overdue"), _overdue())),
    )


@bp.get("/")
@requires("invoicing.read")
def index():
    statement, filters = _filtered_invoices(request.args)
    listing = _invoice_list()
    if visible_customer_id() is not None:
        listing = replace(listing, filters=[f for f in listing.filters if f.code != "draft"])
    return render_template(
        "invoicing/index.html",
        page=listing.page(statement, request.args),
        filters=filters,
    )


@bp.get("/export.csv")
@requires("invoicing.export")
def export_csv():
    period = (request.args.get("period") or "").strip()
    try:
        Month.parse(period)
    except ValueError:
        abort(400, _("Give a period as YYYY-MM."))
    invoices = db.session.scalars(
        select(Invoice)
        .options(selectinload(Invoice.customer))
        .where(Invoice.period == period, Invoice.status != InvoiceState.DRAFT)
        .order_by(Invoice.number)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            "number",
            "kind",
            "status",
            "issue_date",
            "due_date",
            "customer_number",
            "customer",
            "period",
            "net",
            "vat",
            "gross",
            "rounding",
            "payable",
            "paid",
            "credited",
            "open",
        ]
    )
    for invoice in invoices:
        writer.writerow(
            [
                invoice.number,
                invoice.kind,
                invoice.status,
                invoice.issue_date.isoformat() if invoice.issue_date else "",
                invoice.due_date.isoformat() if invoice.due_date else "",
                invoice.customer.number,
                invoice.bill_to_name,
                invoice.period,
                invoice.total_net,
                invoice.total_vat,
                invoice.total_gross,
                invoice.rounding_difference,
                invoice.payable,
                invoice.amount_paid,
                invoice.amount_credited,
                invoice.open_amount,
            ]
        )
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="invoices-{period}.csv"'},
    )


# --- the run and drafts ---------------------------------------------------------------


def _default_period() -> str:
    return Month.of(today()).label


# A run record's failures (JSON) as RunFailure, whose step a page words.
bp.add_app_template_filter(kept_failures, "run_failures")


@bp.get("/run")
@requires("invoicing.run")
def run_page():
    period = (request.args.get("period") or _default_period()).strip()[:7]
    preview = None
    error = None
    try:
        month = check_period(period)
        if request.args.get("preview"):
            preview = preview_period(month)
    except RuleViolation as exc:
        error = str(exc)
    runs = db.session.scalars(select(InvoiceRun).order_by(InvoiceRun.id.desc()).limit(10)).all()
    drafts = db.session.scalar(select(func.count()).where(Invoice.status == InvoiceState.DRAFT))
    return render_template(
        "invoicing/run.html",
        period=period,
        preview=preview,
        error=error,
        runs=runs,
        drafts=drafts,
        actors=actors_in_words(run.actor for run in runs),
    )


def _busy(busy: jobs.RunInProgress):
    flash(
        _(
            "A run of %(period)s is already %(status)s (started by %(actor)s); "
            "no second run was started. Its progress is shown here.",
            period=busy.run.period,
            status=busy.run.status.label,
            actor=actors_in_words([busy.run.actor])[busy.run.actor],
        ),
        "warning",
    )
    return redirect(url_for("invoicing.run_status", run_id=busy.run.id))


@bp.post("/run")
@requires("invoicing.run")
def run_start():
    try:
        form = form_input(RunForm)
        run = jobs.start_run(form.period, issue=form.issue, actor=_actor())
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("invoicing.run_page"))
    except jobs.RunInProgress as busy:
        return _busy(busy)
    flash(_("Run %(period)s started; this page shows its progress.", period=run.period), "success")
    return redirect(url_for("invoicing.run_status", run_id=run.id))


@bp.get("/runs/<int:run_id>")
@requires("invoicing.run")
def run_status(run_id: int):
    run = db.session.get(InvoiceRun, run_id) or abort(404)
    return render_template(
        "invoicing/run_status.html",
        run=run,
        pdfs_rendered=_pdfs_rendered(run),
        actors=actors_in_words([run.actor]),
    )


def _pdfs_rendered(run: InvoiceRun) -> int | None:
    """How many of the documents the run issued have their PDF stored so far."""
    if not run.issue:
        return None
    ids = select(Invoice.id).where(Invoice.run_id == run.id)
    if run.kind == RunKind.ISSUING:
        ids = run.selection or []
    return db.session.scalar(
        select(func.count()).where(Invoice.id.in_(ids), Invoice.pdf_rendered_at.is_not(None))
    )


@bp.get("/drafts")
@requires("invoicing.run")
def drafts():
    statement = select(Invoice).where(Invoice.status == InvoiceState.DRAFT).order_by(Invoice.id)
    period = (request.args.get("period") or "").strip()[:7]
    if period:
        statement = statement.where(Invoice.period == period)
    invoices = db.session.scalars(statement.options(selectinload(Invoice.customer))).all()
    return render_template("invoicing/drafts.html", invoices=invoices, period=period)


@bp.post("/drafts/issue")
@requires("invoicing.run")
def issue_drafts():
    try:
        chosen = form_input(IssueSelectionForm)
        ids, period = chosen.invoice_id, chosen.period
        # None ticked: every draft the page shows, of its period or, unfiltered, of all.
        ids = ids or draft_ids(period)
        if not ids:
            raise RuleViolation(_("There are no drafts to issue."))
        period = period or visible_invoice(ids[0]).period or _default_period()
        record = jobs.start_issuing(period, ids, actor=_actor())
    except (ValueError, RuleViolation) as error:
        flash(str(error), "error")
        return redirect(url_for("invoicing.drafts"))
    except jobs.RunInProgress as busy:
        return _busy(busy)
    # ngettext: "1 Entwurf/Entwürfe werden ausgestellt" read as a placeholder left in.
    flash(
        ngettext(
            "Issuing %(num)d draft; this page shows the progress.",
            "Issuing %(num)d drafts; this page shows the progress.",
            len(record.selection),
        ),
        "success",
    )
    return redirect(url_for("invoicing.run_status", run_id=record.id))


@bp.post("/invoices/<int:invoice_id>/issue")
@requires("invoicing.run")
def issue_one(invoice_id: int):
    visible_invoice(invoice_id)
    result = jobs.issue_invoices([invoice_id], actor=_actor())
    if result.issued_numbers:
        flash(_("Invoice %(number)s issued.", number=result.issued_numbers[0]), "success")
    for failure in result.failures:
        flash(failure.worded, "error")
    return redirect(url_for("invoicing.detail", invoice_id=invoice_id))


@bp.get("/invoices/<int:invoice_id>/issue")
@requires("invoicing.run")
def issue_preview(invoice_id: int):
    """The e-mail issuing the draft sends, before it is issued (writes nothing)."""
    invoice = visible_invoice(invoice_id)
    try:
        mail = issue_mail_preview(invoice)
    except RuleViolation as refused:
        flash(str(refused), "error")
        return redirect(url_for("invoicing.detail", invoice_id=invoice_id))
    return render_template("invoicing/issue_preview.html", invoice=invoice, mail=mail)


@bp.post("/invoices/<int:invoice_id>/discard")
@requires("invoicing.run")
def discard(invoice_id: int):
    visible_invoice(invoice_id)
    committed_or_flash(
        lambda: discard_draft(invoice_id),
        _("Draft discarded; the next run bills its items again."),
    )
    return redirect(url_for("invoicing.drafts"))


# --- one invoice ----------------------------------------------------------------------


@bp.get("/invoices/<int:invoice_id>")
@requires("invoicing.read")
def detail(invoice_id: int):
    invoice = visible_invoice(invoice_id, with_lines=True)
    credit_notes = db.session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id).order_by(Invoice.id)
    ).all()
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.invoice_id == invoice.id).order_by(Reminder.level)
    ).all()
    return render_template(
        "invoicing/detail.html",
        invoice=invoice,
        credit_notes=credit_notes,
        reminders=reminders,
        # what it asks with its reminder fees, and what came in beyond (the account's view)
        position=invoice_position(invoice),
        today=today(),
        online_payment=online_payment_offered(),
    )


@bp.get("/invoices/<int:invoice_id>/pdf")
@requires("invoicing.read")
def pdf(invoice_id: int):
    return _pdf_response(visible_invoice(invoice_id))


def _pdf_response(invoice: Invoice) -> Response:
    content = invoice.pdf
    if content is None:
        # A draft's preview, or an issued document whose PDF is still being rendered.
        content = render_invoice_pdf(invoice)
    name = invoice.number or f"draft-{invoice.id}"
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


def _start_checkout(invoice: Invoice):
    """A redirect to Stripe Checkout, or None with the reason flashed."""
    try:
        session = open_checkout(invoice)
        db.session.commit()
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return None
    except OnlinePaymentUnavailable:
        flash(
            _(
                "Online payment is not available right now. Please pay with the QR-bill on the invoice PDF."
            ),
            "error",
        )
        return None
    return redirect(session.url, code=303)


@bp.post("/invoices/<int:invoice_id>/pay")
@requires("invoicing.pay")
def pay(invoice_id: int):
    invoice = visible_invoice(invoice_id)
    return _start_checkout(invoice) or redirect(url_for("invoicing.detail", invoice_id=invoice.id))


def _pay_link_invoice(token: str) -> Invoice:
    invoice_id = invoice_id_of(token)
    invoice = db.session.get(Invoice, invoice_id) if invoice_id else None
    if invoice is None or invoice.status == InvoiceState.DRAFT or invoice.is_credit_note:
        abort(404)
    return invoice


@bp.route("/pay/<token>", methods=["GET", "POST"])
@public("signed pay link from the invoice PDF or e-mail; shows only that invoice's amount")
def pay_link(token: str):
    invoice = _pay_link_invoice(token)
    if request.method == "POST":
        response = _start_checkout(invoice)
        if response is not None:
            return response
    with link_locale(invoice.language):
        return render_template(
            "invoicing/pay.html",
            invoice=invoice,
            open_amount=invoice_open_amount(invoice),
            token=token,
            online_payment=online_payment_offered(),
        )


@bp.get("/pay/<token>/pdf")
@public("signed pay link: the invoice's own PDF, whose QR-bill pays it when Stripe cannot")
def pay_link_pdf(token: str):
    invoice = _pay_link_invoice(token)
    return _pdf_response(invoice)


@bp.post("/invoices/<int:invoice_id>/payments")
@requires("invoicing.payments")
def record_payment_view(invoice_id: int):
    invoice = get_visible_or_404(Invoice, invoice_id)

    def book():
        form = form_input(PaymentForm)
        return record_payment(
            invoice.id,
            form.amount,
            form.received_on or today(),
            note=form.note,
            actor=_actor(),
            overpayment=form.overpayment,
        )

    if committed_or_flash(book, _("Payment recorded.")) is None:
        # Refused: the invoice again with what was typed (an amount field refilled with
        # the open amount would invite booking the wrong payment with one more click).
        return detail(invoice_id), 422
    return redirect(url_for("invoicing.detail", invoice_id=invoice_id))


@bp.route("/invoices/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@requires("invoicing.credit")
def credit_note(invoice_id: int):
    invoice = get_visible_or_404(Invoice, invoice_id)
    if request.method == "POST":

        def credit():
            amounts = None
            if request.form.get("mode") == "partial":
                # One input per line (line_<id>); the schema bounds each amount.
                amounts = {
                    line.id: raw
                    for line in invoice.lines
                    if (raw := (request.form.get(f"line_{line.id}") or "").strip())
                }
            form = form_input(CreditNoteForm, amounts=amounts)
            return create_credit_note(invoice.id, form.reason, form.amounts, actor=_actor())

        note = committed_or_flash(credit)
        if note is not None:
            jobs.render_and_mail([note.id])
            flash(_("Credit note %(number)s issued.", number=note.number), "success")
            return redirect(url_for("invoicing.detail", invoice_id=note.id))
    page = render_template(
        "invoicing/credit_note.html", invoice=invoice, credited=credited_so_far(invoice)
    )
    # A refused credit note comes back with the reason and amounts typed (422).
    return page, form_page_status()


# --- payments and reminders -----------------------------------------------------------


@bp.get("/payments")
@requires("invoicing.payments")
def payments():
    recent = db.session.scalars(
        select(Payment)
        .options(selectinload(Payment.invoice))
        .order_by(Payment.id.desc())
        .limit(100)
    ).all()
    open_invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.kind == InvoiceKind.INVOICE, Invoice.status == InvoiceState.ISSUED)
        .order_by(Invoice.due_date, Invoice.id)
        .limit(200)
    ).all()
    return render_template(
        "invoicing/payments.html",
        payments=recent,
        open_invoices=open_invoices,
        due=due_reminders(),
        fees_allowed=company().reminder_fees,
        today=today(),
    )


@bp.get("/dunning")
@requires("invoicing.payments")
def dunning():
    sent = db.session.scalars(
        select(Reminder)
        .options(selectinload(Reminder.invoice))
        .order_by(Reminder.id.desc())
        .limit(100)
    ).all()
    held = {hold.customer_id for hold in dunning_holds.holds()}
    customers = db.session.execute(
        select(Customer.id, Customer.legal_name).order_by(Customer.legal_name)
    ).all()
    return render_template(
        "invoicing/dunning.html",
        due=due_reminders(),
        sent=sent,
        holds=dunning_holds.holds(),
        customers=[c for c in customers if c.id not in held],
    )


@bp.get("/dunning/invoices/<int:invoice_id>/reminder")
@requires("invoicing.payments")
def reminder_preview(invoice_id: int):
    """The reminder e-mail the invoice gets at its next level (writes nothing)."""
    invoice = visible_invoice(invoice_id)
    try:
        mail = reminder_mail_preview(invoice)
    except RuleViolation as refused:
        flash(str(refused), "error")
        return redirect(url_for("invoicing.dunning"))
    return render_template("invoicing/reminder_preview.html", invoice=invoice, mail=mail)


@bp.post("/dunning/holds")
@requires("invoicing.payments")
def dunning_hold():
    def hold():
        form = form_input(DunningHoldForm)
        return dunning_holds.put_on_hold(form.customer_id, form.reason, _actor())

    committed_or_flash(hold, _("The customer gets no reminders until released."))
    return redirect(url_for("invoicing.dunning"))


@bp.post("/dunning/holds/<int:hold_id>/release")
@requires("invoicing.payments")
def dunning_release(hold_id: int):
    try:
        dunning_holds.release(hold_id)
    except RecordNotFound:
        abort(404)
    db.session.commit()
    flash(_("Reminders to the customer go on with the next run."), "success")
    return redirect(url_for("invoicing.dunning"))


@bp.get("/reminders/<int:reminder_id>/pdf")
@requires("invoicing.read")
def reminder_pdf(reminder_id: int):
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or not reminder.pdf:
        abort(404)
    visible_invoice(reminder.invoice_id)  # a customer's own only (404 otherwise)
    return Response(
        reminder.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="reminder-{reminder.level}-'
            f'{reminder.invoice.number}.pdf"'
        },
    )


@bp.post("/reminders/send")
@requires("invoicing.payments")
def send_reminders_view():
    sent = jobs.send_reminders(actor=_actor())
    flash(_("%(count)d reminder(s) sent.", count=len(sent)), "success")
    return redirect(url_for("invoicing.payments"))


# --- Stripe ---------------------------------------------------------------------------


@bp.post("/stripe/webhook")
@public("Stripe webhook: every request is verified against Stripe's signature")
def stripe_webhook():
    try:
        outcome = handle_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
        db.session.commit()
    except WebhookRefused as error:
        db.session.rollback()
        return {"error": "refused", "message": str(error)}, 400
    except StripeNotConfigured as error:
        db.session.rollback()
        return {"error": "not_configured", "message": str(error)}, 503
    return {"status": outcome.status}, 200


csrf.exempt(stripe_webhook)


# --- lists of runs and payments (the host's list component) ----------------------------

RUN_LIST = Listing(
    endpoint="invoicing.runs",
    filters=state_filters(InvoiceRun.status, RunState),
    default_filter="all",
    sorts=(
        Sort("period", InvoiceRun.period),
        Sort("started", InvoiceRun.started_at),
        Sort("created", InvoiceRun.invoices_created),
    ),
    default_sort="-started",
    search=(InvoiceRun.period, InvoiceRun.actor),
    tiebreak=InvoiceRun.id,
)


@bp.get("/runs")
@requires("invoicing.run")
def runs():
    page = RUN_LIST.page(select(InvoiceRun), request.args)
    # Who started a run is stored as app.audit writes it ("email (role)", "cli:demo"):
    # shown as the person's name or in words, like the history.
    actors = actors_in_words(run.actor for run in page.rows)
    return render_template("invoicing/runs.html", page=page, actors=actors)


PAYMENT_LIST = Listing(
    endpoint="invoicing.payment_list",
    filters=state_filters(Payment.method, PaymentMethod),
    default_filter="all",
    sorts=(
        Sort("received", Payment.received_on),
        Sort("amount", Payment.amount),
        Sort("invoice", Invoice.number),
        Sort("customer", Invoice.bill_to_name),
    ),
    default_sort="-received",
    search=(Invoice.number, Invoice.bill_to_name, Payment.external_reference, Payment.note),
    tiebreak=Payment.id,
)


@bp.get("/payments/all")
@requires("invoicing.payments")
def payment_list():
    statement = (
        select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .options(contains_eager(Payment.invoice))
    )
    return render_template(
        "invoicing/payment_list.html", page=PAYMENT_LIST.page(statement, request.args)
    )
