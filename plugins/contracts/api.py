"""JSON endpoints for contracts, quotes and the web shop (listed in /api/openapi.json)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from app.toolkit import (
    Customer,
    RecordNotFound,
    Site,
    api_blueprint,
    committed,
    db,
    get_visible_or_404,
    given,
    has_permission,
    operation,
    scope_to_customer,
    today,
)
from plugins.contracts import quotes as quote_rules
from plugins.contracts import services, shop
from plugins.contracts.models import Contract, Quote
from plugins.contracts.reads import contract_page
from plugins.contracts.schemas import (
    AcceptanceOut,
    ApprovalIn,
    ContractIn,
    ContractOut,
    ContractQuery,
    NoticeIn,
    QuoteIn,
    QuoteOut,
    ShopOfferOut,
    ShopOrderIn,
    TierChangeIn,
)
from plugins.contracts.vocabulary import QuoteState

bp = api_blueprint("contracts_api")


# --- presenters -----------------------------------------------------------------------


def contract_out(contract: Contract) -> dict[str, Any]:
    return shown_contract(contract, contract.site.name, contract.periods)


def shown_contract(
    contract: Any,
    site_name: str,
    periods: list[services.TierPeriodLike],
    show_prices: bool | None = None,
    day: date | None = None,
) -> dict[str, Any]:
    """A contract (an object or a row of the shown columns) as the API shows it on `day`
    (today); the agreed discount only to roles that see prices (the service desk sees
    the CLA, not what it costs: SPEC 6). A list asks once for all its rows."""
    current = services.period_covering(periods, services.tier_day(contract.start_date, day))
    if show_prices is None:
        show_prices = has_permission(current_user, "core.prices.read")
    return {
        "id": contract.id,
        "customer_id": contract.customer_id,
        "site_id": contract.site_id,
        "site_name": site_name,
        "state": contract.state,
        "tier_code": current.tier_code if current else None,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "notice_received_on": contract.notice_received_on,
        "signed_at": contract.signed_at,
        "origin": contract.origin,
        "volume_discount_percent": contract.volume_discount_percent if show_prices else None,
        "special_discount_percent": contract.special_discount_percent if show_prices else None,
        "periods": [
            {
                "tier_code": line.tier_code,
                "first_day": line.first_day,
                "last_day": line.last_day,
                "change": line.change,
                "signed_at": line.signed_at,
            }
            for line in services.history_lines(periods, contract.end_date)
        ],
    }


def quote_out(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "number": quote.number,
        "customer_id": quote.customer_id,
        "state": quote.state,
        "approval": quote.approval,
        "needs_approval": quote_rules.needs_approval(quote),
        "start_date": quote.start_date,
        "valid_until": quote.valid_until,
        "manual_discount_percent": quote.manual_discount_percent,
        "sent_at": quote.sent_at,
        "accepted_at": quote.accepted_at,
        "lines": [
            {
                "id": line.id,
                "site_id": line.site_id,
                "site": line.site_label,
                "tier_code": line.tier.code,
                "list_price": quote_rules.line_list_price(line),
                "contract_id": line.contract_id,
            }
            for line in quote.lines
        ],
        "totals": quote_rules.quote_totals(quote),
    }


def _contract(contract_id: int) -> Contract:
    return get_visible_or_404(Contract, contract_id)


def _quote(quote_id: int) -> Quote:
    quote = get_visible_or_404(Quote, quote_id)
    if current_user.role == "customer" and quote.state == QuoteState.DRAFT:
        abort(404)  # a customer sees a quote once it is sent to them
    return quote


# `load=` of the operations with a body: the path record is found (and authorised)
# before the body is read, so an invalid body never reveals whether an id exists.
def _load_contract(contract_id: int) -> dict[str, Any]:
    return {"contract": _contract(contract_id)}


def _load_quote(quote_id: int) -> dict[str, Any]:
    return {"quote": _quote(quote_id)}


# --- contracts ------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/contracts",
    permission="contracts.read",
    summary="List contracts (customers: their own)",
    tags="contracts",
    query=ContractQuery,
    response=ContractOut,
    many=True,
)
def list_contracts(query: ContractQuery):
    filters = given(query, "site_id", "customer_id", "state")
    show_prices, day = has_permission(current_user, "core.prices.read"), today()
    return [
        shown_contract(row, site_name, periods, show_prices, day)
        for row, site_name, periods in contract_page(filters, query.limit, query.offset)
    ]


@operation(
    bp,
    "GET",
    "/contracts/<int:contract_id>",
    permission="contracts.read",
    summary="A contract with its tier history",
    tags="contracts",
    response=ContractOut,
)
def get_contract(contract_id: int):
    return contract_out(_contract(contract_id))


@operation(
    bp,
    "POST",
    "/contracts",
    permission="contracts.write",
    summary="Start an active contract for a site",
    tags="contracts",
    body=ContractIn,
    response=ContractOut,
    status=201,
)
def create_contract(body: ContractIn):
    site = get_visible_or_404(Site, body.site_id)

    return contract_out(
        committed(lambda: services.start_contract(site, body.tier_code, body.start_date))
    )


@operation(
    bp,
    "POST",
    "/contracts/<int:contract_id>/tier-changes",
    permission="contracts.write",
    summary="Upgrade (from a chosen day) or downgrade (from next month) a contract",
    tags="contracts",
    body=TierChangeIn,
    response=ContractOut,
    load=_load_contract,
)
def change_tier(contract: Contract, body: TierChangeIn):
    committed(lambda: services.change_tier(contract, body.tier_code, body.effective_on))
    return contract_out(contract)


@operation(
    bp,
    "POST",
    "/contracts/<int:contract_id>/notice",
    permission="contracts.write",
    summary="Record a notice: the contract ends at the end of the following month",
    tags="contracts",
    body=NoticeIn,
    response=ContractOut,
    load=_load_contract,
)
def give_notice(contract: Contract, body: NoticeIn):
    committed(lambda: services.give_notice(contract, body.received_on))
    return contract_out(contract)


@operation(
    bp,
    "DELETE",
    "/contracts/<int:contract_id>/notice",
    permission="contracts.write",
    summary="Withdraw a notice before the end date",
    tags="contracts",
    response=ContractOut,
)
def withdraw_notice(contract_id: int):
    contract = _contract(contract_id)
    committed(lambda: services.withdraw_notice(contract))
    return contract_out(contract)


# --- quotes ---------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/quotes",
    permission="contracts.quotes.read",
    summary="List quotes (customers: their own, once sent)",
    tags="quotes",
    response=QuoteOut,
    many=True,
)
def list_quotes():
    statement = scope_to_customer(select(Quote).order_by(Quote.id.desc()), Quote.customer_id)
    if current_user.role == "customer":
        statement = statement.where(Quote.state != QuoteState.DRAFT)
    return [quote_out(quote) for quote in db.session.scalars(statement.limit(200))]


@operation(
    bp,
    "GET",
    "/quotes/<int:quote_id>",
    permission="contracts.quotes.read",
    summary="A quote with lines and totals per month",
    tags="quotes",
    response=QuoteOut,
)
def get_quote(quote_id: int):
    return quote_out(_quote(quote_id))


@operation(
    bp,
    "POST",
    "/quotes",
    permission="contracts.quotes.write",
    summary="Create a draft quote with its sites and tiers",
    tags="quotes",
    body=QuoteIn,
    response=QuoteOut,
    status=201,
)
def create_quote(body: QuoteIn):
    customer = get_visible_or_404(Customer, body.customer_id, customer_id_of=lambda c: c.id)

    def build():
        quote = quote_rules.create_quote(
            customer,
            current_user,
            start_date=body.start_date,
            valid_until=body.valid_until,
            manual_discount_percent=body.manual_discount_percent,
            note=body.note,
        )
        for line in body.lines:
            if line.site_id is not None:
                site = db.session.get(Site, line.site_id)
                if site is None:
                    raise RecordNotFound(f"no site {line.site_id}")
                quote_rules.add_line(quote, line.tier_code, site=site)
            else:
                quote_rules.add_line(
                    quote,
                    line.tier_code,
                    new_site=quote_rules.NewSite(**line.new_site.model_dump()),
                )
        return quote

    return quote_out(committed(build))


@operation(
    bp,
    "POST",
    "/quotes/<int:quote_id>/approval-request",
    permission="contracts.quotes.write",
    summary="Ask finance to approve a manual discount above the limit",
    tags="quotes",
    response=QuoteOut,
)
def request_approval(quote_id: int):
    quote = _quote(quote_id)
    committed(lambda: quote_rules.request_approval(quote))
    return quote_out(quote)


@operation(
    bp,
    "POST",
    "/quotes/<int:quote_id>/approval",
    permission="contracts.quotes.approve",
    summary="Approve or reject a quote's manual discount (finance)",
    tags="quotes",
    body=ApprovalIn,
    response=QuoteOut,
    load=_load_quote,
)
def decide_approval(quote: Quote, body: ApprovalIn):
    committed(lambda: quote_rules.decide_approval(quote, current_user, body.approve))
    return quote_out(quote)


@operation(
    bp,
    "POST",
    "/quotes/<int:quote_id>/send",
    permission="contracts.quotes.write",
    summary="Send the quote with its PDF and accept link to the customer",
    tags="quotes",
    response=QuoteOut,
)
def send_quote(quote_id: int):
    quote = _quote(quote_id)
    committed(lambda: quote_rules.send_quote(quote))
    return quote_out(quote)


@operation(
    bp,
    "POST",
    "/quotes/<int:quote_id>/accept",
    permission="contracts.quotes.accept",
    summary="Accept an own sent quote: creates the contracts, exactly once",
    tags="quotes",
    response=AcceptanceOut,
)
def accept_quote(quote_id: int):
    quote = _quote(quote_id)
    actor = f"{current_user.email} (api)"
    accepted, created = committed(lambda: quote_rules.accept_quote(quote.id, actor))
    return {
        "quote": quote_out(accepted),
        "created": created,
        "contract_ids": [line.contract_id for line in accepted.lines if line.contract_id],
    }


@operation(
    bp,
    "POST",
    "/quotes/<int:quote_id>/decline",
    permission="contracts.quotes.accept",
    summary="Decline an own sent quote",
    tags="quotes",
    response=QuoteOut,
)
def decline_quote(quote_id: int):
    quote = _quote(quote_id)
    committed(lambda: quote_rules.decline_quote(quote, current_user.email))
    return quote_out(quote)


# --- web shop -------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/shop/offers",
    permission="contracts.shop",
    summary="The CLA tiers on sale today with price per month and FirstReaction",
    tags="shop",
    response=ShopOfferOut,
    many=True,
)
def shop_offers():
    return shop.shop_offers()


@operation(
    bp,
    "POST",
    "/shop/orders",
    permission="contracts.shop",
    summary="Order a tier for an own site: an active contract, or an upgrade",
    tags="shop",
    body=ShopOrderIn,
    response=ContractOut,
    status=201,
)
def order(body: ShopOrderIn):
    contract = committed(lambda: shop.order_in_shop(current_user, body.site_id, body.tier_code))
    return contract_out(contract)
