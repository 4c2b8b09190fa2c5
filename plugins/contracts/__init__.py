"""contracts: CLA contracts per site, tier history, quotes for branch packages, web shop."""

from flask_babel import lazy_gettext as _l

from app.toolkit import (
    MenuEntry,
    PercentKind,
    PeriodicTask,
    Permission,
    Plugin,
    TariffKey,
    VolumeBandsKind,
)

PLUGIN = Plugin(
    name="contracts",
    version="0.2.0",
    depends=(),
    permissions=(
        Permission(
            "contracts.read",
            "See CLA contracts and their tier history",
            ("finance", "account_manager", "service_desk", "technician", "chief", "customer"),
        ),
        Permission(
            "contracts.write", "Start, change and cancel contracts", ("finance", "account_manager")
        ),
        Permission(
            "contracts.quotes.read",
            "See quotes (customers: their own)",
            ("finance", "account_manager", "customer"),
        ),
        Permission("contracts.quotes.write", "Build and send quotes", ("account_manager",)),
        Permission(
            "contracts.quotes.approve",
            "Approve manual quote discounts above the account manager's limit",
            ("finance",),
        ),
        Permission(
            "contracts.quotes.accept", "Accept or decline own quotes in the portal", ("customer",)
        ),
        Permission("contracts.shop", "Order a CLA for an own site in the web shop", ("customer",)),
    ),
    menu=(
        MenuEntry("contracts.index", _l("Contracts"), "contracts.read", order=20),
        MenuEntry("contracts.quotes", _l("Quotes"), "contracts.quotes.read", order=25),
        MenuEntry("contracts.approvals", _l("Approvals"), "contracts.quotes.approve", order=26),
        MenuEntry(
            "contracts.shop", _l("Web shop"), "contracts.shop", order=27, customers_only=True
        ),
    ),
    tariffs=(
        TariffKey(
            "contracts.volume_discount",
            VolumeBandsKind(),
            _l("Volume discount of a quote by number of sites"),
            (
                (
                    "2000-01-01",
                    '[{"min_sites": 5, "percent": "5.00"}, {"min_sites": 10, "percent": "8.00"}, {"min_sites": 25, "percent": "12.00"}]',
                ),
            ),
        ),
        TariffKey(
            "contracts.manual_discount_limit_percent",
            PercentKind(),
            _l("Manual quote discount an account manager may give without finance approval (%)"),
            (("2000-01-01", "10.00"),),
        ),
    ),
    models="plugins.contracts.models",
    hooks="plugins.contracts.hooks",
    blueprints=("plugins.contracts.views:bp", "plugins.contracts.api:bp"),
    cli=("plugins.contracts.cli:contracts_cli",),
    demo="plugins.contracts.demo:load_demo",
    # Hourly, so that a contract ends and a quote expires soon after midnight in Zurich.
    periodic=(
        PeriodicTask("contracts.end_due", "plugins.contracts.jobs:run_end_due", 3600),
        PeriodicTask("contracts.expire_quotes", "plugins.contracts.jobs:run_expire_quotes", 3600),
    ),
)
