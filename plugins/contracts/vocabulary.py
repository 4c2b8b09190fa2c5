"""The contracts plugin's vocabularies, each declared once with its labels.

The check constraints, the column types, the API schema types (OpenAPI lists the codes)
and the words pages show all derive from these declarations.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.toolkit import Vocabulary


class ContractState(Vocabulary):
    """SPEC 3: draft -> active -> cancelled (notice given, end date set) -> ended."""

    DRAFT = "draft", _l("draft")
    ACTIVE = "active", _l("active")
    CANCELLED = "cancelled", _l("cancelled")
    ENDED = "ended", _l("ended")


# In force: running, also with a notice given (cancelled runs to its end date).
IN_FORCE = (ContractState.ACTIVE, ContractState.CANCELLED)
# Served and so billable: in force now, or ended (up to its end date). A draft never was.
BILLABLE = (ContractState.ACTIVE, ContractState.CANCELLED, ContractState.ENDED)


class ContractOrigin(Vocabulary):
    """How a contract came about."""

    MANUAL = "manual", _l("entered by Winet")
    QUOTE = "quote", _l("accepted quote")
    SHOP = "shop", _l("web shop order")


class TierChange(Vocabulary):
    """Why a tier period begins."""

    START = "start", _l("start")
    UPGRADE = "upgrade", _l("upgrade")
    DOWNGRADE = "downgrade", _l("downgrade")


class QuoteState(Vocabulary):
    DRAFT = "draft", _l("draft")
    SENT = "sent", _l("sent")
    ACCEPTED = "accepted", _l("accepted")
    DECLINED = "declined", _l("declined")
    EXPIRED = "expired", _l("expired")


class Approval(Vocabulary):
    """Finance's look at a quote's manual discount."""

    # The manual discount is within the account manager's limit.
    NOT_NEEDED = "not_needed", _l("not needed")
    PENDING = "pending", _l("waiting for finance")
    APPROVED = "approved", _l("approved")
    REJECTED = "rejected", _l("rejected")


# What finance may decide on a pending approval.
DECISIONS = (Approval.APPROVED, Approval.REJECTED)
