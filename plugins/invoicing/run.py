"""The monthly run: plan what a period bills, then write one draft invoice per transaction.

Idempotence does not rest on the plan being right: every billed item has a row in the
ledger (BilledSubscription, BilledCharge) with a unique key, written in the same
transaction as its invoice. A repeated run finds the keys and skips them; a concurrent
run that bills the same item first makes our insert fail, the transaction rolls back and
the group is planned again without it; a run killed halfway committed whole invoices only.

A credit (a negative charge) whose `credits_reference` is already on an issued invoice
is not a line of the new invoice: the run issues a credit note for that invoice instead
(`ChargeCredit`), recording the credit's own (source, reference) in the same transaction,
so it too is credited once.

Pages and the API queue a run (`start_run`) as a background job (`execute_run`), which
keeps the run record's status and counts up to date; the CLI and the scheduler run it
synchronously (`run_period`). Both write the same invoices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError

from app.toolkit import (
    BillableCharge,
    ChargeQuery,
    ChargesBilled,
    Customer,
    Site,
    TierSpan,
    acting_as,
    db,
    flatten,
    hooks,
    now,
)
from plugins.invoicing.billing import (
    ADVANCE_CREDIT,
    CHARGE,
    SETTLEMENT,
    BillingLine,
    ContractMonth,
    Month,
    PricedSegment,
    charge_lines,
    plan_month,
)
from plugins.invoicing.models import (
    RUN_ACTIVE,
    BilledCharge,
    BilledSubscription,
    Invoice,
    InvoiceLine,
    InvoiceRun,
)
from plugins.invoicing.sources import catalog_prices, first_billed_period, vat_table
from plugins.invoicing.vat import vat_summary

log = logging.getLogger(__name__)
_CHUNK = 500
# Within a site: last month's corrections, then this month's subscription, then charges.
_KIND_ORDER = {ADVANCE_CREDIT: 0, SETTLEMENT: 1, "advance": 2, CHARGE: 3}


@dataclass
class InvoicePlan:
    """What one invoice will hold: a customer, a site (None = consolidated) and its items."""

    customer_id: int
    site_id: int | None
    contracts: list[ContractMonth] = field(default_factory=list)
    charges: list[BillableCharge] = field(default_factory=list)
    charge_lines: list[BillingLine] = field(default_factory=list)

    @property
    def lines(self) -> list[BillingLine]:
        found = [line for contract in self.contracts for line in contract.lines]
        return found + self.charge_lines

    @property
    def total_net(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class ChargeCredit:
    """A credit whose credited charge is on an issued invoice: it becomes a credit note
    that references that invoice, not a line of the next invoice (SPEC 4 and 5)."""

    charge: BillableCharge
    invoice_id: int  # the issued invoice that billed charge.credits_reference


@dataclass(frozen=True)
class RunFailure:
    customer_id: int
    customer_name: str
    reason: str


@dataclass
class RunResult:
    period: str
    run_id: int | None = None
    invoice_ids: list[int] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)
    conflicts: int = 0  # groups another run billed first
    issued_numbers: list[str] = field(default_factory=list)
    # Credit notes issued for credits of charges already on an issued invoice.
    credit_note_ids: list[int] = field(default_factory=list)
    credit_note_numbers: list[str] = field(default_factory=list)


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
class PeriodPlan:
    period: Month
    invoices: list[InvoicePlan]
    failures: list[RunFailure]
    customers: dict[int, BillTo]
    site_names: dict[int, str]
    charge_credits: list[ChargeCredit] = field(default_factory=list)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load_customers(ids: Iterable[int]) -> dict[int, BillTo]:
    # Plain values, not ORM objects: they outlive the per-invoice commits without being
    # expired and reloaded, and keep the session small over a run of thousands.
    ids = sorted(set(ids))
    columns = [getattr(Customer, name) for name in BillTo.__dataclass_fields__]
    found: dict[int, BillTo] = {}
    for chunk in _chunks(ids):
        for row in db.session.execute(select(*columns).where(Customer.id.in_(chunk))):
            found[row.id] = BillTo(*row)
    return found


def _load_site_names(ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(ids))
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        names.update(db.session.execute(select(Site.id, Site.name).where(Site.id.in_(chunk))).all())
    return names


def _ledger(month: Month, previous: Month, contract_ids: Iterable[int] | None = None):
    """(advance billed now, settlement billed before, advances billed for the month before)."""
    statement = select(BilledSubscription).where(
        BilledSubscription.period.in_([month.label, previous.label])
    )
    rows: list[BilledSubscription] = []
    if contract_ids is None:
        rows = list(db.session.scalars(statement))
    else:
        for chunk in _chunks(sorted(set(contract_ids))):
            rows += db.session.scalars(
                statement.where(BilledSubscription.contract_id.in_(chunk))
            ).all()
    advanced_now = {r.contract_id for r in rows if r.period == month.label and r.kind == "advance"}
    settled_before = {
        r.contract_id for r in rows if r.period == previous.label and r.kind == "settlement"
    }
    advances_before = {
        r.contract_id: [
            PricedSegment.from_record(s, r.contract_id, r.customer_id, r.site_id)
            for s in r.segments
        ]
        for r in rows
        if r.period == previous.label and r.kind == "advance"
    }
    return advanced_now, settled_before, advances_before


def _unbilled_charges(charges: list[BillableCharge]) -> list[BillableCharge]:
    if not charges:
        return []
    keys = [(c.source, c.reference) for c in charges]
    billed: set[tuple[str, str]] = set()
    for chunk in _chunks(keys):
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
    for chunk in _chunks(keys):
        rows = db.session.execute(
            select(BilledCharge.source, BilledCharge.reference, Invoice.id)
            .join(Invoice, Invoice.id == BilledCharge.invoice_id)
            .where(
                tuple_(BilledCharge.source, BilledCharge.reference).in_(chunk),
                Invoice.kind == "invoice",
                Invoice.status != "draft",
            )
        ).all()
        found.update({(source, reference): invoice_id for source, reference, invoice_id in rows})
    return found


def _split_credits(
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


def plan_period(
    period: Month | str,
    *,
    customer_ids: Iterable[int] | None = None,
    settle_previous: bool | None = None,
) -> PeriodPlan:
    """Everything the run for `period` would bill now, grouped into invoices; writes nothing."""
    month = Month.coerce(period)
    previous = month.previous()
    if settle_previous is None:
        first = first_billed_period()
        settle_previous = first is None or previous >= Month.parse(first)
    only = set(customer_ids) if customer_ids is not None else None
    vat = vat_table()
    prices = catalog_prices()

    def spans(of: Month) -> list[TierSpan]:
        found = hooks().tier_spans(first_day=of.first_day, last_day=of.last_day, site_ids=None)
        return [s for s in found or () if only is None or s.customer_id in only]

    spans_now = spans(month)
    spans_before = spans(previous) if settle_previous else []
    contract_ids = {s.contract_id for s in spans_now} | {s.contract_id for s in spans_before}
    advanced_now, settled_before, advances_before = _ledger(
        month, previous, None if only is None else contract_ids
    )
    if not settle_previous:
        advances_before, settled_before = {}, set(advances_before) | settled_before
    if only is not None:
        advances_before = {
            cid: segs
            for cid, segs in advances_before.items()
            if segs and segs[0].customer_id in only
        }
    charges: list[BillableCharge] = []
    if settle_previous:
        query = ChargeQuery(period_start=previous.first_day, period_end=previous.last_day)
        charges = [
            c
            for c in flatten(hooks().billable_charges(query=query))
            if only is None or c.customer_id in only
        ]
        charges = _unbilled_charges(charges)
    charges, charge_credits = _split_credits(charges)

    by_customer: dict[int, dict[str, list]] = {}
    for span in spans_now:
        by_customer.setdefault(span.customer_id, {"now": [], "before": [], "adv": {}})[
            "now"
        ].append(span)
    for span in spans_before:
        by_customer.setdefault(span.customer_id, {"now": [], "before": [], "adv": {}})[
            "before"
        ].append(span)
    for contract_id, segments in advances_before.items():
        if segments:
            entry = by_customer.setdefault(
                segments[0].customer_id, {"now": [], "before": [], "adv": {}}
            )
            entry["adv"][contract_id] = segments
    charges_by_customer: dict[int, list[BillableCharge]] = {}
    for charge in charges:
        charges_by_customer.setdefault(charge.customer_id, []).append(charge)
        by_customer.setdefault(charge.customer_id, {"now": [], "before": [], "adv": {}})

    customers = _load_customers(set(by_customer) | {c.charge.customer_id for c in charge_credits})
    invoices: list[InvoicePlan] = []
    failures: list[RunFailure] = []
    site_ids: set[int] = set()
    for customer_id in sorted(by_customer):
        entry = by_customer[customer_id]
        customer = customers.get(customer_id)
        name = customer.legal_name if customer else f"customer {customer_id}"
        try:
            if customer is None:
                raise LookupError("the customer does not exist")
            contracts = plan_month(
                month,
                entry["now"],
                entry["before"],
                entry["adv"],
                prices,
                vat,
                skip_advance=advanced_now,
                skip_settlement=settled_before,
            )
            own_charges = charges_by_customer.get(customer_id, [])
            lines_of_charges = charge_lines(own_charges, vat)
        except Exception as error:  # one customer's bad data must not stop the run
            failures.append(RunFailure(customer_id, name, f"{type(error).__name__}: {error}"))
            continue
        consolidated = customer.invoice_mode == "consolidated"
        groups: dict[int | None, InvoicePlan] = {}

        def group(site_id: int | None, customer_id=customer_id, groups=groups, c=consolidated):
            key = None if c else site_id
            if key not in groups:
                groups[key] = InvoicePlan(customer_id, key)
            return groups[key]

        for contract in contracts:
            group(contract.site_id).contracts.append(contract)
            site_ids.add(contract.site_id)
        for charge, line in zip(own_charges, lines_of_charges, strict=True):
            plan = group(charge.site_id)
            plan.charges.append(charge)
            plan.charge_lines.append(line)
            site_ids.add(charge.site_id)
        invoices.extend(groups[key] for key in sorted(groups, key=lambda k: (k is None, k or 0)))
    return PeriodPlan(
        month, invoices, failures, customers, _load_site_names(site_ids), charge_credits
    )


# --- writing --------------------------------------------------------------------------


def _ordered_lines(plan: InvoicePlan, site_names: dict[int, str]) -> list[BillingLine]:
    return sorted(
        plan.lines,
        key=lambda line: (
            site_names.get(line.site_id, "") if line.site_id else "",
            line.site_id or 0,
            _KIND_ORDER.get(line.kind, 9),
            line.service_start,
            line.contract_id or 0,
        ),
    )


def _fill_bill_to(invoice: Invoice, customer: Customer | BillTo) -> None:
    invoice.language = customer.language
    invoice.bill_to_name = customer.legal_name
    invoice.bill_to_street = customer.street
    invoice.bill_to_house_number = customer.house_number or ""
    invoice.bill_to_postal_code = customer.postal_code
    invoice.bill_to_town = customer.town
    invoice.bill_to_country = customer.country
    invoice.bill_to_email = customer.billing_email


def set_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    summary = vat_summary((line.vat_rate, line.amount) for line in lines)
    invoice.total_net = summary.total_net
    invoice.total_vat = summary.total_vat
    invoice.total_gross = summary.total_gross
    invoice.rounding_difference = summary.rounding_difference
    invoice.payable = summary.payable


def _write_plan(
    plan: InvoicePlan, period: PeriodPlan, run_id: int | None
) -> tuple[Invoice | None, list[InvoiceLine]]:
    """Add the invoice, its lines and the ledger rows to the session (no commit)."""
    month, previous = period.period, period.period.previous()
    customer = period.customers[plan.customer_id]
    lines = _ordered_lines(plan, period.site_names)
    invoice = None
    rows: list[InvoiceLine] = []
    if lines:
        invoice = Invoice(
            kind="invoice",
            status="draft",
            customer_id=customer.id,
            site_id=plan.site_id,
            run_id=run_id,
            period=month.label,
            consolidated=plan.site_id is None,
        )
        _fill_bill_to(invoice, customer)
        for position, line in enumerate(lines, start=1):
            rows.append(
                InvoiceLine(
                    position=position,
                    kind=line.kind,
                    site_id=line.site_id,
                    site_name=period.site_names.get(line.site_id) if line.site_id else None,
                    contract_id=line.contract_id,
                    tier_code=line.tier_code,
                    description=line.description[:200],
                    service_start=line.service_start,
                    service_end=line.service_end,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    days=line.days,
                    days_in_month=line.days_in_month,
                    amount=line.amount,
                    vat_rate=line.vat_rate,
                    source=line.source,
                    reference=line.reference,
                    zero_rated_reason=line.zero_rated_reason,
                )
            )
        invoice.lines = rows
        set_totals(invoice, rows)
        db.session.add(invoice)
        db.session.flush()
    invoice_id = invoice.id if invoice else None
    ledger: list[dict] = []
    for contract in plan.contracts:
        base = {
            "contract_id": contract.contract_id,
            "customer_id": contract.customer_id,
            "site_id": contract.site_id,
            "invoice_id": invoice_id,
            "created_at": now(),
        }
        if contract.advance is not None:
            ledger.append(
                {
                    **base,
                    "period": month.label,
                    "kind": "advance",
                    "segments": [s.as_record() for s in contract.advance],
                }
            )
        if contract.settlement is not None:
            ledger.append(
                {
                    **base,
                    "period": previous.label,
                    "kind": "settlement",
                    "segments": [
                        {"kind": line.kind, "amount": str(line.amount)}
                        for line in contract.settlement
                    ],
                }
            )
    if ledger:
        db.session.execute(BilledSubscription.__table__.insert(), ledger)
    if plan.charges:
        db.session.execute(
            BilledCharge.__table__.insert(),
            [
                {
                    "source": c.source,
                    "reference": c.reference,
                    "invoice_id": invoice_id,
                    "created_at": now(),
                }
                for c in plan.charges
            ],
        )
    return invoice, rows


def _drop_billed(plan: InvoicePlan, month: Month) -> InvoicePlan:
    """The plan without what another run billed meanwhile (read after a conflict)."""
    previous = month.previous()
    advanced, settled, _ = _ledger(month, previous, [c.contract_id for c in plan.contracts])
    contracts = []
    for contract in plan.contracts:
        advance = None if contract.contract_id in advanced else contract.advance
        settlement = None if contract.contract_id in settled else contract.settlement
        if advance is None and settlement is None:
            continue
        contracts.append(
            ContractMonth(
                contract.contract_id,
                contract.customer_id,
                contract.site_id,
                advance,
                settlement,
                contract.advance_lines if advance is not None else (),
            )
        )
    remaining = set(_key(c) for c in _unbilled_charges(plan.charges))
    pairs = [(c, line) for c, line in zip(plan.charges, plan.charge_lines, strict=True)]
    kept = [(c, line) for c, line in pairs if _key(c) in remaining]
    return InvoicePlan(
        plan.customer_id,
        plan.site_id,
        contracts,
        [c for c, _ in kept],
        [line for _, line in kept],
    )


def _key(charge: BillableCharge) -> tuple[str, str]:
    return charge.source, charge.reference


def _announce_charges(plan: InvoicePlan, invoice_id: int) -> None:
    by_source: dict[str, list[str]] = {}
    for charge in plan.charges:
        by_source.setdefault(charge.source, []).append(charge.reference)
    for source, references in by_source.items():
        _tell_source(source, tuple(references), invoice_id)


def _tell_source(source: str, references: tuple[str, ...], invoice_id: int) -> None:
    """Tell the plugin a charge came from which invoice (or credit note) now bills it."""
    try:
        hooks().charges_billed(
            event=ChargesBilled(source=source, references=references, invoice_id=invoice_id)
        )
        db.session.commit()  # what the source recorded is kept, whatever happens next
    except Exception:  # the document stands; the source can re-sync from the ledger
        db.session.rollback()
        log.exception("charges_billed hook failed for %s (document %s)", source, invoice_id)


def bill_plan(plan: InvoicePlan, period: PeriodPlan, run_id: int | None) -> tuple[str, int | None]:
    """Write one invoice in its own transaction: ("created"|"nothing"|"conflict", id)."""
    for _attempt in range(3):
        if not plan.contracts and not plan.charges:
            return "conflict", None
        try:
            invoice, _ = _write_plan(plan, period, run_id)
            invoice_id = invoice.id if invoice else None
            db.session.commit()
            if invoice is not None:
                db.session.expunge(invoice)  # with its lines: the session stays small
        except IntegrityError:
            # Another run billed some of these items first: plan without them and retry.
            db.session.rollback()
            plan = _drop_billed(plan, period.period)
            continue
        if invoice_id is not None and plan.charges:
            _announce_charges(plan, invoice_id)
        return ("created" if invoice_id else "nothing"), invoice_id
    return "conflict", None


# --- the run as a whole ---------------------------------------------------------------

# How often a run writes its counts so far (and its heartbeat) while it works.
PROGRESS_SECONDS = 1.0
# A queued or running run whose heartbeat is older than this is taken for dead (its
# worker was killed): it no longer blocks a new run of its period.
STALE_AFTER = timedelta(minutes=15)
JOB = "plugins.invoicing.jobs:run_in_background"


class RunInProgress(RuntimeError):
    """A run of the same period is already queued or running; `run` is that one."""

    def __init__(self, run: InvoiceRun):
        super().__init__(f"a run of {run.period} is already {run.status} (run {run.id})")
        self.run = run


def _failure_records(failures: Iterable[RunFailure]) -> list[dict]:
    return [
        {"customer_id": f.customer_id, "customer": f.customer_name, "reason": f.reason}
        for f in failures
    ]


def _save(run_id: int, **values) -> None:
    """Write to the run record in a transaction of its own."""
    db.session.execute(
        update(InvoiceRun).where(InvoiceRun.id == run_id).values(updated_at=now(), **values)
    )
    db.session.commit()


def _counts(result: RunResult) -> dict:
    """What the run record shows of a run's progress so far."""
    return {
        "invoices_created": len(result.invoice_ids),
        "conflicts": result.conflicts,
        "failures": _failure_records(result.failures),
    }


