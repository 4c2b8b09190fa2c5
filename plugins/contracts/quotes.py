"""Quote rules: lines per site, volume and manual discounts, approval, sending and acceptance.

A quote is priced at the catalog valid on its start date until it is sent; sending
freezes each line's list price so that the customer accepts what the PDF showed.
Acceptance is claimed with one conditional UPDATE, which makes a doubly clicked link
(or two concurrent accepts) create the contracts exactly once.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from sqlalchemy import select, update

from app.toolkit import (
    AgreedDiscount,
    Attachment,
    Customer,
    ReactionKind,
    RecordNotFound,
    RuleViolation,
    Site,
    SiteIn,
    User,
    company,
    create_site,
    db,
    now,
    percent_of,
    qr_code_svg,
    queue_mail,
    render_pdf,
    round_chf,
    tariff,
    today,
)
from plugins.contracts.models import Contract, Quote, QuoteLine
from plugins.contracts.services import order_tier, tier_by_code
from plugins.contracts.vocabulary import Approval, ContractOrigin, QuoteState

ACCEPT_SALT = "contracts.quote-accept"
ZERO = Decimal("0.00")


# --- discounts and totals -------------------------------------------------------------


def volume_discount_percent(site_count: int, on: date | None = None) -> Decimal:
    """The tariff's volume discount for a number of sites (SPEC 3 [default] 5/8/12 %)."""
    steps = tariff("contracts.volume_discount", on=on)
    percent = Decimal("0")
    for step in sorted(steps, key=lambda s: int(s["min_sites"])):
        if site_count >= int(step["min_sites"]):
            percent = Decimal(str(step["percent"]))
    return percent


def manual_discount_limit(on: date | None = None) -> Decimal:
    return tariff("contracts.manual_discount_limit_percent", on=on)


@dataclass(frozen=True)
class QuoteTotals:
    """Per month, excl. VAT unless said otherwise; each site's discounts are taken from its
    list price and rounded there, exactly as its invoices will bill them."""

    site_count: int
    subtotal: Decimal
    volume_discount_percent: Decimal
    volume_discount: Decimal
    manual_discount_percent: Decimal
    manual_discount: Decimal
    net: Decimal
    vat_percent: Decimal
    vat: Decimal
    total: Decimal


def compute_totals(
    list_prices: list[Decimal],
    volume_percent: Decimal,
    manual_percent: Decimal,
    vat_percent: Decimal,
) -> QuoteTotals:
    """Totals of a quote from its lines' monthly list prices.

    Each site's month is discounted as its invoices will bill it (AgreedDiscount.apply:
    volume and special discount each rounded to 0.01 per site), and the quote adds these
    up: a quote stating a monthly amount the invoices then miss by a Rappen would be a
    broken promise.
    """
    discount = AgreedDiscount(volume_percent, manual_percent)
    sites = [discount.apply(price) for price in list_prices]
    subtotal = round_chf(sum(list_prices, ZERO))
    volume = sum((site.volume for site in sites), ZERO)
    manual = sum((site.special for site in sites), ZERO)
    net = subtotal - volume - manual
    vat = percent_of(net, vat_percent)
    return QuoteTotals(
        site_count=len(list_prices),
        subtotal=subtotal,
        volume_discount_percent=volume_percent,
        volume_discount=volume,
        manual_discount_percent=manual_percent,
        manual_discount=manual,
        net=net,
        vat_percent=vat_percent,
        vat=vat,
        total=net + vat,
    )


def line_list_price(line: QuoteLine) -> Decimal:
    """The frozen price of a sent quote, else the catalog price on the quote's start date."""
    if line.list_price is not None:
        return line.list_price
    version = line.tier.version_on(line.quote.start_date)
    if version is None:
        raise _not_in_catalog(line.tier.code)
    return version.monthly_price


