"""Small builders for test records, going through the real services."""

from __future__ import annotations

import itertools

from app.models import Customer, Site, User
from app.schemas import ContactIn, CustomerIn, SiteIn, UserIn
from app.services import create_contact, create_customer, create_site, create_user, issue_token

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


class Factories:
    def __init__(self, db):
        self.db = db

    def customer(self, name: str | None = None, **fields) -> Customer:
        n = next(_sequence)
        data = dict(
            legal_name=name or f"Kunde {n} AG",
            street="Täfernstrasse",
            house_number=str(n),
            postal_code="5405",
            town="Baden-Dättwil",
            billing_email=f"billing{n}@example.ch",
        )
        data.update(fields)
        customer = create_customer(CustomerIn(**data))
        self.db.session.commit()
        return customer

    def site(self, customer: Customer, name: str | None = None, **fields) -> Site:
        n = next(_sequence)
        data = dict(
            name=name or f"Standort {n}",
            street="Bahnhofstrasse",
            house_number=str(n),
            postal_code="5400",
            town="Baden",
            canton="AG",
        )
        data.update(fields)
        site = create_site(customer, SiteIn(**data))
        self.db.session.commit()
        return site

    def contact(self, customer: Customer, name: str = "Anna Anrufer", pin: str = "4711", **fields):
        data = dict(name=name, phone="+41 56 000 00 00", authorised_caller=True, pin=pin)
        data.update(fields)
        contact = create_contact(customer, ContactIn(**data))
        self.db.session.commit()
        return contact

    def user(self, role: str, customer: Customer | None = None, **fields) -> User:
        n = next(_sequence)
        if role == "customer" and customer is None:
            customer = self.customer()
        data = dict(
            email=f"{role}{n}@example.ch",
            name=f"{role} {n}",
            role=role,
            customer_id=customer.id if customer else None,
            password=PASSWORD,
        )
        data.update(fields)
        user = create_user(UserIn(**data))
        self.db.session.commit()
        return user

    def token(self, user: User) -> str:
        clear = issue_token(user, "test")
        self.db.session.commit()
        return clear


def put_tariff(key: str, valid_from, raw):
    """Test data: a tariff version as if entered long ago, typed and checked by its kind.

    app.tariffs.set_tariff refuses a start in the past (history is never rewritten); a
    test that needs a value in force on a past day writes the row as seeding does.
    """
    from sqlalchemy import select

    from app.database import db
    from app.models import Tariff
    from app.tariffs import declaration_of, parse_value, storable

    declaration = declaration_of(key)
    value = storable(declaration, parse_value(declaration, raw))
    row = db.session.scalar(
        select(Tariff).where(Tariff.key == key, Tariff.valid_from == valid_from)
    )
    if row is None:
        db.session.add(Tariff(key=key, valid_from=valid_from, value=value))
    else:
        row.value = value
    db.session.flush()


def login(client, user: User, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.data[:500]
    return response
