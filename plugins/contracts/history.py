"""How contracts and quotes read in their history and on the audit page (app.chatter)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.toolkit import RecordWording, tier_names
from plugins.contracts.models import ContractTierPeriod, QuoteLine
from plugins.contracts.vocabulary import (
    Approval,
    ContractOrigin,
    ContractState,
    QuoteState,
    TierChange,
)

_CONTRACT_FIELDS = {
    "state": _l("State"),
    "start_date": _l("Start"),
    "end_date": _l("End"),
    "notice_received_on": _l("Notice received on"),
    "signed_at": _l("Signed"),
    "origin": _l("Origin"),
    "volume_discount_percent": _l("Volume discount %"),
    "special_discount_percent": _l("Special discount %"),
}


def wordings() -> list[RecordWording]:
    return [
        RecordWording(
            "contracts_contract",
            _l("Contract"),
            fields=_CONTRACT_FIELDS,
            vocabularies={"state": ContractState, "origin": ContractOrigin},
            transitions={
                ("state", ContractState.ACTIVE.value): _l("Contract in force"),
                ("state", ContractState.CANCELLED.value): _l("Contract cancelled"),
                ("state", ContractState.ENDED.value): _l("Contract ended"),
            },
            hidden=frozenset({"customer_id", "site_id"}),
            children=lambda contract_id: [
                (
                    "contracts_tier_period",
                    select(ContractTierPeriod.id).where(
                        ContractTierPeriod.contract_id == contract_id
                    ),
                )
            ],
        ),
        RecordWording(
            "contracts_tier_period",
            _l("Tier period"),
            fields={
                "tier_id": _l("Tier"),
                "first_day": _l("From"),
                "last_day": _l("To"),
                "change": _l("Change"),
                "signed_at": _l("Signed"),
            },
            vocabularies={"change": TierChange},
            lookups={"tier_id": tier_names},
            transitions={
                ("change", TierChange.START.value): _l("Tier %(tier_id)s from %(first_day)s"),
                ("change", TierChange.UPGRADE.value): _l(
                    "Tier changed to %(tier_id)s from %(first_day)s (upgrade)"
                ),
                ("change", TierChange.DOWNGRADE.value): _l(
                    "Tier changed to %(tier_id)s from %(first_day)s (downgrade)"
                ),
            },
            hidden=frozenset({"contract_id"}),
        ),
        RecordWording(
            "contracts_quote",
            _l("Quote"),
            fields={
                "number": _l("Number"),
                "state": _l("State"),
                "start_date": _l("Start"),
                "valid_until": _l("Valid until"),
                "manual_discount_percent": _l("Special discount %"),
                "approval": _l("Approval"),
                "approved_at": _l("Approved"),
                "note": _l("Note"),
                "sent_at": _l("Sent"),
                "accepted_at": _l("Accepted"),
                "accepted_by": _l("Accepted by"),
                "declined_at": _l("Declined"),
                "declined_by": _l("Declined by"),
            },
            vocabularies={"state": QuoteState, "approval": Approval},
            transitions={
                ("state", QuoteState.SENT.value): _l("Quote sent"),
                ("state", QuoteState.ACCEPTED.value): _l("Quote accepted"),
                ("state", QuoteState.DECLINED.value): _l("Quote declined"),
                ("state", QuoteState.EXPIRED.value): _l("Quote expired"),
                ("approval", Approval.PENDING.value): _l("Approval requested from finance"),
                ("approval", Approval.APPROVED.value): _l("Discount approved"),
                ("approval", Approval.REJECTED.value): _l("Discount rejected"),
            },
            hidden=frozenset({"customer_id", "account_manager_id", "approved_by_id"}),
            actors=frozenset({"accepted_by", "declined_by"}),
            title="number",
            children=lambda quote_id: [
                (
                    "contracts_quote_line",
                    select(QuoteLine.id).where(QuoteLine.quote_id == quote_id),
                )
            ],
        ),
        RecordWording(
            "contracts_quote_line",
            _l("Quote line"),
            fields={
                "tier_id": _l("Tier"),
                "new_site_name": _l("New site"),
                "list_price": _l("List price"),
            },
            lookups={"tier_id": tier_names},
            hidden=frozenset(
                {
                    "quote_id",
                    "site_id",
                    "contract_id",
                    "new_site_street",
                    "new_site_house_number",
                    "new_site_postal_code",
                    "new_site_town",
                    "new_site_canton",
                }
            ),
        ),
    ]
