"""Service desk pages: call intake, tickets, customer portal, roster and SLA reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.toolkit import (
    ZURICH,
    Contact,
    Customer,
    Site,
    User,
    committed_or_flash,
    db,
    get_visible_or_404,
    has_permission,
    now,
    pin_limits,
    requires,
    scope_to_customer,
    today,
)
from plugins.servicedesk import costs, dispatch, intake, labels, reports, verification, work
from plugins.servicedesk.models import (
    FAULT_ORIGINS,
    OPEN_STATES,
    SEVERITIES,
    TIME_KINDS,
    Escalation,
    OnCallShift,
    Ticket,
)
from plugins.servicedesk.tickets import TRANSITIONS

bp = Blueprint("servicedesk", __name__, url_prefix="/servicedesk", template_folder="templates")

# Labels for stored codes (ticket states, fault origins, time kinds, ...), on every page.
for _name, _filter in labels.FILTERS.items():
    bp.add_app_template_filter(_filter, _name)


def time_left_text(due: datetime | None, at: datetime | None = None) -> str:
    if due is None:
        return _("best effort")
    left = due - (at or now())
    minutes = int(abs(left).total_seconds() // 60)
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    return text if left >= timedelta(0) else _("overdue by %(time)s", time=text)


@bp.app_template_filter("sd_time_left")
def _time_left_filter(due):
    return time_left_text(due)


@bp.context_processor
def _helpers() -> dict:
    return {
        "state_label": labels.ticket_state_label,
        "due_text": intake.due_text,
        "now_utc": now(),
    }


def _ticket(ticket_id: int) -> Ticket:
    return get_visible_or_404(Ticket, ticket_id)


# --- call intake ------------------------------------------------------------------------


@bp.get("/desk")
@requires("servicedesk.intake")
def desk():
    query = request.args.get("q", "").strip()[:100]
    customers = []
    if query:
        customers = db.session.scalars(
            intake.find_callers(query)
            .options(selectinload(Customer.sites), selectinload(Customer.contacts))
            .limit(20)
        ).all()
    waiting = db.session.scalars(
        select(Ticket)
        .where(Ticket.state.in_(("new", "verified")))
        .order_by(Ticket.reported_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "servicedesk/desk.html", query=query, customers=customers, waiting=waiting
    )


def _contact_of_form() -> str:
    return (request.form.get("contact_id") or "")[:20]


@bp.route("/desk/sites/<int:site_id>", methods=["GET", "POST"])
@requires("servicedesk.intake")
@pin_limits(_contact_of_form)
def call(site_id: int):
    site = db.session.get(Site, site_id) or abort(404)
    contacts = [c for c in site.customer.contacts if c.active and c.authorised_caller]
    if request.method == "POST":
        contact = db.session.get(Contact, request.form.get("contact_id", type=int) or 0)
        summary = request.form.get("summary", "")

        pin = request.form.get("pin", "")
        done = committed_or_flash(
            lambda: intake.take_call(site, summary, contact, pin, current_user)
        )
        if done:
            ticket, result = done
            if result.verified:
                flash(_("Caller verified."), "success")
                return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))
            flash(_verification_message(result), "error")  # attempt recorded, no ticket
    return render_template(
        "servicedesk/call.html",
        site=site,
        contacts=contacts,
        attempts_left=_attempts_left(contacts),
        situation=intake.situation(site),
    )


def _attempts_left(contacts) -> dict[int, int]:
    """Wrong PINs each caller may still give (0: locked), for the desk's choice list."""
    return {contact.id: verification.failures_left(contact) for contact in contacts}


def _verification_message(result) -> str:
    if result.outcome == "locked":
        return _("Too many wrong PINs: this contact is locked for now. Do not dispatch.")
    if result.outcome == "not_authorised":
        return _("This person is not an authorised caller of the customer. Do not dispatch.")
    return _("Wrong PIN. Attempts left: %(left)s.", left=result.failures_left)


