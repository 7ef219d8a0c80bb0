"""Contacts' calendars: send times across daylight saving, leap days and unknown zones."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from audiences.db import Database
from audiences.models import Contact
from campaigns.sequences.local_time import (
    day_start_utc,
    known_zone,
    last_due_day,
    local_time_utc,
    occasion_days,
    parse_send_at,
    zone_groups,
)
from tests.campaigns.sequences.timeline import add_contact

PARIS = ZoneInfo("Europe/Paris")
HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


def test_send_at_takes_a_24_hour_time_of_day() -> None:
    assert parse_send_at("09:00") == time(9, 0)
    assert parse_send_at(" 23:59 ") == time(23, 59)
    for bad in ("9:00", "24:00", "09:60", "nine", ""):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_send_at(bad)


def test_nine_in_paris_moves_in_utc_with_daylight_saving() -> None:
    assert local_time_utc(date(2025, 3, 29), time(9), PARIS) == datetime(2025, 3, 29, 8, 0)
    assert local_time_utc(date(2025, 3, 30), time(9), PARIS) == datetime(2025, 3, 30, 7, 0)
    # The day summer time starts has 23 hours: it begins at 23:00 UTC the day before.
    assert day_start_utc(date(2025, 3, 30), PARIS) == datetime(2025, 3, 29, 23, 0)
    assert day_start_utc(date(2025, 3, 31), PARIS) == datetime(2025, 3, 30, 22, 0)


def test_the_last_due_day_turns_at_the_local_send_time() -> None:
    nine = time(9)
    assert last_due_day(datetime(2025, 3, 1, 1, 59), nine, HCMC) == date(2025, 2, 28)
    assert last_due_day(datetime(2025, 3, 1, 2, 0), nine, HCMC) == date(2025, 3, 1)
    # 23:30 UTC on 1 March is already 2 March, 06:30, in Ho Chi Minh City.
    assert last_due_day(datetime(2025, 3, 1, 23, 30), nine, HCMC) == date(2025, 3, 1)


def test_29_february_is_celebrated_on_the_28th_in_other_years() -> None:
    assert occasion_days(date(2023, 2, 28)) == [(2, 28), (2, 29)]
    assert occasion_days(date(2024, 2, 28)) == [(2, 28)]
    assert occasion_days(date(2024, 2, 29)) == [(2, 29)]
    assert occasion_days(date(2100, 2, 28)) == [(2, 28), (2, 29)]  # 2100 is not leap
    assert occasion_days(date(2023, 3, 1)) == [(3, 1)]


def test_unknown_or_empty_zones_are_not_zones() -> None:
    assert known_zone("Europe/Paris") == PARIS
    for bad in (None, "", "  ", "Mars/Olympus_Mons", "../etc/passwd", "Europe"):
        assert known_zone(bad) is None


def test_contacts_without_a_known_zone_live_in_the_default_one(db: Database) -> None:
    add_contact(db, "paris@example.com", timezone="Europe/Paris")
    add_contact(db, "hcmc@example.com", timezone="Asia/Ho_Chi_Minh")
    add_contact(db, "none@example.com")
    add_contact(db, "empty@example.com", timezone="")
    add_contact(db, "mars@example.com", timezone="Mars/Olympus_Mons")
    with db.engine.connect() as connection:
        groups = zone_groups(connection, HCMC)
        members = {
            group.zone.key: set(
                connection.scalars(
                    select(Contact.email).where(group.condition).order_by(Contact.email)
                )
            )
            for group in groups
        }
    assert members == {
        "Europe/Paris": {"paris@example.com"},
        "Asia/Ho_Chi_Minh": {
            "hcmc@example.com",
            "none@example.com",
            "empty@example.com",
            "mars@example.com",
        },
    }
