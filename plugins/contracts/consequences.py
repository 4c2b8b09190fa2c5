"""The price consequence of a tier change or a notice, shown before it is confirmed.

The change is made for real inside a savepoint - the same rules, the same Fast Lane
credits announced through `upgrade_signed` - and invoicing is asked through the
`planned_lines` hook what the first run that bills the changed days would bill the
customer, with and without it; then the savepoint is rolled back. Contracts never
imports invoicing: without it there is no consequence to show (None).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.toolkit import PriceLine, db, hooks
from plugins.contracts import services
from plugins.contracts.models import Contract

ZERO = Decimal("0.00")
# Lines that re-price days already billed: the pro rata part of a change.
PRO_RATA_KINDS = ("settlement", "advance_credit")


@dataclass(frozen=True)
class PriceConsequence:
    period: str  # the run ("YYYY-MM") that first bills the changed days
    added: list[PriceLine]  # billed with the change, not without it
    removed: list[PriceLine]  # billed without the change, no longer with it

    @property
    def difference(self) -> Decimal:
        """What the run bills more (negative: less), excluding VAT."""
        return sum((line.amount for line in self.added), ZERO) - sum(
            (line.amount for line in self.removed), ZERO
        )

    @property
    def charge_credits(self) -> list[PriceLine]:
        """Credits of charges the change gives, e.g. Fast Lane fees after an upgrade."""
        return [line for line in self.added if line.source and line.amount < 0]

    @property
    def pro_rata(self) -> list[PriceLine]:
        return [line for line in self.added if line.kind in PRO_RATA_KINDS]


def compare(before: list[PriceLine], after: list[PriceLine]) -> tuple[list, list]:
    """(added, removed): the lines of `after` not in `before` and the other way round,
    counting equal lines (a month billed twice the same stays unchanged)."""
    counts_before = Counter(line.key for line in before)
    counts_after = Counter(line.key for line in after)
    added, removed = [], []
    for line in after:
        if counts_before[line.key] > 0:
            counts_before[line.key] -= 1
        else:
            added.append(line)
    for line in before:
        if counts_after[line.key] > 0:
            counts_after[line.key] -= 1
        else:
            removed.append(line)
    return added, removed


def first_billing_run(first_changed_day: date) -> str:
    """The run that first bills a day: a month's own run bills it in advance when the day
    starts the month; a day within a month is settled by the next month's run."""
    if first_changed_day.day == 1:
        return first_changed_day.strftime("%Y-%m")
    return services.first_day_of_next_month(first_changed_day).strftime("%Y-%m")


def _what_if(customer_id: int, change: Callable[[], str]) -> PriceConsequence | None:
    """Make the change in a savepoint (`change` returns the run that first bills it),
    ask for that run's lines, roll back, and ask again without the change."""
    savepoint = db.session.begin_nested()
    try:
        period = change()
        after = hooks().planned_lines(customer_id=customer_id, period=period)
    finally:
        savepoint.rollback()
    if after is None:
        return None  # invoicing is not installed: nothing is billed
    before = hooks().planned_lines(customer_id=customer_id, period=period) or []
    added, removed = compare(before, after)
    return PriceConsequence(period, added, removed)


def tier_change_consequence(
    contract: Contract, tier_code: str, effective_on: date | None = None
) -> PriceConsequence | None:
    """What `services.change_tier` would cost; raises its RuleViolation when refused."""

    def change() -> str:
        before = _periods(contract)
        services.change_tier(contract, tier_code, effective_on)
        return first_billing_run(_first_changed_day(contract, before))

    return _what_if(contract.customer_id, change)


def _periods(contract: Contract | None) -> set[tuple]:
    return {(p.first_day, p.tier_id) for p in contract.periods} if contract else set()


def _first_changed_day(contract: Contract, before: set[tuple]) -> date:
    return min(
        period.first_day
        for period in contract.periods
        if (period.first_day, period.tier_id) not in before
    )


def order_consequence(
    customer_id: int, site, order: Callable[[], Contract]
) -> PriceConsequence | None:
    """What a web shop order would cost (`order` places it): a new contract, an upgrade
    from today or a downgrade from next month."""

    def change() -> str:
        before = _periods(services.contract_in_force(site))
        contract = order()
        return first_billing_run(_first_changed_day(contract, before))

    return _what_if(customer_id, change)


def notice_consequence(
    contract: Contract, received_on: date | None = None
) -> PriceConsequence | None:
    """What `services.give_notice` would save: the months after the end are not billed."""

    def change() -> str:
        services.give_notice(contract, received_on)
        return first_billing_run(contract.end_date + timedelta(days=1))

    return _what_if(contract.customer_id, change)
