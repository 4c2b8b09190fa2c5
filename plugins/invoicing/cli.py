"""`flask invoicing ...`: the monthly run, issuing drafts, reminders, bank files."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.toolkit import RuleViolation, acting_as, db
from plugins.invoicing import jobs
from plugins.invoicing.bank_import import import_bank_file
from plugins.invoicing.camt import MAX_BYTES, CamtError
from plugins.invoicing.issuing import draft_ids
from plugins.invoicing.planning import check_period
from plugins.invoicing.reminders import due_reminders

ACTOR = "cli:invoicing"


def _period(ctx, param, value: str) -> str:
    """A period a run may bill (YYYY-MM, not before the first period, at most a year ahead)."""
    try:
        return check_period(value).label
    except RuleViolation as error:
        raise click.BadParameter(str(error)) from error


@click.group("invoicing")
def cli() -> None:
    """Monthly invoicing, issuing and reminders."""


@cli.command("run")
@click.option("--period", required=True, help="YYYY-MM")
@click.option("--issue", is_flag=True, help="Issue the invoices directly instead of drafts.")
@with_appcontext
def run_command(period: str, issue: bool) -> None:
    """Bill a period: one invoice per site (or consolidated), drafts unless --issue."""
    period = _period(None, None, period)  # needs the app (the first period is a setting)
    result = jobs.run_period(period, issue=issue, actor=ACTOR)
    click.echo(
        f"Period {period}: {len(result.invoice_ids)} invoice(s) created"
        + (f", {len(result.issued_numbers)} issued" if issue else " as drafts")
        + (
            f", {len(result.credit_note_numbers)} credit note(s) issued"
            if result.credit_note_numbers
            else ""
        )
        + (f", {result.conflicts} already billed by a concurrent run" if result.conflicts else "")
        + "."
    )
    for failure in result.failures:
        click.echo(f"FAILED {failure.customer_name} ({failure.customer_id}): {failure.reason}")
    if result.failures:
        raise SystemExit(1)


@cli.command("issue")
@click.option("--period", required=True, help="YYYY-MM")
@with_appcontext
def issue_command(period: str) -> None:
    """Issue every draft of a period (numbers, PDFs with QR-bill, e-mails)."""
    period = _period(None, None, period)
    result = jobs.issue_invoices(draft_ids(period), actor=ACTOR)
    click.echo(f"{len(result.issued_numbers)} invoice(s) issued.")
    for failure in result.failures:
        click.echo(f"FAILED {failure.reason}")
    if result.failures:
        raise SystemExit(1)


@cli.command("reminders")
@click.option("--send", is_flag=True, help="Send them (default: only list).")
@with_appcontext
def reminders_command(send: bool) -> None:
    """List (or send) the payment reminders due today."""
    if send:
        sent = jobs.send_reminders(actor=ACTOR)
        click.echo(f"{len(sent)} reminder(s) sent.")
        return
    for due in due_reminders():
        click.echo(
            f"{due.invoice.number} {due.invoice.bill_to_name}: level {due.level.level}, "
            f"{due.days_overdue} days overdue, open {due.invoice.open_amount}"
        )


@cli.command("import-bank")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_bank_command(file) -> None:
    """Import a camt.054 file: book what its QR references match, queue the rest."""
    try:
        with acting_as(ACTOR):
            result = import_bank_file(file.read(MAX_BYTES + 1), file_name=file.name, actor=ACTOR)
            db.session.commit()
    except CamtError as error:
        db.session.rollback()
        click.echo(f"refused, nothing booked: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"{result.matched} matched, {result.unmatched} unmatched, "
        f"{result.already_imported} already imported"
        + (f", {result.reversed} reversed" if result.reversed else "")
        + (f", {result.skipped} skipped (not booked credits)" if result.skipped else "")
        + "."
    )
