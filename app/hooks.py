"""Typed hook specifications through which plugins cooperate without importing each other."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pluggy
from flask import Flask, current_app

from app.money import NO_DISCOUNT, AgreedDiscount

PROJECT = "winet"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- payloads -------------------------------------------------------------------------


@dataclass(frozen=True)
class TierInForce:
    """The CLA tier a site had at one instant (answered by contracts)."""

    contract_id: int
    customer_id: int
    site_id: int
    tier_code: str
    since: date  # the first day of this tier
    contract_start: date  # the first day of the contract (its contract years count from it)


@dataclass(frozen=True)
class TierSpan:
    """A run of consecutive days, both ends inclusive, on which a site had one tier."""

    contract_id: int
    customer_id: int
    site_id: int
    tier_code: str
    first_day: date
    last_day: date
    # The discount agreed for this contract (a quote's volume and special discount), in %
    # of the catalog price; invoicing bills the list price less each of them.
    discount: AgreedDiscount = NO_DISCOUNT

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class ChargeQuery:
    """Which billable charges invoicing asks for: those not yet billed whose billing date
    lies in the range (None: from the beginning), optionally narrowed."""

    period_start: date | None
    period_end: date  # inclusive
    customer_id: int | None = None
    site_ids: Collection[int] | None = None


@dataclass(frozen=True)
class BillableCharge:
    """One line a plugin wants billed; `reference` is unique per source, forever.

    Invoicing bills each (source, reference) at most once, which is what makes repeated
    and concurrent runs safe. A zero-rated charge has amount 0.00 and says why.

    `credits_reference`, on a credit (a negative amount), names the reference of the
    charge of the same source that this credit reverses (e.g. "ticket:12:fast_lane").
    When that charge is already on an issued invoice, invoicing does not put the credit
    on the next invoice but issues a credit note that references that invoice (SPEC 5);
    while it is not yet billed or only on a draft, the credit is a line of the next
    invoice. None (the default) for ordinary charges.
    """

    source: str
    reference: str
    customer_id: int
    site_id: int
    service_date: date
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    zero_rated_reason: str | None = None
    credits_reference: str | None = None
    # The days of the service and each day's share (e.g. minutes worked): invoicing
    # splits the amount by the VAT rate in force on each day. Empty: all on service_date.
    service_days: tuple[tuple[date, int], ...] = ()

    def day_weights(self) -> tuple[tuple[date, int], ...]:
        return self.service_days or ((self.service_date, 1),)


@dataclass(frozen=True)
class ChargesBilled:
    """Invoicing's notice that charges were put on an issued or drafted invoice (for a
    credit of an already invoiced charge: on the credit note that reverses it), or, with
    invoice_id None, that they are free again (their draft was discarded)."""

    source: str
    references: tuple[str, ...]
    invoice_id: int | None


@dataclass(frozen=True)
class UpgradeSigned:
    """Contracts' announcement that a customer signed a higher tier for a site."""

    customer_id: int
    site_id: int
    contract_id: int
    signed_at: datetime
    old_tier_code: str | None
    new_tier_code: str


@dataclass(frozen=True)
class PriceLine:
    """One net line a run would bill (negative: credit) - what invoicing answers when
    another plugin asks what a customer would be billed, e.g. to show the price
    consequence of a contract change before it is confirmed."""

    kind: str  # "advance", "settlement", "advance_credit", "charge", "credit_note", ...
    site_id: int | None
    site_name: str
    description: str
    service_start: date
    service_end: date
    amount: Decimal  # CHF, excluding VAT
    vat_rate: Decimal
    source: str | None = None  # the plugin a charge comes from, e.g. "servicedesk"

    @property
    def key(self) -> tuple:
        """What makes two lines the same line (to compare one plan with another)."""
        return (
            self.kind,
            self.site_id,
            self.description,
            self.service_start,
            self.service_end,
            self.amount,
            self.vat_rate,
        )


@dataclass(frozen=True)
class Panel:
    """A block of HTML a plugin adds to a host page (e.g. the contracts of a site)."""

    title: str
    html: str
    order: int = 100
    key: str = ""  # a name for tests and styles ("finance.open"), shown as data-panel


# --- specifications -------------------------------------------------------------------


class HookSpecs:
    @hookspec(firstresult=True)
    def tier_in_force(self, site_id: int, at: datetime) -> TierInForce | None:
        """The tier in force at a site at instant `at`, or None without a contract."""

    @hookspec(firstresult=True)
    def tier_spans(
        self, first_day: date, last_day: date, site_ids: Collection[int] | None
    ) -> list[TierSpan] | None:
        """For each site (all sites when None), the tier on each day of the range."""

    @hookspec
    def billable_charges(self, query: ChargeQuery) -> list[BillableCharge]:
        """Charges that belong to the period; each plugin answers for its own."""

    @hookspec
    def charges_billed(self, event: ChargesBilled) -> None:
        """Tells the source plugin which of its charges are now on an invoice."""

    @hookspec
    def detail_panels(self, kind: str, record_id: int) -> list[Panel]:
        """Panels for the detail page of a "customer" or "site" (already access-checked)."""

    @hookspec
    def upgrade_signed(self, event: UpgradeSigned) -> None:
        """A CLA upgrade was signed (Fast Lane fees of the 14 days before are credited)."""

    @hookspec
    def invoice_mail_attachments(self, customer_id: int, service_month: str) -> list:
        """Documents (app.mail.Attachment) a plugin adds to a customer's invoice e-mail
        for the month `service_month` ("2026-11") whose charges the invoice bills in
        arrears, e.g. the service desk's reaction-time report; [] for none."""

    @hookspec(firstresult=True)
    def planned_lines(self, customer_id: int, period: str) -> list[PriceLine] | None:
        """What the run of `period` ("YYYY-MM") would bill the customer now, as net lines
        (credit notes for charges already invoiced included); writes nothing."""

    @hookspec
    def audit_wordings(self) -> list:
        """How the plugin's audited tables read in histories and on the audit page
        (app.chatter.RecordWording, one per table)."""

    @hookspec
    def dashboard_panels(self, user) -> list[Panel]:
        """Panels for `user`'s start page (numbers, charts, lists), each checked by the
        plugin against the user's permissions; the customer's own data only for a
        customer user."""

    @hookspec(firstresult=True)
    def billed_through(self) -> date | None:
        """The last day of service that is on an invoice (drafts count: they can still be
        issued), or None when nothing is billed. No price, rate or tariff may change for a
        day up to it: the host refuses such a change (app.history)."""


def create_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HookSpecs)
    return manager


def plugin_manager(app: Flask) -> pluggy.PluginManager:
    return app.extensions["winet.plugin_manager"]


def hooks():
    """The hook caller of the current app: `hooks().tier_in_force(site_id=..., at=...)`."""
    return plugin_manager(current_app).hook


def flatten(results: list[list]) -> list:
    """pluggy returns one list per implementation; callers want one list."""
    return [item for result in results if result for item in result]
