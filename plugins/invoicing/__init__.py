"""invoicing: monthly per-site invoice run, Swiss VAT, QR-bill PDFs, payments, reminders."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.toolkit import (
    MenuEntry,
    PercentKind,
    PeriodicTask,
    Permission,
    Plugin,
    ReminderLevelsKind,
    TariffKey,
    WholeNumberKind,
)
from plugins.invoicing.vocabulary import ReminderWording

# Lazy labels: read in the language of whoever looks at the tariff.
REMINDER_TEXTS = tuple((wording.value, wording._label) for wording in ReminderWording)

PLUGIN = Plugin(
    name="invoicing",
    version="0.1.0",
    depends=("contracts",),
    permissions=(
        Permission(
            "invoicing.read", "See invoices (customers: their own)", ("finance", "customer")
        ),
        Permission("invoicing.run", "Run the monthly invoicing and issue invoices", ("finance",)),
        Permission("invoicing.credit", "Create credit notes", ("finance",)),
        Permission("invoicing.payments", "Record payments and send reminders", ("finance",)),
        Permission("invoicing.export", "Export a period's invoices as CSV", ("finance",)),
        Permission("invoicing.pay", "Pay an invoice online", ("customer", "finance")),
    ),
    menu=(
        MenuEntry("invoicing.index", _l("Invoices"), "invoicing.read", order=40),
        MenuEntry("invoicing.run_page", _l("Invoice run"), "invoicing.run", order=41),
        MenuEntry("invoicing.payments", _l("Payments"), "invoicing.payments", order=42),
        MenuEntry("invoicing_bank.bank_page", _l("Bank files"), "invoicing.payments", order=43),
        MenuEntry(
            "invoicing_bank.reconciliation", _l("Reconciliation"), "invoicing.payments", order=44
        ),
        MenuEntry("invoicing.dunning", _l("Dunning"), "invoicing.payments", order=45),
    ),
    tariffs=(
        TariffKey(
            "invoicing.payment_terms_days",
            WholeNumberKind(minimum=0, maximum=180),
            _l("Payment terms (days net)"),
            (("2000-01-01", 30),),
        ),
        TariffKey(
            "invoicing.reminder_levels",
            ReminderLevelsKind(max_fee=Decimal("1000.00"), texts=REMINDER_TEXTS),
            _l("Payment reminder levels"),
            (
                (
                    "2000-01-01",
                    '[{"level": 1, "days_overdue": 10, "fee": "0.00", "text": "reminder"}, '
                    '{"level": 2, "days_overdue": 20, "fee": "20.00", "text": "demand"}, '
                    '{"level": 3, "days_overdue": 30, "fee": "30.00", "text": "collection"}]',
                ),
            ),
        ),
        TariffKey(
            "invoicing.default_interest_percent",
            PercentKind(maximum=Decimal("20")),
            _l("Default interest on overdue invoices (% a year, OR 104)"),
            (("2000-01-01", "5.00"),),
        ),
    ),
    models="plugins.invoicing.models",
    hooks="plugins.invoicing.hooks",
    blueprints=(
        "plugins.invoicing.views:bp",
        "plugins.invoicing.bank_views:bp",
        "plugins.invoicing.api:bp",
    ),
    cli=("plugins.invoicing.cli:cli",),
    demo="plugins.invoicing.demo:load_demo",
    periodic=(
        PeriodicTask("invoicing.monthly_run", "plugins.invoicing.jobs:monthly_run", 3600),
        PeriodicTask("invoicing.reminders", "plugins.invoicing.jobs:send_due_reminders", 3600),
    ),
    metrics="plugins.invoicing.metrics:register",
)
