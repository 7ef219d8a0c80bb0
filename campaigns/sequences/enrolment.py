"""Who a sequence enrols, each trigger one ``INSERT … SELECT`` (per time zone at most).

- ``consent``: contacts whose first confirmed grant of email consent (double
  opt-in: a ``granted`` record with ``confirmed_at``) came after the sequence was
  created, so the existing list never gets a welcome. The timeline starts at the
  confirmation.
- ``birthday``: contacts whose birthday is today in their own time zone (29 February
  is celebrated on the 28th in other years). The timeline starts today at the
  sequence's send time, local; one enrolment per year.
- ``anniversary``: contacts whose first purchase was on this day, a year or more
  ago, in their own time zone. Same shape as birthdays.

Every enrolled contact matches the sequence's segment and may be emailed. The
unique ``(sequence, contact, occurrence)`` makes enrolling twice a no-op, also for
two runners at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from audiences.models import ConsentRecord, Contact, utcnow
from audiences.segment_query import segment_filter
from audiences.sendable import sendable
from audiences.settings import AudienceSettings
from campaigns.sequences.local_time import (
    ZoneGroup,
    day_start_utc,
    is_leap,
    local_date,
    local_time_utc,
    occasion_days,
    parse_send_at,
)
from campaigns.sequences.models import Sequence, SequenceEnrolment

# An INSERT's SELECT, whatever its columns.
Rows = Select[*tuple[Any, ...]]
COLUMNS = ["sequence_id", "contact_id", "occurrence", "anchor_at", "created_at"]


def enrol(
    session: Session,
    sequence: Sequence,
    settings: AudienceSettings,
    now: datetime,
    groups: list[ZoneGroup],
    first_purchase_year: int | None = None,
) -> int:
    """Enrol the contacts the sequence's trigger picks at ``now``; how many are new."""
    audience = and_(
        segment_filter(session, sequence.segment, settings, local_date(now, settings.zone)),
        sendable("email"),
    )
    connection = session.connection()
    if sequence.trigger == "consent":
        return _insert(connection, _confirmed_after_creation(sequence, now, audience))
    at = parse_send_at(sequence.send_at)
    total = 0
    for group in groups:
        today = local_date(now, group.zone)
        if sequence.trigger == "birthday":
            occasion = _birthday_is(today)
        elif first_purchase_year is None:
            continue
        else:
            occasion = _first_purchase_on(today, group, first_purchase_year)
        rows = _yearly_rows(
            sequence, str(today.year), local_time_utc(today, at, group.zone), audience
        ).where(group.condition, occasion)
        total += _insert(connection, rows)
    return total


def first_purchase_year(connection: Connection) -> int | None:
    """The year of the earliest first purchase on record, or None without orders."""
    first = connection.scalar(select(func.min(Contact.first_purchase_at)))
    return first.year if first is not None else None


def _confirmed_after_creation(
    sequence: Sequence, now: datetime, audience: ColumnElement[bool]
) -> Rows:
    """Contacts whose first confirmed opt-in is after the sequence's creation.

    The first confirmation, not the latest: a contact who was already on the list
    and confirms again is not new. Confirmations older than the catch-up window
    (the runner was stopped) are left alone, as the whole series would come late.
    """
    record, earlier = ConsentRecord, aliased(ConsentRecord)
    confirmed_grant = and_(
        record.channel == "email", record.status == "granted", record.confirmed_at.is_not(None)
    )
    # Only this window's confirmations are read; an anti-join on the contact's
    # records (indexed by contact) rules out those who had confirmed before. A
    # GROUP BY over every record, the other way to say "first", costs a full pass.
    before = ~exists(
        select(earlier.id).where(
            earlier.contact_id == record.contact_id,
            earlier.channel == "email",
            earlier.status == "granted",
            earlier.confirmed_at.is_not(None),
            or_(
                earlier.confirmed_at < record.confirmed_at,
                and_(earlier.confirmed_at == record.confirmed_at, earlier.id < record.id),
            ),
        )
    )
    return (
        select(
            literal(sequence.id),
            Contact.id,
            literal(""),
            record.confirmed_at,
            literal(utcnow()),
        )
        .select_from(record)
        .join(Contact, Contact.id == record.contact_id)
        .where(
            confirmed_grant,
            record.confirmed_at > sequence.created_at,
            record.confirmed_at >= now - timedelta(days=sequence.catch_up_days),
            record.confirmed_at <= now,
            before,
            audience,
        )
    )


def _yearly_rows(
    sequence: Sequence, occurrence: str, anchor: datetime, audience: ColumnElement[bool]
) -> Rows:
    return (
        select(
            literal(sequence.id),
            Contact.id,
            literal(occurrence),
            literal(anchor),
            literal(utcnow()),
        )
        .select_from(Contact)
        .where(audience)
    )


def _birthday_is(today: date) -> ColumnElement[bool]:
    """The contact's birthday falls on ``today`` (a date column: no time zone in it)."""
    month = extract("month", Contact.birthday)
    day = extract("day", Contact.birthday)
    return and_(
        Contact.birthday.is_not(None),
        Contact.birthday <= today,
        or_(*(and_(month == m, day == d) for m, d in occasion_days(today))),
    )


def _first_purchase_on(today: date, group: ZoneGroup, since_year: int) -> ColumnElement[bool]:
    """The first purchase was on ``today``'s month and day, in an earlier year, locally.

    ``first_purchase_at`` is a UTC time; its local day is read as one UTC range per
    past year, so an index on the column could serve it and no SQL converts zones.
    """
    ranges = []
    # A day earlier: the local calendar can be a year behind UTC on 1 January.
    for year in range(since_year - 1, today.year):
        for month, day in occasion_days(today):
            if (month, day) == (2, 29) and not is_leap(year):
                continue
            start = date(year, month, day)
            ranges.append(
                and_(
                    Contact.first_purchase_at >= day_start_utc(start, group.zone),
                    Contact.first_purchase_at
                    < day_start_utc(start + timedelta(days=1), group.zone),
                )
            )
    return or_(*ranges) if ranges else false()


def _insert(connection: Connection, rows: Rows) -> int:
    """INSERT the rows, skipping enrolments that exist (another runner's too).

    The unique index alone rules out the enrolled: a NOT EXISTS on the table being
    filled can be planned, with stale statistics, as a scan per row.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = SequenceEnrolment.__table__
    statement = (
        dialect.insert(table)
        .from_select(COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=["sequence_id", "contact_id", "occurrence"])
        .returning(table.c.id)
    )
    return len(connection.execute(statement).all())
