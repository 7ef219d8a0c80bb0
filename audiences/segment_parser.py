"""Parse a segment query into a small typed tree of frozen dataclasses.

The grammar is ``segment_grammar.lark``. The tree keeps the character offset of every
field and value, so later stages (field look-up, type checks) can point a caret at
the fault. Parsing never touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from audiences.segment_errors import SegmentSyntaxError

GRAMMAR = Path(__file__).with_name("segment_grammar.lark")

# Deeper nesting than this is no marketer's query, and would only exhaust the stack.
MAX_DEPTH = 50

# Relative dates stay within what ``datetime.date`` can hold.
MAX_DAYS_AGO = 100_000
MAX_MONTHS_AGO = 12_000

# What to call each terminal when the parser says what it expected.
EXPECTED_NAMES = {
    **dict.fromkeys(("FIELD", "SEGMENT", "_TAG"), "a field"),
    **dict.fromkeys(("STRING", "NUMBER", "DATE", "TRUE", "FALSE", "TODAY"), "a value"),
    **dict.fromkeys(
        ("COMPARATOR", "_IN", "_BETWEEN", "_CONTAINS", "_STARTS", "_IS"), "an operator"
    ),
    **dict.fromkeys(("_DAY", "_DAYS"), "`days ago`"),
    **dict.fromkeys(("_MONTH", "_MONTHS"), "`months ago`"),
    **{
        "_NOT": "`not`",
        "_AND": "`and`",
        "_OR": "`or`",
        "_LPAR": "`(`",
        "_RPAR": "`)`",
        "_COMMA": "`,`",
    },
    **{"_WITH": "`with`", "_EMPTY": "`empty`", "_AGO": "`ago`", "$END": "the end of the query"},
}


@dataclass(frozen=True)
class Text:
    """A quoted string."""

    value: str
    position: int


@dataclass(frozen=True)
class Number:
    """A number, kept exact."""

    value: Decimal
    position: int


@dataclass(frozen=True)
class Boolean:
    """``true`` or ``false``."""

    value: bool
    position: int


@dataclass(frozen=True)
class Day:
    """An absolute date, ``YYYY-MM-DD``."""

    value: date
    position: int


@dataclass(frozen=True)
class DaysAgo:
    """``N days ago``; ``today`` is zero days ago."""

    days: int
    position: int


@dataclass(frozen=True)
class MonthsAgo:
    """``N months ago``, in calendar months."""

    months: int
    position: int


Value = Text | Number | Boolean | Day | DaysAgo | MonthsAgo
DateValue = Day | DaysAgo | MonthsAgo


@dataclass(frozen=True)
class FieldName:
    """A field as written in the query (``city``, ``rfm.recency``, ``attr.genre``)."""

    name: str
    position: int


@dataclass(frozen=True)
class Compare:
    """``field OP value`` with OP one of ``= != < <= > >=``."""

    field: FieldName
    operator: str
    value: Value


@dataclass(frozen=True)
class InList:
    """``field in (...)``, or ``field not in (...)`` when negated."""

    field: FieldName
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Between:
    """``field between low and high``, both ends included."""

    field: FieldName
    low: Value
    high: Value


@dataclass(frozen=True)
class Match:
    """``field contains value`` or ``field starts with value``, ignoring case."""

    field: FieldName
    operator: Literal["contains", "starts with"]
    value: Value


@dataclass(frozen=True)
class Empty:
    """``field is empty``, or ``field is not empty`` when negated."""

    field: FieldName
    negated: bool


@dataclass(frozen=True)
class HasTag:
    """``tag "name"``."""

    tag: Text


@dataclass(frozen=True)
class SegmentRef:
    """``@name``: a saved segment, by its lower-case name."""

    name: str
    position: int


@dataclass(frozen=True)
class Not:
    """``not expression``."""

    operand: Node


@dataclass(frozen=True)
class And:
    """Every operand holds."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """At least one operand holds."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Everyone:
    """The empty query: no condition."""


