"""End to end across the plugins: from the call (or the quote) to the invoice line.

Each test drives the real services of contracts, servicedesk and invoicing (the CLI and
the JSON API where that is how a person would do it) with the clock pinned, and checks
the amounts computed by hand in the comments. Tariff defaults (SPEC [default]): pro has
4 free units per contract year, 1 unit = 15 min, CHF 160.00/h in 15-minute increments,
travel flat CHF 80.00, Fast Lane fee CHF 250.00, credit window 14 days, volume discount
5 % for 5-9 sites; VAT 8.1 % from 2024-01-01; payable total rounded to 0.05.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.timeutil import ZURICH
from plugins.contracts import quotes as quote_rules
from plugins.contracts import services as contract_rules
from plugins.invoicing.jobs import run_period
from plugins.invoicing.models import Invoice
from plugins.servicedesk import costs, intake, work
from plugins.servicedesk.dispatch import acknowledge, add_shift, dispatch
from plugins.servicedesk.models import Charge, FastLaneCredit, Ticket, VerificationAttempt
from tests.core.isolated import isolated_client

D = Decimal
NOVEMBER_RUN = datetime(2026, 11, 1, 7, 0, tzinfo=ZURICH)
DECEMBER_RUN = datetime(2026, 12, 1, 7, 0, tzinfo=ZURICH)
JANUARY_RUN = datetime(2027, 1, 1, 7, 0, tzinfo=ZURICH)


def zurich(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZURICH)


@pytest.fixture
def app_config():
    # Invoicing starts with November 2026 (older months were billed by the old system).
    return {"FROZEN_NOW": NOVEMBER_RUN, "INVOICING_FIRST_PERIOD": "2026-11"}


@pytest.fixture
def clock(app):
    def set_to(instant: datetime) -> datetime:
        app.config["FROZEN_NOW"] = instant
        return instant

    return set_to


class World:
    """A site under a CLA since 2026-01-01 (pro by default), an authorised caller (PIN
    4711), a desk agent, and the technician and chief on call (roster fallbacks)."""

    def __init__(self, db, factories, tier: str = "pro", name: str = "Muster Treuhand AG"):
        self.db = db
        self.customer = factories.customer(name, phone="+41 56 222 33 44")
        self.site = factories.site(self.customer, "Hauptsitz Baden", phone="+41 56 222 33 00")
        self.contract = contract_rules.start_contract_in_the_past(self.site, tier, date(2026, 1, 1))
        self.caller = factories.contact(self.customer, "Anna Anrufer", pin="4711")
        self.agent = factories.user("service_desk", language="en")
        self.technician = factories.user("technician", name="Toni Techniker", language="en")
        self.chief = factories.user("chief", name="Chris Chef", language="en")
        add_shift(self.technician, "technician", fallback=True)
        add_shift(self.chief, "chief", fallback=True)
        db.session.commit()


@pytest.fixture
def world(db, factories) -> World:
    return World(db, factories)


def cli_run(app, period: str, *options: str) -> str:
    """`flask invoicing run --period YYYY-MM [--issue]`, as finance starts it."""
    result = app.test_cli_runner().invoke(args=["invoicing", "run", "--period", period, *options])
    assert result.exit_code == 0, result.output
    return result.output


def site_invoices(db, site, period: str) -> list[Invoice]:
    db.session.expire_all()
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.site_id == site.id, Invoice.period == period)
        .order_by(Invoice.id)
    ).all()


def the_invoice(db, site, period: str) -> Invoice:
    (invoice,) = site_invoices(db, site, period)
    return invoice


def charge_lines(invoice: Invoice) -> dict[str, tuple]:
    """reference -> (quantity, unit_price, amount, vat rate, zero-rated reason)."""
    return {
        line.reference: (
            line.quantity,
            line.unit_price,
            line.amount,
            line.vat_rate,
            line.zero_rated_reason,
        )
        for line in invoice.lines
        if line.kind == "charge"
    }


def totals(invoice: Invoice) -> tuple:
    return (
        invoice.total_net,
        invoice.total_vat,
        invoice.total_gross,
        invoice.rounding_difference,
        invoice.payable,
    )


def work_ticket(w: World, clock, at: datetime, *, fast_lane: bool, remote: int, on_site=0):
    """A phone call taken to 2nd-level work by the desk and the on-call technician."""
    clock(at)
    ticket, verification = intake.take_call(
        w.site, "Telefone tot", w.caller, "4711", w.agent, description="Keine Amtsleitung"
    )
    assert verification.verified and ticket is not None
    assert ticket.inside_service_hours is (not fast_lane)
    if fast_lane:
        # Outside the service hours the desk offers Fast Lane at CHF 250.00; confirmed.
        assert ticket.fast_lane_fee == D("250.00")
        intake.answer_fast_lane(ticket, True, w.agent)
    else:
        dispatch(ticket, w.agent)
    assert ticket.state == "dispatched" and ticket.technician_id == w.technician.id
    acknowledge(ticket, w.technician)
    work.record_first_reaction(ticket, w.technician, "Router hat Konfiguration verloren")
    work.start_work(ticket, w.technician)
    work.add_time(ticket, w.technician, "remote", remote)
    if on_site:
        work.add_time(ticket, w.technician, "on_site", on_site)
        work.add_time(ticket, w.technician, "travel", 35)  # recorded, billed as the flat fee
    return ticket


# --- 1. customer_environment: from the call to the invoice line ------------------------


def test_customer_environment_ticket_from_call_to_december_invoice(app, db, world, clock):
    w = world
    # November run (1 Nov): the November subscription in advance, pro 129.00.
    cli_run(app, "2026-11")
    assert [(li.kind, li.amount) for li in the_invoice(db, w.site, "2026-11").lines] == [
        ("advance", D("129.00"))
    ]

    # Tue 2026-11-24 09:58: a wrong PIN opens no ticket, can dispatch nobody, is recorded.
    clock(zurich(2026, 11, 24, 9, 58))
    refused, verification = intake.take_call(w.site, "Telefone tot", w.caller, "0000", w.agent)
    assert refused is None and verification.outcome == "wrong_pin"
    attempts = db.session.scalars(select(VerificationAttempt)).all()
    assert [(a.contact_id, a.outcome, a.ticket_id) for a in attempts] == [
        (w.caller.id, "wrong_pin", None)
    ]
    assert db.session.scalars(select(Ticket)).all() == []

    # Tue 2026-11-24 10:00 Zurich: inside pro's service hours (Mon-Fri 07-19).
    ticket = work_ticket(
        w, clock, zurich(2026, 11, 24, 10, 0), fast_lane=False, remote=65, on_site=30
    )
    # pro reacts within 6 service hours: due Tue 16:00 (SPEC 2 worked example).
    assert ticket.first_reaction_due_at == zurich(2026, 11, 24, 16, 0)
    work.add_material(ticket, w.technician, "Netzteil 12 V", D("1"), D("45.50"))
    clock(zurich(2026, 11, 25, 9, 0))
    work.resolve(ticket, w.technician, "customer_environment", "minor", "Neu konfiguriert")
    work.close(ticket, w.technician)
    db.session.commit()
    # 65 remote + 30 on-site = 95 min -> billed 105 min = 7 units; 4 free (60 min),
    # 45 min = 0.75 h x 160.00 = 120.00; one on-site visit: travel flat 80.00;
    # material 1 x 45.50 = 45.50. Charges: 0.00 + 120.00 + 80.00 + 45.50 = 245.50.
    assert costs.free_units(w.site, zurich(2026, 11, 25, 12, 0)).left == 0

    # December run (1 Dec 07:00): November's charges in arrears + December in advance.
    clock(DECEMBER_RUN)
    assert "1 invoice(s) created" in cli_run(app, "2026-12")
    invoice = the_invoice(db, w.site, "2026-12")
    prefix = f"ticket:{ticket.id}"
    travel_ref = f"{prefix}:travel:2026-11-24"
    material_ref = f"{prefix}:material:{ticket.materials[0].id}"
    rate = D("8.1")
    assert charge_lines(invoice) == {
        f"{prefix}:time:free": (
            D("1.000"),
            D("0.00"),
            D("0.00"),
            rate,
            "Gratis-Service-Einheiten des Vertragsjahres",  # in the customer's language
        ),
        f"{prefix}:time": (D("0.750"), D("160.00"), D("120.00"), rate, None),
        travel_ref: (D("1.000"), D("80.00"), D("80.00"), rate, None),
        material_ref: (D("1.000"), D("45.50"), D("45.50"), rate, None),
    }
    assert [(li.kind, li.amount) for li in invoice.lines if li.kind != "charge"] == [
        ("advance", D("129.00"))  # November was billed right in advance: nothing to settle
    ]
    # net 129.00 + 245.50 = 374.50; VAT 8.1 % = 30.3345 -> 30.33; gross 404.83;
    # payable rounded to 0.05 = 404.85 (rounding line +0.02).
    assert totals(invoice) == (D("374.50"), D("30.33"), D("404.83"), D("0.02"), D("404.85"))

    # A second run bills nothing more.
    assert "0 invoice(s) created" in cli_run(app, "2026-12")
    assert len(site_invoices(db, w.site, "2026-12")) == 1
    assert run_period("2026-12").invoice_ids == []


# --- 2. base_system with Fast Lane: everything at 0.00 with the reason ------------------


def test_base_system_fast_lane_ticket_is_invoiced_at_zero_with_the_reason(app, db, world, clock):
    w = world
    cli_run(app, "2026-11")
    # Tue 2026-11-24 20:00: outside pro's hours (07-19) -> Fast Lane offered, confirmed.
    ticket = work_ticket(
        w, clock, zurich(2026, 11, 24, 20, 0), fast_lane=True, remote=65, on_site=30
    )
    assert ticket.fast_lane and ticket.fast_lane_fee == D("250.00")
    # Fast Lane: the CLA's 6 h in wall-clock time from the confirmation -> 02:00.
    assert ticket.first_reaction_due_at == zurich(2026, 11, 25, 2, 0)
    work.add_material(ticket, w.technician, "Netzteil 12 V", D("1"), D("45.50"))
    work.escalate_third_level(ticket, w.technician, w.chief, "SBC-Failover defekt")
    clock(zurich(2026, 11, 24, 23, 30))
    work.resolve(ticket, w.technician, "base_system", "critical", "SBC neu gestartet")
    db.session.commit()
    # base_system: time (105 min billed), travel, material and the Fast Lane fee are
    # zero-rated; the free units are not touched.
    assert costs.free_units(w.site, zurich(2026, 11, 25, 12, 0)).left == 4

    clock(DECEMBER_RUN)
    assert "1 issued" in cli_run(app, "2026-12", "--issue")
    invoice = the_invoice(db, w.site, "2026-12")
    prefix = f"ticket:{ticket.id}"
    reason = "Störung eines Winet-Basisdienstes: kostenlos"  # the customer's language
    rate = D("8.1")
    material_ref = f"{prefix}:material:{ticket.materials[0].id}"
    assert charge_lines(invoice) == {
        f"{prefix}:time": (D("1.750"), D("0.00"), D("0.00"), rate, reason),
        f"{prefix}:travel:2026-11-24": (D("1.000"), D("0.00"), D("0.00"), rate, reason),
        material_ref: (D("1.000"), D("0.00"), D("0.00"), rate, reason),
        f"{prefix}:fast_lane": (D("1.000"), D("0.00"), D("0.00"), rate, reason),
    }
    # Only December's advance costs: 129.00 + 8.1 % = 10.449 -> 10.45; 139.45.
    assert totals(invoice) == (D("129.00"), D("10.45"), D("139.45"), D("0.00"), D("139.45"))
    # The issued PDF shows the four lines at 0.00, each with the reason.
    assert invoice.number and invoice.pdf
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf)).pages)
    text = " ".join(text.split())
    assert text.count(reason) == 4, text
    assert run_period("2026-12").invoice_ids == []


# --- 3. Fast Lane credit against a CLA upgrade -----------------------------------------


def fast_lane_ticket(w: World, clock, at: datetime, resolved_at: datetime):
    """A Fast Lane call, 30 min remote (2 free units), fault in the customer's environment:
    the fee of 250.00 stands."""
    ticket = work_ticket(w, clock, at, fast_lane=True, remote=30)
    clock(resolved_at)
    work.resolve(ticket, w.technician, "customer_environment", "major")
    w.db.session.commit()
    return ticket


def test_fast_lane_fee_is_credited_once_against_an_upgrade_signed_within_14_days(
    app, db, world, clock
):
    w = world
    cli_run(app, "2026-11")
    # Fee A: confirmed Tue 2026-11-10 20:00 -> 15 days before the signature: not credited.
    old = fast_lane_ticket(w, clock, zurich(2026, 11, 10, 20, 0), zurich(2026, 11, 10, 22, 0))
    # Fee B: confirmed Tue 2026-11-24 20:00 -> 1 day before the signature: credited.
    recent = fast_lane_ticket(w, clock, zurich(2026, 11, 24, 20, 0), zurich(2026, 11, 24, 22, 0))

    # Wed 2026-11-25 10:00: the customer signs an upgrade pro -> pro+ from 1 December.
    clock(zurich(2026, 11, 25, 10, 0))
    contract_rules.upgrade(w.contract, "pro_plus", date(2026, 12, 1))
    db.session.commit()
    # Thu 2026-11-26: signs again, pro+ -> premium from 1 December: no second credit.
    clock(zurich(2026, 11, 26, 10, 0))
    contract_rules.upgrade(w.contract, "premium", date(2026, 12, 1))
    db.session.commit()
    credits = db.session.scalars(select(FastLaneCredit)).all()
    assert [c.ticket_id for c in credits] == [recent.id]

    clock(DECEMBER_RUN)
    cli_run(app, "2026-12")
    invoice = the_invoice(db, w.site, "2026-12")
    lines = charge_lines(invoice)
    rate = D("8.1")
    assert lines[f"ticket:{old.id}:fast_lane"][2] == D("250.00")
    assert lines[f"ticket:{recent.id}:fast_lane"][2] == D("250.00")
    assert lines[f"ticket:{recent.id}:fast_lane_credit"] == (
        D("1.000"),
        D("-250.00"),
        D("-250.00"),
        rate,
        None,
    )
    assert f"ticket:{old.id}:fast_lane_credit" not in lines
    assert sum(1 for ref in lines if ref.endswith(":fast_lane_credit")) == 1
    # premium 600.00 in advance + fees 250.00 + 250.00 - credit 250.00 (+ 2 x free time
    # 0.00) = 850.00 net; VAT 8.1 % = 68.85; 918.85 (already a multiple of 0.05).
    assert totals(invoice) == (D("850.00"), D("68.85"), D("918.85"), D("0.00"), D("918.85"))
    assert run_period("2026-12").invoice_ids == []


def test_fast_lane_fee_already_invoiced_is_credited_by_a_credit_note_after_a_shop_upgrade(
    app, db, world, clock, factories
):
    """A fee already on an issued invoice is credited by a credit note that references
    that invoice (SPEC 4 Fast Lane credit, SPEC 5), not by a line of the next invoice."""
    w = world
    cli_run(app, "2026-11")
    ticket = fast_lane_ticket(w, clock, zurich(2026, 11, 24, 20, 0), zurich(2026, 11, 24, 22, 0))

    # December run, issued: the fee 250.00 is on an issued invoice.
    clock(DECEMBER_RUN)
    cli_run(app, "2026-12", "--issue")
    december = the_invoice(db, w.site, "2026-12")
    assert december.status != "draft" and december.number
    assert charge_lines(december)[f"ticket:{ticket.id}:fast_lane"][2] == D("250.00")
    # 129.00 + 250.00 = 379.00; VAT 30.699 -> 30.70; 409.70.
    assert totals(december)[-1] == D("409.70")

    # Thu 2026-12-03 10:00 (8 days 14 h after the confirmation): the customer orders
    # pro+ in the web shop through the API; the upgrade takes effect today.
    clock(zurich(2026, 12, 3, 10, 0))
    buyer = factories.user("customer", customer=w.customer)
    token = factories.token(buyer)
    client = isolated_client(app)
    response = client.post(
        "/api/v1/shop/orders",
        json={"site_id": w.site.id, "tier_code": "pro_plus"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    # Ordering again (same tier) signs no upgrade and credits nothing more.
    response = client.post(
        "/api/v1/shop/orders",
        json={"site_id": w.site.id, "tier_code": "pro_plus"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    assert len(db.session.scalars(select(FastLaneCredit)).all()) == 1

    clock(JANUARY_RUN)
    output = cli_run(app, "2027-01")
    assert "1 credit note(s) issued" in output
    january = the_invoice(db, w.site, "2027-01")
    assert charge_lines(january) == {}
    # The credit note for the December invoice: the fee line, -250.00 at its 8.1 %:
    # VAT -20.25, -270.25; numbered in the credit-note series (issued by the run on
    # 1 January 2027), its PDF stored.
    (note,) = db.session.scalars(select(Invoice).where(Invoice.kind == "credit_note")).all()
    assert note.credited_invoice_id == december.id and note.status == "issued"
    assert note.number == "GS-2027-000001" and note.pdf  # issued on 1 January
    assert [(li.reference, li.amount, li.vat_rate) for li in note.lines] == [
        (f"ticket:{ticket.id}:fast_lane", D("-250.00"), D("8.1"))
    ]
    assert totals(note) == (D("-250.00"), D("-20.25"), D("-270.25"), D("0.00"), D("-270.25"))
    assert december.amount_credited == D("270.25")
    assert december.open_amount == D("409.70") - D("270.25")
    # The credit is billed (on the credit note) for servicedesk, and never again.
    credit = db.session.scalar(
        select(Charge).where(Charge.reference == f"ticket:{ticket.id}:fast_lane_credit")
    )
    assert credit.invoice_id == note.id
    # December settled: -129.00 (advance) + pro 1-2 Dec 129 x 2/31 = 8.32
    # + pro+ 3-31 Dec 228 x 29/31 = 213.29; January pro+ in advance 228.00.
    subscription = sorted(
        (li.kind, li.tier_code, li.amount) for li in january.lines if li.kind != "charge"
    )
    assert subscription == sorted(
        [
            ("advance_credit", "pro", D("-129.00")),
            ("settlement", "pro", D("8.32")),
            ("settlement", "pro_plus", D("213.29")),
            ("advance", "pro_plus", D("228.00")),
        ]
    )
    # net -129.00 + 8.32 + 213.29 + 228.00 = 320.61 (no credit line); VAT 25.969 -> 25.97;
    # gross 346.58 -> payable 346.60 (+0.02).
    assert totals(january) == (D("320.61"), D("25.97"), D("346.58"), D("0.02"), D("346.60"))
    # Runs again: the credit is never credited twice.
    assert run_period("2027-01").invoice_ids == []
    assert run_period("2027-01").credit_note_ids == []
    assert len(db.session.scalars(select(Invoice).where(Invoice.kind == "credit_note")).all()) == 1


def test_fast_lane_fee_already_invoiced_on_a_small_site_is_credited_by_a_credit_note(
    app, db, factories, clock
):
    w = World(db, factories, tier="basic", name="Kleinbetrieb GmbH")
    site, contract = w.site, w.contract
    # basic (free, 0 free units): Fast Lane Tue 2026-11-24 20:00, 30 min remote
    # = 0.5 h x 160.00 = 80.00, fee 250.00.
    ticket = fast_lane_ticket(w, clock, zurich(2026, 11, 24, 20, 0), zurich(2026, 11, 24, 22, 0))
    clock(DECEMBER_RUN)
    cli_run(app, "2026-12", "--issue")
    december = the_invoice(db, site, "2026-12")
    # 80.00 + 250.00 = 330.00; VAT 26.73; 356.73 -> 356.75.
    assert totals(december)[-1] == D("356.75")

    # Thu 2026-12-03: upgrade basic -> basic+ (9 days after the fee): the fee is credited.
    clock(zurich(2026, 12, 3, 10, 0))
    contract_rules.upgrade(contract, "basic_plus")
    db.session.commit()
    clock(JANUARY_RUN)
    cli_run(app, "2027-01", "--issue")
    db.session.expire_all()

    # SPEC: the fee already invoiced is credited by a credit note that references the
    # December invoice: -250.00 net, VAT 8.1 % -20.25, -270.25.
    notes = db.session.scalars(
        select(Invoice).where(
            Invoice.kind == "credit_note", Invoice.credited_invoice_id == december.id
        )
    ).all()
    assert [(n.total_net, n.payable) for n in notes] == [(D("-250.00"), D("-270.25"))]
    assert [line.reference for line in notes[0].lines] == [f"ticket:{ticket.id}:fast_lane"]
    # ... and the January invoice bills only the subscription: basic+ 3-31 Dec
    # 49 x 29/31 = 45.84 + January 49.00 = 94.84; VAT 7.68; 102.52 -> 102.50.
    january = the_invoice(db, site, "2027-01")
    assert totals(january)[-1] == D("102.50")


# --- 4. a quote for 6 sites, accepted, and the first run ---------------------------------


def test_quote_for_six_sites_is_billed_at_list_price_less_the_volume_discount(
    app, db, factories, clock
):
    clock(zurich(2026, 11, 24, 10, 0))
    customer = factories.customer("Aarebank Genossenschaft", language="de")
    manager = factories.user("account_manager")
    tiers = ["premium", "pro_plus", "pro", "pro", "basic_plus", "basic_plus"]
    quote = quote_rules.create_quote(
        customer, manager, start_date=date(2026, 12, 1), valid_until=date(2026, 12, 15)
    )
    # Four existing branches and two new ones (created when the quote is accepted).
    for n, tier in enumerate(tiers[:4], start=1):
        quote_rules.add_line(quote, tier, site=factories.site(customer, f"Filiale {n}"))
    for n, tier in enumerate(tiers[4:], start=5):
        new_site = quote_rules.NewSite(f"Filiale {n}", "Weite Gasse", str(n), "5400", "Baden")
        quote_rules.add_line(quote, tier, new_site=new_site)
    quoted = quote_rules.quote_totals(quote)
    # list 600 + 228 + 129 + 129 + 49 + 49 = 1184.00; 6 sites -> 5 % = 59.20; 1124.80.
    assert (quoted.subtotal, quoted.volume_discount_percent, quoted.net) == (
        D("1184.00"),
        D("5"),
        D("1124.80"),
    )
    quote_rules.send_quote(quote)
    db.session.commit()

    # Thu 2026-11-26: the customer accepts through the signed link.
    clock(zurich(2026, 11, 26, 15, 0))
    token = quote_rules.accept_token(quote)
    response = app.test_client().post(f"/contracts/q/{token}/accept")
    assert response.status_code == 302
    db.session.expire_all()
    accepted = quote_rules.quote_for_token(token)
    assert accepted.state == "accepted"
    sites = [line.site for line in accepted.lines]
    assert [site.name for site in sites] == [f"Filiale {n}" for n in range(1, 7)]
    assert all(line.contract_id for line in accepted.lines)

    clock(DECEMBER_RUN)
    cli_run(app, "2026-12")
    # Per site, December in advance: list price, then the 5 % discount as its own line.
    # premium 600.00 - 30.00 = 570.00, VAT 46.17 -> 616.17 -> 616.15 (-0.02)
    # pro+ 228.00 - 11.40 = 216.60, VAT 17.5446 -> 17.54 -> 234.14 -> 234.15 (+0.01)
    # pro 129.00 - 6.45 = 122.55, VAT 9.92655 -> 9.93 -> 132.48 -> 132.50 (+0.02)
    # basic+ 49.00 - 2.45 = 46.55, VAT 3.77055 -> 3.77 -> 50.32 -> 50.30 (-0.02)
    expected = {
        "premium": (D("600.00"), D("-30.00"), (D("570.00"), D("46.17"), D("616.17"))),
        "pro_plus": (D("228.00"), D("-11.40"), (D("216.60"), D("17.54"), D("234.14"))),
        "pro": (D("129.00"), D("-6.45"), (D("122.55"), D("9.93"), D("132.48"))),
        "basic_plus": (D("49.00"), D("-2.45"), (D("46.55"), D("3.77"), D("50.32"))),
    }
    payable = {"premium": "616.15", "pro_plus": "234.15", "pro": "132.50", "basic_plus": "50.30"}
    net_sum = D("0.00")
    for site, tier in zip(sites, tiers, strict=True):
        invoice = the_invoice(db, site, "2026-12")
        price, discount, (net, vat, gross) = expected[tier]
        assert [(li.kind, li.unit, li.amount) for li in invoice.lines] == [
            ("advance", "month", price),
            ("advance", "volume_discount", discount),
        ], tier
        assert invoice.lines[1].quantity == D("5")
        assert totals(invoice) == (
            net,
            vat,
            gross,
            D(payable[tier]) - gross,
            D(payable[tier]),
        ), tier
        net_sum += invoice.total_net
    # The six invoices together are the quote's net per month.
    assert net_sum == quoted.net == D("1124.80")
    assert run_period("2026-12").invoice_ids == []


def test_the_quote_states_to_the_rappen_what_the_invoices_bill(app, db, factories, clock):
    # 6 sites, 5 % volume + 3.5 % special: a quote that discounted the subtotal promised
    # 1'156.56 a month while the invoices, discounting each site, billed 1'156.54. Now
    # both discount each site's month with the same function (AgreedDiscount.apply).
    clock(zurich(2026, 11, 24, 10, 0))
    customer = factories.customer("Seeland Treuhand AG", invoice_mode="consolidated")
    quote = quote_rules.create_quote(
        customer,
        factories.user("account_manager"),
        start_date=date(2026, 12, 1),
        valid_until=date(2026, 12, 15),
        manual_discount_percent=D("3.50"),
    )
    tiers = ["premium", "pro_plus", "pro", "pro", "pro", "basic_plus"]
    for n, tier in enumerate(tiers, start=1):
        quote_rules.add_line(quote, tier, site=factories.site(customer, f"Filiale {n}"))
    quoted = quote_rules.quote_totals(quote)
    # 600 + 228 + 3 x 129 + 49 = 1264.00; per site: premium 30.00 + 21.00, pro+ 11.40 +
    # 7.98, pro 6.45 + 4.52 (4.515) three times, basic+ 2.45 + 1.72 (1.715).
    assert (quoted.subtotal, quoted.volume_discount, quoted.manual_discount, quoted.net) == (
        D("1264.00"),
        D("63.20"),
        D("44.26"),
        D("1156.54"),
    )
    quote_rules.send_quote(quote)
    db.session.commit()
    quote_rules.accept_quote(quote.id, "it@seeland.example")
    db.session.commit()

    clock(DECEMBER_RUN)
    (invoice_id,) = run_period("2026-12").invoice_ids
    invoice = db.session.get(Invoice, invoice_id)
    assert invoice.total_net == quoted.net == D("1156.54")
    by_unit = {}
    for line in invoice.lines:
        by_unit[line.unit] = by_unit.get(line.unit, D("0.00")) + line.amount
    assert by_unit == {
        "month": D("1264.00"),
        "volume_discount": D("-63.20"),
        "special_discount": D("-44.26"),
    }
    premium_lines = [(li.unit, li.quantity, li.amount) for li in invoice.lines[:3]]
    assert premium_lines == [
        ("month", D("1.000"), D("600.00")),
        ("volume_discount", D("5.000"), D("-30.00")),
        ("special_discount", D("3.500"), D("-21.00")),
    ]