@bp.post("/tickets/<int:ticket_id>/intake/<action>")
@requires("servicedesk.intake")
@pin_limits(_contact_of_form, exempt_when=lambda: request.view_args.get("action") != "verify")
def intake_action(ticket_id: int, action: str):
    ticket = _ticket(ticket_id)
    if action == "verify":
        contact = db.session.get(Contact, request.form.get("contact_id", type=int) or 0)
        result = committed_or_flash(
            lambda: intake.verify(ticket, contact, request.form.get("pin", ""), current_user)
        )
        if result:  # intake.verify always answers; None means a rule refused the call
            if result.verified:
                flash(_("Caller verified."), "success")
            else:
                flash(_verification_message(result), "error")
    elif action == "dispatch":
        committed_or_flash(
            lambda: dispatch.dispatch(ticket, current_user), _("Technician dispatched.")
        )
    elif action == "fast_lane":
        confirmed = request.form.get("answer") == "confirm"
        committed_or_flash(
            lambda: intake.answer_fast_lane(ticket, confirmed, current_user),
            _("Fast Lane confirmed: technician dispatched.")
            if confirmed
            else _("Withdrawn: nothing is charged."),
        )
    elif action == "withdraw":
        committed_or_flash(lambda: intake.withdraw(ticket, current_user), _("Withdrawn."))
    else:
        abort(404)
    return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))


# --- tickets ----------------------------------------------------------------------------


@bp.get("/tickets")
@requires("servicedesk.read")
def tickets():
    is_worker = has_permission(current_user, "servicedesk.work")
    scope = request.args.get("scope") or ("mine" if is_worker else "open")
    statement = scope_to_customer(
        select(Ticket).options(selectinload(Ticket.site), selectinload(Ticket.customer)),
        Ticket.customer_id,
    )
    if scope == "mine" and is_worker:
        joined = select(Escalation.ticket_id).where(Escalation.person_id == current_user.id)
        statement = statement.where(
            Ticket.state.in_(OPEN_STATES),
            or_(Ticket.technician_id == current_user.id, Ticket.id.in_(joined)),
        )
    elif scope != "all":
        statement = statement.where(Ticket.state.in_(OPEN_STATES))
    rows = db.session.scalars(statement.order_by(Ticket.reported_at.desc()).limit(200)).all()
    far = datetime.max.replace(tzinfo=ZURICH)
    if scope != "all":
        # My open tickets: the most urgent first; best effort and unanswered last.
        rows.sort(key=lambda t: (t.first_reaction_at is not None, t.first_reaction_due_at or far))
    return render_template("servicedesk/tickets.html", tickets=rows, scope=scope)


@bp.get("/tickets/<int:ticket_id>")
@requires("servicedesk.read")
def ticket(ticket_id: int):
    record = _ticket(ticket_id)
    chiefs = db.session.scalars(
        select(User).where(User.role == "chief", User.active.is_(True)).order_by(User.name)
    ).all()
    contacts = [c for c in record.customer.contacts if c.active and c.authorised_caller]
    units = costs.free_units(record.site_id, now()) if record.contract_id else None
    return render_template(
        "servicedesk/ticket.html",
        ticket=record,
        chiefs=chiefs,
        contacts=contacts,
        attempts_left=_attempts_left(contacts) if record.state == "new" else {},
        units=units,
        # "reacted" offers the first-reaction form, also on an escalated ticket.
        allowed=TRANSITIONS[record.state]
        | ({"reacted"} if work.can_record_first_reaction(record) else set()),
        fault_origins=FAULT_ORIGINS,
        severities=SEVERITIES,
        time_kinds=TIME_KINDS,
        situation=intake.situation(record.site) if record.state == "new" else None,
    )


@bp.post("/tickets/<int:ticket_id>/work/<action>")
@requires("servicedesk.work")
def work_action(ticket_id: int, action: str):
    ticket = _ticket(ticket_id)
    form = request.form
    if action == "acknowledge":
        committed_or_flash(
            lambda: dispatch.acknowledge(ticket, current_user), _("Dispatch acknowledged.")
        )
    elif action == "react":
        committed_or_flash(
            lambda: work.record_first_reaction(ticket, current_user, form.get("note", "")),
            _("First reaction recorded."),
        )
    elif action == "start":
        committed_or_flash(lambda: work.start_work(ticket, current_user))
    elif action == "time":
        minutes = form.get("minutes", type=int) or 0
        committed_or_flash(
            lambda: work.add_time(
                ticket, current_user, form.get("kind", ""), minutes, note=form.get("note", "")
            ),
            _("Time logged."),
        )
    elif action == "material":
        try:
            quantity = Decimal(form.get("quantity", "").strip())
            price = Decimal(form.get("unit_price", "").strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            flash(_("Enter the quantity and the price as numbers."), "error")
        else:
            committed_or_flash(
                lambda: work.add_material(
                    ticket, current_user, form.get("description", ""), quantity, price
                ),
                _("Material added."),
            )
    elif action == "escalate":
        person = db.session.get(User, form.get("person_id", type=int) or 0)
        if person is None:
            flash(_("Choose the chief who joins."), "error")
        else:
            committed_or_flash(
                lambda: work.escalate_third_level(
                    ticket, current_user, person, form.get("note", "")
                ),
                _("Escalated to 3rd level."),
            )
    elif action == "resolve":
        committed_or_flash(
            lambda: work.resolve(
                ticket,
                current_user,
                form.get("fault_origin", ""),
                form.get("severity", ""),
                form.get("resolution", ""),
            ),
            _("Resolved."),
        )
    elif action == "close":
        committed_or_flash(lambda: work.close(ticket, current_user), _("Closed."))
    else:
        abort(404)
    return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))