def _progress(run_id: int, result: RunResult) -> None:
    _save(run_id, **_counts(result))


def _close(run_id: int, status: str, **values) -> None:
    """End a run record (finished or failed): it no longer holds its period."""
    _save(run_id, status=status, active_period=None, finished_at=now(), **values)


def _new_run(month: Month, *, status: str, issue: bool, actor: str, holds_period: bool):
    """A run record started now; a queued web/API run holds its period (one at a time)."""
    instant = now()
    return InvoiceRun(
        period=month.label,
        status=status,
        actor=actor,
        issue=issue,
        requested_at=instant,
        started_at=instant,
        updated_at=instant,
        active_period=month.label if holds_period else None,
    )


def _is_stale(run: InvoiceRun) -> bool:
    heartbeat = run.updated_at or run.requested_at or run.started_at
    return heartbeat is None or now() - heartbeat > STALE_AFTER


def active_run(period: str) -> InvoiceRun | None:
    """The run of `period` queued or running now, if any; a stale one is marked failed."""
    runs = db.session.scalars(
        select(InvoiceRun)
        .where(InvoiceRun.period == period, InvoiceRun.status.in_(RUN_ACTIVE))
        .order_by(InvoiceRun.id)
    ).all()
    for run in runs:
        if not _is_stale(run):
            return run
        _close(
            run.id,
            "failed",
            error=f"no progress since {run.updated_at or run.started_at:%Y-%m-%d %H:%M} UTC; "
            "the job was probably stopped",
        )
    return None


