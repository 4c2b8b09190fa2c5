"""Rules for the core records: creating and changing customers, sites, contacts, users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from pydantic import BaseModel
from sqlalchemy import func, or_, select

from app.addresses import check_address
from app.database import db
from app.errors import RuleViolation
from app.listing import escape_like
from app.models import ApiToken, Contact, Customer, Site, User
from app.passwords import check_secret, hash_secret
from app.schemas import ContactIn, ContactPatch, CustomerIn, SiteIn, UserIn, UserPatch
from app.timeutil import now


def _apply(record: Any, data: BaseModel, skip: tuple[str, ...] = ()) -> None:
    for name, value in data.model_dump(exclude_unset=True).items():
        if name in skip:
            continue
        if value is None and name not in ("customer_id",):
            continue
        setattr(record, name, value)


def create_customer(data: CustomerIn) -> Customer:
    customer = Customer()
    _apply(customer, data)
    check_address(customer.country, customer.postal_code)
    db.session.add(customer)
    db.session.flush()
    # The number people quote on the phone, derived from the id: unique without a race.
    customer.number = f"K-{10000 + customer.id}"
    db.session.flush()
    return customer


def update_customer(customer: Customer, data: BaseModel) -> Customer:
    _apply(customer, data)
    check_address(customer.country, customer.postal_code)
    db.session.flush()
    return customer


def create_site(customer: Customer, data: SiteIn) -> Site:
    site = Site(customer=customer)
    _apply(site, data)
    check_address(site.country, site.postal_code)
    db.session.add(site)
    db.session.flush()
    return site


def update_site(site: Site, data: BaseModel) -> Site:
    _apply(site, data)
    check_address(site.country, site.postal_code)
    db.session.flush()
    return site


def create_contact(customer: Customer, data: ContactIn) -> Contact:
    contact = Contact(customer=customer)
    _apply(contact, data, skip=("pin",))
    if data.pin:
        contact.set_pin(data.pin)
    if contact.authorised_caller and not contact.pin_hash:
        raise RuleViolation(_("An authorised caller needs a verification PIN."), "pin")
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: ContactPatch) -> Contact:
    _apply(contact, data, skip=("pin",))
    if data.pin:
        contact.set_pin(data.pin)
    if contact.authorised_caller and not contact.pin_hash:
        raise RuleViolation(_("An authorised caller needs a verification PIN."), "pin")
    db.session.flush()
    return contact


def _check_user_company(role: str, customer_id: int | None) -> None:
    if role == "customer":
        if customer_id is None:
            raise RuleViolation(_("A customer user must belong to a customer."), "customer_id")
        if db.session.get(Customer, customer_id) is None:
            raise RuleViolation(_("Customer %(id)s does not exist.", id=customer_id), "customer_id")
    elif customer_id is not None:
        raise RuleViolation(_("Only customer users belong to a customer."), "customer_id")


def _check_email_free(email: str, user: User | None = None) -> None:
    other = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if other is not None and other is not user:
        raise RuleViolation(_("This e-mail address is already used by another user."), "email")


def create_user(data: UserIn) -> User:
    _check_user_company(data.role, data.customer_id)
    _check_email_free(data.email)
    user = User()
    _apply(user, data, skip=("password",))
    user.email = data.email.lower()
    user.set_password(data.password)
    db.session.add(user)
    db.session.flush()
    return user


def _check_an_admin_remains(user: User, role: str, active: bool) -> None:
    """Nobody could manage users (or unlock anything) without an active admin."""
    if user.role != "admin" or not user.active or (role == "admin" and active):
        return
    other_admins = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == "admin", User.active.is_(True), User.id != user.id
        )
    )
    if not other_admins:
        field = "active" if not active else "role"
        raise RuleViolation(
            _("The last active administrator cannot be deactivated or lose the admin role."),
            field,
        )


def update_user(user: User, data: UserPatch) -> User:
    fields = data.model_dump(exclude_unset=True)
    role = fields.get("role") or user.role
    customer_id = fields.get("customer_id", user.customer_id)
    if role != "customer" and "customer_id" not in fields:
        customer_id = None
    _check_user_company(role, customer_id)
    active = fields["active"] if fields.get("active") is not None else user.active
    _check_an_admin_remains(user, role, active)
    if data.email:
        _check_email_free(data.email, user)
    _apply(user, data, skip=("password", "customer_id"))
    user.customer_id = customer_id
    if data.email:
        user.email = data.email.lower()
    if data.password:
        user.set_password(data.password)  # also ends the user's sessions
        clear_failed_logins(user)  # a new password from an admin unlocks the account
    if fields.get("active") is False:
        user.end_all_sessions()
    db.session.flush()
    return user


def _unknown_user_hash() -> str:
    # Made once per app with the configured method, so it costs what a real check costs.
    hashed = current_app.extensions.get("winet.unknown_user_hash")
    if hashed is None:
        hashed = current_app.extensions["winet.unknown_user_hash"] = hash_secret(
            secrets.token_hex(16)
        )
    return hashed


@dataclass(frozen=True)
class LoginLockPolicy:
    """After `failures` failed logins within `window`, the account is locked for `lock`."""

    failures: int
    window: timedelta
    lock: timedelta


def login_lock_policy() -> LoginLockPolicy:
    config = current_app.config
    return LoginLockPolicy(
        failures=int(config["LOGIN_LOCK_FAILURES"]),
        window=timedelta(minutes=int(config["LOGIN_LOCK_WINDOW_MINUTES"])),
        lock=timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"])),
    )


def count_failed_login(user: User, at: datetime, policy: LoginLockPolicy) -> None:
    """Count a failure in the window that began with the first failure; lock at the limit."""
    if user.first_failed_login_at is None or at - user.first_failed_login_at >= policy.window:
        user.failed_logins = 0
        user.first_failed_login_at = at
    user.failed_logins += 1
    if user.failed_logins >= policy.failures:
        user.locked_until = at + policy.lock


def clear_failed_logins(user: User) -> None:
    user.failed_logins = 0
    user.first_failed_login_at = None
    user.locked_until = None


def authenticate(email: str, password: str) -> User | None:
    """The user whose password this is, or None; failures are counted on the user (the
    caller commits them), and a locked account refuses even the right password."""
    user = db.session.scalar(
        select(User)
        .where(func.lower(User.email) == email.strip().lower())
        # One attempt at a time per account (PostgreSQL), so that concurrent guesses are
        # all counted and no more than the allowed number is ever checked.
        .with_for_update()
    )
    if user is None:
        # The same hashing work as for a known address, so timing does not reveal
        # which e-mail addresses have an account.
        check_secret(_unknown_user_hash(), password)
        return None
    at = now()
    if user.login_locked(at):
        check_secret(_unknown_user_hash(), password)  # same time as any other answer
        return None
    if not user.check_password(password) or not user.active:
        count_failed_login(user, at, login_lock_policy())
        db.session.flush()
        return None
    clear_failed_logins(user)
    db.session.flush()
    return user


def find_customers(query: str | None):
    """select() of customers matching a name, number, site, town or phone fragment (the
    fragment literally: % and _ are no wildcards)."""
    statement = select(Customer).order_by(Customer.legal_name)
    if query:
        like = f"%{escape_like(query.strip().lower())}%"

        def matches(column):
            return column.like(like, escape="\\")

        site_match = select(Site.customer_id).where(
            or_(
                matches(func.lower(Site.name)),
                matches(func.lower(Site.town)),
                matches(Site.phone),
            )
        )
        statement = statement.where(
            or_(
                matches(func.lower(Customer.legal_name)),
                matches(func.lower(Customer.number)),
                matches(func.lower(Customer.town)),
                matches(Customer.phone),
                Customer.id.in_(site_match),
            )
        )
    return statement


def issue_token(user: User, name: str) -> str:
    token, clear = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    return clear
