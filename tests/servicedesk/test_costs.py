"""Resolution and cost allocation (SPEC 4.7), the billable_charges hook and the Fast Lane credit.

The prices themselves are tested in test_pricing.py; here: what is read and written, what
invoicing is offered (worded in the customer's language), and the Fast Lane credit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.errors import RuleViolation
from app.hooks import ChargeQuery, ChargesBilled, UpgradeSigned, flatten, hookimpl, hooks
from plugins.servicedesk import costs, intake, work
from plugins.servicedesk.dispatch import acknowledge, dispatch
from plugins.servicedesk.models import Charge, FastLaneCredit
from tests.servicedesk.conftest import zurich

FREE_UNITS = "Gratis-Service-Einheiten des Vertragsjahres"  # the customer reads German
BASE_SYSTEM = "Störung eines Winet-Basisdienstes: kostenlos"

NOVEMBER = ChargeQuery(period_start=date(2026, 11, 1), period_end=date(2026, 11, 30))


def _worked_ticket(
    desk, clock, *, at=None, fast_lane=False, remote=65, on_site=None, travel=True, site=None
):
    """A call taken to 2nd-level work: verified, dispatched, reacted, time and material
    (by default 65 min remote and one on-site visit of 30 min with travel there; without
    travel, no on-site work unless asked)."""
    on_site = (30 if travel else 0) if on_site is None else on_site
    clock(at or zurich(2026, 11, 24, 10, 0))
    ticket = intake.open_ticket(site or desk.site, "Phones dead", "phone", desk.agent)
    assert intake.verify(ticket, desk.caller, "4711", desk.agent).verified
    if fast_lane:
        intake.answer_fast_lane(ticket, True, desk.agent)
    else:
        dispatch(ticket, desk.agent)
    acknowledge(ticket, desk.technician)
    work.record_first_reaction(ticket, desk.technician, "Router lost its configuration")
    work.start_work(ticket, desk.technician)
    if remote:
        work.add_time(ticket, desk.technician, "remote", remote)
    if on_site:
        work.add_time(ticket, desk.technician, "on_site", on_site)
    if travel:
        work.add_time(ticket, desk.technician, "travel", 35)
    work.add_material(ticket, desk.technician, "Power supply 12 V", Decimal("2"), Decimal("24.50"))
    return ticket


def _charges(query=NOVEMBER):
    return {c.reference: c for c in flatten(hooks().billable_charges(query=query))}


def test_customer_environment_on_pro_uses_free_units_then_bills_the_rest(desk, clock, db):
    ticket = _worked_ticket(desk, clock)
    work.resolve(ticket, desk.technician, "customer_environment", "minor", "Reconfigured")
    db.session.commit()
    charges = _charges()
    prefix = f"ticket:{ticket.id}"
    # 95 min remote -> 105 min billed = 7 units; 4 free -> 3 x 15 min = 45 min at 160.00/h
    free = charges[f"{prefix}:time:free"]
    assert (free.quantity, free.amount, free.zero_rated_reason) == (
        Decimal("1.000"),
        Decimal("0.00"),
        FREE_UNITS,
    )
    paid = charges[f"{prefix}:time"]
    assert (paid.quantity, paid.unit_price, paid.amount) == (
        Decimal("0.750"),
        Decimal("160.00"),
        Decimal("120.00"),
    )
    travel = next(c for r, c in charges.items() if r.startswith(f"{prefix}:travel:"))
    assert travel.amount == Decimal("80.00")
    material = next(c for r, c in charges.items() if r.startswith(f"{prefix}:material:"))
    assert material.amount == Decimal("49.00")
    assert sum(c.amount for c in charges.values()) == Decimal("249.00")
    assert all(
        c.source == "servicedesk" and c.service_date == date(2026, 11, 24) for c in charges.values()
    )
    assert costs.free_units(desk.site, zurich(2026, 11, 24, 12, 0)).left == 0


def test_base_system_zero_rates_every_charge_with_the_reason_fast_lane_included(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 24, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "base_system", "critical", "SBC failover failed")
    db.session.commit()
    charges = _charges()
    kinds = sorted(c.reference.split(":")[2] for c in charges.values())
    assert kinds == ["fast_lane", "material", "time", "travel"]
    for charge in charges.values():
        assert charge.amount == Decimal("0.00")
        assert charge.zero_rated_reason == BASE_SYSTEM
    # free units are not touched by a base-system fault
    assert costs.free_units(desk.site, zurich(2026, 11, 24, 21, 0)).left == 4


def test_customer_environment_fast_lane_fee_stands(desk, clock, db):
    ticket = _worked_ticket(
        desk, clock, at=zurich(2026, 11, 24, 20, 0), fast_lane=True, remote=30, travel=False
    )
    work.resolve(ticket, desk.technician, "customer_environment", "major")
    db.session.commit()
    charges = _charges()
    assert charges[f"ticket:{ticket.id}:fast_lane"].amount == Decimal("250.00")
    # 30 min = 2 units, both free
    assert f"ticket:{ticket.id}:time" not in charges
    assert charges[f"ticket:{ticket.id}:time:free"].quantity == Decimal("0.500")


def test_free_units_are_used_across_tickets_of_one_contract_year(desk, clock, db):
    first = _worked_ticket(desk, clock, remote=40, travel=False)  # 45 min = 3 units free
    work.resolve(first, desk.technician, "customer_environment", "minor")
    second = _worked_ticket(desk, clock, at=zurich(2026, 11, 25, 10, 0), remote=30, travel=False)
    work.resolve(second, desk.technician, "customer_environment", "minor")
    db.session.commit()
    charges = _charges()
    # second: 30 min = 2 units, 1 left free -> 15 min free, 15 min at 160.00/h = 40.00
    assert charges[f"ticket:{second.id}:time:free"].quantity == Decimal("0.250")
    assert charges[f"ticket:{second.id}:time"].amount == Decimal("40.00")


def test_free_units_start_again_with_the_next_contract_year(desk, clock, db):
    ticket = _worked_ticket(desk, clock, remote=60, travel=False)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    assert costs.free_units(desk.site, zurich(2026, 12, 31, 12, 0)).left == 0
    next_year = costs.free_units(desk.site, zurich(2027, 1, 1, 12, 0))
    assert (next_year.year_first, next_year.left) == (date(2027, 1, 1), 4)


def test_contract_year_runs_from_the_contract_start_date():
    assert costs.contract_year(date(2025, 3, 15), date(2026, 3, 14)) == (
        date(2025, 3, 15),
        date(2026, 3, 14),
    )
    assert costs.contract_year(date(2025, 3, 15), date(2026, 3, 15))[0] == date(2026, 3, 15)
    assert costs.contract_year(date(2024, 2, 29), date(2025, 3, 1))[0] == date(2025, 2, 28)


def test_resolving_needs_a_fault_origin_and_a_severity(desk, clock):
    ticket = _worked_ticket(desk, clock)
    with pytest.raises(RuleViolation):
        work.resolve(ticket, desk.technician, "", "minor")
    with pytest.raises(RuleViolation):
        work.resolve(ticket, desk.technician, "base_system", "")


def test_charges_are_offered_for_the_month_of_the_resolution_dated_by_their_service(
    desk, clock, db
):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 30, 17, 0))
    clock(zurich(2026, 12, 1, 9, 0))
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    assert _charges() == {}  # November has run by now: nothing is offered to it late
    december = ChargeQuery(date(2026, 12, 1), date(2026, 12, 31), site_ids=[desk.site.id])
    # ... but the December run bills the work of 30 November, at that day's VAT.
    assert {c.service_date for c in _charges(december).values()} == {date(2026, 11, 30)}
    other = ChargeQuery(date(2026, 12, 1), date(2026, 12, 31), customer_id=desk.customer.id + 99)
    assert _charges(other) == {}


def test_work_spanning_a_month_end_is_billed_once_each_charge_dated_by_its_work_day(
    desk, clock, db
):
    # Fast Lane confirmed Mon 30.11 20:00; on site that night and again on Tue 1.12.
    ticket = _worked_ticket(
        desk, clock, at=zurich(2026, 11, 30, 20, 0), fast_lane=True, remote=0, travel=False
    )
    work.add_time(ticket, desk.technician, "on_site", 50, work_date=date(2026, 11, 30))
    clock(zurich(2026, 12, 1, 9, 0))
    work.add_time(ticket, desk.technician, "on_site", 100)
    work.add_material(ticket, desk.technician, "Router", Decimal("1"), Decimal("120.00"))
    clock(zurich(2026, 12, 1, 15, 0))
    work.resolve(ticket, desk.technician, "customer_environment", "major")
    db.session.commit()
    november = _charges()
    december = _charges(ChargeQuery(date(2026, 12, 1), date(2026, 12, 31)))
    january = _charges(ChargeQuery(date(2027, 1, 1), date(2027, 1, 31)))
    assert november == {} and january == {}
    prefix = f"ticket:{ticket.id}"
    dated = {}
    for reference, charge in december.items():
        key = reference.removeprefix(prefix + ":")
        if key.startswith("material:"):
            key = charge.description.split(": ")[-1]
        dated[key] = charge.service_date
    assert dated == {
        "fast_lane": date(2026, 11, 30),  # the confirmation
        "travel:2026-11-30": date(2026, 11, 30),
        "travel:2026-12-01": date(2026, 12, 1),
        "time:free": date(2026, 12, 1),  # the service time is one line: its last work day ...
        "time": date(2026, 12, 1),
        "Power supply 12 V": date(2026, 11, 30),  # the day it was used
        "Router": date(2026, 12, 1),
    }
    # ... and carries the minutes of each work day, for the VAT of each.
    assert december[f"{prefix}:time"].service_days == (
        (date(2026, 11, 30), 50),
        (date(2026, 12, 1), 100),
    )


def test_one_on_site_visit_with_travel_there_and_back_is_one_flat_fee(desk, clock, db):
    ticket = _worked_ticket(desk, clock, remote=0, on_site=60, travel=False)
    work.add_time(ticket, desk.technician, "travel", 35, note="there")
    work.add_time(ticket, desk.technician, "travel", 40, note="back")
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    travel = [c for c in _charges().values() if c.reference.split(":")[2] == "travel"]
    assert [(c.quantity, c.amount, c.service_date) for c in travel] == [
        (Decimal("1.000"), Decimal("80.00"), date(2026, 11, 24))
    ]
    # travel minutes are recorded, not billed by time: 60 min on site = 4 units, all free
    assert f"ticket:{ticket.id}:time" not in _charges()


def test_two_on_site_days_are_two_flat_fees_even_without_travel_entries(desk, clock, db):
    ticket = _worked_ticket(desk, clock, remote=0, travel=False, on_site=30)
    clock(zurich(2026, 11, 25, 9, 0))
    work.add_time(ticket, desk.technician, "on_site", 30)
    work.add_time(ticket, desk.technician, "on_site", 15)  # the same day: the same visit
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    travel = sorted(
        (c.reference, c.amount) for c in _charges().values() if ":travel:" in c.reference
    )
    assert travel == [
        (f"ticket:{ticket.id}:travel:2026-11-24", Decimal("80.00")),
        (f"ticket:{ticket.id}:travel:2026-11-25", Decimal("80.00")),
    ]


def test_travel_without_on_site_work_is_no_visit(desk, clock, db):
    ticket = _worked_ticket(desk, clock, remote=30, on_site=0, travel=True)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    assert not [r for r in _charges() if ":travel:" in r]


def test_charges_billed_marks_the_charges_with_the_invoice(desk, clock, db):
    ticket = _worked_ticket(desk, clock)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    references = tuple(_charges())
    hooks().charges_billed(
        event=ChargesBilled(source="servicedesk", references=references, invoice_id=77)
    )
    hooks().charges_billed(event=ChargesBilled(source="other", references=references, invoice_id=1))
    assert {c.invoice_id for c in db.session.query(Charge)} == {77}


def _upgrade(desk, signed_at):
    hooks().upgrade_signed(
        event=UpgradeSigned(
            customer_id=desk.customer.id,
            site_id=desk.site.id,
            contract_id=1,
            signed_at=signed_at,
            old_tier_code="pro",
            new_tier_code="premium",
        )
    )


def test_upgrade_credits_fast_lane_fees_of_the_14_days_before_once(desk, clock, db):
    old = _worked_ticket(desk, clock, at=zurich(2026, 11, 9, 20, 0), fast_lane=True, travel=False)
    work.resolve(old, desk.technician, "customer_environment", "minor")
    recent = _worked_ticket(
        desk, clock, at=zurich(2026, 11, 20, 20, 0), fast_lane=True, travel=False
    )
    work.resolve(recent, desk.technician, "customer_environment", "minor")
    db.session.commit()
    signed = zurich(2026, 11, 24, 11, 0)
    clock(signed)
    _upgrade(desk, signed)
    _upgrade(desk, signed)  # announced twice: credited once
    db.session.commit()
    credits = db.session.query(FastLaneCredit).all()
    assert [c.ticket_id for c in credits] == [recent.id]
    charges = _charges()
    credit = charges[f"ticket:{recent.id}:fast_lane_credit"]
    assert credit.amount == Decimal("-250.00")
    assert credit.description == (
        f"Gutschrift der Fast-Lane-Gebühr von {recent.number}: CLA-Upgrade unterschrieben am "
        "24.11.2026"
    )
    assert f"ticket:{old.id}:fast_lane_credit" not in charges


def test_the_credit_names_the_fee_it_credits_and_other_charges_credit_nothing(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 20, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    clock(zurich(2026, 11, 24, 11, 0))
    _upgrade(desk, zurich(2026, 11, 24, 11, 0))
    db.session.commit()
    charges = _charges()
    fee = charges[f"ticket:{ticket.id}:fast_lane"]
    credit = charges[f"ticket:{ticket.id}:fast_lane_credit"]
    # Invoicing uses credits_reference to credit a fee already on an issued invoice by a
    # credit note (SPEC 4, 5); the fee and the other charges reverse nothing.
    assert credit.credits_reference == fee.reference
    assert (credit.source, credit.amount) == (fee.source, -fee.amount)
    assert {c.credits_reference for ref, c in charges.items() if ref != credit.reference} == {None}


def test_a_credit_of_a_fee_already_billed_carries_the_fee_reference(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 20, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    hooks().charges_billed(
        event=ChargesBilled(
            source="servicedesk", references=(f"ticket:{ticket.id}:fast_lane",), invoice_id=5
        )
    )
    # Signed on 3 December: the credit is offered to the January run (December's charges).
    clock(zurich(2026, 12, 3, 10, 0))
    _upgrade(desk, zurich(2026, 12, 3, 10, 0))
    db.session.commit()
    december = ChargeQuery(period_start=date(2026, 12, 1), period_end=date(2026, 12, 31))
    (credit,) = flatten(hooks().billable_charges(query=december))
    assert credit.reference == f"ticket:{ticket.id}:fast_lane_credit"
    assert credit.credits_reference == f"ticket:{ticket.id}:fast_lane"
    assert credit.service_date == date(2026, 11, 20)  # the fee's VAT date


def test_credit_of_an_unresolved_ticket_follows_its_resolution(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 20, 20, 0), fast_lane=True)
    clock(zurich(2026, 11, 24, 11, 0))
    _upgrade(desk, datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    assert _charges()[f"ticket:{ticket.id}:fast_lane_credit"].amount == Decimal("-250.00")


def test_a_zero_rated_fee_is_not_credited_again(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 20, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "base_system", "major")
    clock(zurich(2026, 11, 24, 11, 0))
    _upgrade(desk, zurich(2026, 11, 24, 11, 0))
    db.session.commit()
    assert f"ticket:{ticket.id}:fast_lane_credit" not in _charges()


@pytest.mark.postgres_only
def test_two_resolutions_at_once_never_spend_more_free_units_than_the_year_has(
    desk, db, app, clock
):
    import threading

    from app.database import db as database
    from app.models import User
    from plugins.servicedesk.models import Ticket, UnitUsage

    ids = [_worked_ticket(desk, clock, remote=60, travel=False).id for _ in range(2)]
    db.session.commit()
    technician_id = desk.technician.id  # read here: the test's session is not thread-safe
    barrier = threading.Barrier(2)
    errors = []

    def resolve(ticket_id):
        try:
            with app.app_context():
                try:
                    ticket = database.session.get(Ticket, ticket_id)
                    technician = database.session.get(User, technician_id)
                    barrier.wait(timeout=30)
                    work.resolve(ticket, technician, "customer_environment", "minor")
                    database.session.commit()
                finally:
                    database.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=resolve, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    assert sum(u.units for u in db.session.query(UnitUsage)) == 4
    paid = [c.amount for c in db.session.query(Charge) if c.reference.endswith(":time")]
    assert paid == [Decimal("160.00")]


def test_unused_units_lapse_by_default_and_carry_over_when_finance_says_so(
    desk, make_site, db, clock
):
    from tests.factories import put_tariff

    site = make_site("pro", start=date(2025, 1, 1), customer=desk.customer)
    at = zurich(2026, 11, 24, 12, 0)
    assert (costs.free_units(site, at).allowance, costs.free_units(site, at).left) == (4, 4)
    put_tariff("servicedesk.free_units_lapse", date(2000, 1, 1), False)
    db.session.commit()
    assert (costs.free_units(site, at).allowance, costs.free_units(site, at).left) == (8, 8)


# --- VAT by the day of the work: each charge carries its service days ------------------


def test_work_across_the_vat_change_is_one_time_charge_weighted_by_the_minutes_of_each_day(
    desk, make_site, clock, db
):
    # basic has no free units; Sunday 31.12.2023 is outside its hours: Fast Lane.
    site = make_site("basic", start=date(2023, 1, 1), customer=desk.customer)
    clock(zurich(2023, 12, 31, 10, 0))
    ticket = intake.open_ticket(site, "Phones dead", "phone", desk.agent)
    intake.verify(ticket, desk.caller, "4711", desk.agent)
    intake.answer_fast_lane(ticket, True, desk.agent)
    work.record_first_reaction(ticket, desk.technician)
    work.add_time(ticket, desk.technician, "remote", 60)
    clock(zurich(2024, 1, 1, 9, 0))
    work.add_time(ticket, desk.technician, "remote", 30)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    january = _charges(ChargeQuery(date(2024, 1, 1), date(2024, 1, 31)))
    time = january[f"ticket:{ticket.id}:time"]
    # One line of 90 min = 1.5 h x 160.00; invoicing splits it 2/3 at 7.7 %, 1/3 at 8.1 %.
    assert (time.quantity, time.amount) == (Decimal("1.500"), Decimal("240.00"))
    assert time.service_days == ((date(2023, 12, 31), 60), (date(2024, 1, 1), 30))
    assert january[f"ticket:{ticket.id}:fast_lane"].service_days == ((date(2023, 12, 31), 1),)


# --- billable: not yet billed, by billing date, released again -------------------------


def test_billed_charges_are_not_offered_again_until_their_draft_is_discarded(desk, clock, db):
    ticket = _worked_ticket(desk, clock)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    references = tuple(_charges())
    billed = ChargesBilled(source="servicedesk", references=references[:2], invoice_id=5)
    hooks().charges_billed(event=billed)
    assert tuple(_charges()) == references[2:]
    # The draft was discarded: invoice_id None frees the charges for the next run.
    released = ChargesBilled(source="servicedesk", references=references[:2], invoice_id=None)
    hooks().charges_billed(event=released)
    assert tuple(_charges()) == references
    assert {c.invoice_id for c in db.session.query(Charge)} == {None}


def test_a_query_without_a_start_offers_every_unbilled_charge_up_to_its_end(desk, clock, db):
    october = _worked_ticket(desk, clock, at=zurich(2026, 10, 20, 10, 0), travel=False)
    work.resolve(october, desk.technician, "customer_environment", "minor")
    november = _worked_ticket(desk, clock, at=zurich(2026, 11, 24, 10, 0), travel=False)
    work.resolve(november, desk.technician, "customer_environment", "minor")
    db.session.commit()
    up_to_october = _charges(ChargeQuery(period_start=None, period_end=date(2026, 10, 31)))
    assert {c.reference.split(":")[1] for c in up_to_october.values()} == {str(october.id)}
    everything = _charges(ChargeQuery(period_start=None, period_end=date(2026, 11, 30)))
    assert {c.reference.split(":")[1] for c in everything.values()} == {
        str(october.id),
        str(november.id),
    }


# --- the contract year comes from the tier_in_force hook -------------------------------


class NoHistoryScan:
    """A contracts stand-in that refuses to be asked for the whole tier history."""

    @hookimpl
    def tier_spans(self, first_day, last_day, site_ids):
        raise AssertionError("the free units need no scan of the tier history")


def test_the_contract_year_starts_on_the_contract_start_the_hook_gives(app, desk, make_site, db):
    site = make_site("pro", start=date(2025, 3, 15), customer=desk.customer)
    app.extensions["winet.plugin_manager"].register(NoHistoryScan())
    units = costs.free_units(site, zurich(2026, 11, 24, 12, 0))
    assert (units.year_first, units.year_last, units.left) == (
        date(2026, 3, 15),
        date(2027, 3, 14),
        4,
    )


# --- words: the customer's language, stored as codes ----------------------------------


def _offered_in(desk, clock, db, language):
    desk.customer.language = language
    ticket = _worked_ticket(desk, clock, remote=30, on_site=30, travel=True)
    work.resolve(ticket, desk.technician, "customer_environment", "minor")
    db.session.commit()
    offered = _charges()
    prefix = f"ticket:{ticket.id}"
    material = next(r for r in offered if ":material:" in r)
    words = {
        key: (offered[ref].description, offered[ref].unit, offered[ref].zero_rated_reason)
        for key, ref in (
            ("free", f"{prefix}:time:free"),
            ("travel", f"{prefix}:travel:2026-11-24"),
            ("material", material),
        )
    }
    return ticket, words


def test_invoicing_gets_the_charges_worded_in_the_customers_language_german(app, desk, clock, db):
    # Asked in a request of an English-speaking user (a POST, as a run is started; a
    # GET writes nothing): the invoice is the customer's.
    with app.test_request_context("/?lang=en", method="POST"):
        ticket, words = _offered_in(desk, clock, db, "de")
    number = ticket.number
    assert words == {
        "free": (
            f"{number} Servicezeit 60 Min.: 4 Gratis-Service-Einheiten, "
            "Vertragsjahr 01.01.2026–31.12.2026",
            "Std.",
            FREE_UNITS,
        ),
        "travel": (f"{number} Reisepauschale, Einsatz vor Ort 24.11.2026", "Einsatz", None),
        "material": (f"{number} Material: Power supply 12 V", "Stk.", None),
    }


def test_invoicing_gets_the_charges_worded_in_the_customers_language_english(desk, clock, db):
    ticket, words = _offered_in(desk, clock, db, "en")
    number = ticket.number
    assert words == {
        "free": (
            f"{number} service time 60 min: 4 free service units, "
            "contract year 01.01.2026–31.12.2026",
            "h",
            "Free service units of the contract year",
        ),
        "travel": (f"{number} travel flat fee, on-site visit 24.11.2026", "visit", None),
        "material": (f"{number} material: Power supply 12 V", "pcs", None),
    }


def test_a_charge_stores_a_code_and_its_facts_never_a_sentence(desk, clock, db):
    ticket = _worked_ticket(desk, clock, at=zurich(2026, 11, 24, 20, 0), fast_lane=True)
    work.resolve(ticket, desk.technician, "base_system", "critical")
    db.session.commit()
    rows = {c.kind: c for c in db.session.query(Charge)}
    fee = rows["fast_lane"]
    assert (fee.description_code, fee.description_params, fee.zero_rated_reason, fee.unit) == (
        "fast_lane_fee",
        {"ticket": ticket.number},
        "base_system",
        "pc",
    )
    assert "description" not in Charge.__table__.columns
    assert rows["time"].service_days == [["2026-11-24", 95]]


# --- Fast Lane credit: the 14 days before the signature, to the minute ----------------


def _fast_lane_fee_at(desk, clock, confirmed_at):
    return _worked_ticket(desk, clock, at=confirmed_at, fast_lane=True, remote=0, travel=False)


def _credited(desk, db, clock, signed_at):
    clock(signed_at)
    _upgrade(desk, signed_at.astimezone(UTC))  # contracts announces instants in UTC
    db.session.commit()
    return {c.ticket_id for c in db.session.query(FastLaneCredit)}


def test_a_fee_exactly_14_days_before_the_signature_is_credited_one_minute_earlier_not(
    desk, clock, db
):
    on_the_day = _fast_lane_fee_at(desk, clock, zurich(2026, 11, 10, 20, 0))
    a_minute_early = _fast_lane_fee_at(desk, clock, zurich(2026, 11, 10, 19, 59))
    db.session.commit()
    assert _credited(desk, db, clock, zurich(2026, 11, 24, 20, 0)) == {on_the_day.id}
    assert a_minute_early.id not in _credited(desk, db, clock, zurich(2026, 11, 24, 20, 0))


def test_the_14_days_are_counted_on_the_zurich_clock_across_the_end_of_summer_time(desk, clock, db):
    # Summer time ended on 25.10.2026: 14 calendar days before Tue 03.11.2026 20:00 CET
    # is Tue 20.10.2026 20:00 CEST, 14 x 24 h + 1 h earlier.
    on_the_day = _fast_lane_fee_at(desk, clock, zurich(2026, 10, 20, 20, 0))
    a_minute_early = _fast_lane_fee_at(desk, clock, zurich(2026, 10, 20, 19, 59))
    db.session.commit()
    credited = _credited(desk, db, clock, zurich(2026, 11, 3, 20, 0))
    assert credited == {on_the_day.id}
    assert a_minute_early.id not in credited


def test_the_credit_window_starts_14_calendar_days_before_on_the_zurich_clock():
    signed = datetime(2026, 11, 3, 19, 0, tzinfo=UTC)  # 20:00 in Zurich (CET)
    assert costs.credit_window_start(signed, 14) == zurich(2026, 10, 20, 20, 0)
    assert costs.credit_window_start(signed, 14) == datetime(2026, 10, 20, 18, 0, tzinfo=UTC)
