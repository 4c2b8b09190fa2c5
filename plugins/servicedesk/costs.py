"""Cost allocation at resolution: the charges of a ticket, free units, Fast Lane credit.

The prices come from `pricing.price_ticket` (a pure function); this module reads what it
needs (time, material, tariffs, the free units left), writes the charges it returns and
answers invoicing through the hooks.

Ticket charges are offered to invoicing for the month of the resolution (their
billing_date), when they become known, so a charge is never offered for a month whose
invoicing has already run, and each is offered until it is billed. Each charge also
carries the days of its service (service_days: the minutes worked per work day, the day
of a visit, the day the material was used, the Fast Lane confirmation), which invoicing
uses for the VAT rate of each day (SPEC 5). Selecting by the service days instead would
lose the work of a ticket spanning a month end: the November part of a ticket resolved
on 1 December would be offered to the November run, which has already run by then.

The contract year for the free units starts on the contract's first day, which the
tier_in_force hook gives (TierInForce.contract_start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.toolkit import (
    ZURICH,
    BillableCharge,
    ChargeQuery,
    Customer,
    Site,
    UpgradeSigned,
    db,
    hooks,
    now,
    tariff,
)
from plugins.servicedesk import pricing, tickets
from plugins.servicedesk.due import tier_version
from plugins.servicedesk.models import Charge, FastLaneCredit, Ticket, UnitUsage
from plugins.servicedesk.vocabulary import (
    WORK_KINDS,
    ChargeKind,
    FastLaneAnswer,
    TicketEventKind,
)

SOURCE = "servicedesk"
DEFAULT_LANGUAGE = "de"  # a customer without a language reads German, like the host


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
    start = tier.contract_start
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


UNITS_LOCK = 5150  # first key of the advisory lock serialising free-unit use per site


def _lock_free_units(site_id: int) -> None:
    """Two tickets of one site resolved at once must not both spend the last units."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :site)"), {"key": UNITS_LOCK, "site": site_id}
        )


def _write(ticket: Ticket, billing_date: date, priced: pricing.PricedCharge) -> Charge:
    charge = Charge(
        ticket=ticket,
        reference=f"ticket:{ticket.id}:{priced.suffix}",
        kind=priced.kind,
        customer_id=ticket.customer_id,
        site_id=ticket.site_id,
        billing_date=billing_date,
        service_date=priced.service_date,
        service_days=[[day.isoformat(), weight] for day, weight in priced.service_days],
        description_code=priced.description_code,
        description_params=priced.description_params,
        quantity=priced.quantity,
        unit=priced.unit,
        unit_price=priced.unit_price,
        amount=priced.amount,
        zero_rated_reason=priced.zero_rated_reason,
    )
    db.session.add(charge)
    return charge


def _tariffs(day: date) -> pricing.Tariffs:
    return pricing.Tariffs(
        hourly_rate=tariff("servicedesk.hourly_rate", day),
        increment_minutes=tariff("servicedesk.billing_increment_minutes", day),
        travel_flat_fee=tariff("servicedesk.travel_flat_fee", day),
        unit_minutes=tariff("servicedesk.service_unit_minutes", day),
    )


