"""Service desk pages: call intake, tickets, customer portal, roster and SLA reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.toolkit import (
    ZURICH,
    Contact,
    Customer,
    Filter,
    Listing,
    RuleViolation,
    Site,
    Sort,
    User,
    committed_or_flash,
    db,
    escape_like,
    form_input,
    form_page_status,
    get_visible_or_404,
    has_permission,
    hooks,
    now,
    pin_limits,
    requires,
    scope_to_customer,
    today,
)
from plugins.servicedesk import (
    attempts,
    callers,
    costs,
    dispatch,
    evidence,
    intake,
    outage,
    reaction_report,
    reports,
    resolution_clock,
    search_marks,
    sla_clock,
    verification,
    vocabulary,
    wording,
    work,
)
from plugins.servicedesk.due import reaction_rule
from plugins.servicedesk.models import MasterIncident, OnCallShift, Ticket
from plugins.servicedesk.schemas import (
    EscalationIn,
    FastLaneChoice,
    FaultOriginIn,
    IncidentIn,
    MaterialIn,
    PauseIn,
    ReactionIn,
    ResolutionIn,
    SeverityIn,
    ShiftIn,
    TicketIn,
    TimeEntryIn,
    VerificationIn,
)
from plugins.servicedesk.tickets import TRANSITIONS
from plugins.servicedesk.vocabulary import (
    OPEN_STATES,
    Duty,
    FastLaneAnswer,
    IncidentSource,
    ListScope,
    TicketState,
    VerificationOutcome,
)

bp = Blueprint(
    "servicedesk",
    __name__,
    url_prefix="/servicedesk",
    template_folder="templates",
    # The desk's stylesheet and the SLA clock script (the CSP allows no inline script).
    static_folder="static",
    static_url_path="/static",
)

# The vocabularies by name, for templates: {{ code|label_of(TicketEventKind) }}.
VOCABULARIES = {
    name: value
    for name, value in vars(vocabulary).items()
    if isinstance(value, type)
    and issubclass(value, vocabulary.Vocabulary)
    and value is not vocabulary.Vocabulary
}


@bp.app_template_filter("label_of")
def _label_of(code, vocabulary_class) -> str:
    """The label of a stored code in the reader's language; an unknown code as it is."""
    return vocabulary_class.label_of(code)


