"""Pages for the core records: customers, sites, contacts, users, catalog, tariffs, audit."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from app.catalog import add_tier_version
from app.chatter import worded, wordings
from app.company import (
    ENVIRONMENT_PREFIX,
    SWITCHES,
    company,
    environment_values,
    in_production,
    placeholder_fields,
    stored_company,
    update_company,
)
from app.company import LABELS as COMPANY_LABELS
from app.database import db
from app.forms import (
    CompanyForm,
    ContactForm,
    CustomerForm,
    SiteForm,
    TariffForm,
    TierVersionForm,
    UserForm,
    VatRateForm,
    apply_rule_violation,
    choices,
    validate_into,
)
from app.history import earliest_change_day
from app.hooks import flatten, hooks
from app.listing import Filter, Listing, Sort, active_filters
from app.models import AuditEntry, Contact, Customer, Site, User
from app.models.catalog import ReactionKind, Tier
from app.schemas import (
    CompanyIn,
    ContactIn,
    ContactPatch,
    CustomerIn,
    SiteIn,
    TierVersionIn,
    UserIn,
    UserPatch,
    VatRateIn,
)
from app.security import (
    get_visible_or_404,
    public,
    requires,
    scope_to_customer,
    visible_customer_id,
)
from app.services import (
    RuleViolation,
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
from app.tariffs import TariffError, declared_keys, set_tariff, versions_of
from app.timeutil import now, today, zurich_instant
from app.vat_rates import VAT_KEY, add_vat_rate, vat_rates
from app.web import number

bp = Blueprint("core", __name__)
PAGE_SIZE = 50


def _own_customer(customer_id: int) -> Customer:
    return get_visible_or_404(Customer, customer_id, customer_id_of=lambda c: c.id)


def _save(form, schema, action, success_message: str, **extra):
    """Validate a submitted form through `schema`, run the service, commit or keep the form."""
    data = validate_into(form, schema, **extra)
    if data is None:
        return None
    try:
        record = action(data)
        db.session.commit()
    except (RuleViolation, ValueError) as error:
        db.session.rollback()
        if isinstance(error, RuleViolation):
            apply_rule_violation(form, error)
        else:
            form.form_errors.append(str(error))
        return None
    flash(success_message, "success")
    return record


@bp.get("/")
@requires("core.dashboard")
def index():
    """Each role's landing page: the panels the plugins give this user (numbers, charts,
    what needs doing next), then every page as a tile."""
    found = flatten(hooks().dashboard_panels(user=current_user))
    dashboard = [
        SimpleNamespace(key=panel.key, title=panel.title, html=Markup(panel.html))
        for panel in sorted(found, key=lambda panel: panel.order)
    ]
    return render_template("core/index.html", dashboard=dashboard)


@bp.get("/favicon.ico")
@public("the site's icon, which browsers ask for without a page (PDFs, errors)")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)


# --- customers ------------------------------------------------------------------------


CUSTOMER_LIST = Listing(
    endpoint="core.customers",
    filters=active_filters(Customer.active),
    default_filter="all",
    sorts=(
        Sort("number", Customer.number),
        Sort("name", Customer.legal_name),
        Sort("town", Customer.town),
    ),
    default_sort="name",
    search=lambda statement, text: statement.where(
        Customer.id.in_(find_customers(text).with_only_columns(Customer.id).order_by(None))
    ),
    tiebreak=Customer.id,
)


@bp.get("/customers")
@requires("core.customers.read")
def customers():
    statement = scope_to_customer(
        select(Customer).options(selectinload(Customer.sites)), Customer.id
    )
    return render_template("core/customers.html", page=CUSTOMER_LIST.page(statement, request.args))


SITE_LIST = Listing(
    endpoint="core.sites",
    filters=active_filters(Site.active),
    default_filter="all",
    sorts=(
        Sort("name", Site.name),
        Sort("customer", Customer.legal_name),
        Sort("town", Site.town),
        Sort("canton", Site.canton),
    ),
    default_sort="customer",
    search=(Site.name, Site.town, Site.postal_code, Site.phone, Customer.legal_name),
    tiebreak=Site.id,
)


@bp.get("/sites")
@requires("core.sites.read")
def sites():
    statement = scope_to_customer(
        select(Site).join(Site.customer).options(contains_eager(Site.customer)), Site.customer_id
    )
    return render_template("core/sites.html", page=SITE_LIST.page(statement, request.args))


@bp.get("/customers/<int:customer_id>")
@requires("core.customers.read")
def customer(customer_id: int):
    return render_template("core/customer.html", customer=_own_customer(customer_id))


@bp.route("/customers/new", methods=["GET", "POST"])
@requires("core.customers.write")
def customer_new():
    form = CustomerForm()
    if form.validate_on_submit():
        record = _save(form, CustomerIn, create_customer, _("Customer created."))
        if record:
            return redirect(url_for("core.customer", customer_id=record.id))
    return render_template("core/form.html", form=form, title=_("New customer"))


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@requires("core.customers.write")
def customer_edit(customer_id: int):
    record = _own_customer(customer_id)
    form = CustomerForm(obj=record)
    if form.validate_on_submit():
        if _save(form, CustomerIn, lambda data: update_customer(record, data), _("Saved.")):
            return redirect(url_for("core.customer", customer_id=record.id))
    return render_template("core/form.html", form=form, title=record.legal_name)


# --- sites ----------------------------------------------------------------------------


@bp.get("/sites/<int:site_id>")
@requires("core.sites.read")
def site(site_id: int):
    return render_template("core/site.html", site=get_visible_or_404(Site, site_id))


@bp.route("/customers/<int:customer_id>/sites/new", methods=["GET", "POST"])
@requires("core.sites.write")
def site_new(customer_id: int):
    owner = _own_customer(customer_id)
    form = SiteForm()
    if request.method == "GET":
        form.street.data, form.postal_code.data, form.town.data = "", "", ""
    if form.validate_on_submit():
        record = _save(form, SiteIn, lambda data: create_site(owner, data), _("Site created."))
        if record:
            return redirect(url_for("core.site", site_id=record.id))
    return render_template(
        "core/form.html", form=form, title=_("New site of %(name)s", name=owner.legal_name)
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@requires("core.sites.write")
def site_edit(site_id: int):
    record = get_visible_or_404(Site, site_id)
    form = SiteForm(obj=record)
    if form.validate_on_submit():
        if _save(form, SiteIn, lambda data: update_site(record, data), _("Saved.")):
            return redirect(url_for("core.site", site_id=record.id))
    return render_template("core/form.html", form=form, title=str(record))


# --- contacts -------------------------------------------------------------------------


@bp.route("/customers/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@requires("core.contacts.write")
def contact_new(customer_id: int):
    owner = _own_customer(customer_id)
    form = ContactForm()
    if form.validate_on_submit():
        record = _save(
            form, ContactIn, lambda data: create_contact(owner, data), _("Contact created.")
        )
        if record:
            return redirect(url_for("core.customer", customer_id=owner.id))
    return render_template(
        "core/form.html", form=form, title=_("New contact of %(name)s", name=owner.legal_name)
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@requires("core.contacts.write")
def contact_edit(contact_id: int):
    record = get_visible_or_404(Contact, contact_id)
    form = ContactForm(obj=record)
    if form.validate_on_submit():
        if _save(form, ContactPatch, lambda data: update_contact(record, data), _("Saved.")):
            return redirect(url_for("core.customer", customer_id=record.customer_id))
    return render_template("core/form.html", form=form, title=record.name)


# --- users ----------------------------------------------------------------------------


def _user_form(record: User | None = None) -> UserForm:
    form = UserForm(obj=record)
    customers = db.session.execute(
        select(Customer.id, Customer.legal_name).order_by(Customer.legal_name)
    )
    form.customer_id.choices = choices([("", "—")] + [(str(cid), name) for cid, name in customers])
    if record is not None and request.method == "GET":
        form.customer_id.data = str(record.customer_id or "")
    return form


def _customer_choice(form: UserForm) -> int | None:
    return int(form.customer_id.data) if (form.customer_id.data or "").isdigit() else None


@bp.get("/users")
@requires("core.users.manage")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("core/users.html", users=rows, now=now())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("core.users.manage")
def user_new():
    form = _user_form()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = [_("A new user needs a password.")]
        elif _save(
            form, UserIn, create_user, _("User created."), customer_id=_customer_choice(form)
        ):
            return redirect(url_for("core.users"))
    return render_template("core/form.html", form=form, title=_("New user"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("core.users.manage")
def user_edit(user_id: int):
    record = db.session.get(User, user_id) or abort(404)
    form = _user_form(record)
    if form.validate_on_submit():
        extra = {"customer_id": _customer_choice(form)}
        if _save(form, UserPatch, lambda data: update_user(record, data), _("Saved."), **extra):
            if record.id == current_user.id and record.active:
                # A new own password ended every session, this one too: open a fresh one.
                login_user(record)
            return redirect(url_for("core.users"))
    return render_template("core/form.html", form=form, title=record.email)


# --- catalog, tariffs, VAT rates, company -----------------------------------------------


def _first_of_month_from(day: date) -> date:
    if day.day == 1:
        return day
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@bp.get("/catalog")
@requires("core.catalog.read")
def catalog():
    tiers = db.session.scalars(select(Tier).order_by(Tier.rank.desc())).all()
    return render_template("core/catalog.html", tiers=tiers, day=today())


def _window_rows(form: TierVersionForm) -> list[dict]:
    return [
        {"days": entry.days.data or [], "start": entry.start.data, "end": entry.end.data}
        for entry in (subform.form for subform in form.windows)
        if not entry.is_blank()
    ]


@bp.route("/catalog/<code>/versions/new", methods=["GET", "POST"])
@requires("core.catalog.write")
def tier_version_new(code: str):
    tier = db.session.scalar(select(Tier).where(Tier.code == code)) or abort(404)
    current = tier.version_on(today())
    form = TierVersionForm(obj=current if request.method == "GET" else None)
    form.reaction_kind.choices = choices(ReactionKind.choices())
    if request.method == "GET":
        form.valid_from.data = _first_of_month_from(earliest_change_day())
        windows = current.service_windows if current else []
        while len(form.windows) > 0:
            form.windows.pop_entry()
        blank = {"days": [], "start": "", "end": ""}
        room = form.windows.max_entries - len(windows)
        for window in [*windows, *[blank] * min(3, room)]:
            form.windows.append_entry(SimpleNamespace(**window))
    if form.validate_on_submit():
        data = validate_into(form, TierVersionIn, service_windows=_window_rows(form))
        if data is not None:
            try:
                add_tier_version(tier, data)
                db.session.commit()
            except RuleViolation as error:
                db.session.rollback()
                apply_rule_violation(form, error)
            else:
                flash(
                    _(
                        "The new version of %(tier)s applies from %(day)s.",
                        tier=data.name,
                        day=format_date(data.valid_from),
                    ),
                    "success",
                )
                return redirect(url_for("core.catalog"))
    return render_template(
        "core/tier_version_form.html",
        form=form,
        tier=tier,
        current=current,
        earliest=earliest_change_day(),
    )


@bp.get("/tariffs")
@requires("core.tariffs.read")
def tariffs():
    keys = sorted(declared_keys().values(), key=lambda declaration: declaration.key)
    return render_template(
        "core/tariffs.html",
        keys=keys,
        versions={declaration.key: versions_of(declaration.key) for declaration in keys},
        day=today(),
        vat_key=VAT_KEY,
    )


@bp.route("/tariffs/<key>", methods=["GET", "POST"])
@requires("core.tariffs.write")
def tariff_edit(key: str):
    declaration = declared_keys().get(key) or abort(404)
    kind = declaration.kind
    form = TariffForm()
    versions = versions_of(key)
    current = next((v for v in reversed(versions) if v.valid_from <= today()), None)
    entered = current.value if current and current.problem is None else None
    if request.method == "GET":
        form.valid_from.data = earliest_change_day()
    if form.validate_on_submit():
        valid_from: date = form.valid_from.data
        entered = kind.from_form(request.form)
        try:
            set_tariff(key, valid_from, entered)
            db.session.commit()
        except (RuleViolation, TariffError) as error:
            db.session.rollback()
            if getattr(error, "field", None) == "valid_from":
                form.valid_from.errors = [str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            flash(_("The new value applies from %(day)s.", day=format_date(valid_from)), "success")
            return redirect(url_for("core.tariffs"))
    else:
        entered = kind.form_value(entered)
    return render_template(
        "core/tariff_edit.html",
        form=form,
        declaration=declaration,
        versions=versions,
        entered=entered,
        earliest=earliest_change_day(),
    )


def _vat_page(form: VatRateForm, status: int = 200):
    return render_template(
        "core/vat_rates.html",
        form=form,
        rates=vat_rates(),
        day=today(),
        earliest=earliest_change_day(),
    ), status


@bp.get("/vat-rates")
@requires("core.tariffs.read")
def vat_rate_table():
    form = VatRateForm()
    form.valid_from.data = _first_of_month_from(earliest_change_day())
    return _vat_page(form)


@bp.post("/vat-rates")
@requires("core.tariffs.write")
def vat_rate_new():
    form = VatRateForm()
    if not form.validate_on_submit():
        return _vat_page(form, 422)
    data = validate_into(form, VatRateIn)
    if data is None:
        return _vat_page(form, 422)
    try:
        add_vat_rate(data.valid_from, data.rate, data.valid_to)
        db.session.commit()
    except RuleViolation as error:
        db.session.rollback()
        apply_rule_violation(form, error)
        return _vat_page(form, 422)
    flash(
        _(
            "VAT %(rate)s %% applies from %(day)s.",
            rate=number(data.rate),
            day=format_date(data.valid_from),
        ),
        "success",
    )
    return redirect(url_for("core.vat_rate_table"))


@bp.route("/company", methods=["GET", "POST"])
@requires("core.company.manage")
def company_page():
    row = stored_company()
    from_environment = environment_values()
    form = CompanyForm(obj=row)
    if request.method == "POST":
        # Fields the environment sets are shown read-only; their stored value stays.
        for name in from_environment:
            if row is not None:
                form[name].data = getattr(row, name)
    if form.validate_on_submit():
        data = validate_into(form, CompanyIn)
        if data is not None:
            try:
                update_company(data)
                db.session.commit()
            except RuleViolation as error:  # e.g. a postal code that is not Swiss
                db.session.rollback()
                apply_rule_violation(form, error)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("core.company_page"))
    return render_template(
        "core/company.html",
        form=form,
        data=company(),
        from_environment=from_environment,
        prefix=ENVIRONMENT_PREFIX,
        placeholders=placeholder_fields(),
        labels=COMPANY_LABELS,
        switches=SWITCHES,
        production=in_production(),
    )


AUDIT_LIST = Listing(
    endpoint="core.audit",
    filters=(
        Filter("all", _l("All")),
        Filter("insert", _l("Created"), AuditEntry.action == "insert"),
        Filter("update", _l("Changed"), AuditEntry.action == "update"),
        Filter("delete", _l("Deleted"), AuditEntry.action == "delete"),
    ),
    default_filter="all",
    sorts=(Sort("at", AuditEntry.id), Sort("who", AuditEntry.actor)),
    default_sort="-at",
    search=(AuditEntry.actor,),
    tiebreak=AuditEntry.id,
)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@bp.get("/audit")
@requires("core.audit.read")
def audit():
    known = wordings()
    fields = {
        "table": (request.args.get("table") or "").strip()[:80],
        "record": (request.args.get("record") or "").strip()[:40],
        "user": (request.args.get("user") or "").strip()[:12],
        "since": _day(request.args.get("since")),
        "until": _day(request.args.get("until")),
    }
    statement = select(AuditEntry)
    if fields["table"]:
        statement = statement.where(AuditEntry.table_name == fields["table"])
    if fields["record"]:
        statement = statement.where(AuditEntry.row_id == fields["record"])
    if fields["user"].isdigit():
        statement = statement.where(AuditEntry.user_id == int(fields["user"]))
    if fields["since"]:
        since = fields["since"]
        statement = statement.where(
            AuditEntry.at >= zurich_instant(since.year, since.month, since.day)
        )
    if fields["until"]:
        after = fields["until"] + timedelta(days=1)
        statement = statement.where(
            AuditEntry.at < zurich_instant(after.year, after.month, after.day)
        )
    page = AUDIT_LIST.page(statement, request.args)
    return render_template(
        "core/audit.html",
        page=page,
        entries=worded(list(page.rows), known),
        fields=fields,
        kinds=sorted(((table, str(w.noun)) for table, w in known.items()), key=lambda k: k[1]),
        users=db.session.execute(select(User.id, User.name).order_by(User.name)).all(),
    )


@bp.app_context_processor
def _current_customer():
    return {"own_customer_id": visible_customer_id()}
