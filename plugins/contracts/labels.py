"""The template filters of contracts: words for its codes, names for tiers.

The codes stay in the database, the API and machine-readable attributes (data-*, class
names); pages show the words, which come from the vocabularies (plugins/contracts/
vocabulary.py). An unknown code is shown as it is, so a new code never breaks a page.
"""

from __future__ import annotations

from datetime import date

from flask import has_request_context, request

from app.toolkit import Tier, tier_versions_on, today
from plugins.contracts.vocabulary import (
    Approval,
    ContractOrigin,
    ContractState,
    QuoteState,
    TierChange,
)

_CACHE_KEY = "winet.contracts.tier_names"


def _tier_names(day: date) -> dict[str, str]:
    """Tier code -> catalog name valid on `day`, looked up once per request and day."""
    cache = request.environ.setdefault(_CACHE_KEY, {}) if has_request_context() else {}
    if day not in cache:
        cache[day] = {code: version.name for code, version in tier_versions_on(day).items()}
    return cache[day]


def tier_name(tier: Tier | str | None, on: date | None = None) -> str:
    """The catalog's name of a tier ("winCall pro 5x12h") valid on `on` (today by default).

    A tier missing from the catalog that day gets today's name, failing that its code.
    """
    if tier is None or tier == "":
        return ""
    code = tier.code if isinstance(tier, Tier) else str(tier)
    name = _tier_names(on).get(code) if on is not None else None
    return name or _tier_names(today()).get(code, code)


FILTERS = {
    "contract_state": ContractState.label_of,
    "quote_state": QuoteState.label_of,
    "quote_approval": Approval.label_of,
    "contract_origin": ContractOrigin.label_of,
    "tier_change": TierChange.label_of,
    "tier_name": tier_name,
}
