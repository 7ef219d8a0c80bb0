"""Segment queries select the right contacts, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Tag
from audiences.segment_compiler import check_tree, resolve_day
from audiences.segment_parser import DaysAgo, MonthsAgo, parse_query
from audiences.segment_query import (
    SegmentError,
    SegmentSyntaxError,
    UnknownFieldError,
    segment_filter,
)
from audiences.settings import AudienceSettings

SETTINGS = AudienceSettings(timezone="Asia/Ho_Chi_Minh")
TODAY = date(2024, 3, 31)
HO_CHI_MINH = timedelta(hours=7)


def _local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Ho Chi Minh City wall-clock time as the naive UTC the database stores."""
    return datetime(year, month, day, hour, minute) - HO_CHI_MINH


def _add(session: Session, name: str, tags: tuple[str, ...] = (), **fields: Any) -> None:
    email = fields.pop("email", f"{name}@example.com")
    contact = Contact(email=email, email_hash=address_hash(email), **fields)
    for tag_name in tags:
        tag = session.scalars(select(Tag).where(Tag.name == tag_name)).one_or_none()
        contact.tags.append(tag or Tag(name=tag_name))
    session.add(contact)
    session.flush()


@pytest.fixture
def people(db: Database) -> Database:
    """Four contacts that differ in every field the tests query."""
    with db.session() as session:
        _add(
            session,
            "an",
            email="an@gmail.com",
            first_name="Ngoc",
            city="Hanoi",
            country="VN",
            tier="Gold",
            orders_count=3,
            total_spent=Decimal("1500000"),
            birthday=date(1990, 5, 1),
            rfm_recency=5,
            attrs={"favourite_genre": "jazz", "size": 42, "newsletter": True},
            tags=("vip",),
        )
        _add(
            session,
            "binh",
            first_name="Binh",
            city="Hue",
            country="VN",
            tier="Platinum",
            orders_count=5,
            total_spent=Decimal("3000000"),
            rfm_recency=3,
            attrs={"favourite_genre": "Jazz", "size": "L"},
        )
        _add(
            session,
            "chi",
            email="CHI@GMAIL.COM",
            first_name="ngan",
            country="SG",
            tier="Iron",
            orders_count=0,
            total_spent=Decimal(0),
            attrs={"favourite_genre": "", "size": 40.5, "newsletter": False},
            tags=("newsletter",),
        )
        _add(
            session,
            "dung",
            email="dung_100%@example.com",
            first_name="Dũng",
            city="",
            country="VN",
            orders_count=2,
            total_spent=Decimal("1000000"),
            attrs={"favourite_genre": None},
            tags=("vip", "newsletter"),
        )
        session.commit()
    return db


def _names(db: Database, query: str, today: date = TODAY) -> list[str]:
    with db.session() as session:
        where = segment_filter(session, query, SETTINGS, today=today)
        emails = session.scalars(select(Contact.email).where(where))
        return sorted(email.split("@")[0].split("_")[0].lower() for email in emails)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('city = "Hanoi"', ["an"]),
        ('city = "hanoi"', []),
        ('city != "Hanoi"', ["binh", "dung"]),
        ("orders < 3", ["chi", "dung"]),
        ("orders <= 3", ["an", "chi", "dung"]),
        ("orders > 3", ["binh"]),
        ("orders >= 3", ["an", "binh"]),
        ("orders > 2.5", ["an", "binh"]),
        ("orders < 99999999999999999999", ["an", "binh", "chi", "dung"]),
        ("total_spent > 1000000", ["an", "binh"]),
        ("total_spent >= 1000000", ["an", "binh", "dung"]),
        ("total_spent = 1500000.00", ["an"]),
        ('tier in ("Gold", "Platinum")', ["an", "binh"]),
        ('tier not in ("Gold", "Platinum")', ["chi"]),
        ("orders between 2 and 4", ["an", "dung"]),
        ("orders not in (0, 5)", ["an", "dung"]),
        ('email contains "@GMAIL.com"', ["an", "chi"]),
        ('first_name starts with "NG"', ["an", "chi"]),
        ('email contains "_100%"', ["dung"]),
        ('email contains "%"', ["dung"]),
        ('email starts with "_"', []),
        ("city is empty", ["chi", "dung"]),
        ("city is not empty", ["an", "binh"]),
        ("birthday is empty", ["binh", "chi", "dung"]),
        ("birthday < 1995-01-01", ["an"]),
        ("birthday = 1990-05-01", ["an"]),
        ("rfm.recency >= 4", ["an"]),
        ("rfm.recency is empty", ["chi", "dung"]),
        ('tag "vip"', ["an", "dung"]),
        ('tag "VIP" and tag "newsletter"', ["dung"]),
        ('not tag "vip"', ["binh", "chi"]),
        ('tag "nobody"', []),
    ],
)
def test_each_operator_selects_the_right_contacts(
    people: Database, query: str, expected: list[str]
) -> None:
    assert _names(people, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('attr.favourite_genre = "jazz"', ["an"]),
        ('attr.favourite_genre contains "JAZZ"', ["an", "binh"]),
        ('attr.favourite_genre starts with "j"', ["an", "binh"]),
        ('attr.favourite_genre in ("jazz", "Jazz")', ["an", "binh"]),
        ("attr.favourite_genre is empty", ["chi", "dung"]),
        ("attr.favourite_genre is not empty", ["an", "binh"]),
        ("attr.nothing is empty", ["an", "binh", "chi", "dung"]),
        ("attr.size > 41", ["an"]),
        ("attr.size < 41", ["chi"]),
        ("attr.size between 40 and 42", ["an", "chi"]),
        ("attr.size in (40.5, 42)", ["an", "chi"]),
        ('attr.size = "L"', ["binh"]),
        ('attr.size = "42"', []),
        ("attr.newsletter = true", ["an"]),
        ("attr.newsletter = FALSE", ["chi"]),
        ("attr.newsletter != true", ["chi"]),
    ],
)
def test_a_custom_attribute_compares_by_the_type_of_the_value(
    people: Database, query: str, expected: list[str]
) -> None:
    assert _names(people, query) == expected


