"""One language per customer document: everything a customer sees, in each language.

Two checks. The catalogs: every message of the files customers see (documents, e-mails,
portal pages, the charge texts of the desk) is translated into German, French and
Italian. The documents: an invoice with ticket charges, its e-mail, a reminder, a quote
with its e-mail, and the portal pages are rendered for a customer of each language, and
none holds a word of another language.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pdfplumber
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.outbox import messages_about
from plugins.contracts import quotes as quote_rules
from plugins.invoicing.credit_notes import create_credit_note
from plugins.invoicing.documents import render_invoice_pdf
from plugins.invoicing.dunning_rules import ReminderAmounts
from plugins.invoicing.jobs import issue_invoices, run_period
from plugins.invoicing.mailing import document_mail, reminder_mail
from plugins.invoicing.models import Invoice
from plugins.invoicing.paylinks import pay_token
from plugins.invoicing.reminder_documents import render_reminder_pdf
from plugins.invoicing.vocabulary import ReminderWording
from plugins.servicedesk import work
from tests import test_end_to_end as scenario
from tests.factories import login
from tests.test_end_to_end import DECEMBER_RUN, World, work_ticket, zurich

# The end-to-end scenario's clock: its November, and the December run.
app_config = scenario.app_config
clock = scenario.clock

ROOT = Path(__file__).resolve().parents[1]
# What customers see, per package: its files, and labels of vocabularies printed on
# their documents (units and reasons of charges, kinds of reaction).
CUSTOMER_FACING = {
    "app": (
        [
            "templates/base.html",
            "templates/error.html",
            "templates/auth/login.html",
            "templates/auth/profile.html",
            "templates/core/index.html",
            "templates/core/customers.html",
            "templates/core/customer.html",
            "templates/core/sites.html",
            "templates/core/site.html",
            "templates/core/catalog.html",
            "templates/core/form.html",
            "templates/_list.html",
            "templates/_chart.html",
            "templates/_form.html",
            "core.py",  # the menu
            "listing.py",  # filters, sorts and pages of every list
            "charts.py",
            "vocabulary.py",
            "errors.py",
            "ratelimit.py",
            "views/auth.py",  # login, logout, profile and tokens
            "views/core.py",  # the customer's company, sites and contacts
            "forms.py",
            "validation.py",
            "schemas.py",
            "services.py",
            "addresses.py",
            "web.py",
            "models/customers.py",
            "models/users.py",
            "models/catalog.py",
        ],
        # the menu a customer sees, and kinds of reaction
        ["Customers", "Catalog", "within hours", "next business day", "best effort"],
    ),
    "plugins/invoicing": (
        [
            "templates/invoicing/pdf/invoice.html",
            "templates/invoicing/pdf/reminder.html",
            "reminder_documents.py",
            "templates/invoicing/pay.html",
            "templates/invoicing/index.html",
            "templates/invoicing/detail.html",
            "templates/invoicing/dashboard_customer.html",
            "templates/invoicing/_panel.html",
            "templates/invoicing/_account_panel.html",
            "__init__.py",  # the menu
            "views.py",
            "dashboard.py",
            "hooks.py",
            "account.py",
            "payments.py",
            "stripe_payments.py",
            "mailing.py",
            "documents.py",
            "vocabulary.py",
        ],
        [],
    ),
    "plugins/contracts": (
        [
            "templates/contracts/quote_pdf.html",
            "templates/contracts/quote_link.html",
            "templates/contracts/_totals.html",
            "templates/contracts/shop.html",
            "templates/contracts/shop_review.html",
            "templates/contracts/consequence.html",
            "templates/contracts/index.html",
            "templates/contracts/detail.html",
            "templates/contracts/quotes.html",
            "templates/contracts/quote.html",
            "templates/contracts/_panel.html",
            "__init__.py",  # the menu
            "views.py",
            "vocabulary.py",
            "labels.py",
            "shop.py",
            "consequences.py",
            "services.py",
            "schemas.py",
            "quotes.py",
        ],
        ["Contracts", "Quotes", "draft", "sent", "accepted", "declined", "expired"],
    ),
    "plugins/servicedesk": (
        [
            "templates/servicedesk/portal_new.html",
            "templates/servicedesk/_reaction_report.html",
            "templates/servicedesk/reaction_report.html",
            "templates/servicedesk/ticket.html",  # shared by the desk and the customer
            "templates/servicedesk/tickets.html",
            "templates/servicedesk/dashboard_customer.html",
            "templates/servicedesk/_countdown.html",
            "templates/servicedesk/_situation.html",
            "templates/servicedesk/_assets.html",
            "__init__.py",  # the menu
            "views.py",
            "vocabulary.py",  # channels, states, severity, fault origin, time kinds
            "dashboard.py",
            "intake.py",
            "schemas.py",
            "sla_clock.py",
            "reports.py",
            "costs.py",
            "resolution.py",
            "resolution_clock.py",
            "work.py",
            "tickets.py",
            "wording.py",
            "reaction_report.py",
        ],
        [
            "h",
            "visit",
            "pcs",
            "Fault of a Winet base-system service: free of charge",
            "Free service units of the contract year",
            "Tickets",
        ],
    ),
}
TRANSLATED = ("de", "fr", "it")  # English is the source language of the catalogs
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}

# Words that only one of the languages uses on these documents (case-sensitive, whole).
MARKERS = {
    "de": ["Rechnung", "Standort", "Betrag", "Zahlbar", "Gültig", "Servicezeit", "Grüsse"],
    "fr": ["Facture", "Montant", "Veuillez", "Offre", "salutations", "déplacement", "Merci"],
    "it": ["Fattura", "Importo", "Offerta", "Cordiali", "trasferta", "Grazie", "Sede"],
    "en": ["Invoice", "Amount", "Quote", "regards", "travel", "service time", "Please"]
    + ["Customers", "Contracts", "Quotes", "Catalog", "sent"],
}


def messages_of(package: str) -> set:
    folder = ROOT / package
    files, labels = CUSTOMER_FACING[package]
    found = set(labels)
    for name in files:
        method = "jinja2.ext:babel_extract" if name.endswith(".html") else "python"
        for _line, message, _comments, _context in extract_from_file(
            method, folder / name, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def translations(package: str, language: str) -> dict:
    path = ROOT / package / "translations" / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=language)
    found = {}
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            found[key] = all(strings)
    return found


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("package", sorted(CUSTOMER_FACING))
def test_every_customer_facing_message_is_translated(package, language):
    own, host = translations(package, language), translations("app", language)
    missing = sorted(
        str(message)
        for message in messages_of(package)
        if not (own.get(key := message[0] if isinstance(message, tuple) else message))
        and not host.get(key)
    )
    assert not missing, f"translate into {language} in {package}/translations:\n" + "\n".join(
        missing
    )


# --- the documents ------------------------------------------------------------------------


class _Text(HTMLParser):
    """The visible text of a page (no scripts, styles or attribute values)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    return " ".join(parser.parts)


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() for page in pdf.pages)


