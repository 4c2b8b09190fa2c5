"""Planning a run: read what a period needs in a few set-based queries, then group the
pure billing of each contract (billing.bill_contract) and the charges into invoices.

Nothing here writes. `load_period` reads; `plan_customers` is pure over what it read;
`plan_period` is both, and is also the preview of what a run would bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, tuple_

from app.toolkit import (
    BillableCharge,
    ChargeQuery,
    Customer,
    RuleViolation,
    Site,
    TariffError,
    TierSpan,
    among,
    db,
    flatten,
    hooks,
    id_chunks,
    today,
)
from plugins.invoicing.billing import (
    BilledMonth,
    BillingLine,
    CatalogPrice,
    Month,
    MonthBilling,
    PricedSegment,
    bill_contract,
    charge_lines,
)
from plugins.invoicing.forms import period_format_refused
from plugins.invoicing.models import BilledCharge, Invoice, InvoiceRun
from plugins.invoicing.models import BilledMonth as BilledMonthRow
from plugins.invoicing.sources import catalog_prices, vat_table
from plugins.invoicing.vat import VatRatePeriod
from plugins.invoicing.vocabulary import FailedStep, InvoiceKind, InvoiceState, LineKind

CHUNK = 500
# Within a site: corrections of earlier months, then this month's subscription, then charges.
_KIND_ORDER = {
    LineKind.ADVANCE_CREDIT: 0,
    LineKind.SETTLEMENT: 1,
    LineKind.ADVANCE: 2,
    LineKind.CHARGE: 3,
}
# How far ahead a run may bill: the next twelve months (a typo like 2207 is refused).
MONTHS_AHEAD = 12


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    """Slices of `values` for IN lists of pairs (one placeholder each, on any database)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- what a run may bill --------------------------------------------------------------


def first_billed_month(period: Month) -> Month:
    """The first month this system bills: INVOICING_FIRST_PERIOD, else the month before
    the earliest run ever made (before it, months were billed elsewhere).

    Without the setting, the first run of a new installation settles only the month
    before it, as a run always has; it never reaches back to a contract's start years ago.
    """
    configured = current_app.config.get("INVOICING_FIRST_PERIOD")
    if configured:
        return Month.parse(configured)
    earliest = db.session.scalar(select(func.min(InvoiceRun.period)))
    start = min(Month.parse(earliest), period) if earliest else period
    return start.previous()


def check_period(period: Month | str, on: date | None = None) -> Month:
    """The period as a Month if a run may bill it; RuleViolation with the reason if not."""
    try:
        month = Month.coerce(period)
    except ValueError as error:
        raise RuleViolation(period_format_refused(period), "period") from error
    day = on or today()
    latest = Month.of(day)
    for _month in range(MONTHS_AHEAD):
        latest = latest.next()
    if month > latest:
        raise RuleViolation(
            _(
                "%(period)s lies more than %(months)s months ahead; the latest period that "
                "can be billed now is %(latest)s",
                period=month,
                months=MONTHS_AHEAD,
                latest=latest,
            ),
            "period",
        )
    configured = current_app.config.get("INVOICING_FIRST_PERIOD")
    if configured and month < Month.parse(configured):
        raise RuleViolation(
            _(
                "%(period)s lies before %(first)s, the first period this system bills",
                period=month,
                first=configured,
            ),
            "period",
        )
    if not configured:
        earliest = db.session.scalar(select(func.min(InvoiceRun.period)))
        # Without the setting: the month before the first run (what a first run settles),
        # or, before any run, as far back as a run may reach ahead (a typo like 1026).
        floor = Month.parse(earliest).previous() if earliest else Month.of(day)
        if not earliest:
            for _month in range(MONTHS_AHEAD):
                floor = floor.previous()
        if month < floor:
            raise RuleViolation(
                _(
                    "%(period)s lies before %(first)s, the first period this system can "
                    "bill; INVOICING_FIRST_PERIOD set to an earlier month allows it",
                    period=month,
                    first=floor,
                ),
                "period",
            )
    return month


# --- the plan -------------------------------------------------------------------------