def test_and_binds_tighter_than_or(people: Database) -> None:
    assert _names(people, 'tier = "Platinum" or city = "Hanoi" and country = "SG"') == ["binh"]


def test_parentheses_group_before_and(people: Database) -> None:
    assert _names(people, '(tier = "Platinum" or city = "Hanoi") and country = "VN"') == [
        "an",
        "binh",
    ]
    assert _names(people, '(tier = "Platinum" or city = "Hanoi") and country = "SG"') == []


def test_not_negates_a_group_but_never_matches_a_missing_value(people: Database) -> None:
    # chi has no city: the condition is unknown for her, and so is its negation.
    assert _names(people, 'not (city = "Hanoi" or city = "Hue")') == ["dung"]


def test_keywords_and_field_names_ignore_case(people: Database) -> None:
    query = 'CITY = "Hanoi" Or Tier IN ("Platinum") AND NOT Tag "VIP"'
    assert _names(people, query) == ["an", "binh"]


def test_the_empty_query_means_everyone(people: Database) -> None:
    assert _names(people, "") == ["an", "binh", "chi", "dung"]


def test_a_value_is_a_bound_parameter_never_sql_text(people: Database) -> None:
    query = 'city = "x\' OR 1=1 --"'
    assert _names(people, query) == []
    with people.session() as session:
        statement = select(Contact.id).where(segment_filter(session, query, SETTINGS))
        compiled = statement.compile(dialect=session.get_bind().dialect)
    assert "'" not in str(compiled)
    assert "1=1" not in str(compiled)
    assert "x' OR 1=1 --" in compiled.params.values()


@pytest.fixture
def buyers(db: Database) -> Database:
    """Purchases either side of local midnight starting 2024-01-01 (90 days before TODAY)."""
    with db.session() as session:
        _add(session, "late", last_purchase_at=_local(2023, 12, 31, 23, 30))
        _add(session, "early", last_purchase_at=_local(2024, 1, 1, 0, 30))
        _add(session, "never")
        _add(session, "leap", last_purchase_at=_local(2024, 2, 29, 0, 30))
        _add(session, "now", last_purchase_at=_local(2024, 3, 31, 0, 30))
        session.commit()
    return db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("last_purchase_at >= 90 days ago", ["early", "leap", "now"]),
        ("last_purchase_at > 91 days ago", ["early", "leap", "now"]),
        ("last_purchase_at < 90 days ago", ["late"]),
        ("last_purchase_at <= 91 days ago", ["late"]),
        ("last_purchase_at = 90 days ago", ["early"]),
        ("last_purchase_at != 90 days ago", ["late", "leap", "now"]),
        ("last_purchase_at = 2024-01-01", ["early"]),
        ("last_purchase_at = 2023-12-31", ["late"]),
        ("last_purchase_at between 91 days ago and 90 days ago", ["early", "late"]),
        ("last_purchase_at in (2023-12-31, today)", ["late", "now"]),
        ("last_purchase_at not in (2023-12-31, today)", ["early", "leap"]),
        ("last_purchase_at = today", ["now"]),
        ("last_purchase_at = 1 month ago", ["leap"]),
        ("last_purchase_at is empty", ["never"]),
    ],
)
def test_relative_dates_compare_by_the_local_day(
    buyers: Database, query: str, expected: list[str]
) -> None:
    assert _names(buyers, query) == expected