def _not_in_catalog(tier_code: str) -> RuleViolation:
    return RuleViolation(
        _("Tier %(tier)s is not in the catalog on the start date.", tier=tier_code), "tier"
    )


def check_manual_discount(percent: Decimal) -> Decimal:
    """A manual discount as a Decimal of 0..100 % with at most two decimals."""
    if isinstance(percent, float):
        raise TypeError("a discount is a Decimal, never a float")
    percent = Decimal(percent)
    if not Decimal("0") <= percent <= Decimal("100"):
        raise RuleViolation(
            _("The manual discount must be between 0 and 100 %."), "manual_discount"
        )
    if percent.quantize(Decimal("0.01")) != percent:
        raise RuleViolation(_("The manual discount has at most two decimals."), "manual_discount")
    return percent


def quote_totals(quote: Quote, manual_override: Decimal | None = None) -> QuoteTotals:
    """The quote's totals; with manual_override, as they would be with that manual
    discount (a preview while editing: nothing is changed)."""
    manual = (
        quote.manual_discount_percent
        if manual_override is None
        else check_manual_discount(manual_override)
    )
    prices = [line_list_price(line) for line in quote.lines]
    try:
        return compute_totals(
            prices,
            volume_discount_percent(len(prices), on=quote.start_date),
            manual,
            tariff("core.vat_standard_percent", on=quote.start_date),
        )
    except ValueError as error:  # volume + special discount above 100 %
        raise RuleViolation(
            _("The discounts together must not exceed 100 %."), "manual_discount"
        ) from error


MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class TierOffer:
    """What the quote offers on one tier: its service, its sites and their value."""

    version: object  # the TierVersion in force on the start date
    sites: int
    monthly_price: Decimal  # list price per site and month

    @property
    def monthly_value(self) -> Decimal:
        return self.monthly_price * self.sites

    @property
    def annual_value(self) -> Decimal:
        return self.monthly_value * MONTHS_PER_YEAR


def tier_offers(quote: Quote) -> list[TierOffer]:
    """The quote's tiers (best first) with their number of sites, at list prices."""
    grouped: dict[int, list[QuoteLine]] = {}
    for line in quote.lines:
        grouped.setdefault(line.tier_id, []).append(line)
    offers = [
        TierOffer(
            version=lines[0].tier.version_on(quote.start_date),
            sites=len(lines),
            monthly_price=line_list_price(lines[0]),
        )
        for lines in grouped.values()
    ]
    return sorted(offers, key=lambda offer: -offer.version.tier.rank)


def needs_approval(quote: Quote, manual_override: Decimal | None = None) -> bool:
    """A manual discount above the account manager's limit waits for finance."""
    manual = quote.manual_discount_percent if manual_override is None else manual_override
    return manual > manual_discount_limit(on=quote.start_date)


# --- building -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSite:
    name: str
    street: str
    house_number: str
    postal_code: str
    town: str
    canton: str = "AG"


def _require_draft(quote: Quote) -> None:
    if quote.state != QuoteState.DRAFT:
        raise RuleViolation(
            _(
                "A quote in the state %(state)s cannot be changed.",
                state=QuoteState.label_of(quote.state),
            ),
            "quote",
        )


def _validity_in_the_past() -> RuleViolation:
    return RuleViolation(_("The validity date lies in the past."), "valid_until")


def _start_in_the_past() -> RuleViolation:
    return RuleViolation(_("The contracts cannot start in the past."), "start_date")


def _reset_approval(quote: Quote) -> None:
    # Any change after an approval needs a new look by finance if it still exceeds the limit.
    quote.approval = Approval.NOT_NEEDED
    quote.approved_by_id = None
    quote.approved_at = None


