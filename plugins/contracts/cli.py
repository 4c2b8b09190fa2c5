"""`flask contracts ...`: the daily jobs and finance's look at a contract's history."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.toolkit import db
from plugins.contracts.jobs import run_end_due, run_expire_quotes
from plugins.contracts.models import Contract
from plugins.contracts.services import contract_history


@click.group("contracts")
def contracts_cli() -> None:
    """CLA contracts and quotes."""


@contracts_cli.command("end-due")
@with_appcontext
def end_due() -> None:
    """End contracts whose end date has passed (safe to run any number of times)."""
    ended = run_end_due("cli:contracts end-due")
    for contract in ended:
        click.echo(f"ended contract {contract.id} (site {contract.site_id}, {contract.end_date})")
    click.echo(f"{len(ended)} contract(s) ended.")


@contracts_cli.command("expire-quotes")
@with_appcontext
def expire() -> None:
    """Mark sent quotes past their validity date as expired."""
    expired = run_expire_quotes("cli:contracts expire-quotes")
    click.echo(f"{len(expired)} quote(s) expired.")


@contracts_cli.command("history")
@click.option("--contract", "contract_id", type=int, help="A contract id.")
@click.option("--site", "site_id", type=int, help="Every contract of a site.")
@with_appcontext
def history(contract_id: int | None, site_id: int | None) -> None:
    """Print the tier history of a contract (or of a site's contracts) for finance.

    What a month costs is the invoicing plugin's answer (its run prices the tier spans),
    not repeated here.
    """
    if (contract_id is None) == (site_id is None):
        raise click.UsageError("give either --contract or --site")
    statement = select(Contract).order_by(Contract.start_date)
    if contract_id is not None:
        statement = statement.where(Contract.id == contract_id)
    else:
        statement = statement.where(Contract.site_id == site_id)
    contracts = db.session.scalars(statement).all()
    if not contracts:
        raise click.UsageError("no such contract")
    for contract in contracts:
        click.echo(
            f"contract {contract.id}: {contract.customer.legal_name}, {contract.site.name}; "
            f"{contract.state}, start {contract.start_date}, end {contract.end_date or '-'}, "
            f"notice received {contract.notice_received_on or '-'}, origin {contract.origin}, "
            f"discount {contract.volume_discount_percent.normalize():f} % volume + "
            f"{contract.special_discount_percent.normalize():f} % special"
        )
        for line in contract_history(contract):
            signed = line.signed_at.isoformat() if line.signed_at else "-"
            click.echo(
                f"  {line.first_day} .. {str(line.last_day or 'open'):<10}  {line.tier_code:<10} "
                f"{line.change:<9} signed {signed}"
            )