def time_left_text(due: datetime | None, at: datetime | None = None) -> str:
    if due is None:
        return _("best effort")
    left = due - (at or now())
    minutes = int(abs(left).total_seconds() // 60)
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    return text if left >= timedelta(0) else _("overdue by %(time)s", time=text)


@bp.app_template_filter("sd_mark")
def _mark_filter(value, query):
    return search_marks.marked(value, query)


@bp.app_template_filter("sd_time_left")
def _time_left_filter(due):
    return time_left_text(due)


@bp.app_template_filter("event_detail")
def _event_detail_filter(kind: str, params: dict | None) -> str:
    return wording.event_detail(kind, params)


@bp.context_processor
def _helpers() -> dict:
    return {
        **VOCABULARIES,
        "PAUSE_STATES": vocabulary.PAUSE_STATES,
        "due_text": intake.due_text,
        "now_utc": now(),
        "customer_consequence": wording.customer_consequence,
        "customer_fast_lane_offer": wording.customer_fast_lane_offer,
        "duration_text": wording.duration_text,
        "clock_stopped_text": wording.clock_stopped_text,
    }


def _ticket(ticket_id: int) -> Ticket:
    return get_visible_or_404(Ticket, ticket_id)


def _record_or_404(model, record_id: int | None):
    """The record a form names; an id that names nothing is a 404, not a refused rule.
    None (not chosen) stays None."""
    if record_id is None:
        return None
    return db.session.get(model, record_id) or abort(404)


# --- call intake ------------------------------------------------------------------------


@bp.get("/desk")
@requires("servicedesk.intake")
def desk():
    query = request.args.get("q", "").strip()[:100]
    # Caller-ID: the telephony opens /servicedesk/desk?caller=+41... for a ringing call.
    caller = request.args.get("caller", "").strip()[:40]
    caller_number, caller_matches, caller_problem = None, [], None
    if caller:
        try:
            caller_number, caller_matches = callers.lookup(caller)
        except RuleViolation as refused:
            caller_problem = str(refused)
    customers = []
    if query:
        customers = db.session.scalars(
            intake.find_callers(query)
            .options(selectinload(Customer.sites), selectinload(Customer.contacts))
            .limit(20)
        ).all()
    waiting = db.session.scalars(
        select(Ticket)
        .where(Ticket.state.in_((TicketState.NEW, TicketState.VERIFIED)))
        .order_by(Ticket.reported_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "servicedesk/desk.html",
        query=query,
        customers=customers,
        waiting=waiting,
        clas=_clas_now([site for customer in customers for site in customer.sites]),
        failed=attempts.failed_attempts(),
        locks=attempts.locks(),
        caller=caller,
        caller_number=caller_number,
        caller_matches=caller_matches,
        caller_problem=caller_problem,
    )


@dataclass(frozen=True)
class SiteCla:
    """The CLA a site has now, as the desk's search lists it."""

    tier_name: str
    service_hours: str
    inside_service_hours: bool


def _clas_now(sites) -> dict[int, SiteCla]:
    """The CLA in force now per site; a site without one is missing from the answer."""
    at, found = now(), {}
    for site in sites:
        tier = hooks().tier_in_force(site_id=site.id, at=at) if site.active else None
        rule = reaction_rule(tier.tier_code, at) if tier is not None else None
        if rule is not None:
            found[site.id] = SiteCla(
                rule.tier_name, rule.service_hours, rule.inside_service_hours(at)
            )
    return found


def _contact_of_form() -> str:
    return (request.form.get("contact_id") or "")[:20]


@bp.route("/desk/sites/<int:site_id>", methods=["GET", "POST"])
@requires("servicedesk.intake")
@pin_limits(_contact_of_form)
def call(site_id: int):
    site = db.session.get(Site, site_id) or abort(404)
    contacts = [c for c in site.customer.contacts if c.active and c.authorised_caller]
    outcome = None
    if request.method == "POST":

        def take_call():
            given = form_input(TicketIn, site_id=site.id)
            contact = _record_or_404(Contact, given.contact_id)
            return intake.take_call(
                site,
                given.summary,
                contact,
                given.pin or "",
                current_user,
                given.description,
                callback=given.callback,
            )

        done = committed_or_flash(take_call)
        if done:
            ticket, result = done
            if result.verified:
                flash(_("Caller verified."), "success")
                return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))
            outcome = result
            flash(_verification_message(result), "error")  # attempt recorded, no ticket
    return render_template(
        "servicedesk/call.html",
        site=site,
        contacts=contacts,
        attempts_left=_attempts_left(contacts),
        situation=intake.situation(site),
        # What the agent typed stays on a refused call (all but the wrong PIN); the
        # caller-ID page preselects the caller (?contact_id=).
        given=request.form if request.method == "POST" else request.args,
        outcome=outcome,
        failed=attempts.failed_attempts(site.customer_id),
        locks=attempts.locks(site.customer_id),
    )


def _attempts_left(contacts) -> dict[int, int]:
    """Wrong PINs each caller may still give (0: locked), for the desk's choice list."""
    return {contact.id: verification.failures_left(contact) for contact in contacts}


def _verification_message(result) -> str:
    if result.outcome == VerificationOutcome.LOCKED:
        return _("Too many wrong PINs: this contact is locked for now. Do not dispatch.")
    if result.outcome == VerificationOutcome.NOT_AUTHORISED:
        return _("This person is not an authorised caller of the customer. Do not dispatch.")
    if result.outcome == VerificationOutcome.NOT_REACHED:
        return _("The registered number was not reached: the caller is not verified.")
    return _("Wrong PIN. Attempts left: %(left)s.", left=result.failures_left)


