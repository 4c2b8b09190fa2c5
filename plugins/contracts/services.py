"""Contract rules: starting a contract (the lifecycle grows here)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from app.database import db
from app.models import Site, Tier
from app.services import RuleViolation
from plugins.contracts.models import IN_FORCE_STATES, Contract, ContractTierPeriod


def tier_by_code(code: str) -> Tier:
    tier = db.session.scalar(select(Tier).where(Tier.code == code))
    if tier is None:
        raise RuleViolation(f"unknown tier {code!r}", "tier")
    return tier


def contract_in_force(site: Site) -> Contract | None:
    return db.session.scalar(
        select(Contract).where(Contract.site_id == site.id, Contract.state.in_(IN_FORCE_STATES))
    )


def start_contract(
    site: Site,
    tier_code: str,
    start_date: date,
    *,
    origin: str = "manual",
    signed_at: datetime | None = None,
) -> Contract:
    """An active contract for a site from start_date on the given tier."""
    tier = tier_by_code(tier_code)
    if tier.version_on(start_date) is None:
        raise RuleViolation(f"tier {tier_code} is not in the catalog on {start_date}", "tier")
    if contract_in_force(site) is not None:
        raise RuleViolation(f"site {site.name} already has a contract in force", "site")
    contract = Contract(
        customer_id=site.customer_id,
        site=site,
        state="active",
        start_date=start_date,
        origin=origin,
        signed_at=signed_at,
    )
    contract.periods.append(
        ContractTierPeriod(tier=tier, first_day=start_date, change="start", signed_at=signed_at)
    )
    db.session.add(contract)
    db.session.flush()
    return contract
