"""The catalog price of each day of service: tier history crossed with the versioned catalog."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.database import db
from app.models import Tier, TierVersion
from app.money import pro_rata
from plugins.contracts import queries


@dataclass(frozen=True)
class PricedSpan:
    """Consecutive days of one month with one tier at one catalog price."""

    contract_id: int
    site_id: int
    tier_code: str
    first_day: date
    last_day: date
    monthly_price: Decimal
    days_in_month: int

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def amount(self) -> Decimal:
        """Monthly price x days / days in the month, rounded to 0.01 half up (SPEC 5)."""
        return pro_rata(self.monthly_price, self.days, self.days_in_month)


def _versions_by_code() -> dict[str, list[TierVersion]]:
    rows = db.session.execute(
        select(Tier.code, TierVersion).join(TierVersion.tier).order_by(TierVersion.valid_from)
    ).all()
    found: dict[str, list[TierVersion]] = {}
    for code, version in rows:
        found.setdefault(code, []).append(version)
    return found


def _version_on(versions: list[TierVersion], day: date) -> TierVersion | None:
    valid = [v for v in versions if v.valid_from <= day]
    return valid[-1] if valid else None


def priced_month(
    year: int, month: int, site_ids: Collection[int] | None = None
) -> list[PricedSpan]:
    """Every site's days of the month, split where the tier or the catalog price changes."""
    first = date(year, month, 1)
    length = monthrange(year, month)[1]
    last = date(year, month, length)
    versions = _versions_by_code()
    priced = []
    for span in queries.tier_spans(first, last, site_ids):
        tier_versions = versions.get(span.tier_code, [])
        cuts = sorted(
            {span.first_day}
            | {
                v.valid_from
                for v in tier_versions
                if span.first_day < v.valid_from <= span.last_day
            }
        )
        for index, start in enumerate(cuts):
            stop = cuts[index + 1] - timedelta(days=1) if index + 1 < len(cuts) else span.last_day
            version = _version_on(tier_versions, start)
            if version is None:
                continue  # not in the catalog yet: nothing can be charged
            priced.append(
                PricedSpan(
                    span.contract_id,
                    span.site_id,
                    span.tier_code,
                    start,
                    stop,
                    version.monthly_price,
                    length,
                )
            )
    return priced


def daily_prices(site_id: int, year: int, month: int) -> list[tuple[date, str, Decimal]]:
    """(day, tier, catalog monthly price valid that day) for each served day of the month."""
    days = []
    for span in priced_month(year, month, [site_id]):
        day = span.first_day
        while day <= span.last_day:
            days.append((day, span.tier_code, span.monthly_price))
            day += timedelta(days=1)
    return days


def month_amount(site_id: int, year: int, month: int) -> Decimal:
    """The site's subscription for the month at list price, each span rounded on its own."""
    return sum((span.amount for span in priced_month(year, month, [site_id])), Decimal("0.00"))
