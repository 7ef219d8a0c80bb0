"""The segment query language parses into a typed tree, and points a caret at faults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from audiences.segment_parser import (
    MAX_DEPTH,
    And,
    Between,
    Boolean,
    Compare,
    Day,
    DaysAgo,
    Empty,
    Everyone,
    FieldName,
    HasTag,
    InList,
    Match,
    MonthsAgo,
    Not,
    Number,
    Or,
    SegmentRef,
    Text,
    parse_query,
    references,
)
from audiences.segment_query import SegmentError, SegmentSyntaxError


def _caret_column(error: SegmentError) -> int:
    return error.render().splitlines()[1].index("^")


def test_every_example_of_the_issue_parses() -> None:
    examples = [
        'city = "Hanoi"',
        'tier in ("Gold", "Platinum")',
        'not (city = "Hanoi" or city = "Hue")',
        "orders between 2 and 4",
        "total_spent > 1000000",
        "last_purchase_at >= 90 days ago",
        'tag "vip" and country = "VN"',
        'attr.favourite_genre = "jazz"',
        "birthday is empty",
        'email contains "@gmail.com"',
        'first_name starts with "Ng"',
        "rfm.recency >= 4",
    ]
    for query in examples:
        parse_query(query)


def test_a_comparison_keeps_the_field_value_and_their_offsets() -> None:
    assert parse_query('city = "Hanoi"') == Compare(FieldName("city", 0), "=", Text("Hanoi", 7))


def test_and_binds_tighter_than_or() -> None:
    tree = parse_query("a = 1 or b = 2 and c = 3")
    assert isinstance(tree, Or)
    assert isinstance(tree.operands[0], Compare)
    assert isinstance(tree.operands[1], And)


def test_parentheses_override_precedence() -> None:
    tree = parse_query("(a = 1 or b = 2) and c = 3")
    assert isinstance(tree, And)
    assert isinstance(tree.operands[0], Or)


def test_not_applies_to_the_next_operand_only() -> None:
    tree = parse_query("not a = 1 and b = 2")
    assert isinstance(tree, And)
    assert isinstance(tree.operands[0], Not)


def test_keywords_ignore_case() -> None:
    lower = parse_query('not tier in ("Gold") and orders between 1 and 2 or tag "vip"')
    upper = parse_query('NOT tier IN ("Gold") AnD orders BETWEEN 1 AND 2 OR TAG "vip"')
    assert lower == upper


def test_every_operator_has_its_node() -> None:
    assert parse_query("x != 1") == Compare(FieldName("x", 0), "!=", Number(Decimal(1), 5))
    assert parse_query("x not in (1, 2,)") == InList(
        FieldName("x", 0), (Number(Decimal(1), 10), Number(Decimal(2), 13)), negated=True
    )
    assert parse_query("x between 1.5 and 2") == Between(
        FieldName("x", 0), Number(Decimal("1.5"), 10), Number(Decimal(2), 18)
    )
    assert parse_query('x contains "a"') == Match(FieldName("x", 0), "contains", Text("a", 11))
    assert parse_query('x Starts With "a"') == Match(
        FieldName("x", 0), "starts with", Text("a", 14)
    )
    assert parse_query("x is not empty") == Empty(FieldName("x", 0), negated=True)
    assert parse_query('tag "VIP"') == HasTag(Text("VIP", 4))
    assert parse_query("@Big-Spenders") == SegmentRef("big-spenders", 0)


def test_values_are_strings_numbers_booleans_dates_and_relative_dates() -> None:
    values = {
        '"a \\"quoted\\" word"': Text('a "quoted" word', 4),
        "'single'": Text("single", 4),
        "-3.25": Number(Decimal("-3.25"), 4),
        "TRUE": Boolean(True, 4),
        "false": Boolean(False, 4),
        "2024-02-29": Day(date(2024, 2, 29), 4),
        "today": DaysAgo(0, 4),
        "1 day ago": DaysAgo(1, 4),
        "90 days ago": DaysAgo(90, 4),
        "3 Months Ago": MonthsAgo(3, 4),
    }
    for written, value in values.items():
        tree = parse_query(f"x = {written}")
        assert isinstance(tree, Compare)
        assert tree.value == value


def test_an_attribute_name_may_be_a_keyword() -> None:
    assert parse_query("attr.and = 1") == Compare(
        FieldName("attr.and", 0), "=", Number(Decimal(1), 11)
    )


def test_an_empty_or_blank_query_means_everyone() -> None:
    assert parse_query("") == Everyone()
    assert parse_query("  \n ") == Everyone()


def test_references_lists_every_segment_in_order() -> None:
    tree = parse_query('@a and not (@b or city = "x")')
    assert [ref.name for ref in references(tree)] == ["a", "b"]


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ('(city = "Hanoi"', 15, "expected `)`"),
        ('city = "Hanoi" and (tier = "Gold"', 33, "expected `)`"),
        ("city = ", 6, "expected a value"),
        ('city = and country = "VN"', 7, "unexpected `and`; expected a value"),
        ('city = "Hanoi" "Hue"', 15, 'unexpected `"Hue"`'),
        ('city = "Hanoi")', 14, "unexpected `)`"),
        ('city "Hanoi"', 5, "expected an operator"),
        ('and city = "x"', 0, "unexpected `and`"),
        ('city = "Hanoi', 7, 'this string has no closing "'),
        ("orders # 3", 7, "unexpected character `#`"),
        ("birthday = 2024-02-30", 11, "`2024-02-30` is not a date"),
        ("last_purchase_at >= 1.5 days ago", 20, "whole number"),
        ('city in ("a" "b")', 13, 'unexpected `"b"`'),
        ("orders between 2", 16, "expected `and`"),
    ],
)
def test_a_syntax_error_puts_the_caret_under_the_fault(
    query: str, column: int, message: str
) -> None:
    with pytest.raises(SegmentSyntaxError) as caught:
        parse_query(query)
    assert caught.value.position == column
    assert caught.value.query == query
    assert message in caught.value.message
    rendered = caught.value.render().splitlines()
    assert rendered[0] == query.rstrip("\n")
    assert rendered[1] == " " * column + "^"
    assert message in rendered[2]


def test_the_caret_lands_on_the_faulty_line_of_a_multi_line_query() -> None:
    query = 'city = "Hanoi"\nand tier = = "Gold"'
    with pytest.raises(SegmentSyntaxError) as caught:
        parse_query(query)
    assert caught.value.render().splitlines()[:2] == ['and tier = = "Gold"', "           ^"]


def test_the_caret_accounts_for_wide_and_combining_characters() -> None:
    query = 'city = "東京" and and'
    with pytest.raises(SegmentSyntaxError) as caught:
        parse_query(query)
    assert _caret_column(caught.value) == query.index("and and") + 4 + 2


def test_absurdly_deep_nesting_is_refused_not_a_crash() -> None:
    query = "not " * (MAX_DEPTH + 1) + "x = 1"
    with pytest.raises(SegmentSyntaxError, match="nests deeper"):
        parse_query(query)
    parse_query("not " * (MAX_DEPTH - 1) + "x = 1")
