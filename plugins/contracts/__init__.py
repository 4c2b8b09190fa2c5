"""contracts: CLA contracts per site, tier history, quotes for branch packages, web shop."""

from flask_babel import lazy_gettext as _l

from app.plugins import MenuEntry, Permission, Plugin, TariffKey

PLUGIN = Plugin(
    name="contracts",
    version="0.1.0",
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
    ),
    menu=(MenuEntry("contracts.index", _l("Contracts"), "contracts.read", order=20),),
    tariffs=(
        TariffKey(
            "contracts.volume_discount",
            "json",
            "Volume discount of a quote by number of sites: [{min_sites, percent}]",
            (
                (
                    "2000-01-01",
                    '[{"min_sites": 5, "percent": "5.00"}, {"min_sites": 10, "percent": "8.00"}, {"min_sites": 25, "percent": "12.00"}]',
                ),
            ),
        ),
        TariffKey(
            "contracts.manual_discount_limit_percent",
            "decimal",
            "Manual quote discount an account manager may give without finance approval (%)",
            (("2000-01-01", "10.00"),),
        ),
    ),
    models="plugins.contracts.models",
    hooks="plugins.contracts.hooks",
    blueprints=("plugins.contracts.views:bp",),
    demo="plugins.contracts.demo:load_demo",
)
