"""The reaction-time report for a customer and month, with tier fit (issue 13.5).

Every ticket of the customer reported in the month (Zurich clock), read from the ticket
and its log: reported, confirmed (the verification, or the Fast Lane confirmation),
first reaction, resolved, the FirstReaction and the resolution target met or breached
against the CLA, inside or outside service hours, the pause time and the Fast Lane fee
charged. The totals are sums over these rows, so they equal the ticket log.

Tier fit: for each tier of the catalog ranked above a site's tier, the calls of the month
reported outside the site's service hours that the higher tier's hours would have
covered, the Fast Lane fees charged for them (X), and what the higher tier costs more
per month for the sites concerned at list prices (Y): "with winCall pro+ these 3 calls
would have been inside service hours: CHF X Fast Lane fees against CHF Y more per month".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import ZURICH, Attachment, Customer, Tier, db, now, render_pdf, tariff
from plugins.servicedesk import reports, wording
from plugins.servicedesk.business_calendar import is_in_service_hours
from plugins.servicedesk.due import schedule_of, tier_version
from plugins.servicedesk.models import Ticket
from plugins.servicedesk.vocabulary import (
    ChargeKind,
    FastLaneAnswer,
    ReactionOutcome,
    TicketEventKind,
    TicketState,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    reported_at: datetime
    confirmed_at: datetime | None
    first_reaction_at: datetime | None
    resolved_at: datetime | None
    reaction: ReactionOutcome | None
    resolution: ReactionOutcome | None
    inside_service_hours: bool | None
    fast_lane_fee: Decimal  # charged (0.00 when zero-rated or not yet charged)
    paused: timedelta


@dataclass(frozen=True)
class TierOption:
    """What a higher tier would have changed in the month."""

    tier_code: str
    tier_name: str
    tickets: tuple[Ticket, ...]  # calls outside hours that it would have covered
    fees: Decimal  # X: Fast Lane fees charged for them
    extra_per_month: Decimal  # Y: the higher tier's list price more, for the sites concerned


@dataclass
class ReactionReport:
    customer: Customer
    year: int
    month: int
    rows: list[Row] = field(default_factory=list)
    options: list[TierOption] = field(default_factory=list)

    def count(self, outcome: ReactionOutcome, of: str = "reaction") -> int:
        return sum(1 for row in self.rows if getattr(row, of) == outcome)

    @property
    def inside(self) -> int:
        return sum(1 for row in self.rows if row.inside_service_hours)

    @property
    def outside(self) -> int:
        return sum(1 for row in self.rows if row.inside_service_hours is False)

    @property
    def fast_lane_fees(self) -> Decimal:
        return sum((row.fast_lane_fee for row in self.rows), ZERO)

    @property
    def paused(self) -> timedelta:
        return sum((row.paused for row in self.rows), timedelta(0))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


def _confirmed_at(ticket: Ticket) -> datetime | None:
    if ticket.fast_lane_answer == FastLaneAnswer.CONFIRMED:
        return ticket.fast_lane_answered_at
    return next((e.at for e in ticket.events if e.kind == TicketEventKind.VERIFIED), None)


def _fee(ticket: Ticket) -> Decimal:
    return sum((c.amount for c in ticket.charges if c.kind == ChargeKind.FAST_LANE), ZERO)


def row_of(ticket: Ticket, at: datetime) -> Row:
    return Row(
        ticket=ticket,
        reported_at=ticket.reported_at,
        confirmed_at=_confirmed_at(ticket),
        first_reaction_at=reports.reaction_given_at(ticket),
        resolved_at=ticket.resolved_at,
        reaction=reports.first_reaction_outcome(ticket, at),
        resolution=reports.resolution_outcome(ticket, at),
        inside_service_hours=ticket.inside_service_hours,
        fast_lane_fee=_fee(ticket),
        paused=reports.pause_time(ticket, at),
    )


def tier_options(rows: list[Row]) -> list[TierOption]:
    """The higher tiers that would have covered calls made outside service hours."""
    outside = [r.ticket for r in rows if r.inside_service_hours is False and r.ticket.tier_code]
    if not outside:
        return []
    tiers = {t.code: t for t in db.session.scalars(select(Tier).order_by(Tier.rank))}
    options = []
    for candidate in tiers.values():
        covered, sites = [], {}
        for ticket in outside:
            current = tiers.get(ticket.tier_code)
            if current is None or candidate.rank <= current.rank:
                continue
            day = ticket.reported_at.astimezone(ZURICH).date()
            version = tier_version(candidate.code, day)
            if version is None:
                continue
            if is_in_service_hours(schedule_of(version, day), ticket.reported_at):
                covered.append(ticket)
                sites[ticket.site_id] = ticket
        if not covered:
            continue
        extra = ZERO
        for ticket in sites.values():
            day = ticket.reported_at.astimezone(ZURICH).date()
            higher = tier_version(candidate.code, day)
            lower = tier_version(ticket.tier_code, day)
            extra += higher.monthly_price - (lower.monthly_price if lower else ZERO)
        version = tier_version(candidate.code, covered[0].reported_at.astimezone(ZURICH).date())
        options.append(
            TierOption(
                candidate.code,
                version.name,
                tuple(covered),
                sum((_fee(t) for t in covered), ZERO),
                extra,
            )
        )
    return options


def report_pdf(report: ReactionReport, month: str) -> bytes:
    """The report as a PDF on the letterhead, in the language in force."""
    # Outside a desk request (the invoice e-mail) the blueprint's helpers are not there.
    return render_pdf(
        "servicedesk/pdf/reaction_report.html",
        report=report,
        month=month,
        ReactionOutcome=ReactionOutcome,
        TicketState=TicketState,
        duration_text=wording.duration_text,
    )


def invoice_attachments(customer_id: int, service_month: str) -> list[Attachment]:
    """The month's report for the invoice e-mail, when the tariff
    servicedesk.reaction_report_with_invoice says so and the month had tickets."""
    year, month = (int(part) for part in service_month.split("-"))
    if not tariff("servicedesk.reaction_report_with_invoice", date(year, month, 1)):
        return []
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return []
    report = reaction_report(customer, year, month)
    if not report.rows:
        return []
    with force_locale(customer.language or "de"):
        pdf = report_pdf(report, service_month)
        name = _("reaction-times-%(month)s.pdf", month=service_month)
    return [Attachment(name, pdf)]


def reaction_report(
    customer: Customer, year: int, month: int, at: datetime | None = None
) -> ReactionReport:
    at = at or now()
    start, end = reports.month_bounds(year, month)
    tickets = db.session.scalars(
        select(Ticket)
        .options(
            selectinload(Ticket.events),
            selectinload(Ticket.charges),
            selectinload(Ticket.pauses),
            selectinload(Ticket.site),
        )
        .where(
            Ticket.customer_id == customer.id,
            Ticket.reported_at >= start,
            Ticket.reported_at < end,
            Ticket.state != TicketState.NEW,  # an unverified call is no incident
        )
        .order_by(Ticket.reported_at, Ticket.id)
    ).all()
    report = ReactionReport(customer, year, month, [row_of(t, at) for t in tickets])
    report.options = tier_options(report.rows)
    return report
