"""One list component for every list page: search, state filters, sorting, pagination, count.

A view describes its list once (`Listing`: searchable columns, filters by main state,
sortable columns) and calls `listing.page(statement, request.args)`. The answer holds the
rows of one page, the total and everything the `_list.html` macros need to draw the search
box, the filter chips (the active one highlighted), the sortable headers and the pager.

A page costs a constant number of SQL statements: one count, one select of the page and
whatever eager loads (selectinload) the caller put on the statement, however many rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.database import db

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_QUERY = 100


@dataclass(frozen=True)
class Filter:
    """A chip above the list: `code` in the address (?filter=code), `label` shown (a lazy
    text or a Vocabulary member), `where` the condition (None: none, e.g. "all")."""

    code: str
    label: Any
    where: ColumnElement | None = None


@dataclass(frozen=True)
class Sort:
    """A sortable column: `key` in the address (?sort=key or ?sort=-key), `by` the SQL
    (one expression, or a tuple sorted by in turn, e.g. to put blanks last)."""

    key: str
    by: Any

    def order(self, descending: bool) -> list:
        parts = self.by if isinstance(self.by, tuple) else (self.by,)
        return [part.desc() if descending else part.asc() for part in parts]


@dataclass(frozen=True)
class Listing:
    """What a list page offers. `search` are the text columns a query matches (any of
    them, case-insensitively, as a substring), or a function (statement, text) ->
    statement for a search of its own. `default_filter` names the filter applied when
    the address names none; `default_sort` is a sort key, "-" first for descending.
    `tiebreak` keeps pages stable when sort values repeat."""

    endpoint: str
    filters: Sequence[Filter] = ()
    default_filter: str | None = None
    sorts: Sequence[Sort] = ()
    default_sort: str | None = None
    search: Sequence[Any] | Callable[[Select, str], Select] = ()
    tiebreak: Any = None
    page_size: int = DEFAULT_PAGE_SIZE
    # The address argument of the filter; lists that had one before keep its name.
    filter_arg: str = "filter"

    def filter_named(self, code: str | None) -> Filter | None:
        return next((f for f in self.filters if f.code == code), None)

    def sort_named(self, key: str) -> Sort | None:
        return next((s for s in self.sorts if s.key == key), None)

    def page(self, statement: Select, args: Mapping[str, str], **route: Any) -> ListPage:
        """The page the address `args` asks for; `route` are the endpoint's own arguments."""
        query = (args.get("q") or "").strip()[:MAX_QUERY]
        active = self.filter_named(args.get(self.filter_arg)) or self.filter_named(
            self.default_filter
        )
        sort_arg = (args.get("sort") or self.default_sort or "").strip()
        descending = sort_arg.startswith("-")
        sort = self.sort_named(sort_arg.lstrip("-"))
        if sort is None and self.default_sort:
            descending = self.default_sort.startswith("-")
            sort = self.sort_named(self.default_sort.lstrip("-"))
        size = _whole(args.get("size"))
        size = size if size in PAGE_SIZES else self.page_size

        if query:
            statement = self._searched(statement, query)
        if active is not None and active.where is not None:
            statement = statement.where(active.where)
        total = db.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        pages = max((total + size - 1) // size, 1)
        number = min(max(_whole(args.get("page")) or 1, 1), pages)
        order = []
        if sort is not None:
            order.extend(sort.order(descending))
        if self.tiebreak is not None:
            order.append(self.tiebreak.desc() if descending else self.tiebreak.asc())
        rows = db.session.scalars(
            statement.order_by(None).order_by(*order).limit(size).offset((number - 1) * size)
        ).all()
        return ListPage(
            listing=self,
            rows=rows,
            total=total,
            number=number,
            pages=pages,
            size=size,
            query=query,
            active=active,
            sort=sort.key if sort else None,
            descending=descending,
            args={
                k: v
                for k, v in args.items()
                if k not in ("q", self.filter_arg, "sort", "page", "size") and v
            },
            route=route,
        )

    def _searched(self, statement: Select, query: str) -> Select:
        if callable(self.search):
            return self.search(statement, query)
        if not self.search:
            return statement
        like = f"%{escape_like(query.lower())}%"
        return statement.where(
            or_(*(func.lower(column).like(like, escape="\\") for column in self.search))
        )


def state_filters(column: Any, vocabulary: Any, everything: Any = None) -> tuple[Filter, ...]:
    """ "All" (labelled `everything`), then one filter per code of a Vocabulary."""
    return (
        Filter("all", everything if everything is not None else _l("All")),
        # The member itself as label: its word is looked up when the page is drawn.
        *(Filter(member.value, member, column == member) for member in vocabulary),
    )


def active_filters(column: Any) -> tuple[Filter, ...]:
    """ "All", "Active" and "Inactive" over a record's boolean `active` column."""
    return (
        Filter("all", _l("All")),
        Filter("active", _l("Active"), column.is_(True)),
        Filter("inactive", _l("Inactive"), column.is_(False)),
    )


def _whole(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else None


def escape_like(text: str) -> str:
    """The text as a LIKE pattern matches it literally (% and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class ListPage:
    listing: Listing
    rows: Sequence[Any]
    total: int
    number: int
    pages: int
    size: int
    query: str
    active: Filter | None
    sort: str | None
    descending: bool
    args: dict[str, str] = field(default_factory=dict)
    route: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.total)

    def url(self, **changes: Any) -> str:
        """The address of this list with `changes` (None removes an argument)."""
        current = {
            **self.args,
            "q": self.query or None,
            self.listing.filter_arg: self.active.code if self.active else None,
            "sort": (("-" if self.descending else "") + self.sort) if self.sort else None,
            "size": self.size if self.size != self.listing.page_size else None,
            "page": self.number if self.number > 1 else None,
        }
        current.update(changes)
        arguments = {k: v for k, v in current.items() if v not in (None, "")}
        return url_for(self.listing.endpoint, **self.route, **arguments)

    def sort_url(self, key: str) -> str:
        """Sorting by `key`: ascending first, a second click descending; back to page 1."""
        descending = self.sort == key and not self.descending
        return self.url(sort=("-" if descending else "") + key, page=None)

    def sort_state(self, key: str) -> str:
        """The aria-sort value of a header."""
        if self.sort != key:
            return "none"
        return "descending" if self.descending else "ascending"

    def filter_url(self, code: str) -> str:
        return self.url(**{self.listing.filter_arg: code, "page": None})