def start_run(period: Month | str, *, issue: bool = False, actor: str = "system") -> InvoiceRun:
    """Queue a run of `period` as a background job and return its record at once.

    Raises RunInProgress when a run of the period is already queued or running. Without a
    broker the job may have run (even finished) by the time this returns.
    """
    from app.toolkit import enqueue_call

    month = Month.coerce(period)
    existing = active_run(month.label)
    if existing is not None:
        raise RunInProgress(existing)
    record = _new_run(month, status="queued", issue=issue, actor=actor, holds_period=True)
    db.session.add(record)
    try:
        db.session.commit()
    except IntegrityError:  # another clerk queued the same period a moment ago
        db.session.rollback()
        existing = db.session.scalar(
            select(InvoiceRun).where(InvoiceRun.active_period == month.label)
        )
        if existing is None:
            raise
        raise RunInProgress(existing) from None
    run_id = record.id
    try:
        enqueue_call(JOB, run_id)
    except Exception as error:  # the broker is unreachable: the run must not stay queued
        db.session.rollback()
        _close(run_id, "failed", error=f"could not be queued: {type(error).__name__}: {error}")
        raise
    record = db.session.get(InvoiceRun, run_id)
    db.session.refresh(record)
    return record


def execute_run(run_id: int) -> RunResult | None:
    """The background job: claim the queued run `run_id` and do it.

    Returns None when the run is no longer queued (done, or given up as stale). A run that
    breaks is recorded as failed with the error, not raised: the job has no one to tell.
    """
    claimed = db.session.execute(
        update(InvoiceRun)
        .where(InvoiceRun.id == run_id, InvoiceRun.status == "queued")
        .values(status="running", started_at=now(), updated_at=now())
    ).rowcount
    db.session.commit()
    if not claimed:
        log.warning("invoice run %s is not queued any more; nothing to do", run_id)
        return None
    record = db.session.get(InvoiceRun, run_id)
    period, issue, actor = record.period, record.issue, record.actor
    try:
        return _execute(run_id, Month.parse(period), issue=issue, actor=actor)
    except Exception:
        log.exception("invoice run %s failed", run_id)
        return None


