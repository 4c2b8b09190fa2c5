"""Realistic demo data: customers, a 12-branch bank, contacts and one user per role."""

from __future__ import annotations

from sqlalchemy import select

from app.company import load_demo_company
from app.database import db
from app.models import Customer, User
from app.schemas import ContactIn, CustomerIn, SiteIn, UserIn
from app.services import create_contact, create_customer, create_site, create_user

DEMO_PASSWORD_SUFFIX = "-demo"

# role -> (e-mail, name); the password is "<role>-demo", printed by `make run`.
DEMO_STAFF = {
    "admin": ("admin@winet.example", "Andrea Admin"),
    "finance": ("finance@winet.example", "Fabienne Finanz"),
    "account_manager": ("sales@winet.example", "Marco Verkauf"),
    "service_desk": ("desk@daru-wache.example", "Sandra Desk (DARU-WACHE)"),
    "technician": ("pikett@winet.example", "Tobias Techniker"),
    "chief": ("chief@winet.example", "Christine Chef-Technikerin"),
}
DEMO_CUSTOMER_USER = ("it@aarebank.example", "Urs Informatik (Aarebank)")

BANK_BRANCHES = [
    ("Hauptsitz Baden", "Badstrasse", "12", "5400", "Baden"),
    ("Filiale Wettingen", "Landstrasse", "80", "5430", "Wettingen"),
    ("Filiale Brugg", "Hauptstrasse", "5", "5200", "Brugg"),
    ("Filiale Aarau", "Bahnhofstrasse", "41", "5000", "Aarau"),
    ("Filiale Lenzburg", "Rathausgasse", "3", "5600", "Lenzburg"),
    ("Filiale Wohlen", "Zentralstrasse", "22", "5610", "Wohlen"),
    ("Filiale Zofingen", "Vordere Hauptgasse", "9", "4800", "Zofingen"),
    ("Filiale Rheinfelden", "Marktgasse", "17", "4310", "Rheinfelden"),
    ("Filiale Bremgarten", "Marktgasse", "1", "5620", "Bremgarten"),
    ("Filiale Mellingen", "Grosse Kirchgasse", "4", "5507", "Mellingen"),
    ("Filiale Würenlos", "Schulstrasse", "8", "5436", "Würenlos"),
    ("Filiale Spreitenbach", "Poststrasse", "15", "8957", "Spreitenbach"),
]

CUSTOMERS = [
    {
        "customer": dict(
            legal_name="Aarebank Genossenschaft",
            street="Badstrasse",
            house_number="12",
            postal_code="5400",
            town="Baden",
            billing_email="kreditoren@aarebank.example",
            phone="+41 56 200 10 00",
            language="de",
            invoice_mode="consolidated",
        ),
        "sites": [
            dict(
                name=name,
                street=street,
                house_number=no,
                postal_code=plz,
                town=town,
                canton="AG",
            )
            for name, street, no, plz, town in BANK_BRANCHES
        ],
        "contacts": [
            dict(
                name="Urs Informatik",
                phone="+41 56 200 10 50",
                email="it@aarebank.example",
                authorised_caller=True,
                pin="4711",
            ),
            dict(
                name="Petra Filialleitung",
                phone="+41 56 200 10 20",
                authorised_caller=True,
                pin="2468",
            ),
        ],
    },
    {
        "customer": dict(
            legal_name="Müller Treuhand GmbH",
            street="Zürcherstrasse",
            house_number="55",
            postal_code="8953",
            town="Dietikon",
            billing_email="buchhaltung@mueller-treuhand.example",
            phone="+41 44 740 55 00",
            language="de",
            invoice_mode="per_site",
        ),
        "sites": [
            dict(
                name="Büro Dietikon",
                street="Zürcherstrasse",
                house_number="55",
                postal_code="8953",
                town="Dietikon",
                canton="ZH",
            ),
            dict(
                name="Büro Baden",
                street="Mellingerstrasse",
                house_number="2",
                postal_code="5400",
                town="Baden",
                canton="AG",
            ),
        ],
        "contacts": [
            dict(name="Hans Müller", phone="+41 44 740 55 01", authorised_caller=True, pin="1357"),
        ],
    },
    {
        "customer": dict(
            legal_name="Alpine Precision Ltd",
            street="Industriestrasse",
            house_number="7",
            postal_code="5242",
            town="Birr",
            billing_email="accounts@alpine-precision.example",
            phone="+41 56 464 70 00",
            language="en",
            invoice_mode="per_site",
        ),
        "sites": [
            dict(
                name="Plant Birr",
                street="Industriestrasse",
                house_number="7",
                postal_code="5242",
                town="Birr",
                canton="AG",
            ),
            dict(
                name="Warehouse Lupfig",
                street="Lagerweg",
                house_number="3",
                postal_code="5242",
                town="Lupfig",
                canton="AG",
            ),
            dict(
                name="Office Zurich",
                street="Seefeldstrasse",
                house_number="123",
                postal_code="8008",
                town="Zürich",
                canton="ZH",
            ),
        ],
        "contacts": [
            dict(
                name="Sarah Brown",
                phone="+41 56 464 70 10",
                email="it@alpine-precision.example",
                authorised_caller=True,
                pin="8642",
            ),
        ],
    },
    {
        "customer": dict(
            legal_name="Praxis Dr. med. Keller",
            street="Kirchweg",
            house_number="2",
            postal_code="5415",
            town="Nussbaumen",
            billing_email="praxis@keller.example",
            phone="+41 56 282 11 11",
            language="de",
            invoice_mode="per_site",
        ),
        "sites": [
            dict(
                name="Praxis Nussbaumen",
                street="Kirchweg",
                house_number="2",
                postal_code="5415",
                town="Nussbaumen",
                canton="AG",
            ),
        ],
        "contacts": [
            dict(
                name="Dr. Anna Keller", phone="+41 56 282 11 12", authorised_caller=True, pin="9753"
            ),
        ],
    },
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of every demo user."""
    logins = [(role, email, role + DEMO_PASSWORD_SUFFIX) for role, (email, _) in DEMO_STAFF.items()]
    logins.append(("customer", DEMO_CUSTOMER_USER[0], "customer" + DEMO_PASSWORD_SUFFIX))
    return logins


def load_core_demo() -> None:
    # Fictitious company data, each value a placeholder (app.company.DEMO_COMPANY).
    load_demo_company()
    if db.session.scalar(
        select(Customer).where(Customer.legal_name == CUSTOMERS[0]["customer"]["legal_name"])
    ):
        return  # already loaded: the command is safe to repeat
    for entry in CUSTOMERS:
        customer = create_customer(CustomerIn(**entry["customer"]))
        for site in entry["sites"]:
            create_site(customer, SiteIn(**site))
        for contact in entry["contacts"]:
            create_contact(customer, ContactIn(**contact))
    for role, (email, name) in DEMO_STAFF.items():
        if db.session.scalar(select(User).where(User.email == email)) is None:
            create_user(
                UserIn(email=email, name=name, role=role, password=role + DEMO_PASSWORD_SUFFIX)
            )
    bank = db.session.scalar(
        select(Customer).where(Customer.legal_name == "Aarebank Genossenschaft")
    )
    email, name = DEMO_CUSTOMER_USER
    if db.session.scalar(select(User).where(User.email == email)) is None:
        create_user(
            UserIn(
                email=email,
                name=name,
                role="customer",
                customer_id=bank.id,
                password="customer" + DEMO_PASSWORD_SUFFIX,
            )
        )
    db.session.flush()
