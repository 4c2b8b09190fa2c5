"""Cost allocation at resolution: zero-rated or billed charges, free units, Fast Lane credit.

Ticket charges are offered to invoicing for the month of the resolution (their
billing_date), when they become known, so a charge is never offered for a month whose
invoicing has already run, and each is offered for exactly one month. Each charge also
carries the date of its service (service_date: the work date, the day the material was
used, the Fast Lane confirmation), which invoicing uses for the VAT rate (SPEC 5).
Selecting by service_date instead would lose the work of a ticket spanning a month end:
the November part of a ticket resolved on 1 December would be offered to the November
run, which has already run by then.

The contract year for the free units starts on the contract's start date; the host hooks
give the tier periods of a site (tier_spans), and the earliest day of the contract's
periods is its start, so no contracts code is imported and no hook payload had to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.toolkit import (
    ZURICH,
    BillableCharge,
    ChargeQuery,
    Site,
    UpgradeSigned,
    db,
    hooks,
    now,
    round_chf,
    tariff,
)
from plugins.servicedesk import tickets
from plugins.servicedesk.due import tier_version
from plugins.servicedesk.models import Charge, FastLaneCredit, Ticket, UnitUsage

SOURCE = "servicedesk"
BASE_SYSTEM_REASON = "Fault of a Winet base-system service: free of charge"
FREE_UNITS_REASON = "Free service units of the contract year"
EARLIEST = date(2000, 1, 1)
ZERO = Decimal("0.00")


def _anniversary(start: date, year: int) -> date:
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def contract_year(start: date, day: date) -> tuple[date, date]:
    """The contract year (first and last day) containing `day` of a contract from `start`."""
    first = _anniversary(start, day.year)
    if first > day:
        first = _anniversary(start, day.year - 1)
    following = _anniversary(start, first.year + 1)
    return first, following - timedelta(days=1)


def contract_start(contract_id: int, site_id: int, day: date) -> date | None:
    spans = hooks().tier_spans(first_day=EARLIEST, last_day=day, site_ids=[site_id]) or []
    starts = [span.first_day for span in spans if span.contract_id == contract_id]
    return min(starts) if starts else None


@dataclass(frozen=True)
class FreeUnits:
    """The free service units of a site's contract year: allowance, used and left."""

    contract_id: int
    year_first: date
    year_last: date
    allowance: int
    used: int
    unit_minutes: int

    @property
    def left(self) -> int:
        return max(self.allowance - self.used, 0)


def _units_of(tier_code: str, day: date) -> int:
    """Free service units per contract year of a tier, as the catalog says on `day`."""
    version = tier_version(tier_code, day)
    return version.free_service_units if version is not None else 0


def _allowance_on(site_id: int, day: date) -> int:
    tier = hooks().tier_in_force(site_id=site_id, at=datetime.combine(day, time(12), ZURICH))
    return _units_of(tier.tier_code, day) if tier is not None else 0


def free_units(site: Site | int, at: datetime) -> FreeUnits | None:
    """The site's free units at an instant. Unused units lapse at the end of the contract
    year by default; with the tariff servicedesk.free_units_lapse off they carry over."""
    site_id = site if isinstance(site, int) else site.id
    tier = hooks().tier_in_force(site_id=site_id, at=at)
    if tier is None:
        return None
    day = at.astimezone(ZURICH).date()
    start = contract_start(tier.contract_id, site_id, day) or tier.since
    first, last = contract_year(start, day)
    allowance = _units_of(tier.tier_code, day)
    spent = [UnitUsage.contract_id == tier.contract_id]
    if tariff("servicedesk.free_units_lapse", day):
        spent.append(UnitUsage.contract_year_start == first)
    else:
        year_start = start
        while year_start < first:
            allowance += _allowance_on(site_id, year_start)
            year_start = _anniversary(start, year_start.year + 1)
    used = db.session.scalar(select(func.coalesce(func.sum(UnitUsage.units), 0)).where(*spent))
    return FreeUnits(
        tier.contract_id,
        first,
        last,
        allowance,
        int(used),
        tariff("servicedesk.service_unit_minutes", day),
    )


def round_up(minutes: int, increment: int) -> int:
    return math.ceil(minutes / increment) * increment if minutes > 0 else 0


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.001"))


def _charge(
    ticket: Ticket, billing_date: date, service_date: date, reference: str, kind: str, **fields
) -> Charge:
    charge = Charge(
        ticket=ticket,
        reference=reference,
        kind=kind,
        customer_id=ticket.customer_id,
        site_id=ticket.site_id,
        billing_date=billing_date,
        service_date=service_date,
        **fields,
    )
    db.session.add(charge)
    return charge