@dataclass
class InvoicePlan:
    """What one invoice will hold: a customer, a site (None = consolidated) and its items."""

    customer_id: int
    site_id: int | None
    months: list[MonthBilling] = field(default_factory=list)
    charges: list[BillableCharge] = field(default_factory=list)
    charge_lines: list[BillingLine] = field(default_factory=list)

    @property
    def lines(self) -> list[BillingLine]:
        return [line for month in self.months for line in month.lines] + self.charge_lines

    @property
    def total_net(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def ordered_lines(self, site_names: dict[int, str]) -> list[BillingLine]:
        return sorted(
            self.lines,
            key=lambda line: (
                site_names.get(line.site_id, "") if line.site_id else "",
                line.site_id or 0,
                _KIND_ORDER.get(line.kind, 9),
                line.service_start,
                line.contract_id or 0,
            ),
        )


@dataclass(frozen=True)
class ChargeCredit:
    """A credit whose credited charge is on an issued invoice: it becomes a credit note
    that references that invoice, not a line of the next invoice (SPEC 4 and 5)."""

    charge: BillableCharge
    invoice_id: int  # the issued invoice that billed charge.credits_reference


@dataclass(frozen=True)
class RunFailure:
    """Why a run or an issuing job failed for one customer: the step, the document it
    concerned (a draft's id, an invoice number, a charge; none while billing) and the
    reason, each shown in its own place so that a page words the step in its reader's
    language (the reason is the rule's own message). `invoice_id`: the draft or invoice
    concerned, which the page links to (where finance mends what was refused)."""

    customer_id: int
    customer_name: str
    step: FailedStep
    detail: str
    subject: str = ""
    invoice_id: int | None = None

    @property
    def reason(self) -> str:
        """One line for logs, the CLI and the API, the step as its code: `issuing #12: …`."""
        return self._line(self.step.value)

    @property
    def worded(self) -> str:
        """The line for a page, the step in the current locale: `Entwurf ausstellen #12: …`.
        Billing needs no step: the customer named beside it is what failed."""
        return self._line(self.step.label)

    def _line(self, step: str) -> str:
        if self.step == FailedStep.BILLING:
            return self.detail
        return f"{step} {self.subject}".rstrip() + f": {self.detail}"


def failure_detail(error: Exception) -> str:
    """What a failure says: a rule's message as it is (already in words for finance),
    anything else with its type, which is what support needs to find it."""
    if isinstance(error, RuleViolation | TariffError):  # data finance can mend, in words
        return str(error)
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class BillTo:
    """What an invoice needs of its customer, read once for the whole run."""

    id: int
    number: str | None
    legal_name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    country: str
    billing_email: str
    language: str
    invoice_mode: str


@dataclass
class CustomerMonth:
    """Everything one customer's part of a run is planned from (read in bulk)."""

    customer_id: int
    spans: list[TierSpan] = field(default_factory=list)
    billed: dict[int, dict[Month, BilledMonth]] = field(default_factory=dict)
    settled_through: dict[int, Month] = field(default_factory=dict)
    owners: dict[int, tuple[int, int]] = field(default_factory=dict)  # contract -> site
    charges: list[BillableCharge] = field(default_factory=list)


@dataclass
class PeriodInputs:
    """What the run for a period reads before it plans anything."""

    period: Month
    first: Month
    today: date
    prices: dict[str, list[CatalogPrice]]
    vat: tuple[VatRatePeriod, ...]
    customers: dict[int, CustomerMonth]
    bill_to: dict[int, BillTo]
    site_names: dict[int, str]
    charge_credits: list[ChargeCredit]


@dataclass
class PeriodPlan:
    period: Month
    invoices: list[InvoicePlan]
    failures: list[RunFailure]
    customers: dict[int, BillTo]
    site_names: dict[int, str]
    charge_credits: list[ChargeCredit] = field(default_factory=list)


# --- reading --------------------------------------------------------------------------


def _load_bill_to(ids: Iterable[int]) -> dict[int, BillTo]:
    # Plain values, not ORM objects: they outlive the batch commits without being
    # expired and reloaded, and keep the session small over a run of thousands.
    columns = [getattr(Customer, name) for name in BillTo.__dataclass_fields__]
    found: dict[int, BillTo] = {}
    for chunk in id_chunks(sorted(set(ids))):
        for row in db.session.execute(select(*columns).where(among(Customer.id, chunk))):
            found[row.id] = BillTo(*row)
    return found


def _load_site_names(ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in id_chunks(sorted(set(ids))):
        names.update(
            db.session.execute(select(Site.id, Site.name).where(among(Site.id, chunk))).all()
        )
    return names


def ledger_of(
    contract_ids: Iterable[int], period: Month
) -> tuple[dict[int, Month], dict[int, dict[Month, BilledMonth]]]:
    """Per contract, the last month settled for good, and the latest revision of every
    later month up to `period`.

    One aggregate finds how far each contract is settled for good: a run settles every
    month that is over in one go, so every month up to a contract's latest final month is
    final too. Then only the rows after that are read, for contracts grouped by that
    month: normally one group, and the last month or two of rows.
    """
    ids = sorted(set(contract_ids))
    final_through: dict[int, str] = {}
    for chunk in id_chunks(ids):
        final_through.update(
            db.session.execute(
                select(BilledMonthRow.contract_id, func.max(BilledMonthRow.month))
                .where(BilledMonthRow.final.is_(True), among(BilledMonthRow.contract_id, chunk))
                .group_by(BilledMonthRow.contract_id)
            ).all()
        )
    groups: dict[str, list[int]] = {}
    for contract_id in ids:
        groups.setdefault(final_through.get(contract_id, ""), []).append(contract_id)
    result: dict[int, dict[Month, BilledMonth]] = {}
    for settled, members in groups.items():
        for chunk in id_chunks(members):
            rows = db.session.execute(
                select(
                    BilledMonthRow.contract_id,
                    BilledMonthRow.month,
                    BilledMonthRow.revision,
                    BilledMonthRow.final,
                    BilledMonthRow.segments,
                    BilledMonthRow.customer_id,
                    BilledMonthRow.site_id,
                )
                .where(
                    among(BilledMonthRow.contract_id, chunk),
                    BilledMonthRow.month > settled,
                    BilledMonthRow.month <= period.label,
                )
                .order_by(BilledMonthRow.revision)
            ).all()
            for contract_id, label, revision, final, segments, customer_id, site_id in rows:
                result.setdefault(contract_id, {})[Month.parse(label)] = BilledMonth(
                    Month.parse(label),
                    revision,
                    final,
                    tuple(
                        PricedSegment.from_record(s, contract_id, customer_id, site_id)
                        for s in segments
                    ),
                )
    return {c: Month.parse(label) for c, label in final_through.items()}, result


def unbilled(charges: list[BillableCharge]) -> list[BillableCharge]:
    """The charges of the list that no invoice or credit note bills yet."""
    if not charges:
        return []
    keys = [(c.source, c.reference) for c in charges]
    billed: set[tuple[str, str]] = set()
    for chunk in chunks(keys):
        billed.update(
            db.session.execute(
                select(BilledCharge.source, BilledCharge.reference).where(
                    tuple_(BilledCharge.source, BilledCharge.reference).in_(chunk)
                )
            ).all()
        )
    return [c for c in charges if (c.source, c.reference) not in billed]


def _issued_invoices_of(keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(source, reference) -> the issued invoice (not a draft, not a credit note) that
    billed it, for those of `keys` that are on one."""
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(keys):
        rows = db.session.execute(
            select(BilledCharge.source, BilledCharge.reference, Invoice.id)
            .join(Invoice, Invoice.id == BilledCharge.invoice_id)
            .where(
                tuple_(BilledCharge.source, BilledCharge.reference).in_(chunk),
                Invoice.kind == InvoiceKind.INVOICE,
                Invoice.status != InvoiceState.DRAFT,
            )
        ).all()
        found.update({(source, reference): invoice_id for source, reference, invoice_id in rows})
    return found


def split_credits(
    charges: list[BillableCharge],
) -> tuple[list[BillableCharge], list[ChargeCredit]]:
    """Credits of a charge already on an issued invoice go to a credit note; everything
    else (including a credit of a charge not yet billed or only on a draft) stays a line
    of the next invoice."""
    credits = [c for c in charges if c.credits_reference and c.amount < 0]
    if not credits:
        return charges, []
    issued = _issued_invoices_of(sorted({(c.source, c.credits_reference) for c in credits}))
    notes = [
        ChargeCredit(c, issued[(c.source, c.credits_reference)])
        for c in credits
        if (c.source, c.credits_reference) in issued
    ]
    by_note = {id(credit.charge) for credit in notes}
    return [c for c in charges if id(c) not in by_note], notes


def load_period(period: Month | str, customer_ids: Iterable[int] | None = None) -> PeriodInputs:
    """Read everything the run for `period` needs, for all customers or only some."""
    month = Month.coerce(period)
    first = first_billed_month(month)
    only = set(customer_ids) if customer_ids is not None else None
    spans = [
        span
        for span in hooks().tier_spans(
            first_day=first.first_day, last_day=month.last_day, site_ids=None
        )
        or ()
        if only is None or span.customer_id in only
    ]
    customers: dict[int, CustomerMonth] = {}

    def of(customer_id: int) -> CustomerMonth:
        if customer_id not in customers:
            customers[customer_id] = CustomerMonth(customer_id)
        return customers[customer_id]

    for span in spans:
        entry = of(span.customer_id)
        entry.spans.append(span)
        entry.owners[span.contract_id] = (span.customer_id, span.site_id)
    # Every month billed since `first` had days in force, so the spans name every
    # contract the ledger can hold an open month of (a contract's end is never earlier
    # than the end of the month after its notice, and the past is never rewritten).
    owner_of = {s.contract_id: s.customer_id for s in spans}
    settled, open_months = ledger_of(owner_of, month)
    for contract_id, months in open_months.items():
        of(owner_of[contract_id]).billed[contract_id] = months
    for contract_id, through in settled.items():
        of(owner_of[contract_id]).settled_through[contract_id] = through

    query = ChargeQuery(period_start=first.first_day, period_end=month.previous().last_day)
    charges = unbilled(
        [
            c
            for c in flatten(hooks().billable_charges(query=query))
            if only is None or c.customer_id in only
        ]
    )
    charges, credits = split_credits(charges)
    for charge in charges:
        of(charge.customer_id).charges.append(charge)

    site_ids = {site for entry in customers.values() for _, site in entry.owners.values()}
    site_ids |= {c.site_id for c in charges}
    return PeriodInputs(
        period=month,
        first=first,
        today=today(),
        prices=catalog_prices(),
        vat=vat_table(),
        customers=customers,
        bill_to=_load_bill_to(set(customers) | {c.charge.customer_id for c in credits}),
        site_names=_load_site_names(site_ids),
        charge_credits=credits,
    )


# --- planning (pure over the inputs) --------------------------------------------------


def plan_customer(inputs: PeriodInputs, entry: CustomerMonth) -> list[InvoicePlan]:
    """The invoices of one customer: one per site, or one consolidated invoice."""
    customer = inputs.bill_to.get(entry.customer_id)
    if customer is None:
        raise LookupError("the customer does not exist")
    by_contract: dict[int, list[TierSpan]] = {}
    for span in entry.spans:
        by_contract.setdefault(span.contract_id, []).append(span)
    months: list[MonthBilling] = []
    for contract_id in sorted(entry.owners):
        customer_id, site_id = entry.owners[contract_id]
        months += bill_contract(
            contract_id,
            customer_id,
            site_id,
            period=inputs.period,
            first=inputs.first,
            today=inputs.today,
            spans=by_contract.get(contract_id, []),
            billed=entry.billed.get(contract_id, {}),
            prices=inputs.prices,
            vat_table=inputs.vat,
            settled_through=entry.settled_through.get(contract_id),
        )
    lines_of_charges = [charge_lines([charge], inputs.vat) for charge in entry.charges]
    consolidated = customer.invoice_mode == "consolidated"
    groups: dict[int | None, InvoicePlan] = {}

    def group(site_id: int | None) -> InvoicePlan:
        key = None if consolidated else site_id
        if key not in groups:
            groups[key] = InvoicePlan(entry.customer_id, key)
        return groups[key]

    for billing in months:
        group(billing.site_id).months.append(billing)
    for charge, lines in zip(entry.charges, lines_of_charges, strict=True):
        plan = group(charge.site_id)
        plan.charges.append(charge)
        plan.charge_lines.extend(lines)
    return [groups[key] for key in sorted(groups, key=lambda k: (k is None, k or 0))]


def plan_customers(inputs: PeriodInputs) -> tuple[list[InvoicePlan], list[RunFailure]]:
    invoices: list[InvoicePlan] = []
    failures: list[RunFailure] = []
    for customer_id in sorted(inputs.customers):
        entry = inputs.customers[customer_id]
        customer = inputs.bill_to.get(customer_id)
        try:
            invoices += plan_customer(inputs, entry)
        except Exception as error:  # one customer's bad data must not stop the run
            name = customer.legal_name if customer else f"#{customer_id}"
            failures.append(
                RunFailure(customer_id, name, FailedStep.BILLING, failure_detail(error))
            )
    return invoices, failures


def plan_period(period: Month | str, *, customer_ids: Iterable[int] | None = None) -> PeriodPlan:
    """Everything the run for `period` would bill now, grouped into invoices; writes nothing."""
    inputs = load_period(period, customer_ids)
    invoices, failures = plan_customers(inputs)
    return PeriodPlan(
        inputs.period,
        invoices,
        failures,
        inputs.bill_to,
        inputs.site_names,
        inputs.charge_credits,
    )
