"""The web shop: what a customer user may order, at which price, and what an order does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from app.toolkit import (
    ReactionKind,
    RecordNotFound,
    RuleViolation,
    Site,
    TierVersion,
    User,
    db,
    now,
    tier_versions_on,
    today,
)
from plugins.contracts.models import Contract
from plugins.contracts.services import order_tier
from plugins.contracts.vocabulary import ContractOrigin


@dataclass(frozen=True)
class ShopOffer:
    code: str
    name: str
    monthly_price: Decimal
    service_hours: str
    first_reaction: str


def first_reaction_promise(version: TierVersion) -> str:
    """The FirstReaction promise as the customer reads it (SPEC 1)."""
    if version.reaction_kind == ReactionKind.HOURS:
        hours = version.reaction_hours
        return ngettext("within %(num)d hour", "within %(num)d hours", hours)
    if version.reaction_kind == ReactionKind.NEXT_BUSINESS_DAY:
        return _("next business day")
    return _("best effort")


def shop_offers(on: date | None = None) -> list[ShopOffer]:
    """The tiers orderable today, highest first, with price and promise."""
    catalog = tier_versions_on(on or today())
    offers = [
        ShopOffer(
            code=code,
            name=version.name,
            monthly_price=version.monthly_price,
            service_hours=version.service_hours,
            first_reaction=first_reaction_promise(version),
        )
        for code, version in catalog.items()
    ]
    return sorted(offers, key=lambda offer: -catalog[offer.code].tier.rank)


def tier_rank(code: str, on: date | None = None) -> int:
    """The rank of an orderable tier (higher is more service)."""
    return tier_versions_on(on or today())[code].tier.rank


def order_in_shop(user: User, site_id: int, tier_code: str) -> Contract:
    """A customer's order: an active contract from today, or a change of the one in force.

    A site of another company is answered exactly like a missing one (RecordNotFound), so
    that the shop does not reveal which site ids exist.
    """
    if user.role != "customer" or user.customer_id is None:
        raise RuleViolation(_("Only customer users order in the web shop."))
    site = db.session.get(Site, site_id)
    if site is None or site.customer_id != user.customer_id:
        raise RecordNotFound(f"no site {site_id}")
    if not site.active:
        raise RuleViolation(_("This site is inactive."), "site")
    return order_tier(
        site, tier_code, origin=ContractOrigin.SHOP, start_date=today(), signed_at=now()
    )
