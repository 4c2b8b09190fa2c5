"""Quotes for branch packages: discounts, approval, PDF, the signed link, exactly-once acceptance."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.errors import RuleViolation
from app.money import AgreedDiscount
from app.tariffs import set_tariff
from app.timeutil import zurich_instant
from plugins.contracts.models import Contract, Quote
from plugins.contracts.quotes import (
    NewSite,
    accept_quote,
    accept_token,
    add_line,
    compute_totals,
    create_quote,
    decide_approval,
    decline_quote,
    expire_quotes,
    needs_approval,
    pending_approvals,
    quote_for_token,
    quote_pdf,
    quote_totals,
    remove_line,
    request_approval,
    send_quote,
    set_manual_discount,
    update_quote,
    volume_discount_percent,
)
from plugins.contracts.services import give_notice, start_contract_in_the_past
from tests.contracts.catalog import add_catalog_version
from tests.factories import login

D = Decimal


def build_quote(
    db,
    factories,
    customer,
    tiers=("premium", "premium", "pro", "pro", "pro", "pro"),
    manual="3.00",
    **terms,
):
    manager = factories.user("account_manager")
    quote = create_quote(
        customer,
        manager,
        start_date=terms.get("start_date", date(2026, 12, 1)),
        valid_until=terms.get("valid_until", date(2026, 12, 15)),
        manual_discount_percent=D(manual),
    )
    for n, code in enumerate(tiers, start=1):
        add_line(quote, code, site=factories.site(customer, f"Filiale {n:02d}"))
    db.session.commit()
    return quote


def contract_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Contract))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- discounts and totals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sites", "percent"),
    [
        (1, "0"),
        (4, "0"),
        (5, "5.00"),
        (9, "5.00"),
        (10, "8.00"),
        (24, "8.00"),
        (25, "12.00"),
        (80, "12.00"),
    ],
)
def test_volume_discount_by_number_of_sites_from_the_tariff_table(app, sites, percent):
    assert volume_discount_percent(sites) == D(percent)


def test_volume_discount_is_the_tariff_valid_on_the_start_date(db):
    set_tariff(
        "contracts.volume_discount", date(2027, 1, 1), '[{"min_sites": 3, "percent": "2.50"}]'
    )
    db.session.commit()
    assert volume_discount_percent(3, on=date(2026, 12, 31)) == D("0")
    assert volume_discount_percent(3, on=date(2027, 1, 1)) == D("2.50")


def test_quote_totals_for_a_branch_package_of_six_sites(db, factories, customer):
    quote = build_quote(db, factories, customer)
    totals = quote_totals(quote)
    # 2 x 600.00 + 4 x 129.00 = 1716.00; 5 % volume = 85.80; 3 % manual = 51.48
    assert totals.subtotal == D("1716.00")
    assert (totals.volume_discount_percent, totals.volume_discount) == (D("5.00"), D("85.80"))
    assert (totals.manual_discount_percent, totals.manual_discount) == (D("3.0000"), D("51.48"))
    assert totals.net == D("1578.72")
    # VAT 8.1 % of 1578.72 = 127.876 -> 127.88
    assert (totals.vat_percent, totals.vat, totals.total) == (D("8.10"), D("127.88"), D("1706.60"))


def test_totals_of_a_portfolio_of_25_sites_get_12_percent():
    totals = compute_totals([D("129.00")] * 25, D("12.00"), D("0"), D("8.10"))
    # 3225.00 - 387.00 = 2838.00; VAT 229.878 -> 229.88
    assert (totals.subtotal, totals.volume_discount, totals.net) == (
        D("3225.00"),
        D("387.00"),
        D("2838.00"),
    )
    assert (totals.vat, totals.total) == (D("229.88"), D("3067.88"))


def test_a_basic_only_quote_costs_nothing(db, factories, customer):
    quote = build_quote(db, factories, customer, tiers=("basic",), manual="0")
    totals = quote_totals(quote)
    assert (totals.net, totals.vat, totals.total) == (D("0.00"), D("0.00"), D("0.00"))


def test_a_site_appears_once_per_quote_and_must_belong_to_the_customer(db, factories, customer):
    quote = build_quote(db, factories, customer, tiers=("pro",))
    with pytest.raises(RuleViolation, match="bereits in dieser Offerte"):
        add_line(quote, "premium", site=quote.lines[0].site)
    stranger = factories.site(factories.customer("Andere AG"))
    with pytest.raises(RuleViolation, match="einem anderen Kunden"):
        add_line(quote, "pro", site=stranger)


def test_quote_dates_cannot_lie_in_the_past(db, factories, customer):
    with pytest.raises(RuleViolation, match="Gültigkeitsdatum"):
        create_quote(customer, None, start_date=date(2026, 12, 1), valid_until=date(2026, 11, 23))
    with pytest.raises(RuleViolation, match="nicht in der Vergangenheit beginnen"):
        create_quote(customer, None, start_date=date(2026, 11, 23), valid_until=date(2026, 12, 1))


# --- approval -------------------------------------------------------------------------


def test_manual_discount_up_to_the_limit_needs_no_approval(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer, manual="10.00")
    send_quote(quote)
    assert quote.state == "sent" and quote.approval == "not_needed"


def test_manual_discount_above_the_limit_waits_for_finance(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer, manual="10.50")
    with pytest.raises(RuleViolation, match="Finanzabteilung muss die Offerte"):
        send_quote(quote)
    request_approval(quote)
    db.session.commit()
    assert db.session.scalars(pending_approvals()).all() == [quote]
    decide_approval(quote, factories.user("finance"), approve=True)
    send_quote(quote)
    assert quote.state == "sent"
    assert db.session.scalars(pending_approvals()).all() == []


def test_a_rejected_discount_cannot_be_sent(db, factories, customer):
    quote = build_quote(db, factories, customer, manual="15.00")
    request_approval(quote)
    decide_approval(quote, factories.user("finance"), approve=False)
    with pytest.raises(RuleViolation, match="Finanzabteilung muss die Offerte"):
        send_quote(quote)


def test_a_change_after_approval_needs_a_new_approval(db, factories, customer):
    quote = build_quote(db, factories, customer, manual="15.00")
    request_approval(quote)
    decide_approval(quote, factories.user("finance"), approve=True)
    set_manual_discount(quote, D("20.00"))
    assert quote.approval == "not_needed"
    with pytest.raises(RuleViolation, match="Finanzabteilung muss die Offerte"):
        send_quote(quote)


def test_no_approval_is_requested_within_the_limit(db, factories, customer):
    quote = build_quote(db, factories, customer, manual="2.00")
    with pytest.raises(RuleViolation, match="keine Freigabe"):
        request_approval(quote)


# --- sending and the PDF --------------------------------------------------------------


def test_sending_mails_the_pdf_and_the_accept_link_to_the_customer(db, factories, sent_mail):
    customer = factories.customer(
        "Alpine Precision Ltd", language="en", billing_email="ap@example.ch"
    )
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    [mail] = sent_mail
    assert mail.to == ("ap@example.ch",)
    assert quote.number in mail.subject
    link = re.search(r"http://testserver/contracts/q/\S+", mail.body).group(0)
    # The token is signed with a timestamp, so it is checked by what it opens.
    assert quote_for_token(link.rsplit("/", 1)[1]).id == quote.id
    text = pdf_text(mail.attachments[0].content)
    assert mail.attachments[0].filename == f"{quote.number}.pdf"
    for expected in (
        f"Quote {quote.number}",
        "Winet Voicetec Solutions AG",
        "Täfernstrasse 31",
        "Alpine Precision Ltd",
        "Filiale 01",
        "winCall premium 7x24h",
        "winCall pro 5x12h",
        "1'716.00",
        "Volume discount 5 % (6 sites)",
        "-85.80",
        "-51.48",
        "Total per month excl. VAT 1'578.72",
        "VAT 8.1 % 127.88",
        "Total per month incl. VAT 1'706.60",
        "Dec 15, 2026",
    ):
        assert expected in text, expected


def test_the_pdf_speaks_german_to_a_german_speaking_customer(db, factories, customer):
    quote = build_quote(db, factories, customer)
    text = pdf_text(quote_pdf(quote))
    assert f"Offerte {quote.number}" in text
    assert "Total pro Monat inkl. MWST 1'706.60" in text
    assert "Mengenrabatt 5 % (6 Standorte)" in text
    assert "15.12.2026" in text


def test_a_sent_quote_keeps_its_prices_when_the_catalog_changes(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    add_catalog_version(db, "premium", date(2026, 12, 1), "650.00")
    assert quote_totals(quote).subtotal == D("1716.00")


def test_a_sent_quote_cannot_be_changed(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    for change in (
        lambda: add_line(quote, "pro", new_site=NewSite("Neu", "Weg", "1", "5400", "Baden")),
        lambda: remove_line(quote, quote.lines[0].id),
        lambda: set_manual_discount(quote, D("1.00")),
        lambda: update_quote(quote, note="x"),
    ):
        with pytest.raises(RuleViolation, match="Zustand versandt kann nicht geändert"):
            change()


# --- acceptance -----------------------------------------------------------------------


def test_accepting_creates_one_active_contract_per_site_from_the_start_date(
    db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    accepted, created = accept_quote(quote.id, "test")
    db.session.commit()
    assert (accepted.state, created) == ("accepted", True)
    contracts = db.session.scalars(select(Contract).order_by(Contract.id)).all()
    assert [(c.site.name, c.periods[0].tier.code) for c in contracts] == [
        (f"Filiale {n:02d}", code)
        for n, code in enumerate(("premium", "premium", "pro", "pro", "pro", "pro"), start=1)
    ]
    assert {
        (c.state, c.start_date, c.origin, c.volume_discount_percent, c.special_discount_percent)
        for c in contracts
    } == {("active", date(2026, 12, 1), "quote", D("5.0000"), D("3.0000"))}
    assert [line.contract_id for line in quote.lines] == [c.id for c in contracts]


def test_accepting_twice_creates_the_contracts_once(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    accept_quote(quote.id, "first click")
    db.session.commit()
    again, created = accept_quote(quote.id, "second click")
    db.session.commit()
    assert created is False and again.accepted_by == "first click"
    assert contract_count(db) == 6


def test_accepting_creates_the_new_sites_of_the_quote(db, factories, customer, sent_mail):
    quote = create_quote(
        customer, None, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    add_line(
        quote,
        "pro_plus",
        new_site=NewSite("Filiale Baden Nord", "Mellingerstrasse", "2", "5400", "Baden"),
    )
    send_quote(quote)
    accept_quote(quote.id, "test")
    db.session.commit()
    [contract] = db.session.scalars(select(Contract)).all()
    assert contract.site.name == "Filiale Baden Nord" and contract.site.customer_id == customer.id
    assert quote.lines[0].site_id == contract.site_id


def test_accepting_a_higher_tier_for_a_site_under_contract_is_an_announced_upgrade(
    db, factories, customer, site, sent_mail, upgrades
):
    existing = start_contract_in_the_past(site, "basic_plus", date(2025, 1, 1))
    quote = create_quote(
        customer, None, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    add_line(quote, "premium", site=site)
    send_quote(quote)
    accept_quote(quote.id, "test")
    db.session.commit()
    assert [(p.tier.code, p.first_day) for p in existing.periods] == [
        ("basic_plus", date(2025, 1, 1)),
        ("premium", date(2026, 12, 1)),
    ]
    assert [(e.old_tier_code, e.new_tier_code, e.site_id) for e in upgrades] == [
        ("basic_plus", "premium", site.id)
    ]


def test_acceptance_is_all_or_nothing(db, factories, customer, site, sent_mail):
    ending = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    give_notice(ending)  # ends 2026-12-31, before the quote's start
    quote = create_quote(
        customer, None, start_date=date(2027, 1, 1), valid_until=date(2026, 12, 15)
    )
    add_line(quote, "pro", site=factories.site(customer, "Filiale Neu"))
    add_line(quote, "premium", site=site)
    send_quote(quote)
    db.session.commit()
    with pytest.raises(RuleViolation):
        accept_quote(quote.id, "test")
    db.session.rollback()
    assert db.session.get(Quote, quote.id).state == "sent"
    assert contract_count(db) == 1


def test_an_expired_quote_cannot_be_accepted(db, factories, customer, sent_mail, travel):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    travel(date(2026, 12, 15))
    assert expire_quotes() == []  # the validity date itself still counts
    travel(date(2026, 12, 16))
    with pytest.raises(RuleViolation, match="abgelaufen"):
        accept_quote(quote.id, "late")
    db.session.rollback()
    assert expire_quotes() == [quote]
    assert quote.state == "expired" and contract_count(db) == 0


def test_a_declined_quote_cannot_be_accepted(db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    decline_quote(quote, "customer")
    with pytest.raises(RuleViolation, match="nicht mehr angenommen"):
        accept_quote(quote.id, "test")


def test_a_draft_cannot_be_accepted(db, factories, customer):
    quote = build_quote(db, factories, customer)
    with pytest.raises(RuleViolation, match="nicht mehr angenommen"):
        accept_quote(quote.id, "test")


# --- the signed link and the portal ---------------------------------------------------


def test_the_signed_link_accepts_once_even_when_clicked_twice(
    client, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    url = f"/contracts/q/{accept_token(quote)}"
    page = client.get(url)
    assert page.status_code == 200 and "1&#39;706.60" in page.text
    first = client.post(url + "/accept", follow_redirects=True)
    second = client.post(url + "/accept", follow_redirects=True)
    assert first.status_code == second.status_code == 200
    assert "Diese Offerte wurde bereits angenommen." in second.text
    assert contract_count(db) == 6
    db.session.expire_all()  # the requests ran in sessions of their own
    assert db.session.get(Quote, quote.id).accepted_by == "signed link"


def test_a_forged_or_outdated_link_is_not_found(client, db, factories, customer, sent_mail):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    token = accept_token(quote)
    assert client.get(f"/contracts/q/{token}x").status_code == 404
    quote.valid_until = date(2026, 12, 31)  # a new validity date invalidates links already sent
    db.session.commit()
    assert client.post(f"/contracts/q/{token}/accept").status_code == 404
    assert contract_count(db) == 0


def test_the_link_after_the_validity_date_shows_the_quote_as_expired(
    client, db, factories, customer, sent_mail, travel
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    travel(date(2026, 12, 16))
    token = accept_token(quote)
    expired = "Diese Offerte ist abgelaufen."
    assert expired in client.get(f"/contracts/q/{token}").text
    assert expired in client.post(f"/contracts/q/{token}/accept", follow_redirects=True).text
    assert contract_count(db) == 0


def test_a_customer_user_accepts_an_own_quote_in_the_portal(
    client, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    login(client, factories.user("customer", customer))
    assert client.get("/contracts/quotes").text.count(quote.number) == 1
    response = client.post(f"/contracts/quotes/{quote.id}/accept", follow_redirects=True)
    assert "Die Offerte ist angenommen" in response.text
    assert contract_count(db) == 6


def test_another_companys_user_cannot_see_or_accept_the_quote(
    client, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    login(client, factories.user("customer"))
    assert client.get(f"/contracts/quotes/{quote.id}").status_code == 404
    assert client.post(f"/contracts/quotes/{quote.id}/accept").status_code == 404
    assert quote.number not in client.get("/contracts/quotes").text
    assert contract_count(db) == 0


def test_a_customer_does_not_see_draft_quotes(client, db, factories, customer):
    quote = build_quote(db, factories, customer)
    login(client, factories.user("customer", customer))
    assert client.get(f"/contracts/quotes/{quote.id}").status_code == 404


def test_expire_quotes_cli(app, db, factories, customer, sent_mail, travel):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    travel(date(2027, 1, 1))
    result = app.test_cli_runner().invoke(args=["contracts", "expire-quotes"])
    assert "1 quote(s) expired" in result.output
    assert db.session.get(Quote, quote.id).state == "expired"


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.postgres_only
def test_two_concurrent_accepts_create_the_contracts_exactly_once(
    app, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    quote_id = quote.id
    db.session.remove()
    first_claimed = threading.Event()
    results, errors = {}, []

    def accept(name: str, wait_for: threading.Event | None, signal: threading.Event | None):
        from app.database import db as database

        with app.app_context():
            try:
                if wait_for is not None:
                    wait_for.wait(5)
                _, created = accept_quote(quote_id, name)
                if signal is not None:
                    signal.set()
                    time.sleep(0.5)  # hold the row lock while the other accept arrives
                database.session.commit()
                results[name] = created
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
                database.session.rollback()
            finally:
                database.session.remove()

    threads = [
        threading.Thread(target=accept, args=("a", None, first_claimed)),
        threading.Thread(target=accept, args=("b", first_claimed, None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert errors == []
    assert results == {"a": True, "b": False}
    assert contract_count(db) == 6


@pytest.mark.postgres_only
def test_concurrent_accepts_started_together_create_the_contracts_once(
    app, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    quote_id = quote.id
    db.session.remove()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def accept(name: str):
        from app.database import db as database

        with app.app_context():
            try:
                barrier.wait(5)
                results.append(accept_quote(quote_id, name)[1])
                database.session.commit()
            except Exception as error:  # pragma: no cover
                errors.append(error)
                database.session.rollback()
            finally:
                database.session.remove()

    threads = [threading.Thread(target=accept, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert contract_count(db) == 6


def test_the_agreed_discount_of_an_accepted_quote_reaches_invoicing_through_tier_spans(
    db, factories, customer, sent_mail
):
    from app.hooks import hooks

    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    accept_quote(quote.id, "test")
    db.session.commit()
    spans = hooks().tier_spans(
        first_day=date(2026, 12, 1), last_day=date(2026, 12, 31), site_ids=None
    )
    assert len(spans) == 6
    assert {(span.first_day, span.last_day, span.discount) for span in spans} == {
        (date(2026, 12, 1), date(2026, 12, 31), AgreedDiscount(D("5.00"), D("3.00")))
    }


# --- a quote for sites already under contract -----------------------------------------


def quote_for_existing_site(db, customer, site, tier, start, manual="3.00"):
    """A sent one-site quote (no volume discount, so the agreed discount is the manual)."""
    quote = create_quote(
        customer,
        None,
        start_date=start,
        valid_until=date(2026, 12, 15),
        manual_discount_percent=D(manual),
    )
    add_line(quote, tier, site=site)
    send_quote(quote)
    db.session.commit()
    return quote


@pytest.mark.parametrize("quoted_tier", ["premium", "pro", "basic_plus"])
def test_an_accepted_quote_sets_the_agreed_discount_on_a_contract_already_in_force(
    db, customer, site, sent_mail, quoted_tier
):
    # Upgrade, the same tier and a downgrade: each keeps the 3 % agreed in the quote.
    existing = start_contract_in_the_past(site, "pro", date(2025, 1, 1))
    quote = quote_for_existing_site(db, customer, site, quoted_tier, date(2026, 12, 1))
    accept_quote(quote.id, "test")
    db.session.commit()
    db.session.expire_all()
    assert existing.discount == AgreedDiscount(D("0"), D("3.00"))
    assert quote.lines[0].contract_id == existing.id


@pytest.mark.parametrize(
    ("quote_start", "effective"),
    [
        (date(2027, 1, 1), date(2027, 1, 1)),  # a first of a month: that day
        (date(2027, 1, 15), date(2027, 2, 1)),  # mid-month: the first of the month after
        (date(2026, 11, 24), date(2026, 12, 1)),  # today: next month at the earliest
    ],
)
def test_a_quoted_lower_tier_takes_effect_on_the_first_of_a_month_from_the_quote_start(
    db, customer, site, sent_mail, quote_start, effective
):
    existing = start_contract_in_the_past(site, "premium", date(2025, 1, 1))
    quote = quote_for_existing_site(db, customer, site, "basic_plus", quote_start)
    accept_quote(quote.id, "test")
    db.session.commit()
    assert [(p.tier.code, p.first_day, p.last_day, p.change) for p in existing.periods] == [
        ("premium", date(2025, 1, 1), effective - timedelta(days=1), "start"),
        ("basic_plus", effective, None, "downgrade"),
    ]


def test_a_quoted_higher_tier_takes_effect_on_the_quote_start_even_mid_month(
    db, customer, site, sent_mail
):
    existing = start_contract_in_the_past(site, "basic_plus", date(2025, 1, 1))
    quote = quote_for_existing_site(db, customer, site, "pro_plus", date(2027, 1, 15))
    accept_quote(quote.id, "test")
    db.session.commit()
    assert [(p.tier.code, p.first_day) for p in existing.periods] == [
        ("basic_plus", date(2025, 1, 1)),
        ("pro_plus", date(2027, 1, 15)),
    ]


# --- the signed link expires with the quote -------------------------------------------


def test_the_link_works_to_the_end_of_the_validity_date_in_zurich(
    app, client, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)  # valid until 2026-12-15
    send_quote(quote)
    db.session.commit()
    url = f"/contracts/q/{accept_token(quote)}"
    app.config["FROZEN_NOW"] = zurich_instant(2026, 12, 15, 23, 59)
    assert client.get(url).status_code == 200
    app.config["FROZEN_NOW"] = zurich_instant(2026, 12, 16, 0, 0)
    assert client.get(url).status_code == 410


def test_after_the_validity_date_the_link_neither_shows_accepts_nor_declines(
    client, db, factories, customer, sent_mail, travel
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    url = f"/contracts/q/{accept_token(quote)}"
    travel(date(2026, 12, 16))
    page = client.get(url)
    assert page.status_code == 410 and "Diese Offerte ist abgelaufen." in page.text
    assert quote.number not in page.text  # the quote itself is no longer shown
    assert client.post(url + "/accept").status_code == 410
    assert client.post(url + "/decline").status_code == 410
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).state == "sent"
    assert contract_count(db) == 0


def test_an_expired_quote_cannot_be_declined(db, factories, customer, sent_mail, travel):
    quote = build_quote(db, factories, customer)  # valid until 2026-12-15
    send_quote(quote)
    db.session.commit()
    travel(date(2026, 12, 16))
    with pytest.raises(RuleViolation, match="abgelaufen"):
        decline_quote(quote, "late")
    assert quote.state == "sent"


# --- totals preview -------------------------------------------------------------------


def test_totals_with_another_manual_discount_preview_without_changing_the_quote(
    db, factories, customer
):
    quote = build_quote(db, factories, customer)  # 6 sites: 5 % volume, 3 % manual
    preview = quote_totals(quote, manual_override=D("12.00"))
    # 2 x 600.00 + 4 x 129.00 = 1'716.00; 5 % = 85.80; 12 % = 205.92
    assert (preview.subtotal, preview.volume_discount, preview.manual_discount, preview.net) == (
        D("1716.00"),
        D("85.80"),
        D("205.92"),
        D("1424.28"),
    )
    assert needs_approval(quote, manual_override=D("12.00")) is True
    assert needs_approval(quote) is False
    assert quote.manual_discount_percent == D("3.00")
    assert quote_totals(quote).manual_discount == D("51.48")


@pytest.mark.parametrize("percent", ["-1", "100.01", "2.555"])
def test_a_previewed_manual_discount_obeys_the_same_rule_as_a_saved_one(
    db, factories, customer, percent
):
    quote = build_quote(db, factories, customer)
    with pytest.raises(RuleViolation):
        quote_totals(quote, manual_override=D(percent))
    with pytest.raises(RuleViolation):
        set_manual_discount(quote, D(percent))


# --- the last valid day, Zurich time --------------------------------------------------


@pytest.mark.parametrize(
    "instant",
    [
        zurich_instant(2026, 12, 15, 0, 0),
        zurich_instant(2026, 12, 15, 23, 59),  # 22:59 UTC: still the 15th in Zurich
    ],
)
def test_a_quote_is_accepted_on_its_last_valid_day(
    app, db, factories, customer, sent_mail, instant
):
    quote = build_quote(db, factories, customer)  # valid until 2026-12-15
    send_quote(quote)
    db.session.commit()
    app.config["FROZEN_NOW"] = instant
    accepted, created = accept_quote(quote.id, "last day")
    db.session.commit()
    assert (accepted.state, created, contract_count(db)) == ("accepted", True, 6)
    # The quote's start (2026-12-01) has passed: the contracts start on the day of acceptance.
    assert {c.start_date for c in db.session.scalars(select(Contract))} == {date(2026, 12, 15)}


@pytest.mark.parametrize(
    "instant",
    [
        zurich_instant(2026, 12, 16, 0, 0),  # 23:00 UTC on the 15th: the 16th in Zurich
        zurich_instant(2026, 12, 16, 10, 0),
    ],
)
def test_a_quote_is_refused_the_day_after_its_last_valid_day(
    app, db, factories, customer, sent_mail, instant
):
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    app.config["FROZEN_NOW"] = instant
    with pytest.raises(RuleViolation, match="Diese Offerte ist abgelaufen.") as refused:
        accept_quote(quote.id, "a day late")
    assert refused.value.field == "quote"
    db.session.rollback()
    assert db.session.get(Quote, quote.id).state == "sent" and contract_count(db) == 0


def test_the_signed_link_accepts_at_23_59_on_the_last_day_and_not_at_midnight(
    app, client, db, factories, customer, sent_mail
):
    quote = build_quote(db, factories, customer)  # valid until 2026-12-15
    send_quote(quote)
    db.session.commit()
    url = f"/contracts/q/{accept_token(quote)}"
    app.config["FROZEN_NOW"] = zurich_instant(2026, 12, 16, 0, 0)
    late = client.post(url + "/accept")
    assert late.status_code == 410 and contract_count(db) == 0
    app.config["FROZEN_NOW"] = zurich_instant(2026, 12, 15, 23, 59)
    page = client.post(url + "/accept", follow_redirects=True)
    assert page.status_code == 200
    assert "Vielen Dank. Die Offerte ist angenommen" in page.text
    assert contract_count(db) == 6
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).state == "accepted"


# --- the signature is the company's legal name ----------------------------------------


def test_the_quote_mail_is_signed_with_the_companys_legal_name(
    db, factories, customer, sent_mail, monkeypatch
):
    monkeypatch.setenv("WINET_COMPANY_LEGAL_NAME", "Winet Voicetec Holding AG")
    quote = build_quote(db, factories, customer)
    send_quote(quote)
    db.session.commit()
    [mail] = sent_mail
    assert mail.body.endswith("Freundliche Grüsse\nWinet Voicetec Holding AG")
    assert "Winet Voicetec Solutions AG" not in mail.body
    assert "Winet Voicetec Holding AG" in pdf_text(mail.attachments[0].content)


def test_the_customer_reads_only_the_discounts_the_quote_gives(
    app, client, db, factories, customer, sent_mail
):
    # One site, no manual discount: neither a volume nor a manual row of "-0.00".
    quote = build_quote(db, factories, customer, tiers=("pro",), manual="0")
    send_quote(quote)
    db.session.commit()
    page = client.get(f"/contracts/q/{accept_token(quote)}").text
    assert 'data-total="net"' in page
    assert 'data-total="volume_discount"' not in page
    assert 'data-total="manual_discount"' not in page
    discounted = build_quote(db, factories, customer)  # six sites, 3 % manual
    send_quote(discounted)
    db.session.commit()
    page = client.get(f"/contracts/q/{accept_token(discounted)}").text
    assert 'data-total="volume_discount"' in page and 'data-total="manual_discount"' in page