Condition = Compare | InList | Between | Match | Empty
Node = Condition | HasTag | SegmentRef | Not | And | Or | Everyone

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class _BadValueError(Exception):
    """A token the grammar accepts but that means nothing (``2024-02-30``)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class _ToTree(Transformer[Token, Node]):
    """Builds the typed tree; run inline by the LALR parser, so it never recurses."""

    def start(self, children: list[Node]) -> Node:
        return children[0] if children else Everyone()

    def or_expr(self, children: list[Node]) -> Node:
        return Or(tuple(children))

    def and_expr(self, children: list[Node]) -> Node:
        return And(tuple(children))

    def negation(self, children: list[Node]) -> Node:
        return Not(children[0])

    def has_tag(self, children: list[Token]) -> Node:
        return HasTag(self.text(children))

    def segment_ref(self, children: list[Token]) -> Node:
        return SegmentRef(children[0][1:].lower(), _start(children[0]))

    def compare(self, children: list[Token | Value]) -> Node:
        field, operator, value = children
        assert isinstance(field, Token) and isinstance(operator, Token)
        return Compare(_field(field), str(operator), _value(value))

    def in_list(self, children: list[Token | tuple[Value, ...]]) -> Node:
        field, values = children
        assert isinstance(field, Token) and isinstance(values, tuple)
        return InList(_field(field), values, negated=False)

    def not_in_list(self, children: list[Token | tuple[Value, ...]]) -> Node:
        field, values = children
        assert isinstance(field, Token) and isinstance(values, tuple)
        return InList(_field(field), values, negated=True)

    def between(self, children: list[Token | Value]) -> Node:
        field, low, high = children
        assert isinstance(field, Token)
        return Between(_field(field), _value(low), _value(high))

    def contains(self, children: list[Token | Value]) -> Node:
        field, value = children
        assert isinstance(field, Token)
        return Match(_field(field), "contains", _value(value))

    def starts_with(self, children: list[Token | Value]) -> Node:
        field, value = children
        assert isinstance(field, Token)
        return Match(_field(field), "starts with", _value(value))

    def is_empty(self, children: list[Token]) -> Node:
        return Empty(_field(children[0]), negated=False)

    def is_not_empty(self, children: list[Token]) -> Node:
        return Empty(_field(children[0]), negated=True)

    def value_list(self, children: list[Value]) -> tuple[Value, ...]:
        return tuple(children)

    def text(self, children: list[Token]) -> Text:
        token = children[0]
        return Text(_ESCAPE.sub(r"\1", token[1:-1]), _start(token))

    def number(self, children: list[Token]) -> Number:
        return Number(Decimal(children[0]), _start(children[0]))

    def boolean(self, children: list[Token]) -> Boolean:
        return Boolean(children[0].lower() == "true", _start(children[0]))

    def day(self, children: list[Token]) -> Day:
        token = children[0]
        try:
            return Day(date.fromisoformat(token), _start(token))
        except ValueError:
            raise _BadValueError(f"`{token}` is not a date (YYYY-MM-DD)", _start(token)) from None

    def today(self, children: list[Token]) -> DaysAgo:
        return DaysAgo(0, _start(children[0]))

    def days_ago(self, children: list[Token]) -> DaysAgo:
        return DaysAgo(_count(children[0], MAX_DAYS_AGO), _start(children[0]))

    def months_ago(self, children: list[Token]) -> MonthsAgo:
        return MonthsAgo(_count(children[0], MAX_MONTHS_AGO), _start(children[0]))


def _count(token: Token, limit: int) -> int:
    if not token.isdigit() or int(token) > limit:
        raise _BadValueError(f"`ago` needs a whole number from 0 to {limit}", _start(token))
    return int(token)


def _start(token: Token) -> int:
    return token.start_pos or 0


def _field(token: Token) -> FieldName:
    return FieldName(str(token), _start(token))


def _value(child: object) -> Value:
    assert isinstance(child, Text | Number | Boolean | Day | DaysAgo | MonthsAgo)
    return child


@cache
def _parser() -> Lark:
    return Lark(
        GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic", transformer=_ToTree()
    )


def parse_query(query: str) -> Node:
    """Parse ``query`` into a tree; raise :class:`SegmentSyntaxError` with the fault's offset."""
    try:
        tree = _parser().parse(query)
    except UnexpectedInput as error:
        raise _syntax_error(query, error) from None
    except _BadValueError as error:
        raise SegmentSyntaxError(error.message, query, error.position) from None
    assert isinstance(tree, And | Or | Not | HasTag | SegmentRef | Everyone | Condition)
    if depth(tree) > MAX_DEPTH:
        raise SegmentSyntaxError(f"the query nests deeper than {MAX_DEPTH} levels", query, 0)
    return tree


def _syntax_error(query: str, error: UnexpectedInput) -> SegmentSyntaxError:
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        char = query[position]
        if char in "\"'":
            return SegmentSyntaxError(f"this string has no closing {char}", query, position)
        return SegmentSyntaxError(f"unexpected character `{char}`", query, position)
    if isinstance(error, UnexpectedToken):
        expected = _describe(error.accepts or error.expected)
        if error.token.type == "$END":
            return SegmentSyntaxError(
                f"the query ends too soon; expected {expected}", query, len(query.rstrip())
            )
        return SegmentSyntaxError(
            f"unexpected `{error.token}`; expected {expected}", query, _start(error.token)
        )
    return SegmentSyntaxError(str(error), query, error.pos_in_stream)


def _describe(terminals: set[str]) -> str:
    if terminals == {"_IN"}:
        return "`in`"
    if terminals == {"STRING"}:
        return 'a quoted string, like "vip"'
    names = sorted({EXPECTED_NAMES.get(terminal, terminal) for terminal in terminals})
    if "an operator" in names and "`not`" in names:
        # After a field, `not` only starts `not in`, one of the operators.
        names.remove("`not`")
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def depth(node: Node) -> int:
    """How deeply ``node`` nests, counted without recursion."""
    deepest = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(current, And | Or):
            stack.extend((operand, level + 1) for operand in current.operands)
        elif isinstance(current, Not):
            stack.append((current.operand, level + 1))
    return deepest


def references(node: Node) -> Iterator[SegmentRef]:
    """Every ``@name`` in ``node``, in the order written."""
    if isinstance(node, SegmentRef):
        yield node
    elif isinstance(node, And | Or):
        for operand in node.operands:
            yield from references(operand)
    elif isinstance(node, Not):
        yield from references(node.operand)


def conditions(node: Node) -> Iterator[Condition | HasTag]:
    """Every condition in ``node``, in the order written (``@name`` not expanded)."""
    if isinstance(node, And | Or):
        for operand in node.operands:
            yield from conditions(operand)
    elif isinstance(node, Not):
        yield from conditions(node.operand)
    elif not isinstance(node, SegmentRef | Everyone):
        yield node
