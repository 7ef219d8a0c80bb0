"""Check a parsed segment query against the field catalogue, and compile it to SQL.

The result is a SQLAlchemy expression over :class:`Contact`; every value the marketer
typed becomes a bound parameter. Checking runs no SQL, so a bad query fails before
the database is touched.

Semantics worth knowing:

- A comparison on a missing value (NULL, or an attribute of another JSON type) is
  unknown, as in SQL: ``!=``, ``not in`` and ``not (...)`` don't match it either.
  Use ``is empty`` for those contacts.
- Date and time fields compare by the day in the configured time zone: ``>= D``
  means from the start of local day D, ``<= D`` up to its end.
- Text compares case-sensitively (and ``<`` orders by the database's collation);
  ``contains`` and ``starts with`` ignore case.
"""

from __future__ import annotations

import calendar
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean as SqlBoolean
from sqlalchemy import ColumnElement, and_, exists, false, literal, not_, or_, select, true

from audiences.models import Contact, Tag, contact_tags
from audiences.segment_errors import SegmentError, UnknownFieldError
from audiences.segment_fields import (
    ATTRIBUTE_PREFIX,
    Kind,
    SegmentField,
    attribute_as_text,
    attribute_boolean,
    attribute_number,
    attribute_text,
    find_field,
    nearest_field,
)
from audiences.segment_parser import (
    And,
    Between,
    Boolean,
    Compare,
    Condition,
    DateValue,
    Day,
    DaysAgo,
    Empty,
    Everyone,
    FieldName,
    HasTag,
    InList,
    Match,
    Node,
    Not,
    Number,
    Or,
    SegmentRef,
    Text,
    Value,
    conditions,
)

Comparison = Callable[[Any, Any], ColumnElement[bool]]
COMPARISONS: dict[str, Comparison] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# The value kinds each field kind compares with, and an example for error messages.
ACCEPTS: dict[Kind, tuple[set[str], str]] = {
    Kind.TEXT: ({"text"}, 'a quoted string like "Hanoi"'),
    Kind.NUMBER: ({"number"}, "a number like 3"),
    Kind.DATE: ({"date"}, "a date like 2024-01-31 or 30 days ago"),
    Kind.DATETIME: ({"date"}, "a date like 2024-01-31 or 30 days ago"),
    Kind.ATTRIBUTE: ({"text", "number", "boolean", "date"}, "a value"),
}

INT_MAX = 2**31 - 1

VALUE_KINDS = {"text": "text", "number": "numbers", "boolean": "true or false", "date": "dates"}


@dataclass(frozen=True)
class CompileContext:
    """What compiling needs beyond the tree: the local calendar and saved segments."""

    zone: ZoneInfo
    today: date
    # Every segment the tree refers to (directly or not), parsed and checked.
    segments: Mapping[str, Node]
    # Tag name -> id (None: no such tag), looked up before compiling. A constant id
    # lets PostgreSQL's planner estimate a tag's size; unlisted tags use a join.
    tag_ids: Mapping[str, int | None] = field(default_factory=dict)


def check_tree(tree: Node, query: str) -> None:
    """Check every field and value in ``tree`` (not in ``@name``); raise SegmentError."""
    for condition in conditions(tree):
        if not isinstance(condition, HasTag):
            _check(condition, query)


def compile_tree(tree: Node, context: CompileContext) -> ColumnElement[bool]:
    """The filter on Contact for a checked tree whose ``@name``s are all in ``context``."""
    if isinstance(tree, Everyone):
        return true()
    if isinstance(tree, And):
        return and_(*(compile_tree(operand, context) for operand in tree.operands))
    if isinstance(tree, Or):
        return or_(*(compile_tree(operand, context) for operand in tree.operands))
    if isinstance(tree, Not):
        return not_(compile_tree(tree.operand, context))
    if isinstance(tree, SegmentRef):
        return compile_tree(context.segments[tree.name], context)
    if isinstance(tree, HasTag):
        return _has_tag(tree.tag.value, context.tag_ids)
    return _condition(tree, context)


def _field(name: FieldName, query: str) -> SegmentField:
    field = find_field(name.name)
    if field is not None:
        return field
    nearest = nearest_field(name.name)
    if nearest is not None:
        hint = f"did you mean `{nearest}`?"
    elif "." in name.name:
        hint = f"custom attributes are written `{ATTRIBUTE_PREFIX}NAME`, with no dot in NAME"
    else:
        hint = f"custom attributes are written `{ATTRIBUTE_PREFIX}{name.name}`"
    raise UnknownFieldError(f"unknown field `{name.name}`; {hint}", query, name.position)


def _values(condition: Compare | InList | Between) -> Sequence[Value]:
    if isinstance(condition, Compare):
        return (condition.value,)
    if isinstance(condition, InList):
        return condition.values
    return (condition.low, condition.high)


def _value_kind(value: Value) -> str:
    if isinstance(value, Text):
        return "text"
    if isinstance(value, Number):
        return "number"
    if isinstance(value, Boolean):
        return "boolean"
    return "date"


