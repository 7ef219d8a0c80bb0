"""Contacts' own calendars: their time zones, their local days and send times in UTC.

Neither SQLite nor a portable SQL can convert between time zones, so the runner
works per time zone: it reads the zones contacts actually have (a handful of
distinct values, however many contacts), computes the UTC bounds of each zone's
local days here, and hands them to set-based SQL as plain timestamps. A contact
with no zone, or one this machine doesn't know, lives in ``[audience] timezone``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Connection, or_, select, true

from audiences.models import Contact

HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_send_at(value: str) -> time:
    """``"09:00"`` -> 09:00; raises ValueError for anything but a 24-hour HH:MM."""
    match = HH_MM.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (24-hour), like 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def to_utc(moment: datetime) -> datetime:
    """An aware time as naive UTC, as every stored time is."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar day in ``zone`` at the naive-UTC ``instant``."""
    return instant.replace(tzinfo=UTC).astimezone(zone).date()


def local_time_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` on the wall clocks of ``zone``, as naive UTC."""
    return to_utc(datetime.combine(day, at, tzinfo=zone))


def day_start_utc(day: date, zone: ZoneInfo) -> datetime:
    """When ``day`` begins in ``zone``, as naive UTC."""
    return local_time_utc(day, time(0, 0), zone)


def last_due_day(now: datetime, at: time, zone: ZoneInfo) -> date:
    """The latest local day whose ``at`` in ``zone`` is at or before ``now`` (naive UTC)."""
    today = local_date(now, zone)
    return today if local_time_utc(today, at, zone) <= now else today - timedelta(days=1)


def is_leap(year: int) -> bool:
    """Whether ``year`` has a 29 February."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def occasion_days(day: date) -> list[tuple[int, int]]:
    """The (month, day) pairs celebrated on ``day``: 29 February falls on the 28th
    in a year without one."""
    pairs = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not is_leap(day.year):
        pairs.append((2, 29))
    return pairs


def known_zone(name: str | None) -> ZoneInfo | None:
    """The zone called ``name``, or None when it is empty or unknown here."""
    if not name or not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class ZoneGroup:
    """The contacts who live in one time zone, and the SQL filter that picks them."""

    zone: ZoneInfo
    condition: ColumnElement[bool]


def zone_groups(connection: Connection, default: ZoneInfo) -> list[ZoneGroup]:
    """One group per zone that contacts have, and one for everyone else (``default``).

    The default group holds contacts without a zone, with one this machine doesn't
    know, or with the default zone itself.
    """
    names = [
        name for name in connection.scalars(select(Contact.timezone).distinct()) if name is not None
    ]
    groups: list[ZoneGroup] = []
    own: list[str] = []
    for name in sorted(names):
        zone = known_zone(name)
        if zone is None or zone.key == default.key:
            continue
        own.append(name)
        groups.append(ZoneGroup(zone, Contact.timezone == name))
    others = or_(Contact.timezone.is_(None), Contact.timezone.not_in(own)) if own else true()
    groups.append(ZoneGroup(default, others))
    return groups
