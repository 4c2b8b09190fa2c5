"""Notice to the end of the following month, withdrawal, the end of a contract, one in force."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.errors import RuleViolation
from app.hooks import hooks
from app.timeutil import zurich_instant
from plugins.contracts.models import Contract, EndedContractIsReadOnly
from plugins.contracts.services import (
    end_due_contracts,
    give_notice,
    notice_end_date,
    start_contract,
    start_contract_in_the_past,
    upgrade,
    withdraw_notice,
)


@pytest.mark.parametrize(
    ("notice", "end"),
    [
        (date(2026, 11, 24), date(2026, 12, 31)),  # SPEC example
        (date(2026, 12, 31), date(2027, 1, 31)),  # SPEC example: notice on the last day
        (date(2027, 1, 1), date(2027, 2, 28)),  # SPEC example
        (date(2028, 1, 15), date(2028, 2, 29)),  # leap year February
        (date(2026, 11, 30), date(2026, 12, 31)),  # last day of a 30-day month
        (date(2027, 12, 1), date(2028, 1, 31)),  # across the year end
        (date(2028, 2, 29), date(2028, 3, 31)),
    ],
)
def test_notice_ends_the_contract_at_the_end_of_the_following_month(notice, end):
    assert notice_end_date(notice) == end


def test_notice_keeps_the_received_date_apart_from_the_end_date(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    db.session.commit()
    assert contract.state == "cancelled"
    assert contract.notice_received_on == date(2026, 11, 24)
    assert contract.end_date == date(2026, 12, 31)
    # Still in force up to and including the end date, then nothing.
    assert (
        hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 12, 31, 23, 59)).tier_code
        == "pro"
    )
    assert hooks().tier_in_force(site_id=site.id, at=zurich_instant(2027, 1, 1, 0, 0)) is None
    found = hooks().tier_spans(
        first_day=date(2026, 12, 1), last_day=date(2027, 1, 31), site_ids=[site.id]
    )
    assert [(s.first_day, s.last_day) for s in found] == [(date(2026, 12, 1), date(2026, 12, 31))]


def test_notice_given_on_the_last_day_of_a_month(db, site, travel):
    travel(date(2026, 12, 31))
    contract = start_contract_in_the_past(site, "basic_plus", date(2025, 1, 1))
    give_notice(contract)
    assert (contract.notice_received_on, contract.end_date) == (
        date(2026, 12, 31),
        date(2027, 1, 31),
    )


def test_notice_received_earlier_counts_from_its_receipt(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract, received_on=date(2026, 10, 31))
    assert contract.end_date == date(2026, 11, 30)


def test_notice_that_would_end_the_contract_in_the_past_is_refused(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    with pytest.raises(RuleViolation, match="würde den Vertrag in der Vergangenheit beenden"):
        give_notice(contract, received_on=date(2026, 9, 30))
    with pytest.raises(RuleViolation, match="nicht in der Zukunft"):
        give_notice(contract, received_on=date(2026, 11, 25))


def test_notice_drops_changes_planned_after_the_end_date(db, site, travel):
    travel(date(2026, 11, 24))
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    upgrade(contract, "premium", date(2027, 2, 1))
    give_notice(contract)
    db.session.commit()
    assert [p.tier.code for p in contract.periods] == ["pro"]


def test_upgrade_after_the_end_date_is_refused(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    with pytest.raises(RuleViolation, match="Der Vertrag endet am 31.12.2026"):
        upgrade(contract, "premium", date(2027, 1, 1))
    upgrade(contract, "premium", date(2026, 12, 31))  # the last day can still be upgraded


def test_notice_can_be_withdrawn_before_the_end_date(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)  # ends 2026-12-31
    travel(date(2026, 12, 30))  # the last day before the end date
    withdraw_notice(contract)
    db.session.commit()
    assert (contract.state, contract.end_date, contract.notice_received_on) == (
        "active",
        None,
        None,
    )
    assert hooks().tier_in_force(site_id=site.id, at=zurich_instant(2027, 3, 1)).tier_code == "pro"


def test_notice_cannot_be_withdrawn_on_the_end_date(db, site, travel):
    # SPEC 3: "A notice can be withdrawn before the end date"; on it, it is too late.
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)  # ends 2026-12-31
    travel(date(2026, 12, 31))
    with pytest.raises(RuleViolation, match="nur vor dem Enddatum"):
        withdraw_notice(contract)
    assert (contract.state, contract.end_date) == ("cancelled", date(2026, 12, 31))


def test_notice_cannot_be_withdrawn_after_the_end_date(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    travel(date(2027, 1, 1))
    with pytest.raises(RuleViolation, match="nur vor dem Enddatum"):
        withdraw_notice(contract)


def test_notice_cannot_be_given_twice(db, site):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    with pytest.raises(RuleViolation, match="bereits gekündigt"):
        give_notice(contract)


def test_end_due_ends_contracts_after_their_end_date_once(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    db.session.commit()
    travel(date(2026, 12, 31))
    assert end_due_contracts() == []  # the end date itself is still served
    travel(date(2027, 1, 1))
    assert end_due_contracts() == [contract]
    db.session.commit()
    assert end_due_contracts() == []
    assert contract.state == "ended"
    assert contract.periods[-1].last_day == date(2026, 12, 31)
    # The ended contract still answers for the days it served.
    assert (
        hooks().tier_in_force(site_id=site.id, at=zurich_instant(2026, 12, 15)).tier_code == "pro"
    )


def test_end_due_cli_is_idempotent(app, db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    db.session.commit()
    travel(date(2027, 1, 1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["contracts", "end-due"])
    second = runner.invoke(args=["contracts", "end-due"])
    assert first.exit_code == 0, first.output
    assert "1 contract(s) ended" in first.output
    assert "0 contract(s) ended" in second.output
    assert db.session.get(Contract, contract.id).state == "ended"


def test_an_ended_contract_is_read_only(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    travel(date(2027, 1, 1))
    end_due_contracts()
    for change in (
        lambda: upgrade(contract, "premium"),
        lambda: give_notice(contract),
        lambda: withdraw_notice(contract),
    ):
        with pytest.raises(RuleViolation):
            change()


def test_after_the_end_a_new_contract_can_start_for_the_site(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    travel(date(2027, 2, 1))
    end_due_contracts()
    again = start_contract(site, "basic", date(2027, 2, 1))
    db.session.commit()
    assert again.state == "active"


def test_a_site_has_one_contract_in_force_at_a_time(db, site):
    start_contract(site, "pro", date(2026, 12, 1))
    with pytest.raises(RuleViolation, match="Filiale Brugg hat bereits einen gültigen Vertrag"):
        start_contract(site, "premium", date(2027, 1, 1))


def test_the_database_refuses_a_second_contract_in_force_for_a_site(db, site):
    start_contract(site, "pro", date(2026, 12, 1))
    db.session.commit()
    table = Contract.__table__
    values = dict(
        customer_id=site.customer_id,
        site_id=site.id,
        origin="manual",
        start_date=date(2027, 1, 1),
        volume_discount_percent=0,
        special_discount_percent=0,
        created_at=zurich_instant(2026, 11, 24),
        updated_at=zurich_instant(2026, 11, 24),
    )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.insert(table).values(state="active", **values))
    # A draft is not in force, so it may exist beside the active contract.
    with db.engine.begin() as connection:
        connection.execute(sa.insert(table).values(state="draft", **values))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE contracts_contract SET origin = 'fax'",
        "UPDATE contracts_tier_period SET change = 'sideways'",
    ],
)
def test_the_database_keeps_origin_and_change_within_their_vocabulary(db, site, statement):
    start_contract(site, "pro", date(2026, 12, 1))
    db.session.commit()
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_the_database_layer_refuses_changes_to_an_ended_contract(db, site, travel):
    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    travel(date(2027, 1, 1))
    end_due_contracts()
    db.session.commit()
    contract.periods[0].first_day = date(2025, 2, 1)
    with pytest.raises(EndedContractIsReadOnly):
        db.session.flush()
    db.session.rollback()
    contract.end_date = date(2027, 6, 30)
    with pytest.raises(EndedContractIsReadOnly):
        db.session.flush()
    db.session.rollback()


def test_the_hourly_job_ends_due_contracts_and_records_who_did_it(app, db, site, travel):
    from app.models import AuditEntry
    from app.plugins import load_object

    contract = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(contract)
    db.session.commit()
    travel(date(2027, 1, 1))
    [job] = [
        task
        for plugin in app.extensions["winet.declarations"]
        for task in plugin.periodic
        if task.name == "contracts.end_due"
    ]
    assert load_object(job.function)() == [contract]
    assert load_object(job.function)() == []
    actors = db.session.scalars(
        sa.select(AuditEntry.actor)
        .where(AuditEntry.table_name == "contracts_contract")
        .order_by(AuditEntry.id)
    ).all()
    assert actors[-1] == "job:contracts.end_due"


def test_a_contract_cannot_start_in_the_past_unless_history_is_loaded(db, factories, site):
    # Today is 2026-11-24: yesterday is refused, today is fine; the demo loader, imports
    # and test set-ups record contracts that started before today as history.
    with pytest.raises(RuleViolation, match="nicht in der Vergangenheit beginnen") as refused:
        start_contract(site, "pro", date(2026, 11, 23))
    assert refused.value.field == "start_date"
    assert db.session.scalars(sa.select(Contract)).all() == []
    assert start_contract(site, "pro", date(2026, 11, 24)).state == "active"
    loaded = start_contract_in_the_past(
        factories.site(site.customer, "Filiale Alt"), "pro", date(2025, 1, 1)
    )
    assert (loaded.state, loaded.start_date) == ("active", date(2025, 1, 1))
