"""The history of a record in words ("chatter"), made from the audit trail and the outbox.

The audit trail (app.audit) keeps every change as column names and raw values; people
read "Rechnung 2026-000007 ausgestellt von Fabienne Finanz" or "Stufe: pro → premium".
Each audited table is worded once by the module that owns it (`RecordWording`, through
the `audit_wordings` hook; the host words its own tables below): its noun, the labels of
its fields, the vocabularies of coded fields, sentences for notable transitions and the
fields nobody needs to read. The same wording serves a record's chatter and the global
audit page. E-mails queued about the record (app.outbox `related`) join the chatter with
a link to read them.

A chatter costs a constant number of statements: the entries, the users named in them,
the e-mails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import String, cast, or_, select

from app.audit import REDACTED
from app.database import db
from app.hooks import flatten, hooks
from app.models import AuditEntry, OutboxMessage, Tier, User
from app.security import has_permission
from app.timeutil import date_pattern, datetime_pattern, local

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RecordWording:
    """How the entries of one audited table read.

    `fields`: label per column (columns without a label are shown by their name, those
    in `hidden` not at all). `vocabularies`: the Vocabulary of a coded column (or a
    mapping code -> lazy text), whose labels are shown. `lookups`: column -> function giving {stored value: words} for a
    column holding an id (e.g. tier_id -> tier name), called once per page.
    `transitions`: (column, new code) -> a sentence with %(field)s placeholders filled
    from the entry's new values and %(noun)s, e.g. ("status", "issued") ->
    "Invoice %(number)s issued". `children`: record id -> [(child table, select of
    child ids)], whose entries join the parent's chatter (the lines of a quote).
    `title`: the column naming a record in words (its number), if any. `prices`: the
    columns holding prices, hidden from users without the right to see prices.
    """

    table: str
    noun: Any
    fields: Mapping[str, Any] = field(default_factory=dict)
    vocabularies: Mapping[str, Any] = field(default_factory=dict)
    lookups: Mapping[str, Callable[[], Mapping[Any, str]]] = field(default_factory=dict)
    transitions: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    children: Callable[[int], list[tuple[str, Any]]] | None = None
    title: str | None = None
    # Prices: shown only to users who may see prices (core.prices.read); the service
    # desk and technicians see none (SPEC 6).
    prices: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    headline: str
    changes: tuple[Change, ...] = ()
    mail_id: int | None = None
    kind: str = "change"  # change, mail
    table: str = ""
    row_id: str = ""


# --- wordings ---------------------------------------------------------------------------

_INVOICE_MODES = {"per_site": _l("per site"), "consolidated": _l("consolidated")}
LANGUAGE_NAMES = {"de": _l("German"), "en": _l("English"), "fr": _l("French"), "it": _l("Italian")}
_HOST_HIDDEN = frozenset({"id", "session_token", "password_hash", "pin_hash"})


def tier_codes() -> dict[Any, str]:
    """Tier id (as text) -> tier code, for columns holding a tier id."""
    return {str(tier_id): code for tier_id, code in db.session.execute(select(Tier.id, Tier.code))}


def user_names() -> dict[Any, str]:
    """User id (as text) -> name, for columns holding a user id (a technician)."""
    return {str(user_id): name for user_id, name in db.session.execute(select(User.id, User.name))}


def host_wordings() -> list[RecordWording]:
    return [
        RecordWording(
            "core_customer",
            _l("Customer"),
            fields={
                "number": _l("Customer number"),
                "legal_name": _l("Company name"),
                "billing_email": _l("Billing e-mail"),
                "phone": _l("Phone"),
                "language": _l("Language"),
                "invoice_mode": _l("Invoices"),
                "active": _l("Active"),
                "street": _l("Street"),
                "house_number": _l("House number"),
                "postal_code": _l("Postal code"),
                "town": _l("Town"),
                "country": _l("Country"),
            },
            vocabularies={"invoice_mode": _INVOICE_MODES, "language": LANGUAGE_NAMES},
            title="legal_name",
        ),
        RecordWording(
            "core_site",
            _l("Site"),
            fields={
                "name": _l("Name"),
                "customer_id": _l("Customer"),
                "canton": _l("Canton"),
                "phone": _l("Phone"),
                "active": _l("Active"),
                "street": _l("Street"),
                "house_number": _l("House number"),
                "postal_code": _l("Postal code"),
                "town": _l("Town"),
                "country": _l("Country"),
            },
            title="name",
        ),
        RecordWording(
            "core_contact",
            _l("Contact"),
            fields={
                "name": _l("Name"),
                "email": _l("E-mail"),
                "phone": _l("Phone"),
                "authorised_caller": _l("Authorised caller"),
                "pin_hash": _l("Desk PIN"),
                "active": _l("Active"),
            },
            hidden=frozenset({"customer_id"}),
            title="name",
        ),
        RecordWording(
            "core_user",
            _l("User"),
            fields={
                "email": _l("E-mail"),
                "name": _l("Name"),
                "role": _l("Role"),
                "language": _l("Language"),
                "active": _l("Active"),
                "customer_id": _l("Customer"),
            },
            vocabularies={"language": LANGUAGE_NAMES},
            title="email",
        ),
        RecordWording("core_api_token", _l("API token"), hidden=frozenset({"token_hash"})),
        RecordWording("core_tier", _l("Catalog tier"), title="code"),
        RecordWording(
            "core_tier_version",
            _l("Tier version"),
            lookups={"tier_id": tier_codes},
            fields={"tier_id": _l("Catalog tier"), "valid_from": _l("Valid from")},
        ),
        RecordWording(
            "core_tariff",
            _l("Tariff"),
            fields={"key": _l("Key"), "valid_from": _l("Valid from"), "value": _l("Value")},
            title="key",
        ),
        RecordWording("core_company", _l("Company data")),
    ]


def wordings() -> dict[str, RecordWording]:
    """Every table's wording: the host's and the plugins' (hook `audit_wordings`)."""
    found = {wording.table: wording for wording in host_wordings()}
    if has_app_context() and "winet.plugin_manager" in current_app.extensions:
        for wording in flatten(hooks().audit_wordings()):
            found[wording.table] = wording
    return found


