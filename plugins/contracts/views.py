"""Contract, quote and web-shop pages; every rule they apply lives in the services.

Every form is read with the host's `form_input` into the schemas the API uses, inside
`committed_or_flash`: bad input is flashed in the user's language and nothing is kept.
A record that does not exist (or is another customer's) answers 404.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from app.toolkit import (
    Customer,
    Filter,
    Listing,
    RecordNotFound,
    RuleViolation,
    Site,
    Sort,
    committed_or_flash,
    db,
    form_input,
    form_page_status,
    get_visible_or_404,
    has_permission,
    link_locale,
    messages_about,
    public,
    requires,
    scope_to_customer,
    state_filters,
    tier_versions_on,
    today,
    visible_customer_id,
)
from plugins.contracts import consequences, labels, services, shop
from plugins.contracts import quotes as quote_rules
from plugins.contracts.models import Contract, ContractTierPeriod, Quote
from plugins.contracts.schemas import (
    ContractIn,
    DecisionIn,
    NewSiteForm,
    NoticeIn,
    QuoteIn,
    QuoteLineForm,
    QuoteTermsIn,
    ShopOrderIn,
    TierChangeIn,
    TotalsPreviewIn,
)
from plugins.contracts.vocabulary import IN_FORCE, Approval, ContractState, QuoteState

bp = Blueprint("contracts", __name__, url_prefix="/contracts", template_folder="templates")

# Labels for stored codes, on every page: the contracts panel is shown on host pages too.
for _name, _filter in labels.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


@bp.context_processor
def _vocabularies() -> dict:
    """The codes templates compare with (the contracts panel gets them from its hook)."""
    return {"ContractState": ContractState, "QuoteState": QuoteState, "Approval": Approval}


@bp.errorhandler(RecordNotFound)
def _not_found(error: RecordNotFound):
    # Raised inside a service call: committed_or_flash lets it through, nothing is kept.
    db.session.rollback()
    return render_template("error.html", status=404, message=_("This page does not exist.")), 404


def _tier_choices() -> list:
    return list(tier_versions_on(today()).values())[::-1]


# --- contracts ------------------------------------------------------------------------


CONTRACT_LIST = Listing(
    endpoint="contracts.index",
    filters=state_filters(Contract.state, ContractState),
    default_filter="all",
    filter_arg="state",
    sorts=(
        Sort("customer", Customer.legal_name),
        Sort("site", Site.name),
        Sort("state", Contract.state),
        Sort("start", Contract.start_date),
        Sort("end", Contract.end_date),
    ),
    default_sort="customer",
    search=(Customer.legal_name, Customer.number, Site.name, Site.town),
    tiebreak=Contract.id,
)


@bp.get("/")
@requires("contracts.read")
def index():
    statement = scope_to_customer(
        select(Contract)
        .join(Contract.customer)
        .join(Contract.site)
        .options(
            selectinload(Contract.periods).selectinload(ContractTierPeriod.tier),
            contains_eager(Contract.site),
            contains_eager(Contract.customer),
        ),
        Contract.customer_id,
    )
    return render_template(
        "contracts/index.html",
        page=CONTRACT_LIST.page(statement, request.args),
        current_tier=services.current_tier,
    )


@bp.get("/<int:contract_id>")
@requires("contracts.read")
def detail(contract_id: int):
    contract = get_visible_or_404(Contract, contract_id)
    tier = services.current_tier(contract)
    return render_template(
        "contracts/detail.html",
        contract=contract,
        tier=tier,
        history=services.contract_history(contract),
        tiers=_tier_choices(),
        today=today(),
        downgrade_on=services.downgrade_effective_date(today()),
        notice_end=services.notice_end_date(today()),
    )


@bp.post("/<int:contract_id>/tier")
@requires("contracts.write")
def change_tier(contract_id: int):
    contract = get_visible_or_404(Contract, contract_id)

    def change():
        body = form_input(TierChangeIn)
        return services.change_tier(contract, body.tier_code, body.effective_on)

    committed_or_flash(change, _("The tier change is recorded."))
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.post("/<int:contract_id>/tier/consequence")
@requires("contracts.read")
def tier_consequence(contract_id: int):
    """The price of a tier change before it is confirmed; nothing is kept."""
    contract = get_visible_or_404(Contract, contract_id)
    try:
        body = form_input(TierChangeIn)
        consequence = consequences.tier_change_consequence(
            contract, body.tier_code, body.effective_on
        )
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    db.session.rollback()  # the what-if held the contract's lock; it wrote nothing
    return render_template(
        "contracts/consequence.html",
        contract=db.session.get(Contract, contract_id),
        consequence=consequence,
        change="tier",
        fields={"tier_code": body.tier_code, "effective_on": body.effective_on},
        confirm=url_for("contracts.change_tier", contract_id=contract_id),
        may_confirm=has_permission(current_user, "contracts.write"),
    )


@bp.post("/<int:contract_id>/notice/consequence")
@requires("contracts.read")
def notice_consequence(contract_id: int):
    contract = get_visible_or_404(Contract, contract_id)
    try:
        body = form_input(NoticeIn)
        consequence = consequences.notice_consequence(contract, body.received_on)
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    db.session.rollback()
    return render_template(
        "contracts/consequence.html",
        contract=db.session.get(Contract, contract_id),
        consequence=consequence,
        change="notice",
        fields={"received_on": body.received_on},
        confirm=url_for("contracts.give_notice", contract_id=contract_id),
        may_confirm=has_permission(current_user, "contracts.write"),
    )


@bp.post("/<int:contract_id>/notice")
@requires("contracts.write")
def give_notice(contract_id: int):
    contract = get_visible_or_404(Contract, contract_id)
    committed_or_flash(
        lambda: services.give_notice(contract, form_input(NoticeIn).received_on),
        _("The notice is recorded."),
    )
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.post("/<int:contract_id>/notice/withdraw")
@requires("contracts.write")
def withdraw_notice(contract_id: int):
    contract = get_visible_or_404(Contract, contract_id)
    committed_or_flash(lambda: services.withdraw_notice(contract), _("The notice is withdrawn."))
    return redirect(url_for("contracts.detail", contract_id=contract.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("contracts.write")
def new():
    # The site is part of the page's address (?site_id=), for the form and its answer.
    site = get_visible_or_404(Site, request.args.get("site_id", type=int) or 0)
    if request.method == "POST":

        def start():
            body = form_input(ContractIn, site_id=site.id)
            return services.start_contract(site, body.tier_code, body.start_date)

        contract = committed_or_flash(start, _("The contract is active."))
        if contract is not None:
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    page = render_template("contracts/new.html", site=site, tiers=_tier_choices(), today=today())
    return page, form_page_status()  # refused: the form again, with what was entered


# --- quotes ---------------------------------------------------------------------------


def _visible_quote(quote_id: int) -> Quote:
    quote = get_visible_or_404(Quote, quote_id)
    if visible_customer_id() is not None and quote.state == QuoteState.DRAFT:
        abort(404)  # a customer sees a quote once it is sent to them
    return quote


QUOTE_LIST = Listing(
    endpoint="contracts.quotes",
    filters=(
        *state_filters(Quote.state, QuoteState),
        Filter("awaiting_approval", _l("waiting for finance"), Quote.approval == Approval.PENDING),
    ),
    default_filter="all",
    sorts=(
        Sort("number", Quote.number),
        Sort("customer", Customer.legal_name),
        Sort("state", Quote.state),
        Sort("valid_until", Quote.valid_until),
        Sort("sent", Quote.sent_at),
    ),
    default_sort="-number",
    search=(Quote.number, Customer.legal_name, Customer.number, Quote.note),
    tiebreak=Quote.id,
)


@bp.get("/quotes")
@requires("contracts.quotes.read")
def quotes():
    statement = scope_to_customer(
        select(Quote)
        .join(Quote.customer)
        .options(contains_eager(Quote.customer), selectinload(Quote.lines)),
        Quote.customer_id,
    )
    if visible_customer_id() is not None:
        statement = statement.where(Quote.state != QuoteState.DRAFT)
    return render_template("contracts/quotes.html", page=QUOTE_LIST.page(statement, request.args))


@bp.route("/quotes/new", methods=["GET", "POST"])
@requires("contracts.quotes.write")
def quote_new():
    customers = db.session.scalars(
        select(Customer).where(Customer.active.is_(True)).order_by(Customer.legal_name)
    ).all()
    if request.method == "POST":

        def create():
            body = form_input(QuoteIn)
            customer = get_visible_or_404(Customer, body.customer_id, customer_id_of=lambda c: c.id)
            return quote_rules.create_quote(
                customer,
                current_user,
                start_date=body.start_date,
                valid_until=body.valid_until,
                manual_discount_percent=body.manual_discount_percent,
                note=body.note,
            )

        quote = committed_or_flash(create, _("Quote created. Now add the sites."))
        if quote is not None:
            return redirect(url_for("contracts.quote", quote_id=quote.id))
    page = render_template(
        "contracts/quote_new.html",
        customers=customers,
        selected=request.form.get("customer_id", type=int)
        or request.args.get("customer_id", type=int),
        start_date=services.first_day_of_next_month(today()),
        valid_until=today() + timedelta(days=30),
    )
    return page, form_page_status()  # refused: the form again, with what was entered


@bp.get("/quotes/<int:quote_id>")
@requires("contracts.quotes.read")
def quote(quote_id: int):
    record = _visible_quote(quote_id)
    sent = [m for m in messages_about("contracts_quote", record.id) if m.channel == "core.mail"]
    return render_template(
        "contracts/quote.html",
        quote=record,
        sent_mails=sent,
        totals=quote_rules.quote_totals(record),
        needs_approval=quote_rules.needs_approval(record),
        limit=quote_rules.manual_discount_limit(record.start_date),
        tiers=_tier_choices(),
        free_sites=[
            site
            for site in record.customer.sites
            if site.active and all(line.site_id != site.id for line in record.lines)
        ],
        list_price=quote_rules.line_list_price,
    )


@bp.post("/quotes/<int:quote_id>/update")
@requires("contracts.quotes.write")
def quote_update(quote_id: int):
    record = _visible_quote(quote_id)

    def update():
        body = form_input(QuoteTermsIn)
        quote_rules.update_quote(
            record, start_date=body.start_date, valid_until=body.valid_until, note=body.note
        )
        quote_rules.set_manual_discount(record, body.manual_discount_percent)

    if committed_or_flash(update, _("Saved.")) is None:
        # Refused (a discount of "abc"): the quote again with the terms as typed.
        return quote(quote_id), 422
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.post("/quotes/<int:quote_id>/lines")
@requires("contracts.quotes.write")
def quote_line_add(quote_id: int):
    record = _visible_quote(quote_id)

    def add():
        body = form_input(QuoteLineForm)
        if body.site_id is not None:
            site = get_visible_or_404(Site, body.site_id)
            return quote_rules.add_line(record, body.tier_code, site=site)
        new_site = form_input(NewSiteForm).new_site()
        return quote_rules.add_line(
            record, body.tier_code, new_site=quote_rules.NewSite(**new_site.model_dump())
        )

    if committed_or_flash(add, _("Site added.")) is None:
        # Refused (e.g. no tier chosen): the page again with the message and what was typed.
        return quote(quote_id), 422
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.post("/quotes/<int:quote_id>/lines/<int:line_id>/remove")
@requires("contracts.quotes.write")
def quote_line_remove(quote_id: int, line_id: int):
    record = _visible_quote(quote_id)
    committed_or_flash(lambda: quote_rules.remove_line(record, line_id), _("Site removed."))
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.post("/quotes/<int:quote_id>/totals")
@requires("contracts.quotes.write")
def quote_totals_preview(quote_id: int):
    """Live totals while the account manager edits the discount (nothing is saved)."""
    record = _visible_quote(quote_id)
    try:
        manual = TotalsPreviewIn.model_validate(
            request.get_json(silent=True) or {}
        ).manual_discount_percent
        totals = quote_rules.quote_totals(record, manual_override=manual)
    except ValidationError:
        return jsonify({"error": _("Please enter a percentage such as 2.5.")}), 400
    except RuleViolation as error:
        return jsonify({"error": str(error)}), 400
    return jsonify(
        {name: str(value) for name, value in asdict(totals).items()}
        | {"needs_approval": quote_rules.needs_approval(record, manual_override=manual)}
    )


@bp.post("/quotes/<int:quote_id>/approval-request")
@requires("contracts.quotes.write")
def quote_request_approval(quote_id: int):
    record = _visible_quote(quote_id)
    committed_or_flash(
        lambda: quote_rules.request_approval(record), _("Finance is asked to approve.")
    )
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.get("/quotes/<int:quote_id>/send")
@requires("contracts.quotes.write")
def quote_send_preview(quote_id: int):
    """The e-mail as the customer will get it, before it is sent."""
    record = _visible_quote(quote_id)
    if record.state != QuoteState.DRAFT:
        return redirect(url_for("contracts.quote", quote_id=record.id))
    return render_template(
        "contracts/quote_send.html", quote=record, mail=quote_rules.quote_mail(record)
    )


@bp.post("/quotes/<int:quote_id>/send")
@requires("contracts.quotes.write")
def quote_send(quote_id: int):
    record = _visible_quote(quote_id)
    committed_or_flash(
        lambda: quote_rules.send_quote(record), _("The quote is sent to the customer.")
    )
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.get("/quotes/<int:quote_id>/pdf")
@requires("contracts.quotes.read")
def quote_pdf(quote_id: int):
    record = _visible_quote(quote_id)
    return Response(
        quote_rules.quote_pdf(record),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{record.number}.pdf"'},
    )


@bp.get("/approvals")
@requires("contracts.quotes.approve")
def approvals():
    pending = db.session.scalars(quote_rules.pending_approvals().order_by(Quote.id)).all()
    return render_template(
        "contracts/approvals.html",
        quotes=[(quote, quote_rules.quote_totals(quote)) for quote in pending],
    )


@bp.post("/quotes/<int:quote_id>/approval")
@requires("contracts.quotes.approve")
def quote_decide(quote_id: int):
    record = _visible_quote(quote_id)

    def decide():
        decision = form_input(DecisionIn).decision
        quote_rules.decide_approval(record, current_user, decision == Approval.APPROVED)
        return decision

    decision = committed_or_flash(decide)
    if decision == Approval.APPROVED:
        flash(_("The discount is approved."), "success")
    elif decision == Approval.REJECTED:
        flash(_("The discount is rejected."), "success")
    return redirect(url_for("contracts.approvals"))


@bp.post("/quotes/<int:quote_id>/accept")
@requires("contracts.quotes.accept")
def quote_accept(quote_id: int):
    record = _visible_quote(quote_id)
    result = committed_or_flash(
        lambda: quote_rules.accept_quote(record.id, f"{current_user.email} (portal)"),
        _("Thank you. The quote is accepted and your contracts are active."),
    )
    if result is not None and not result[1]:
        flash(_("This quote had already been accepted."), "info")
    return redirect(url_for("contracts.quote", quote_id=record.id))


@bp.post("/quotes/<int:quote_id>/decline")
@requires("contracts.quotes.accept")
def quote_decline(quote_id: int):
    record = _visible_quote(quote_id)
    committed_or_flash(
        lambda: quote_rules.decline_quote(record, current_user.email), _("The quote is declined.")
    )
    return redirect(url_for("contracts.quote", quote_id=record.id))


# --- the signed accept link (no login) ------------------------------------------------


class _LinkExpired(Exception):
    """Raised in a link view to answer the expired page (see _link_expired)."""


def _quote_for_link(token: str) -> Quote:
    """The quote of a genuine link; a forged or stale one is not found (RecordNotFound)."""
    try:
        return quote_rules.quote_for_token(token)
    except quote_rules.QuoteLinkExpired as error:
        raise _LinkExpired(str(error)) from error


@bp.errorhandler(_LinkExpired)
def _link_expired(error: _LinkExpired):
    # 410 Gone: the link was genuine but no longer shows, accepts or declines anything.
    return render_template("error.html", status=410, message=str(error)), 410


@bp.get("/q/<token>")
@public("the signed, expiring quote link is the customer's authorisation")
def quote_link(token: str):
    record = _quote_for_link(token)
    with link_locale(record.customer.language):
        return render_template(
            "contracts/quote_link.html",
            quote=record,
            token=token,
            totals=quote_rules.quote_totals(record),
            list_price=quote_rules.line_list_price,
            expired=quote_rules.is_expired(record),
        )


@bp.post("/q/<token>/accept")
@public("the signed, expiring quote link is the customer's authorisation")
def quote_link_accept(token: str):
    record = _quote_for_link(token)
    result = committed_or_flash(
        lambda: quote_rules.accept_quote(record.id, "signed link"),
        _("Thank you. The quote is accepted and your contracts are active."),
    )
    if result is not None and not result[1]:
        flash(_("This quote had already been accepted."), "info")
    return redirect(url_for("contracts.quote_link", token=token))


@bp.post("/q/<token>/decline")
@public("the signed, expiring quote link is the customer's authorisation")
def quote_link_decline(token: str):
    record = _quote_for_link(token)
    committed_or_flash(
        lambda: quote_rules.decline_quote(record, "signed link"), _("The quote is declined.")
    )
    return redirect(url_for("contracts.quote_link", token=token))


# --- web shop -------------------------------------------------------------------------


@bp.post("/shop/consequence")
@requires("contracts.shop")
def shop_consequence():
    """What the order would cost before it is placed; nothing is kept."""
    try:
        body = form_input(ShopOrderIn)
        site = db.session.get(Site, body.site_id)
        if site is None or site.customer_id != current_user.customer_id:
            raise RecordNotFound(f"no site {body.site_id}")
        consequence = consequences.order_consequence(
            site.customer_id,
            site,
            lambda: shop.order_in_shop(current_user, body.site_id, body.tier_code),
        )
    except RuleViolation as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("contracts.shop"))
    db.session.rollback()
    return render_template(
        "contracts/consequence.html",
        contract=None,
        consequence=consequence,
        change="tier",
        fields={"site_id": body.site_id, "tier_code": body.tier_code},
        confirm=url_for("contracts.shop"),
        may_confirm=True,
        confirm_label=_("Order with obligation to pay"),
    )


@bp.route("/shop", methods=["GET", "POST"], endpoint="shop")
@requires("contracts.shop")
def shop_page():
    """Choose a site and a tier (nothing preselected), see the summary, then order.

    The summary is the answer to the first POST (step=review); its button posts the
    same choice again without the step, which orders.
    """
    own = current_user.customer_id
    sites = db.session.scalars(
        select(Site).where(Site.customer_id == own, Site.active.is_(True)).order_by(Site.name)
    ).all()
    in_force = {
        contract.site_id: services.current_tier(contract)
        for contract in db.session.scalars(
            select(Contract).where(Contract.customer_id == own, Contract.state.in_(IN_FORCE))
        )
    }
    offers = shop.shop_offers()
    if request.method == "POST" and request.form.get("step") == "review":
        summary = committed_or_flash(lambda: _shop_summary(sites, offers, in_force))
        if summary is not None:
            db.session.rollback()  # the summary changes nothing
            return render_template("contracts/shop_review.html", **summary)
    elif request.method == "POST":

        def order():
            body = form_input(ShopOrderIn)
            return shop.order_in_shop(current_user, body.site_id, body.tier_code)

        contract = committed_or_flash(order, _("Thank you for your order. Your CLA is active."))
        if contract is not None:
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template(
        "contracts/shop.html",
        sites=sites,
        offers=offers,
        in_force=in_force,
        selected_site=request.values.get("site_id", type=int),
        selected_tier=request.values.get("tier_code"),
    )


def _shop_summary(sites, offers, in_force) -> dict:
    """What the customer is about to order, checked like the order (nothing written)."""
    body = form_input(ShopOrderIn)
    site = next((site for site in sites if site.id == body.site_id), None)
    if site is None:
        raise RecordNotFound(f"no site {body.site_id}")
    offer = next((offer for offer in offers if offer.code == body.tier_code), None)
    if offer is None:
        raise RuleViolation(_("This tier cannot be ordered."), "tier_code")
    current = in_force.get(site.id)
    downgrade = current is not None and current.rank > shop.tier_rank(offer.code)
    return {
        "site": site,
        "offer": offer,
        "current": current,
        "starts_on": services.first_day_of_next_month(today()) if downgrade else today(),
        "downgrade": downgrade,
        "yearly": offer.monthly_price * 12,
    }
