"""The servicedesk command group: `flask servicedesk sweep`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from plugins.servicedesk.jobs import sweep


@click.group("servicedesk")
def cli() -> None:
    """Service desk jobs."""


@cli.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Remind, escalate and re-notify for every open ticket (safe to run twice at once)."""
    click.echo(str(sweep()))
