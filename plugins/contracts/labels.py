"""Words for the codes that contracts stores, as people read them (German or English).

One mapping per code family. The codes stay in the database, the API and machine-readable
attributes (data-*, class names); pages show these labels. An unknown code is shown as
it is, so a new code never breaks a page.
"""

from __future__ import annotations

from datetime import date

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from app.toolkit import Tier, tier_versions_on, today

CONTRACT_STATE_LABELS = {
    "draft": _l("draft"),
    "active": _l("active"),
    "cancelled": _l("cancelled"),
    "ended": _l("ended"),
}

QUOTE_STATE_LABELS = {
    "draft": _l("draft"),
    "sent": _l("sent"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("expired"),
}

APPROVAL_LABELS = {
    "not_needed": _l("not needed"),
    "pending": _l("waiting for finance"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
}

ORIGIN_LABELS = {
    "manual": _l("entered by Winet"),
    "quote": _l("accepted quote"),
    "shop": _l("web shop order"),
}

CHANGE_LABELS = {
    "start": _l("start"),
    "upgrade": _l("upgrade"),
    "downgrade": _l("downgrade"),
}


def _label(labels: dict, code: str | None) -> str:
    if code is None:
        return ""
    return str(labels.get(code, code))


def contract_state_label(code: str | None) -> str:
    return _label(CONTRACT_STATE_LABELS, code)


def quote_state_label(code: str | None) -> str:
    return _label(QUOTE_STATE_LABELS, code)


def approval_label(code: str | None) -> str:
    return _label(APPROVAL_LABELS, code)


def origin_label(code: str | None) -> str:
    return _label(ORIGIN_LABELS, code)


def change_label(code: str | None) -> str:
    return _label(CHANGE_LABELS, code)


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
    "contract_state": contract_state_label,
    "quote_state": quote_state_label,
    "quote_approval": approval_label,
    "contract_origin": origin_label,
    "tier_change": change_label,
    "tier_name": tier_name,
}