def foreign_words(text: str, language: str) -> list[str]:
    return [
        word
        for other, words in MARKERS.items()
        if other != language
        for word in words
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
    ]


@pytest.mark.parametrize("language", ["de", "fr", "it", "en"])
def test_every_customer_document_is_in_the_customer_language(app, db, factories, clock, language):
    # November: a ticket worked remotely and on site, with material, billed in December.
    world, ticket, invoice = billed_ticket(db, factories, clock, language)
    assert any(line.kind == "charge" for line in invoice.lines)

    documents = {
        "invoice PDF": pdf_text(invoice.pdf),
        "invoice e-mail": "\n".join(document_mail(invoice)),
    }
    # A third reminder (not stored: only its words are looked at), with fee and interest.
    reminder = SimpleNamespace(
        invoice=invoice, level=3, wording=ReminderWording.COLLECTION, sent_on=date(2027, 2, 1)
    )
    amounts = ReminderAmounts(
        open_amount=invoice.payable,
        fee=Decimal("30.00"),
        earlier_fees=Decimal("20.00"),
        interest=Decimal("2.67"),
        interest_days=30,
        interest_percent=Decimal("5"),
    )
    documents["reminder e-mail"] = "\n".join(
        reminder_mail(reminder.invoice, reminder.level, amounts)
    )
    documents["reminder PDF"] = pdf_text(render_reminder_pdf(reminder, amounts))
    quote = quote_rules.create_quote(
        world.customer, None, start_date=date(2026, 12, 15), valid_until=date(2026, 12, 31)
    )
    for number, tier in enumerate(("premium", "pro_plus", "pro"), start=1):
        site = factories.site(world.customer, f"Bahnhofplatz {number}")
        quote_rules.add_line(quote, tier, site=site)
    quote_rules.send_quote(quote)
    db.session.commit()
    (mail,) = messages_about("contracts_quote", quote.id)
    documents["quote e-mail"] = f"{mail.subject}\n{mail.body}"
    quote_pdf = quote_rules.quote_pdf(quote)
    documents["quote PDF"] = pdf_text(quote_pdf)
    if os.environ.get("PDF_ARTIFACTS"):  # to look at them: pdftoppm -png
        folder = Path(os.environ["PDF_ARTIFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"invoice-{language}.pdf").write_bytes(invoice.pdf)
        (folder / f"quote-{language}.pdf").write_bytes(quote_pdf)

    client = app.test_client()
    documents["pay page"] = page_text(client.get(f"/invoicing/pay/{pay_token(invoice.id)}"))
    documents["quote page"] = page_text(
        client.get(f"/contracts/q/{quote_rules.accept_token(quote)}")
    )
    user = factories.user("customer", customer=world.customer, language=language)
    login(client, user)
    documents["invoice list"] = page_text(client.get("/invoicing/"))
    documents["invoice page"] = page_text(client.get(f"/invoicing/invoices/{invoice.id}"))
    documents["fault report page"] = page_text(client.get("/servicedesk/portal/new"))
    note = create_credit_note(invoice.id, "T-000001")  # the reason is the user's own text
    db.session.commit()
    documents["credit note PDF"] = pdf_text(render_invoice_pdf(note))

    if os.environ.get("PDF_ARTIFACTS"):
        for name, text in documents.items():
            (Path(os.environ["PDF_ARTIFACTS"]) / f"{name}-{language}.txt").write_text(text)
    found = {name: foreign_words(text, language) for name, text in documents.items()}
    assert {name: words for name, words in found.items() if words} == {}
    for text in documents.values():
        assert re.search(r"\(ticket:|service_time|fast_lane", text) is None  # no codes
    # The quote's tiers with their service hours in the customer's language, not the
    # catalog's German; in the PDF's narrow column the days and the hours are on two lines.
    assert all(part in documents["quote PDF"] for part in SERVICE_HOURS[language].split(" "))
    if language != "de":
        assert "Mo–" not in documents["quote PDF"]


# pro_plus's service hours (Mon-Sat 07:00-19:00) as each language words them.
SERVICE_HOURS = {
    "de": "Mo–Sa 07–19h",
    "fr": "lun.–sam. 07–19h",
    "it": "lun–sab 07–19h",
    "en": "Mon–Sat 07–19h",
}


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.mark.parametrize("language", ["fr", "it"])
@pytest.mark.parametrize("package", sorted(CUSTOMER_FACING))
def test_french_and_italian_entries_are_all_translated_with_their_placeholders(package, language):
    path = ROOT / package / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale=language)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, message.id
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(ids[-1])), text
            assert set(PLACEHOLDER.findall(ids[0])) - {"%(num)d"} <= set(
                PLACEHOLDER.findall(text)
            ), text


