"""servicedesk: 24x7 call intake, Fast Lane, FirstReaction monitoring, tickets, charges."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.toolkit import (
    BooleanKind,
    DateListKind,
    MenuEntry,
    MinutesKind,
    MoneyKind,
    OutboxChannel,
    PercentKind,
    PeriodicTask,
    Permission,
    Plugin,
    TariffKey,
    WholeNumberKind,
)
from plugins.servicedesk.resolution import DEFAULT_TARGETS, ResolutionTargetsKind

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
        Permission(
            "servicedesk.read",
            "See tickets (customers: their own) and the free service units",
            ("service_desk", "technician", "chief", "customer"),
        ),
        Permission("servicedesk.portal", "Open tickets in the customer portal", ("customer",)),
        Permission("servicedesk.roster", "Keep the on-call roster", ("chief",)),
        Permission(
            "servicedesk.reports",
            "FirstReaction compliance and free units reports",
            ("chief", "finance"),
        ),
    ),
    menu=(
        MenuEntry("servicedesk.desk", _l("Service desk"), "servicedesk.intake", order=30),
        MenuEntry("servicedesk.tickets", _l("Tickets"), "servicedesk.read", order=31),
        MenuEntry(
            "servicedesk.portal_new",
            _l("Report a fault"),
            "servicedesk.portal",
            order=32,
            customers_only=True,
        ),
        MenuEntry("servicedesk.roster", _l("On-call roster"), "servicedesk.roster", order=33),
        MenuEntry("servicedesk.reports_page", _l("SLA reports"), "servicedesk.reports", order=34),
        MenuEntry("servicedesk.incidents", _l("Outages"), "servicedesk.roster", order=36),
        MenuEntry(
            "servicedesk.reaction_report_page",
            _l("Reaction times"),
            "servicedesk.portal",
            order=35,
            customers_only=True,
        ),
    ),
    tariffs=(
        TariffKey(
            "servicedesk.fast_lane_fee",
            MoneyKind(maximum=Decimal("10000.00")),
            _l("Fast Lane ticket fee (CHF)"),
            (("2000-01-01", "250.00"),),
        ),
        TariffKey(
            "servicedesk.hourly_rate",
            MoneyKind(maximum=Decimal("10000.00")),
            _l("Technical service rate (CHF per hour)"),
            (("2000-01-01", "160.00"),),
        ),
        TariffKey(
            "servicedesk.billing_increment_minutes",
            MinutesKind(maximum=240),
            _l("Time is billed in increments of (minutes)"),
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.travel_flat_fee",
            MoneyKind(maximum=Decimal("10000.00")),
            _l("Flat travel fee per on-site visit (CHF)"),
            (("2000-01-01", "80.00"),),
        ),
        TariffKey(
            "servicedesk.service_unit_minutes",
            MinutesKind(maximum=480),
            _l("Minutes of work one free service unit covers"),
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.free_units_lapse",
            BooleanKind(),
            _l("Unused free units lapse at the end of the contract year"),
            (("2000-01-01", True),),
        ),
        TariffKey(
            "servicedesk.reminder_at_percent",
            PercentKind(),
            _l("Remind the technician when this share of the FirstReaction window has passed (%)"),
            (("2000-01-01", "75"),),
        ),
        TariffKey(
            "servicedesk.fast_lane_credit_days",
            WholeNumberKind(minimum=0, maximum=365),
            _l("Fast Lane fees of this many days before an upgrade signature are credited"),
            (("2000-01-01", 14),),
        ),
        TariffKey(
            "servicedesk.closing_days",
            DateListKind(),
            _l("Company closing days added to the Aargau holidays"),
            (("2000-01-01", "[]"),),
        ),
        TariffKey(
            "servicedesk.holidays_excluded",
            DateListKind(),
            _l("Public holidays of the library that are working days here"),
            (("2000-01-01", "[]"),),
        ),
        TariffKey(
            "servicedesk.pin_max_failures",
            WholeNumberKind(minimum=1, maximum=20),
            _l("Failed PIN attempts after which a contact is locked"),
            (("2000-01-01", 3),),
        ),
        TariffKey(
            "servicedesk.pin_lockout_minutes",
            MinutesKind(maximum=1440),
            _l("Minutes failed PIN attempts count and a lock lasts"),
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.dispatch_ack_minutes",
            MinutesKind(maximum=1440),
            _l("Re-notify the technician when a dispatch is not acknowledged after (minutes)"),
            (("2000-01-01", 15),),
        ),
        TariffKey(
            "servicedesk.dispatch_renotify_max",
            WholeNumberKind(minimum=0, maximum=20),
            _l("How many times an unacknowledged dispatch is re-notified"),
            (("2000-01-01", 3),),
        ),
        TariffKey(
            "servicedesk.reaction_report_with_invoice",
            BooleanKind(),
            _l("Attach the reaction-time report of the month to the monthly invoice e-mail"),
            (("2000-01-01", False),),
        ),
        TariffKey(
            "servicedesk.resolution_targets",
            ResolutionTargetsKind(),
            _l("Resolution targets per tier and severity (a tier without rows: best effort)"),
            (("2000-01-01", DEFAULT_TARGETS),),
        ),
    ),
    models="plugins.servicedesk.models",
    hooks="plugins.servicedesk.hooks",
    blueprints=("plugins.servicedesk.views:bp", "plugins.servicedesk.api:bp"),
    cli=("plugins.servicedesk.cli:cli",),
    demo="plugins.servicedesk.demo:load_demo",
    periodic=(PeriodicTask("servicedesk.sweep", "plugins.servicedesk.jobs:run_sweep", 60),),
    # Notifications to people on duty: e-mail, or SERVICEDESK_NOTIFIER (see notify.py).
    outbox_channels=(
        OutboxChannel("servicedesk.notification", "plugins.servicedesk.notify:deliver"),
    ),
    metrics="plugins.servicedesk.metrics:register",
)
