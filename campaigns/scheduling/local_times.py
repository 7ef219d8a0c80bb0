"""Local-time sends: each recipient is due at the same wall-clock time in their own zone.

A contact's ``timezone`` (an IANA name) decides; a contact without one, or with a
name that isn't a time zone, takes the default zone (``[audience] timezone``). Each
ledger row's ``next_attempt_at`` is set to that instant in naive UTC, as every
timestamp is stored; a row whose instant has already passed is due at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audiences.models import Contact
from campaigns.models import Recipient


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The time zone called ``name``, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def due_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``zone``, as naive UTC."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def assign_local_times(
    session: Session, campaign_id: int, day: date, at: time, default_zone: ZoneInfo
) -> dict[str, datetime]:
    """Set every ledger row's ``next_attempt_at`` to ``at`` on ``day`` in its contact's zone.

    Returns the due instant (naive UTC) by zone name. One UPDATE for the default
    zone and one per other zone among the recipients, whatever the audience's size.
    """
    due = {default_zone.key: due_at(day, at, default_zone)}
    session.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id)
        .values(next_attempt_at=due[default_zone.key])
        .execution_options(synchronize_session=False)
    )
    names = session.scalars(
        select(Contact.timezone)
        .join(Recipient, Recipient.contact_id == Contact.id)
        .where(Recipient.campaign_id == campaign_id, Contact.timezone.is_not(None))
        .distinct()
    ).all()
    for name in names:
        zone = zone_or_none(name)
        if name is None or zone is None or name == default_zone.key:
            continue
        due[name] = due_at(day, at, zone)
        session.execute(
            update(Recipient)
            .where(
                Recipient.campaign_id == campaign_id,
                Recipient.contact_id.in_(select(Contact.id).where(Contact.timezone == name)),
            )
            .values(next_attempt_at=due[name])
            .execution_options(synchronize_session=False)
        )
    return due
