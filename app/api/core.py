"""JSON endpoints for the core records: customers, sites, contacts, users, catalog."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from app.api import api_blueprint, committed, operation
from app.database import db
from app.models import Contact, Customer, Site, User
from app.models.catalog import tier_versions_on
from app.schemas import (
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
    TierVersionOut,
    UserIn,
    UserOut,
    UserPatch,
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
from app.timeutil import today

bp = api_blueprint("core_api")


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
)
def patch_customer(customer_id: int, body: CustomerPatch):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
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
)
def post_site(customer_id: int, body: SiteIn):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
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
)
def patch_site(site_id: int, body: SitePatch):
    site = get_visible_or_404(Site, site_id)
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
)
def post_contact(customer_id: int, body: ContactIn):
    customer = get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)
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
)
def patch_contact(contact_id: int, body: ContactPatch):
    contact = get_visible_or_404(Contact, contact_id)
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
)
def patch_user(user_id: int, body: UserPatch):
    user = get_visible_or_404(User, user_id, customer_id_of=lambda u: None)
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