def _answer_fast_lane(ticket: Ticket) -> FastLaneAnswer | None:
    """Record the answer of the form; the answer, or None when it was refused."""

    def answer() -> FastLaneAnswer:
        choice = form_input(FastLaneChoice)
        intake.answer_fast_lane(ticket, choice.answer == FastLaneAnswer.CONFIRMED, current_user)
        return choice.answer

    return committed_or_flash(answer)


@bp.post("/tickets/<int:ticket_id>/intake/<action>")
@requires("servicedesk.intake")
@pin_limits(_contact_of_form, exempt_when=lambda: request.view_args.get("action") != "verify")
def intake_action(ticket_id: int, action: str):
    ticket = _ticket(ticket_id)
    if action == "verify":

        def verify():
            given = form_input(VerificationIn)
            contact = _record_or_404(Contact, given.contact_id)
            return intake.verify(ticket, contact, given.pin, current_user)

        result = committed_or_flash(verify)
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
        answered = _answer_fast_lane(ticket)
        if answered == FastLaneAnswer.CONFIRMED:
            flash(_("Fast Lane confirmed: technician dispatched."), "success")
        elif answered == FastLaneAnswer.WITHDRAWN:
            flash(_("Withdrawn: nothing is charged."), "success")
    elif action == "withdraw":
        committed_or_flash(lambda: intake.withdraw(ticket, current_user), _("Withdrawn."))
    else:
        abort(404)
    return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))


# --- tickets ----------------------------------------------------------------------------


def _search_tickets(statement, text: str):
    """Number ("T-000012" or "12"), summary, site or customer."""
    digits = text.upper().removeprefix("T-").lstrip("0")
    like = f"%{escape_like(text.lower())}%"
    conditions = [
        func.lower(Ticket.summary).like(like, escape="\\"),
        Ticket.site_id.in_(select(Site.id).where(func.lower(Site.name).like(like, escape="\\"))),
        Ticket.customer_id.in_(
            select(Customer.id).where(func.lower(Customer.legal_name).like(like, escape="\\"))
        ),
    ]
    if digits.isdigit() and len(digits) < 10:
        conditions.append(Ticket.id == int(digits))
    return statement.where(or_(*conditions))


def _ticket_list(is_worker: bool) -> Listing:
    """The filters depend on the user (mine) and on the moment (breached)."""
    open_ = Ticket.state.in_(OPEN_STATES)
    filters = [
        Filter(ListScope.OPEN.value, ListScope.OPEN, open_),
        Filter(
            "breached",
            _l("FirstReaction overdue"),
            open_ & Ticket.first_reaction_at.is_(None) & (Ticket.first_reaction_due_at < now()),
        ),
        Filter(
            TicketState.RESOLVED.value, TicketState.RESOLVED, Ticket.state == TicketState.RESOLVED
        ),
        Filter(TicketState.CLOSED.value, TicketState.CLOSED, Ticket.state == TicketState.CLOSED),
        Filter(ListScope.ALL.value, ListScope.ALL),
    ]
    if is_worker:
        filters.insert(
            0,
            Filter(ListScope.MINE.value, ListScope.MINE, open_ & work.assigned_to(current_user.id)),
        )
    return Listing(
        endpoint="servicedesk.tickets",
        filters=filters,
        default_filter=ListScope.MINE.value if is_worker else ListScope.OPEN.value,
        filter_arg="scope",
        sorts=(
            Sort("number", Ticket.id),
            # The most urgent first; answered and best-effort tickets last.
            Sort(
                "due",
                (
                    Ticket.first_reaction_at.is_not(None),
                    Ticket.first_reaction_due_at.is_(None),
                    Ticket.first_reaction_due_at,
                ),
            ),
            Sort("reported", Ticket.reported_at),
            Sort("state", Ticket.state),
            Sort("site", Site.name),
        ),
        default_sort="due",
        search=_search_tickets,
        tiebreak=Ticket.id,
    )


