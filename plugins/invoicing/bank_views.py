"""Finance's pages for the bank and the customer accounts: camt.054 upload, the queue of
unmatched credits, the reconciliation with its CSV export, refunds of a credit balance."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import (
    Customer,
    committed_or_flash,
    current_actor,
    db,
    form_input,
    get_visible_or_404,
    requires,
    today,
)
from plugins.invoicing.account import refund_credit
from plugins.invoicing.bank_import import (
    assign_credit,
    import_bank_file,
    queue,
    return_credit,
)
from plugins.invoicing.camt import MAX_BYTES, CamtError
from plugins.invoicing.forms import AssignCreditForm, ReasonForm, RefundForm
from plugins.invoicing.models import BankCredit
from plugins.invoicing.reconciliation import aging, credit_rows, incoming_by_channel
from plugins.invoicing.vocabulary import AgeBucket

bp = Blueprint("invoicing_bank", __name__, url_prefix="/invoicing", template_folder="templates")


def _actor() -> str:
    return current_actor()[1]


def refused_message(error: CamtError) -> str:
    if error.line:
        return _(
            "The bank file was refused, nothing was booked: line %(line)d: %(reason)s",
            line=error.line,
            reason=error.message,
        )
    return _("The bank file was refused, nothing was booked: %(reason)s", reason=error.message)


def imported_message(result) -> str:
    return _(
        "Bank file imported: %(matched)d matched, %(unmatched)d unmatched, "
        "%(already)d already imported, %(reversed)d reversed.",
        matched=result.matched,
        unmatched=result.unmatched,
        already=result.already_imported,
        reversed=result.reversed,
    )


@bp.get("/bank")
@requires("invoicing.payments")
def bank_page():
    recent = db.session.scalars(
        select(BankCredit)
        .options(selectinload(BankCredit.invoice))
        .order_by(BankCredit.id.desc())
        .limit(50)
    ).all()
    return render_template("invoicing/bank.html", waiting=queue(), recent=recent)


@bp.post("/bank/files")
@requires("invoicing.payments")
def upload_bank_file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a camt.054 file to import."), "error")
        return redirect(url_for("invoicing_bank.bank_page"))
    try:
        result = import_bank_file(
            upload.stream.read(MAX_BYTES + 1), file_name=upload.filename, actor=_actor()
        )
        db.session.commit()
    except CamtError as error:
        db.session.rollback()
        flash(refused_message(error), "error")
        return redirect(url_for("invoicing_bank.bank_page"))
    flash(imported_message(result), "success")
    return redirect(url_for("invoicing_bank.bank_page"))


@bp.post("/bank/credits/<int:credit_id>/assign")
@requires("invoicing.payments")
def assign(credit_id: int):
    def book():
        form = form_input(AssignCreditForm)
        return assign_credit(credit_id, form.invoice_number, actor=_actor())

    committed_or_flash(book, _("The credit is booked on the invoice."))
    return redirect(url_for("invoicing_bank.bank_page"))


@bp.post("/bank/credits/<int:credit_id>/return")
@requires("invoicing.payments")
def return_view(credit_id: int):
    def send_back():
        form = form_input(ReasonForm)
        return return_credit(credit_id, form.reason, actor=_actor())

    committed_or_flash(send_back, _("The credit left the queue as returned."))
    return redirect(url_for("invoicing_bank.bank_page"))


# --- reconciliation ---------------------------------------------------------------------


def _day() -> date:
    try:
        return date.fromisoformat((request.args.get("day") or "").strip())
    except ValueError:
        return today()


@bp.get("/reconciliation")
@requires("invoicing.payments")
def reconciliation():
    day = _day()
    return render_template(
        "invoicing/reconciliation.html",
        day=day,
        aged=aging(day),
        buckets=list(AgeBucket),
        waiting=queue(),
        credits=credit_rows(),
        incoming=incoming_by_channel(day),
    )


@bp.get("/reconciliation.csv")
@requires("invoicing.payments")
def reconciliation_csv():
    """The open items by age for Excel: UTF-8 with a BOM, ';' separated, German headers."""
    day = _day()
    aged = aging(day)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    with force_locale("de"):
        writer.writerow(
            [
                _("Invoice"),
                _("Customer number"),
                _("Customer"),
                _("Due"),
                _("Days overdue"),
                _("Age"),
                _("Open CHF"),
            ]
        )
        for item in aged.items:
            writer.writerow(
                [
                    item.position.number,
                    item.customer_number,
                    item.customer_name,
                    item.position.due_date.strftime("%d.%m.%Y") if item.position.due_date else "",
                    item.days,
                    item.bucket.label,
                    item.position.open,
                ]
            )
        for bucket in AgeBucket:
            writer.writerow([_("Total"), "", "", "", "", bucket.label, aged.totals[bucket]])
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="open-items-{day.isoformat()}.csv"'},
    )


@bp.post("/customers/<int:customer_id>/refunds")
@requires("invoicing.payments")
def refund(customer_id: int):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)

    def pay_back():
        form = form_input(RefundForm)
        return refund_credit(
            customer.id, form.amount, form.reason, paid_on=form.paid_on, actor=_actor()
        )

    committed_or_flash(pay_back, _("The refund is recorded."))
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("invoicing_bank.reconciliation"))