def run_period(
    period: Month | str,
    *,
    issue: bool = False,
    actor: str = "system",
    customer_ids: Iterable[int] | None = None,
) -> RunResult:
    """The monthly run, synchronously: drafts for everything unbilled of `period`; optionally
    issue them. (Pages and the API queue it with `start_run` instead.)"""
    month = Month.coerce(period)
    with acting_as(actor):
        record = _new_run(month, status="running", issue=issue, actor=actor, holds_period=False)
        db.session.add(record)
        db.session.commit()
        run_id = record.id
    return _execute(run_id, month, issue=issue, actor=actor, customer_ids=customer_ids)


def _execute(
    run_id: int,
    month: Month,
    *,
    issue: bool,
    actor: str,
    customer_ids: Iterable[int] | None = None,
) -> RunResult:
    """Bill `month` for the run record `run_id` (already running), keeping it up to date."""
    result = RunResult(period=month.label, run_id=run_id)
    try:
        with acting_as(actor):
            _bill(run_id, month, result, issue=issue, actor=actor, customer_ids=customer_ids)
    except BaseException as error:
        db.session.rollback()
        _close(run_id, "failed", error=f"{type(error).__name__}: {error}", **_counts(result))
        raise
    _close(run_id, "finished", invoices_issued=len(result.issued_numbers), **_counts(result))
    return result


