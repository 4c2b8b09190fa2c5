"""The host's own declaration: the core records' permissions and menu, in plugin form."""

from flask_babel import lazy_gettext as _l

from app.plugins import MenuEntry, OutboxChannel, PeriodicTask, Permission, Plugin, TariffKey
from app.tariff_kinds import PercentKind

STAFF = ("finance", "account_manager", "service_desk", "technician", "chief")

CORE = Plugin(
    name="core",
    version="0.1.0",
    permissions=(
        Permission("core.dashboard", "See the start page", (*STAFF, "customer")),
        Permission("core.customers.read", "See customers", (*STAFF, "customer")),
        Permission(
            "core.customers.write", "Create and edit customers", ("finance", "account_manager")
        ),
        Permission("core.sites.read", "See sites", (*STAFF, "customer")),
        Permission("core.sites.write", "Create and edit sites", ("finance", "account_manager")),
        Permission("core.contacts.read", "See contacts", (*STAFF, "customer")),
        Permission(
            "core.contacts.write",
            "Create and edit contacts and their PINs",
            ("account_manager", "customer"),
        ),
        Permission("core.users.manage", "Manage users and roles", ()),
        Permission("core.catalog.read", "See the tier catalog", (*STAFF, "customer")),
        # The service desk and technicians see no prices (SPEC 6); the Fast Lane fee is
        # shown to the desk by the servicedesk plugin.
        Permission(
            "core.prices.read", "See catalog prices", ("finance", "account_manager", "customer")
        ),
        Permission("core.catalog.write", "Add catalog versions", ("finance",)),
        Permission("core.tariffs.read", "See tariffs", ("finance", "account_manager")),
        Permission("core.tariffs.write", "Edit tariffs", ("finance",)),
        Permission("core.audit.read", "See the audit trail", ("finance",)),
        # Letterhead, UID, QR-IBAN and link base: what every invoice carries (admin only).
        Permission("core.company.manage", "Edit the company data", ()),
        Permission("core.profile", "Own profile, language and API tokens", (*STAFF, "customer")),
        Permission("core.outbox.manage", "See the outbox and resend messages", ()),
        # The chatter of a record: its changes in words and the e-mails sent about it.
        Permission("core.history.read", "See a record's history and the e-mails about it", STAFF),
    ),
    menu=(
        MenuEntry("core.customers", _l("Customers"), "core.customers.read", order=10),
        MenuEntry("core.sites", _l("Sites"), "core.sites.read", order=11),
        MenuEntry("core.catalog", _l("Catalog"), "core.catalog.read", order=80),
        MenuEntry("core.tariffs", _l("Tariffs"), "core.tariffs.read", order=85),
        MenuEntry("core.vat_rate_table", _l("VAT rates"), "core.tariffs.read", order=86),
        MenuEntry("core.users", _l("Users"), "core.users.manage", order=90),
        MenuEntry("core.company_page", _l("Company"), "core.company.manage", order=92),
        MenuEntry("core.audit", _l("Audit trail"), "core.audit.read", order=95),
        MenuEntry("core_outbox.index", _l("Outbox"), "core.outbox.manage", order=96),
    ),
    tariffs=(
        # Quotes and invoices both need it; by date of service (SPEC section 5).
        TariffKey(
            "core.vat_standard_percent",
            PercentKind(),
            _l("Swiss standard VAT rate (%), by date of service"),
            (("2011-01-01", "8.00"), ("2018-01-01", "7.70"), ("2024-01-01", "8.10")),
        ),
    ),
    models="app.models",
    blueprints=(
        "app.views.auth:bp",
        "app.views.core:bp",
        "app.views.outbox:bp",
        "app.api.core:bp",
        "app.api.docs:bp",
    ),
    cli=("app.cli:demo_cli", "app.cli:seed_command", "app.cli:users_cli"),
    seed="app.seed:seed_core",
    demo="app.demo:load_core_demo",
    # Retries and anything a dispatch after commit missed (see app.jobs).
    periodic=(PeriodicTask("core.outbox", "app.jobs:deliver_due_outbox", 60),),
    outbox_channels=(OutboxChannel("core.mail", "app.outbox:deliver_mail"),),
    metrics="app.outbox:register_metrics",
)
