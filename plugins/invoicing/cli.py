"""`flask invoicing ...`: the monthly run, issuing drafts, reminders."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from plugins.invoicing.billing import Month


def _period(ctx, param, value: str) -> str:
    try:
        return Month.parse(value).label
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.group("invoicing")
def cli() -> None:
    """Monthly invoicing, issuing and reminders."""


@cli.command("run")
@click.option("--period", required=True, callback=_period, help="YYYY-MM")
@click.option("--issue", is_flag=True, help="Issue the invoices directly instead of drafts.")
@with_appcontext
def run_command(period: str, issue: bool) -> None:
    """Bill a period: one invoice per site (or consolidated), drafts unless --issue."""
    from plugins.invoicing.run import run_period

    result = run_period(period, issue=issue, actor="cli:invoicing")
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
@click.option("--period", required=True, callback=_period, help="YYYY-MM")
@with_appcontext
def issue_command(period: str) -> None:
    """Issue every draft of a period."""
    from plugins.invoicing.issuing import draft_ids, issue_invoices

    result = issue_invoices(draft_ids(period), actor="cli:invoicing")
    click.echo(f"{len(result.numbers)} invoice(s) issued.")
    for failure in result.failures:
        click.echo(f"FAILED {failure.reason}")


@cli.command("reminders")
@click.option("--send", is_flag=True, help="Send them (default: only list).")
@with_appcontext
def reminders_command(send: bool) -> None:
    """List (or send) the payment reminders due today."""
    from plugins.invoicing.reminders import due_reminders, send_reminders

    if send:
        sent = send_reminders(actor="cli:invoicing")
        click.echo(f"{len(sent)} reminder(s) sent.")
        return
    for due in due_reminders():
        click.echo(
            f"{due.invoice.number} {due.invoice.bill_to_name}: level {due.level.level}, "
            f"{due.days_overdue} days overdue, open {due.invoice.open_amount}"
        )
