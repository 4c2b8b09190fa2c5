"""One declaration per vocabulary: a StrEnum of codes from which everything else derives.

A vocabulary (invoice states, ticket states, line kinds, ...) is declared once, each code
with its label:

    class InvoiceState(Vocabulary):
        DRAFT = "draft", _l("draft")
        ISSUED = "issued", _l("issued")

and from that one declaration come the SQL check constraint (`InvoiceState.constraint
("status")`), the column type that loads members instead of plain strings
(`InvoiceState.column(12)`), the API schema type (pydantic reads the enum: OpenAPI lists
the codes) and the translated labels for pages (`member.label`, the `label` filter).

Members are `str`, so they compare equal to the stored codes and serialise as them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, String, TypeDecorator


class Vocabulary(StrEnum):
    """Codes stored as text, each with a translated label (lazy gettext)."""

    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> str:
        """The code as people read it, in the current locale."""
        return str(self._label)

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def sql_in(cls, column: str, members: tuple[Vocabulary, ...] | None = None) -> str:
        """`column in ('a', 'b')` over all codes (or the given members)."""
        chosen = members if members is not None else tuple(cls)
        return f"{column} in ({', '.join(repr(str(m.value)) for m in chosen)})"

    @classmethod
    def constraint(cls, column: str, *, nullable: bool = False, name: str | None = None):
        """The check constraint that keeps `column` within the vocabulary."""
        condition = cls.sql_in(column)
        if nullable:
            condition = f"{column} IS NULL OR {condition}"
        return CheckConstraint(condition, name=name or column)

    @classmethod
    def column(cls, length: int) -> VocabularyType:
        """The column type: VARCHAR(length), loading members of this vocabulary."""
        return VocabularyType(cls, length)

    @classmethod
    def coerce(cls, value: Any) -> Vocabulary | None:
        """The member for a code (None stays None); ValueError for an unknown code."""
        if value is None or isinstance(value, cls):
            return value
        return cls(value)

    @classmethod
    def label_of(cls, code: Any) -> str:
        """The label of a code; an unknown code is shown as it is (a page never breaks)."""
        if code is None:
            return ""
        try:
            return cls(code).label
        except ValueError:
            return str(code)

    @classmethod
    def choices(cls, members: tuple[Vocabulary, ...] | None = None) -> list[tuple[str, str]]:
        """(code, label) pairs for a select field, in declaration order.

        The labels stay lazy: a form declared at import time shows them in the language
        of the page that renders it, not in the language of the process that imported it.
        """
        return [(member.value, member._label) for member in (members or tuple(cls))]


class VocabularyType(TypeDecorator):
    """A VARCHAR holding a vocabulary's codes: refuses unknown codes, loads members."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[Vocabulary], length: int):
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.vocabulary(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.vocabulary(value)
        except ValueError:
            return value  # a code written by a newer version: shown as it is

    def result_processor(self, dialect, coltype):
        # What process_result_value does, as one dictionary lookup per value: a 50-row
        # page reads a few hundred codes, and the enum call with its ValueError was a
        # tenth of such a read. A VARCHAR needs no conversion of its own by the driver.
        members = {member.value: member for member in self.vocabulary}

        def process(value):
            return None if value is None else members.get(value, value)

        return process

    def __repr__(self) -> str:
        return f"String(length={self.impl.length})"