def _bill(
    run_id: int,
    month: Month,
    result: RunResult,
    *,
    issue: bool,
    actor: str,
    customer_ids: Iterable[int] | None,
) -> None:
    plan = plan_period(month, customer_ids=customer_ids)
    result.failures.extend(plan.failures)
    _save(run_id, invoices_planned=len(plan.invoices), failures=_failure_records(result.failures))
    last_saved = time.monotonic()
    for invoice_plan in plan.invoices:
        try:
            outcome, invoice_id = bill_plan(invoice_plan, plan, run_id)
        except Exception as error:  # report and go on with the next customer
            db.session.rollback()
            customer = plan.customers.get(invoice_plan.customer_id)
            result.failures.append(
                RunFailure(
                    invoice_plan.customer_id,
                    customer.legal_name if customer else "?",
                    f"{type(error).__name__}: {error}",
                )
            )
        else:
            if outcome == "created":
                result.invoice_ids.append(invoice_id)
            elif outcome == "conflict":
                result.conflicts += 1
        if time.monotonic() - last_saved >= PROGRESS_SECONDS:
            _progress(run_id, result)
            last_saved = time.monotonic()
    for credit in plan.charge_credits:
        _credit_by_note(credit, plan, result, actor=actor)
    if issue and result.invoice_ids:
        from plugins.invoicing.issuing import issue_invoices

        _progress(run_id, result)
        issued = issue_invoices(result.invoice_ids, actor=actor)
        result.issued_numbers = [number for number in issued.numbers]
        result.failures.extend(issued.failures)