# --- the portal pages -----------------------------------------------------------------------

# Besides the documents' markers, words of the portal's pages in English or German.
PAGE_MARKERS = {
    "fr": MARKERS["fr"],
    "it": MARKERS["it"],
    "de": [*MARKERS["de"], "Schweregrad", "Verlauf", "Kontakte", "Standorte", "Offene", "Suchen"]
    + ["Telefon", "Stufe", "Gemeldet", "Sprache", "Ihre"],
    "en": [*MARKERS["en"], "Severity", "Summary", "Reported", "Address", "Phone", "Language"]
    + ["Number", "Tier", "Log", "Search", "Open", "Your", "Edit", "Price", "Status", "Profile"],
}
# Per page, words it shows in French and in Italian.
PAGE_WORDS = {
    "start page": {"fr": ["Factures ouvertes", "Vos tickets"], "it": ["Fatture aperte"]},
    "ticket list": {"fr": ["Résumé", "Ouvert"], "it": ["Riassunto", "Aperto"]},
    # The event log's own word ("History" is the record's change history; both on the desk's page).
    "ticket page": {
        "fr": ["Journal des événements", "mineure"],
        "it": ["Registro degli eventi", "lieve"],
    },
    "invoice list": {"fr": ["Factures", "Échéance"], "it": ["Fatture", "Scadenza"]},
    "invoice page": {"fr": ["Facture", "Montant"], "it": ["Fattura", "Importo"]},
    "company page": {"fr": ["Adresse", "Compte client"], "it": ["Indirizzo", "Conto cliente"]},
    "site page": {"fr": ["Contrats"], "it": ["Contratti"]},
    "site list": {"fr": ["Localité"], "it": ["Località"]},
    "contract list": {"fr": ["Niveau", "Début"], "it": ["Livello", "Inizio"]},
    "profile": {"fr": ["Jetons API"], "it": ["Token API"]},
    "catalog": {
        "fr": ["Niveaux winCall", "lun.–ven. 07–19h"],
        "it": ["Livelli winCall", "lun–ven 07–19h"],
    },
    "web shop": {
        "fr": ["Boutique en ligne", "lun.–ven. 07–19h"],
        "it": ["Negozio online", "lun–ven 07–19h"],
    },
    "contract page": {"fr": ["Contrat CLA", "Début"], "it": ["Contratto CLA", "Inizio"]},
    "quote list": {"fr": ["Aucune offre."], "it": ["Nessuna offerta."]},
    "reaction report": {"fr": ["Temps de réaction"], "it": ["Tempi di reazione"]},
}