@bp.get("/tickets")
@requires("servicedesk.read")
def tickets():
    is_worker = has_permission(current_user, "servicedesk.work")
    scope = request.args.get("scope")
    listing = _ticket_list(is_worker)
    if scope and listing.filter_named(scope) is None and scope not in ListScope.codes():
        abort(400)
    statement = scope_to_customer(
        select(Ticket)
        .join(Site, Site.id == Ticket.site_id)
        .options(
            selectinload(Ticket.site).selectinload(Site.customer), selectinload(Ticket.customer)
        ),
        Ticket.customer_id,
    )
    page = listing.page(statement, request.args)
    return render_template("servicedesk/tickets.html", page=page, tickets=page.rows)


@bp.get("/tickets/<int:ticket_id>")
@requires("servicedesk.read")
def ticket(ticket_id: int):
    record = _ticket(ticket_id)
    chiefs = db.session.scalars(
        select(User).where(User.role == "chief", User.active.is_(True)).order_by(User.name)
    ).all()
    contacts = [c for c in record.customer.contacts if c.active and c.authorised_caller]
    units = costs.free_units(record.site_id, now()) if record.contract_id else None
    is_new = record.state == TicketState.NEW
    return render_template(
        "servicedesk/ticket.html",
        ticket=record,
        chiefs=chiefs,
        contacts=contacts,
        attempts_left=_attempts_left(contacts) if is_new else {},
        units=units,
        # REACTED offers the first-reaction form, also on an escalated ticket.
        allowed=TRANSITIONS[record.state]
        | ({TicketState.REACTED} if work.can_record_first_reaction(record) else set()),
        situation=intake.situation(record.site) if is_new else None,
        pause_time=reports.pause_time(record, now()),
        resolution_outcome=reports.resolution_outcome(record, now()),
        clock=sla_clock.ticket_clock(record, now()),
        rule=reaction_rule(record.tier_code, record.reported_at) if record.tier_code else None,
        for_customer=current_user.role == "customer",
        log=wording.log_lines(record.events, current_user.role == "customer"),
        # A portal or monitoring ticket has no calling contact: who reported it, then.
        reporter=db.session.get(User, record.opened_by_id) if record.opened_by_id else None,
    )


def _time(ticket: Ticket):
    given = form_input(TimeEntryIn)
    return work.add_time(ticket, current_user, given.kind, given.minutes, note=given.note)


def _material(ticket: Ticket):
    given = form_input(MaterialIn)
    return work.add_material(
        ticket, current_user, given.description, given.quantity, given.unit_price
    )


def _escalate(ticket: Ticket):
    given = form_input(EscalationIn)
    person = _record_or_404(User, given.person_id)
    return work.escalate_third_level(ticket, current_user, person, given.note)


def _severity(ticket: Ticket):
    return resolution_clock.set_severity(ticket, form_input(SeverityIn).severity, current_user)


def _pause(ticket: Ticket):
    given = form_input(PauseIn)
    return resolution_clock.pause(ticket, given.state, current_user, given.note)


def _resolve(ticket: Ticket):
    given = form_input(ResolutionIn)
    return work.resolve(
        ticket,
        current_user,
        given.fault_origin,
        given.severity,
        given.resolution,
        given.origin_reason,
    )


def _fault_origin(ticket: Ticket):
    given = form_input(FaultOriginIn)
    return evidence.override(ticket, given.fault_origin, current_user, given.reason)


