"""Service desk records: tickets and their event log, caller checks, roster, work, charges."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.toolkit import (
    Contact,
    Customer,
    ExactDecimal,
    IdMixin,
    Site,
    TimestampMixin,
    User,
    db,
    utcnow,
)
from plugins.servicedesk import wording
from plugins.servicedesk.monitoring import reschedule_changed
from plugins.servicedesk.vocabulary import (
    OPEN_STATES,
    PAUSE_STATES,
    Channel,
    ChargeKind,
    ChargeText,
    ChargeUnit,
    Duty,
    EscalationReason,
    FastLaneAnswer,
    FaultOrigin,
    IncidentSource,
    NotificationKind,
    Severity,
    TicketEventKind,
    TicketState,
    TimeKind,
    VerificationMethod,
    VerificationOutcome,
    ZeroRatedReason,
)


class Ticket(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "servicedesk_ticket"
    __audited__ = True
    # The sweep's own bookkeeping (next_check_at) is no change anyone answers for.
    __audit_ignore__ = ("next_check_at",)
    __table_args__ = (
        TicketState.constraint("state"),
        Channel.constraint("channel"),
        FaultOrigin.constraint("fault_origin", nullable=True),
        FaultOrigin.constraint("fault_origin_proposed", nullable=True),
        Severity.constraint("severity", nullable=True),
        FastLaneAnswer.constraint("fast_lane_answer", nullable=True),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_contact.id"))
    channel: Mapped[Channel] = mapped_column(Channel.column(10))
    state: Mapped[TicketState] = mapped_column(
        TicketState.column(20), default=TicketState.NEW, index=True
    )
    summary: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime] = mapped_column(index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    # The CLA in force at the report (contracts answers through the tier_in_force hook).
    contract_id: Mapped[int | None]
    tier_code: Mapped[str | None] = mapped_column(String(20))
    reaction_kind: Mapped[str | None] = mapped_column(String(20))
    inside_service_hours: Mapped[bool | None]

    fast_lane: Mapped[bool] = mapped_column(default=False)
    fast_lane_fee: Mapped[Decimal | None]
    fast_lane_offered_at: Mapped[datetime | None]
    fast_lane_answer: Mapped[FastLaneAnswer | None] = mapped_column(FastLaneAnswer.column(10))
    fast_lane_answered_at: Mapped[datetime | None]
    fast_lane_answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    first_reaction_due_at: Mapped[datetime | None] = mapped_column(index=True)
    reminder_at: Mapped[datetime | None]
    first_reaction_at: Mapped[datetime | None]
    first_reaction_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    first_reaction_note: Mapped[str] = mapped_column(Text, default="")

    technician_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"), index=True)
    dispatched_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]

    fault_origin: Mapped[FaultOrigin | None] = mapped_column(FaultOrigin.column(24))
    severity: Mapped[Severity | None] = mapped_column(Severity.column(10))
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    alert_resolved_at: Mapped[datetime | None]  # every alert of the ticket resolved

    # The resolution target of the severity (resolution_clock.py): when it is due and
    # when to remind; both None for best effort, without a severity and while paused.
    resolution_due_at: Mapped[datetime | None]
    resolution_reminder_at: Mapped[datetime | None]

    # The outage the ticket belongs to (outage.py), and the fault origin the evidence
    # proposes (a firing base-system alert or an open master incident for the site) with
    # its facts; the technician or chief confirms it or overrides it with a reason.
    master_incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("servicedesk_master_incident.id"), index=True
    )
    fault_origin_proposed: Mapped[FaultOrigin | None] = mapped_column(FaultOrigin.column(24))
    fault_origin_evidence: Mapped[dict | None] = mapped_column(JSON)
    fault_origin_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    fault_origin_decided_at: Mapped[datetime | None]
    fault_origin_reason: Mapped[str] = mapped_column(Text, default="")

    # When the sweep must look at the ticket next (reminder, breach, re-notification);
    # None: nothing to watch. Kept by monitoring.py on every change that moves it.
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)

    customer: Mapped[Customer] = relationship()
    site: Mapped[Site] = relationship()
    contact: Mapped[Contact | None] = relationship()
    technician: Mapped[User | None] = relationship(foreign_keys=[technician_id])
    master_incident: Mapped[MasterIncident | None] = relationship(
        foreign_keys=[master_incident_id], overlaps="tickets"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    time_entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="ticket", order_by="TimeEntry.id", cascade="all, delete-orphan"
    )
    materials: Mapped[list[MaterialUse]] = relationship(
        back_populates="ticket", order_by="MaterialUse.id", cascade="all, delete-orphan"
    )
    escalations: Mapped[list[Escalation]] = relationship(
        back_populates="ticket", order_by="Escalation.id", cascade="all, delete-orphan"
    )
    charges: Mapped[list[Charge]] = relationship(
        back_populates="ticket", order_by="Charge.id", cascade="all, delete-orphan"
    )
    pauses: Mapped[list[TicketPause]] = relationship(
        back_populates="ticket", order_by="TicketPause.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def number(self) -> str:
        return f"T-{self.id:06d}"


class TicketEvent(IdMixin, db.Model):
    """One entry of a ticket's log; the SLA figures are derived from these."""

    __tablename__ = "servicedesk_ticket_event"
    __table_args__ = (
        TicketEventKind.constraint("kind"),
        TicketState.constraint("from_state", nullable=True),
        TicketState.constraint("to_state", nullable=True),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[TicketEventKind] = mapped_column(TicketEventKind.column(40))
    from_state: Mapped[TicketState | None] = mapped_column(TicketState.column(20))
    to_state: Mapped[TicketState | None] = mapped_column(TicketState.column(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    actor: Mapped[str] = mapped_column(String(120), default="system")
    # What a person wrote (a reason, the cause told to the customer), shown as written.
    note: Mapped[str] = mapped_column(Text, default="")
    # The facts of the entry (who, how many minutes, which alert ...), worded in the
    # reader's language when shown (wording.event_detail); no sentence is stored.
    note_params: Mapped[dict | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    @property
    def detail(self) -> str:
        """The facts of the entry in the current language."""
        return wording.event_detail(self.kind, self.note_params)

    @property
    def text(self) -> str:
        """The facts and the person's note, as one line in the current language."""
        return wording.event_text(self)


class MasterIncident(IdMixin, TimestampMixin, db.Model):
    """An outage of a Winet base-system service: its affected sites, its tickets."""

    __tablename__ = "servicedesk_master_incident"
    __audited__ = True
    __table_args__ = (IncidentSource.constraint("source"),)

    service: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(200))
    source: Mapped[IncidentSource] = mapped_column(IncidentSource.column(10))
    alertname: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]
    # The service while the incident is open, None once resolved: the unique key lets
    # a service have one open incident at a time (two deliveries at once find the one).
    open_service: Mapped[str | None] = mapped_column(String(120), unique=True)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))

    sites: Mapped[list[MasterIncidentSite]] = relationship(
        back_populates="incident", order_by="MasterIncidentSite.id", cascade="all, delete-orphan"
    )
    tickets: Mapped[list[Ticket]] = relationship(order_by="Ticket.id", viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def number(self) -> str:
        return f"M-{self.id:06d}"


class MasterIncidentSite(IdMixin, db.Model):
    """A site affected by an outage (from the alert's labels, or chosen by a chief)."""

    __tablename__ = "servicedesk_master_incident_site"
    __table_args__ = (UniqueConstraint("incident_id", "site_id"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("servicedesk_master_incident.id"), index=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    added_at: Mapped[datetime]

    incident: Mapped[MasterIncident] = relationship(back_populates="sites")
    site: Mapped[Site] = relationship()


class TicketPause(IdMixin, db.Model):
    """One stretch in a pause state: the resolution clock stands still (an event each)."""

    __tablename__ = "servicedesk_ticket_pause"
    __table_args__ = (
        CheckConstraint(TicketState.sql_in("state", PAUSE_STATES), name="state"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="times"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    state: Mapped[TicketState] = mapped_column(TicketState.column(20))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="pauses")


class VerificationAttempt(IdMixin, db.Model):
    """Every attempt to verify a caller, successful or not (SPEC 4.1)."""

    __tablename__ = "servicedesk_verification_attempt"
    __table_args__ = (
        VerificationOutcome.constraint("outcome"),
        VerificationMethod.constraint("method"),
    )

    at: Mapped[datetime] = mapped_column(index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("core_contact.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("servicedesk_ticket.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    method: Mapped[VerificationMethod] = mapped_column(
        VerificationMethod.column(20), default=VerificationMethod.PIN
    )
    outcome: Mapped[VerificationOutcome] = mapped_column(VerificationOutcome.column(20))


class OnCallShift(IdMixin, TimestampMixin, db.Model):
    """Who is on duty when; a fallback row (no times) answers when no shift covers."""

    __tablename__ = "servicedesk_oncall_shift"
    __audited__ = True
    __table_args__ = (
        Duty.constraint("duty"),
        CheckConstraint(
            "(fallback AND starts_at IS NULL AND ends_at IS NULL) OR "
            "(NOT fallback AND starts_at IS NOT NULL AND ends_at > starts_at)",
            name="times",
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), index=True)
    duty: Mapped[Duty] = mapped_column(Duty.column(12))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    fallback: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class TimeEntry(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "servicedesk_time_entry"
    __audited__ = True
    __table_args__ = (
        TimeKind.constraint("kind"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    kind: Mapped[TimeKind] = mapped_column(TimeKind.column(10))
    work_date: Mapped[date]
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="time_entries")
    technician: Mapped[User] = relationship()


class MaterialUse(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "servicedesk_material"
    __audited__ = True
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 3))
    unit_price: Mapped[Decimal]
    used_on: Mapped[date]  # the day of the service, for the VAT of its charge

    ticket: Mapped[Ticket] = relationship(back_populates="materials")


class Escalation(IdMixin, db.Model):
    """An escalation with time and person: a breach or a chief joining at 3rd level."""

    __tablename__ = "servicedesk_escalation"
    __audited__ = True
    __table_args__ = (EscalationReason.constraint("reason"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    at: Mapped[datetime]
    level: Mapped[int]  # 2 = technician, 3 = chief technician / chief developer
    reason: Mapped[EscalationReason] = mapped_column(EscalationReason.column(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="escalations")
    person: Mapped[User | None] = relationship(foreign_keys=[person_id])


class Notification(IdMixin, db.Model):
    """A notification claimed for one event; the unique key makes every sweep queue it once
    (the outbox message then delivers it, see notify.py)."""

    __tablename__ = "servicedesk_notification"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "level"),
        NotificationKind.constraint("kind"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(NotificationKind.column(30))
    level: Mapped[int] = mapped_column(default=1)
    recipient: Mapped[str] = mapped_column(String(254))
    claimed_at: Mapped[datetime]
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("core_outbox_message.id"))


class UnitUsage(IdMixin, db.Model):
    """Free service units a resolved ticket used, counted per contract year."""

    __tablename__ = "servicedesk_unit_usage"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    contract_id: Mapped[int] = mapped_column(index=True)
    contract_year_start: Mapped[date]
    units: Mapped[int]
    at: Mapped[datetime]


class Charge(IdMixin, db.Model):
    """A line offered to invoicing through billable_charges; the reference is forever unique."""

    __tablename__ = "servicedesk_charge"
    __audited__ = True
    __table_args__ = (
        ChargeKind.constraint("kind"),
        ChargeUnit.constraint("unit"),
        ChargeText.constraint("description_code"),
        ZeroRatedReason.constraint("zero_rated_reason", nullable=True),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[ChargeKind] = mapped_column(ChargeKind.column(20))
    customer_id: Mapped[int] = mapped_column(ForeignKey("core_customer.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("core_site.id"), index=True)
    # The month a charge is offered to invoicing (the resolution day; see costs.py) ...
    billing_date: Mapped[date] = mapped_column(index=True)
    # ... and the days of the service itself, for the VAT rate (SPEC 5): the last of
    # them, and each with its share ([["2026-11-24", 60], ...]: minutes worked that day).
    service_date: Mapped[date]
    service_days: Mapped[list] = mapped_column(JSON, default=list)
    # The description as a code and its facts, worded in the reader's language (on an
    # invoice: the customer's) by wording.charge_description.
    description_code: Mapped[ChargeText] = mapped_column(ChargeText.column(20))
    description_params: Mapped[dict] = mapped_column(JSON, default=dict)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 3))
    unit: Mapped[ChargeUnit] = mapped_column(ChargeUnit.column(10))
    unit_price: Mapped[Decimal]
    amount: Mapped[Decimal]
    zero_rated_reason: Mapped[ZeroRatedReason | None] = mapped_column(ZeroRatedReason.column(20))
    invoice_id: Mapped[int | None]  # set by the charges_billed hook; None: not yet billed

    ticket: Mapped[Ticket] = relationship(back_populates="charges")

    @property
    def description(self) -> str:
        """The description in the current language (on an invoice: the customer's)."""
        return wording.charge_description(self.description_code, self.description_params)

    @property
    def unit_text(self) -> str:
        return wording.unit_text(self.unit)

    @property
    def reason_text(self) -> str | None:
        return wording.reason_text(self.zero_rated_reason, self.description_params)

    @property
    def days(self) -> tuple[tuple[date, int], ...]:
        """The service days and their weights; the service date alone for older rows."""
        if not self.service_days:
            return ((self.service_date, 1),)
        return tuple((date.fromisoformat(day), int(weight)) for day, weight in self.service_days)


class FastLaneCredit(IdMixin, db.Model):
    """A Fast Lane fee credited against a signed upgrade: once per ticket, ever."""

    __tablename__ = "servicedesk_fast_lane_credit"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), unique=True)
    contract_id: Mapped[int]
    signed_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class FiringAlert(IdMixin, db.Model):
    """One firing alert (Alertmanager fingerprint + start) and the ticket it belongs to.

    The unique key de-duplicates per alert: repeated notifications of a firing alert, and
    the same alert arriving twice at once, map to the one row and its ticket."""

    __tablename__ = "servicedesk_firing_alert"
    __table_args__ = (UniqueConstraint("fingerprint", "starts_at"),)

    fingerprint: Mapped[str] = mapped_column(String(200), index=True)
    starts_at: Mapped[str] = mapped_column(String(40))  # as Alertmanager sends it (RFC 3339)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("servicedesk_ticket.id"), index=True)
    alertname: Mapped[str] = mapped_column(String(200), default="")
    first_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship()


class AlertEvent(IdMixin, db.Model):
    """Raw Alertmanager notifications as received, for the record."""

    __tablename__ = "servicedesk_alert_event"

    received_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(10))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("servicedesk_ticket.id"))
    payload: Mapped[dict] = mapped_column(JSON)


@event.listens_for(Session, "before_flush")
def _keep_next_check(session, flush_context, instances) -> None:
    """Every change of a ticket that moves the sweep's next look sets it (monitoring.py)."""
    changed = [t for t in (*session.new, *session.dirty) if isinstance(t, Ticket)]
    if changed:
        reschedule_changed(session, changed)