def billed_ticket(db, factories, clock, language: str):
    """The scenario's customer in `language`: a ticket worked remotely and on site in
    November, with material, resolved and closed, and its invoice issued in December."""
    world = World(db, factories)
    world.customer.language = language
    db.session.commit()
    ticket = work_ticket(
        world, clock, zurich(2026, 11, 24, 10, 0), fast_lane=False, remote=65, on_site=30
    )
    work.add_material(ticket, world.technician, "Netzteil 12 V", Decimal("1"), Decimal("45.50"))
    work.resolve(ticket, world.technician, "customer_environment", "minor", "Neu konfiguriert")
    work.close(ticket, world.technician)
    db.session.commit()
    clock(DECEMBER_RUN)
    ids = run_period("2026-12").invoice_ids
    issue_invoices(ids, processes=1)
    invoice = db.session.scalar(select(Invoice).where(Invoice.id.in_(ids)))
    return world, ticket, invoice


@pytest.mark.parametrize("language", ["fr", "it"])
def test_every_customer_page_is_in_the_users_language(app, db, factories, clock, language):
    world, ticket, invoice = billed_ticket(db, factories, clock, language)
    # An open ticket too, for the start page and the ticket list.
    work_ticket(world, clock, zurich(2026, 12, 1, 9, 0), fast_lane=False, remote=15)
    db.session.commit()
    user = factories.user("customer", customer=world.customer, language=language)
    client = app.test_client()
    login(client, user)
    pages = {
        "start page": "/",
        "ticket list": "/servicedesk/tickets?scope=all",
        "ticket page": f"/servicedesk/tickets/{ticket.id}",
        "invoice list": "/invoicing/",
        "invoice page": f"/invoicing/invoices/{invoice.id}",
        "company page": f"/customers/{world.customer.id}",
        "site page": f"/sites/{world.site.id}",
        "site list": "/sites",
        "contract list": "/contracts/",
        "profile": "/profile",
        "catalog": "/catalog",
        "web shop": "/contracts/shop",
        "contract page": f"/contracts/{world.contract.id}",
        "quote list": "/contracts/quotes",
        "reaction report": f"/servicedesk/reports/reaction/{world.customer.id}?month=2026-11",
    }
    texts = {name: page_text(client.get(url)) for name, url in pages.items()}
    if os.environ.get("PAGE_DUMP"):
        for name, text in texts.items():
            Path(os.environ["PAGE_DUMP"], f"{name}-{language}.txt").write_text(text)
    assert "Netzteil 12 V" in texts["ticket page"]  # the worked ticket, with its log
    foreign = {
        name: [
            word
            for other, words in PAGE_MARKERS.items()
            if other != language
            for word in words
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
        ]
        for name, text in texts.items()
    }
    assert {name: words for name, words in foreign.items() if words} == {}
    absent = {
        name: [word for word in PAGE_WORDS[name][language] if word not in text]
        for name, text in texts.items()
    }
    assert {name: words for name, words in absent.items() if words} == {}
    # Service hours too are in the reader's language (the catalog's German is "Mo–Fr").
    assert {name for name, text in texts.items() if "Mo–" in text} == set()


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_message_has_one_translation_across_the_packages(language):
    # The catalogs are merged at run time: two wordings of one message, and a page shows
    # whichever was loaded last.
    seen: dict = {}
    for package in sorted(CUSTOMER_FACING):
        path = ROOT / package / "translations" / language / "LC_MESSAGES" / "messages.po"
        with open(path, "rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    seen.setdefault(key, {})[package] = message.string
    differing = {key: found for key, found in seen.items() if len(set(found.values())) > 1}
    assert differing == {}
