"""Host commands: reference data, demo data and user administration."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from pydantic import ValidationError
from sqlalchemy import select

from app.audit import acting_as
from app.database import db
from app.errors import RuleViolation
from app.models import User
from app.plugins import call_each
from app.schemas import UserIn
from app.services import create_user, issue_token


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the tier catalog and tariff defaults (idempotent, keeps edits)."""
    from app.seed import seed_all

    with acting_as("cli:seed"):
        seed_all()
        db.session.commit()
    click.echo("Reference data is in place.")


@click.group("demo")
def demo_cli() -> None:
    """Demo data for trying the system out."""


@demo_cli.command("load")
@with_appcontext
def demo_load() -> None:
    """Load demo customers, sites, contracts and one user per role (idempotent)."""
    from app.demo import demo_logins
    from app.seed import seed_all

    with acting_as("cli:demo"):
        seed_all()
        call_each(current_app.extensions["winet.declarations"], "demo")
        db.session.commit()
    click.echo("Demo data loaded. Logins (e-mail / password):")
    for role, email, password in demo_logins():
        click.echo(f"  {role:<16} {email:<28} {password}")


@click.group("users")
def users_cli() -> None:
    """User administration."""


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--customer-id", type=int)
@click.password_option()
@with_appcontext
def users_create(email: str, name: str, role: str, customer_id: int | None, password: str) -> None:
    """Create a user (e.g. the first admin)."""
    try:
        data = UserIn(email=email, name=name, role=role, customer_id=customer_id, password=password)
        with acting_as("cli:users"):
            user = create_user(data)
            db.session.commit()
    except ValidationError as error:
        raise click.UsageError(
            "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        ) from error
    except RuleViolation as error:
        db.session.rollback()
        raise click.UsageError(str(error)) from error
    click.echo(f"User {user.email} ({user.role}) created.")


@users_cli.command("token")
@click.argument("email")
@click.argument("name")
@with_appcontext
def users_token(email: str, name: str) -> None:
    """Issue an API token for a user; it is printed once."""
    user = db.session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        raise click.UsageError(f"no user with e-mail {email}")
    with acting_as("cli:users"):
        clear = issue_token(user, name)
        db.session.commit()
    click.echo(clear)