# action -> (what it does with the ticket, what the page says when done)
WORK_ACTIONS = {
    "acknowledge": (
        lambda t: dispatch.acknowledge(t, current_user),
        lambda: _("Dispatch acknowledged."),
    ),
    "react": (
        lambda t: work.record_first_reaction(t, current_user, form_input(ReactionIn).note),
        lambda: _("First reaction recorded."),
    ),
    "start": (lambda t: work.start_work(t, current_user), lambda: None),
    "time": (_time, lambda: _("Time logged.")),
    "material": (_material, lambda: _("Material added.")),
    "escalate": (_escalate, lambda: _("Escalated to 3rd level.")),
    "severity": (_severity, lambda: _("Severity set.")),
    "fault_origin": (_fault_origin, lambda: _("Fault origin recorded.")),
    "pause": (_pause, lambda: _("Waiting: the resolution clock stands still.")),
    "resolve": (_resolve, lambda: _("Resolved.")),
    "close": (lambda t: work.close(t, current_user), lambda: _("Closed.")),
}


@bp.post("/tickets/<int:ticket_id>/work/<action>")
@requires("servicedesk.work")
def work_action(ticket_id: int, action: str):
    record = _ticket(ticket_id)
    if action not in WORK_ACTIONS:
        abort(404)
    perform, done = WORK_ACTIONS[action]
    if committed_or_flash(lambda: perform(record), done()) is None:
        # Refused (no severity chosen, a negative quantity): the page again with the
        # message and what was typed in that form, so nothing typed is lost.
        return ticket(ticket_id), 422
    return redirect(url_for("servicedesk.ticket", ticket_id=record.id))


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
    if request.method == "POST":

        def report_fault():
            given = form_input(TicketIn)
            own = next((s for s in sites if s.id == given.site_id), None) or abort(404)
            return intake.portal_ticket(own, given.summary, given.description, current_user)

        created = committed_or_flash(report_fault)
        if created:
            return redirect(url_for("servicedesk.ticket", ticket_id=created.id))
    page = render_template(
        "servicedesk/portal_new.html",
        sites=sites,
        site=site,
        situation=intake.situation(site) if site else None,
        for_customer=True,
    )
    # A refused report comes back with its summary and details as typed (422).
    return page, form_page_status()


@bp.post("/portal/tickets/<int:ticket_id>/fast-lane")
@requires("servicedesk.portal")
def portal_fast_lane(ticket_id: int):
    ticket = _ticket(ticket_id)
    answered = _answer_fast_lane(ticket)
    if answered == FastLaneAnswer.CONFIRMED:
        flash(
            wording.customer_fast_lane_confirmed(
                intake.due_text(ticket),
                ticket.first_reaction_due_at - now() if ticket.first_reaction_due_at else None,
            ),
            "success",
        )
    elif answered == FastLaneAnswer.WITHDRAWN:
        flash(_("Withdrawn: nothing is charged."), "success")
    return redirect(url_for("servicedesk.ticket", ticket_id=ticket.id))


# --- roster and reports -----------------------------------------------------------------


def _in_zurich(value: datetime | None) -> datetime | None:
    """A form's datetime-local is Zurich wall-clock time; an instant with a zone stays."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZURICH)


@bp.route("/roster", methods=["GET", "POST"])
@requires("servicedesk.roster")
def roster():
    if request.method == "POST":

        def add_shift():
            given = form_input(ShiftIn)
            user = _record_or_404(User, given.user_id)
            return dispatch.add_shift(
                user,
                given.duty,
                _in_zurich(given.starts_at),
                _in_zurich(given.ends_at),
                fallback=given.fallback,
            )

        if committed_or_flash(add_shift, _("Saved.")):
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
    page = render_template(
        "servicedesk/roster.html",
        shifts=shifts,
        people=people,
        technician_now=dispatch.on_duty(Duty.TECHNICIAN, now()),
        chief_now=dispatch.on_duty(Duty.CHIEF, now()),
    )
    # A refused shift comes back with the person, duty and times chosen (422).
    return page, form_page_status()


def _month_param() -> tuple[str, int, int]:
    month = request.args.get("month") or today().strftime("%Y-%m")
    try:
        year, number = (int(part) for part in month.split("-"))
        reports.month_bounds(year, number)
    except ValueError:
        abort(404)
    return f"{year:04d}-{number:02d}", year, number


def _reaction_report(customer_id: int):
    """A customer sees its own months; staff with the reports right any customer's. Any
    other customer's report is not found (404), also for the desk without the right."""
    month, year, number = _month_param()
    if current_user.role == "customer":
        if current_user.customer_id != customer_id:
            abort(404)
    elif not has_permission(current_user, "servicedesk.reports"):
        abort(404)
    customer = db.session.get(Customer, customer_id) or abort(404)
    return month, reaction_report.reaction_report(customer, year, number)


