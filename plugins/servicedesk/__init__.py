"""servicedesk: 24x7 call intake, Fast Lane, FirstReaction monitoring, tickets, charges."""

from app.plugins import Permission, Plugin, TariffKey

PLUGIN = Plugin(
    name="servicedesk",
    version="0.1.0",
    depends=("contracts",),
    permissions=(
        Permission(
            "servicedesk.intake",
            "Take calls and open tickets",
            ("service_desk", "technician", "chief"),
        ),
        Permission(
            "servicedesk.work", "Work tickets: reaction, time, material", ("technician", "chief")
        ),
    ),
    tariffs=(
        TariffKey(
            "servicedesk.fast_lane_fee",
            "decimal",
            "Fast Lane ticket fee, CHF",
            (("2000-01-01", "250.00"),),
        ),
        TariffKey(
            "servicedesk.hourly_rate",
            "decimal",
            "Technical service rate, CHF per hour",
            (("2000-01-01", "160.00"),),
        ),
        TariffKey(
            "servicedesk.billing_increment_minutes",
            "integer",
            "Time is billed in increments of (minutes)",
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.travel_flat_fee",
            "decimal",
            "Flat travel fee per on-site visit, CHF",
            (("2000-01-01", "80.00"),),
        ),
        TariffKey(
            "servicedesk.service_unit_minutes",
            "integer",
            "Minutes of work one free service unit covers",
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.free_units_lapse",
            "boolean",
            "Unused free units lapse at the end of the contract year",
            (("2000-01-01", True),),
        ),
        TariffKey(
            "servicedesk.reminder_at_percent",
            "decimal",
            "Remind the technician when this share of the FirstReaction window has passed (%)",
            (("2000-01-01", "75"),),
        ),
        TariffKey(
            "servicedesk.fast_lane_credit_days",
            "integer",
            "Fast Lane fees of this many days before an upgrade signature are credited",
            (("2000-01-01", 14),),
        ),
    ),
)