def create_quote(
    customer: Customer,
    account_manager: User | None,
    *,
    start_date: date,
    valid_until: date,
    manual_discount_percent: Decimal = Decimal("0"),
    note: str = "",
) -> Quote:
    if valid_until < today():
        raise _validity_in_the_past()
    if start_date < today():
        raise _start_in_the_past()
    quote = Quote(
        customer=customer,
        account_manager=account_manager,
        state=QuoteState.DRAFT,
        approval=Approval.NOT_NEEDED,
        start_date=start_date,
        valid_until=valid_until,
        note=note,
    )
    db.session.add(quote)
    set_manual_discount(quote, manual_discount_percent)
    db.session.flush()
    quote.number = f"Q-{today().year}-{quote.id:05d}"
    db.session.flush()
    return quote


def update_quote(
    quote: Quote,
    *,
    start_date: date | None = None,
    valid_until: date | None = None,
    note: str | None = None,
) -> Quote:
    _require_draft(quote)
    if start_date is not None:
        if start_date < today():
            raise _start_in_the_past()
        quote.start_date = start_date
    if valid_until is not None:
        if valid_until < today():
            raise _validity_in_the_past()
        quote.valid_until = valid_until
    if note is not None:
        quote.note = note
    _reset_approval(quote)
    db.session.flush()
    return quote


def set_manual_discount(quote: Quote, percent: Decimal) -> Quote:
    _require_draft(quote)
    quote.manual_discount_percent = check_manual_discount(percent)
    _reset_approval(quote)
    db.session.flush()
    return quote


def add_line(
    quote: Quote, tier_code: str, *, site: Site | None = None, new_site: NewSite | None = None
) -> QuoteLine:
    """A site of the customer (existing, or new and created on acceptance) with its tier."""
    _require_draft(quote)
    if (site is None) == (new_site is None):
        raise RuleViolation(_("Give either an existing site or a new one."), "site")
    tier = tier_by_code(tier_code)
    if tier.version_on(quote.start_date) is None:
        raise _not_in_catalog(tier_code)
    line = QuoteLine(tier=tier)
    if site is not None:
        if site.customer_id != quote.customer_id:
            raise RuleViolation(_("The site belongs to another customer."), "site")
        if any(other.site_id == site.id for other in quote.lines):
            raise RuleViolation(
                _("Site %(site)s is already on this quote.", site=site.name), "site"
            )
        line.site = site
    else:
        try:
            checked = SiteIn(
                name=new_site.name,
                street=new_site.street,
                house_number=new_site.house_number,
                postal_code=new_site.postal_code,
                town=new_site.town,
                canton=new_site.canton,
            )
        except ValidationError as error:
            fields = sorted({str(item["loc"][0]) for item in error.errors() if item["loc"]})
            raise RuleViolation(
                _("The new site's address is not valid: %(fields)s.", fields=", ".join(fields)),
                "site",
            ) from error
        line.new_site_name = checked.name
        line.new_site_street = checked.street
        line.new_site_house_number = checked.house_number
        line.new_site_postal_code = checked.postal_code
        line.new_site_town = checked.town
        line.new_site_canton = checked.canton
    quote.lines.append(line)
    _reset_approval(quote)
    db.session.flush()
    return line


def remove_line(quote: Quote, line_id: int) -> None:
    _require_draft(quote)
    line = next((line for line in quote.lines if line.id == line_id), None)
    if line is None:
        raise RecordNotFound(f"no line {line_id} on quote {quote.id}")
    quote.lines.remove(line)
    _reset_approval(quote)
    db.session.flush()


# --- approval -------------------------------------------------------------------------


def request_approval(quote: Quote) -> Quote:
    _require_draft(quote)
    if not needs_approval(quote):
        raise RuleViolation(
            _("The discount is within the limit; no approval is needed."), "manual_discount"
        )
    quote.approval = Approval.PENDING
    db.session.flush()
    return quote


def decide_approval(quote: Quote, finance_user: User, approve: bool) -> Quote:
    _require_draft(quote)
    if quote.approval != Approval.PENDING:
        raise RuleViolation(_("This quote is not waiting for an approval."), "approval")
    quote.approval = Approval.APPROVED if approve else Approval.REJECTED
    quote.approved_by_id = finance_user.id
    quote.approved_at = now()
    db.session.flush()
    return quote


