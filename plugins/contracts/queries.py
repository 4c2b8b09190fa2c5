"""The two questions other plugins ask: the tier at an instant, and the tier per day."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select

from app.toolkit import ZURICH, AgreedDiscount, Tier, TierInForce, TierSpan, db
from plugins.contracts.models import Contract, ContractTierPeriod
from plugins.contracts.vocabulary import BILLABLE


def tier_in_force(site_id: int, at: datetime) -> TierInForce | None:
    """The tier in force at a site at an instant (its Zurich calendar day)."""
    day = at.astimezone(ZURICH).date()
    row = db.session.execute(
        select(
            Contract.id,
            Contract.customer_id,
            Tier.code,
            ContractTierPeriod.first_day,
            Contract.start_date,
        )
        .join(ContractTierPeriod, ContractTierPeriod.contract_id == Contract.id)
        .join(Tier, Tier.id == ContractTierPeriod.tier_id)
        .where(
            Contract.site_id == site_id,
            Contract.state.in_(BILLABLE),
            Contract.start_date <= day,
            or_(Contract.end_date.is_(None), Contract.end_date >= day),
            ContractTierPeriod.first_day <= day,
            or_(ContractTierPeriod.last_day.is_(None), ContractTierPeriod.last_day >= day),
        )
        .limit(1)
    ).first()
    if row is None:
        return None
    contract_id, customer_id, code, since, start = row
    return TierInForce(contract_id, customer_id, site_id, code, since, start)


def tier_spans(
    first_day: date, last_day: date, site_ids: Collection[int] | None = None
) -> list[TierSpan]:
    """Every site's tier on each day of [first_day, last_day], as runs of days."""
    statement = (
        select(
            Contract.id,
            Contract.customer_id,
            Contract.site_id,
            Contract.end_date,
            Contract.start_date,
            Contract.volume_discount_percent,
            Contract.special_discount_percent,
            Tier.code,
            ContractTierPeriod.first_day,
            ContractTierPeriod.last_day,
        )
        .join(ContractTierPeriod, ContractTierPeriod.contract_id == Contract.id)
        .join(Tier, Tier.id == ContractTierPeriod.tier_id)
        .where(
            Contract.state.in_(BILLABLE),
            ContractTierPeriod.first_day <= last_day,
            or_(ContractTierPeriod.last_day.is_(None), ContractTierPeriod.last_day >= first_day),
            and_(or_(Contract.end_date.is_(None), Contract.end_date >= first_day)),
        )
        .order_by(Contract.site_id, ContractTierPeriod.first_day)
    )
    if site_ids is not None:
        statement = statement.where(Contract.site_id.in_(list(site_ids)))
    spans = []
    for row in db.session.execute(statement):
        contract_id, customer_id, site_id, end_date, _, volume, special, code, start, stop = row
        span_first = max(start, first_day)
        span_last = min(d for d in (stop, end_date, last_day) if d is not None)
        if span_last >= span_first:
            spans.append(
                TierSpan(
                    contract_id,
                    customer_id,
                    site_id,
                    code,
                    span_first,
                    span_last,
                    discount=AgreedDiscount(volume or Decimal("0"), special or Decimal("0")),
                )
            )
    return spans