def _check(condition: Condition, query: str) -> None:
    field = _field(condition.field, query)
    if isinstance(condition, Empty):
        return
    if isinstance(condition, Match):
        if field.kind not in (Kind.TEXT, Kind.ATTRIBUTE):
            message = f"`{condition.operator}` works on text, but `{field.name}` is {field.kind}"
            raise SegmentError(message, query, condition.value.position)
        if not isinstance(condition.value, Text):
            message = f'`{condition.operator}` needs a quoted string, like "Hanoi"'
            raise SegmentError(message, query, condition.value.position)
        return
    values = _values(condition)
    first = _value_kind(values[0])
    accepted, example = ACCEPTS[field.kind]
    for value in values:
        if _value_kind(value) not in accepted:
            message = f"`{field.name}` is {field.kind}; compare it with {example}"
            raise SegmentError(message, query, value.position)
        if _value_kind(value) != first:
            message = f"the values here must all be {VALUE_KINDS[first]}, like the first"
            raise SegmentError(message, query, value.position)
    ordered = isinstance(condition, Between) or (
        isinstance(condition, Compare) and condition.operator not in ("=", "!=")
    )
    if first == "boolean" and ordered:
        message = "true and false compare only with =, != and in"
        raise SegmentError(message, query, values[0].position)


def _has_tag(name: str, tag_ids: Mapping[str, int | None]) -> ColumnElement[bool]:
    # Tag names are stored lower-case.
    name = name.strip().lower()
    if name in tag_ids:
        tag_id = tag_ids[name]
        if tag_id is None:
            return false()
        return exists(
            select(contact_tags.c.contact_id).where(
                contact_tags.c.contact_id == Contact.id, contact_tags.c.tag_id == tag_id
            )
        )
    return exists(
        select(contact_tags.c.contact_id)
        .join(Tag, Tag.id == contact_tags.c.tag_id)
        .where(contact_tags.c.contact_id == Contact.id, Tag.name == name.strip().lower())
    )


def _condition(condition: Condition, context: CompileContext) -> ColumnElement[bool]:
    field = find_field(condition.field.name)
    assert field is not None, "compile_tree needs a checked tree"
    if isinstance(condition, Empty):
        return not_(_empty(field)) if condition.negated else _empty(field)
    if isinstance(condition, Match):
        assert isinstance(condition.value, Text)
        text = field.column if field.key is None else attribute_text(field.key)
        if condition.operator == "contains":
            return text.icontains(condition.value.value, autoescape=True)
        return text.istartswith(condition.value.value, autoescape=True)
    if field.kind is Kind.DATETIME:
        return _by_day(field, condition, context)
    values = _values(condition)
    target = _target(field, values[0])
    params = [_param(field, value, context.today) for value in values]
    if isinstance(condition, Compare):
        return COMPARISONS[condition.operator](target, params[0])
    if isinstance(condition, Between):
        return target.between(params[0], params[1])
    return target.not_in(params) if condition.negated else target.in_(params)


def _empty(field: SegmentField) -> ColumnElement[bool]:
    if field.key is not None:
        text = attribute_as_text(field.key)
        return or_(text.is_(None), text == "")
    if field.kind is Kind.TEXT:
        return or_(field.column.is_(None), field.column == "")
    return field.column.is_(None)


def _target(field: SegmentField, value: Value) -> ColumnElement[Any]:
    if field.key is None:
        return field.column.expression
    if isinstance(value, Number):
        return attribute_number(field.key)
    if isinstance(value, Boolean):
        return attribute_boolean(field.key)
    return attribute_text(field.key)


def _param(field: SegmentField, value: Value, today: date) -> Any:
    if isinstance(value, Text):
        return value.value
    if isinstance(value, Boolean):
        return literal(value.value, SqlBoolean())
    if isinstance(value, Number):
        if field.key is not None:
            return float(value.value)
        if not field.integer:
            return value.value
        whole = value.value == value.value.to_integral()
        # A fraction, or a whole number beyond the integer column's range, binds as a float.
        return int(value.value) if whole and abs(value.value) <= INT_MAX else float(value.value)
    day = resolve_day(value, today)
    # A custom attribute holds dates as ISO text, which sorts like the dates.
    return day.isoformat() if field.key is not None else day


def _by_day(
    field: SegmentField, condition: Compare | InList | Between, context: CompileContext
) -> ColumnElement[bool]:
    """Compare a naive-UTC timestamp column with local calendar days."""
    column = field.column
    days = [resolve_day(_date_value(value), context.today) for value in _values(condition)]
    bounds = [(_midnight(day, context.zone), _midnight(day, context.zone, 1)) for day in days]
    if isinstance(condition, Between):
        return and_(column >= bounds[0][0], column < bounds[1][1])
    if isinstance(condition, InList):
        within = [and_(column >= start, column < end) for start, end in bounds]
        outside = [or_(column < start, column >= end) for start, end in bounds]
        return and_(*outside) if condition.negated else or_(*within)
    start, end = bounds[0]
    return {
        "=": lambda: and_(column >= start, column < end),
        "!=": lambda: or_(column < start, column >= end),
        ">=": lambda: column >= start,
        ">": lambda: column >= end,
        "<=": lambda: column < end,
        "<": lambda: column < start,
    }[condition.operator]()


def _date_value(value: Value) -> DateValue:
    assert isinstance(value, DateValue)
    return value


def _midnight(day: date, zone: ZoneInfo, later: int = 0) -> datetime:
    """The start of local ``day`` (plus ``later`` days) as naive UTC."""
    try:
        local = datetime.combine(day + timedelta(days=later), time(), zone)
        return local.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.max if later or day.year > 1 else datetime.min


def resolve_day(value: DateValue, today: date) -> date:
    """The calendar date a date value stands for, given today's local date."""
    if isinstance(value, Day):
        return value.value
    if isinstance(value, DaysAgo):
        return today - timedelta(days=value.days)
    year, month = divmod(today.year * 12 + today.month - 1 - value.months, 12)
    month += 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