def pending_approvals():
    return select(Quote).where(Quote.state == QuoteState.DRAFT, Quote.approval == Approval.PENDING)


# --- sending, the link, the PDF -------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ACCEPT_SALT)


def accept_token(quote: Quote) -> str:
    # The validity date is signed in: changing it later invalidates links already sent.
    return _serializer().dumps({"quote": quote.id, "valid_until": quote.valid_until.isoformat()})


class QuoteLinkExpired(RuleViolation):
    """A genuine link whose quote's validity date has passed."""


def is_expired(quote: Quote) -> bool:
    """Valid to the end of valid_until, Zurich time (today() is the Zurich date)."""
    return today() > quote.valid_until


def quote_for_token(token: str) -> Quote:
    """The quote a link was signed for; RecordNotFound for a forged or stale link,
    QuoteLinkExpired after the validity date (the link works to the end of that day).

    The validity date is signed into the token, so it is the expiry; itsdangerous'
    max_age would measure from the signing time on the wall clock instead.
    """
    try:
        payload = _serializer().loads(token)
    except BadSignature as error:
        raise RecordNotFound("a link that was not signed here") from error
    quote = db.session.get(Quote, payload.get("quote"))
    if quote is None or quote.valid_until.isoformat() != payload.get("valid_until"):
        raise RecordNotFound("a link to a quote that is gone or has another validity date")
    if is_expired(quote):
        raise QuoteLinkExpired(_("This quote has expired. Please ask us for a new one."), "quote")
    return quote


