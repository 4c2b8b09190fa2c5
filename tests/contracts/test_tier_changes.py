"""Tier history: upgrades on a chosen day, downgrades next month, the past never rewritten."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from app.errors import RuleViolation
from app.hooks import TierSpan, hooks
from app.money import AgreedDiscount
from app.timeutil import zurich_instant
from plugins.contracts.services import (
    change_tier,
    contract_history,
    downgrade,
    downgrade_effective_date,
    order_tier,
    start_contract,
    start_contract_in_the_past,
    upgrade,
)
from plugins.contracts.vocabulary import ContractOrigin
from tests.statements import recorded_statements


def spans(db, first, last, site):
    return [
        (s.tier_code, s.first_day, s.last_day)
        for s in hooks().tier_spans(first_day=first, last_day=last, site_ids=[site.id])
    ]


def test_upgrade_takes_effect_on_the_chosen_day(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    upgrade(contract, "premium", date(2026, 11, 26))
    db.session.commit()
    assert spans(db, date(2026, 11, 1), date(2026, 11, 30), site) == [
        ("pro", date(2026, 11, 1), date(2026, 11, 25)),
        ("premium", date(2026, 11, 26), date(2026, 11, 30)),
    ]


def test_upgrade_without_a_date_takes_effect_today(db, site):
    contract = start_contract_in_the_past(site, "basic", date(2026, 1, 1))
    upgrade(contract, "pro")
    db.session.commit()
    assert (
        hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 11, 23, 23, 59)).tier_code
        == "basic"
    )
    assert (
        hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 11, 24, 0, 0)).tier_code
        == "pro"
    )


def test_upgrade_cannot_take_effect_before_today(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    with pytest.raises(RuleViolation, match="frühestens ab heute"):
        upgrade(contract, "premium", date(2026, 11, 23))


def test_upgrade_must_be_to_a_higher_tier(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    with pytest.raises(RuleViolation, match="ist nicht höher als"):
        upgrade(contract, "basic_plus")
    with pytest.raises(RuleViolation, match="ist nicht höher als"):
        upgrade(contract, "pro")


def test_downgrade_takes_effect_on_the_first_day_of_next_month(db, site):
    contract = start_contract_in_the_past(site, "premium", date(2026, 1, 1))
    downgrade(contract, "basic_plus")
    db.session.commit()
    # Month end in Zurich: 23:59 on the 30th is still premium, midnight is basic+.
    at_end = hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 11, 30, 23, 59))
    at_start = hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 12, 1, 0, 0))
    assert at_end.tier_code == "premium"
    assert (at_start.tier_code, at_start.since) == ("basic_plus", date(2026, 12, 1))


def test_downgrade_requested_on_new_years_eve_takes_effect_on_the_first_of_january():
    assert downgrade_effective_date(date(2026, 12, 31)) == date(2027, 1, 1)
    assert downgrade_effective_date(date(2028, 2, 29)) == date(2028, 3, 1)
    assert downgrade_effective_date(date(2026, 11, 1)) == date(2026, 12, 1)


def test_downgrade_must_be_to_a_lower_tier(db, site):
    contract = start_contract_in_the_past(site, "basic_plus", date(2026, 1, 1))
    with pytest.raises(RuleViolation, match="ist nicht tiefer als"):
        downgrade(contract, "pro")


def test_upgrade_then_downgrade_in_the_same_month(db, site, travel):
    travel(date(2026, 11, 5))
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    upgrade(contract, "premium")
    travel(date(2026, 11, 20))
    downgrade(contract, "pro")
    db.session.commit()
    assert spans(db, date(2026, 11, 1), date(2026, 12, 31), site) == [
        ("pro", date(2026, 11, 1), date(2026, 11, 4)),
        ("premium", date(2026, 11, 5), date(2026, 11, 30)),
        ("pro", date(2026, 12, 1), date(2026, 12, 31)),
    ]


def test_a_later_upgrade_supersedes_a_downgrade_planned_for_next_month(db, site, travel):
    travel(date(2026, 11, 10))
    contract = start_contract_in_the_past(site, "pro_plus", date(2026, 1, 1))
    downgrade(contract, "basic")
    travel(date(2026, 11, 20))
    upgrade(contract, "premium")
    db.session.commit()
    assert spans(db, date(2026, 11, 1), date(2026, 12, 31), site) == [
        ("pro_plus", date(2026, 11, 1), date(2026, 11, 19)),
        ("premium", date(2026, 11, 20), date(2026, 12, 31)),
    ]


def test_an_upgrade_after_a_planned_downgrade_is_measured_against_the_planned_tier(db, site):
    contract = start_contract_in_the_past(site, "pro_plus", date(2026, 1, 1))
    downgrade(contract, "basic")  # from 2026-12-01
    upgrade(contract, "pro", date(2026, 12, 15))  # basic -> pro is an upgrade
    db.session.commit()
    assert spans(db, date(2026, 12, 1), date(2026, 12, 31), site) == [
        ("basic", date(2026, 12, 1), date(2026, 12, 14)),
        ("pro", date(2026, 12, 15), date(2026, 12, 31)),
    ]


def test_a_change_never_rewrites_days_already_served(db, site, travel):
    contract = start_contract_in_the_past(site, "basic", date(2026, 1, 1))
    upgrade(contract, "pro")  # 2026-11-24
    travel(date(2026, 11, 26))
    with pytest.raises(RuleViolation):
        upgrade(contract, "premium", date(2026, 11, 25))
    upgrade(contract, "premium")
    db.session.commit()
    assert spans(db, date(2026, 11, 1), date(2026, 11, 30), site) == [
        ("basic", date(2026, 11, 1), date(2026, 11, 23)),
        ("pro", date(2026, 11, 24), date(2026, 11, 25)),
        ("premium", date(2026, 11, 26), date(2026, 11, 30)),
    ]


def test_two_upgrades_on_the_same_day_leave_one_period_for_that_day(db, site):
    contract = start_contract_in_the_past(site, "basic", date(2026, 1, 1))
    upgrade(contract, "pro")
    upgrade(contract, "premium")
    db.session.commit()
    assert [
        (h.tier_code, h.first_day, h.last_day, h.change) for h in contract_history(contract)
    ] == [
        ("basic", date(2026, 1, 1), date(2026, 11, 23), "start"),
        ("premium", date(2026, 11, 24), None, "upgrade"),
    ]


def test_change_tier_picks_upgrade_or_downgrade_by_rank(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    change_tier(contract, "basic")
    assert contract.periods[-1].first_day == date(2026, 12, 1)
    change_tier(contract, "premium")
    db.session.commit()
    assert [(p.tier.code, p.first_day) for p in contract.periods] == [
        ("pro", date(2026, 1, 1)),
        ("premium", date(2026, 11, 24)),
    ]


def test_tier_spans_answer_for_every_site_and_leave_sites_without_a_contract_out(
    db, factories, customer, site
):
    other = factories.site(customer, "Filiale Aarau")
    factories.site(customer, "Filiale ohne CLA")
    start_contract_in_the_past(site, "pro", date(2026, 11, 10))
    start_contract_in_the_past(other, "basic_plus", date(2026, 1, 1))
    db.session.commit()
    found = hooks().tier_spans(
        first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), site_ids=None
    )
    assert all(isinstance(span, TierSpan) for span in found)
    assert sorted(
        (s.site_id, s.customer_id, s.tier_code, s.first_day, s.last_day, s.days) for s in found
    ) == sorted(
        [
            (site.id, customer.id, "pro", date(2026, 11, 10), date(2026, 11, 30), 21),
            (other.id, customer.id, "basic_plus", date(2026, 11, 1), date(2026, 11, 30), 30),
        ]
    )


def test_no_tier_in_force_before_the_start_or_without_a_contract(db, site):
    start_contract(site, "pro", date(2026, 12, 1))
    db.session.commit()
    assert hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 11, 30, 23, 59)) is None
    assert (
        hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 12, 1, 0, 0)).tier_code
        == "pro"
    )
    assert hooks().tier_in_force(site_id=site.id + 999, at=zurich_instant(2026, 12, 2)) is None


def test_upgrade_announces_the_signature_with_old_and_new_tier(db, site, upgrades):
    contract = start_contract_in_the_past(site, "basic_plus", date(2026, 1, 1))
    upgrade(contract, "pro_plus", date(2026, 12, 1))
    downgrade(contract, "pro")  # from 2026-12-01 too: replaces the planned tier, no announcement
    assert len(upgrades) == 1
    event = upgrades[0]
    assert (event.site_id, event.contract_id, event.customer_id) == (
        site.id,
        contract.id,
        site.customer_id,
    )
    assert (event.old_tier_code, event.new_tier_code) == ("basic_plus", "pro_plus")
    assert event.signed_at == zurich_instant(2026, 11, 24, 10, 0)


def test_quote_discount_is_kept_on_the_contract(db, site):
    agreed = AgreedDiscount(Decimal("5.00"), Decimal("3.00"))
    contract = start_contract(site, "pro", date(2026, 12, 1), discount=agreed)
    db.session.commit()
    db.session.expire_all()
    assert contract.discount == agreed
    assert (contract.volume_discount_percent, contract.special_discount_percent) == (
        Decimal("5.0000"),
        Decimal("3.0000"),
    )


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.postgres_only
def test_concurrent_tier_changes_of_one_contract_leave_periods_that_do_not_overlap(app, db, site):
    # Both requests read the history (pro, open) before either writes. Unserialised, the
    # upgrade from 2026-11-26 and the downgrade from 2026-12-01 both split that period:
    # premium and basic would then both be open from December on.
    contract_id = start_contract_in_the_past(site, "pro", date(2026, 1, 1)).id
    db.session.commit()
    db.session.remove()
    both_read = threading.Barrier(2, timeout=10)
    errors = []

    def change(action):
        from app.database import db as database
        from plugins.contracts.models import Contract

        with app.app_context():
            try:
                contract = database.session.get(Contract, contract_id)
                assert [p.tier.code for p in contract.periods] == ["pro"]
                both_read.wait()
                action(contract)
                time.sleep(0.3)  # hold the lock while the other change arrives
                database.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
                database.session.rollback()
            finally:
                database.session.remove()

    threads = [
        threading.Thread(
            target=change, args=(lambda c: upgrade(c, "premium", date(2026, 11, 26)),)
        ),
        threading.Thread(target=change, args=(lambda c: downgrade(c, "basic"),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    from plugins.contracts.models import Contract

    periods = db.session.get(Contract, contract_id).periods
    for before, after in zip(periods, periods[1:], strict=False):
        assert before.last_day is not None and before.last_day < after.first_day, [
            (p.tier.code, p.first_day, p.last_day) for p in periods
        ]
    # Either order is a valid serial history; both end with one open period.
    assert [(p.tier.code, p.first_day, p.last_day) for p in periods] in (
        [
            ("pro", date(2026, 1, 1), date(2026, 11, 25)),
            ("premium", date(2026, 11, 26), date(2026, 11, 30)),
            ("basic", date(2026, 12, 1), None),
        ],
        [
            ("pro", date(2026, 1, 1), date(2026, 11, 25)),
            ("premium", date(2026, 11, 26), None),
        ],
    )


# --- one lock per change --------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda contract, site: change_tier(contract, "premium", date(2026, 12, 1)),
        lambda contract, site: change_tier(contract, "basic"),
        lambda contract, site: order_tier(site, "premium", origin=ContractOrigin.SHOP),
        lambda contract, site: order_tier(site, "basic", origin=ContractOrigin.QUOTE),
    ],
    ids=["change-up", "change-down", "order-up", "order-down"],
)
def test_a_tier_change_locks_and_reads_the_contract_once(db, site, change):
    # change_tier and order_tier lock the contract and read its periods, then upgrade or
    # downgrade on what they hold: locking and reading it all again would be waste.
    contract = start_contract_in_the_past(site, "pro", date(2026, 1, 1))
    db.session.commit()
    assert len(contract.periods) == 1  # loaded before: what follows is the change's own work
    with recorded_statements(db.engine) as statements:
        change(contract, site)
    locks = [
        s for s in statements if "FROM contracts_contract" in s and "contracts_contract.id =" in s
    ]
    periods = [s for s in statements if "FROM contracts_tier_period" in s]
    assert (len(locks), len(periods)) == (1, 1), statements
    assert len(contract.periods) == 2