# --- customer portal --------------------------------------------------------------------


@bp.route("/portal/new", methods=["GET", "POST"])
@requires("servicedesk.portal")
def portal_new():
    sites = db.session.scalars(
        select(Site)
        .where(Site.customer_id == current_user.customer_id, Site.active.is_(True))
        .order_by(Site.name)
    ).all()
    chosen = request.values.get("site_id", type=int)
    site = next((s for s in sites if s.id == chosen), None)
    if request.method == "POST" and site is not None:
        created = committed_or_flash(
            lambda: intake.portal_ticket(
                site,
                request.form.get("summary", ""),
                request.form.get("description", ""),
                current_user,
            )
        )
        if created:
            return redirect(url_for("servicedesk.ticket", ticket_id=created.id))
    return render_template(
        "servicedesk/portal_new.html",
        sites=sites,
        site=site,
        situation=intake.situation(site) if site else None,
    )


@bp.post("/portal/tickets/<int:ticket_id>/fast-lane")
@requires("servicedesk.portal")
def portal_fast_lane(ticket_id: int):
    ticket = _ticket(ticket_id)
    confirmed = request.form.get("answer") == "confirm"
    committed_or_flash(
        lambda: intake.answer_fast_lane(ticket, confirmed, current_user),
        _("Fast Lane confirmed: a technician is on the way.")
        if confirmed
        else _("Withdrawn: nothing is charged."),
    )
    return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))


# --- roster and reports -----------------------------------------------------------------


def _parse_local(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZURICH) if value else None
    except ValueError:
        return None


@bp.route("/roster", methods=["GET", "POST"])
@requires("servicedesk.roster")
def roster():
    if request.method == "POST":
        user = db.session.get(User, request.form.get("user_id", type=int) or 0)
        if user is None:
            flash(_("Choose a person."), "error")
        else:
            committed_or_flash(
                lambda: dispatch.add_shift(
                    user,
                    request.form.get("duty", ""),
                    _parse_local(request.form.get("starts_at")),
                    _parse_local(request.form.get("ends_at")),
                    fallback=bool(request.form.get("fallback")),
                ),
                _("Saved."),
            )
        return redirect(url_for("servicedesk.roster"))
    shifts = db.session.scalars(
        select(OnCallShift)
        .where(or_(OnCallShift.fallback.is_(True), OnCallShift.ends_at > now()))
        .order_by(OnCallShift.fallback.desc(), OnCallShift.starts_at)
    ).all()
    people = db.session.scalars(
        select(User)
        .where(User.role.in_(("technician", "chief")), User.active.is_(True))
        .order_by(User.name)
    ).all()
    return render_template(
        "servicedesk/roster.html",
        shifts=shifts,
        people=people,
        technician_now=dispatch.on_duty("technician", now()),
        chief_now=dispatch.on_duty("chief", now()),
    )


@bp.get("/reports")
@requires("servicedesk.reports")
def reports_page():
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        year, number = (int(part) for part in month.split("-"))
        reports.month_bounds(year, number)
    except ValueError:
        abort(404)
    by = "customer" if request.args.get("by") == "customer" else "tier"
    total, rows = reports.compliance(year, number, by)
    show = request.args.get("show", "")
    label, _sep, outcome = show.rpartition(":")
    detail = None
    if outcome in reports.OUTCOMES:
        source = total if label == "total" else next((r for r in rows if r.label == label), None)
        detail = (label, outcome, source.tickets[outcome] if source else [])
    return render_template(
        "servicedesk/reports.html",
        month=month,
        by=by,
        total=total,
        rows=rows,
        detail=detail,
        outcomes=reports.OUTCOMES,
        units=reports.free_units_used(),
    )
