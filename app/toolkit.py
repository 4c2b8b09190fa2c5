"""The host facade: the one module of the host that plugins import (CKAN's toolkit idea).

Everything a plugin may use of the host is named here, so the host can move its
modules freely behind it; `tests/test_architecture.py` fails on any other `app.*`
import under `plugins/`. Third-party libraries (Flask, SQLAlchemy, Babel) are imported
directly.
"""

from __future__ import annotations

from app.addresses import address_problem, postal_code_problem
from app.api import api_blueprint, committed, operation
from app.audit import acting_as, current_actor, record_bulk_inserts
from app.bulk import among, copy_rows, id_chunks, reserve_ids
from app.charts import Chart, bar_chart, line_chart
from app.chatter import (
    LANGUAGE_NAMES,
    RecordWording,
    actors_in_words,
    tier_codes,
    tier_names,
    tier_names_by_code,
    user_names,
)
from app.company import (
    CompanyData,
    company,
    company_fixed,
    company_placeholders,
    in_production,
)
from app.database import (
    MAX_ID,
    ExactDecimal,
    IdMixin,
    Money,
    Percent,
    TimestampMixin,
    db,
    utcnow,
)
from app.errors import ApiError, RecordNotFound, RuleViolation, api_error_response
from app.extensions import csrf
from app.hooks import (
    BillableCharge,
    ChargeQuery,
    ChargesBilled,
    Panel,
    PriceLine,
    TierInForce,
    TierSpan,
    UpgradeSigned,
    flatten,
    hookimpl,
    hooks,
)
from app.jobs import enqueue_call, one_off
from app.listing import Filter, Listing, Sort, escape_like, state_filters
from app.mail import Attachment
from app.metrics import MetricsRegistry
from app.models import (
    LANGUAGES,
    Contact,
    Customer,
    Language,
    Site,
    Tariff,
    Tier,
    TierVersion,
    User,
)
from app.models.catalog import ReactionKind, tier_versions_on
from app.money import (
    CENT,
    NO_DISCOUNT,
    AgreedDiscount,
    apportion,
    format_chf,
    parse_money,
    percent_of,
    pro_rata,
    require_cents,
    round_chf,
    round_to_five_rappen,
)
from app.outbox import deliver_mail, messages_about, queue, queue_mail
from app.pdf import letterhead, qr_code_svg, render_pdf, render_pdf_html
from app.plugins import (
    MenuEntry,
    OutboxChannel,
    PeriodicTask,
    Permission,
    Plugin,
    TariffKey,
)
from app.ratelimit import pin_limits
from app.reader import link_locale
from app.schemas import (
    MAX_MONEY,
    HouseNumber,
    MoneyIn,
    Offset,
    PostalCode,
    RecordId,
    SiteIn,
    Street,
    Text70,
    Town,
)
from app.security import (
    get_visible_or_404,
    has_permission,
    public,
    requires,
    scope_to_customer,
    visible_customer_id,
)
from app.service_hours import service_hours
from app.services import create_site, find_customers
from app.tariff_kinds import (
    BooleanKind,
    Column,
    DateListKind,
    MinutesKind,
    MoneyKind,
    PercentKind,
    ReminderLevelsKind,
    RowsKind,
    TariffKind,
    VolumeBandsKind,
    WholeNumberKind,
)
from app.tariffs import declared_keys, parse_value, tariff
from app.timeutil import ZURICH, clock_at, last_months, local, now, today, zurich_instant
from app.validation import InvalidInput, form_input
from app.vocabulary import Vocabulary
from app.web import N_, committed_or_flash, form_page_status

__all__ = [
    "clock_at",
    "CENT",
    "NO_DISCOUNT",
    "AgreedDiscount",
    "MAX_ID",
    "ZURICH",
    "ApiError",
    "Attachment",
    "BillableCharge",
    "BooleanKind",
    "Chart",
    "ChargeQuery",
    "ChargesBilled",
    "CompanyData",
    "Contact",
    "Customer",
    "LANGUAGES",
    "Language",
    "DateListKind",
    "ExactDecimal",
    "Filter",
    "Listing",
    "Sort",
    "state_filters",
    "HouseNumber",
    "InvalidInput",
    "LANGUAGE_NAMES",
    "IdMixin",
    "MenuEntry",
    "OutboxChannel",
    "MetricsRegistry",
    "MinutesKind",
    "Money",
    "MoneyKind",
    "Panel",
    "Percent",
    "PercentKind",
    "PriceLine",
    "PeriodicTask",
    "Permission",
    "Plugin",
    "PostalCode",
    "postal_code_problem",
    "address_problem",
    "MAX_MONEY",
    "MoneyIn",
    "Offset",
    "ReactionKind",
    "RecordId",
    "RecordWording",
    "actors_in_words",
    "RecordNotFound",
    "ReminderLevelsKind",
    "RuleViolation",
    "Site",
    "SiteIn",
    "Street",
    "Tariff",
    "TariffKey",
    "TariffKind",
    "Column",
    "RowsKind",
    "Text70",
    "Tier",
    "TierInForce",
    "TierSpan",
    "TierVersion",
    "TimestampMixin",
    "Town",
    "UpgradeSigned",
    "User",
    "Vocabulary",
    "VolumeBandsKind",
    "WholeNumberKind",
    "acting_as",
    "api_blueprint",
    "api_error_response",
    "apportion",
    "bar_chart",
    "committed",
    "N_",
    "committed_or_flash",
    "form_page_status",
    "company",
    "company_fixed",
    "company_placeholders",
    "create_site",
    "csrf",
    "current_actor",
    "db",
    "declared_keys",
    "deliver_mail",
    "enqueue_call",
    "escape_like",
    "find_customers",
    "flatten",
    "form_input",
    "format_chf",
    "get_visible_or_404",
    "has_permission",
    "hookimpl",
    "hooks",
    "in_production",
    "letterhead",
    "line_chart",
    "last_months",
    "local",
    "messages_about",
    "now",
    "one_off",
    "operation",
    "parse_money",
    "parse_value",
    "percent_of",
    "pin_limits",
    "pro_rata",
    "record_bulk_inserts",
    "reserve_ids",
    "among",
    "id_chunks",
    "copy_rows",
    "public",
    "queue",
    "queue_mail",
    "qr_code_svg",
    "link_locale",
    "render_pdf",
    "render_pdf_html",
    "require_cents",
    "requires",
    "round_chf",
    "round_to_five_rappen",
    "scope_to_customer",
    "service_hours",
    "tariff",
    "tier_codes",
    "tier_names",
    "tier_names_by_code",
    "tier_versions_on",
    "today",
    "user_names",
    "utcnow",
    "visible_customer_id",
    "zurich_instant",
]
