"""Reading --at, --cron and --local-time: triggers, descriptions and the errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from campaigns.scheduling.schedule_spec import (
    FIRE_AT,
    FIRE_CRON,
    FIRE_LOCAL,
    ScheduleError,
    crontab_weekdays,
    spec_from_options,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
HCM = "Asia/Ho_Chi_Minh"


def spec(**options: str | None):  # type: ignore[no-untyped-def]
    values = {
        "at": None,
        "cron": None,
        "local_time": None,
        "on_date": None,
        "zone_name": None,
        **options,
    }
    return spec_from_options(**values, default_zone=HCM, now=NOW)  # type: ignore[arg-type]


def test_at_with_an_offset_fires_at_that_instant() -> None:
    at = spec(at="2026-12-01T09:00+07:00")
    assert at.kind == "at" and at.func == FIRE_AT
    fire = at.trigger.get_next_fire_time(None, NOW)
    assert fire == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert at.description == "at 2026-12-01 09:00+07:00"
    assert at.job_args(7) == (7,)


def test_at_without_an_offset_is_read_in_the_audience_time_zone() -> None:
    at = spec(at="2026-12-01 09:00")
    assert at.trigger.get_next_fire_time(None, NOW) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert "(Asia/Ho_Chi_Minh)" in at.description


def test_at_without_an_offset_takes_the_timezone_option_when_given() -> None:
    at = spec(at="2026-12-01T09:00", zone_name="Europe/Paris")
    assert at.trigger.get_next_fire_time(None, NOW) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_cron_reads_crontab_weekday_numbers_as_crontab_does() -> None:
    # crontab: 1 is Monday. APScheduler 3.x alone would take it as Tuesday.
    cron = spec(cron="0 9 * * 1")
    assert cron.kind == "cron" and cron.func == FIRE_CRON
    assert cron.extra_args == ("0 9 * * 1", HCM)
    fire = cron.trigger.get_next_fire_time(None, NOW)
    assert fire == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo(HCM))
    assert fire.weekday() == 0  # Monday
    assert cron.description == "cron 0 9 * * 1 (Asia/Ho_Chi_Minh)"


def test_cron_runs_in_the_timezone_option() -> None:
    cron = spec(cron="30 8 * * MON", zone_name="Europe/Paris")
    fire = cron.trigger.get_next_fire_time(None, NOW)
    assert fire.astimezone(UTC) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "fri,sat,sun"),
        ("0-6", "mon,tue,wed,thu,fri,sat,sun"),
        ("*/2", "tue,thu,sat,sun"),
        ("1,3", "mon,wed"),
        ("MON", "mon"),
        ("mon-sun", "mon,tue,wed,thu,fri,sat,sun"),
        ("sat,sun", "sat,sun"),
    ],
)
def test_crontab_weekdays_become_names(field: str, expected: str) -> None:
    assert crontab_weekdays(field) == expected


def test_local_time_fires_when_the_first_zone_reaches_it() -> None:
    local = spec(local_time="09:00", on_date="2026-12-01")
    assert local.kind == "local" and local.func == FIRE_LOCAL
    assert local.local_time == "09:00"
    assert local.extra_args == ("2026-12-01", "09:00")
    fire = local.trigger.get_next_fire_time(None, NOW)
    # 09:00 at UTC+14 is 19:00 UTC the day before.
    assert fire == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)


def test_local_time_without_a_date_takes_the_first_date_no_zone_has_reached() -> None:
    # At 12:00 UTC it is 02:00 the next day at UTC+14: 09:00 there is still ahead.
    local = spec(local_time="09:00")
    assert local.extra_args == ("2026-11-21", "09:00")
    # At 12:00 UTC, 01:00 at UTC+14 has passed: the day after.
    later = spec(local_time="01:00")
    assert later.extra_args == ("2026-11-22", "01:00")


def test_local_time_some_zones_have_passed_fires_at_once() -> None:
    local = spec(local_time="09:00", on_date="2026-11-20")
    assert local.trigger.get_next_fire_time(None, NOW) == NOW


def test_the_earliest_zone_is_fourteen_hours_ahead() -> None:
    local = spec(local_time="00:00", on_date="2026-12-01")
    fire = local.trigger.get_next_fire_time(None, NOW)
    assert fire.astimezone(timezone(timedelta(hours=14))).hour == 0


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"at": "tomorrow at nine"}, "--at 'tomorrow at nine': expected ISO 8601"),
        ({"at": "2026-13-01T09:00"}, "--at '2026-13-01T09:00'"),
        ({"at": "2026-12-01"}, "a date and a time"),
        ({"at": "2026-01-01T09:00+00:00"}, "is in the past"),
        ({"cron": "0 9 * *"}, "expected 5 fields"),
        ({"cron": "0 25 * * *"}, "--cron '0 25 * * *'"),
        ({"cron": "0 9 * * 8"}, "unknown weekday"),
        ({"cron": "0 0 31 2 *"}, "never fires"),
        ({"local_time": "9:60"}, "--local-time '9:60': expected HH:MM"),
        ({"local_time": "25:00"}, "expected HH:MM"),
        ({"local_time": "09:00", "on_date": "2026-02-30"}, "--date '2026-02-30'"),
        ({"local_time": "09:00", "on_date": "2026-11-01"}, "has passed in every time zone"),
        ({"at": "2026-12-01T09:00", "zone_name": "Mars/Olympus"}, "unknown time zone"),
        ({}, "give exactly one of"),
        ({"at": "2026-12-01T09:00", "cron": "0 9 * * *"}, "got --at and --cron"),
        ({"at": "2026-12-01T09:00", "on_date": "2026-12-01"}, "--date goes with --local-time"),
        ({"local_time": "09:00", "zone_name": "Europe/Paris"}, "doesn't apply"),
    ],
)
def test_bad_schedules_are_one_clear_error(options: dict[str, str], fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        spec(**options)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