def test_a_relative_date_counts_back_from_the_local_today_by_default(buyers: Database) -> None:
    # Every purchase is in 2023-2024, long before whatever today is.
    assert _names(buyers, "last_purchase_at >= today", today=date.today()) == []
    with buyers.session() as session:
        where = segment_filter(session, "last_purchase_at < today", SETTINGS)
        assert len(session.scalars(select(Contact.id).where(where)).all()) == 4


def test_a_date_field_compares_with_the_local_date(db: Database) -> None:
    with db.session() as session:
        _add(session, "leap", birthday=date(2024, 2, 29))
        _add(session, "feb", birthday=date(2024, 2, 28))
        session.commit()
    assert _names(db, "birthday = 1 month ago") == ["leap"]
    assert _names(db, "birthday < 31 days ago") == ["feb"]
    assert _names(db, "birthday <= 32 days ago") == ["feb"]


@pytest.mark.parametrize(
    ("today", "months", "expected"),
    [
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2023, 3, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 2, date(2023, 11, 30)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2024, 5, 15), 0, date(2024, 5, 15)),
        (date(2024, 1, 15), 25, date(2021, 12, 15)),
    ],
)
def test_months_ago_counts_calendar_months_and_clamps_the_day(
    today: date, months: int, expected: date
) -> None:
    assert resolve_day(MonthsAgo(months, 0), today) == expected


def test_days_ago_counts_calendar_days() -> None:
    assert resolve_day(DaysAgo(90, 0), TODAY) == date(2024, 1, 1)


def test_an_unknown_field_names_it_and_suggests_the_nearest(people: Database) -> None:
    query = 'country = "VN" and cty = "Hanoi"'
    with people.session() as session, pytest.raises(UnknownFieldError) as caught:
        segment_filter(session, query, SETTINGS)
    assert caught.value.position == 19
    assert caught.value.render() == (
        f"{query}\n" + " " * 19 + "^\nunknown field `cty`; did you mean `city`?"
    )


def test_an_unknown_field_without_a_near_one_points_to_custom_attributes() -> None:
    with pytest.raises(UnknownFieldError, match=r"`attr\.favourite_colour`"):
        check_tree(parse_query('favourite_colour = "red"'), 'favourite_colour = "red"')


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ('orders contains "3"', 16, "`contains` works on text, but `orders` is a number"),
        ("city starts with 3", 17, "needs a quoted string"),
        ('birthday = "yesterday"', 11, "`birthday` is a date"),
        ('last_purchase_at > "2024-01-01"', 19, "`last_purchase_at` is a date and time"),
        ("city = 3", 7, '`city` is text; compare it with a quoted string like "Hanoi"'),
        ("city = today", 7, "`city` is text"),
        ("orders = true", 9, "`orders` is a number"),
        ('tier in ("Gold", 3)', 17, "`tier` is text"),
        ('attr.size in (3, "L")', 17, "the values here must all be numbers, like the first"),
        ('attr.size between "a" and 3', 26, "must all be text"),
        ("attr.newsletter > true", 18, "true and false compare only with =, != and in"),
        ("attr.newsletter between false and true", 24, "true and false compare only"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_at_the_value(
    people: Database, query: str, column: int, message: str
) -> None:
    with people.session() as session, pytest.raises(SegmentError) as caught:
        segment_filter(session, query, SETTINGS)
    assert caught.value.position == column
    assert message in caught.value.message
    assert caught.value.render().splitlines()[1] == " " * column + "^"


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the database runs while the test does."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ('(city = "Hanoi"', SegmentSyntaxError),
        ("city = ", SegmentSyntaxError),
        ('city = "Hanoi" "Hue"', SegmentSyntaxError),
        ('cty = "Hanoi" and @somewhere', UnknownFieldError),
        ('orders contains "3" or @somewhere', SegmentError),
    ],
)
def test_an_error_in_the_query_runs_no_sql(
    db: Database, statements: list[str], query: str, error: type[SegmentError]
) -> None:
    with db.session() as session, pytest.raises(error):
        segment_filter(session, query, SETTINGS)
    assert statements == []