def allocate(ticket: Ticket, at: datetime) -> list[Charge]:
    """Price a resolved ticket (pricing.price_ticket) and write its charges, once."""
    if ticket.charges:
        return list(ticket.charges)
    day = at.astimezone(ZURICH).date()
    entries = [pricing.TimeWorked(e.kind, e.work_date, e.minutes) for e in ticket.time_entries]
    units = None
    if any(e.kind in WORK_KINDS for e in entries):
        _lock_free_units(ticket.site_id)
        units = free_units(ticket.site_id, at)
    fast_lane = None
    if ticket.fast_lane:
        confirmed = ticket.fast_lane_answered_at or at
        fast_lane = pricing.FastLane(ticket.fast_lane_fee, confirmed.astimezone(ZURICH).date())
    priced = pricing.price_ticket(
        ticket_number=ticket.number,
        fault_origin=ticket.fault_origin,
        time_entries=entries,
        materials=[
            pricing.MaterialUsed(str(m.id), m.description, m.quantity, m.unit_price, m.used_on)
            for m in ticket.materials
        ],
        fast_lane=fast_lane,
        tariffs=_tariffs(day),
        free_units=(
            pricing.UnitsLeft(units.left, units.year_first, units.year_last) if units else None
        ),
        evidence=ticket.fault_origin_evidence,
    )
    for charge in priced.charges:
        _write(ticket, day, charge)
    if priced.free_units_used:
        db.session.add(
            UnitUsage(
                ticket_id=ticket.id,
                customer_id=ticket.customer_id,
                site_id=ticket.site_id,
                contract_id=units.contract_id,
                contract_year_start=units.year_first,
                units=priced.free_units_used,
                at=at,
            )
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
    fee = next((c for c in ticket.charges if c.kind == ChargeKind.FAST_LANE), None)
    if fee is None or any(c.kind == ChargeKind.FAST_LANE_CREDIT for c in ticket.charges):
        return None
    signed_day = credit.signed_at.astimezone(ZURICH).date()
    priced = pricing.fast_lane_credit(ticket.number, fee.amount, fee.days, signed_day)
    if priced is None:
        return None
    # Offered with the fee's month or, for a fee already offered, the signature's; the
    # credit reverses the fee at the fee's VAT days.
    return _write(ticket, max(signed_day, fee.billing_date), priced)


def credit_window_start(signed_at: datetime, days: int) -> datetime:
    """The first instant whose Fast Lane fee an upgrade signed at `signed_at` credits:
    `days` calendar days earlier on the Zurich clock (across a change to or from summer
    time that is 23 or 25 hours more or less than days x 24 h)."""
    return signed_at.astimezone(ZURICH) - timedelta(days=days)


def credit_fast_lane_fees(event: UpgradeSigned) -> list[FastLaneCredit]:
    """Credit every Fast Lane fee of the site from the days before the signature, once."""
    signed_at = event.signed_at
    days = tariff("servicedesk.fast_lane_credit_days", signed_at.astimezone(ZURICH).date())
    candidates = db.session.scalars(
        select(Ticket).where(
            Ticket.site_id == event.site_id,
            Ticket.fast_lane.is_(True),
            Ticket.fast_lane_answer == FastLaneAnswer.CONFIRMED,
            Ticket.fast_lane_answered_at >= credit_window_start(signed_at, days),
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

        tickets.log(
            ticket, TicketEventKind.FAST_LANE_CREDITED, params={"tier": event.new_tier_code}
        )
        if ticket.charges:
            _credit_charge(ticket, credit)
        credited.append(credit)
    db.session.flush()
    return credited


def billable(query: ChargeQuery) -> list[BillableCharge]:
    """The charges not yet billed whose billing date lies in the query's range, each worded
    in its customer's language (the invoice's)."""
    # By billing_date (the month the charge became known), not service_date: see the
    # module docstring. The service days travel with the line for the VAT.
    statement = (
        select(Charge, Customer.language)
        .join(Customer, Customer.id == Charge.customer_id)
        .where(Charge.invoice_id.is_(None), Charge.billing_date <= query.period_end)
        .order_by(Charge.id)
    )
    if query.period_start is not None:
        statement = statement.where(Charge.billing_date >= query.period_start)
    if query.customer_id is not None:
        statement = statement.where(Charge.customer_id == query.customer_id)
    if query.site_ids is not None:
        statement = statement.where(Charge.site_id.in_(list(query.site_ids)))
    by_language: dict[str, list[Charge]] = {}
    for charge, language in db.session.execute(statement):
        by_language.setdefault(language or DEFAULT_LANGUAGE, []).append(charge)
    offered: list[tuple[int, BillableCharge]] = []
    for language, charges in by_language.items():
        with force_locale(language):
            offered += [(charge.id, _offered(charge)) for charge in charges]
    return [charge for _id, charge in sorted(offered, key=lambda pair: pair[0])]


def _offered(charge: Charge) -> BillableCharge:
    """A charge as invoicing bills it, worded in the language in force."""
    return BillableCharge(
        source=SOURCE,
        reference=charge.reference,
        customer_id=charge.customer_id,
        site_id=charge.site_id,
        service_date=charge.service_date,
        service_days=charge.days,
        description=charge.description,
        quantity=charge.quantity,
        unit=charge.unit_text,
        unit_price=charge.unit_price,
        amount=charge.amount,
        zero_rated_reason=charge.reason_text,
        credits_reference=credited_reference(charge),
    )


def fee_reference(ticket_id: int) -> str:
    """The reference of a ticket's Fast Lane fee charge."""
    return f"ticket:{ticket_id}:fast_lane"


def credited_reference(charge: Charge) -> str | None:
    """The reference of the charge a credit reverses: a Fast Lane credit reverses its
    ticket's fee, so invoicing can credit a fee already invoiced by a credit note."""
    if charge.kind == ChargeKind.FAST_LANE_CREDIT:
        return fee_reference(charge.ticket_id)
    return None


def mark_billed(references: tuple[str, ...], invoice_id: int | None) -> None:
    """Invoicing put the charges on an invoice, or (None) released them: their draft was
    discarded, so the next run offers them again."""
    for charge in db.session.scalars(select(Charge).where(Charge.reference.in_(references))):
        charge.invoice_id = invoice_id
    db.session.flush()
