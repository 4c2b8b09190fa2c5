"""Contract lifecycle rules: start, tier changes, notice, withdrawal and the end of a contract.

The tier history is a list of dated periods per contract. Every change takes effect on
or after today, so a day that may already be billed is never given another tier.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.toolkit import (
    NO_DISCOUNT,
    AgreedDiscount,
    RuleViolation,
    Site,
    Tier,
    UpgradeSigned,
    db,
    hooks,
    now,
    today,
)
from plugins.contracts.models import Contract, ContractTierPeriod
from plugins.contracts.vocabulary import IN_FORCE, ContractOrigin, ContractState, TierChange

# --- calendar rules -------------------------------------------------------------------


def last_day_of_month(day: date) -> date:
    return date(day.year, day.month, monthrange(day.year, day.month)[1])


def first_day_of_next_month(day: date) -> date:
    return last_day_of_month(day) + timedelta(days=1)


def notice_end_date(notice_received_on: date) -> date:
    """The end of the month following the month of notice (SPEC 3).

    2026-11-24 -> 2026-12-31; 2026-12-31 -> 2027-01-31; 2027-01-01 -> 2027-02-28.
    """
    return last_day_of_month(first_day_of_next_month(notice_received_on))


def downgrade_effective_date(requested_on: date) -> date:
    """A downgrade takes effect on the first day of the month after the request."""
    return first_day_of_next_month(requested_on)


def first_of_month_from(day: date) -> date:
    """`day` if it is the first of a month, else the first of the month after it."""
    return day if day.day == 1 else first_day_of_next_month(day)


class TierPeriodLike(Protocol):
    """A tier period as the pure rules read it: a ContractTierPeriod, or a plain row of
    one (the API's lists read rows, not objects)."""

    first_day: date
    last_day: date | None
    tier_code: str
    change: TierChange
    signed_at: datetime | None


Period = TypeVar("Period", bound=TierPeriodLike)


# --- lookups --------------------------------------------------------------------------


def tier_by_code(code: str) -> Tier:
    tier = db.session.scalar(select(Tier).where(Tier.code == code))
    if tier is None:
        raise RuleViolation(_("Tier %(tier)s is not in the catalog.", tier=code), "tier")
    return tier


def contract_in_force(site: Site) -> Contract | None:
    return db.session.scalar(
        select(Contract).where(Contract.site_id == site.id, Contract.state.in_(IN_FORCE))
    )


def period_on(contract: Contract, day: date) -> ContractTierPeriod | None:
    """The (possibly planned) tier period of a contract covering `day`."""
    return period_covering(contract.periods, day)


def period_covering(periods: Iterable[Period], day: date) -> Period | None:
    """The period of `periods` (a contract's, as objects or rows) that covers `day`."""
    for period in periods:
        if period.first_day <= day and (period.last_day is None or period.last_day >= day):
            return period
    return None


def tier_day(start_date: date, day: date | None = None) -> date:
    """The day whose tier is a contract's current one: today (by default `day`), or its
    first day while it has not started."""
    return max(day or today(), start_date)


def current_tier(contract: Contract, day: date | None = None) -> Tier | None:
    """The tier on `day` (today by default); before the start, the tier it starts with."""
    period = period_on(contract, tier_day(contract.start_date, day))
    return period.tier if period is not None else None


def _require_in_force(contract: Contract) -> None:
    if contract.state == ContractState.ENDED:
        raise RuleViolation(_("An ended contract cannot be changed."), "contract")
    if contract.state not in IN_FORCE:
        raise RuleViolation(
            _(
                "A contract in the state %(state)s cannot be changed this way.",
                state=ContractState.label_of(contract.state),
            ),
            "contract",
        )


def _lock(contract: Contract) -> None:
    """Serialise changes to one contract: take its row lock, then re-read it.

    Two requests changing the same contract would otherwise both split the tier history
    they read before either wrote, and leave overlapping periods. The lock (held until
    the transaction ends) makes the second wait; it then reads what the first committed.
    SQLite ignores FOR UPDATE; it serialises writers on its own.
    """
    if contract.id is None:
        return  # not in the database yet: nobody else can see it
    db.session.flush()
    db.session.execute(
        select(Contract)
        .where(Contract.id == contract.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for period in list(contract.periods):
        db.session.expire(period)
    db.session.expire(contract, ["periods"])


def _check_catalog(tier: Tier, day: date) -> None:
    if tier.version_on(day) is None:
        raise RuleViolation(
            _("Tier %(tier)s is not in the catalog on %(day)s.", tier=tier.code, day=_day(day)),
            "tier",
        )


def _day(day: date) -> str:
    """A date in a message, as the reader writes it (31.12.2026 in German)."""
    return format_date(day, "medium")


def _site_taken(site: Site) -> RuleViolation:
    return RuleViolation(
        _("Site %(site)s already has a contract in force.", site=site.name), "site"
    )


# --- starting -------------------------------------------------------------------------


def start_contract(
    site: Site,
    tier_code: str,
    start_date: date,
    *,
    origin: ContractOrigin = ContractOrigin.MANUAL,
    signed_at: datetime | None = None,
    discount: AgreedDiscount = NO_DISCOUNT,
) -> Contract:
    """An active contract for a site from start_date (today at the earliest) on the tier.

    Every signed order takes this way: pages, the API, quotes and the shop.
    """
    if start_date < today():
        raise RuleViolation(_("A contract cannot start in the past."), "start_date")
    return _start(site, tier_code, start_date, origin, signed_at, discount)


def start_contract_in_the_past(
    site: Site,
    tier_code: str,
    start_date: date,
    *,
    origin: ContractOrigin = ContractOrigin.MANUAL,
    signed_at: datetime | None = None,
    discount: AgreedDiscount = NO_DISCOUNT,
) -> Contract:
    """Load a contract that already ran before today: history, not an order.

    For the demo data, an import of existing contracts and test fixtures: the days
    before today are then on record as served (and so billable). Never for an order
    someone signs now; that is start_contract.
    """
    return _start(site, tier_code, start_date, origin, signed_at, discount)


def _start(
    site: Site,
    tier_code: str,
    start_date: date,
    origin: ContractOrigin,
    signed_at: datetime | None,
    discount: AgreedDiscount,
) -> Contract:
    tier = tier_by_code(tier_code)
    _check_catalog(tier, start_date)
    if contract_in_force(site) is not None:
        raise _site_taken(site)
    contract = Contract(
        customer_id=site.customer_id,
        site=site,
        state=ContractState.ACTIVE,
        start_date=start_date,
        origin=origin,
        signed_at=signed_at,
        volume_discount_percent=discount.volume_percent,
        special_discount_percent=discount.special_percent,
    )
    contract.periods.append(
        ContractTierPeriod(
            tier=tier, first_day=start_date, change=TierChange.START, signed_at=signed_at
        )
    )
    try:
        with db.session.begin_nested():
            db.session.add(contract)
            db.session.flush()
    except IntegrityError as error:
        # Another transaction put a contract in force for this site meanwhile.
        raise _site_taken(site) from error
    return contract


# --- tier changes ---------------------------------------------------------------------


def _drop_periods_after(contract: Contract, day: date) -> None:
    """Call off tier changes planned after `day`; the period covering it runs on openly."""
    for period in [p for p in contract.periods if p.first_day > day]:
        contract.periods.remove(period)
    db.session.flush()
    contract.periods[-1].last_day = None
    db.session.flush()


def _replan_from(
    contract: Contract, tier: Tier, effective: date, change: TierChange, signed_at: datetime
) -> None:
    """Give the contract `tier` from `effective` on, superseding changes planned after it.

    Callers guarantee effective >= today, so only days not yet served are touched.
    """
    if effective < today():
        raise RuleViolation(_("A tier change cannot take effect in the past."), "effective_on")
    _drop_periods_after(contract, effective)
    covering = period_on(contract, effective)
    if covering is None:
        raise RuleViolation(_("The contract has not started on that day."), "effective_on")
    if covering.first_day == effective:
        covering.tier = tier
        covering.change = change
        covering.signed_at = signed_at
    else:
        covering.last_day = effective - timedelta(days=1)
        contract.periods.append(
            ContractTierPeriod(tier=tier, first_day=effective, change=change, signed_at=signed_at)
        )
    db.session.flush()


def _check_within_term(contract: Contract, effective: date) -> None:
    if effective < contract.start_date:
        raise RuleViolation(
            _("The change would take effect before the contract starts."), "effective_on"
        )
    if contract.end_date is not None and effective > contract.end_date:
        raise RuleViolation(
            _(
                "The contract ends on %(day)s, before the change would take effect.",
                day=_day(contract.end_date),
            ),
            "effective_on",
        )


def _tier_name(tier: Tier, day: date) -> str:
    version = tier.version_on(day)
    return version.name if version is not None else tier.code


def upgrade(
    contract: Contract,
    tier_code: str,
    effective_on: date | None = None,
    *,
    signed_at: datetime | None = None,
) -> Contract:
    """A higher tier from the chosen date (at the earliest today); announces the signature."""
    _lock(contract)
    _require_in_force(contract)
    return _upgrade(contract, tier_by_code(tier_code), effective_on, signed_at or now())


def downgrade(
    contract: Contract,
    tier_code: str,
    effective_on: date | None = None,
    *,
    signed_at: datetime | None = None,
) -> Contract:
    """A lower tier from the first day of next month, or from a later first of a month."""
    _lock(contract)
    _require_in_force(contract)
    return _downgrade(contract, tier_by_code(tier_code), effective_on, signed_at or now())


def _upgrade(
    contract: Contract, tier: Tier, effective_on: date | None, signed_at: datetime
) -> Contract:
    """upgrade() of a contract the caller has locked and found in force."""
    effective = effective_on or max(today(), contract.start_date)
    if effective < today():
        raise RuleViolation(_("An upgrade takes effect today at the earliest."), "effective_on")
    _check_within_term(contract, effective)
    _check_catalog(tier, effective)
    old = period_on(contract, effective).tier
    if tier.rank <= old.rank:
        raise RuleViolation(
            _(
                "%(new)s is not higher than %(old)s.",
                new=_tier_name(tier, effective),
                old=_tier_name(old, effective),
            ),
            "tier",
        )
    _replan_from(contract, tier, effective, TierChange.UPGRADE, signed_at)
    hooks().upgrade_signed(
        event=UpgradeSigned(
            customer_id=contract.customer_id,
            site_id=contract.site_id,
            contract_id=contract.id,
            signed_at=signed_at,
            old_tier_code=old.code,
            new_tier_code=tier.code,
        )
    )
    return contract


def _downgrade(
    contract: Contract, tier: Tier, effective_on: date | None, signed_at: datetime
) -> Contract:
    """downgrade() of a contract the caller has locked and found in force."""
    earliest = downgrade_effective_date(today())
    if effective_on is not None:
        if effective_on.day != 1:
            raise RuleViolation(
                _("A downgrade takes effect on the first day of a month."), "effective_on"
            )
        if effective_on < earliest:
            raise RuleViolation(
                _("A downgrade takes effect on %(day)s at the earliest.", day=_day(earliest)),
                "effective_on",
            )
    effective = max(effective_on or earliest, contract.start_date)
    _check_within_term(contract, effective)
    _check_catalog(tier, effective)
    old = period_on(contract, effective).tier
    if tier.rank >= old.rank:
        raise RuleViolation(
            _(
                "%(new)s is not lower than %(old)s.",
                new=_tier_name(tier, effective),
                old=_tier_name(old, effective),
            ),
            "tier",
        )
    _replan_from(contract, tier, effective, TierChange.DOWNGRADE, signed_at)
    return contract


def change_tier(
    contract: Contract,
    tier_code: str,
    effective_on: date | None = None,
    *,
    signed_at: datetime | None = None,
) -> Contract:
    """Upgrade or downgrade, whichever the new tier is compared with the planned one.

    `effective_on` is the upgrade's day; a downgrade always takes effect next month.
    """
    _lock(contract)
    _require_in_force(contract)
    tier = tier_by_code(tier_code)
    signed_at = signed_at or now()
    planned = period_on(contract, effective_on or max(today(), contract.start_date))
    if planned is not None and tier.rank < planned.tier.rank:
        return _downgrade(contract, tier, None, signed_at)
    return _upgrade(contract, tier, effective_on, signed_at)


def order_tier(
    site: Site,
    tier_code: str,
    *,
    origin: ContractOrigin,
    start_date: date | None = None,
    signed_at: datetime | None = None,
    discount: AgreedDiscount | None = None,
) -> Contract:
    """What a signed order means for a site: a new contract, or a change of the one in force.

    The order's start date is honoured as far as the rules allow: an upgrade takes effect
    on it (today at the earliest), a downgrade on the first of a month not before it
    (next month at the earliest). `discount` (a quote's agreed discount) replaces
    the contract's; None keeps it (a shop order changes the tier, not the agreed price).
    """
    start = max(start_date or today(), today())
    signed_at = signed_at or now()
    contract = contract_in_force(site)
    if contract is None:
        return start_contract(
            site,
            tier_code,
            start,
            origin=origin,
            signed_at=signed_at,
            discount=discount or NO_DISCOUNT,
        )
    _lock(contract)
    _require_in_force(contract)
    tier = tier_by_code(tier_code)
    effective = max(start, contract.start_date)
    planned = period_on(contract, effective)
    if planned is not None and planned.tier.code == tier.code:
        # Ordering the tier the site has keeps it: a change planned later is called off.
        _drop_periods_after(contract, planned.first_day)
    elif planned is not None and tier.rank < planned.tier.rank:
        # A downgrade starts on a first of a month: the order's start if it is one, else
        # the first of the month after it (a quote starting 2027-01-15 -> 2027-02-01).
        on = max(downgrade_effective_date(today()), first_of_month_from(start))
        _downgrade(contract, tier, on, signed_at)
    else:
        _upgrade(contract, tier, effective, signed_at)
    if discount is not None:
        contract.discount = discount
        db.session.flush()
    return contract


# --- notice and end -------------------------------------------------------------------


def give_notice(contract: Contract, received_on: date | None = None) -> Contract:
    """Record a notice: the contract runs to the end of the following month, then ends."""
    _lock(contract)
    _require_in_force(contract)
    if contract.state == ContractState.CANCELLED:
        raise RuleViolation(_("Notice has already been given for this contract."), "contract")
    received_on = received_on or today()
    if received_on > today():
        raise RuleViolation(_("A notice cannot be received in the future."), "received_on")
    end = notice_end_date(received_on)
    if end < today():
        raise RuleViolation(
            _(
                "A notice received on %(day)s would end the contract in the past.",
                day=_day(received_on),
            ),
            "received_on",
        )
    if end < contract.start_date:
        raise RuleViolation(
            _("The contract has not started yet; the notice would end it before its start."),
            "received_on",
        )
    _drop_periods_after(contract, end)  # changes planned after the end would never be served
    contract.state = ContractState.CANCELLED
    contract.notice_received_on = received_on
    contract.end_date = end
    db.session.flush()
    return contract


def withdraw_notice(contract: Contract) -> Contract:
    """Take a notice back before the end date (SPEC 3: not on it); the contract runs on."""
    _lock(contract)
    if contract.state != ContractState.CANCELLED:
        raise RuleViolation(_("Only a cancelled contract has a notice to withdraw."), "contract")
    if today() >= contract.end_date:
        raise RuleViolation(_("A notice can only be withdrawn before the end date."), "contract")
    contract.state = ContractState.ACTIVE
    contract.notice_received_on = None
    contract.end_date = None
    db.session.flush()
    return contract


def end_due_contracts(on: date | None = None) -> list[Contract]:
    """End every cancelled contract whose end date lies before `on`; safe to repeat."""
    day = on or today()
    # Locked in id order (no deadlock with another run); a notice withdrawn meanwhile
    # leaves the contract out, since PostgreSQL re-checks the condition after the wait.
    due = db.session.scalars(
        select(Contract)
        .where(Contract.state == ContractState.CANCELLED, Contract.end_date < day)
        .order_by(Contract.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for contract in due:
        # Close the history first: once "ended" is flushed, the contract is read-only.
        last = contract.periods[-1]
        if last.last_day is None or last.last_day > contract.end_date:
            last.last_day = contract.end_date
        contract.state = ContractState.ENDED
    db.session.flush()
    return list(due)


# --- history (finance, CLI) -----------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    first_day: date
    last_day: date | None
    tier_code: str
    change: TierChange
    signed_at: datetime | None


def contract_history(contract: Contract) -> list[HistoryLine]:
    """The tier periods of a contract as finance reads them, clipped to the end date."""
    return history_lines(contract.periods, contract.end_date)


def history_lines(periods: Iterable[TierPeriodLike], end_date: date | None) -> list[HistoryLine]:
    """Tier periods (objects or rows) as finance reads them, clipped to `end_date`."""
    lines = []
    for period in periods:
        last = period.last_day
        if end_date is not None and (last is None or last > end_date):
            last = end_date
        lines.append(
            HistoryLine(period.first_day, last, period.tier_code, period.change, period.signed_at)
        )
    return lines