UNITS_LOCK = 5150  # first key of the advisory lock serialising free-unit use per site


def _lock_free_units(site_id: int) -> None:
    """Two tickets of one site resolved at once must not both spend the last units."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :site)"), {"key": UNITS_LOCK, "site": site_id}
        )


def allocate(ticket: Ticket, at: datetime) -> list[Charge]:
    """The charges of a resolved ticket, by its fault origin (SPEC 4.7)."""
    if ticket.charges:
        return list(ticket.charges)
    day = at.astimezone(ZURICH).date()
    number = ticket.number
    prefix = f"ticket:{ticket.id}"
    increment = tariff("servicedesk.billing_increment_minutes", day)
    worked = [e for e in ticket.time_entries if e.kind in ("remote", "on_site")]
    work = sum(e.minutes for e in worked)
    billed = round_up(work, increment)
    # The service time is one line (rounded once per ticket), dated by its last work day.
    work_day = max((e.work_date for e in worked), default=day)
    # One flat travel fee per on-site visit: a visit is a day with on-site work. Travel
    # entries (there, back) are recorded for the record but billed neither by time nor
    # one by one.
    visits = sorted({e.work_date for e in ticket.time_entries if e.kind == "on_site"})
    free = ticket.fault_origin == "base_system"
    reason = BASE_SYSTEM_REASON if free else None
    rate = ZERO if free else tariff("servicedesk.hourly_rate", day)
    travel_fee = ZERO if free else tariff("servicedesk.travel_flat_fee", day)

    paid_minutes = billed
    if not free and billed:
        _lock_free_units(ticket.site_id)
        units = free_units(ticket.site_id, at)
        if units is not None and units.left:
            needed = math.ceil(billed / units.unit_minutes)
            used = min(needed, units.left)
            free_minutes = min(used * units.unit_minutes, billed)
            paid_minutes = billed - free_minutes
            db.session.add(
                UnitUsage(
                    ticket_id=ticket.id,
                    customer_id=ticket.customer_id,
                    site_id=ticket.site_id,
                    contract_id=units.contract_id,
                    contract_year_start=units.year_first,
                    units=used,
                    at=at,
                )
            )
            _charge(
                ticket,
                day,
                work_day,
                f"{prefix}:time:free",
                "time",
                description=(
                    f"{number} service time {free_minutes} min: {used} free service unit(s), "
                    f"contract year {units.year_first:%d.%m.%Y}-{units.year_last:%d.%m.%Y}"
                ),
                quantity=_hours(free_minutes),
                unit="h",
                unit_price=ZERO,
                amount=ZERO,
                zero_rated_reason=FREE_UNITS_REASON,
            )
    if paid_minutes:
        _charge(
            ticket,
            day,
            work_day,
            f"{prefix}:time",
            "time",
            description=f"{number} service time {paid_minutes} min (worked {work} min)",
            quantity=_hours(paid_minutes),
            unit="h",
            unit_price=rate,
            amount=round_chf(rate * paid_minutes / 60),
            zero_rated_reason=reason,
        )
    for visit in visits:
        _charge(
            ticket,
            day,
            visit,
            f"{prefix}:travel:{visit.isoformat()}",
            "travel",
            description=f"{number} travel flat fee, on-site visit {visit:%d.%m.%Y}",
            quantity=Decimal("1.000"),
            unit="visit",
            unit_price=travel_fee,
            amount=travel_fee,
            zero_rated_reason=reason,
        )
    for item in ticket.materials:
        price = ZERO if free else item.unit_price
        _charge(
            ticket,
            day,
            item.used_on,
            f"{prefix}:material:{item.id}",
            "material",
            description=f"{number} material: {item.description}",
            quantity=item.quantity,
            unit="pc",
            unit_price=price,
            amount=round_chf(price * item.quantity),
            zero_rated_reason=reason,
        )
    if ticket.fast_lane:
        fee = ZERO if free else ticket.fast_lane_fee
        confirmed = ticket.fast_lane_answered_at or at
        _charge(
            ticket,
            day,
            confirmed.astimezone(ZURICH).date(),
            fee_reference(ticket.id),
            "fast_lane",
            description=f"{number} Fast Lane fee (confirmed outside service hours)",
            quantity=Decimal("1.000"),
            unit="pc",
            unit_price=fee,
            amount=fee,
            zero_rated_reason=reason,
        )
    db.session.flush()
    credit = db.session.scalar(select(FastLaneCredit).where(FastLaneCredit.ticket_id == ticket.id))
    if credit is not None:
        _credit_charge(ticket, credit)
    db.session.flush()
    return list(ticket.charges)


def _credit_charge(ticket: Ticket, credit: FastLaneCredit) -> Charge | None:
    """The credit line for a credited fee, once the fee's own charge exists and is > 0.

    It is offered with credits_reference = the fee's reference (see `billable`): invoicing
    puts it on the next invoice while the fee is not yet on an issued invoice, and else
    issues a credit note for the fee's invoice (SPEC 4 Fast Lane credit, SPEC 5); either
    way it reports the credit billed through charges_billed.
    """
    fee = next((c for c in ticket.charges if c.kind == "fast_lane"), None)
    if fee is None or fee.amount <= 0:
        return None
    reference = f"ticket:{ticket.id}:fast_lane_credit"
    if any(c.reference == reference for c in ticket.charges):
        return None
    signed_day = credit.signed_at.astimezone(ZURICH).date()
    # Offered with the fee's month or, for a fee already offered, the signature's; the
    # credit reverses the fee at the fee's VAT date.
    return _charge(
        ticket,
        max(signed_day, fee.billing_date),
        fee.service_date,
        reference,
        "fast_lane_credit",
        description=(
            f"{ticket.number} credit of the Fast Lane fee ({fee.reference}): CLA upgrade "
            f"signed {signed_day:%d.%m.%Y}"
        ),
        quantity=Decimal("1.000"),
        unit="pc",
        unit_price=-fee.amount,
        amount=-fee.amount,
    )


def credit_fast_lane_fees(event: UpgradeSigned) -> list[FastLaneCredit]:
    """Credit every Fast Lane fee of the site from the days before the signature, once."""
    signed_at = event.signed_at
    days = tariff("servicedesk.fast_lane_credit_days", signed_at.astimezone(ZURICH).date())
    candidates = db.session.scalars(
        select(Ticket).where(
            Ticket.site_id == event.site_id,
            Ticket.fast_lane.is_(True),
            Ticket.fast_lane_answer == "confirmed",
            Ticket.fast_lane_answered_at >= signed_at - timedelta(days=days),
            Ticket.fast_lane_answered_at <= signed_at,
        )
    ).all()
    credited = []
    for ticket in candidates:
        exists = db.session.scalar(
            select(FastLaneCredit.id).where(FastLaneCredit.ticket_id == ticket.id)
        )
        if exists is not None:
            continue
        credit = FastLaneCredit(
            ticket_id=ticket.id,
            contract_id=event.contract_id,
            signed_at=signed_at,
            recorded_at=now(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(credit)
        except IntegrityError:
            continue  # credited at the same moment by another call: once only

        tickets.log(ticket, "fast_lane_credited", note=f"upgrade to {event.new_tier_code}")
        if ticket.charges:
            _credit_charge(ticket, credit)
        credited.append(credit)
    db.session.flush()
    return credited


def billable(query: ChargeQuery) -> list[BillableCharge]:
    # By billing_date (the month the charge became known), not service_date: see the
    # module docstring. service_date travels with the line for the VAT.
    statement = (
        select(Charge)
        .where(Charge.billing_date >= query.period_start, Charge.billing_date <= query.period_end)
        .order_by(Charge.id)
    )
    if query.customer_id is not None:
        statement = statement.where(Charge.customer_id == query.customer_id)
    if query.site_ids is not None:
        statement = statement.where(Charge.site_id.in_(list(query.site_ids)))
    return [
        BillableCharge(
            source=SOURCE,
            reference=c.reference,
            customer_id=c.customer_id,
            site_id=c.site_id,
            service_date=c.service_date,
            description=c.description,
            quantity=c.quantity,
            unit=c.unit,
            unit_price=c.unit_price,
            amount=c.amount,
            zero_rated_reason=c.zero_rated_reason,
            credits_reference=credited_reference(c),
        )
        for c in db.session.scalars(statement)
    ]


def fee_reference(ticket_id: int) -> str:
    """The reference of a ticket's Fast Lane fee charge."""
    return f"ticket:{ticket_id}:fast_lane"


def credited_reference(charge: Charge) -> str | None:
    """The reference of the charge a credit reverses: a Fast Lane credit reverses its
    ticket's fee, so invoicing can credit a fee already invoiced by a credit note."""
    if charge.kind == "fast_lane_credit":
        return fee_reference(charge.ticket_id)
    return None


def mark_billed(references: tuple[str, ...], invoice_id: int) -> None:
    for charge in db.session.scalars(select(Charge).where(Charge.reference.in_(references))):
        charge.invoice_id = invoice_id
    db.session.flush()
