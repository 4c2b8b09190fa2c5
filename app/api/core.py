"""JSON endpoints of the host: customers, sites, contacts, users, catalog, tariffs, VAT, company."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from app.api import api_blueprint, committed, operation
from app.catalog import add_tier_version, tier_by_code
from app.company import FIELDS as COMPANY_FIELDS
from app.company import company, environment_values, placeholder_fields, update_company
from app.database import db
from app.errors import ApiError, RecordNotFound
from app.models import Contact, Customer, Site, User
from app.models.catalog import tier_versions_on
from app.schemas import (
    CompanyIn,
    CompanyOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    Page,
    SiteIn,
    SiteOut,
    SitePatch,
    TariffOut,
    TariffVersionIn,
    TariffVersionOut,
    TierVersionIn,
    TierVersionOut,
    UserIn,
    UserOut,
    UserPatch,
    VatRateIn,
    VatRateOut,
)
from app.security import get_visible_or_404, has_permission, scope_to_customer
from app.services import (
    create_contact,
    create_customer,
    create_site,
    create_user,
    find_customers,
    update_contact,
    update_customer,
    update_site,
    update_user,
)
from app.tariffs import declaration_of, declared_keys, set_tariff, versions_of
from app.timeutil import today
from app.vat_rates import add_vat_rate, vat_rates

bp = api_blueprint("core_api")


def _own_customer(customer_id: int) -> dict:
    return {"customer": get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)}


def _own_site(site_id: int) -> dict:
    return {"site": get_visible_or_404(Site, site_id)}


def _own_contact(contact_id: int) -> dict:
    return {"contact": get_visible_or_404(Contact, contact_id)}


def _user(user_id: int) -> dict:
    return {"user": get_visible_or_404(User, user_id, customer_id_of=lambda u: None)}


# --- customers ------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/customers",
    permission="core.customers.read",
    summary="List customers",
    tags="customers",
    query=Page,
    response=CustomerOut,
    many=True,
)
def list_customers(query: Page):
    statement = scope_to_customer(find_customers(query.q), Customer.id)
    return db.session.scalars(statement.limit(query.limit).offset(query.offset)).all()


@operation(
    bp,
    "GET",
    "/customers/<int:customer_id>",
    permission="core.customers.read",
    summary="Get a customer",
    tags="customers",
    response=CustomerOut,
)
def get_customer(customer_id: int):
    return get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)


@operation(
    bp,
    "POST",
    "/customers",
    permission="core.customers.write",
    summary="Create a customer",
    tags="customers",
    body=CustomerIn,
    response=CustomerOut,
    status=201,
)
def post_customer(body: CustomerIn):
    return committed(lambda: create_customer(body)), 201


@operation(
    bp,
    "PATCH",
    "/customers/<int:customer_id>",
    permission="core.customers.write",
    summary="Change a customer",
    tags="customers",
    body=CustomerPatch,
    response=CustomerOut,
    load=_own_customer,
)
def patch_customer(customer: Customer, body: CustomerPatch):
    return committed(lambda: update_customer(customer, body))


# --- sites ----------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/customers/<int:customer_id>/sites",
    permission="core.sites.read",
    summary="List a customer's sites",
    tags="sites",
    response=SiteOut,
    many=True,
)
def list_sites(customer_id: int):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
    return customer.sites


@operation(
    bp,
    "GET",
    "/sites/<int:site_id>",
    permission="core.sites.read",
    summary="Get a site",
    tags="sites",
    response=SiteOut,
)
def get_site(site_id: int):
    return get_visible_or_404(Site, site_id)


@operation(
    bp,
    "POST",
    "/customers/<int:customer_id>/sites",
    permission="core.sites.write",
    summary="Add a site",
    tags="sites",
    body=SiteIn,
    response=SiteOut,
    status=201,
    load=_own_customer,
)
def post_site(customer: Customer, body: SiteIn):
    return committed(lambda: create_site(customer, body)), 201


@operation(
    bp,
    "PATCH",
    "/sites/<int:site_id>",
    permission="core.sites.write",
    summary="Change a site",
    tags="sites",
    body=SitePatch,
    response=SiteOut,
    load=_own_site,
)
def patch_site(site: Site, body: SitePatch):
    return committed(lambda: update_site(site, body))


# --- contacts -------------------------------------------------------------------------


def _contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        customer_id=contact.customer_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        authorised_caller=contact.authorised_caller,
        has_pin=contact.pin_hash is not None,
        active=contact.active,
    )


@operation(
    bp,
    "GET",
    "/customers/<int:customer_id>/contacts",
    permission="core.contacts.read",
    summary="List a customer's contacts",
    tags="contacts",
    response=ContactOut,
    many=True,
)
def list_contacts(customer_id: int):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
    return [_contact_out(contact) for contact in customer.contacts]


@operation(
    bp,
    "GET",
    "/contacts/<int:contact_id>",
    permission="core.contacts.read",
    summary="Get a contact",
    tags="contacts",
    response=ContactOut,
)
def get_contact(contact_id: int):
    return _contact_out(get_visible_or_404(Contact, contact_id))


@operation(
    bp,
    "POST",
    "/customers/<int:customer_id>/contacts",
    permission="core.contacts.write",
    summary="Add a contact (PIN stored hashed)",
    tags="contacts",
    body=ContactIn,
    response=ContactOut,
    status=201,
    load=_own_customer,
)
def post_contact(customer: Customer, body: ContactIn):
    return _contact_out(committed(lambda: create_contact(customer, body))), 201


@operation(
    bp,
    "PATCH",
    "/contacts/<int:contact_id>",
    permission="core.contacts.write",
    summary="Change a contact or its PIN",
    tags="contacts",
    body=ContactPatch,
    response=ContactOut,
    load=_own_contact,
)
def patch_contact(contact: Contact, body: ContactPatch):
    return _contact_out(committed(lambda: update_contact(contact, body)))


# --- users ----------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/users",
    permission="core.users.manage",
    summary="List users",
    tags="users",
    query=Page,
    response=UserOut,
    many=True,
)
def list_users(query: Page):
    statement = select(User).order_by(User.email).limit(query.limit).offset(query.offset)
    return db.session.scalars(statement).all()


@operation(
    bp,
    "GET",
    "/users/<int:user_id>",
    permission="core.users.manage",
    summary="Get a user",
    tags="users",
    response=UserOut,
)
def get_user(user_id: int):
    return get_visible_or_404(User, user_id, customer_id_of=lambda u: None)


@operation(
    bp,
    "POST",
    "/users",
    permission="core.users.manage",
    summary="Create a user",
    tags="users",
    body=UserIn,
    response=UserOut,
    status=201,
)
def post_user(body: UserIn):
    return committed(lambda: create_user(body)), 201


@operation(
    bp,
    "PATCH",
    "/users/<int:user_id>",
    permission="core.users.manage",
    summary="Change a user, role or password",
    tags="users",
    body=UserPatch,
    response=UserOut,
    load=_user,
)
def patch_user(user: User, body: UserPatch):
    return committed(lambda: update_user(user, body))


@operation(
    bp,
    "GET",
    "/me",
    permission="core.profile",
    summary="The user of this token",
    tags="users",
    response=UserOut,
)
def me():
    return current_user


# --- catalog --------------------------------------------------------------------------


@operation(
    bp,
    "GET",
    "/catalog/tiers",
    permission="core.catalog.read",
    summary="The tier catalog valid today (prices only for roles that see prices)",
    tags="catalog",
    response=TierVersionOut,
    many=True,
)
def list_tiers():
    show_prices = has_permission(current_user, "core.prices.read")
    result = []
    for code, version in tier_versions_on(today()).items():
        out = TierVersionOut.model_validate(version).model_copy(update={"code": code})
        if not show_prices:
            out = out.model_copy(update={"monthly_price": None})
        result.append(out)
    return result


def _tier_out(version, show_prices: bool) -> TierVersionOut:
    out = TierVersionOut.model_validate(version).model_copy(update={"code": version.tier.code})
    return out if show_prices else out.model_copy(update={"monthly_price": None})


def _tier_or_404(code: str):
    try:
        return tier_by_code(code)
    except RecordNotFound as error:
        raise ApiError(404, "not_found", "no such tier") from error


@operation(
    bp,
    "GET",
    "/catalog/tiers/<code>/versions",
    permission="core.catalog.read",
    summary="Every version of a tier, planned ones included, oldest first",
    tags="catalog",
    response=TierVersionOut,
    many=True,
)
def list_tier_versions(code: str):
    tier = _tier_or_404(code)
    show_prices = has_permission(current_user, "core.prices.read")
    ordered = sorted(tier.versions, key=lambda version: version.valid_from)
    return [_tier_out(version, show_prices) for version in ordered]


@operation(
    bp,
    "POST",
    "/catalog/tiers/<code>/versions",
    permission="core.catalog.write",
    summary="Add a version of a tier from a future, not yet invoiced day",
    tags="catalog",
    body=TierVersionIn,
    response=TierVersionOut,
    status=201,
    load=lambda code: {"tier": _tier_or_404(code)},
)
def post_tier_version(tier, body: TierVersionIn):
    version = committed(lambda: add_tier_version(tier, body))
    return _tier_out(version, show_prices=True), 201


# --- tariffs and VAT rates ------------------------------------------------------------


def _tariff_out(key: str) -> TariffOut:
    declaration = declaration_of(key)
    return TariffOut(
        key=key,
        label=str(declaration.label),
        kind=declaration.kind.input,
        rule=declaration.kind.describe(),
        versions=[
            TariffVersionOut(
                valid_from=v.valid_from, valid_to=v.valid_to, value=v.stored, problem=v.problem
            )
            for v in versions_of(key)
        ],
    )


def _declared_or_404(key: str) -> str:
    if key not in declared_keys():
        raise ApiError(404, "not_found", "no such tariff")
    return key


@operation(
    bp,
    "GET",
    "/tariffs",
    permission="core.tariffs.read",
    summary="Every tariff with its rule and its versions",
    tags="tariffs",
    response=TariffOut,
    many=True,
)
def list_tariffs():
    return [_tariff_out(key) for key in sorted(declared_keys())]


@operation(
    bp,
    "GET",
    "/tariffs/<key>",
    permission="core.tariffs.read",
    summary="One tariff with its rule and its versions",
    tags="tariffs",
    response=TariffOut,
)
def get_tariff(key: str):
    return _tariff_out(_declared_or_404(key))


@operation(
    bp,
    "POST",
    "/tariffs/<key>/versions",
    permission="core.tariffs.write",
    summary="Add a value of a tariff from a future, not yet invoiced day (checked by its kind)",
    tags="tariffs",
    body=TariffVersionIn,
    response=TariffOut,
    status=201,
    load=lambda key: {"key": _declared_or_404(key)},
)
def post_tariff_version(key: str, body: TariffVersionIn):
    committed(lambda: set_tariff(key, body.valid_from, body.value))
    return _tariff_out(key), 201


def _vat_out() -> list[VatRateOut]:
    return [
        VatRateOut(valid_from=r.valid_from, valid_to=r.valid_to, rate=r.rate) for r in vat_rates()
    ]


@operation(
    bp,
    "GET",
    "/vat-rates",
    permission="core.tariffs.read",
    summary="The Swiss standard VAT rates by date of service",
    tags="tariffs",
    response=VatRateOut,
    many=True,
)
def list_vat_rates():
    return _vat_out()


@operation(
    bp,
    "POST",
    "/vat-rates",
    permission="core.tariffs.write",
    summary="Add a VAT rate; with valid_to, the rate before returns the day after",
    tags="tariffs",
    body=VatRateIn,
    response=VatRateOut,
    many=True,
    status=201,
)
def post_vat_rate(body: VatRateIn):
    committed(lambda: add_vat_rate(body.valid_from, body.rate, body.valid_to))
    return _vat_out(), 201


# --- company --------------------------------------------------------------------------


def _company_out() -> CompanyOut:
    data = company()
    return CompanyOut(
        **{name: getattr(data, name) for name in COMPANY_FIELDS},
        vat_number=data.vat_number,
        reminder_fees=data.reminder_fees,
        default_interest=data.default_interest,
        from_environment=sorted(environment_values()),
        placeholders=sorted(placeholder_fields()),
    )


@operation(
    bp,
    "GET",
    "/company",
    permission="core.company.manage",
    summary="The company data in force (environment variables over the stored values)",
    tags="company",
    response=CompanyOut,
)
def get_company():
    return _company_out()


@operation(
    bp,
    "PUT",
    "/company",
    permission="core.company.manage",
    summary="Set the company data (fields set by the environment keep their value)",
    tags="company",
    body=CompanyIn,
    response=CompanyOut,
)
def put_company(body: CompanyIn):
    committed(lambda: update_company(body))
    return _company_out()