def accept_url(quote: Quote) -> str:
    """The public link, also when built outside a request (CLI, jobs)."""
    path = current_app.url_map.bind("localhost").build(
        "contracts.quote_link", {"token": accept_token(quote)}
    )
    return company().link(path)


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF, in the customer's language, on the invoices' letterhead."""
    language = quote.customer.language
    # Page templates' context processors expect a request; a job or the CLI has none.
    outside = nullcontext() if has_request_context() else current_app.test_request_context()
    with outside, force_locale(language):
        link = accept_url(quote) if quote.state == QuoteState.SENT else None
        totals = quote_totals(quote)
        return render_pdf(
            "contracts/quote_pdf.html",
            quote=quote,
            totals=totals,
            annual_total=totals.total * MONTHS_PER_YEAR,
            offers=tier_offers(quote),
            language=language,
            accept_link=link,
            accept_qr=qr_code_svg(link) if link else None,
            reaction_label=ReactionKind.label_of,
        )


@dataclass(frozen=True)
class QuoteMail:
    recipient: str
    subject: str
    body: str
    attachment: str  # the PDF's file name


def quote_mail(quote: Quote) -> QuoteMail:
    """The e-mail that sends the quote, in the customer's language: what the preview
    shows and what send_quote queues."""
    with force_locale(quote.customer.language):
        subject = _("Your quote %(number)s", number=quote.number)
        body = _(
            "Dear customer,\n\nplease find our quote %(number)s attached. It is valid until "
            "%(valid_until)s. You can accept it online:\n%(link)s\n\n"
            "Kind regards\n%(company)s",
            number=quote.number,
            valid_until=quote.valid_until.strftime("%d.%m.%Y"),
            link=accept_url(quote),
            company=company().legal_name,
        )
    return QuoteMail(quote.customer.billing_email, subject, body, f"{quote.number}.pdf")


def send_quote(quote: Quote) -> Quote:
    """Freeze the prices, mark the quote sent and queue the mail with its PDF and accept
    link (flushes; the e-mail leaves once the caller commits)."""
    _require_draft(quote)
    if not quote.lines:
        raise RuleViolation(_("A quote needs at least one site."), "lines")
    if quote.valid_until < today():
        raise _validity_in_the_past()
    if needs_approval(quote) and quote.approval != Approval.APPROVED:
        raise RuleViolation(
            _("The manual discount exceeds the limit: finance must approve the quote first."),
            "manual_discount",
        )
    for line in quote.lines:
        line.list_price = line_list_price(line)
    quote.state = QuoteState.SENT
    quote.sent_at = now()
    db.session.flush()
    pdf = quote_pdf(quote)
    mail = quote_mail(quote)
    # Leaves after the caller commits: a send that is rolled back mails nothing.
    queue_mail(
        mail.recipient,
        mail.subject,
        mail.body,
        (Attachment(mail.attachment, pdf),),
        key=f"contracts.quote:{quote.id}:sent",
        related=("contracts_quote", quote.id),
        language=quote.customer.language,
    )
    return quote


# --- the customer's answer ------------------------------------------------------------


def accept_quote(quote_id: int, accepted_by: str) -> tuple[Quote, bool]:
    """Accept a sent quote and create its contracts; (quote, False) if already accepted.

    The conditional UPDATE is the claim: of two concurrent accepts, PostgreSQL lets the
    second wait for the first and then finds accepted_at set, so it creates nothing.
    """
    claimed = db.session.execute(
        update(Quote)
        .where(
            Quote.id == quote_id,
            Quote.state == QuoteState.SENT,
            Quote.accepted_at.is_(None),
            Quote.valid_until >= today(),
        )
        .values(accepted_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        raise RecordNotFound(f"no quote {quote_id}")
    db.session.refresh(quote)
    if claimed != 1:
        if quote.state == QuoteState.ACCEPTED:
            return quote, False
        if quote.state == QuoteState.SENT and is_expired(quote):
            raise _quote_expired()
        raise RuleViolation(_("This quote can no longer be accepted."), "quote")
    quote.state = QuoteState.ACCEPTED
    quote.accepted_by = accepted_by[:120]
    _create_contracts(quote)
    db.session.flush()
    return quote, True


def _create_contracts(quote: Quote) -> list[Contract]:
    totals = quote_totals(quote)
    discount = AgreedDiscount(totals.volume_discount_percent, totals.manual_discount_percent)
    contracts = []
    for line in quote.lines:
        site = line.site
        if site is None:
            site = create_site(
                quote.customer,
                SiteIn(
                    name=line.new_site_name,
                    street=line.new_site_street,
                    house_number=line.new_site_house_number or "",
                    postal_code=line.new_site_postal_code,
                    town=line.new_site_town,
                    canton=line.new_site_canton or "AG",
                ),
            )
            line.site = site
        contract = order_tier(
            site,
            line.tier.code,
            origin=ContractOrigin.QUOTE,
            start_date=quote.start_date,
            signed_at=quote.accepted_at,
            discount=discount,
        )
        line.contract_id = contract.id
        contracts.append(contract)
    return contracts


def _quote_expired() -> RuleViolation:
    return RuleViolation(_("This quote has expired. Please ask us for a new one."), "quote")


def decline_quote(quote: Quote, declined_by: str) -> Quote:
    if quote.state != QuoteState.SENT:
        raise RuleViolation(_("This quote can no longer be declined."), "quote")
    if is_expired(quote):
        raise _quote_expired()
    quote.state = QuoteState.DECLINED
    quote.declined_at = now()
    quote.declined_by = declined_by[:120]
    db.session.flush()
    return quote


def expire_quotes(on: date | None = None) -> list[Quote]:
    """Mark sent quotes past their validity date as expired (idempotent)."""
    day = on or today()
    due = db.session.scalars(
        select(Quote)
        .where(Quote.state == QuoteState.SENT, Quote.valid_until < day)
        .order_by(Quote.id)
    ).all()
    for quote in due:
        quote.state = QuoteState.EXPIRED
    db.session.flush()
    return list(due)
