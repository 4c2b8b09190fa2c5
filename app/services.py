"""Rules for the core records: creating and changing customers, sites, contacts, users."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from pydantic import BaseModel
from sqlalchemy import func, or_, select

from app.database import db
from app.errors import RuleViolation
from app.models import ApiToken, Contact, Customer, Site, User
from app.passwords import check_secret, hash_secret
from app.schemas import ContactIn, ContactPatch, CustomerIn, SiteIn, UserIn, UserPatch


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
    db.session.add(customer)
    db.session.flush()
    # The number people quote on the phone, derived from the id: unique without a race.
    customer.number = f"K-{10000 + customer.id}"
    db.session.flush()
    return customer


def update_customer(customer: Customer, data: BaseModel) -> Customer:
    _apply(customer, data)
    db.session.flush()
    return customer


def create_site(customer: Customer, data: SiteIn) -> Site:
    site = Site(customer=customer)
    _apply(site, data)
    db.session.add(site)
    db.session.flush()
    return site


def update_site(site: Site, data: BaseModel) -> Site:
    _apply(site, data)
    db.session.flush()
    return site


def create_contact(customer: Customer, data: ContactIn) -> Contact:
    contact = Contact(customer=customer)
    _apply(contact, data, skip=("pin",))
    if data.pin:
        contact.set_pin(data.pin)
    if contact.authorised_caller and not contact.pin_hash:
        raise RuleViolation("an authorised caller needs a verification PIN", "pin")
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: ContactPatch) -> Contact:
    _apply(contact, data, skip=("pin",))
    if data.pin:
        contact.set_pin(data.pin)
    if contact.authorised_caller and not contact.pin_hash:
        raise RuleViolation("an authorised caller needs a verification PIN", "pin")
    db.session.flush()
    return contact


def _check_user_company(role: str, customer_id: int | None) -> None:
    if role == "customer":
        if customer_id is None:
            raise RuleViolation("a customer user must belong to a customer", "customer_id")
        if db.session.get(Customer, customer_id) is None:
            raise RuleViolation(f"customer {customer_id} does not exist", "customer_id")
    elif customer_id is not None:
        raise RuleViolation("only customer users belong to a customer", "customer_id")


def _check_email_free(email: str, user: User | None = None) -> None:
    other = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if other is not None and other is not user:
        raise RuleViolation("this e-mail address is already used by another user", "email")


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


def update_user(user: User, data: UserPatch) -> User:
    fields = data.model_dump(exclude_unset=True)
    role = fields.get("role") or user.role
    customer_id = fields.get("customer_id", user.customer_id)
    if role != "customer" and "customer_id" not in fields:
        customer_id = None
    _check_user_company(role, customer_id)
    if data.email:
        _check_email_free(data.email, user)
    _apply(user, data, skip=("password", "customer_id"))
    user.customer_id = customer_id
    if data.email:
        user.email = data.email.lower()
    if data.password:
        user.set_password(data.password)
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


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        # The same hashing work as for a known address, so timing does not reveal
        # which e-mail addresses have an account.
        check_secret(_unknown_user_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def find_customers(query: str | None):
    """select() of customers matching a name, number, site, town or phone fragment."""
    statement = select(Customer).order_by(Customer.legal_name)
    if query:
        like = f"%{query.strip().lower()}%"
        site_match = select(Site.customer_id).where(
            or_(
                func.lower(Site.name).like(like),
                func.lower(Site.town).like(like),
                Site.phone.like(like),
            )
        )
        statement = statement.where(
            or_(
                func.lower(Customer.legal_name).like(like),
                func.lower(Customer.number).like(like),
                func.lower(Customer.town).like(like),
                Customer.phone.like(like),
                Customer.id.in_(site_match),
            )
        )
    return statement


def issue_token(user: User, name: str) -> str:
    token, clear = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    return clear
