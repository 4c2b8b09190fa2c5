"""Each day of service at the tier in force that day and the catalog price valid that day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.models import Tier, TierVersion
from plugins.contracts.pricing import daily_prices, month_amount, priced_month
from plugins.contracts.services import downgrade, give_notice, start_contract, upgrade


def add_catalog_version(db, code: str, valid_from: date, price: str) -> None:
    tier = db.session.query(Tier).filter_by(code=code).one()
    current = tier.versions[-1]
    db.session.add(
        TierVersion(
            tier=tier,
            valid_from=valid_from,
            name=current.name,
            monthly_price=Decimal(price),
            service_windows=current.service_windows,
            service_hours_label=current.service_hours_label,
            holidays_closed=current.holidays_closed,
            reaction_kind=current.reaction_kind,
            reaction_hours=current.reaction_hours,
            free_service_units=current.free_service_units,
        )
    )
    db.session.commit()
    db.session.expire_all()


def test_catalog_price_change_mid_month_prices_each_day_at_its_own_version(db, site):
    start_contract(site, "pro", date(2026, 1, 1))
    add_catalog_version(db, "pro", date(2026, 12, 16), "139.00")
    days = daily_prices(site.id, 2026, 12)
    assert days[14] == (date(2026, 12, 15), "pro", Decimal("129.00"))
    assert days[15] == (date(2026, 12, 16), "pro", Decimal("139.00"))
    spans = priced_month(2026, 12, [site.id])
    # 129.00 x 15/31 = 62.419 -> 62.42; 139.00 x 16/31 = 71.741 -> 71.74
    assert [(s.first_day, s.last_day, s.monthly_price, s.amount) for s in spans] == [
        (date(2026, 12, 1), date(2026, 12, 15), Decimal("129.00"), Decimal("62.42")),
        (date(2026, 12, 16), date(2026, 12, 31), Decimal("139.00"), Decimal("71.74")),
    ]
    assert month_amount(site.id, 2026, 12) == Decimal("134.16")


def test_a_catalog_change_never_reprices_earlier_months(db, site):
    start_contract(site, "pro", date(2026, 1, 1))
    add_catalog_version(db, "pro", date(2026, 12, 16), "139.00")
    assert month_amount(site.id, 2026, 11) == Decimal("129.00")


def test_upgrade_and_downgrade_in_one_month_bill_each_day_at_its_tier(db, site, travel):
    travel(date(2026, 11, 5))
    contract = start_contract(site, "pro", date(2026, 1, 1))
    upgrade(contract, "premium")
    travel(date(2026, 11, 20))
    downgrade(contract, "pro")
    db.session.commit()
    # 129.00 x 4/30 = 17.20; 600.00 x 26/30 = 520.00
    assert [(s.tier_code, s.days, s.amount) for s in priced_month(2026, 11, [site.id])] == [
        ("pro", 4, Decimal("17.20")),
        ("premium", 26, Decimal("520.00")),
    ]
    assert month_amount(site.id, 2026, 12) == Decimal("129.00")


def test_leap_year_february_has_29_days_of_service(db, site, travel):
    travel(date(2028, 2, 10))
    contract = start_contract(site, "pro", date(2028, 2, 1))
    upgrade(contract, "premium", date(2028, 2, 15))
    db.session.commit()
    spans = priced_month(2028, 2, [site.id])
    # 129.00 x 14/29 = 62.276 -> 62.28; 600.00 x 15/29 = 310.345 -> 310.34
    assert [(s.tier_code, s.days, s.days_in_month, s.amount) for s in spans] == [
        ("pro", 14, 29, Decimal("62.28")),
        ("premium", 15, 29, Decimal("310.34")),
    ]
    assert len(daily_prices(site.id, 2028, 2)) == 29


def test_a_contract_ending_mid_term_is_priced_to_its_end_date_only(db, site, travel):
    travel(date(2027, 1, 1))
    contract = start_contract(site, "basic_plus", date(2027, 1, 1))
    give_notice(contract)  # ends 2027-02-28
    db.session.commit()
    assert month_amount(site.id, 2027, 2) == Decimal("49.00")
    assert month_amount(site.id, 2027, 3) == Decimal("0.00")


def test_a_contract_starting_mid_month_is_priced_from_its_start(db, site):
    start_contract(site, "pro", date(2026, 12, 10))
    # 129.00 x 22/31 = 91.548 -> 91.55
    assert month_amount(site.id, 2026, 12) == Decimal("91.55")
