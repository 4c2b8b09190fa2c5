"""What the run reads from the host: catalog prices by day and the VAT rate table."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.toolkit import Tariff, Tier, db, declared_keys, parse_value, tariff
from plugins.invoicing.billing import CatalogPrice
from plugins.invoicing.vat import VatRatePeriod, normalize_rate_table

VAT_KEY = "core.vat_standard_percent"


def catalog_prices() -> dict[str, list[CatalogPrice]]:
    """Every tier's catalog versions (valid-from, monthly price, name), oldest first."""
    tiers = db.session.scalars(select(Tier).options(selectinload(Tier.versions))).all()
    return {
        tier.code: [
            CatalogPrice(version.valid_from, version.monthly_price, version.name)
            for version in tier.versions
        ]
        for tier in tiers
    }


def vat_table() -> tuple[VatRatePeriod, ...]:
    """The effective-dated standard VAT rates finance maintains as core tariff rows."""
    declaration = declared_keys()[VAT_KEY]
    rows = db.session.execute(
        select(Tariff.valid_from, Tariff.value).where(Tariff.key == VAT_KEY)
    ).all()
    return normalize_rate_table(
        (valid_from, parse_value(declaration, value)) for valid_from, value in rows
    )


def first_billed_period() -> str | None:
    """INVOICING_FIRST_PERIOD: months before it were billed elsewhere and are never settled."""

    return current_app.config.get("INVOICING_FIRST_PERIOD")


def tariff_on(key: str, day: date):

    return tariff(key, on=day)
