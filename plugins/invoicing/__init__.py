"""invoicing: monthly per-site invoice run, Swiss VAT, QR-bill PDFs, payments, reminders."""

from app.plugins import Permission, Plugin, TariffKey

PLUGIN = Plugin(
    name="invoicing",
    version="0.1.0",
    depends=("contracts",),
    permissions=(
        Permission(
            "invoicing.read", "See invoices (customers: their own)", ("finance", "customer")
        ),
        Permission("invoicing.run", "Run the monthly invoicing and issue invoices", ("finance",)),
    ),
    tariffs=(
        TariffKey(
            "invoicing.payment_terms_days",
            "integer",
            "Payment terms, days net",
            (("2000-01-01", 30),),
        ),
        TariffKey(
            "invoicing.reminder_levels",
            "json",
            "Payment reminders: [{level, days_overdue, fee}]",
            (
                (
                    "2000-01-01",
                    '[{"level": 1, "days_overdue": 10, "fee": "0.00"}, {"level": 2, "days_overdue": 30, "fee": "20.00"}, {"level": 3, "days_overdue": 45, "fee": "30.00"}]',
                ),
            ),
        ),
    ),
)