def _credit_by_note(credit: ChargeCredit, plan: PeriodPlan, result: RunResult, *, actor: str):
    """Issue the credit note for one credit of an invoiced charge, in its own transaction,
    store its PDF and tell the source the credit is billed (on the credit note).

    The run issues it directly, with or without --issue: a credit note corrects an invoice
    already issued and is issued when made, as finance's credit notes are (there are no
    draft credit notes); its amount is the source's, not an estimate to review.
    """
    from plugins.invoicing.credit_notes import credit_invoiced_charge
    from plugins.invoicing.issuing import render_and_store

    charge = credit.charge
    customer = plan.customers.get(charge.customer_id)
    name = customer.legal_name if customer else "?"
    try:
        note = credit_invoiced_charge(charge, credit.invoice_id, actor=actor)
        if note is None:  # a concurrent run credited it first
            db.session.rollback()
            result.conflicts += 1
            return
        note_id, number = note.id, note.number
        db.session.commit()
    except IntegrityError:  # the ledger row of a concurrent run won
        db.session.rollback()
        result.conflicts += 1
        return
    except Exception as error:  # report and go on
        db.session.rollback()
        result.failures.append(
            RunFailure(
                charge.customer_id,
                name,
                f"credit note for {charge.source}/{charge.reference}: "
                f"{type(error).__name__}: {error}",
            )
        )
        return
    result.credit_note_ids.append(note_id)
    result.credit_note_numbers.append(number)
    _tell_source(charge.source, (charge.reference,), note_id)
    try:
        render_and_store([note_id])
    except Exception as error:  # issued and booked; only its PDF is missing
        db.session.rollback()
        log.exception("rendering credit note %s failed", number)
        result.failures.append(
            RunFailure(charge.customer_id, name, f"PDF of credit note {number}: {error}")
        )
