"""Saved segments: checked before saving, used as @name anywhere, nested, cycle-free."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Segment
from audiences.segment_query import (
    SegmentError,
    SegmentSyntaxError,
    UnknownFieldError,
    UnknownSegmentError,
    segment_filter,
    validate_query,
)
from audiences.segments import get_segment, list_segments, save_segment
from audiences.settings import AudienceSettings

SETTINGS = AudienceSettings(timezone="Asia/Ho_Chi_Minh")


@pytest.fixture
def people(db: Database) -> Database:
    """Three contacts in three cities."""
    with db.session() as session:
        for name, city, tier in (
            ("an", "Hanoi", "Gold"),
            ("binh", "Hue", None),
            ("chi", "Hanoi", None),
        ):
            email = f"{name}@example.com"
            session.add(Contact(email=email, email_hash=address_hash(email), city=city, tier=tier))
        session.commit()
    return db


def _names(db: Database, query: str) -> list[str]:
    with db.session() as session:
        where = segment_filter(session, query, SETTINGS, today=date(2024, 3, 31))
        return sorted(e.split("@")[0] for e in session.scalars(select(Contact.email).where(where)))


def _save(db: Database, name: str, query: str) -> None:
    with db.session() as session:
        save_segment(session, name, query)
        session.commit()


def test_a_saved_segment_is_listed_and_found_by_any_case(db: Database) -> None:
    _save(db, "Hanoi", 'city = "Hanoi"')
    _save(db, "gold", 'tier = "Gold"')
    with db.session() as session:
        assert [(s.name, s.query) for s in list_segments(session)] == [
            ("gold", 'tier = "Gold"'),
            ("hanoi", 'city = "Hanoi"'),
        ]
        found = get_segment(session, "HANOI")
        assert found is not None
        assert found.query == 'city = "Hanoi"'
        assert get_segment(session, "nowhere") is None


def test_saving_a_name_again_replaces_its_query(db: Database) -> None:
    _save(db, "hanoi", 'city = "Hanoi"')
    _save(db, "hanoi", 'city = "Ha Noi"')
    with db.session() as session:
        assert [s.query for s in list_segments(session)] == ['city = "Ha Noi"']


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ('city = "Hanoi', SegmentSyntaxError),
        ('cty = "Hanoi"', UnknownFieldError),
        ('orders contains "3"', SegmentError),
        ("@missing", UnknownSegmentError),
    ],
)
def test_a_query_is_checked_before_it_is_saved(
    db: Database, query: str, error: type[SegmentError]
) -> None:
    with db.session() as session:
        with pytest.raises(error):
            save_segment(session, "broken", query)
        assert list_segments(session) == []


@pytest.mark.parametrize(
    ("name", "column"), [("", 0), ("big spenders", 3), ("-x", 0), ("a" * 101, 100)]
)
def test_a_segment_name_is_letters_digits_underscores_and_dashes(
    db: Database, name: str, column: int
) -> None:
    with db.session() as session, pytest.raises(SegmentError) as caught:
        save_segment(session, name, "")
    assert caught.value.position == column


def test_at_name_uses_a_saved_segment_anywhere_an_expression_goes(people: Database) -> None:
    _save(people, "hanoi", 'city = "Hanoi"')
    assert _names(people, "@hanoi") == ["an", "chi"]
    assert _names(people, "@HANOI and tier is empty") == ["chi"]
    assert _names(people, 'not @hanoi or (tier = "Gold" and @hanoi)') == ["an", "binh"]


def test_saved_segments_nest(people: Database) -> None:
    _save(people, "hanoi", 'city = "Hanoi"')
    _save(people, "hanoi-gold", '@hanoi and tier = "Gold"')
    _save(people, "picked", '@hanoi-gold or city = "Hue"')
    assert _names(people, "@picked") == ["an", "binh"]


def test_a_saved_empty_query_means_everyone(people: Database) -> None:
    _save(people, "everyone", "")
    assert _names(people, "@everyone") == ["an", "binh", "chi"]


def test_an_unknown_segment_suggests_the_nearest_saved_name(db: Database) -> None:
    _save(db, "vip", 'tier = "Gold"')
    query = 'city = "Hanoi" and @vipp'
    with db.session() as session, pytest.raises(UnknownSegmentError) as caught:
        validate_query(session, query)
    assert caught.value.render() == (
        f"{query}\n" + " " * 19 + "^\nno segment is saved as `@vipp`; did you mean `@vip`?"
    )


def test_a_segment_cannot_refer_to_itself(db: Database) -> None:
    with db.session() as session, pytest.raises(UnknownSegmentError, match="@a -> @a"):
        save_segment(session, "a", 'city = "x" or @a')


def test_saving_a_segment_that_would_close_a_cycle_is_refused(db: Database) -> None:
    _save(db, "a", 'city = "Hanoi"')
    _save(db, "b", "@a")
    _save(db, "c", "@b")
    with db.session() as session:
        with pytest.raises(UnknownSegmentError) as caught:
            save_segment(session, "a", "@c")
        assert "cycle: @a -> @c -> @b -> @a" in caught.value.message
        assert caught.value.message.startswith("in saved segment @b: ")
        assert caught.value.query == "@a"
        saved = get_segment(session, "a")
        assert saved is not None
        assert saved.query == 'city = "Hanoi"'


def test_a_cycle_stored_behind_the_api_is_caught_when_used(db: Database) -> None:
    with db.session() as session:
        session.add_all([Segment(name="a", query="@b"), Segment(name="b", query="@a")])
        session.commit()
        with pytest.raises(UnknownSegmentError, match="cycle: @a -> @b -> @a"):
            segment_filter(session, "@a", SETTINGS)


def test_a_fault_inside_a_saved_segment_names_it_and_shows_its_query(db: Database) -> None:
    with db.session() as session:
        session.add(Segment(name="old", query='country = "VN" and cty = "Hanoi"'))
        session.commit()
        with pytest.raises(UnknownFieldError) as caught:
            validate_query(session, 'tier = "Gold" and @old')
    assert caught.value.query == 'country = "VN" and cty = "Hanoi"'
    assert caught.value.position == 19
    assert (
        caught.value.message == "in saved segment @old: unknown field `cty`; did you mean `city`?"
    )


def test_a_segment_deleted_after_use_is_reported_inside_the_one_using_it(db: Database) -> None:
    _save(db, "hanoi", 'city = "Hanoi"')
    _save(db, "both", "@hanoi or @hanoi")
    with db.session() as session:
        session.delete(session.scalars(select(Segment).where(Segment.name == "hanoi")).one())
        session.commit()
        with pytest.raises(UnknownSegmentError) as caught:
            validate_query(session, "@both")
    assert caught.value.query == "@hanoi or @hanoi"
    assert caught.value.position == 0
    assert caught.value.message.startswith("in saved segment @both: no segment is saved")
