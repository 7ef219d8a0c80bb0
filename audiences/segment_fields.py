"""The fields a segment query may name, and how each reads from a contact.

Field names ignore case, except the NAME of ``attr.NAME``: JSON keys are
case-sensitive. A custom attribute is read with a guard on its JSON type, so
``attr.size > 3`` skips contacts whose size is text (on PostgreSQL a bare cast would
fail the whole query) and ``attr.code = "3"`` doesn't match the number 3.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ColumnElement, bindparam, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from audiences.models import Contact

ATTRIBUTE_PREFIX = "attr."


class Kind(StrEnum):
    """What a field holds, which decides the values and operators it takes."""

    TEXT = "text"
    NUMBER = "a number"
    DATE = "a date"
    DATETIME = "a date and time"
    ATTRIBUTE = "a custom attribute"


@dataclass(frozen=True)
class SegmentField:
    """One field of the query language: its name, kind, and the column it reads."""

    name: str
    kind: Kind
    column: InstrumentedAttribute[Any]
    # Whole numbers only (the column is an integer), so 2.5 binds as a float.
    integer: bool = False
    # The JSON key of ``attr.NAME``.
    key: str | None = None


def _fields() -> dict[str, SegmentField]:
    texts = {
        "email": Contact.email,
        "first_name": Contact.first_name,
        "last_name": Contact.last_name,
        "gender": Contact.gender,
        "city": Contact.city,
        "country": Contact.country,
        "postcode": Contact.postcode,
        "locale": Contact.locale,
        "timezone": Contact.timezone,
        "address_line1": Contact.address_line1,
        "address_line2": Contact.address_line2,
        "address_line3": Contact.address_line3,
        "tier": Contact.tier,
    }
    fields = [SegmentField(name, Kind.TEXT, column) for name, column in texts.items()]
    fields += [
        SegmentField("birthday", Kind.DATE, Contact.birthday),
        SegmentField("created_at", Kind.DATETIME, Contact.created_at),
        SegmentField("updated_at", Kind.DATETIME, Contact.updated_at),
        SegmentField("first_purchase_at", Kind.DATETIME, Contact.first_purchase_at),
        SegmentField("last_purchase_at", Kind.DATETIME, Contact.last_purchase_at),
        SegmentField("orders", Kind.NUMBER, Contact.orders_count, integer=True),
        SegmentField("total_spent", Kind.NUMBER, Contact.total_spent),
        SegmentField("rfm.recency", Kind.NUMBER, Contact.rfm_recency, integer=True),
        SegmentField("rfm.frequency", Kind.NUMBER, Contact.rfm_frequency, integer=True),
        SegmentField("rfm.monetary", Kind.NUMBER, Contact.rfm_monetary, integer=True),
    ]
    return {field.name: field for field in fields}


FIELDS = _fields()


def find_field(name: str) -> SegmentField | None:
    """The field called ``name`` (``attr.NAME`` for any NAME), or None."""
    if name[: len(ATTRIBUTE_PREFIX)].lower() == ATTRIBUTE_PREFIX:
        key = name[len(ATTRIBUTE_PREFIX) :]
        if key and "." not in key:
            return SegmentField(ATTRIBUTE_PREFIX + key, Kind.ATTRIBUTE, Contact.attrs, key=key)
        return None
    return FIELDS.get(name.lower())


def nearest_field(name: str) -> str | None:
    """The known field whose name is closest to ``name``, if any is close."""
    matches = difflib.get_close_matches(name.lower(), FIELDS, n=1, cutoff=0.6)
    return matches[0] if matches else None


class _AttributeIs(FunctionElement[bool]):
    """``attrs`` holds a JSON value of one type under a key (false when missing)."""

    type = Boolean()
    inherit_cache = True
    sqlite_types: ClassVar[tuple[str, ...]] = ()
    postgresql_type: ClassVar[str] = ""


class _AttributeIsNumber(_AttributeIs):
    inherit_cache = True
    sqlite_types = ("integer", "real")
    postgresql_type = "number"


class _AttributeIsString(_AttributeIs):
    inherit_cache = True
    sqlite_types = ("text",)
    postgresql_type = "string"


class _AttributeIsBoolean(_AttributeIs):
    inherit_cache = True
    sqlite_types = ("true", "false")
    postgresql_type = "boolean"


@compiles(_AttributeIs, "sqlite")
def _attribute_is_sqlite(element: _AttributeIs, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    types = ", ".join(f"'{name}'" for name in element.sqlite_types)
    return f"(json_type({column}, {key}) IN ({types}))"


@compiles(_AttributeIs, "postgresql")
def _attribute_is_postgresql(element: _AttributeIs, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(json_typeof({column} -> CAST({key} AS TEXT)) = '{element.postgresql_type}')"


@compiles(_AttributeIs)
def _attribute_is_other(element: _AttributeIs, compiler: SQLCompiler, **kw: Any) -> str:
    # Only SQLite and PostgreSQL are supported; this keeps str(statement) readable.
    return _attribute_is_sqlite(element, compiler, **kw)


def _key(key: str) -> ColumnElement[Any]:
    # The JSON index type binds the key as a JSON path on SQLite, as is on PostgreSQL.
    return bindparam(None, key, type_=JSON.JSONIndexType())


def attribute_number(key: str) -> ColumnElement[float]:
    """``attrs[key]`` as a float when it is a JSON number, else NULL."""
    guard = _AttributeIsNumber(Contact.attrs, _key(key))
    return case((guard, Contact.attrs[key].as_float()))


def attribute_text(key: str) -> ColumnElement[str]:
    """``attrs[key]`` when it is a JSON string, else NULL."""
    guard = _AttributeIsString(Contact.attrs, _key(key))
    return case((guard, Contact.attrs[key].as_string()))


def attribute_boolean(key: str) -> ColumnElement[bool]:
    """``attrs[key]`` when it is a JSON true or false, else NULL."""
    guard = _AttributeIsBoolean(Contact.attrs, _key(key))
    return case((guard, Contact.attrs[key].as_boolean()))


def attribute_as_text(key: str) -> ColumnElement[str]:
    """``attrs[key]`` of any JSON type as text; NULL only when missing or JSON null."""
    text: ColumnElement[str] = Contact.attrs[key].as_string()
    return text