# --- words for values ---------------------------------------------------------------------


class _Words:
    """Turns raw audit values into words; lookups are loaded once per instance."""

    def __init__(self, known: Mapping[str, RecordWording]):
        self.known = known
        self._lookups: dict[tuple[str, str], Mapping[Any, str]] = {}
        self.sees_prices = _sees_prices()

    def wording(self, table: str) -> RecordWording:
        return self.known.get(table) or RecordWording(table, table)

    def label(self, wording: RecordWording, name: str) -> str:
        label = wording.fields.get(name)
        return str(label) if label is not None else name.replace("_", " ")

    def value(self, wording: RecordWording, name: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if value == REDACTED:
            return _("(changed, not shown)")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        vocabulary = wording.vocabularies.get(name)
        if isinstance(vocabulary, Mapping):
            return str(vocabulary.get(value, value))
        if vocabulary is not None:
            return vocabulary.label_of(value)
        lookup = wording.lookups.get(name)
        if lookup is not None:
            key = (wording.table, name)
            if key not in self._lookups:
                self._lookups[key] = lookup()
            return self._lookups[key].get(str(value), str(value))
        if isinstance(value, str) and _ISO_INSTANT.match(value):
            try:
                return format_datetime(local(datetime.fromisoformat(value)), datetime_pattern())
            except ValueError:
                return value
        if isinstance(value, str) and _ISO_DAY.match(value):
            try:
                return format_date(date.fromisoformat(value), date_pattern())
            except ValueError:
                return value
        if isinstance(value, list | dict):
            return ", ".join(str(item) for item in value) if isinstance(value, list) else "…"
        return str(value)

    def headline(self, entry: AuditEntry, wording: RecordWording) -> str:
        noun = str(wording.noun)
        changes = entry.changes or {}
        new_values = {name: pair[1] for name, pair in changes.items() if isinstance(pair, list)}
        named = new_values.get(wording.title) if wording.title else None
        for (name, code), sentence in wording.transitions.items():
            if str(new_values.get(name)) == code and name in changes:
                values = {key: self.value(wording, key, v) for key, v in new_values.items()}
                values.setdefault("noun", noun)
                for placeholder in re.findall(r"%\((\w+)\)s", str(sentence)):
                    values.setdefault(placeholder, "")
                return str(sentence) % values
        if entry.action == "insert":
            return (
                _("%(noun)s %(name)s created", noun=noun, name=named)
                if named
                else _("%(noun)s created", noun=noun)
            )
        if entry.action == "delete":
            return _("%(noun)s deleted", noun=noun)
        return _("%(noun)s changed", noun=noun)

    def changes(self, entry: AuditEntry, wording: RecordWording) -> tuple[Change, ...]:
        shown = []
        for name, pair in sorted((entry.changes or {}).items()):
            if name in wording.hidden or name in _HOST_HIDDEN and name not in wording.fields:
                continue
            if name in wording.prices and not self.sees_prices:
                continue
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            if entry.action == "insert" and new in (None, "", False):
                continue
            shown.append(
                Change(
                    self.label(wording, name),
                    "" if entry.action == "insert" else self.value(wording, name, old),
                    self.value(wording, name, new),
                )
            )
        return tuple(shown)


def _sees_prices() -> bool:
    if not has_request_context():
        return True
    return bool(current_user and has_permission(current_user, "core.prices.read"))


def _user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _who(entry: AuditEntry, names: Mapping[int, str]) -> str:
    if entry.user_id is not None and entry.user_id in names:
        return names[entry.user_id]
    actor = entry.actor or ""
    if actor == "system":
        return _("the system")
    if actor == "anonymous":
        return _("someone not logged in")
    return actor


def worded(entries: list[AuditEntry], known: Mapping[str, RecordWording] | None = None):
    """The entries as HistoryEntry, in the order given."""
    words = _Words(known if known is not None else wordings())
    names = _user_names(entry.user_id for entry in entries)
    result = []
    for entry in entries:
        wording = words.wording(entry.table_name)
        result.append(
            HistoryEntry(
                at=entry.at,
                who=_who(entry, names),
                headline=words.headline(entry, wording),
                changes=words.changes(entry, wording),
                table=entry.table_name,
                row_id=entry.row_id,
            )
        )
    return result


def history_of(table: str, record_id: int, limit: int = 200) -> list[HistoryEntry]:
    """What happened to a record, newest first: its changes, its parts' and its e-mails."""
    known = wordings()
    wording = known.get(table)
    condition = (AuditEntry.table_name == table) & (AuditEntry.row_id == str(record_id))
    parts = [condition]
    if wording is not None and wording.children is not None:
        for child_table, child_ids in wording.children(record_id):
            parts.append(
                (AuditEntry.table_name == child_table)
                & AuditEntry.row_id.in_(
                    select(cast(child_ids.selected_columns[0], String(40))).scalar_subquery()
                    if hasattr(child_ids, "selected_columns")
                    else child_ids
                )
            )
    entries = db.session.scalars(
        select(AuditEntry).where(or_(*parts)).order_by(AuditEntry.id.desc()).limit(limit)
    ).all()
    history = worded(list(entries), known)
    mails = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.related_table == table, OutboxMessage.related_id == str(record_id))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    for message in mails:
        history.append(
            HistoryEntry(
                at=message.sent_at or message.created_at,
                who=message.created_by if message.created_by != "system" else _("the system"),
                headline=_(
                    "E-mail “%(subject)s” to %(to)s: %(state)s",
                    subject=message.subject,
                    to=", ".join(message.recipients or []),
                    state=message.state.label,
                ),
                mail_id=message.id,
                kind="mail",
            )
        )
    history.sort(key=lambda item: _aware(item.at), reverse=True)
    return history


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def history_for_template(table: str, record_id: int) -> list[HistoryEntry]:
    """Cached per request: a page may ask twice (e.g. a count and the list)."""
    cache = g.setdefault("winet_history", {})
    key = (table, record_id)
    if key not in cache:
        cache[key] = history_of(table, record_id)
    return cache[key]
