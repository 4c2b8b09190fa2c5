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
from app.models import AuditEntry, OutboxMessage, Tier, TierVersion, User
from app.models.users import Role
from app.security import has_permission
from app.timeutil import date_pattern, datetime_pattern, local, today

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# How who-did-it is stored: app.audit.current_actor writes a logged-in person as
# "email (role)", quotes add "(portal)"/"(api)" or just the e-mail, jobs a label
# "kind:name". The stored text stays as it was written (old rows read the same);
# it is put into words only when shown.
_STORED_ACTOR = re.compile(r"^(?P<email>[^\s()]+@[^\s()]+)(?: \((?P<role>[a-z_]+)\))?$")
_ACTOR_WAYS = {"portal": _l("via the customer portal"), "api": _l("via the API")}
_ACTOR_KINDS = {
    "cli": _l("the command line"),
    "job": _l("the system"),
    "scheduler": _l("the system"),
    "webhook": _l("an automatic notification"),
    "stripe": _l("the online payment service"),
}
_ACTOR_WORDS = {
    "system": _l("the system"),
    "anonymous": _l("someone not logged in"),
    "signed link": _l("the signed link in the e-mail"),
}


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
    `actors`: the columns holding who did it as app.audit stores it ("email (role)"),
    shown as the person's name.
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
    actors: frozenset[str] = frozenset()


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


def _tier_names_today() -> list[tuple[int, str, str]]:
    """(tier id, code, catalog name valid today) in one statement; a tier whose versions
    all start later is named by its first version."""
    rows = db.session.execute(
        select(Tier.id, Tier.code, TierVersion.name, TierVersion.valid_from)
        .join(TierVersion, TierVersion.tier_id == Tier.id)
        .order_by(Tier.id, TierVersion.valid_from)
    ).all()
    names: dict[int, tuple[str, str]] = {}
    day = today()
    for tier_id, code, name, valid_from in rows:
        if tier_id not in names or valid_from <= day:
            names[tier_id] = (code, name)
    return [(tier_id, code, name) for tier_id, (code, name) in names.items()]


def tier_names() -> dict[Any, str]:
    """Tier id (as text) -> the catalog's name ("winCall pro 5x12h"), for tier id columns:
    people know the tiers by name, the code is for machines."""
    return {str(tier_id): name for tier_id, _code, name in _tier_names_today()}


def tier_names_by_code() -> dict[Any, str]:
    """Tier code -> the catalog's name, for columns holding a tier code."""
    return {code: name for _tier_id, code, name in _tier_names_today()}


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
            lookups={"tier_id": tier_names},
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
        self._people: dict[str, str] = {}

    def know_actors(self, actors: Iterable[Any]) -> None:
        """Load the names of the people in these stored actors, in one statement."""
        emails = set()
        for actor in actors:
            found = _STORED_ACTOR.match(actor) if isinstance(actor, str) else None
            if found and found["email"] not in self._people:
                emails.add(found["email"])
        if emails:
            rows = db.session.execute(select(User.email, User.name).where(User.email.in_(emails)))
            self._people.update({email: name for email, name in rows if name})

    def actor(self, actor: Any) -> str:
        """Who, in words: a stored "email (role)" as the person's name (the e-mail and
        the role's label when the person is no longer known); "system" and "anonymous"
        worded; any other text (a customer's name, a job's label) as it is."""
        if actor is None or actor == "":
            return "—"
        actor = str(actor)
        if actor in _ACTOR_WORDS:
            return str(_ACTOR_WORDS[actor])
        found = _STORED_ACTOR.match(actor)
        if found is None:
            kind = actor.split(":", 1)[0] if ":" in actor else None
            return str(_ACTOR_KINDS[kind]) if kind in _ACTOR_KINDS else actor
        who = self._people.get(found["email"]) or found["email"]
        way = found["role"]
        if way in _ACTOR_WAYS:
            return f"{who} ({_ACTOR_WAYS[way]})"
        if way and who == found["email"]:
            # No longer a user: the e-mail and the role's label say who it was.
            return f"{who} ({Role.label_of(way)})"
        return who

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
        if name in wording.actors:
            return self.actor(value)
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


def actors_in_words(actors: Iterable[Any]) -> dict[Any, str]:
    """Each stored actor ("email (role)", "system", "job:…") in words, as the history
    shows it: the person's name, looked up in one statement."""
    words = _Words({})
    known = set(actors)
    words.know_actors(known)
    return {actor: words.actor(actor) for actor in known}


def _sees_prices() -> bool:
    if not has_request_context():
        return True
    return bool(current_user and has_permission(current_user, "core.prices.read"))


def _user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _who(entry: AuditEntry, names: Mapping[int, str], words: _Words) -> str:
    if entry.user_id is not None and entry.user_id in names:
        return names[entry.user_id]
    return words.actor(entry.actor or "")


def worded(
    entries: list[AuditEntry],
    known: Mapping[str, RecordWording] | None = None,
    keep_unworded: bool = True,
):
    """The entries as HistoryEntry, in the order given. Without `keep_unworded`, updates
    of which no field is shown are left out (a record's chatter); the audit page keeps
    every entry it counted."""
    words = _Words(known if known is not None else wordings())
    names = _user_names(entry.user_id for entry in entries)
    words.know_actors(_stored_actors(entries, words, names))
    result = []
    for entry in entries:
        wording = words.wording(entry.table_name)
        changes = words.changes(entry, wording)
        if entry.action == "update" and not changes and not keep_unworded:
            # Only fields nobody reads changed (a stamp, an internal code): an entry
            # saying "Ticket changed" and nothing more tells the reader nothing.
            continue
        result.append(
            HistoryEntry(
                at=entry.at,
                who=_who(entry, names, words),
                headline=words.headline(entry, wording),
                changes=changes,
                table=entry.table_name,
                row_id=entry.row_id,
            )
        )
    return result


def _stored_actors(entries: list[AuditEntry], words: _Words, names: Mapping[int, str]):
    """The actors to name: of entries without a known user, and in actor columns."""
    for entry in entries:
        if entry.user_id is None or entry.user_id not in names:
            yield entry.actor
        for name in words.wording(entry.table_name).actors:
            pair = (entry.changes or {}).get(name)
            if isinstance(pair, list):
                yield from pair


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
                    # The same select (its WHERE too), its id as text like row_id.
                    child_ids.with_only_columns(
                        cast(child_ids.selected_columns[0], String(40))
                    ).scalar_subquery()
                    if hasattr(child_ids, "selected_columns")
                    else child_ids
                )
            )
    entries = db.session.scalars(
        select(AuditEntry).where(or_(*parts)).order_by(AuditEntry.id.desc()).limit(limit)
    ).all()
    history = worded(list(entries), known, keep_unworded=False)
    words = _Words(known)
    mails = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.related_table == table, OutboxMessage.related_id == str(record_id))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    words.know_actors(message.created_by for message in mails)
    for message in mails:
        history.append(
            HistoryEntry(
                at=message.sent_at or message.created_at,
                who=words.actor(message.created_by),
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