@bp.get("/reports/reaction")
@requires("servicedesk.portal")
def reaction_report_page():
    """The portal's menu entry: the customer's own report."""
    if current_user.customer_id is None:
        abort(404)  # staff open a customer's report by its id
    return redirect(
        url_for(
            "servicedesk.reaction_report_of",
            customer_id=current_user.customer_id,
            month=request.args.get("month") or today().strftime("%Y-%m"),
        )
    )


@bp.get("/reports/reaction/<int:customer_id>")
@requires("servicedesk.read")
def reaction_report_of(customer_id: int):
    month, report = _reaction_report(customer_id)
    return render_template("servicedesk/reaction_report.html", month=month, report=report)


@bp.get("/reports/reaction/<int:customer_id>/pdf")
@requires("servicedesk.read")
def reaction_report_pdf(customer_id: int):
    month, report = _reaction_report(customer_id)
    with force_locale(report.customer.language or "de"):
        pdf = reaction_report.report_pdf(report, month)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="reaction-times-{month}.pdf"'},
    )


@bp.route("/incidents", methods=["GET", "POST"])
@requires("servicedesk.roster")
def incidents():
    """Outages: the open ones with their sites and tickets; a chief declares one."""
    if request.method == "POST":
        chosen = [int(v) for v in request.form.getlist("site_ids") if v.isdigit()]

        def declare():
            given = form_input(IncidentIn, site_ids=chosen)
            sites = [_record_or_404(Site, site_id) for site_id in given.site_ids]
            return outage.open_incident(
                given.service, given.summary, IncidentSource.DECLARED, sites, by=current_user
            )

        if committed_or_flash(declare, _("Outage declared; the customers are told.")):
            return redirect(url_for("servicedesk.incidents"))
    open_ones = db.session.scalars(
        select(MasterIncident)
        .where(MasterIncident.resolved_at.is_(None))
        .order_by(MasterIncident.opened_at)
    ).all()
    sites = db.session.scalars(
        select(Site)
        .options(selectinload(Site.customer))
        .where(Site.active.is_(True))
        .order_by(Site.customer_id, Site.name)
    ).all()
    page = render_template("servicedesk/incidents.html", incidents=open_ones, sites=sites)
    # A refused declaration comes back with the service, summary and sites chosen (422).
    return page, form_page_status()


@bp.post("/incidents/<int:incident_id>/resolve")
@requires("servicedesk.roster")
def resolve_incident(incident_id: int):
    incident = _record_or_404(MasterIncident, incident_id)
    committed_or_flash(
        lambda: outage.resolve_incident(incident, current_user),
        _("Outage resolved; the customers are told."),
    )
    return redirect(url_for("servicedesk.incidents"))


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
        source = (
            total if label == reports.TOTAL else next((r for r in rows if r.label == label), None)
        )
        detail = (label, outcome, source.tickets[outcome] if source else [])
    return render_template(
        "servicedesk/reports.html",
        month=month,
        by=by,
        total=total,
        rows=rows,
        detail=detail,
        outcomes=reports.OUTCOMES,
        total_label=reports.TOTAL,
        units=reports.free_units_used(),
    )
